"""Required means required: every field the workbook contract marks mandatory has a critical not-null rule
in its sheet's suite, and a blank mandatory cell of a real workbook is an error naming the cell."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from pipeline import schema
from pipeline.findings import ERROR, split_description
from pipeline.validate.rules import EXPECTATIONS_DIR, validate_submission
from tests.helpers import header_columns, roster_rows

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx"
SUITE_OF_SHEET = {schema.SHEET_GENERAL: "general", schema.SHEET_SUMMARY: "summary", schema.SHEET_ROSTER: "roster",
                  schema.SHEET_MEMBERS: "members", schema.SHEET_NARRATIVE: "narrative"}


def _suites() -> dict[str, dict[str, Any]]:
    return {name: json.loads((EXPECTATIONS_DIR / f"{name}.json").read_text(encoding="utf-8"))
            for name in SUITE_OF_SHEET.values()}


def missing_not_null(suites: dict[str, dict[str, Any]]) -> list[str]:
    """``sheet/key`` of each required schema field whose suite has no critical not-null expectation for it
    (``meta.field`` = the key) with a description that names the field's header and says how to fix it."""
    missing = []
    for sheet, fields in schema.FIELDS_BY_SHEET.items():
        expectations = suites[SUITE_OF_SHEET[sheet]]["expectations"]
        for f in fields:
            if not f.required:
                continue
            ok = False
            for e in expectations:
                if (e["type"], e["severity"], e["meta"]["field"]) != (
                        "expect_column_values_to_not_be_null", "critical", f.key):
                    continue
                what, fix = split_description(e["description"])
                ok = ok or (schema.normalize_label(f.header) in schema.normalize_label(what) and bool(fix))
            if not ok:
                missing.append(f"{sheet}/{f.key}")
    return missing


def test_every_required_field_has_a_critical_not_null_rule():
    """The mandatory fields are derived from pipeline/schema.py; each has its not-null rule."""
    required = [f"{s}/{f.key}" for s, fields in schema.FIELDS_BY_SHEET.items() for f in fields if f.required]
    assert required == [
        "Thông tin chung/unit_code", "Thông tin chung/unit_name", "Thông tin chung/period",
        "Tổng hợp/label", "Tổng hợp/value_current",
        *(f"Danh sách hộ NCC/{k}" for k in (
            "household_code", "head_name", "village", "ethnicity", "members_count", "ncc_members_count",
            "ncc_categories", "status_baseline", "status_current", "change_kind", "income_vnd_per_person_month")),
        "Thành viên NCC/household_code", "Thành viên NCC/relation", "Thành viên NCC/category",
    ]
    assert missing_not_null(_suites()) == []


def test_check_fails_when_a_suite_lacks_the_rule_or_only_warns():
    """Removing the member category's not-null rule, or making the period's a warning, is caught."""
    suites = _suites()
    suites["members"]["expectations"] = [
        e for e in suites["members"]["expectations"]
        if not (e["type"] == "expect_column_values_to_not_be_null" and e["meta"]["field"] == "category")]
    period_rule = next(e for e in suites["general"]["expectations"]
                       if e["type"] == "expect_column_values_to_not_be_null" and e["meta"]["field"] == "period")
    period_rule["severity"] = "warning"
    assert missing_not_null(suites) == ["Thông tin chung/period", "Thành viên NCC/category"]


@pytest.fixture
def ma_noi(tmp_path) -> Path:
    dst = tmp_path / "ma_noi.xlsx"
    shutil.copyfile(SAMPLE, dst)
    return dst


def _blank_general(path: Path, label: str) -> int:
    wb = load_workbook(path)
    ws = wb[schema.SHEET_GENERAL]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == label)
    ws.cell(row, 2).value = None
    wb.save(path)
    return row


def _facts(outcome) -> list[tuple[str, str, int | None, str, str, str, str]]:
    return [(f.severity, f.sheet, f.row, f.column, f.value, f.message, f.fix) for f in outcome.findings]


@pytest.mark.parametrize("period", ["2023-6T", "2023-9T"])
def test_blank_period_is_an_error_for_any_period(config, ma_noi, period):
    """A blank "Kỳ báo cáo" is the one error of the sample, whichever period it is validated for."""
    row = _blank_general(ma_noi, "Kỳ báo cáo")
    assert row == 6
    outcome = validate_submission(ma_noi, config=config, period=period)
    assert outcome.status == "invalid"
    assert (ERROR, "Thông tin chung", 6, "Kỳ báo cáo", "",
            "Chưa ghi 'Kỳ báo cáo', nên không biết số liệu thuộc kỳ nào.",
            "ghi kỳ báo cáo dạng NNNN-6T (6 tháng), NNNN-9T (9 tháng) hoặc NNNN-CN (cả năm), ví dụ 2023-6T."
            ) in _facts(outcome)
    if period == "2023-6T":
        assert outcome.errors == 1 and outcome.warnings == 0


def test_blank_unit_name_is_an_error(config, ma_noi):
    """A blank "Tên đơn vị" with the right code: one error on B5; the unit is still known by its code."""
    _blank_general(ma_noi, "Tên đơn vị")
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings, outcome.unit_code) == ("invalid", 1, 0, "22828")
    assert _facts(outcome)[0][:6] == (ERROR, "Thông tin chung", 5, "Tên đơn vị", "", "Chưa ghi 'Tên đơn vị'.")


def test_blank_member_category_is_an_error(config, ma_noi):
    """A blank "Diện NCC" of a member in "Thành viên NCC": exactly one error, on that cell."""
    wb = load_workbook(ma_noi)
    ws = wb[schema.SHEET_MEMBERS]
    cols = header_columns(ws, schema.MEMBERS_HEADER_ROW)
    row = schema.MEMBERS_HEADER_ROW + 2
    assert ws.cell(row, cols["Mã hộ"]).value == "22828-0002"
    ws.cell(row, cols["Diện NCC (Pháp lệnh 02/2020)"]).value = None
    wb.save(ma_noi)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings) == ("invalid", 1, 0)
    assert _facts(outcome) == [(
        ERROR, "Thành viên NCC", 6, "Diện NCC (Pháp lệnh 02/2020)", "",
        "Chưa ghi 'Diện NCC (Pháp lệnh 02/2020)' của thành viên.",
        "ghi một chữ cái a, b, c, d, đ, e, g, h, i, k, l, m, hoặc tn theo Điều 3 Pháp lệnh 02/2020/UBTVQH14 cho "
        "đúng diện của thành viên này.")]


def test_blank_member_relation_is_an_error(config, ma_noi):
    """A blank "Quan hệ với chủ hộ" was a warning; it is now an error."""
    wb = load_workbook(ma_noi)
    ws = wb[schema.SHEET_MEMBERS]
    cols = header_columns(ws, schema.MEMBERS_HEADER_ROW)
    ws.cell(5, cols["Quan hệ với chủ hộ"]).value = None
    wb.save(ma_noi)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert [f[:6] for f in _facts(outcome)] == [
        (ERROR, "Thành viên NCC", 5, "Quan hệ với chủ hộ", "", "Chưa ghi 'Quan hệ với chủ hộ'.")]


ROSTER_BLANKS = ["head_name", "village", "ethnicity", "members_count", "ncc_categories", "status_baseline",
                 "status_current", "income_vnd_per_person_month"]


@pytest.mark.parametrize("key", ROSTER_BLANKS)
def test_blank_required_roster_cell_is_an_error_on_that_cell(config, ma_noi, key):
    """Blanking one required cell of a near-poor household gives an error on that cell naming the column,
    and no second error on the same row for it (no "out of scope" or "change kind" echo)."""
    code = next(r["household_code"] for r in roster_rows(ma_noi) if r["status_baseline"] == "Cận nghèo")
    header = next(f.header for f in schema.ROSTER_FIELDS if f.key == key)
    wb = load_workbook(ma_noi)  # edit_roster cannot blank a cell: openpyxl's ws.cell(r, c, None) keeps the value
    ws = wb[schema.SHEET_ROSTER]
    cols = header_columns(ws, schema.ROSTER_HEADER_ROW)
    row = next(r for r in range(schema.ROSTER_HEADER_ROW + 1, ws.max_row + 1)
               if ws.cell(r, cols["Mã hộ"]).value == code)
    assert ws.cell(row, cols[header]).value not in (None, "")
    ws.cell(row, cols[header]).value = None
    wb.save(ma_noi)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    on_row = [f for f in _facts(outcome) if f[1] == "Danh sách hộ NCC" and f[2] == row]
    assert [f[:6] for f in on_row] == [(ERROR, "Danh sách hộ NCC", row, header, "", f"Chưa ghi '{header}'.")]


def _set_roster(path: Path, row: int, header: str, value: Any) -> None:
    wb = load_workbook(path)
    ws = wb[schema.SHEET_ROSTER]
    ws.cell(row, header_columns(ws, schema.ROSTER_HEADER_ROW)[header]).value = value
    wb.save(path)


@pytest.mark.parametrize("header, row, value", [
    ("Phân loại tại ngày chốt", 6, None),  # a poor household: the summary's poor NCC figures at the cut-off
    ("Phân loại tại 01/01", 8, None),  # a near-poor household: the near-poor figures at 01/01
    ("Phân loại tại ngày chốt", 5, "Nghèo lắm"),  # not a status: the in-set error only
])
def test_unknown_status_is_the_only_error_and_the_summary_is_not_blamed(config, ma_noi, header, row, value):
    """A blank or unknown status leaves the roster's NCC counts at that date unknown: the cell is the one
    error; the summary's right figures are not called wrong, and the change kind is not blamed."""
    _set_roster(ma_noi, row, header, value)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings) == ("invalid", 1, 0), _facts(outcome)
    assert _facts(outcome)[0][:5] == (ERROR, "Danh sách hộ NCC", row, header, value or "")


def test_blank_household_code_is_the_only_error(config, ma_noi):
    """A household without a code (22828-0003, row 7): its members cannot be matched, so neither its NCC
    count against "Thành viên NCC" nor the member row of 22828-0003 is reported; the blank code is."""
    _set_roster(ma_noi, 7, "Mã hộ", None)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert [f[:6] for f in _facts(outcome)] == [
        (ERROR, "Danh sách hộ NCC", 7, "Mã hộ", "", "Chưa ghi 'Mã hộ'.")]


def test_member_codes_missing_from_the_roster_are_errors_when_more_than_the_uncoded_households(config, ma_noi):
    """One household without a code cannot account for two member codes absent from the roster: both
    member rows are reported, besides the blank code."""
    _set_roster(ma_noi, 7, "Mã hộ", None)
    wb = load_workbook(ma_noi)
    wb[schema.SHEET_MEMBERS].cell(8, 2).value = "22828-0044"  # was 22828-0004
    wb.save(ma_noi)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    members = [f[:5] for f in _facts(outcome) if f[1] == "Thành viên NCC"]
    assert members == [(ERROR, "Thành viên NCC", 7, "Mã hộ", "22828-0003"),
                       (ERROR, "Thành viên NCC", 8, "Mã hộ", "22828-0044")]
    assert (ERROR, "Danh sách hộ NCC", 7, "Mã hộ", "") in [f[:5] for f in _facts(outcome)]
