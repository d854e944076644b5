"""Tests of pipeline/schema.py's masking rules (``shown_value``, ``has_shape``, ``shown_message``,
``shown_column``): district-facing outputs show a cell only when its column is allowed and the value has that
column's shape, every field of every sheet is classified, and a message or column that could hold personal data
is masked too. That a name typed into any column of any sheet never reaches those outputs is shown on a whole
pipeline run in tests/e2e/test_personal_data.py."""

from __future__ import annotations

import pytest

from pipeline import schema
from pipeline.findings import ERROR, Finding

NAME = "Nguyễn Thị Hồng Nhung"


@pytest.fixture(scope="module")
def lists(config):
    """The listed values of the project's configuration."""
    return schema.shown_lists(config)


@pytest.mark.parametrize(("sheet", "column", "value", "shown"), [
    (schema.SHEET_ROSTER, "Mã hộ", "22828-0003", True),
    (schema.SHEET_ROSTER, "Mã hộ", NAME, False),
    (schema.SHEET_ROSTER, "Mã hộ", "0912345678", False),  # a phone number is no household code
    (schema.SHEET_MEMBERS, "Mã hộ", "22828-0003", True),
    (schema.SHEET_ROSTER, "Số nhân khẩu", "-3", True),
    (schema.SHEET_ROSTER, "Số nhân khẩu", "bốn", False),
    (schema.SHEET_ROSTER, "Thu nhập bình quân (đồng/người/tháng)", "1.500.000 đ", True),
    (schema.SHEET_ROSTER, "Thu nhập bình quân (đồng/người/tháng)", "1500000", True),
    (schema.SHEET_ROSTER, "Thu nhập bình quân (đồng/người/tháng)", "1,5 triệu", False),
    (schema.SHEET_ROSTER, "Ngày quyết định", "31/02/2023", True),
    (schema.SHEET_ROSTER, "Ngày quyết định", "tháng 3", False),
    (schema.SHEET_ROSTER, "Số quyết định của UBND xã", "15/QĐ-UBND", True),
    (schema.SHEET_ROSTER, "Số quyết định của UBND xã", "Ông Ba ký", False),
    (schema.SHEET_ROSTER, "Thiếu hụt: Việc làm", "x", True),
    (schema.SHEET_ROSTER, "Thiếu hụt: Việc làm", "xx", False),
    (schema.SHEET_ROSTER, "Phân loại tại ngày chốt", "Cận nghèo", True),
    (schema.SHEET_ROSTER, "Phân loại tại ngày chốt", "nghèo lắm", False),
    (schema.SHEET_ROSTER, "Loại biến động", "Thoát nghèo", True),
    (schema.SHEET_ROSTER, "Dân tộc", "Kinh", False),  # personal whatever the value
    (schema.SHEET_ROSTER, "Diện NCC (Pháp lệnh 02/2020)", "g", False),
    (schema.SHEET_MEMBERS, "Diện NCC (Pháp lệnh 02/2020)", "tn", False),
    (schema.SHEET_ROSTER, "Họ và tên chủ hộ", "Huỳnh Văn Lan", False),
    (schema.SHEET_ROSTER, "Thôn", "Thôn 5", False),  # free text
    (schema.SHEET_MEMBERS, "Quan hệ với chủ hộ", "Con", True),
    (schema.SHEET_GENERAL, "Mã đơn vị (mã hành chính)", "22828", True),
    (schema.SHEET_GENERAL, "MÃ ĐƠN VỊ (mã hành chính):", "22828", True),  # header as printed, other case
    (schema.SHEET_GENERAL, "Tên đơn vị", "Xã Ma Nối", True),  # a configured alias
    (schema.SHEET_GENERAL, "Tên đơn vị", NAME, False),
    (schema.SHEET_GENERAL, "Kỳ báo cáo", "2023-9T", True),
    (schema.SHEET_GENERAL, "Người lập biểu", "Đỗ Ngọc An", False),
    (schema.SHEET_GENERAL, "Số điện thoại", "02599914412", False),
    (schema.SHEET_GENERAL, "Ngày lập", "03/05/2023", True),
    (schema.SHEET_SUMMARY, "Tại ngày 01/01", "1.551", True),
    (schema.SHEET_SUMMARY, "Chỉ tiêu", "Số hộ nghèo", True),
    (schema.SHEET_NARRATIVE, "Kết quả đạt được", "12", False),
    ("", "", "bao-cao.xlsx", False),  # a finding about the whole file
])
def test_value_shown_only_with_allowed_column_and_shape(lists, sheet, column, value, shown):
    """Each column shows only values of its own shape; personal and free-text columns show nothing."""
    assert schema.shown_value(sheet, column, value, lists) == (value if shown else "(ẩn)")
    finding = Finding(ERROR, sheet, 5, column, value, "Giá trị không đọc được.")
    assert finding.masked(lists).value == (value if shown else "(ẩn)")


def test_every_field_is_classified():
    """Every field of every sheet is on the allow-list with a shape or hidden on purpose: none by accident."""
    fields = {(sheet, f.key) for sheet, fs in schema.FIELDS_BY_SHEET.items() for f in fs}
    assert not schema.HIDDEN_FIELDS & set(schema.SHOWN_FIELDS)
    assert fields == schema.HIDDEN_FIELDS | set(schema.SHOWN_FIELDS)
    assert schema.SHOWN_FIELDS[(schema.SHEET_ROSTER, "household_code")] == "household_code"
    assert (schema.SHEET_ROSTER, "ethnicity") in schema.HIDDEN_FIELDS
    assert (schema.SHEET_MEMBERS, "category") in schema.HIDDEN_FIELDS
    assert (schema.SHEET_GENERAL, "preparer") in schema.HIDDEN_FIELDS
    assert schema.SHOWN_FIELDS[(schema.SHEET_GENERAL, "unit_code")] == "unit_code"
    assert len(schema.SHOWN_FIELDS) == 42 and len(schema.HIDDEN_FIELDS) == 13


def test_message_and_column_are_masked_too(lists):
    """A quoted sample of legacy-encoded text and a label taken from an arbitrary row are hidden; sheet
    names, template headers, indicator labels and unit names stay."""
    f = Finding(ERROR, schema.SHEET_GENERAL, 12, "Nguyễn Văn Ba", "=A1",
                "Tệp a.xlsx, sheet 'Danh sách hộ NCC' (dòng 5, ví dụ 'NguyÔn ThÞ Hång') được gõ bằng bảng mã "
                "TCVN3 cũ; thiếu cột 'Mã hộ'; chỉ tiêu 'Số hộ nghèo'; theo tên 'Ma Nới'.", "Sửa 'cột B'.")
    m = f.masked(lists)
    assert m.column == "(ẩn)" and m.value == "(ẩn)"
    assert m.message == ("Tệp a.xlsx, sheet 'Danh sách hộ NCC' (dòng 5, ví dụ '(ẩn)') được gõ bằng bảng mã TCVN3 "
                         "cũ; thiếu cột 'Mã hộ'; chỉ tiêu 'Số hộ nghèo'; theo tên 'Ma Nới'.")
    assert m.fix == "Sửa 'cột B'."
    assert Finding(ERROR, schema.SHEET_ROSTER, 9, "cột AK", "1", "x").masked(lists).column == "cột AK"


def test_a_unit_name_misspelt_in_its_tones_is_shown_a_person_s_name_is_not(config):
    """The identity warning's typed name "xã Mà Nơi" differs from xã Ma Nới only in its tone marks: a place,
    shown on the status page so staff see what was typed; a person's name typed there stays hidden."""
    typed = Finding("cảnh báo", "Thông tin chung", 4, "Tên đơn vị", "xã Mà Nơi",
                    "Tên đơn vị 'xã Mà Nơi' sai dấu thanh so với mã 22828; đúng là 'xã Ma Nới'.", "", "identity")
    lists = schema.shown_lists(config)
    assert typed.masked(lists).value == "xã Mà Nơi"
    assert typed.masked(lists).message == typed.message
    person = Finding("lỗi", "Thông tin chung", 4, "Tên đơn vị", "Nguyễn Văn Hùng",
                     "Tên đơn vị 'Nguyễn Văn Hùng' không khớp với mã 22828.", "", "identity")
    assert (person.masked(lists).value, person.masked(lists).message) == (
        "(ẩn)", "Tên đơn vị '(ẩn)' không khớp với mã 22828.")


@pytest.mark.parametrize(("typed", "canonical"), [
    ("Xã Ma Nới", "ma nới"), ("thị trấn Tân Sơn", "tân sơn"), ("TT. Tân Sơn", "tân sơn"),
    ("Phường Đô Vinh", "đô vinh"), ("Đặc khu Trường Sa", "trường sa"), ("đặc khu  Trường Sa", "trường sa"),
    ("Trường Sa", "trường sa"), ("Xã Hòa Sơn", "xã hoà sơn".removeprefix("xã ")),
])
def test_a_unit_names_kind_is_dropped_for_comparison(typed, canonical):
    """Any commune-level kind (the island zone "đặc khu" of 2025 too) is dropped before names are compared, and
    tone placement is standardised."""
    from pipeline.schema import canonical_unit_name

    assert canonical_unit_name(typed) == canonical
