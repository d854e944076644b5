"""The rendered report: figures in Vietnamese format, Decree 30 layout, free text as typed, opens in LibreOffice."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document

from tests.helpers import docx_tables, docx_text, drop, find_row, set_narrative, workspace_at

ROOT = Path(__file__).resolve().parents[3]


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


def test_free_text_special_characters_and_line_breaks(tmp_path, config):
    """A free text with &, <, > and a line break shows as typed and the report opens in LibreOffice."""
    from pipeline.orchestrator import run_period

    inbox = tmp_path / "inbox" / "2023-6T"
    drop(sorted((ROOT / "samples" / "2023-6T").glob("*.xlsx")), inbox)
    typed = "Thiếu vốn & đất <sản xuất> > 50% hộ\nDòng thứ hai: \"trích dẫn\""
    set_narrative(inbox / "22828_ma_noi.xlsx", "difficulties", typed)
    report = Path(run_period(config.period("2023-6T"), config=config, workspace=workspace_at(tmp_path)))
    doc = Document(str(report))
    para = next(p for p in doc.paragraphs if p.text.startswith("- Khó khăn, vướng mắc: Thiếu vốn"))
    assert para.text == "- Khó khăn, vướng mắc: " + typed
    pdf = convert_to_pdf(report, tmp_path / "pdf")
    assert pdf.stat().st_size > 10_000


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


def test_plan_report_converts_to_pdf(report, tmp_path):
    """The plan report converts to PDF with LibreOffice."""
    pdf = convert_to_pdf(report, tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")


def test_empty_annex_says_which_units_it_lacks(plan_root, config, tmp_path):
    """No NCC poor or near-poor household listed: a fact when every unit is valid; when a unit is not valid,
    the sentence says the list covers the valid units and names the others."""
    import json

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


UNITS = ["Thị trấn Tân Sơn", "xã Lâm Sơn", "xã Lương Sơn", "xã Quảng Sơn", "xã Mỹ Sơn", "xã Hòa Sơn", "xã Ma Nới",
         "xã Nhơn Sơn"]


def test_units_points_go_under_assessment_and_proposals(report):
    """The eight samples raise the same two difficulties and one proposal: the difficulties are said once each,
    after the eight units' names (the first capitalised), under "Tồn tại, hạn chế"; the proposal under "VI.
    KIẾN NGHỊ, ĐỀ XUẤT"; the texts are not pasted unit by unit there."""
    lines = docx_text(report).splitlines()
    units = ", ".join(UNITS)
    start = lines.index("2. Tồn tại, hạn chế")
    end = lines.index("VI. KIẾN NGHỊ, ĐỀ XUẤT")
    part = lines[start:end]
    i = next(i for i, x in enumerate(part) if x.startswith("- Khó khăn, vướng mắc các đơn vị nêu"))
    assert part[i + 1:i + 3] == [f"+ {units}: Một số hộ thiếu đất sản xuất, thiếu lao động.",
                                 f"+ {units}: Nguồn lực hỗ trợ còn hạn chế."]
    assert part[i + 3].startswith("[Chuyên viên bổ sung: ")
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
    assert [r[1] for r in households[2:] if r[5] == "Nghèo"] == ["Xã Ma Nới", "Xã Ma Nới"]
    assert {r[1] for r in households[2:]} == {u[:1].upper() + u[1:] for u in UNITS}
    assert "tổng số hộ nghèo (xã Ma Nới), số hộ không thay đổi so với ngày 01/01/2023" in docx_text(report)
    assert not [c for t in tables for r in t for c in r if c.startswith(("xã ", "thị trấn "))]


def test_receipt_table_says_received_on_time_valid_only(report):
    """The body's receipt table: received / on time / valid per unit, no file name, version or hash; those,
    with the arrival time, are in the annex "Nguồn số liệu"."""
    import json

    tables = docx_tables(report)
    status = next(t for t in tables if any("Kết quả kiểm tra" in r for r in t))
    assert status[0] == ["TT", "Đơn vị", "Tiếp nhận", "Thời hạn", "Kết quả kiểm tra"]
    assert status[1] == ["1", "Thị trấn Tân Sơn", "Đã nhận", "Trễ hạn", "Hợp lệ"]
    assert len(status) == 9 and all(r[2:] == ["Đã nhận", "Trễ hạn", "Hợp lệ"] for r in status[1:])
    text = docx_text(report)
    body = text[:text.index("Phụ lục III\nNGUỒN SỐ LIỆU")]
    assert re.search(r"mã [0-9a-f]{8}|\.xlsx|phiên bản \d", body) is None
    agg = json.loads((report.parents[4] / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    sources = next(t for t in tables if any("Mã SHA-256" in r for r in t))
    assert sources[0] == ["TT", "Đơn vị", "Tệp số liệu", "Phiên bản", "Thời điểm nhận", "Thời hạn", "Mã SHA-256",
                          "Ghi chú"]
    tan_son = agg["submissions"][0]
    hashes = [s["sha256"][:8] for s in agg["submissions"]]
    cells = [c for t in tables if t is not sources for r in t for c in r]
    assert not [c for c in cells + [body] if any(h in c for h in hashes) or ".xlsx" in c]
    import datetime as dt

    arrived = dt.datetime.fromisoformat(tan_son["received_at"]).astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert sources[1] == ["1", "Thị trấn Tân Sơn", "22810_tan_son.xlsx", "1", arrived.strftime("%d/%m/%Y %H:%M"),
                          "Trễ hạn", tan_son["sha256"], "0 lỗi, 0 cảnh báo"]
    assert [r[2] for r in sources[1:]] == [s["file"] for s in agg["submissions"]]


def test_core_properties_name_the_office_title_and_a_fixed_time(report, config):
    """File properties: the issuing office as author (not "python-docx"), the report's title and period, and
    created = modified = the latest arrival of the files used (from the aggregates, not the clock)."""
    import datetime as dt
    import json

    props = Document(str(report)).core_properties
    assert props.author == "PHÒNG LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI, UBND HUYỆN NINH SƠN"
    assert props.last_modified_by == props.author
    assert props.title == ("Báo cáo kết quả thực hiện 6 tháng đầu năm 2023 Kế hoạch giảm nghèo đối với hộ nghèo có "
                           "thành viên là người có công với cách mạng")
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
    import json

    from pipeline.render.report import document_properties

    agg = json.loads((plan_root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    for s in agg["submissions"]:
        s["received_at"] = None
    props = document_properties(agg, config=config, period=config.period("2023-6T"))
    assert props["created"] == props["modified"] == dt.datetime(2023, 4, 29, 17, 0, tzinfo=dt.UTC)
