"""Submission workbooks written in the template's layout (pipeline/staff/form.py): sheets, labels, values as the
reader expects them and the input rules of each column."""

from __future__ import annotations

import datetime as dt
import shutil
import stat
import subprocess
import unicodedata

import pytest
from openpyxl import load_workbook

from pipeline import schema
from pipeline.staff.form import LEGEND_TITLES, write_office_workbook, write_submission

UNITS = ["22810 – Thị trấn Tân Sơn", "22813 – Xã Lâm Sơn", "22816 – Xã Lương Sơn", "22819 – Xã Quảng Sơn",
         "22822 – Xã Mỹ Sơn", "22825 – Xã Hòa Sơn", "22828 – Xã Ma Nới", "22831 – Xã Nhơn Sơn"]
PERIODS = '"6 tháng đầu năm 2023,9 tháng đầu năm 2023,Năm 2023"'
SHEETS = ["Hướng dẫn", "Thông tin chung", "Tổng hợp", "Danh sách hộ NCC", "Thành viên NCC", "Thuyết minh"]


@pytest.fixture
def filled(config, tmp_path):
    """A workbook for xã Ma Nới with one household, one member, two summary figures and a two-line narrative, input
    rules on 10 rows."""
    path = write_submission(
        tmp_path / "22828_ma_noi.xlsx",
        general={"unit_code": "22828", "unit_name": "xã Ma Nới", "period": "2023-6T",
                 "prepared_on": dt.date(2023, 5, 3)},
        summary={"poor_households": (120, 118), "outreach_sessions": (9, 4)},
        roster=[{"no": 99, "household_code": "22828-0001", "head_name": "Nguyễn Văn A", "members_count": 4,
                 "working_capacity": True, "d01": False, "decision_date": dt.date(2023, 2, 1),
                 "income_vnd_per_person_month": 1_400_000}],
        members=[{"household_code": "22828-0001", "relation": "Chủ hộ", "category": "a"}],
        narrative={"results": "Dòng 1\nDòng 2"},
        title_period="6 tháng đầu năm 2023", config=config, rows=10)
    return load_workbook(path)


def _rules(ws) -> list[tuple[str, str | None, str | None, str]]:
    return [(dv.type, dv.formula1, dv.formula2, str(dv.sqref)) for dv in ws.data_validations.dataValidation]


def _listed(wb, formula: str) -> list[str]:
    """The values a list rule offers: its own list, or the hidden sheet's column it names."""
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    column = formula.split("!")[1].split(":")[0].replace("$", "").rstrip("0123456789")
    return [c.value for c in wb["Danh mục"][column] if c.value is not None]


def _text(ws) -> str:
    return "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)


def test_the_blank_template_has_the_guide_first_the_five_sheets_and_the_general_labels(config, tmp_path):
    """With no data: "Hướng dẫn" first (and active), the five sheets in order, the hidden lists last; each general
    label in column A from row 4 with its note in C, the value column empty, the leader's confirmation below."""
    path = write_submission(tmp_path / "mau.xlsx", config=config)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    wb = load_workbook(path)
    assert wb.sheetnames == [*SHEETS, "Danh mục"] and wb["Danh mục"].sheet_state == "hidden"
    assert wb.active.title == "Hướng dẫn"
    ws = wb["Thông tin chung"]
    assert ws["A2"].value == "Điền vào cột B; không sửa cột A."
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=4, max_row=9)] == [
        ["Mã đơn vị (mã hành chính)", None, "chọn trong danh sách, ví dụ 22828 – Xã Ma Nới (hoặc gõ mã 5 chữ số)"],
        ["Tên đơn vị", None, "ví dụ: xã Ma Nới"],
        ["Kỳ báo cáo", None, "chọn trong danh sách, ví dụ 6 tháng đầu năm 2023"], ["Người lập biểu", None, None],
        ["Số điện thoại", None, None], ["Ngày lập", None, "dd/mm/yyyy"]]
    assert [ws.cell(r, 1).value for r in range(11, 16)] == [
        "XÁC NHẬN CỦA LÃNH ĐẠO ĐƠN VỊ", "Họ và tên lãnh đạo đơn vị", "Chức vụ", "Chữ ký, đóng dấu", "Ngày ký xác nhận"]
    assert ws.row_dimensions[14].height >= 60  # room to sign and stamp on the printed copy
    assert ws["B4"].number_format == "@"
    assert wb["Danh sách hộ NCC"].max_row == schema.ROSTER_HEADER_ROW


def _guide_legend(ws, title: str) -> list[tuple[str, str | None]]:
    """The (code, meaning) pairs printed under ``title`` in the guide, row by row, left pair then right pair."""
    [start] = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == title]
    spans = {m.min_row for m in ws.merged_cells.ranges if m.min_col == 1 and m.max_col == 4}
    out = []
    for r in range(start + 1, ws.max_row + 1):
        if r in spans:
            break  # the next line of text or heading spans A:D
        out += [(ws.cell(r, c).value, ws.cell(r, c + 1).value) for c in (1, 3) if ws.cell(r, c).value is not None]
    return out


def test_the_guides_legends_are_the_configurations(config, tmp_path):
    """The guide's legends are the configuration's lists in its order: NCC categories by letter and name, the
    statuses, the kinds of change with the statuses they connect, the 12 deprivation indicators of Decree 07/2021;
    the three cut-offs and deadlines, the household code's form, where to send and the annotated copy."""
    ws = load_workbook(write_submission(tmp_path / "mau.xlsx", config=config))["Hướng dẫn"]
    ref = config.reference
    assert _guide_legend(ws, LEGEND_TITLES["ncc_categories"]) == [
        (c["code"], c["label"]) for c in ref["ncc_categories"]]
    assert [code for code, _ in _guide_legend(ws, LEGEND_TITLES["statuses"])] == [s["label"] for s in ref["statuses"]]
    changes = _guide_legend(ws, LEGEND_TITLES["change_kinds"])
    assert [label for label, _ in changes] == [k["label"] for k in ref["change_kinds"]]
    assert dict(changes)["Thoát nghèo"] == "Nghèo → Cận nghèo / Mức sống trung bình / Không nghèo"
    assert _guide_legend(ws, LEGEND_TITLES["indicators"]) == [
        (str(i), x["label"]) for i, x in enumerate(ref["indicators"], 1)]
    text = _text(ws)
    assert unicodedata.is_normalized("NFC", text)
    assert "30/4 (báo cáo 6 tháng đầu năm); 31/7 (báo cáo 9 tháng đầu năm); 31/10 (báo cáo năm)" in text
    assert "trước 00 giờ ngày 05/5 (báo cáo 6 tháng đầu năm), 05/8 (báo cáo 9 tháng đầu năm), 05/11" in text
    assert "ví dụ 22810-0001" in text and '"Góp ý"' in text and "Phòng LĐ-TB&XH huyện Ninh Sơn" in text


def test_a_periods_guide_gives_its_own_cut_off_and_deadline(config, tmp_path):
    """Written for 2023-9T, the guide names its cut-off 31/07/2023 and deadline 05/08/2023, the title its name."""
    wb = load_workbook(write_submission(tmp_path / "mau.xlsx", config=config, period="2023-9T"))
    text = _text(wb["Hướng dẫn"])
    assert "Tại ngày chốt số liệu: ngày 31/07/2023." in text
    assert "trước 00 giờ ngày 05/08/2023 (báo cáo 9 tháng đầu năm 2023)" in text
    assert wb["Thông tin chung"]["A2"].value == "Kỳ báo cáo: 9 tháng đầu năm 2023"


def test_every_sheet_prints_on_a4_at_60_percent_or_more_with_its_headers_repeated(config, tmp_path):
    """Every visible sheet: A4 at a fixed scale of at least 60 % (never fit-to-page); tables repeat their header
    row; the roster prints landscape, repeats STT, Mã hộ, Họ và tên chủ hộ and breaks before the first flag."""
    wb = load_workbook(write_submission(tmp_path / "mau.xlsx", config=config))
    for ws in wb.worksheets:
        if ws.sheet_state == "visible":
            assert ws.page_setup.paperSize == 9, ws.title
            assert ws.page_setup.scale >= 60 and not ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
    roster = wb["Danh sách hộ NCC"]
    assert roster.page_setup.orientation == "landscape"
    assert (roster.print_title_rows, roster.print_title_cols) == ("$4:$4", "$A:$C")
    assert [b.id for b in roster.col_breaks.brk] == [15] and roster.cell(4, 16).value == "Thiếu hụt: Việc làm"
    assert wb["Tổng hợp"].print_title_rows == "$4:$4" and wb["Hướng dẫn"].page_setup.orientation == "portrait"


def test_the_committed_templates_are_what_the_writers_make(config, tmp_path):
    """templates/mau_bao_cao_don_vi.xlsx and mau_bao_cao_co_quan.xlsx hold what the writers make today (sheets,
    cells, drop-down lists): rebuilt with `make template` after a change of the form."""
    from tests.conftest import ROOT

    def content(path):
        return [(ws.title, [[c.value for c in row] for row in ws.iter_rows()],
                 sorted((dv.type, dv.formula1, str(dv.sqref)) for dv in ws.data_validations.dataValidation))
                for ws in load_workbook(path).worksheets]

    assert content(ROOT / "templates" / "mau_bao_cao_don_vi.xlsx") == content(
        write_submission(tmp_path / "c.xlsx", config=config))
    assert content(ROOT / "templates" / "mau_bao_cao_co_quan.xlsx") == content(
        write_office_workbook(tmp_path / "o.xlsx", config=config))


def test_general_values_and_their_input_rules(filled):
    """The title names the period; the unit code and the period are written as their drop-down values; a date as
    text dd/mm/yyyy; the unit list is "code – full name", the period list the plan year's periods by name."""
    ws = filled["Thông tin chung"]
    assert ws["A2"].value == "Kỳ báo cáo: 6 tháng đầu năm 2023"
    assert [ws.cell(r, 2).value for r in range(4, 10)] == ["22828 – Xã Ma Nới", "xã Ma Nới", "6 tháng đầu năm 2023",
                                                           None, None, "03/05/2023"]
    rules = {sqref: (kind, f1, f2) for kind, f1, f2, sqref in _rules(ws)}
    assert _listed(filled, rules["B4"][1]) == UNITS
    assert rules["B6"] == ("list", PERIODS, None)
    assert rules["B8"] == ("textLength", "10", "11")
    assert rules["B9"][0] == "custom" and rules["B15"][0] == "custom"  # dd/mm/yyyy as typed


def test_summary_rows_keep_the_baseline_of_both_timed_indicators_only(filled):
    """Indicators are numbered from row 5; a cumulative indicator's 01/01 cell stays empty (and grey) even when a
    value is given; figures are whole numbers with a thousands format under one rule."""
    ws = filled["Tổng hợp"]
    assert [c.value for c in ws[6]] == [2, "Số hộ nghèo", "hộ", 120, 118]
    row = 4 + next(i for i, ind in enumerate(schema.SUMMARY_INDICATORS, 1) if ind.key == "outreach_sessions")
    assert [c.value for c in ws[row]] == [10, "Số buổi tuyên truyền, vận động", "buổi", None, 4]
    assert ws.cell(row, 4).fill.fgColor.rgb == "00D9D9D9"
    assert ws["E6"].number_format == "#,##0"
    last = 4 + len(schema.SUMMARY_INDICATORS)
    assert _rules(ws) == [("whole", "0", str(10**13), f"D5:E{last}")]


def test_roster_values_as_the_reader_expects_them(filled):
    """Rows are numbered 1… whatever "no" says; a flag is "x" or empty; a date is text; codes keep the text format,
    money the thousands format; the panes freeze after the household code."""
    ws = filled["Danh sách hộ NCC"]
    cols = {c.value: c.column for c in ws[schema.ROSTER_HEADER_ROW]}
    row = {h: ws.cell(5, c).value for h, c in cols.items()}
    assert (row["STT"], row["Mã hộ"], row["Họ và tên chủ hộ"], row["Số nhân khẩu"]) == (1, "22828-0001",
                                                                                       "Nguyễn Văn A", 4)
    assert (row["Có khả năng lao động"], row["Thiếu hụt: Việc làm"], row["Ngày quyết định"]) == ("x", None,
                                                                                               "01/02/2023")
    assert row["Thu nhập bình quân (đồng/người/tháng)"] == 1_400_000
    assert ws.cell(5, cols["Mã hộ"]).number_format == "@"
    assert ws.cell(5, cols["Thu nhập bình quân (đồng/người/tháng)"]).number_format == "#,##0"
    assert ws.freeze_panes == "C5"


def test_roster_input_rules_cover_the_rows_asked(filled):
    """Each rule covers rows 5 to 14 (10 rows): counts 1 to 30, statuses and flags from their lists, dates between
    2000 and 2100, amounts up to 10^11 đồng, the household code's shape; the NCC categories offer "c – Liệt sĩ" …
    but only inform (several categories are typed "c;tn")."""
    ws = filled["Danh sách hộ NCC"]
    rules = {sqref: (kind, f1, f2) for kind, f1, f2, sqref in _rules(ws)}
    assert rules["F5:F14"] == ("whole", "1", "30")
    assert rules["I5:I14"] == ("list", '"x"', None)
    assert rules["J5:J14"] == ("list", '"Nghèo,Cận nghèo,Mức sống trung bình,Không nghèo,Không có trên địa bàn"', None)
    assert rules["N5:N14"] == ("date", "DATE(2000,1,1)", "DATE(2100,12,31)")
    assert rules["O5:O14"] == ("whole", "0", str(10**11))
    assert rules["B5:B14"][0] == "custom"
    [categories] = [dv for dv in ws.data_validations.dataValidation if str(dv.sqref) == "H5:H14"]
    assert categories.errorStyle == "information" and "c;tn" in categories.prompt
    assert _listed(filled, categories.formula1)[2] == "c – Liệt sĩ"
    assert len(rules) == 29


def test_members_and_narrative(filled, config):
    """Members are numbered, a category written as its drop-down value; relations and categories (letter and name)
    come from their lists; a narrative keeps its line break."""
    ws = filled["Thành viên NCC"]
    assert [c.value for c in ws[5]] == [1, "22828-0001", "Chủ hộ",
                                        "a – Người hoạt động cách mạng trước ngày 01/01/1945"]
    rules = {sqref: f1 for _, f1, _, sqref in _rules(ws)}
    assert rules["C5:C14"] == '"Chủ hộ,Vợ/Chồng,Con,Cha/Mẹ,Ông/Bà,Cháu,Khác"'
    assert _listed(filled, rules["D5:D14"]) == [f"{c['code']} – {c['label']}"
                                                 for c in config.reference["ncc_categories"]]
    narrative = filled["Thuyết minh"]
    assert [[c.value for c in row] for row in narrative.iter_rows(min_row=3, max_row=5)] == [
        ["Kết quả đạt được", "Dòng 1\nDòng 2"], ["Khó khăn, vướng mắc", None], ["Đề xuất, kiến nghị", None]]


def test_a_provinces_codes_are_listed_from_a_hidden_sheet(tmp_path):
    """The province setup's 65 codes make a list longer than Excel takes in a cell (255 characters): they are
    written in order to a hidden sheet that the code's drop-down list takes, so a commune of Khánh Hòa can pick
    its own code (22333 …), and the reader still reads the workbook's five sheets."""
    from pipeline.config import load_config
    from pipeline.read.reader import read_submission
    from tests.conftest import ROOT

    province = load_config(ROOT / "config" / "khanh_hoa_2026.yaml")
    path = write_submission(tmp_path / "22333.xlsx", general={"unit_code": "22333", "unit_name": "phường Bắc Nha Trang",
                                                             "period": "2026-6T"}, config=province)
    wb = load_workbook(path)
    listed = wb["Danh mục"]
    assert listed.sheet_state == "hidden"
    assert [c.value.split(" – ")[0] for c in listed["A"] if c.value] == [u.code for u in province.units]
    first = province.units[0]
    assert listed["A1"].value == f"{first.code} – {first.full_name[:1].upper()}{first.full_name[1:]}"
    [rule] = [r for r in _rules(wb["Thông tin chung"]) if r[3] == "B4"]
    assert rule == ("list", "'Danh mục'!$A$1:$A$65", None, "B4")
    sub = read_submission(path, province)
    assert sub.unit_code == "22333" and not [f for f in sub.findings if "Danh mục" in f.message]


def test_the_offices_blank_form(config, tmp_path):
    """The offices' form: the general sheet (the narrative's labelled rows above the leader's confirmation), the
    tables with their headers on row 4 — the documents' under the four rows of the fund sources, after a blank row
    and their title — and the hidden lists last; the office code from the configured offices, the plan's tasks and
    the fund sources as drop-down lists (the longer ones from the hidden sheet), counts and amounts as whole
    numbers, the input rules of the fund sources on their four rows only."""
    from pipeline import office_schema as o
    wb = load_workbook(write_office_workbook(tmp_path / "mau.xlsx", config=config, rows=10))
    assert wb.sheetnames == ["Hướng dẫn", *o.SHEETS, "Danh mục"] and wb["Danh mục"].sheet_state == "hidden"
    for key, (sheet, fields, _first) in o.TABLES.items():
        row = 11 if key == "documents" else o.HEADER_ROW
        assert [c.value for c in wb[sheet][row]][:len(fields)] == [f.header for f in fields], key
    stacked = wb[o.SHEET_FUNDS_DOCUMENTS]
    assert stacked["A10"].value == "VĂN BẢN CHỈ ĐẠO, HƯỚNG DẪN ĐÃ BAN HÀNH"
    assert ("whole", "0", "10000000000000", "C5:C8") in _rules(stacked)
    assert ("date", "DATE(2000,1,1)", "DATE(2100,12,31)", "C12:C21") in _rules(stacked)
    general = wb[o.SHEET_GENERAL]
    assert [general.cell(r, 1).value for r in range(11, 15)] == [
        "THUYẾT MINH", "Kết quả đạt được", "Khó khăn, vướng mắc", "Đề xuất, kiến nghị"]
    assert general.cell(16, 1).value == schema.CONFIRMATION_TITLE
    rules = {r[3]: r for r in _rules(wb[o.SHEET_GENERAL])}
    assert _listed(wb, rules["B4"][1]) == [f"{u.code} – {u.name}" for u in config.offices]
    assert rules["B6"][1] == PERIODS
    [tasks] = [r for r in _rules(wb[o.SHEET_ACTIVITIES]) if r[3] == "B5:B14"]
    assert _listed(wb, tasks[1])[0] == "IV.1 – Tuyên truyền, nâng cao nhận thức về giảm nghèo"
    assert len(_listed(wb, tasks[1])) == 5
    [communes] = [r for r in _rules(wb[o.SHEET_SUPPORTS]) if r[3] == "B5:B14"]
    assert _listed(wb, communes[1]) == UNITS
    assert ("whole", "0", "10000000", "D5:D14") in _rules(wb[o.SHEET_ACTIVITIES])
    assert ("whole", "0", "10000000000000", "D5:D14") in _rules(wb[o.SHEET_LOANS])
    assert _guide_legend(wb["Hướng dẫn"], LEGEND_TITLES["tasks"]) == [
        (t["code"], t["label"]) for t in config.plan["tasks"]]


def _pdf_pages(xlsx, out_dir) -> int:
    """Pages of ``xlsx`` printed to PDF by LibreOffice Calc with a private profile, counted by pdfinfo."""
    profile = out_dir / "profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out_dir), str(xlsx)], check=True, capture_output=True, timeout=300)
    pdf = out_dir / (xlsx.stem + ".pdf")
    assert pdf.exists(), "LibreOffice Calc wrote no PDF (is libreoffice-calc installed?)"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


@pytest.mark.slow
def test_the_blank_forms_print_on_few_a4_pages(config, tmp_path):
    """The blank commune form prints on at most 8 A4 pages, the offices' on at most 6 (its one-page guide, the
    general sheet with the narrative, three tables and the fund sources and documents stacked: a sheet never shares
    a page), the hidden lists not at all; every visible sheet at 60 % or more.

    Slow: LibreOffice converts both workbooks to PDF (a few seconds each)."""
    assert shutil.which("soffice") and shutil.which("pdfinfo")
    commune = write_submission(tmp_path / "don_vi.xlsx", config=config)
    office = write_office_workbook(tmp_path / "co_quan.xlsx", config=config)
    for path in (commune, office):
        for ws in load_workbook(path).worksheets:
            if ws.sheet_state == "visible":
                assert ws.page_setup.paperSize == 9 and ws.page_setup.scale >= 60, (path.name, ws.title)
    assert _pdf_pages(commune, tmp_path) <= 8
    assert _pdf_pages(office, tmp_path) <= 6
    text = subprocess.run(["pdftotext", str(tmp_path / "co_quan.pdf"), "-"], capture_output=True, text=True).stdout
    assert "HƯỚNG DẪN" in text and "IV.1 – Tuyên truyền" not in text  # the hidden list is not printed


def test_the_officials_guide_and_the_developers_note_are_up_to_date(config):
    """docs/submission-format.md (Vietnamese, NFC, the guide sheet's text and legends) and submission-format.en.md
    are what docs/build_submission_format.py writes from the schema and configuration today."""
    from docs.build_submission_format import OUT, OUT_EN, build, build_en

    text = OUT.read_text(encoding="utf-8")
    assert text == build(), "run: PYTHONPATH=. .venv/bin/python docs/build_submission_format.py"
    assert OUT_EN.read_text(encoding="utf-8") == build_en()
    assert unicodedata.is_normalized("NFC", text)
    assert "| c | Liệt sĩ |" in text
    assert "| Thoát nghèo | Nghèo → Cận nghèo / Mức sống trung bình / Không nghèo |" in text
