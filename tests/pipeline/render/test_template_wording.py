"""The report's wording lives in the template: the variables it may use are documented, the assessment rules
give the expected sentences, word processors' changes to tags are coped with or named, and a template saved by
LibreOffice still renders."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import docx_tables, docx_text, find_row

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "templates" / "README.md"

# Fixed parts of the report's sentences, headings and cells: in the template, nowhere in code or configuration.
FRAGMENTS = (
    "kính báo cáo", "chiếm tỷ lệ", "không thay đổi", "Chưa đủ số liệu để đánh giá", "Trên đây là báo cáo",
    "Tại thời điểm", "Thực hiện Kế hoạch số", "kết quả rà soát cuối năm", "không nêu khó khăn, vướng mắc",
    "Chưa có báo cáo hợp lệ nào", "Chưa kiểm tra được (lỗi hệ thống)", "tiếp tục hỗ trợ để thoát nghèo",
    "Chuyên viên bổ sung", "Số liệu cộng chưa gồm", "hộ tái nghèo, phát sinh nghèo", "Trễ hạn",
    "Tổng cộng (không kể vốn vay)", "Cộng các đơn vị hợp lệ",
)


def _agg(plan_root) -> dict:
    return json.loads((plan_root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))


def _readme_variables() -> dict[str, set[str]]:
    """Top-level variables of templates/README.md (``### `name```) with the fields named in the first cell of
    their tables (``| `field` |``, several per cell allowed)."""
    out: dict[str, set[str]] = {}
    current = None
    for line in README.read_text(encoding="utf-8").splitlines():
        head = re.fullmatch(r"### `(\w+)`", line)
        if head:
            current = out.setdefault(head.group(1), set())
        elif current is not None and line.startswith("| `"):
            current.update(re.findall(r"`([\w.]+)`", line.split("|")[1]))
    return out


def test_readme_lists_every_variable_and_field(config, plan_root):
    """templates/README.md documents exactly the variables the template may use and build_context gives, and for
    each the fields it holds (a row's fields for a list)."""
    from pipeline.render.report import TEMPLATE_FIELDS, TEMPLATE_VARIABLES, build_context

    context = build_context(_agg(plan_root), config=config, period=config.period("2023-6T"))
    documented = _readme_variables()
    assert set(documented) == set(TEMPLATE_VARIABLES) == set(context) == set(TEMPLATE_FIELDS)
    for name, fields in documented.items():
        value = context[name]
        sample = value[0] if isinstance(value, list) else value
        top = {f for f in fields if "." not in f}
        assert top == set(sample) == TEMPLATE_FIELDS[name], name
        assert {f.split(".")[0] for f in fields} <= set(sample), name


def test_fixed_wording_is_in_the_template_only():
    """The characteristic fixed parts of the report's sentences are in the .docx (runs joined) and in no code or
    configuration file."""
    from pipeline.render.report import TEMPLATE, document_text

    text = document_text(TEMPLATE)
    assert [f for f in FRAGMENTS if f not in text] == []
    files = [p for d in ("pipeline", "dags", "config") for p in (ROOT / d).rglob("*") if p.is_file()
             and p.suffix in (".py", ".yaml", ".yml", ".j2", ".html")] + list((ROOT / "templates").glob("*.py"))
    found = {f"{p.relative_to(ROOT)}: {f}" for p in files for f in FRAGMENTS if f in p.read_text(encoding="utf-8")}
    assert found == set()


def test_change_rule():
    """Rule 1: the change since 01/01 is a direction and an amount, "same" when equal."""
    from pipeline.render.report import change

    assert change(2, 2) == {"change": "same", "amount": "0"}
    assert change(1551, 1549) == {"change": "down", "amount": "2"}
    assert change(3, 1237) == {"change": "up", "amount": "1.234"}


def test_sentences_follow_the_rules(config, plan_root, tmp_path):
    """The samples: no change since 01/01 is said as such, target 1 not met by 2 households; with both poor NCC
    households escaped: the decrease, target 1 met; with a required unit lacking: not assessable, named."""
    from pipeline.render.report import build_context, render_docx

    period = config.period("2023-6T")
    agg = _agg(plan_root)
    text = docx_text(render_docx(build_context(agg, config=config, period=period), tmp_path / "a.docx"))
    assert ("Đến ngày 30/04/2023, toàn huyện có 1.551 hộ nghèo (5.927 nhân khẩu), chiếm tỷ lệ 6,39%, số hộ không thay "
            "đổi so với ngày 01/01/2023; 1.381 hộ cận nghèo (4.753 nhân khẩu), chiếm tỷ lệ 5,69%, số hộ không thay "
            "đổi.") in text.splitlines()
    assert ("- Còn 2 hộ nghèo có thành viên là người có công (xã Ma Nới), chưa đạt mục tiêu không còn hộ nghèo có "
            "người có công đến cuối năm 2023; số hộ không thay đổi so với ngày 01/01/2023.") in text.splitlines()
    targets = next(t for t in docx_tables(tmp_path / "a.docx") if any("Mục tiêu" in r for r in t))
    assert find_row(targets, "1")[2:] == ["Còn 2 hộ nghèo có người có công",
                                          "Chưa đạt: còn 2 hộ, tiếp tục hỗ trợ để thoát nghèo trước 31/12/2023"]
    assert find_row(targets, "2")[2:] == ["0 hộ tái nghèo, phát sinh nghèo", "Đạt"]
    assert "(mục tiêu 2 của Kế hoạch đạt)" in text and "(mục tiêu 1 của Kế hoạch đạt)" not in text

    escaped = json.loads(json.dumps(agg))
    escaped["district"]["ncc_poor_households_current"] = 0
    escaped["district"]["ncc_poor_persons_current"] = 0
    escaped["annex"] = [dict(a, status_current="near_poor") for a in escaped["annex"]]
    t1 = next(t for t in escaped["targets"] if t["code"] == "no_ncc_poor")
    t1.update(value=0, met=True)
    text = docx_text(render_docx(build_context(escaped, config=config, period=period), tmp_path / "b.docx"))
    assert ("Đến ngày 30/04/2023, toàn huyện có 0 hộ nghèo có thành viên là người có công với cách mạng (0 nhân "
            "khẩu), chiếm tỷ lệ 0,00% tổng số hộ nghèo, số hộ giảm 2 hộ so với ngày 01/01/2023; 23 hộ cận nghèo có "
            "thành viên là người có công, số hộ không thay đổi.") in text.splitlines()
    assert "- Số hộ nghèo có thành viên là người có công giảm 2 hộ so với ngày 01/01/2023." in text.splitlines()
    assert "(mục tiêu 1 của Kế hoạch đạt)" in text and "- Còn 2 hộ nghèo" not in text

    lacking = json.loads(json.dumps(agg))
    lacking.update(assessable=False, lacking=["xã Ma Nới"])
    for t in lacking["targets"]:
        t["met"] = None
    context = build_context(lacking, config=config, period=period)
    assert context["targets"]["no_ncc_poor"]["outcome"] == "not_assessable"
    render_docx(context, tmp_path / "c.docx")
    targets = next(t for t in docx_tables(tmp_path / "c.docx") if any("Mục tiêu" in r for r in t))
    assert [r[3] for r in targets[1:]] == ["Chưa đủ số liệu để đánh giá (chưa có báo cáo hợp lệ của: xã Ma Nới)"] * 3


def _edited(tmp_path: Path, source: Path, edit, name: str = "mau.docx") -> Path:
    """A copy of ``source`` with its word/document.xml passed through ``edit``."""
    out = tmp_path / name
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                xml = data.decode("utf-8")
                new = edit(xml)
                assert new != xml
                data = new.encode("utf-8")
            dst.writestr(item, data)
    return out


@pytest.mark.parametrize("quotes", [("\u2018", "\u2019"), ("&apos;", "&apos;"), ("\u201c", "\u201d")])
def test_quotes_changed_by_a_word_processor_still_work(config, plan_root, tmp_path, quotes):
    """Typographic quotes typed by autocorrect, or the entity LibreOffice writes, inside a tag: the template
    passes the check and renders as before."""
    from pipeline.render.report import build_context, check_template, render_docx

    left, right = quotes
    template = _edited(tmp_path, ROOT / "templates" / "bao_cao_ky.docx",
                       lambda x: x.replace("r.status == 'valid'", f"r.status == {left}valid{right}"))
    check_template(template)
    out = render_docx(build_context(_agg(plan_root), config=config, period=config.period("2023-6T")),
                      tmp_path / "r.docx", template=template)
    by_unit = next(t for t in docx_tables(out) if any("Toàn huyện" in r for r in t))
    assert find_row(by_unit, "Xã Ma Nới")[-1] == "Hợp lệ"


def _move_first_endfor_row(xml: str) -> str:
    """The row holding the first {%tr endfor %} (table 1, by unit) moved into the next table."""
    row = next(re.finditer(r"<w:tr>(?:(?!<w:tr>).)*?\{%tr endfor %\}.*?</w:tr>", xml, re.DOTALL))
    rest = xml[:row.start()] + xml[row.end():]
    at = rest.index("<w:tr>", rest.index("</w:tbl>", row.start()))
    return rest[:at] + row.group(0) + rest[at:]


@pytest.mark.parametrize(("edit", "message"), [
    (lambda x: x.replace("{{ period.year }} không còn", "{{ period.year – 1 }} không còn", 1),
     r"bảng thứ 13 «Bảng 9\. Tiến độ thực hiện các mục tiêu đến ngày \{\{ period\.cutoff \}\}», dòng 2, ô 2: "
     r"thẻ mẫu «\{\{ period\.year – 1 \}\}» bị sửa hoặc gõ sai"),
    (_move_first_endfor_row,
     r"bảng thứ 3 «Bảng 2\. Hộ có thành viên là người có công theo phân loại», dòng 1, ô 1: thẻ «\{%tr endfor %\}» "
     r"không có thẻ mở tương ứng trong cùng bảng"),
    (lambda x: x.replace("{{ district.poor_rate }}, số hộ", "{{ district.</w:t></w:r></w:p><w:p><w:r><w:t>"
                                                               "poor_rate }}, số hộ", 1),
     r"đoạn thứ \d+ «Đến ngày \{\{ period\.cutoff \}\}, .*»: thẻ mẫu mở '\{\{' không đóng trong cùng đoạn"),
    (lambda x: x.replace("{{ district.poor_rate }}, số hộ", "{{ district.poor_rat }}, số hộ", 1),
     r"đoạn thứ \d+ «Đến ngày .*»: dùng trường không có trong dữ liệu báo cáo: district\.poor_rat \(danh sách"),
    (lambda x: x.replace("r.status == 'valid'", "r.stat == 'valid'", 1),
     r"bảng thứ 2 «Bảng 1\. .*», dòng 4, ô 10: dùng trường không có trong dữ liệu báo cáo: r\.stat \("),
    (lambda x: x.replace("{{ funds.total }}", "{{ fund.total }}", 1),
     r"bảng thứ 12 «Bảng 8\. Kinh phí huy động theo nguồn.*», dòng 5, ô 3: dùng biến không có trong dữ liệu báo "
     r"cáo: fund$"),
])
def test_faults_are_named_with_their_place(tmp_path, edit, message):
    """A dash typed into a tag, a loop's closing row moved to another table, a tag broken across paragraphs, a
    misspelt field (of a variable, of a loop's row), a misspelt variable: refused, naming the table (rank and
    caption), row and cell, or the paragraph."""
    from pipeline.render.report import TEMPLATE, TemplateCheckError, check_template

    with pytest.raises(TemplateCheckError, match=message):
        check_template(_edited(tmp_path, TEMPLATE, edit))


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.mark.slow
def test_template_saved_by_libreoffice(config, plan_root, tmp_path):
    """The template saved again by LibreOffice Writer (as staff would): it passes check-template, renders the
    same text as the original (figures included), and a misspelt variable typed into it is named."""
    from pipeline.render.report import TEMPLATE, build_context, render_docx

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is required (make system-deps)"
    out_dir = tmp_path / "saved"
    result = subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "docx",
         "--outdir", str(out_dir), str(TEMPLATE)], capture_output=True, text=True, timeout=180)
    saved = out_dir / TEMPLATE.name
    assert result.returncode == 0 and saved.exists(), result.stdout + result.stderr
    assert saved.read_bytes() != TEMPLATE.read_bytes()
    check = _cli("check-template", str(saved))
    assert check.returncode == 0 and "MẪU HỢP LỆ" in check.stdout, check.stderr

    context = build_context(_agg(plan_root), config=config, period=config.period("2023-6T"))
    original = docx_text(render_docx(context, tmp_path / "a.docx"))
    resaved = docx_text(render_docx(context, tmp_path / "b.docx", template=saved))
    assert [x for x in resaved.splitlines() if x] == [x for x in original.splitlines() if x]
    for figure in ("toàn huyện có 1.551 hộ nghèo (5.927 nhân khẩu), chiếm tỷ lệ 6,39%, số hộ không thay đổi",
                   "Chưa đạt: còn 2 hộ", "tổ chức 66 buổi tuyên truyền"):
        assert figure in resaved, figure
    with zipfile.ZipFile(tmp_path / "b.docx") as z:  # python-docx kept LibreOffice's properties part, once
        names = z.namelist()
    assert names.count("docProps/core.xml") == 1

    misspelt = _edited(tmp_path, saved, lambda x: x.replace("{{ activities.outreach_sessions }}",
                                                            "{{ activitis.outreach_sessions }}", 1), name="sai.docx")
    field = _edited(tmp_path, saved, lambda x: x.replace("{{ activities.outreach_sessions }}",
                                                         "{{ activities.outreach_session }}", 1), name="truong.docx")
    check = _cli("check-template", str(field))
    assert check.returncode == 1
    assert "dùng trường không có trong dữ liệu báo cáo: activities.outreach_session " in check.stderr
    check = _cli("check-template", str(misspelt))
    assert check.returncode == 1
    assert "dùng biến không có trong dữ liệu báo cáo: activitis" in check.stderr
    assert check.stderr.startswith("MẪU CÓ LỖI — Mẫu báo cáo sai.docx (word/document.xml), đoạn thứ ")
