"""Validation: GX suites give row-level Vietnamese findings; errors block, warnings only report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.findings import ERROR, WARNING
from pipeline.validate.rules import EXPECTATIONS_DIR, SuiteError, load_suite, validate_submission
from tests.helpers import edit_roster, edit_summary, roster_rows

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples" / "2023-6T"


@pytest.fixture
def ma_noi(tmp_path) -> Path:
    """A private copy of xã Ma Nới's sample workbook."""
    dst = tmp_path / "ma_noi.xlsx"
    shutil.copyfile(SAMPLES / "22828_ma_noi.xlsx", dst)
    return dst


def test_plan_samples_are_valid(config):
    """All 8 committed sample workbooks pass with no error and no warning."""
    paths = sorted(SAMPLES.glob("*.xlsx"))
    assert len(paths) == 8
    for p in paths:
        outcome = validate_submission(p, config=config, period="2023-6T")
        assert (outcome.status, outcome.errors, outcome.warnings) == ("valid", 0, 0), p.name


def test_invalid_test_unit_findings_name_place_and_value(config, test_set):
    """The test set's invalid unit gets exactly its two errors, each with sheet, row, column and value."""
    path = next(test_set.glob("22825_*.xlsx"))
    outcome = validate_submission(path, config=config, period="2023-6T")
    assert outcome.status == "invalid"
    got = {(f.severity, f.sheet, f.row, f.column, f.value) for f in outcome.findings}
    from tests.helpers import summary_cells

    row = roster_rows(path)[0]
    typed = summary_cells(path)["ncc_near_poor_households"][1]
    listed = sum(r["status_current"] == "Cận nghèo" for r in roster_rows(path))
    assert typed == listed + 1
    assert got == {
        (ERROR, "Danh sách hộ NCC", 5, "Số thành viên là NCC hoặc thân nhân", str(row["ncc_members_count"])),
        (ERROR, "Tổng hợp", 12, "Tại ngày chốt số liệu (hoặc lũy kế từ 01/01)", str(typed)),
    }
    ncc = next(f for f in outcome.findings if f.sheet == "Danh sách hộ NCC")
    assert f"Số nhân khẩu: {row['members_count']}" in ncc.message
    assert "không được vượt quá" in ncc.fix
    rec = next(f for f in outcome.findings if f.sheet == "Tổng hợp")
    assert f"danh sách hộ NCC cho {listed}" in rec.message


def test_wrong_period_and_unknown_unit(config, ma_noi):
    """Another period and an unknown code with an unknown name: errors on both, closest units suggested."""
    from openpyxl import load_workbook

    wb = load_workbook(ma_noi)
    ws = wb["Thông tin chung"]
    ws["B4"], ws["B5"], ws["B6"] = "22899", "xa Ma Noi Moi", "2023-9T"
    wb.save(ma_noi)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    errors = {(f.row, f.column, f.value) for f in outcome.findings if f.severity == ERROR}
    assert errors == {(4, "Mã đơn vị (mã hành chính)", "22899"), (6, "Kỳ báo cáo", "2023-9T")}
    assert outcome.unit_code is None
    code = next(f for f in outcome.findings if f.row == 4)
    assert "Đơn vị gần nhất: 22828 (xã Ma Nới)" in code.message
    period = next(f for f in outcome.findings if f.row == 6)
    assert "Kỳ đang tổng hợp: 2023-6T." in period.message


def test_unit_found_by_alias_when_code_is_blank(config, ma_noi):
    """A blank code with the name "Xã Ma Nối" (the plan's typo, a configured alias) is Ma Nới, with a warning."""
    from openpyxl import load_workbook

    wb = load_workbook(ma_noi)
    ws = wb["Thông tin chung"]
    ws["B4"], ws["B5"] = None, "Xã Ma Nối"
    wb.save(ma_noi)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert (outcome.unit_code, outcome.errors) == ("22828", 0)
    (warn,) = [f for f in outcome.findings if f.severity == WARNING]
    assert warn.row == 4 and "xã Ma Nới (mã 22828)" in warn.message


def test_status_change_without_decision_is_an_error(config, ma_noi):
    """A household that escaped poverty needs the commune's decision number and date."""
    code = next(r["household_code"] for r in roster_rows(ma_noi) if r["status_baseline"] == "Nghèo")
    row = edit_roster(ma_noi, code, status_current="Cận nghèo", change_kind="Thoát nghèo")
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    decision = [f for f in outcome.findings if f.row == row and f.column == "Số quyết định của UBND xã"]
    assert len(decision) == 1 and decision[0].severity == ERROR


def test_change_kind_must_match_statuses(config, ma_noi):
    """"Không thay đổi" with a changed status is an error on the "Loại biến động" cell of that row."""
    code = next(r["household_code"] for r in roster_rows(ma_noi) if r["status_baseline"] == "Nghèo")
    row = edit_roster(ma_noi, code, status_current="Cận nghèo")
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    hits = [(f.row, f.column, f.value) for f in outcome.findings if f.rule.endswith("to_be_in_set")
            and f.column == "Loại biến động"]
    assert hits == [(row, "Loại biến động", "Không thay đổi")]


def test_text_in_a_count_cell(config, ma_noi):
    """"năm" typed as a number of members is an error naming the cell and the text."""
    code = roster_rows(ma_noi)[0]["household_code"]
    row = edit_roster(ma_noi, code, members_count="năm")
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    hit = [f for f in outcome.findings if f.row == row and f.column == "Số nhân khẩu"]
    assert hit[0].value == "năm" and hit[0].severity == ERROR


def test_vietnamese_number_text_is_read(config, ma_noi):
    """Counts typed as text with dot separators ("1.138") read as numbers; the unit stays valid."""
    from tests.helpers import summary_cells

    total = summary_cells(ma_noi)["households_total"][1]
    edit_summary(ma_noi, "households_total", current=f"{total:,}".replace(",", "."))
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert outcome.status == "valid"


def test_income_outlier_is_only_a_warning(config, ma_noi):
    """An implausible income (in thousand đồng by mistake) warns but does not block the unit."""
    code = roster_rows(ma_noi)[0]["household_code"]
    row = edit_roster(ma_noi, code, income_vnd_per_person_month=1200)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert outcome.status == "valid"
    warn = [f for f in outcome.findings if f.severity == WARNING]
    assert [(f.row, f.value) for f in warn] == [(row, "1200")]


def test_not_a_workbook(config, tmp_path):
    """A file that is not a workbook gives one clear error, no exception."""
    bad = tmp_path / "bao_cao.xlsx"
    bad.write_bytes(b"this is not a zip file")
    outcome = validate_submission(bad, config=config, period="2023-6T")
    assert outcome.errors == 1
    assert "không phải bảng tính Excel" in outcome.findings[0].message


def test_suites_load_whole():
    """Every suite in expectations/ loads with as many expectations as its file lists, each described."""
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        suite = load_suite(path.stem)
        raw = json.loads(path.read_text(encoding="utf-8"))
        assert len(suite.expectations) == len(raw["expectations"]) > 0
        assert all(e.severity.value in ("critical", "warning") for e in suite.expectations)
        assert all(" Cách sửa: " in e.description for e in suite.expectations)


@pytest.mark.parametrize(
    "broken",
    [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "x", "min_valu": 1},
         "meta": {"field": "x"}, "description": "a"},
        {"type": "expect_column_values_to_be_nonsense", "kwargs": {"column": "x"}, "meta": {"field": "x"},
         "description": "a"},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}},
    ],
)
def test_broken_suite_is_refused(tmp_path, broken):
    """An invalid, unknown or undescribed expectation makes the suite fail to load instead of vanishing."""
    raw = json.loads((EXPECTATIONS_DIR / "roster.json").read_text(encoding="utf-8"))
    raw["expectations"].append(broken)
    (tmp_path / "roster.json").write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SuiteError):
        load_suite("roster", tmp_path)


def test_old_xls_and_csv_are_refused_clearly(config, tmp_path):
    """An OLE (.xls or password-protected) file and a CSV each get one error saying how to convert."""
    ole = tmp_path / "bao_cao.xls"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    csv = tmp_path / "bao_cao.csv"
    csv.write_text("Mã hộ,Số nhân khẩu\n22828-0001,6\n", encoding="utf-8")
    for path, words in ((ole, "Save As"), (csv, "mau_bao_cao_don_vi.xlsx")):
        outcome = validate_submission(path, config=config, period="2023-6T")
        assert outcome.errors == 1, path.name
        assert words in outcome.findings[0].fix


def test_unit_name_must_match_code(config, ma_noi):
    """Code 22831 (Nhơn Sơn) typed with the name "xã Ma Nới" is an error on the name cell."""
    from openpyxl import load_workbook

    wb = load_workbook(ma_noi)
    wb["Thông tin chung"]["B4"] = "22831"
    wb.save(ma_noi)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    names = [(f.row, f.column, f.value) for f in outcome.findings if f.column == "Tên đơn vị"]
    assert names == [(5, "Tên đơn vị", "xã Ma Nới")]


@pytest.mark.parametrize("typed", ["Xã Ma Nối", "ma noi", "MA NỚI"])
def test_unit_name_variants_accepted(config, ma_noi, typed):
    """Spelling variants of the name (the plan's own typo, no diacritics, capitals) match code 22828."""
    from openpyxl import load_workbook

    wb = load_workbook(ma_noi)
    wb["Thông tin chung"]["B5"] = typed
    wb.save(ma_noi)
    assert validate_submission(ma_noi, config=config, period="2023-6T").errors == 0


def test_one_finding_per_bad_cell(config, ma_noi):
    """A negative count gives the reader's error only, not a second "empty cell" error on the same cell."""
    code = roster_rows(ma_noi)[0]["household_code"]
    row = edit_roster(ma_noi, code, members_count=-3)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    same_cell = [f for f in outcome.findings if (f.row, f.column) == (row, "Số nhân khẩu")]
    assert len(same_cell) == 1 and same_cell[0].value == "-3"


def test_impossible_date(config, ma_noi):
    """31/02/2023 is reported as a date that does not exist."""
    code = roster_rows(ma_noi)[0]["household_code"]
    row = edit_roster(ma_noi, code, status_current="Cận nghèo", change_kind="Thoát nghèo",
                      decision_number="12/QĐ-UBND", decision_date="31/02/2023")
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    hit = [f for f in outcome.findings if (f.row, f.column) == (row, "Ngày quyết định")]
    assert hit[0].message == "Ngày không tồn tại."


def test_missing_roster_sheet_gives_one_error(config, ma_noi):
    """A deleted roster sheet is one error, without a flood of reconciliation errors."""
    from openpyxl import load_workbook

    wb = load_workbook(ma_noi)
    del wb["Danh sách hộ NCC"]
    wb.save(ma_noi)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert [(f.sheet, f.message) for f in outcome.findings] == [("Danh sách hộ NCC", "Thiếu sheet 'Danh sách hộ NCC'.")]


def test_status_against_decree_07_is_a_warning(config, ma_noi):
    """A "poor" household with income above the rural line warns with the figures, and stays valid."""
    code = next(r["household_code"] for r in roster_rows(ma_noi) if r["status_current"] == "Nghèo")
    row = edit_roster(ma_noi, code, income_vnd_per_person_month=1_800_000)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert outcome.status == "valid"
    (warn,) = [f for f in outcome.findings if f.severity == WARNING]
    assert (warn.row, warn.column, warn.value) == (row, "Phân loại tại ngày chốt", "Nghèo")
    assert "Thu nhập 1.800.000 đồng/người/tháng (ngưỡng xã Ma Nới: 1.500.000)" in warn.message
    assert "07/2021/NĐ-CP" in warn.message


def test_decision_after_cutoff_warns(config, ma_noi):
    """A decision dated after the cut-off (30/04) warns that it belongs to a later period."""
    code = next(r["household_code"] for r in roster_rows(ma_noi) if r["status_current"] == "Nghèo")
    row = edit_roster(ma_noi, code, status_current="Cận nghèo", change_kind="Thoát nghèo",
                      decision_number="99/QĐ-UBND", decision_date="15/09/2023")
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    hits = [f for f in outcome.findings if (f.row, f.column) == (row, "Ngày quyết định")]
    assert [(f.severity, f.value) for f in hits] == [(WARNING, "15/09/2023")]


def test_member_sheet_must_agree_with_roster(config, ma_noi):
    """A household whose NCC member count differs from its rows in "Thành viên NCC" is an error; a member
    row for an unknown household code is another."""
    from openpyxl import load_workbook

    code = roster_rows(ma_noi)[0]["household_code"]
    wb = load_workbook(ma_noi)
    ws = wb["Thành viên NCC"]
    ws.append([99, "22828-9999", "Con", "tn"])
    stray_row = ws.max_row
    wb.save(ma_noi)
    ncc = roster_rows(ma_noi)[0]["ncc_members_count"]
    row = edit_roster(ma_noi, code, ncc_members_count=ncc + 1)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    got = {(f.sheet, f.row, f.column, f.value) for f in outcome.findings if f.severity == ERROR}
    assert ("Danh sách hộ NCC", row, "Số thành viên là NCC hoặc thân nhân", str(ncc + 1)) in got
    assert ("Thành viên NCC", stray_row, "Mã hộ", "22828-9999") in got
    hit = next(f for f in outcome.findings if f.row == row and f.sheet == "Danh sách hộ NCC")
    assert f"Số người ở sheet Thành viên NCC: {ncc}" in hit.message


def test_blank_template_has_input_rules(config):
    """The blank workbook offers drop-down lists and numeric ranges while typing."""
    from openpyxl import load_workbook

    wb = load_workbook(ROOT / "templates" / "mau_bao_cao_don_vi.xlsx")
    assert wb.sheetnames == ["Thông tin chung", "Tổng hợp", "Danh sách hộ NCC", "Thành viên NCC", "Thuyết minh"]
    rules = {(ws.title, dv.type, dv.formula1) for ws in wb for dv in ws.data_validations.dataValidation}
    assert ("Danh sách hộ NCC", "list",
            '"Nghèo,Cận nghèo,Mức sống trung bình,Không nghèo,Không có trên địa bàn"') in rules
    assert ("Thông tin chung", "list", '"22810,22813,22816,22819,22822,22825,22828,22831"') in rules
    assert ("Danh sách hộ NCC", "whole", "1") in rules
    assert ("Thành viên NCC", "list", '"a,b,c,d,đ,e,g,h,i,k,l,m,tn"') in rules
    status = next(dv for dv in wb["Danh sách hộ NCC"].data_validations.dataValidation
                  if dv.formula1 and dv.formula1.startswith('"Nghèo'))
    assert "J5:J304" in str(status.sqref) or "K5:K304" in str(status.sqref)


def test_findings_for_logs_hide_personal_values(config):
    """A finding on the head-of-household name keeps its place but hides the name in logs; a count column
    shows a number but not text."""
    from pipeline.findings import Finding
    from pipeline.schema import shown_lists

    lists = shown_lists(config)
    f = Finding(ERROR, "Danh sách hộ NCC", 7, "Họ và tên chủ hộ", "Pinăng Thị Hoa", "Trùng tên.", "Sửa.", "x")
    assert f.masked(lists).value == "(ẩn)" and "Pinăng" not in f.masked(lists).as_text("a.xlsx")
    g = Finding(ERROR, "Danh sách hộ NCC", 7, "Số nhân khẩu", "năm", "Phải là số.", "", "read")
    assert g.masked(lists).value == "(ẩn)"  # text in a count column has no number's shape: hidden too
    number = Finding(ERROR, "Danh sách hộ NCC", 7, "Số nhân khẩu", "-5", "Phải là số.", "", "read")
    assert number.masked(lists).value == "-5"
