"""The offices' workbook layout (pipeline/office_schema.py): its sheets in order, each table's keys unique and
its header-row finder one of its own headers, every count and amount with its unit."""

from __future__ import annotations

from pipeline import office_schema as o


def test_sheets_and_tables_are_consistent():
    """Five sheets: the general one (with the narrative), three tables a sheet and the fund sources and documents
    stacked on one; the 2023 form's seven, a table a sheet; each table finds its header row by one of its own
    headers; keys are unique within a table; counts and amounts carry their measure."""
    assert o.SHEETS == ("Thông tin cơ quan", "Hoạt động", "Hỗ trợ theo xã", "Kinh phí, văn bản", "Vốn vay")
    assert o.SHEETS_2023 == ("Thông tin cơ quan", "Hoạt động", "Hỗ trợ theo xã", "Kinh phí", "Văn bản", "Vốn vay",
                             "Thuyết minh")
    assert o.TABLES["funds"][0] == o.TABLES["documents"][0] == o.SHEET_FUNDS_DOCUMENTS
    assert (o.SHEET_FUNDS, o.SHEET_DOCUMENTS, o.SHEET_NARRATIVE) == ("Kinh phí", "Văn bản", "Thuyết minh")
    for _sheet, fields, first in o.TABLES.values():
        keys = [f.key for f in fields]
        assert len(set(keys)) == len(keys) and keys[0] == "no"
        assert first in [f.header for f in fields]
        assert all(f.unit for f in fields if f.kind in ("count", "vnd"))
    assert [f.key for f in o.GENERAL_FIELDS if f.required] == ["office_code", "office_name", "period"]


def test_a_2023_workbooks_findings_name_its_own_sheet_and_values_are_shown_on_both():
    """A finding on the stacked sheet names, in a 2023 workbook, the sheet of its table (by the column's header); in
    today's form, or on another sheet, it stays. Document numbers and amounts are shown from both layouts' sheets."""
    old = {o.SHEET_GENERAL, o.SHEET_FUNDS, o.SHEET_DOCUMENTS}
    assert o.sheet_in(o.SHEET_FUNDS_DOCUMENTS, "Ngày ban hành", old) == o.SHEET_DOCUMENTS
    assert o.sheet_in(o.SHEET_FUNDS_DOCUMENTS, "Số tiền (đồng)", old) == o.SHEET_FUNDS
    assert o.sheet_in(o.SHEET_FUNDS_DOCUMENTS, "Ngày ban hành", {o.SHEET_FUNDS_DOCUMENTS}) == o.SHEET_FUNDS_DOCUMENTS
    assert o.sheet_in(o.SHEET_LOANS, "Mã xã", old) == o.SHEET_LOANS
    for sheet in (o.SHEET_DOCUMENTS, o.SHEET_FUNDS_DOCUMENTS):
        assert o.shape_of(sheet, "Số, ký hiệu") == "decision_number" and o.office_sheet(sheet)
    for sheet in (o.SHEET_FUNDS, o.SHEET_FUNDS_DOCUMENTS):
        assert o.shape_of(sheet, "Số tiền (đồng)") == "number"
    assert not o.office_sheet(o.SHEET_NARRATIVE)
