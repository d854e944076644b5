"""Reading the offices' workbook (pipeline/read/office.py): what the form writes comes back as typed; listed
columns take codes, labels or the drop-down's text; a cell that cannot be read is a finding naming sheet, row,
column and value; an unknown office is refused with the list; empty or missing sheets are empty tables."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from pipeline import office_schema as o
from pipeline.findings import ERROR, WARNING
from pipeline.read.office import is_office_workbook, read_office_submission
from pipeline.staff.form import write_office_workbook

GENERAL = {"office_code": "NHCS", "office_name": "Phòng giao dịch Ngân hàng Chính sách xã hội huyện",
           "period": "2023-6T", "prepared_on": dt.date(2023, 5, 2)}
TABLES = {
    "activities": [{"task": "IV.1", "activity": "Tuyên truyền chính sách tín dụng", "sessions": 3,
                    "participants": 120, "news_items": 2, "broadcasts": 4, "households": 40, "ncc_households": 2}],
    "supports": [{"commune_code": "22828", "support": "livestock", "households": 2, "persons": 11,
                  "ncc_households": 2, "amount_vnd": 20_000_000}],
    "funds": [{"source": "fund_5_sponsors_vnd", "amount_vnd": 5_000_000}],
    "documents": [{"number": "12/KH-NHCS", "date": dt.date(2023, 3, 20), "issuer": "NHCSXH huyện",
                   "subject": "Kế hoạch cho vay hộ nghèo năm 2023"}],
    "loans": [{"commune_code": "22828", "borrowers": 12, "disbursed_vnd": 480_000_000,
               "outstanding_vnd": 900_000_000, "ncc_borrowers": 2},
              {"commune_code": "22810", "borrowers": 30, "disbursed_vnd": 1_200_000_000,
               "outstanding_vnd": 2_000_000_000, "ncc_borrowers": 0}],
}


@pytest.fixture
def workbook(config, tmp_path):
    return write_office_workbook(tmp_path / "NHCS.xlsx", general=GENERAL, tables=TABLES,
                                 narrative={"results": "Giải ngân đúng kế hoạch.\nKhông có nợ quá hạn."},
                                 title_period="6 tháng đầu năm 2023", config=config)


def _edit(path, sheet, row, header, value):
    wb = load_workbook(path)
    ws = wb[sheet]
    col = next(c.column for c in ws[o.HEADER_ROW] if c.value == header)
    ws.cell(row, col).value = value
    wb.save(path)


def test_what_the_form_writes_comes_back(config, workbook):
    """Every table's rows with their typed values (counts and amounts Int64, codes for the listed columns, dates),
    the general values and the narrative with its line break; no finding."""
    sub = read_office_submission(workbook, config)
    assert sub.findings == [] and sub.unit_code == "NHCS"
    assert {k: sub.general[k] for k in GENERAL} == GENERAL
    for key, rows in TABLES.items():
        frame = sub.tables[key]
        got = [{k: (None if v is None or v != v else v) for k, v in r.items() if k in rows[0]}
               for r in frame.to_dict("records")]
        assert got == rows, key
        assert list(frame["excel_row"]) == list(range(5, 5 + len(rows)))
    assert str(sub.tables["loans"]["borrowers"].dtype) == "Int64"
    assert sub.narrative["results"] == "Giải ngân đúng kế hoạch.\nKhông có nợ quá hạn."


@pytest.mark.parametrize(("typed", "code"), [
    ("IV.4", "IV.4"), ("iv.4", "IV.4"), ("Hỗ trợ sản xuất, sinh kế, đào tạo nghề, việc làm, vốn vay ưu đãi", "IV.4"),
    ("IV.4 – Hỗ trợ sản xuất, sinh kế, đào tạo nghề, việc làm, vốn vay ưu đãi", "IV.4"),
    ("Nhiệm vụ khác", "Nhiệm vụ khác"),
])
def test_a_task_is_read_by_code_label_or_the_drop_downs_text(config, workbook, typed, code):
    """The plan's task by its code, its label or both; text not in the list is kept as typed (its check says so)."""
    _edit(workbook, o.SHEET_ACTIVITIES, 5, "Nhiệm vụ của Kế hoạch", typed)
    assert read_office_submission(workbook, config).tables["activities"]["task"].tolist() == [code]


@pytest.mark.parametrize(("sheet", "header", "value", "message"), [
    (o.SHEET_LOANS, "Số hộ vay", -3, "Phải là số nguyên không âm."),
    (o.SHEET_LOANS, "Dư nợ (đồng)", "chín trăm triệu", "Số tiền phải là số nguyên đồng, không âm."),
    (o.SHEET_DOCUMENTS, "Ngày ban hành", "31/02/2023", "Ngày không tồn tại."),
    (o.SHEET_SUPPORTS, "Số hộ", 2.5, "Phải là số nguyên không âm."),
])
def test_a_cell_that_cannot_be_read_is_named(config, workbook, sheet, header, value, message):
    """A negative count, an amount in words, an impossible date, half a household: one error on that cell (sheet,
    row 5, the column's header, the value as typed) with the fix; the other rows still read."""
    _edit(workbook, sheet, 5, header, value)
    sub = read_office_submission(workbook, config)
    [f] = [f for f in sub.findings if f.severity == ERROR]
    assert (f.sheet, f.row, f.column, f.value, f.message) == (sheet, 5, header, str(value), message)
    assert f.fix


def test_an_unknown_office_is_refused_with_the_list(config, workbook):
    """Code "NHXH" is no configured office: an error on its cell listing the codes, the file attributed to none."""
    wb = load_workbook(workbook)
    wb[o.SHEET_GENERAL]["B4"] = "nhxh"
    wb.save(workbook)
    sub = read_office_submission(workbook, config)
    [f] = sub.findings
    assert (f.severity, f.sheet, f.row, f.value) == (ERROR, o.SHEET_GENERAL, 4, "NHXH")
    assert "VHTT (Phòng Văn hóa - Thông tin" in f.fix and "NHCS (" in f.fix and sub.unit_code is None


def test_another_name_for_the_code_is_a_warning(config, workbook):
    """The code decides the office; another office's name beside it is a warning naming both."""
    wb = load_workbook(workbook)
    wb[o.SHEET_GENERAL]["B5"] = "Phòng Nông nghiệp"
    wb.save(workbook)
    sub = read_office_submission(workbook, config)
    [f] = sub.findings
    assert (f.severity, f.row, f.value, sub.unit_code) == (WARNING, 5, "Phòng Nông nghiệp", "NHCS")
    assert "tên của mã NHCS" in f.message


def test_empty_and_missing_sheets_are_empty_tables_and_totals_are_skipped(config, workbook):
    """An office fills only what concerns it: a deleted sheet and an empty one read as empty tables, no finding; a
    "Tổng cộng" row under a table is not a row of it."""
    wb = load_workbook(workbook)
    del wb[o.SHEET_DOCUMENTS]
    ws = wb[o.SHEET_LOANS]
    ws.cell(7, 2).value = "Tổng cộng"
    ws.cell(7, 3).value = 42
    wb.save(workbook)
    sub = read_office_submission(workbook, config)
    assert sub.findings == [] and sub.tables["documents"].empty
    assert sub.tables["loans"]["borrowers"].tolist() == [12, 30]
    blank = read_office_submission(write_office_workbook(workbook.parent / "blank.xlsx", config=config), config)
    assert all(t.empty for t in blank.tables.values()) and blank.unit_code is None


def test_the_workbook_is_told_from_the_communes(config, workbook):
    """The offices' workbook by its first sheet; a commune's is not one."""
    assert is_office_workbook(load_workbook(workbook).sheetnames)
    assert not is_office_workbook(["Thông tin chung", "Tổng hợp"])
