"""The offices' workbook layout (pipeline/office_schema.py): its sheets in order, each table's keys unique and
its header-row finder one of its own headers, every count and amount with its unit."""

from __future__ import annotations

from pipeline import office_schema as o


def test_sheets_and_tables_are_consistent():
    """Seven sheets: the general one, the five tables, the narrative; each table finds its header row by one of its
    own headers; keys are unique within a sheet; counts and amounts carry their measure."""
    assert o.SHEETS == ("Thông tin cơ quan", "Hoạt động", "Hỗ trợ theo xã", "Kinh phí", "Văn bản", "Vốn vay",
                        "Thuyết minh")
    for _sheet, fields, first in o.TABLES.values():
        keys = [f.key for f in fields]
        assert len(set(keys)) == len(keys) and keys[0] == "no"
        assert first in [f.header for f in fields]
        assert all(f.unit for f in fields if f.kind in ("count", "vnd"))
    assert [f.key for f in o.GENERAL_FIELDS if f.required] == ["office_code", "office_name", "period"]
