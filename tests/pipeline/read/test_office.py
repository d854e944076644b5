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


def _header_row(ws, key) -> int:
    """The row of table ``key``'s headers on ``ws`` (the documents' is below the fund sources')."""
    first = o.TABLES[key][2]
    return next(r for r in range(1, ws.max_row + 1) if first in [c.value for c in ws[r]])


def _edit(path, key, row, header, value):
    """Type ``value`` in table ``key``'s column ``header``, on its ``row``-th data row."""
    wb = load_workbook(path)
    ws = wb[o.TABLES[key][0]]
    top = _header_row(ws, key)
    col = next(c.column for c in ws[top] if c.value == header)
    ws.cell(top + row, col).value = value
    wb.save(path)
    return top + row


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
        top = _header_row(load_workbook(workbook)[o.TABLES[key][0]], key)
        assert list(frame["excel_row"]) == list(range(top + 1, top + 1 + len(rows)))
    assert str(sub.tables["loans"]["borrowers"].dtype) == "Int64"
    assert sub.narrative["results"] == "Giải ngân đúng kế hoạch.\nKhông có nợ quá hạn."


@pytest.mark.parametrize(("typed", "code"), [
    ("IV.4", "IV.4"), ("iv.4", "IV.4"), ("Hỗ trợ sản xuất, sinh kế, đào tạo nghề, việc làm, vốn vay ưu đãi", "IV.4"),
    ("IV.4 – Hỗ trợ sản xuất, sinh kế, đào tạo nghề, việc làm, vốn vay ưu đãi", "IV.4"),
    ("Nhiệm vụ khác", "Nhiệm vụ khác"),
])
def test_a_task_is_read_by_code_label_or_the_drop_downs_text(config, workbook, typed, code):
    """The plan's task by its code, its label or both; text not in the list is kept as typed (its check says so)."""
    _edit(workbook, "activities", 1, "Nhiệm vụ của Kế hoạch", typed)
    assert read_office_submission(workbook, config).tables["activities"]["task"].tolist() == [code]


@pytest.mark.parametrize(("key", "header", "value", "message"), [
    ("loans", "Số hộ vay", -3, "Phải là số nguyên không âm."),
    ("loans", "Dư nợ (đồng)", "chín trăm triệu", "Số tiền phải là số nguyên đồng, không âm."),
    ("documents", "Ngày ban hành", "31/02/2023", "Ngày không tồn tại."),
    ("funds", "Số tiền (đồng)", "năm triệu", "Số tiền phải là số nguyên đồng, không âm."),
    ("supports", "Số hộ", 2.5, "Phải là số nguyên không âm."),
])
def test_a_cell_that_cannot_be_read_is_named(config, workbook, key, header, value, message):
    """A negative count, an amount in words, an impossible date, half a household: one error on that cell (sheet,
    the table's first data row, the column's header, the value as typed) with the fix; the other rows still read.
    The documents under the fund sources: the row is the sheet's own."""
    row = _edit(workbook, key, 1, header, value)
    sub = read_office_submission(workbook, config)
    [f] = [f for f in sub.findings if f.severity == ERROR]
    sheet = o.TABLES[key][0]
    assert (f.sheet, f.row, f.column, f.value, f.message) == (sheet, row, header, str(value), message)
    assert f.fix
    assert row > 5 if key == "documents" else row == 5


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
    del wb[o.SHEET_FUNDS_DOCUMENTS]
    ws = wb[o.SHEET_LOANS]
    ws.cell(7, 2).value = "Tổng cộng"
    ws.cell(7, 3).value = 42
    wb.save(workbook)
    sub = read_office_submission(workbook, config)
    assert sub.findings == [] and sub.tables["documents"].empty and sub.tables["funds"].empty
    assert sub.tables["loans"]["borrowers"].tolist() == [12, 30]
    blank = read_office_submission(write_office_workbook(workbook.parent / "blank.xlsx", config=config), config)
    assert all(t.empty for t in blank.tables.values()) and blank.unit_code is None


def test_the_workbook_is_told_from_the_communes(config, workbook):
    """The offices' workbook by its first sheet; a commune's is not one."""
    assert is_office_workbook(load_workbook(workbook).sheetnames)
    assert not is_office_workbook(["Thông tin chung", "Tổng hợp"])


def test_the_documents_sit_under_the_fund_sources_and_the_narrative_on_the_general_sheet(config, workbook):
    """Today's form stacks the fund sources (numbered rows 5-8, one a source) and the documents, each under its own
    header row, on one sheet: numbered rows left blank are no rows, a source typed in a row inserted above the
    documents is a fund, and the documents move down with their header. The narrative is labelled rows of the
    general sheet, read as the 2023 form's sheet "Thuyết minh" was."""
    wb = load_workbook(workbook)
    assert wb.sheetnames[1:-1] == list(o.SHEETS) and o.SHEET_NARRATIVE not in wb.sheetnames
    ws = wb[o.SHEET_FUNDS_DOCUMENTS]
    assert [ws.cell(r, 1).value for r in range(5, 9)] == [1, 2, 3, 4] and ws["B6"].value is None
    documents = _header_row(ws, "documents")
    ws.insert_rows(9, 3)
    ws["A9"], ws["B9"], ws["C9"] = 5, "Vốn các Chương trình mục tiêu quốc gia", 7_000_000
    wb.save(workbook)
    sub = read_office_submission(workbook, config)
    assert sub.findings == []
    funds = sub.tables["funds"]
    assert list(zip(funds["excel_row"], funds["source"], funds["amount_vnd"], strict=True)) == [
        (5, "fund_5_sponsors_vnd", 5_000_000), (9, "fund_1_national_programmes_vnd", 7_000_000)]
    assert sub.tables["documents"]["excel_row"].tolist() == [documents + 3 + 1]
    assert sub.tables["documents"]["number"].tolist() == ["12/KH-NHCS"]
    general = load_workbook(workbook)[o.SHEET_GENERAL]
    row = sub.narrative_rows["results"]
    assert general.cell(row, 1).value == "Kết quả đạt được" and row > 4 + len(o.GENERAL_FIELDS)
    assert sub.narrative == {"results": "Giải ngân đúng kế hoạch.\nKhông có nợ quá hạn.", "difficulties": "",
                             "proposals": ""}


@pytest.mark.parametrize("period", ["2023-6T", "2023-CN"])
def test_a_2023_workbook_reads_from_its_own_sheets(config, period):
    """The bundled 2023 samples keep a sheet a table ("Kinh phí", "Văn bản") and the narrative on "Thuyết minh":
    their rows read from there, as typed, with their own rows."""
    from tests.conftest import ROOT

    folder = ROOT / "samples" / period
    front = read_office_submission(folder / "MTTQ_co_quan.xlsx", config)
    ws = load_workbook(folder / "MTTQ_co_quan.xlsx")[o.SHEET_FUNDS]
    assert front.findings == [] and front.tables["funds"]["excel_row"].tolist() == [5]
    assert front.tables["funds"]["amount_vnd"].tolist() == [ws["C5"].value]
    assert front.tables["funds"]["source"].tolist() == ["fund_4_gratitude_poor_funds_vnd"]
    labour = read_office_submission(folder / "LDTB_co_quan.xlsx", config)
    wb = load_workbook(folder / "LDTB_co_quan.xlsx")
    typed = [r for r in wb[o.SHEET_DOCUMENTS].iter_rows(min_row=o.HEADER_ROW + 1, values_only=True) if r[1]]
    assert labour.tables["documents"]["number"].tolist() == [r[1] for r in typed]
    assert labour.tables["documents"]["excel_row"].tolist() == list(range(5, 5 + len(typed)))
    narrative = wb[o.SHEET_NARRATIVE]
    assert labour.narrative["results"] == narrative["B3"].value and labour.narrative_rows["results"] == 3
    assert labour.findings == [] and labour.tables["funds"].empty
