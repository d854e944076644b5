"""The rendered report: figures in Vietnamese format, Decree 30 layout, free text as typed, opens in LibreOffice."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document

from tests.helpers import docx_tables, docx_text, drop, find_row, set_narrative

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def report(plan_root) -> Path:
    path = plan_root / "reports" / "2023" / "6T" / "bao-cao-2023-6T.docx"
    assert path.exists()
    return path


def test_plan_figures_in_tables(report):
    """Table cells carry 1.551, 6,39%, 1.381, 5,69%, 0,13%, 2 households / 11 persons and Ma Nới."""
    tables = docx_tables(report)
    cells = {c for t in tables for row in t for c in row}
    for value in ("1.551", "6,39%", "1.381", "5,69%", "0,13%", "xã Ma Nới"):
        assert value in cells, value
    by_unit = next(t for t in tables if any("Toàn huyện" in r for r in t))
    total = find_row(by_unit, "Toàn huyện")
    assert total[3:9] == ["1.551", "6,39%", "1.381", "5,69%", "2", "11"]
    ma_noi = find_row(by_unit, "xã Ma Nới")
    assert ma_noi[7:9] == ["2", "11"]
    ncc = next(t for t in tables if any("Hộ nghèo có thành viên là người có công" in r for r in t))
    row = find_row(ncc, "Hộ nghèo có thành viên là người có công")
    assert row[2:5] == ["2", "11", "0,13%"] and row[5:8] == ["2", "11", "0,13%"]


def test_administrative_layout(report):
    """Decree 30/2020 elements: national title, motto, document kind, blank number, draft dateline, Nơi nhận."""
    text = docx_text(report)
    for s in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO", "Nơi nhận",
              "UBND HUYỆN NINH SƠN", "PHÒNG LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI", "TRƯỞNG PHÒNG",
              "I. KẾT QUẢ THỰC HIỆN", "II. TÌNH HÌNH BÁO CÁO", "- UBND huyện (b/c);", "- Lưu: VT, LĐTBXH."):
        assert s in text, s
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
    from pipeline.periodic import run_period

    inbox = tmp_path / "inbox" / "2023-6T"
    drop(sorted((ROOT / "samples" / "2023-6T").glob("*.xlsx")), inbox)
    typed = "Thiếu vốn & đất <sản xuất> > 50% hộ\nDòng thứ hai: \"trích dẫn\""
    set_narrative(inbox / "22828_ma_noi.xlsx", "difficulties", typed)
    report = Path(run_period(config.period("2023-6T"), config=config, root=tmp_path))
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
    """No NCC poor household listed: a fact when every unit is valid; when the only unit that had them is not
    valid, the sentence says the list covers the valid units and names the others."""
    import json

    from pipeline.render import build_context, render_docx

    period = config.period("2023-6T")
    agg = json.loads((plan_root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    agg["annex"] = []
    assert build_context(agg, config=config, period=period)["annex_empty"] == (
        "Không có hộ nghèo có thành viên là người có công.")
    ma_noi = next(s for s in agg["submissions"] if s["unit_code"] == "22828")
    ma_noi["status"] = "invalid"
    context = build_context(agg, config=config, period=period)
    assert context["annex_empty"] == ("Không có hộ nghèo có thành viên là người có công trong số các đơn vị có báo "
                                      "cáo hợp lệ; chưa có số liệu của: xã Ma Nới.")
    text = docx_text(render_docx(context, tmp_path / "r.docx"))
    assert context["annex_empty"] in text and "toàn huyện cùng thời điểm" not in text
