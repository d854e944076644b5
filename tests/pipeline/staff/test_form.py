"""Submission workbooks written in the template's layout (pipeline/staff/form.py): sheets, labels, values as the
reader expects them and the input rules of each column."""

from __future__ import annotations

import datetime as dt
import stat

import pytest
from openpyxl import load_workbook

from pipeline import schema
from pipeline.staff.form import write_submission

CODES = '"22810,22813,22816,22819,22822,22825,22828,22831"'


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


def test_the_blank_template_has_the_five_sheets_and_the_general_labels(config, tmp_path):
    """With no data: the five sheets in order, each general label in column A from row 4 with its note in C, the
    value column empty, and the line saying to fill in column B; the file is readable by all (0644)."""
    path = write_submission(tmp_path / "mau.xlsx", config=config)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    wb = load_workbook(path)
    assert wb.sheetnames == ["Thông tin chung", "Tổng hợp", "Danh sách hộ NCC", "Thành viên NCC", "Thuyết minh"]
    ws = wb["Thông tin chung"]
    assert ws["A2"].value == "Điền vào cột B; không sửa cột A."
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=4, max_row=9)] == [
        ["Mã đơn vị (mã hành chính)", None, "5 chữ số, ví dụ 22828"], ["Tên đơn vị", None, "ví dụ: xã Ma Nới"],
        ["Kỳ báo cáo", None, "NNNN-6T, NNNN-9T hoặc NNNN-CN"], ["Người lập biểu", None, None],
        ["Số điện thoại", None, None], ["Ngày lập", None, "dd/mm/yyyy"]]
    assert ws["B4"].number_format == "@"
    assert wb["Danh sách hộ NCC"].max_row == schema.ROSTER_HEADER_ROW


def test_general_values_and_their_input_rules(filled):
    """The title names the period; a date is written as text dd/mm/yyyy; the unit code is a list of the configured
    codes, the period a 7-character text, the phone 10 or 11 characters."""
    ws = filled["Thông tin chung"]
    assert ws["A2"].value == "Kỳ báo cáo: 6 tháng đầu năm 2023"
    assert [ws.cell(r, 2).value for r in range(4, 10)] == ["22828", "xã Ma Nới", "2023-6T", None, None, "03/05/2023"]
    assert _rules(ws) == [("list", CODES, None, "B4"), ("textLength", "7", None, "B6"),
                          ("textLength", "10", "11", "B8")]


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
    2000 and 2100, amounts up to 10^11 đồng."""
    rules = {sqref: (kind, f1, f2) for kind, f1, f2, sqref in _rules(filled["Danh sách hộ NCC"])}
    assert rules["F5:F14"] == ("whole", "1", "30")
    assert rules["I5:I14"] == ("list", '"x"', None)
    assert rules["J5:J14"] == ("list", '"Nghèo,Cận nghèo,Mức sống trung bình,Không nghèo,Không có trên địa bàn"', None)
    assert rules["N5:N14"] == ("date", "DATE(2000,1,1)", "DATE(2100,12,31)")
    assert rules["O5:O14"] == ("whole", "0", str(10**11))
    assert len(rules) == 27


def test_members_and_narrative(filled):
    """Members are numbered with relations and NCC categories from their lists; a narrative keeps its line break."""
    ws = filled["Thành viên NCC"]
    assert [c.value for c in ws[5]] == [1, "22828-0001", "Chủ hộ", "a"]
    assert [(f1, sqref) for _, f1, _, sqref in _rules(ws)] == [
        ('"Chủ hộ,Vợ/Chồng,Con,Cha/Mẹ,Ông/Bà,Cháu,Khác"', "C5:C14"), ('"a,b,c,d,đ,e,g,h,i,k,l,m,tn"', "D5:D14")]
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
    assert [c.value for c in listed["A"]] == [u.code for u in province.units] and listed.max_row == 65
    [rule] = [r for r in _rules(wb["Thông tin chung"]) if r[3] == "B4"]
    assert rule == ("list", "'Danh mục'!$A$1:$A$65", None, "B4")
    sub = read_submission(path, province)
    assert sub.unit_code == "22333" and not [f for f in sub.findings if "Danh mục" in f.message]


def test_the_offices_blank_form(config, tmp_path):
    """The offices' form: the general sheet, the five tables with their headers on row 4, the narrative, and the
    hidden lists last; the office code from the configured offices, the plan's tasks and the fund sources as
    drop-down lists (the longer ones from the hidden sheet), counts and amounts as whole numbers."""
    from pipeline import office_schema as o
    from pipeline.staff.form import write_office_workbook

    wb = load_workbook(write_office_workbook(tmp_path / "mau.xlsx", config=config, rows=10))
    assert wb.sheetnames == [*o.SHEETS, "Danh mục"] and wb["Danh mục"].sheet_state == "hidden"
    for _key, (sheet, fields, _first) in o.TABLES.items():
        assert [c.value for c in wb[sheet][o.HEADER_ROW]] == [f.header for f in fields]
    assert ("list", '"VHTT,NN,GDNN,LDTB,MTTQ,NHCS"', None, "B4") in _rules(wb[o.SHEET_GENERAL])
    listed = wb["Danh mục"]
    tasks = [c.value for c in listed["A"] if c.value]
    assert tasks[0] == "IV.1 – Tuyên truyền, nâng cao nhận thức về giảm nghèo" and len(tasks) == 5
    assert ("list", "'Danh mục'!$A$1:$A$5", None, "B5:B14") in _rules(wb[o.SHEET_ACTIVITIES])
    assert ("whole", "0", "10000000", "D5:D14") in _rules(wb[o.SHEET_ACTIVITIES])
    assert ("whole", "0", "10000000000000", "D5:D14") in _rules(wb[o.SHEET_LOANS])
