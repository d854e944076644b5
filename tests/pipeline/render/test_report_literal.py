"""Text is data, never template: what a commune typed, and its file names, show literally in the report and
never fail a render or the audit; a broken template is refused before rendering."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline import schema
from tests.helpers import docx_tables, docx_text, drop, set_narrative, workspace_at

ROOT = Path(__file__).resolve().parents[3]
TYPED = ["a }} b", "{{ 7*7 }}", "{% if x %}", "<w:t>&amp;</w:t>", "{_{ x }_}", "{# c #}"]
FILE_NAME = "bao cao {{ 7*7 }}.xlsx"


def set_narrative_text(path: Path, key: str, text: str) -> None:
    """Store ``text`` in a narrative cell as text even when it starts with "=" (as Excel stores '=SUM(A1))."""
    set_narrative(path, key, text)
    wb = load_workbook(path)
    ws = wb[schema.SHEET_NARRATIVE]
    header = next(f.header for f in schema.NARRATIVE_FIELDS if f.key == key)
    cell = next(ws.cell(r, 2) for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == header)
    cell.value = text
    cell.data_type = "s"
    cell.quotePrefix = True
    wb.save(path)


@pytest.fixture(scope="module")
def literal_report(tmp_path_factory, config) -> Path:
    """The plan samples with Ma Nới's narrative full of template and XML syntax, its file renamed to one with
    braces, run through the whole period."""
    from pipeline.orchestrator import run_period

    root = tmp_path_factory.mktemp("literal")
    inbox = root / "inbox" / "2023-6T"
    drop(sorted((ROOT / "samples" / "2023-6T").glob("*.xlsx")), inbox)
    ma_noi = inbox / "22828_ma_noi.xlsx"
    set_narrative(ma_noi, "results", " | ".join(TYPED))
    set_narrative_text(ma_noi, "proposals", "=SUM(A1)")
    ma_noi.rename(inbox / FILE_NAME)  # the sending time (mtime) is kept
    return Path(run_period(config.period("2023-6T"), config=config, workspace=workspace_at(root)))


def test_typed_template_syntax_is_shown_literally(literal_report):
    """The report is published; the narrative shows every typed string as typed, and nothing evaluates to 49."""
    text = docx_text(literal_report)
    assert "- Kết quả: " + " | ".join(TYPED) in text.splitlines()
    assert "- Đề xuất, kiến nghị: =SUM(A1)" in text.splitlines()
    lines = [x for x in text.splitlines() if x.startswith(("- Kết quả: a }}", "- Đề xuất, kiến nghị: ="))]
    assert len(lines) == 2 and not any("49" in x for x in lines)


def test_file_name_with_braces_is_shown_literally(literal_report):
    """The annex of sources names the file with its braces, and Ma Nới's report is still valid."""
    sources = next(t for t in docx_tables(literal_report) if any("Mã SHA-256" in r for r in t))
    ma_noi = next(r for r in sources if r[1] == "Xã Ma Nới")
    assert (ma_noi[2], ma_noi[3]) == (FILE_NAME, "1")
    status = next(t for t in docx_tables(literal_report) if any("Kết quả kiểm tra" in r for r in t))
    assert next(r for r in status if r[1] == "Xã Ma Nới")[4] == "Hợp lệ"


def test_values_are_rendered_once_as_escaped_text(config, plan_root, tmp_path):
    """docxtpl renders context values as data: a value that is itself Jinja or XML is not re-parsed, and the
    document's XML holds it escaped."""
    import json

    from pipeline.render.report import audit, build_context, render_docx

    agg = json.loads((plan_root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    context = build_context(agg, config=config, period=config.period("2023-6T"))
    typed = "{{ doc.issuer }} {% for x in units %}X{% endfor %} <b>&</b> {_{ }_}"
    context["synthesis"]["proposals"]["points"] = [typed]
    out = render_docx(context, tmp_path / "r.docx")
    assert "+ " + typed in docx_text(out).splitlines()
    xml = zipfile.ZipFile(out).read("word/document.xml").decode("utf-8")
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in xml
    audit(out, [s["unit_name"] for s in agg["submissions"]])  # tag characters in text are not a fault


def test_audit_still_requires_every_unit(config, plan_root, tmp_path):
    """The audit's remaining check: a configured unit missing from the report is refused, by name."""
    from pipeline.render.report import RenderError, audit

    report = plan_root / "reports" / "2023" / "6T" / "v1" / "bao-cao-2023-6T.docx"
    audit(report, ["xã Ma Nới"])
    with pytest.raises(RenderError, match="xã Không Có"):
        audit(report, ["xã Ma Nới", "xã Không Có"])


def test_context_keys_are_the_known_template_variables(config, plan_root):
    """check_template's list of variables is exactly what build_context provides."""
    import json

    from pipeline.render.report import TEMPLATE_VARIABLES, build_context

    agg = json.loads((plan_root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    assert set(build_context(agg, config=config, period=config.period("2023-6T"))) == TEMPLATE_VARIABLES


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the report template with one text replaced in word/document.xml."""
    from pipeline.render.report import TEMPLATE

    out = tmp_path / "mau.docx"
    with zipfile.ZipFile(TEMPLATE) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                xml = data.decode("utf-8")
                assert old in xml, old
                data = xml.replace(old, new, 1).encode("utf-8")
            dst.writestr(item, data)
    return out


def test_bundled_template_passes_check():
    """The bundled report template passes check_template without a fault."""
    from pipeline.render.report import TEMPLATE, check_template

    check_template(TEMPLATE)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("{{ doc.summary_line }}", "{{ doc.summary_line }",
     r"\(word/document\.xml\), đoạn thứ \d+ «\{\{ doc\.summary_line \}»: thẻ mẫu mở '\{\{' không đóng"),
    ("{{ doc.summary_line }}", "{{ doc.summary_line }} }}", r"mảnh thẻ mẫu '\}\}' lẻ loi trong văn bản; gần: «.*\}\}"),
    ("{{ doc.summary_line }}", "{{ doc_summary_line }}",
     r"\(word/document\.xml\), đoạn thứ \d+ «\{\{ doc_summary_line \}\}»: dùng biến không có trong dữ liệu "
     r"báo cáo: doc_summary_line$"),
    ("V. ĐÁNH GIÁ CHUNG", "V. ĐÁNH GIÁ {</w:t></w:r><w:r><w:t>{ CHUNG",
     r"đoạn thứ \d+ «V\. ĐÁNH GIÁ \{\{ CHUNG»: thẻ mẫu mở '\{\{' không đóng trong cùng đoạn"),
])
def test_broken_template_is_refused_before_rendering(tmp_path, old, new, message):
    """A stray tag fragment (also split across runs), a syntax error or an unknown variable is refused with
    a Vietnamese message naming the part."""
    from pipeline.render.report import TemplateCheckError, check_template

    with pytest.raises(TemplateCheckError, match=message) as err:
        check_template(broken_copy(tmp_path, old, new))
    assert "Mẫu báo cáo mau.docx" in str(err.value)


def test_stage_report_refuses_broken_template_without_rendering(config, plan_root, tmp_path, monkeypatch):
    """With a broken template nothing is rendered into staging."""
    import json

    from pipeline.render import report as render

    monkeypatch.setattr(render, "TEMPLATE", broken_copy(tmp_path, "{{ doc.summary_line }}", "{{ nope }}"))
    agg = json.loads((plan_root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    with pytest.raises(render.TemplateCheckError, match="nope"):
        render.stage_report(agg, config=config, period=config.period("2023-6T"), root=tmp_path / "data")
    assert not list((tmp_path / "data").rglob("*.docx"))
