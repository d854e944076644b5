"""Tests of pipeline/render/report.py: the rendered report and the template it is rendered from.

Figures in Vietnamese format, Decree 30 layout, free text as typed, opens in LibreOffice. Text is data, never
template: what a commune typed, and its file names, show literally in the report and never fail a render or the
audit; a broken template is refused before rendering. The report's wording lives in the template: the variables it
may use are documented, the assessment rules give the expected sentences, word processors' changes to tags are
coped with or named, and a template saved by LibreOffice still renders.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from pipeline import schema
from pipeline.config import load_config
from tests.helpers import docx_tables, docx_text, drop, edited_document_xml, find_row, set_narrative, workspace_at

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "templates" / "README.md"
TYPED = ["a }} b", "{{ 7*7 }}", "{% if x %}", "<w:t>&amp;</w:t>", "{_{ x }_}", "{# c #}"]
FILE_NAME = "bao cao {{ 7*7 }}.xlsx"
# Fixed parts of the report's sentences, headings and cells: in the template, nowhere in code or configuration.
FRAGMENTS = (
    "kính báo cáo", "chiếm tỷ lệ", "không thay đổi", "Chưa đủ số liệu để đánh giá", "Trên đây là báo cáo",
    "Tại thời điểm", "Thực hiện Kế hoạch số", "kết quả rà soát cuối năm", "không nêu khó khăn, vướng mắc",
    "Chưa có báo cáo hợp lệ nào", "Chưa kiểm tra được (lỗi hệ thống)", "tiếp tục hỗ trợ để thoát nghèo",
    "không có khả năng lao động", "Số liệu cộng chưa gồm", "hộ tái nghèo, phát sinh nghèo", "Trễ hạn",
    "Tổng cộng (không kể vốn vay)", "Cộng các đơn vị hợp lệ",
)


@pytest.fixture(scope="module")
def report(plan_root) -> Path:
    path = plan_root / "reports" / "2023" / "6T" / "v1" / "bao-cao-2023-6T.docx"
    assert path.exists()
    return path


def test_plan_figures_in_tables(report):
    """Table cells carry 1.551, 6,39%, 1.381, 5,69%, 0,13%, 2 households / 11 persons and Ma Nới."""
    tables = docx_tables(report)
    cells = {c for t in tables for row in t for c in row}
    for value in ("1.551", "6,39%", "1.381", "5,69%", "0,13%", "Xã Ma Nới"):
        assert value in cells, value
    by_unit = next(t for t in tables if any("Toàn huyện" in r for r in t))
    total = find_row(by_unit, "Toàn huyện")
    assert total[3:9] == ["1.551", "6,39%", "1.381", "5,69%", "2", "11"]
    ma_noi = find_row(by_unit, "Xã Ma Nới")
    assert ma_noi[7:9] == ["2", "11"]
    ncc = next(t for t in tables if any("Hộ nghèo có thành viên là người có công" in r for r in t))
    row = find_row(ncc, "Hộ nghèo có thành viên là người có công")
    assert row[2:5] == ["2", "11", "0,13%"] and row[5:8] == ["2", "11", "0,13%"]


def test_administrative_layout(report):
    """Decree 30/2020 elements: national title, motto, document kind, blank number, draft dateline, Nơi nhận."""
    text = docx_text(report)
    for s in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO", "Nơi nhận",
              "UBND HUYỆN NINH SƠN", "PHÒNG LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI", "TRƯỞNG PHÒNG",
              "- UBND huyện (b/c);", "- Lưu: VT, LĐTBXH."):
        assert s in text, s
    headings = ["I. TÌNH HÌNH HỘ NGHÈO, HỘ CẬN NGHÈO VÀ HỘ CÓ THÀNH VIÊN LÀ NGƯỜI CÓ CÔNG",
                "II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ, GIẢI PHÁP (Mục IV Kế hoạch)",
                "III. KINH PHÍ THỰC HIỆN (Mục V Kế hoạch)", "IV. KẾT QUẢ THỰC HIỆN CÁC MỤC TIÊU (Mục III Kế hoạch)",
                "V. ĐÁNH GIÁ CHUNG", "VI. KIẾN NGHỊ, ĐỀ XUẤT"]
    lines = text.splitlines()
    assert [lines.index(h) for h in headings] == sorted(lines.index(h) for h in headings)
    assert "Số: \u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/BC-LĐTBXH" in text
    assert "Ninh Sơn, ngày      tháng 5 năm 2023" in text
    assert "{{" not in text and "{%" not in text


def test_page_and_font(report):
    """A4 portrait, margins 20/20/30/15 mm, Times New Roman 14 pt body, page number hidden on page 1 only;
    the annex is a landscape section with its page numbered."""
    doc = Document(str(report))
    sec = doc.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    assert [round(x.mm) for x in (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)] == [
        20, 20, 30, 15]
    assert sec.different_first_page_header_footer is True
    annex = doc.sections[-1]
    assert annex.page_width > annex.page_height and annex.different_first_page_header_footer is False
    assert doc.styles["Normal"].font.name == "Times New Roman"
    assert doc.styles["Normal"].font.size.pt == 14
    fonts = {r.font.name for p in doc.paragraphs for r in p.runs if r.text.strip()}
    assert fonts == {"Times New Roman"}


FREE_TEXT = "Thiếu vốn & đất <sản xuất> > 50% hộ\nDòng thứ hai: \"trích dẫn\""


@pytest.fixture(scope="module")
def free_text_report(tmp_path_factory, config) -> Path:
    """The report of a run where Ma Nới, the one unit sending, typed &, <, > and a line break in a free text."""
    from pipeline.orchestrator import run_period

    root = tmp_path_factory.mktemp("free_text")
    inbox = root / "inbox" / "2023-6T"
    drop([ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx"], inbox)
    set_narrative(inbox / "22828_ma_noi.xlsx", "difficulties", FREE_TEXT)
    return Path(run_period(config.period("2023-6T"), config=config, workspace=workspace_at(root)))


def test_free_text_special_characters_and_line_breaks(free_text_report):
    """A free text with &, <, > and a line break shows as typed, in one paragraph."""
    doc = Document(str(free_text_report))
    para = next(p for p in doc.paragraphs if p.text.startswith("- Khó khăn, vướng mắc: Thiếu vốn"))
    assert para.text == "- Khó khăn, vướng mắc: " + FREE_TEXT


@pytest.mark.slow
def test_report_with_special_characters_opens_in_libreoffice(free_text_report, tmp_path):
    """The report holding &, <, > and a line break converts to PDF with LibreOffice. Slow: starts LibreOffice."""
    pdf = convert_to_pdf(free_text_report, tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000


def convert_to_pdf(docx: Path, out_dir: Path) -> Path:
    """Convert with LibreOffice (headless), as the clerk's machine would open it."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is required (make system-deps)"
    out_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{out_dir}/profile", "--convert-to", "pdf",
         "--outdir", str(out_dir), str(docx)],
        capture_output=True, text=True, timeout=180,
    )
    pdf = out_dir / (docx.stem + ".pdf")
    assert result.returncode == 0 and pdf.exists(), result.stdout + result.stderr
    return pdf


@pytest.mark.slow
def test_plan_report_converts_to_pdf(report, tmp_path):
    """The plan report converts to PDF with LibreOffice. Slow: starts LibreOffice."""
    pdf = convert_to_pdf(report, tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")


def test_empty_annex_says_which_units_it_lacks(plan_root, config, tmp_path):
    """No NCC poor or near-poor household listed: a fact when every unit is valid; when a unit is not valid,
    the sentence says the list covers the valid units and names the others."""
    from pipeline.render.report import build_context, render_docx

    period = config.period("2023-6T")
    agg = json.loads((plan_root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    agg["ncc_households"] = []
    context = build_context(agg, config=config, period=period)
    assert context["annexes"]["households"] == [] and context["annexes"]["left_out"] == ""
    text = docx_text(render_docx(context, tmp_path / "all.docx"))
    assert "Không có hộ nghèo, hộ cận nghèo có thành viên là người có công." in text
    ma_noi = next(s for s in agg["submissions"] if s["unit_code"] == "22828")
    ma_noi["status"] = "invalid"
    agg["coverage"]["left_out"] = [{"unit_code": "22828", "unit_name": "xã Ma Nới", "status": "invalid"}]
    context = build_context(agg, config=config, period=period)
    assert context["annexes"]["left_out"] == "xã Ma Nới"
    assert context["scope"] == {"complete": False, "has_data": True, "valid_units": "7", "left_out": "xã Ma Nới"}
    text = docx_text(render_docx(context, tmp_path / "r.docx"))
    assert ("Không có hộ nghèo, hộ cận nghèo có thành viên là người có công trong số các đơn vị có báo cáo hợp lệ; "
            "chưa có số liệu của: xã Ma Nới.") in text
    assert "toàn huyện cùng thời điểm" not in text and "7 đơn vị có báo cáo hợp lệ cùng thời điểm" in text


OFFICES = load_config().offices
UNITS = ["Thị trấn Tân Sơn", "xã Lâm Sơn", "xã Lương Sơn", "xã Quảng Sơn", "xã Mỹ Sơn", "xã Hòa Sơn", "xã Ma Nới",
         "xã Nhơn Sơn"]


def test_units_points_go_under_assessment_and_proposals(report):
    """The eight samples raise the same two difficulties and one proposal: the difficulties are said once each,
    after "8/8 xã, thị trấn" (every unit raised them: counted, not listed), under "Tồn tại, hạn chế", then each
    office's own; the proposal under "VI. KIẾN NGHỊ, ĐỀ XUẤT"; the texts are not pasted unit by unit there."""
    lines = docx_text(report).splitlines()
    units = f"{len(UNITS)}/{len(UNITS)} xã, thị trấn"
    start = lines.index("2. Tồn tại, hạn chế")
    end = lines.index("VI. KIẾN NGHỊ, ĐỀ XUẤT")
    part = lines[start:end]
    i = next(i for i, x in enumerate(part) if x.startswith("- Khó khăn, vướng mắc các đơn vị nêu"))
    assert part[i + 1:i + 3] == [f"+ {units}: Một số hộ thiếu đất sản xuất, thiếu lao động.",
                                 f"+ {units}: Nguồn lực hỗ trợ còn hạn chế."]
    assert part[i + 3] == "- Khó khăn, vướng mắc các cơ quan nêu:"
    # each office's own, by name; the issuer's (carrying "assessment") without it
    assert [x.split(":")[0] for x in part[i + 4:] if ":" in x] == [f"+ {o.name}" for o in OFFICES
                                                                  if "assessment" not in o.parts]
    assert len(part[i + 4:]) == len(OFFICES)
    after = lines[end:lines.index(next(x for x in lines if x.startswith("Trên đây là báo cáo")))]
    assert after[1:3] == ["Đề xuất, kiến nghị của các đơn vị:",
                          f"+ {units}: Đề nghị tiếp tục phân bổ vốn vay ưu đãi và hỗ trợ con giống cho hộ có "
                          "người có công."]


def test_annex_ii_keeps_each_units_text_verbatim(report):
    """Annex II holds every unit's three texts as typed, line breaks kept, under the unit's capitalised name."""
    text = docx_text(report)
    annex = text[text.index("Phụ lục II\nTHUYẾT MINH CỦA CÁC ĐƠN VỊ (NGUYÊN VĂN)"):]
    assert "1. Thị trấn Tân Sơn\n- Kết quả: Đã rà soát, cập nhật danh sách hộ có người có công trên địa bàn thị trấn " \
           "Tân Sơn.\nTổ chức 7 buổi tuyên truyền về chính sách giảm nghèo.\n- Khó khăn, vướng mắc: Một số hộ thiếu " \
           "đất sản xuất, thiếu lao động.\nNguồn lực hỗ trợ còn hạn chế.\n" in annex
    assert "\n7. Xã Ma Nới\n" in annex
    assert annex.count("- Khó khăn, vướng mắc: Một số hộ thiếu đất sản xuất, thiếu lao động.") == 8


def test_unit_names_start_rows_capitalised(report):
    """In table cells a unit's name starts with a capital ("Thị trấn Tân Sơn", "Xã Ma Nới"): in the table by
    unit, the receipt table, annex I and the annex of sources; inside sentences it stays as stored."""
    tables = docx_tables(report)
    by_unit = next(t for t in tables if any("Toàn huyện" in r for r in t))
    assert [r[1] for r in by_unit[2:10]] == [u[:1].upper() + u[1:] for u in UNITS]
    assert by_unit[2][:3] == ["1", "Thị trấn Tân Sơn", "5.272"]
    households = next(t for t in tables if any("Mã hộ" in r for r in t))
    assert [r[1] for r in households[2:] if r[7] == "Nghèo"] == ["Xã Ma Nới", "Xã Ma Nới"]
    assert {r[1] for r in households[2:]} == {u[:1].upper() + u[1:] for u in UNITS}
    assert "tổng số hộ nghèo (xã Ma Nới), số hộ không thay đổi so với ngày 01/01/2023" in docx_text(report)
    assert not [c for t in tables for r in t for c in r if c.startswith(("xã ", "thị trấn "))]


def test_receipt_is_one_sentence_and_the_details_go_to_the_technical_annex(report):
    """The signed copy says in one sentence how many units reported, how many on time and which did not; the
    receipt table (received / on time / valid per unit), the timeliness table and the sources (file, version,
    arrival, SHA-256) are in the technical annex beside it, never in the report."""
    text = docx_text(report)
    assert "8/8 xã, thị trấn đã gửi báo cáo kỳ 6 tháng đầu năm 2023, 0 báo cáo đúng hạn; gửi trễ hạn: thị trấn " \
           "Tân Sơn" in text
    assert re.search(r"mã [0-9a-f]{8}|\.xlsx|phiên bản|SHA-256|Bảng 7a|Kết quả kiểm tra", text) is None
    technical = report.with_name("bao-cao-2023-6T-ky-thuat.docx")
    tables = docx_tables(technical)
    status = next(t for t in tables if any("Kết quả kiểm tra" in r for r in t))
    assert status[0] == ["TT", "Đơn vị", "Tiếp nhận", "Thời hạn", "Kết quả kiểm tra"]
    assert status[1] == ["1", "Thị trấn Tân Sơn", "Đã nhận", "Trễ hạn", "Hợp lệ"]
    assert len(status) == 9 and all(r[2:] == ["Đã nhận", "Trễ hạn", "Hợp lệ"] for r in status[1:])
    assert "PHỤ LỤC KỸ THUẬT" in docx_text(technical)
    agg = json.loads((report.parents[4] / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    body_cells = [c for t in docx_tables(report) for r in t for c in r]
    assert not [c for c in body_cells if ".xlsx" in c or any(s["sha256"][:8] in c for s in agg["submissions"])]
    sources = next(t for t in tables if any("Mã SHA-256" in r for r in t))
    assert sources[0] == ["TT", "Đơn vị", "Tệp số liệu", "Phiên bản", "Thời điểm nhận", "Thời hạn", "Mã SHA-256",
                          "Ghi chú"]
    tan_son = agg["submissions"][0]
    hashes = [s["sha256"][:8] for s in agg["submissions"]]
    cells = [c for t in tables if t is not sources for r in t for c in r]
    assert not [c for c in cells if any(h in c for h in hashes) or ".xlsx" in c]
    import datetime as dt

    arrived = dt.datetime.fromisoformat(tan_son["received_at"]).astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert sources[1] == ["1", "Thị trấn Tân Sơn", "22810_tan_son.xlsx", "1", arrived.strftime("%d/%m/%Y %H:%M"),
                          "Trễ hạn", tan_son["sha256"], "0 lỗi, 0 cảnh báo"]
    assert [r[2] for r in sources[1:]] == [s["file"] for s in agg["submissions"]]


def test_core_properties_name_the_office_title_and_a_fixed_time(report, config):
    """File properties: the issuing office as author (not "python-docx"), the report's title and period, and
    created = modified = the latest arrival of the files used (from the aggregates, not the clock)."""
    import datetime as dt

    props = Document(str(report)).core_properties
    assert props.author == "PHÒNG LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI, UBND HUYỆN NINH SƠN"
    assert props.last_modified_by == props.author
    assert props.title == ("Báo cáo kết quả thực hiện Kế hoạch giảm nghèo đối với hộ nghèo có thành viên là người "
                           "có công với cách mạng 6 tháng đầu năm 2023")
    assert props.subject == "Kỳ báo cáo 6 tháng đầu năm 2023 (2023-6T), số liệu đến ngày 30/04/2023"
    assert "python-docx" not in (props.comments + props.author)
    agg = json.loads((report.parents[4] / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    latest = max(dt.datetime.fromisoformat(s["received_at"]) for s in agg["submissions"]).replace(microsecond=0)
    assert props.created == props.modified == latest.astimezone(dt.UTC)
    from pipeline.render.report import document_properties  # the same inputs later: the same properties

    assert document_properties(agg, config=config, period=config.period("2023-6T"))["created"] == props.created


def test_core_time_without_any_file_is_the_cutoff(config, plan_root):
    """No file received: created is 00:00 of the cut-off date, Vietnam time (30/04/2023 00:00 = 29/04 17:00 UTC)."""
    import datetime as dt

    from pipeline.render.report import document_properties

    agg = json.loads((plan_root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    for s in agg["submissions"]:
        s["received_at"] = None
    props = document_properties(agg, config=config, period=config.period("2023-6T"))
    assert props["created"] == props["modified"] == dt.datetime(2023, 4, 29, 17, 0, tzinfo=dt.UTC)


# --- Text is data, never template ----------------------------------------------------------------------

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
    technical = literal_report.with_name(literal_report.name.replace(".docx", "-ky-thuat.docx"))
    sources = next(t for t in docx_tables(technical) if any("Mã SHA-256" in r for r in t))
    ma_noi = next(r for r in sources if r[1] == "Xã Ma Nới")
    assert (ma_noi[2], ma_noi[3]) == (FILE_NAME, "1")
    status = next(t for t in docx_tables(technical) if any("Kết quả kiểm tra" in r for r in t))
    assert next(r for r in status if r[1] == "Xã Ma Nới")[4] == "Hợp lệ"


def test_values_are_rendered_once_as_escaped_text(config, plan_root, tmp_path):
    """docxtpl renders context values as data: a value that is itself Jinja or XML is not re-parsed, and the
    document's XML holds it escaped."""
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
     r"\(word/document\.xml\), đoạn thứ \d+ «\{\{ doc\.summary_line \}.*»: thẻ mẫu mở '\{\{' không đóng"),
    ("{{ doc.summary_line }}", "{{ doc.summary_line }} }}", r"mảnh thẻ mẫu '\}\}' lẻ loi trong văn bản; gần: «.*\}\}"),
    ("{{ doc.summary_line }}", "{{ doc_summary_line }}",
     r"\(word/document\.xml\), đoạn thứ \d+ «\{\{ doc_summary_line \}\}.*»: dùng biến không có trong dữ liệu "
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
    from pipeline.render import report as render

    monkeypatch.setattr(render, "TEMPLATE", broken_copy(tmp_path, "{{ doc.summary_line }}", "{{ nope }}"))
    agg = json.loads((plan_root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    with pytest.raises(render.TemplateCheckError, match="nope"):
        render.stage_report(agg, config=config, period=config.period("2023-6T"), root=tmp_path / "data")
    assert not list((tmp_path / "data").rglob("*.docx"))


# --- The wording lives in the template -----------------------------------------------------------------

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
        top = {f for f in fields if "." not in f}
        if value == []:  # no row this period (no commune decision in 2023-6T): the documented fields only
            assert top == TEMPLATE_FIELDS[name], name
            continue
        sample = value[0] if isinstance(value, list) else value
        assert top == set(sample) == TEMPLATE_FIELDS[name], name
        assert {f.split(".")[0] for f in fields} <= set(sample), name


def test_fixed_wording_is_in_the_template_only():
    """The characteristic fixed parts of the report's sentences are in the .docx (runs joined) and in no code or
    configuration file."""
    from pipeline.render.report import TECHNICAL_TEMPLATE, TEMPLATE, document_text

    text = document_text(TEMPLATE) + "\n" + document_text(TECHNICAL_TEMPLATE)
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
    assert ("- Còn 2 hộ nghèo có thành viên là người có công (xã Ma Nới), tiếp tục hỗ trợ để đạt mục tiêu không còn "
            "hộ nghèo có người có công đến cuối năm 2023; số hộ không thay đổi so với ngày 01/01/2023."
            ) in text.splitlines()  # a year-end target mid-year: in progress, not failed
    targets = next(t for t in docx_tables(tmp_path / "a.docx") if any("Mục tiêu" in r for r in t))
    assert find_row(targets, "1")[2:] == ["Còn 2 hộ nghèo có người có công",
                                          "Đang thực hiện: còn 2 hộ, tiếp tục hỗ trợ để thoát nghèo trước 31/12/2023"]
    assert find_row(targets, "2")[2:] == ["Không có hộ tái nghèo, phát sinh nghèo", "Đạt"]
    assert "(mục tiêu 2 của Kế hoạch đạt)" in text and "(mục tiêu 1 của Kế hoạch đạt)" not in text

    escaped = json.loads(json.dumps(agg))
    escaped["district"]["ncc_poor_households_current"] = 0
    escaped["district"]["ncc_poor_persons_current"] = 0
    escaped["annex"] = [dict(a, status_current="near_poor") for a in escaped["annex"]]
    t1 = next(t for t in escaped["targets"] if t["code"] == "no_ncc_poor")
    t1.update(value=0, met=True)
    text = docx_text(render_docx(build_context(escaped, config=config, period=period), tmp_path / "b.docx"))
    assert ("Đến ngày 30/04/2023, toàn huyện không còn hộ nghèo có thành viên là người có công với cách mạng, số hộ "
            "giảm 2 hộ so với ngày 01/01/2023; 23 hộ cận nghèo có thành viên là người có công, số hộ không thay "
            "đổi.") in text.splitlines()  # zero in words, never "có 0 hộ … chiếm tỷ lệ 0%"
    targets = next(t for t in docx_tables(tmp_path / "b.docx") if any("Mục tiêu" in r for r in t))
    assert find_row(targets, "1")[2:] == ["Không còn hộ nghèo có người có công", "Đạt"]
    assert "- Số hộ nghèo có thành viên là người có công giảm 2 hộ so với ngày 01/01/2023." in text.splitlines()
    assert "(mục tiêu 1 của Kế hoạch đạt)" in text and "- Còn 2 hộ nghèo có thành viên" not in text

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
    return edited_document_xml(source, tmp_path / name, edit)


@pytest.mark.parametrize("quotes", [("\u2018", "\u2019"), ("&apos;", "&apos;"), ("\u201c", "\u201d")])
def test_quotes_changed_by_a_word_processor_still_work(config, plan_root, tmp_path, quotes):
    """Typographic quotes typed by autocorrect, or the entity LibreOffice writes, inside a tag: the template
    passes the check and renders as before."""
    from pipeline.render.report import build_context, check_template, render_docx

    left, right = quotes
    template = _edited(tmp_path, ROOT / "templates" / "bao_cao_ky.docx",
                       lambda x: x.replace("r.code == 'baseline'", f"r.code == {left}baseline{right}"))
    check_template(template)
    out = render_docx(build_context(_agg(plan_root), config=config, period=config.period("2023-6T")),
                      tmp_path / "r.docx", template=template)
    kinds = next(t for t in docx_tables(out) if any("Loại biến động" in r for r in t))
    assert kinds[1][:2] == ["1", "Số hộ tại ngày 01/01/2023"]


def _move_first_endfor_row(xml: str) -> str:
    """The row holding the first {%tr endfor %} (table 1, by unit) moved into the next table."""
    row = next(re.finditer(r"<w:tr>(?:(?!<w:tr>).)*?\{%tr endfor %\}.*?</w:tr>", xml, re.DOTALL))
    rest = xml[:row.start()] + xml[row.end():]
    at = rest.index("<w:tr>", rest.index("</w:tbl>", row.start()))
    return rest[:at] + row.group(0) + rest[at:]


@pytest.mark.parametrize(("edit", "message"), [
    (lambda x: x.replace("{{ period.year }} không còn", "{{ period.year – 1 }} không còn", 1),
     r"bảng thứ 12 «Bảng 8\. Tiến độ thực hiện các mục tiêu đến ngày \{\{ period\.cutoff \}\}.*», dòng 2, ô 2: "
     r"thẻ mẫu «\{\{ period\.year – 1 \}\}» bị sửa hoặc gõ sai"),
    (_move_first_endfor_row,
     r"bảng thứ 3 «Bảng 1a\. Đối chiếu số hộ tại ngày \{\{ period\.baseline \}\} của đơn vị mới với các đơn vị cũ», "
     r"dòng 1, ô 1: thẻ «\{%tr endfor %\}» "
     r"không có thẻ mở tương ứng trong cùng bảng"),
    (lambda x: x.replace("{{ district.poor_rate }}, số hộ", "{{ district.</w:t></w:r></w:p><w:p><w:r><w:t>"
                                                               "poor_rate }}, số hộ", 1),
     r"đoạn thứ \d+ «Đến ngày \{\{ period\.cutoff \}\}, .*»: thẻ mẫu mở '\{\{' không đóng trong cùng đoạn"),
    (lambda x: x.replace("{{ district.poor_rate }}, số hộ", "{{ district.poor_rat }}, số hộ", 1),
     r"đoạn thứ \d+ «Đến ngày .*»: dùng trường không có trong dữ liệu báo cáo: district\.poor_rat \(danh sách"),
    (lambda x: x.replace("r.code == 'baseline'", "r.cod == 'baseline'", 1),
     r"bảng thứ 5 «Bảng 3\. .*», dòng 3, ô 2: dùng trường không có trong dữ liệu báo cáo: r\.cod \("),
    (lambda x: x.replace("{{ funds.total }}", "{{ fund.total }}", 1),
     r"bảng thứ 11 «Bảng 7\. Kinh phí huy động theo nguồn.*», dòng 5, ô 3: dùng biến không có trong dữ liệu báo "
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
    same text as the original (figures included), and a misspelt variable typed into it is named.
    Slow: starts LibreOffice."""
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
                   "Đang thực hiện: còn 2 hộ", "tổ chức 66 buổi tuyên truyền"):
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


def test_the_report_is_the_office_of_its_periods_stage(config):
    """A setup whose hierarchy changes on 01/07/2025: the 2025 6-month report (cut-off 30/04) is the district
    Labour office's to the district People's Committee, the 9-month one (cut-off 31/07) the province
    department's to the province People's Committee, each in its own words."""
    import dataclasses
    import datetime as dt

    from pipeline.config import load_config
    from pipeline.render.report import _document

    province = load_config(ROOT / "config" / "khanh_hoa_2026.yaml")
    setup = dataclasses.replace(config, stages=({"valid_from": dt.date(2025, 7, 1), "valid_to": dt.date(9999, 12, 31),
                                                 "document": province.document, "wording": province.wording},))
    six, nine = setup.period("2025-6T"), setup.period("2025-9T")
    assert (_document(setup, six)["issuer_parent"], _document(setup, six)["recipient_of_report"]) == (
        "UBND HUYỆN NINH SƠN", "Ủy ban nhân dân huyện")
    assert (_document(setup, nine)["issuer_parent"], _document(setup, nine)["recipient_of_report"],
            _document(setup, nine)["number_suffix"]) == ("UBND TỈNH KHÁNH HÒA", "Ủy ban nhân dân tỉnh", "/BC-SNNMT")
    assert setup.words(nine.cutoff)["whole_area_start"] == "Toàn tỉnh"


def test_a_long_table_may_run_on_across_pages():
    """A table of 30 rows whose paragraphs all keep with the next (as the template's tables do) loses that keep in
    its body rows but the first two after the heading and the last two; a table of 20 rows keeps every keep."""
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    from pipeline.render.report import let_long_tables_split

    doc = Document()
    for rows in (30, 20):
        table = doc.add_table(rows=rows, cols=2)
        for row in table.rows:
            for cell in row.cells:
                cell.paragraphs[0].paragraph_format.keep_with_next = True
        table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    assert let_long_tables_split(doc.element.body) == 1
    long, short = doc.tables
    kept = [all(c.paragraphs[0].paragraph_format.keep_with_next for c in r.cells) for r in long.rows]
    assert kept == [True] * 3 + [False] * 25 + [True] * 2
    assert all(c.paragraphs[0].paragraph_format.keep_with_next for r in short.rows for c in r.cells)
    assert long.rows[0]._tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None
