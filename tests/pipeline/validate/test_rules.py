"""Validation (``pipeline/validate/rules.py``): GX suites give row-level Vietnamese findings; errors block,
warnings only report.

Workbook tests validate the committed samples, edited as a commune clerk would: findings name sheet, row,
column and value; a poverty standard is applied only where one is implemented, and a period without one says
so; every field the workbook contract marks mandatory has a critical not-null rule, and a blank mandatory cell
is one error naming the cell. Inline tests validate frames of a few rows built in the test with
``check_frames`` and ``findings_of``: for each expectation of each suite, a good row passes and the row built
to break it is reported, with its finding.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
import pytest
from openpyxl import load_workbook

from pipeline import office_schema as o
from pipeline import schema
from pipeline.findings import ERROR, WARNING, Finding, split_description
from pipeline.read.reader import read_submission
from pipeline.schema import shown_lists
from pipeline.validate.rules import (
    EXPECTATIONS_DIR,
    STANDARD_RULES,
    Frame,
    History,
    SuiteError,
    check_frames,
    code_labels,
    findings_of,
    load_suite,
    validate_submission,
)
from tests.helpers import edit_roster, edit_summary, header_columns, roster_rows, summary_cells

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples" / "2023-6T"
MA_NOI = SAMPLES / "22828_ma_noi.xlsx"
SUITE_OF_SHEET = {schema.SHEET_GENERAL: "general", schema.SHEET_SUMMARY: "summary", schema.SHEET_ROSTER: "roster",
                  schema.SHEET_MEMBERS: "members", schema.SHEET_NARRATIVE: "narrative"}


@pytest.fixture
def ma_noi(tmp_path) -> Path:
    """A private copy of xã Ma Nới's sample workbook."""
    dst = tmp_path / "ma_noi.xlsx"
    shutil.copyfile(MA_NOI, dst)
    return dst


def test_plan_samples_are_valid(config):
    """All 8 committed sample workbooks pass with no error and no warning."""
    paths = sorted(SAMPLES.glob("[0-9]*.xlsx"))
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
    total = summary_cells(ma_noi)["households_total"][1]
    edit_summary(ma_noi, "households_total", current=f"{total:,}".replace(",", "."))
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert outcome.status == "valid"


# --- Figures bounded by the unit itself (validation.bounds) -----------------------------------------------------

def _bound_findings(outcome) -> list[tuple[str, int | None, str, str]]:
    """(severity, row, value, limit detail) of the bounds findings (their messages name the unit itself)."""
    return [(f.severity, f.row, f.value, f.message.split(". ", 1)[1]) for f in outcome.findings
            if f.message.startswith(("Số liệu không thể có ở đơn vị này.", "Số liệu khác thường so với chính đơn vị."))]


@pytest.mark.parametrize(("current", "severity", "ratio"), [
    (5272 * 3, ERROR, "3,00"),  # another order of magnitude: three times the 01/01 figure
    (5272 // 3, ERROR, "3,00"),  # and a third of it (a digit dropped)
    (6000, WARNING, "1,14"),  # between the soft and the hard limit: staff may accept it with a justification
    (5500, None, None),  # within 10 %: households come and go
], ids=["triple", "third", "soft", "within"])
def test_households_at_the_cut_off_are_bounded_by_the_units_own_01_01_figure(config, tmp_path, current, severity,
                                                                              ratio):
    """Tân Sơn's "Tổng số hộ dân cư trên địa bàn" at the cut-off against its 01/01 figure (5.272) in the same
    sheet: beyond 2 times either way an error on the cell naming both figures and the limit, beyond 1,1 times a
    warning, within it nothing."""
    path = tmp_path / "22810_tan_son.xlsx"
    shutil.copyfile(SAMPLES / path.name, path)
    assert summary_cells(path)["households_total"] == (5272, 5272)
    edit_summary(path, "households_total", current=current)
    outcome = validate_submission(path, config=config, period="2023-6T")
    found = _bound_findings(outcome)
    if severity is None:
        assert found == [] and outcome.status == "valid"
        return
    [(sev, row, value, detail)] = found
    assert (sev, row, value) == (severity, 5, str(current))
    shown = f"{current:,}".replace(",", ".")
    assert detail == (f"Tổng số hộ tại ngày chốt {shown}; tại ngày 01/01 trong cùng biểu: 5.272 (chênh {ratio} lần; "
                      f"giới hạn 1,10 lần, tối đa 2,00 lần).")
    assert outcome.status == ("invalid" if severity == ERROR else "valid")


@pytest.mark.parametrize(("households", "persons", "severity", "average"), [
    (109, 108, ERROR, "bình quân 1,0 người/hộ"),  # fewer persons than households
    (0, 5, ERROR, None),  # persons of no household
    (109, 109 * 35, ERROR, "bình quân 35,0 người/hộ"),  # beyond 30 a household (the roster's own limit)
    (109, 109 * 10, WARNING, "bình quân 10,0 người/hộ"),  # beyond 8: to be explained
    (109, 351, None, None),  # the sample's 3,2
], ids=["fewer-persons", "no-household", "beyond-hard", "beyond-soft", "within"])
def test_persons_are_bounded_by_their_households(config, tmp_path, households, persons, severity, average):
    """Hòa Sơn's poor persons at the cut-off against its poor households: at least one person a household and at
    most 30 (an error otherwise, persons of no household too), more than 8 a warning."""
    path = tmp_path / "22825_hoa_son.xlsx"
    shutil.copyfile(SAMPLES / path.name, path)
    edit_summary(path, "poor_households", current=households)
    edit_summary(path, "poor_persons", current=persons)
    outcome = validate_submission(path, config=config, period="2023-6T")
    found = [f for f in _bound_findings(outcome) if f[3].startswith("'Số nhân khẩu của hộ nghèo'")]
    if severity is None:
        assert found == []
        return
    [(sev, _row, value, detail)] = found
    assert (sev, value) == (severity, str(persons))
    assert f"'Số nhân khẩu của hộ nghèo' {persons:,} người cho {households:,} hộ".replace(",", ".") in detail
    assert (average in detail) if average else "bình quân" not in detail
    assert detail.endswith("mỗi hộ có từ 1 đến 30 người, quá 8 người/hộ cần giải trình.")


@pytest.mark.parametrize(("current", "severity"), [
    (112 * 10, ERROR),  # an extra zero: ten times the 01/01 list
    (112 * 3, WARNING),  # three times: to be explained (or accepted)
    (112 + 4, None),  # a few households: the commune's decisions
    (112 * 2, None),  # twice, within the soft limit
], ids=["tenfold", "threefold", "four-more", "twice"])
def test_poor_households_are_bounded_by_their_01_01_list(config, tmp_path, current, severity):
    """Tân Sơn's 112 poor households at 01/01 against the cut-off (persons moved alike, so their ratio holds):
    five times or more an error on the cell, beyond twice a warning, a change of fewer than 5 households never."""
    path = tmp_path / "22810_tan_son.xlsx"
    shutil.copyfile(SAMPLES / path.name, path)
    assert summary_cells(path)["poor_households"] == (112, 112)
    persons = summary_cells(path)["poor_persons"][0]
    edit_summary(path, "poor_households", current=current)
    edit_summary(path, "poor_persons", current=round(persons * current / 112))
    found = [f for f in _bound_findings(validate_submission(path, config=config, period="2023-6T"))
             if f[3].startswith("'Số hộ nghèo' tại ngày chốt")]
    assert [(f[0], f[1], f[2]) for f in found] == ([] if severity is None else [(severity, 6, str(current))])
    if severity is not None:
        assert "tại ngày 01/01 trong cùng biểu: 112 (chênh " in found[0][3]


def test_a_households_typo_is_blamed_on_the_households_cell(config, tmp_path):
    """Tân Sơn's poor households typed ten times over at the cut-off (an extra zero) beside its poor persons
    unchanged since 01/01: the error is on the households cell, which moved against its own 01/01 figure, never on
    the persons' (which a commune would then "fix"); a persons typo is still blamed on the persons."""
    path = tmp_path / "22810_tan_son.xlsx"
    shutil.copyfile(SAMPLES / path.name, path)
    cells = summary_cells(path)
    poor, persons = cells["poor_households"][1], cells["poor_persons"][1]
    edit_summary(path, "poor_households", current=poor * 10)
    found = [f for f in _bound_findings(validate_submission(path, config=config, period="2023-6T"))
             if "người cho" in f[3]]
    rows = {k: r for r, k in ((6, "poor_households"), (7, "poor_persons"))}
    assert [(f[0], f[1], f[2]) for f in found] == [(ERROR, rows["poor_households"], str(poor * 10))]
    assert "số hộ thay đổi nhiều hơn" in found[0][3]
    edit_summary(path, "poor_households", current=poor)
    edit_summary(path, "poor_persons", current=persons * 12)
    found = [f for f in _bound_findings(validate_submission(path, config=config, period="2023-6T"))
             if "người cho" in f[3]]
    assert [(f[0], f[1], f[2]) for f in found] == [(ERROR, rows["poor_persons"], str(persons * 12))]


@pytest.mark.parametrize(("baseline", "current", "rows"), [
    (5272, 10**15, 1),  # the case met: a quadrillion households in a town of 5.272 (one finding on the cell)
    (10**15, 10**15, 2),  # the same impossible figure in both columns: their ratio is 1
    (600_000, 5272, 1),  # only the 01/01 column
], ids=["quadrillion", "both-columns", "baseline-only"])
def test_households_beyond_any_commune_are_an_error_whatever_the_other_column(config, tmp_path, baseline, current,
                                                                              rows):
    """More households than any commune-level unit has (500.000, configured) is an error on each cell that
    holds it, even when both columns agree."""
    path = tmp_path / "22810_tan_son.xlsx"
    shutil.copyfile(SAMPLES / path.name, path)
    edit_summary(path, "households_total", baseline=baseline, current=current)
    outcome = validate_submission(path, config=config, period="2023-6T")
    beyond = [f for f in _bound_findings(outcome) if f[3].endswith("một đơn vị cấp xã có không quá 500.000 hộ.")]
    assert [(f[0], f[1]) for f in beyond] == [(ERROR, 5)] * rows and outcome.status == "invalid"


def test_households_are_bounded_by_the_years_accepted_figure_too(config, tmp_path):
    """Against the same year's accepted 6-month figure (a 9-month workbook whose 01/01 column is the same):
    2,5 times Tân Sơn's accepted households is an error naming that period; a figure accepted with a
    justification is no longer a warning."""
    path = tmp_path / "22810_tan_son.xlsx"
    shutil.copyfile(SAMPLES / path.name, path)
    previous = read_submission(SAMPLES / path.name, config)
    edit_summary(path, "households_total", baseline=13180, current=13180)
    history = History(previous=previous, previous_period="2023-6T", same_year=True, accepted={})
    found = _bound_findings(validate_submission(path, config=config, period="2023-6T", history=history))
    assert [(f[0], f[3]) for f in found] == [(ERROR, "Tổng số hộ tại ngày chốt 13.180; kỳ 2023-6T đã chấp nhận: 5.272 "
                                                     "(chênh 2,50 lần; giới hạn 1,10 lần, tối đa 2,00 lần).")]
    edit_summary(path, "households_total", baseline=6000, current=6000)
    warned = _bound_findings(validate_submission(path, config=config, period="2023-6T", history=history))
    assert [f[0] for f in warned] == [WARNING]
    accepted = History(previous=previous, previous_period="2023-6T", same_year=True,
                       accepted={"households_total": "Sáp nhập thôn Tân Bình"})
    assert _bound_findings(validate_submission(path, config=config, period="2023-6T", history=accepted)) == []


def test_a_successor_is_compared_with_its_predecessors_sum(config, tmp_path):
    """xã Ninh Sơn (22810 from 01/07/2025) took over thị trấn Tân Sơn and xã Quảng Sơn: its figures are compared
    with the sum of their accepted ones (summed here from the two sample workbooks' own cells), named as such;
    the old units' households (their codes) are not looked for in its roster."""
    from pipeline.validate.run import _summed

    tan_son, quang_son = (read_submission(SAMPLES / f"{n}.xlsx", config) for n in ("22810_tan_son", "22819_quang_son"))
    cells = [summary_cells(SAMPLES / f"{n}.xlsx") for n in ("22810_tan_son", "22819_quang_son")]
    households = sum(c["households_total"][1] for c in cells)
    poor = sum(c["poor_households"][1] for c in cells)
    summed = _summed([tan_son, quang_son])
    assert summed.summary.set_index("indicator").at["households_total", "value_current"] == households
    assert summed.roster.empty and len(tan_son.roster) > 0
    history = History(previous=summed, previous_period="2025-6T", same_year=True, accepted={},
                      previous_units=("thị trấn Tân Sơn", "xã Quảng Sơn"))
    path = tmp_path / "22810_tan_son.xlsx"
    shutil.copyfile(SAMPLES / path.name, path)
    edit_summary(path, "households_total", baseline=households, current=households)
    outcome = validate_submission(path, config=config, period="2023-6T", history=history)
    assert _bound_findings(outcome) == []  # its own households beside the sum: no bound crossed
    assert not [f for f in outcome.findings if "Có trong báo cáo kỳ" in f.message]  # no continuity check
    grown = poor + poor // 2  # half as many again: beyond 20 %
    edit_summary(path, "poor_households", current=grown)
    outcome = validate_submission(path, config=config, period="2023-6T", history=history)
    [said] = [f.message for f in outcome.findings if "(thay đổi" in f.message and f.row is not None
              and f.value == str(grown)]
    dotted = {n: f"{n:,}".replace(",", ".") for n in (poor, grown)}
    assert f"Kỳ 2025-6T (tổng của thị trấn Tân Sơn, xã Quảng Sơn): {dotted[poor]}; kỳ này: {dotted[grown]} " in said
    lone = History(previous=tan_son, previous_period="2025-6T", same_year=True, accepted={})
    edit_summary(path, "households_total", baseline=households, current=households)
    found = _bound_findings(validate_submission(path, config=config, period="2023-6T", history=lone))
    # against Tân Sơn alone the same figure would be out of bounds: the sum is what makes it plausible
    assert [f[3].split(";")[1].split(":")[0] for f in found if f[3].startswith("Tổng số hộ")] == [
        " kỳ 2025-6T đã chấp nhận"]


def _amount_findings(outcome) -> list[tuple[str, int | None, str, str, str]]:
    """(severity, row, column, value, ceiling detail) of the household-amount findings."""
    return [(f.severity, f.row, f.column, f.value, f.message.split(". ", 1)[1]) for f in outcome.findings
            if f.message.startswith(("Số tiền không thể có với một hộ", "Số tiền cao bất thường"))]


@pytest.mark.parametrize(("unit", "field", "value", "severity", "detail"), [
    ("22828_ma_noi", "income_vnd_per_person_month", 10**9, ERROR,
     "1.000.000.000 đồng/người/tháng; chuẩn nghèo Nghị định 07/2021/NĐ-CP, khu vực nông thôn: 1.500.000 "
     "đồng/người/tháng; quá 3 lần (4.500.000 đồng) cần giải trình, tối đa 20 lần (30.000.000 đồng)."),
    ("22828_ma_noi", "income_vnd_per_person_month", 5_000_000, WARNING, None),
    ("22810_tan_son", "income_vnd_per_person_month", 5_000_000, None, None),  # urban line 2.000.000: 3 lines = 6M
    ("22810_tan_son", "income_vnd_per_person_month", 7_000_000, WARNING,
     "7.000.000 đồng/người/tháng; chuẩn nghèo Nghị định 07/2021/NĐ-CP, khu vực thành thị: 2.000.000 "
     "đồng/người/tháng; quá 3 lần (6.000.000 đồng) cần giải trình, tối đa 20 lần (40.000.000 đồng). Mã để cán bộ "
     "tổng hợp chấp nhận (nếu số tiền đúng): income_vnd_per_person_month:22810-0001."),
    ("22828_ma_noi", "support_housing_vnd", 40_000_000, None, None),  # a house built: tens of millions
    ("22828_ma_noi", "support_housing_vnd", 80_000_000, WARNING, None),
    ("22828_ma_noi", "support_housing_vnd", 4_000_000_000, ERROR, None),  # three zeros too many
    ("22828_ma_noi", "support_loan_vnd", 100_000_000, None, None),
    ("22828_ma_noi", "support_loan_vnd", 10**12, ERROR, None),
    ("22828_ma_noi", "sponsor_amount_vnd", 31_000_000, WARNING, None),
], ids=["income-billion", "income-5m-rural", "income-5m-urban", "income-7m-urban", "house-40m", "house-80m",
        "house-4bn", "loan-100m", "loan-trillion", "sponsor-31m"])
def test_household_amounts_are_bounded_by_the_periods_poverty_line(config, tmp_path, unit, field, value, severity,
                                                                   detail):
    """A household's income and supports against the period's poverty line for the unit's area (configured in
    poverty lines, so the ceilings follow the standard): beyond the hard ceiling an error on the cell naming the
    line and both ceilings, beyond the soft one a warning, below it nothing."""
    path = tmp_path / f"{unit}.xlsx"
    shutil.copyfile(SAMPLES / path.name, path)
    code = roster_rows(path)[0]["household_code"]
    row = edit_roster(path, code, **{field: value})
    outcome = validate_submission(path, config=config, period="2023-6T")
    found = _amount_findings(outcome)
    if severity is None:
        assert found == []
        return
    [(sev, at, column, shown, said)] = found
    header = schema.ROSTER_FIELDS_BY_KEY[field].header
    assert (sev, at, column, shown) == (severity, row, header, str(value))
    if detail is not None:
        assert said == detail
    assert (outcome.status == "invalid") == (severity == ERROR)


def test_an_amount_accepted_by_staff_is_no_longer_a_warning(config, ma_noi):
    """80 million đồng of housing support (beyond 50 poverty lines) accepted by district staff for that household
    (key support_housing_vnd:<code>) gives no finding; another household's is still checked; a hard-ceiling
    error cannot be accepted."""
    first, second = (r["household_code"] for r in roster_rows(ma_noi)[:2])
    edit_roster(ma_noi, first, support_housing_vnd=80_000_000)
    edit_roster(ma_noi, second, support_housing_vnd=80_000_000)
    previous = read_submission(MA_NOI, config)
    accepted = History(previous=previous, previous_period="2023-6T", same_year=False,
                       accepted={f"support_housing_vnd:{first}": "Xây mới nhà, hỗ trợ hai nguồn"})
    found = _amount_findings(validate_submission(ma_noi, config=config, period="2023-6T", history=accepted))
    assert [f[0] for f in found] == [WARNING] and len(found) == 1
    edit_roster(ma_noi, first, support_housing_vnd=4_000_000_000)
    found = _amount_findings(validate_submission(ma_noi, config=config, period="2023-6T", history=accepted))
    assert sorted((f[0], f[4][:13]) for f in found) == sorted([(ERROR, "4.000.000.000"), (WARNING, "80.000.000 đồ")])


def test_amount_ceilings_come_from_configuration(config, ma_noi):
    """Ceilings set in validation.bounds.amounts replace the default for that amount only."""
    import dataclasses

    code = roster_rows(ma_noi)[0]["household_code"]
    edit_roster(ma_noi, code, support_housing_vnd=80_000_000, sponsor_amount_vnd=31_000_000)
    bounds = {**config.validation.get("bounds", {}),
              "amounts": {"support_housing_vnd": {"soft_lines": 60, "hard_lines": 70}}}
    tighter = dataclasses.replace(config, validation={**config.validation, "bounds": bounds})
    found = _amount_findings(validate_submission(ma_noi, config=tighter, period="2023-6T"))
    assert sorted((f[0], f[2]) for f in found) == [(WARNING, "Số tiền đỡ đầu (đồng)")]
    edit_roster(ma_noi, code, support_housing_vnd=110_000_000)
    found = _amount_findings(validate_submission(ma_noi, config=tighter, period="2023-6T"))
    assert sorted((f[0], f[2]) for f in found) == sorted([(ERROR, "Hỗ trợ: nhà ở (đồng)"),
                                                          (WARNING, "Số tiền đỡ đầu (đồng)")])


def test_households_without_a_01_01_figure_are_bounded_by_the_units_reference(config, tmp_path):
    """Tân Sơn's 01/01 households left blank (its own error) and no accepted period: the cut-off figure is
    compared with the unit's households_reference in the configuration; without one, with nothing."""
    import dataclasses

    path = tmp_path / "22810_tan_son.xlsx"
    shutil.copyfile(SAMPLES / path.name, path)
    edit_summary(path, "households_total", baseline=None, current=52720)
    assert _bound_findings(validate_submission(path, config=config, period="2023-6T")) == []
    units = tuple(dataclasses.replace(u, households_reference=5300) if u.code == "22810" else u for u in config.units)
    with_reference = dataclasses.replace(config, units=units)
    found = _bound_findings(validate_submission(path, config=with_reference, period="2023-6T"))
    assert [(f[0], f[3]) for f in found] == [(ERROR, "Tổng số hộ tại ngày chốt 52.720; số hộ tham chiếu của đơn vị "
                                                     "trong cấu hình: 5.300 (chênh 9,95 lần; giới hạn 1,10 lần, tối "
                                                     "đa 2,00 lần).")]


# --- Plausibility a commune officer would catch at a glance ----------------------------------------------------

@pytest.mark.parametrize("relation", ["Chủ hộ", "Con"])
def test_a_martyr_is_never_a_living_member(config, ma_noi, relation):
    """Category "c" (liệt sĩ) on a member row of "Thành viên NCC", whatever the relation, is one error on that
    cell telling that the relatives are "tn" (Ordinance 02/2020, Art. 3)."""
    wb = load_workbook(ma_noi)
    ws = wb[schema.SHEET_MEMBERS]
    cols = header_columns(ws, schema.MEMBERS_HEADER_ROW)
    ws.cell(5, cols["Quan hệ với chủ hộ"]).value = relation
    ws.cell(5, cols[CATEGORIES]).value = "c"
    wb.save(ma_noi)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    mine = [f for f in outcome.findings if (f.sheet, f.row, f.column) == (schema.SHEET_MEMBERS, 5, CATEGORIES)]
    assert [(f.severity, f.value) for f in mine] == [(ERROR, "c")]
    assert "liệt sĩ" in mine[0].message and "'tn'" in mine[0].fix and outcome.status == "invalid"


@pytest.mark.parametrize(("supports", "capacity", "named"), [
    ({"support_job_placement": "x", "support_livestock": ""}, "", "giới thiệu việc làm"),
    ({"support_job_placement": "", "support_livestock": "x"}, "", "con giống"),
    ({"support_job_placement": "x", "support_livestock": "x"}, "", "giới thiệu việc làm, con giống"),
    ({"support_job_placement": "x", "support_livestock": "x"}, "x", None),  # the household can work
    ({"support_vocational_training": "x", "support_job_placement": "", "support_livestock": ""}, "", None),
], ids=["job", "livestock", "both", "able-to-work", "not-in-the-list"])
def test_supports_for_working_households_warn_on_a_household_that_cannot_work(config, ma_noi, supports, capacity,
                                                                                named):
    """Job placement or livestock (the configured list: the plan's section IV.4) recorded for a household
    without working capacity is a warning on its working-capacity cell naming them; the unit stays valid."""
    code = roster_rows(ma_noi)[0]["household_code"]
    row = edit_roster(ma_noi, code, working_capacity=capacity, **supports)  # "" blanks a cell
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    mine = [f for f in outcome.findings if f.row == row and f.column == "Có khả năng lao động"]
    assert outcome.status == "valid"
    if named is None:
        assert mine == []
        return
    assert [(f.severity, f.value) for f in mine] == [(WARNING, "")]
    assert mine[0].message.endswith(f"(Kế hoạch, mục IV.4). Hỗ trợ đã ghi: {named}.")


@pytest.mark.parametrize(("typed", "refused"), [
    ("Nguyễn Văn An", True),  # a person's name typed as the code
    ("Pinăng Thị Hoa", True),
    ("HN-012", False),  # a commune's own code with letters and digits
    ("22828-0001b", False),
])
def test_a_household_code_that_reads_as_a_name_is_refused(config, ma_noi, typed, refused):
    """A household code without any digit reads as a person's name: an error on the cell with the fix; a code
    with digits, whatever its letters, is not."""
    wb = load_workbook(ma_noi)
    ws = wb[schema.SHEET_ROSTER]
    row = 5
    ws.cell(row, header_columns(ws, schema.ROSTER_HEADER_ROW)["Mã hộ"]).value = typed
    wb.save(ma_noi)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    mine = [f for f in outcome.findings if f.row == row and f.column == "Mã hộ"
            and f.message.startswith("Mã hộ không có chữ số nào")]
    assert [(f.severity, f.value) for f in mine] == ([(ERROR, typed)] if refused else [])
    if refused:
        assert "không ghi họ tên" in mine[0].fix


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
    wb = load_workbook(ma_noi)
    wb["Thông tin chung"]["B4"] = "22831"
    wb.save(ma_noi)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    names = [(f.row, f.column, f.value) for f in outcome.findings if f.column == "Tên đơn vị"]
    assert names == [(5, "Tên đơn vị", "xã Ma Nới")]


@pytest.mark.parametrize("typed", ["Xã Ma Nối", "ma noi", "MA NỚI"])
def test_unit_name_variants_accepted(config, ma_noi, typed):
    """Spelling variants of the name (the plan's own typo, no diacritics, capitals) match code 22828."""
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
    """The blank workbook opens on its guide and offers drop-down lists that carry meaning (a unit's code with its
    name, NCC categories by letter and name from the hidden list sheet) and numeric ranges while typing."""
    wb = load_workbook(ROOT / "templates" / "mau_bao_cao_don_vi.xlsx")
    assert wb.sheetnames == ["Hướng dẫn", "Thông tin chung", "Tổng hợp", "Danh sách hộ NCC", "Thành viên NCC",
                             "Thuyết minh", "Danh mục"]
    assert wb["Danh mục"].sheet_state == "hidden"
    rules = {(ws.title, dv.type, dv.formula1) for ws in wb for dv in ws.data_validations.dataValidation}
    assert ("Danh sách hộ NCC", "list",
            '"Nghèo,Cận nghèo,Mức sống trung bình,Không nghèo,Không có trên địa bàn"') in rules
    units = ",".join(f"{u.code} – {u.full_name[0].upper()}{u.full_name[1:]}" for u in config.units_on(
        config.period("2023-6T").cutoff))
    assert ("Thông tin chung", "list", f'"{units}"') in rules
    assert units.startswith("22810 – Thị trấn Tân Sơn,22813 – Xã Lâm Sơn,")
    assert ("Danh sách hộ NCC", "whole", "1") in rules
    (member,) = [dv for dv in wb["Thành viên NCC"].data_validations.dataValidation if dv.type == "list"
                 and "Danh mục" in (dv.formula1 or "")]
    column = member.formula1.split("!")[1].split(":")[0].replace("$", "")[0]
    listed = [c.value for c in wb["Danh mục"][column] if c.value]
    assert [v.split(" – ")[0] for v in listed] == ["a", "b", "c", "d", "đ", "e", "g", "h", "i", "k", "l", "m", "tn"]
    assert "c – Liệt sĩ" in listed
    status = next(dv for dv in wb["Danh sách hộ NCC"].data_validations.dataValidation
                  if dv.formula1 and dv.formula1.startswith('"Nghèo'))
    assert "J5:J304" in str(status.sqref) or "K5:K304" in str(status.sqref)


def test_findings_for_logs_hide_personal_values(config):
    """A finding on the head-of-household name keeps its place but hides the name in logs; a count column
    shows a number but not text."""
    lists = shown_lists(config)
    f = Finding(ERROR, "Danh sách hộ NCC", 7, "Họ và tên chủ hộ", "Pinăng Thị Hoa", "Trùng tên.", "Sửa.", "x")
    assert f.masked(lists).value == "(ẩn)" and "Pinăng" not in f.masked(lists).as_text("a.xlsx")
    g = Finding(ERROR, "Danh sách hộ NCC", 7, "Số nhân khẩu", "năm", "Phải là số.", "", "read")
    assert g.masked(lists).value == "(ẩn)"  # text in a count column has no number's shape: hidden too
    number = Finding(ERROR, "Danh sách hộ NCC", 7, "Số nhân khẩu", "-5", "Phải là số.", "", "read")
    assert number.masked(lists).value == "-5"


# Poverty standards: only an implemented rule is applied, and a period without one says so.

def _as_period(tmp_path: Path, code: str) -> Path:
    """The Ma Nới sample relabelled as period ``code`` (field "Kỳ báo cáo")."""
    path = tmp_path / f"22828_{code}.xlsx"
    shutil.copyfile(MA_NOI, path)
    wb = load_workbook(path)
    ws = wb[schema.SHEET_GENERAL]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Kỳ báo cáo")
    ws.cell(row, 2, code)
    wb.save(path)
    return path


def test_every_configurable_rule_is_implemented():
    """The rules configuration may name are exactly those validation implements."""
    assert set(STANDARD_RULES) == set(schema.POVERTY_RULES) == {"decree-07-2021"}
    assert schema.POVERTY_RULES["decree-07-2021"].indicators == schema.DEPRIVATION_KEYS
    assert len(schema.DEPRIVATION_KEYS) == 12


def test_period_without_standard_says_so(config, tmp_path):
    """2021-CN has no standard the workbook can be checked against: one Vietnamese warning, no comparison."""
    outcome = validate_submission(_as_period(tmp_path, "2021-CN"), config=config, period="2021-CN")
    standard = [f for f in outcome.findings if f.rule == "standard"]
    assert len(standard) == 1
    f = standard[0]
    assert (f.severity, f.sheet, f.row, f.column, f.value) == (WARNING, schema.SHEET_ROSTER, None,
                                                               "Phân loại tại ngày chốt", "")
    assert f.message.startswith("Kỳ 2021-CN (ngày chốt 31/10/2021): chưa đối chiếu phân loại hộ với chuẩn nghèo. "
                                "Không có chuẩn nghèo nào được cấu hình cho ngày 31/10/2021.")
    assert "Quyết định 59/2015/QĐ-TTg, 10 chỉ số thiếu hụt" in f.message
    assert not [x for x in outcome.findings if "theo chuẩn" in x.message]


def test_period_with_standard_has_no_such_warning(config, tmp_path):
    """2023-6T is checked against Decree 07/2021: no 'no standard' warning."""
    outcome = validate_submission(MA_NOI, config=config, period="2023-6T")
    assert outcome.errors == 0
    assert not [f for f in outcome.findings if f.rule == "standard"]


def test_first_period_of_2022_compares_with_2021(config, tmp_path):
    """2022-6T is checked against Decree 07/2021 and compared with a 2021-CN submission (outliers) without
    needing a 2021 standard; continuity applies only within a year."""
    previous = read_submission(_as_period(tmp_path, "2021-CN"), config)
    history = History(previous=previous, previous_period="2021-CN", same_year=False, accepted={})
    outcome = validate_submission(_as_period(tmp_path, "2022-6T"), config=config, period="2022-6T",
                                  history=history)
    assert not [f for f in outcome.findings if f.rule == "standard"]
    assert not [f for f in outcome.findings if f.severity == ERROR and f.sheet == schema.SHEET_GENERAL]
    assert config.standard_on(config.period("2022-6T").cutoff).id == "07/2021/NĐ-CP"


# Required means required: every field the workbook contract marks mandatory has a critical not-null rule
# in its sheet's suite, and a blank mandatory cell of a real workbook is an error naming the cell.

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


def test_blank_member_household_code_is_one_error_on_that_cell(config, ma_noi):
    """A blank "Mã hộ" in "Thành viên NCC" is one error on the member sheet: the blank, not also "not in the
    roster"."""
    wb = load_workbook(ma_noi)
    ws = wb[schema.SHEET_MEMBERS]
    cols = header_columns(ws, schema.MEMBERS_HEADER_ROW)
    assert ws.cell(6, cols["Mã hộ"]).value == "22828-0002"
    ws.cell(6, cols["Mã hộ"]).value = None
    wb.save(ma_noi)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert [f[:6] for f in _facts(outcome) if f[1] == schema.SHEET_MEMBERS] == [
        (ERROR, "Thành viên NCC", 6, "Mã hộ", "", "Chưa ghi 'Mã hộ' của thành viên.")]


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


# Every expectation of every suite on a frame of a few rows built inline. Per suite, row 0 passes everything
# and each further row breaks one expectation (two rows share a household code for the uniqueness rule);
# BROKEN says, expectation by expectation, which rows it must report and what their findings show.

CURRENT = "Tại ngày chốt số liệu (hoặc lũy kế từ 01/01)"
BASELINE = "Tại ngày 01/01"
STATUS_NOW = "Phân loại tại ngày chốt"
NCC_COUNT = "Số thành viên là NCC hoặc thân nhân"
CATEGORIES = "Diện NCC (Pháp lệnh 02/2020)"
INCOME = "Thu nhập bình quân (đồng/người/tháng)"
NEAREST_MA_NOI = "Đơn vị gần đúng nhất: xã Ma Nới (mã 22828)."
NEAREST_NHON_SON = "Đơn vị gần đúng nhất: xã Nhơn Sơn (mã 22831)."
PREVIOUS = "Có trong báo cáo kỳ 2023-6T."
OUTLIER = "Kỳ 2023-6T: 257; kỳ này: 320 (thay đổi 24,5%; ngưỡng 20%)."
MOVEMENT = ("Xã Ma Nới, hộ cận nghèo có thành viên là người có công (số nhân khẩu): tại 01/01: 16 → theo biến động "
            "còn 16 người; đếm theo cột 'Phân loại tại ngày chốt' có 15 người.")
STANDARD = ("Thu nhập 1.800.000 đồng/người/tháng (ngưỡng xã Ma Nới: 1.500.000), thiếu hụt 4/12 chỉ số → theo chuẩn "
            "07/2021/NĐ-CP: không thuộc hộ nghèo, cận nghèo; đơn vị ghi: Nghèo.")
TEXT_8000 = "Đạt." * 2000  # 8,000 characters: the longest narrative allowed


def _frame(name: str, sheet: str, good: dict[str, Any], changes: list[dict[str, Any]],
           dtypes: dict[str, str], headers: dict[str, str], rows: dict[str, int] | None = None) -> Frame:
    """Frame ``name``: row 0 is ``good``, row i (i ≥ 1) is ``good`` with the cells of ``changes[i - 1]``."""
    data = pd.DataFrame([good, *({**good, **change} for change in changes)], dtype="object")
    return Frame(name, data.astype(dtypes), sheet, headers, rows)


def _general() -> Frame:
    good = {"unit_code": "22828", "unit_name": "xã Ma Nới", "period": "2023-6T", "preparer": "Đặng Thị Lệ",
            "phone": "02596336995", "prepared_on": dt.date(2023, 5, 3), "unit_detail": "",
            "period_detail": "Kỳ đang tổng hợp: 2023-6T.", "name_matches_code": True}
    changes = [
        {"unit_code": None},
        {"unit_name": None},
        {"period": None},
        {"unit_code": "22899", "unit_detail": NEAREST_MA_NOI},
        {"unit_name": "xã Nhơn Sơn", "name_matches_code": False, "unit_detail": NEAREST_NHON_SON},
        {"period": "2023-9T"},
        {"preparer": None},
        {"phone": "0259 633 6995"},
        {"prepared_on": None},
    ]
    return _frame("general", schema.SHEET_GENERAL, good, changes, {"name_matches_code": bool},
                  {f.key: f.header for f in schema.GENERAL_FIELDS},
                  rows={"unit_code": 4, "unit_name": 5, "period": 6, "preparer": 7, "phone": 8, "prepared_on": 9})


def _summary() -> Frame:
    good = {"indicator": "poor_households", "label": "Số hộ nghèo", "excel_row": 6, "value_baseline": 257,
            "value_current": 250, "parent_value_baseline": 1138, "parent_value_current": 1140,
            "baseline_present": True}
    changes = [
        {"indicator": "near_poor_households", "label": "Số hộ cận nghèo", "excel_row": None},
        {"indicator": "ncc_poor_households", "label": "Số hộ nghèo có thành viên là người có công", "excel_row": 10,
         "value_baseline": 2, "value_current": None, "parent_value_baseline": 257, "parent_value_current": 250},
        {"indicator": "ncc_near_poor_households", "label": "Số hộ cận nghèo có thành viên là người có công",
         "excel_row": 12, "value_baseline": None, "value_current": 4, "parent_value_baseline": 147,
         "parent_value_current": 147, "baseline_present": False},
        {"indicator": "ncc_poor_persons", "label": "Số nhân khẩu của hộ nghèo có người có công", "excel_row": 11,
         "value_baseline": 11, "value_current": 12, "parent_value_baseline": 1003, "parent_value_current": 10},
        {"indicator": "ncc_near_poor_persons", "label": "Số nhân khẩu của hộ cận nghèo có người có công",
         "excel_row": 13, "value_baseline": 20, "value_current": 16, "parent_value_baseline": 15,
         "parent_value_current": 454},
    ]
    for row in (good, *changes):  # the indicator that includes each, as the reader sets it
        row["parent"] = schema.INDICATORS_BY_KEY[row["indicator"]].parent
    counts = ("excel_row", "value_baseline", "value_current", "parent_value_baseline", "parent_value_current")
    return _frame("summary", schema.SHEET_SUMMARY, good, changes,
                  {**dict.fromkeys(counts, "Int64"), "baseline_present": bool},
                  {"value_baseline": BASELINE, "value_current": CURRENT, "label": "Chỉ tiêu"})


def _roster() -> Frame:
    good = {"household_code": "22828-0001", "head_name": "Pinăng Thị Sơn", "village": "Thôn Tà Nôi",
            "ethnicity": "Raglai", "members_count": 6, "ncc_members_count": 1, "ncc_categories": "đ;tn",
            "status_baseline": "poor", "status_current": "poor", "change_kind": "unchanged", "decision_number": None,
            "decision_date": None, "income_vnd_per_person_month": 1_200_000, "in_scope": True, "transition_ok": True,
            "decision_complete": True, "matches_standard": True, "standard_detail": "", "decision_in_period": True,
            "members_listed": 1, "code_not_a_name": True, "capacity_fits": True, "working_capacity_typed": "x",
            "capacity_detail": ""}
    escaped = {"status_current": "near_poor", "change_kind": "escaped_poverty"}
    changes = [
        {"household_code": None},
        {"household_code": "22828-0100"},
        {"household_code": "22828-0100"},
        {"head_name": None},
        {"members_count": None},
        {"members_count": 31},
        {"ncc_members_count": None},
        {"ncc_members_count": 0, "members_listed": 0},
        {"members_count": 2, "ncc_members_count": 3, "members_listed": 3},
        {"ncc_categories": "g,tn"},
        {"ncc_categories": None},
        {"status_baseline": None},
        {"status_baseline": "Nghèo lắm"},
        {"status_current": None},
        {"status_current": "Khá giả"},
        {"change_kind": None},
        {"change_kind": "Chuyển khẩu"},
        {"status_baseline": "none", "status_current": "none", "in_scope": False},
        {"status_current": "near_poor", "transition_ok": False},
        {**escaped, "decision_number": "12/QĐ-UBND", "decision_complete": False},
        {"income_vnd_per_person_month": None},
        {"income_vnd_per_person_month": 1200},
        {"village": None},
        {"ethnicity": None},
        {"income_vnd_per_person_month": 1_800_000, "matches_standard": False, "standard_detail": STANDARD},
        {**escaped, "decision_number": "99/QĐ-UBND", "decision_date": dt.date(2023, 9, 15),
         "decision_in_period": False},
        {"members_listed": 2},
        {"household_code": "Pinăng Thị Hoa", "code_not_a_name": False},  # a name typed as the code
        {"capacity_fits": False, "working_capacity_typed": "", "capacity_detail": CAPACITY},  # no one can work
    ]
    # each household its own code and Excel row (data from row 5), unless the change sets the code
    changes = [{"household_code": f"22828-{i + 2:04d}", **c} for i, c in enumerate(changes)]
    frame = _frame("roster", schema.SHEET_ROSTER, good, changes,
                   {**dict.fromkeys(("members_count", "ncc_members_count", "income_vnd_per_person_month",
                                     "members_listed"), "Int64"),
                    **dict.fromkeys(("in_scope", "transition_ok", "decision_complete", "matches_standard",
                                     "decision_in_period", "code_not_a_name", "capacity_fits"), bool)},
                   {f.key: f.header for f in schema.ROSTER_FIELDS})
    frame.data["excel_row"] = range(5, 5 + len(frame.data))
    return frame


def _reconciliation() -> Frame:
    good = {"indicator": "ncc_poor_households", "as_of": "baseline", "excel_row": 10, "summary_value": 2,
            "roster_value": 2, "column_label": BASELINE, "sheet": schema.SHEET_SUMMARY, "identity_value": None,
            "counted_value": None, "detail": None}
    identity = {"as_of": "current", "excel_row": None, "summary_value": None, "roster_value": None,
                "column_label": STATUS_NOW, "sheet": schema.SHEET_ROSTER}
    changes = [
        {"indicator": "ncc_near_poor_households", "as_of": "current", "excel_row": 12, "summary_value": 5,
         "roster_value": 4, "column_label": CURRENT},
        # the frame's other kind of row, the movement identity, in balance: a second good row
        {**identity, "indicator": "movement_poor_households", "identity_value": 2, "counted_value": 2,
         "detail": "Xã Ma Nới, hộ nghèo có thành viên là người có công (số hộ): tại 01/01: 2 → theo biến động còn "
                   "2 hộ; đếm theo cột 'Phân loại tại ngày chốt' có 2 hộ."},
        {**identity, "indicator": "movement_near_poor_persons", "identity_value": 16, "counted_value": 15,
         "detail": MOVEMENT},
    ]
    return _frame("reconciliation", schema.SHEET_SUMMARY, good, changes,
                  dict.fromkeys(("excel_row", "summary_value", "roster_value", "identity_value", "counted_value"),
                                "Int64"),
                  {"value_baseline": BASELINE, "value_current": CURRENT})


def _members() -> Frame:
    good = {"household_code": "22828-0001", "relation": "Chủ hộ", "category": "đ", "household_known": True}
    changes = [
        {"household_code": None},  # its household_known is set True here to isolate the not-null rule
        {"household_code": "22828-0999", "household_known": False},
        {"relation": None},
        {"category": None},
        {"category": "n"},
        {"category": "c"},  # a martyr recorded as a living member
    ]
    frame = _frame("members", schema.SHEET_MEMBERS, good, changes,
                   {"household_code": "string", "relation": "string", "category": "string", "household_known": bool},
                   {f.key: f.header for f in schema.MEMBER_FIELDS})
    frame.data["excel_row"] = range(5, 5 + len(frame.data))
    return frame


def _narrative() -> Frame:
    good = {"key": "results", "column_label": "Kết quả đạt được", "text": TEXT_8000, "excel_row": 3}
    changes = [
        {"key": "difficulties", "column_label": "Khó khăn, vướng mắc", "text": None, "excel_row": 4},
        {"key": "proposals", "column_label": "Đề xuất, kiến nghị", "text": TEXT_8000 + "!", "excel_row": 5},
    ]
    return _frame("narrative", schema.SHEET_NARRATIVE, good, changes, {}, {})


def _outliers() -> Frame:
    good = {"indicator": "households_total", "excel_row": 5, "value_current": 1138, "within_limit": True,
            "detail": "Kỳ 2023-6T: 1.138; kỳ này: 1.138 (thay đổi 0,0%; ngưỡng 20%).", "column_label": CURRENT}
    changes = [{"indicator": "poor_households", "excel_row": 6, "value_current": 320, "within_limit": False,
                "detail": OUTLIER}]
    return _frame("outliers", schema.SHEET_SUMMARY, good, changes,
                  {"excel_row": "int64", "value_current": "int64", "within_limit": bool}, {})


CAPACITY = "Hỗ trợ đã ghi: giới thiệu việc làm, con giống."
BOUND = "Tổng số hộ tại ngày chốt 5.272; tại ngày 01/01 trong cùng biểu: 5.272 (chênh 1,00 lần)."


def _bounds() -> Frame:
    good = {"indicator": "households_total", "excel_row": 5, "column_label": CURRENT, "value": 5272,
            "within_hard": True, "within_soft": True, "detail": BOUND}
    changes = [{"value": 10**15, "within_hard": False}, {"indicator": "poor_persons", "excel_row": 7,
                                                         "value": 900, "within_soft": False}]
    return _frame("bounds", schema.SHEET_SUMMARY, good, changes,
                  {"excel_row": "int64", "value": "int64", "within_hard": bool, "within_soft": bool}, {})


AMOUNT = ("100.000.000 đồng; chuẩn nghèo Nghị định 07/2021/NĐ-CP, khu vực nông thôn: 1.500.000 đồng/người/tháng; "
          "quá 50 lần (75.000.000 đồng) cần giải trình, tối đa 200 lần (300.000.000 đồng).")


def _amount_bounds() -> Frame:
    good = {"indicator": "", "household_code": None, "excel_row": None, "column_label": "", "value": None,
            "within_hard": True, "within_soft": True, "detail": ""}
    changes = [{"indicator": "support_housing_vnd", "household_code": "MN-01", "excel_row": 5,
                "column_label": "Hỗ trợ: nhà ở (đồng)", "value": 4_000_000_000, "within_hard": False,
                "detail": AMOUNT},
               {"indicator": "support_housing_vnd", "household_code": "MN-02", "excel_row": 6,
                "column_label": "Hỗ trợ: nhà ở (đồng)", "value": 100_000_000, "within_soft": False,
                "detail": AMOUNT}]
    return _frame("amount_bounds", schema.SHEET_ROSTER, good, changes,
                  {"excel_row": "Int64", "value": "Int64", "within_hard": bool, "within_soft": bool}, {})


def _continuity() -> Frame:
    good = {"household_code": "22828-0001", "present": True, "excel_row": None, "detail": PREVIOUS}
    return _frame("continuity", schema.SHEET_ROSTER, good, [{"household_code": "22828-0007", "present": False}],
                  {"present": bool}, {"household_code": "Mã hộ"})


OFFICE_COUNTS = ("sessions", "participants", "news_items", "broadcasts", "households", "ncc_households")


def _office_general() -> Frame:
    good = {"office_code": "VHTT", "office_name": "Phòng Văn hóa - Thông tin", "period": "2023-6T",
            "preparer": "Trần Minh Khoa", "phone": "02593854123", "prepared_on": dt.date(2023, 5, 2),
            "office_active": True, "office_detail": "", "period_detail": "Kỳ đang tổng hợp: 2023-6T."}
    changes = [{"office_code": None}, {"office_name": None}, {"period": None},
               {"office_active": False, "office_detail": "Cơ quan đã thôi báo cáo."}, {"period": "2023-9T"},
               {"preparer": None}, {"phone": "abc"}, {"prepared_on": None}]
    return _frame("office_general", o.SHEET_GENERAL, good, changes, {"office_active": bool},
                  {f.key: f.header for f in o.GENERAL_FIELDS},
                  rows={"office_code": 4, "office_name": 5, "period": 6, "preparer": 7, "phone": 8, "prepared_on": 9})


def _office_table(key: str, good: dict[str, Any], changes: list[dict[str, Any]], dtypes: dict[str, str]) -> Frame:
    """An office table's inline frame: row i on Excel row 5 + i."""
    sheet, fields, _ = o.TABLES[key]
    frame = _frame(f"office_{key}", sheet, good, changes, dtypes, {f.key: f.header for f in fields})
    frame.data["excel_row"] = range(5, 5 + len(frame.data))
    return frame


def _office_activities() -> Frame:
    good = {"no": 1, "task": "IV.1", "activity": "Hội nghị tuyên truyền", "sessions": 2, "participants": 120,
            "news_items": None, "broadcasts": None, "households": 4, "ncc_households": 1, "task_known": True,
            "result_given": True}
    changes = [{"task": "IV.9", "task_known": False}, {"activity": None},
               {"sessions": None, "participants": None, "households": None, "ncc_households": None,
                "result_given": False},
               {"households": 3, "ncc_households": 5}, {"task": None}]
    return _office_table("activities", good, changes,
                         {**dict.fromkeys(OFFICE_COUNTS, "Int64"), "task_known": bool, "result_given": bool})


def _office_supports() -> Frame:
    good = {"no": 1, "commune_code": "22828", "support": "livestock", "households": 3, "persons": 11,
            "ncc_households": 1, "amount_vnd": 15_000_000, "support_known": True}
    changes = [{"commune_code": "22899"}, {"support": "Cho vay", "support_known": False}, {"households": None},
               {"ncc_households": 4}, {"persons": 2}, {"commune_code": None}, {"support": None},
               {"commune_code": "22831"}, {"commune_code": "22831"}]
    rows = [{**good, **change} for change in [{}, *changes]]
    keys = [f"{r['commune_code']}|{r['support']}" if r["commune_code"] and r["support"] else None for r in rows]
    keys[2:6] = [f"22813|{k}" for k in ("a", "b", "c", "d")]  # rows breaking other rules: not duplicates
    changes = [{**c, "commune_support": k} for c, k in zip(changes, keys[1:], strict=True)]
    good = {**good, "commune_support": keys[0]}
    return _office_table("supports", good, changes, {"households": "Int64", "persons": "Int64",
                                                     "ncc_households": "Int64", "amount_vnd": "Int64",
                                                     "support_known": bool})


def _office_funds() -> Frame:
    good = {"no": 1, "source": "fund_5_sponsors_vnd", "amount_vnd": 24_000_000, "source_known": True}
    changes = [{"source": "Ngân sách xã", "source_known": False}, {"amount_vnd": None}, {"source": None}]
    return _office_table("funds", good, changes, {"amount_vnd": "Int64", "source_known": bool})


def _office_documents() -> Frame:
    good = {"no": 1, "number": "382/LĐTBXH", "date": dt.date(2023, 3, 27), "issuer": "Phòng LĐ-TB&XH",
            "subject": "Hướng dẫn rà soát hộ nghèo có người có công", "date_in_period": True,
            "date_detail": "Kỳ 2023-6T: từ 01/01/2023 đến 30/04/2023."}
    changes = [{"number": None}, {"date": None}, {"subject": None},
               {"date": dt.date(2023, 5, 10), "date_in_period": False}]
    return _office_table("documents", good, changes, {"date_in_period": bool})


def _office_loans() -> Frame:
    good = {"no": 1, "commune_code": "22828", "borrowers": 6, "disbursed_vnd": 300_000_000,
            "outstanding_vnd": 280_000_000, "ncc_borrowers": 2, "lender": True}
    changes = [{"commune_code": "22899"}, {"commune_code": "22831"}, {"commune_code": "22831"},
               {"commune_code": "22813", "borrowers": None}, {"commune_code": "22810", "ncc_borrowers": 7},
               {"commune_code": None}, {"commune_code": "22816", "lender": False}]
    return _office_table("loans", good, changes, {"borrowers": "Int64", "disbursed_vnd": "Int64",
                                                  "outstanding_vnd": "Int64", "ncc_borrowers": "Int64",
                                                  "lender": bool})


INLINE_FRAMES: dict[str, Callable[[], Frame]] = {
    "general": _general, "summary": _summary, "roster": _roster, "reconciliation": _reconciliation,
    "members": _members, "narrative": _narrative, "outliers": _outliers, "continuity": _continuity,
    "bounds": _bounds, "amount_bounds": _amount_bounds, "office_general": _office_general,
    "office_activities": _office_activities, "office_supports": _office_supports, "office_funds": _office_funds,
    "office_documents": _office_documents, "office_loans": _office_loans}
SECOND_GOOD_ROWS = {"reconciliation": {2}}  # rows besides row 0 that break nothing


class Broken(NamedTuple):
    """What one expectation reports on its suite's inline frame."""

    column: str  # the findings' column: the field's header, or the row's column_label
    values: dict[int, str]  # failing row index → the value its finding shows
    note: str | None = ""  # what the message adds to the expectation's "what is wrong" (None: not pinned)
    severity: str = ERROR
    sheet: str | None = None  # the findings' sheet when not the frame's


def _key(kind: str, kwargs: dict[str, Any]) -> str:
    """An expectation's name within its suite: its type without ``expect_column_``, then its column(s)."""
    columns = kwargs["column"] if "column" in kwargs else f"{kwargs['column_A']},{kwargs['column_B']}"
    return f"{kind.removeprefix('expect_column_')}({columns})"


def _label(key: str) -> str:
    return f" Chỉ tiêu: '{schema.INDICATORS_BY_KEY[key].label}'."


BROKEN: dict[str, dict[str, Broken]] = {
    "general": {
        "values_to_not_be_null(unit_code)": Broken("Mã đơn vị (mã hành chính)", {1: ""}),
        "values_to_not_be_null(unit_name)": Broken("Tên đơn vị", {2: ""}),
        "values_to_not_be_null(period)": Broken("Kỳ báo cáo", {3: ""}),
        "values_to_be_in_set(unit_code)": Broken("Mã đơn vị (mã hành chính)", {4: "22899"}, f" {NEAREST_MA_NOI}"),
        "values_to_be_in_set(name_matches_code)": Broken("Tên đơn vị", {5: "xã Nhơn Sơn"}, f" {NEAREST_NHON_SON}"),
        "values_to_be_in_set(period)": Broken("Kỳ báo cáo", {6: "2023-9T"}, " Kỳ đang tổng hợp: 2023-6T."),
        "values_to_not_be_null(preparer)": Broken("Người lập biểu", {7: ""}, severity=WARNING),
        "values_to_match_regex(phone)": Broken("Số điện thoại", {8: "0259 633 6995"}, severity=WARNING),
        "values_to_not_be_null(prepared_on)": Broken("Ngày lập", {9: ""}, severity=WARNING),
    },
    "summary": {
        "values_to_not_be_null(excel_row)": Broken("Chỉ tiêu", {1: "Số hộ cận nghèo"}, _label("near_poor_households")),
        "values_to_not_be_null(value_current)": Broken(CURRENT, {2: ""}, _label("ncc_poor_households")),
        "values_to_be_in_set(baseline_present)": Broken(BASELINE, {3: ""}, _label("ncc_near_poor_households")),
        # the message names the indicator and the one that includes it, with that one's value
        "pair_values_a_to_be_greater_than_b(parent_value_current,value_current)": Broken(
            CURRENT, {4: "12"}, " Chỉ tiêu: 'Số nhân khẩu của hộ nghèo có người có công'; chỉ tiêu bao gồm nó: "
                                "'Số nhân khẩu của hộ nghèo' (10)."),
        "pair_values_a_to_be_greater_than_b(parent_value_baseline,value_baseline)": Broken(
            BASELINE, {5: "20"}, " Chỉ tiêu: 'Số nhân khẩu của hộ cận nghèo có người có công'; chỉ tiêu bao gồm nó: "
                                 "'Số nhân khẩu của hộ cận nghèo' (15)."),
    },
    "roster": {
        "values_to_not_be_null(household_code)": Broken("Mã hộ", {1: ""}),
        "values_to_be_unique(household_code)": Broken("Mã hộ", {2: "22828-0100", 3: "22828-0100"}),
        "values_to_not_be_null(head_name)": Broken("Họ và tên chủ hộ", {4: ""}),
        "values_to_not_be_null(members_count)": Broken("Số nhân khẩu", {5: ""}),
        "values_to_be_between(members_count)": Broken("Số nhân khẩu", {6: "31"}),
        "values_to_not_be_null(ncc_members_count)": Broken(NCC_COUNT, {7: ""}),
        "values_to_be_between(ncc_members_count)": Broken(NCC_COUNT, {8: "0"}),
        "pair_values_a_to_be_greater_than_b(members_count,ncc_members_count)":
            Broken(NCC_COUNT, {9: "3"}, " (Số nhân khẩu: 2)"),
        "values_to_match_regex(ncc_categories)": Broken(CATEGORIES, {10: "g,tn"}),
        "values_to_not_be_null(ncc_categories)": Broken(CATEGORIES, {11: ""}),
        "values_to_not_be_null(status_baseline)": Broken("Phân loại tại 01/01", {12: ""}),
        "values_to_be_in_set(status_baseline)": Broken("Phân loại tại 01/01", {13: "Nghèo lắm"}),
        "values_to_not_be_null(status_current)": Broken(STATUS_NOW, {14: ""}),
        "values_to_be_in_set(status_current)": Broken(STATUS_NOW, {15: "Khá giả"}),
        "values_to_not_be_null(change_kind)": Broken("Loại biến động", {16: ""}),
        "values_to_be_in_set(change_kind)": Broken("Loại biến động", {17: "Chuyển khẩu"}),
        "values_to_be_in_set(in_scope)": Broken(STATUS_NOW, {18: "Không nghèo"}),
        "values_to_be_in_set(transition_ok)": Broken("Loại biến động", {19: "Không thay đổi"}),
        "values_to_be_in_set(decision_complete)": Broken("Số quyết định của UBND xã", {20: "12/QĐ-UBND"}),
        "values_to_not_be_null(income_vnd_per_person_month)": Broken(INCOME, {21: ""}),
        "values_to_be_between(income_vnd_per_person_month)": Broken(INCOME, {22: "1200"}, severity=WARNING),
        "values_to_not_be_null(village)": Broken("Thôn", {23: ""}),
        "values_to_not_be_null(ethnicity)": Broken("Dân tộc", {24: ""}),
        "values_to_be_in_set(matches_standard)": Broken(STATUS_NOW, {25: "Nghèo"}, f" {STANDARD}", WARNING),
        "values_to_be_in_set(decision_in_period)": Broken("Ngày quyết định", {26: "15/09/2023"}, severity=WARNING),
        "pair_values_to_be_equal(ncc_members_count,members_listed)":
            Broken(NCC_COUNT, {27: "1"}, " (Số người ở sheet Thành viên NCC: 2)"),
        "values_to_be_in_set(code_not_a_name)": Broken("Mã hộ", {28: "Pinăng Thị Hoa"}),
        "values_to_be_in_set(capacity_fits)": Broken("Có khả năng lao động", {29: ""}, f" {CAPACITY}", WARNING),
    },
    "reconciliation": {
        "pair_values_to_be_equal(summary_value,roster_value)": Broken(
            CURRENT, {1: "5"}, " Chỉ tiêu 'Số hộ cận nghèo có thành viên là người có công': danh sách hộ NCC cho 4."),
        "pair_values_to_be_equal(identity_value,counted_value)": Broken(
            STATUS_NOW, {3: "15"}, f" {MOVEMENT}", sheet=schema.SHEET_ROSTER),
    },
    "members": {
        "values_to_not_be_null(household_code)": Broken("Mã hộ", {1: ""}),
        "values_to_be_in_set(household_known)": Broken("Mã hộ", {2: "22828-0999"}),
        "values_to_not_be_null(relation)": Broken("Quan hệ với chủ hộ", {3: ""}),
        "values_to_not_be_null(category)": Broken(CATEGORIES, {4: ""}),
        "values_to_be_in_set(category)": Broken(CATEGORIES, {5: "n"}),
        "values_to_not_be_in_set(category)": Broken(CATEGORIES, {6: "c"}),
    },
    "narrative": {
        "values_to_not_be_null(text)": Broken("Khó khăn, vướng mắc", {1: ""}, severity=WARNING),
        "value_lengths_to_be_between(text)": Broken("Đề xuất, kiến nghị", {2: TEXT_8000 + "!"}, severity=WARNING),
    },
    "outliers": {
        "values_to_be_in_set(within_limit)": Broken(CURRENT, {1: "320"}, f" {OUTLIER}", WARNING),
    },
    "continuity": {
        "values_to_be_in_set(present)": Broken("Mã hộ", {1: "22828-0007"}, f" {PREVIOUS}"),
    },
    "bounds": {
        "values_to_be_in_set(within_hard)": Broken(CURRENT, {1: "1000000000000000"}, f" {BOUND}"),
        "values_to_be_in_set(within_soft)": Broken(CURRENT, {2: "900"}, f" {BOUND}", WARNING),
    },
    "amount_bounds": {
        "values_to_be_in_set(within_hard)": Broken("Hỗ trợ: nhà ở (đồng)", {1: "4000000000"}, f" {AMOUNT}"),
        "values_to_be_in_set(within_soft)": Broken("Hỗ trợ: nhà ở (đồng)", {2: "100000000"}, f" {AMOUNT}", WARNING),
    },
    "office_general": {
        "values_to_not_be_null(office_code)": Broken("Mã cơ quan", {1: ""}),
        "values_to_not_be_null(office_name)": Broken("Tên cơ quan", {2: ""}),
        "values_to_not_be_null(period)": Broken("Kỳ báo cáo", {3: ""}),
        "values_to_be_in_set(office_active)": Broken("Mã cơ quan", {4: "VHTT"}, " Cơ quan đã thôi báo cáo."),
        "values_to_be_in_set(period)": Broken("Kỳ báo cáo", {5: "2023-9T"}, " Kỳ đang tổng hợp: 2023-6T."),
        "values_to_not_be_null(preparer)": Broken("Người lập biểu", {6: ""}, severity=WARNING),
        "values_to_match_regex(phone)": Broken("Số điện thoại", {7: "abc"}, severity=WARNING),
        "values_to_not_be_null(prepared_on)": Broken("Ngày lập", {8: ""}, severity=WARNING),
    },
    "office_activities": {
        "values_to_be_in_set(task_known)": Broken("Nhiệm vụ của Kế hoạch", {1: "IV.9"}),
        "values_to_not_be_null(activity)": Broken("Nội dung hoạt động", {2: ""}),
        "values_to_be_in_set(result_given)": Broken("Nội dung hoạt động", {3: "Hội nghị tuyên truyền"},
                                                    severity=WARNING),
        "pair_values_a_to_be_greater_than_b(households,ncc_households)": Broken(
            "Trong đó: hộ có người có công", {4: "5"}, " (Số hộ được hỗ trợ: 3)"),
        "values_to_not_be_null(task)": Broken("Nhiệm vụ của Kế hoạch", {5: ""}),
    },
    "office_supports": {
        "values_to_be_in_set(commune_code)": Broken("Mã xã", {1: "22899"}),
        "values_to_be_in_set(support_known)": Broken("Loại hỗ trợ", {2: "Cho vay"}),
        "values_to_not_be_null(households)": Broken("Số hộ", {3: ""}),
        "pair_values_a_to_be_greater_than_b(households,ncc_households)": Broken(
            "Trong đó: hộ có người có công", {4: "4"}, " (Số hộ: 3)"),
        "pair_values_a_to_be_greater_than_b(persons,households)": Broken(
            "Số người", {5: "2"}, " (Số hộ: 3)", WARNING),
        "values_to_not_be_null(commune_code)": Broken("Mã xã", {6: ""}),
        "values_to_not_be_null(support)": Broken("Loại hỗ trợ", {7: ""}),
        "values_to_be_unique(commune_support)": Broken("Loại hỗ trợ", {8: "livestock", 9: "livestock"},
                                                       severity=WARNING),
    },
    "office_funds": {
        "values_to_be_in_set(source_known)": Broken("Nguồn kinh phí", {1: "Ngân sách xã"}),
        "values_to_not_be_null(amount_vnd)": Broken("Số tiền (đồng)", {2: ""}),
        "values_to_not_be_null(source)": Broken("Nguồn kinh phí", {3: ""}),
    },
    "office_documents": {
        "values_to_not_be_null(number)": Broken("Số, ký hiệu", {1: ""}),
        "values_to_not_be_null(date)": Broken("Ngày ban hành", {2: ""}),
        "values_to_not_be_null(subject)": Broken("Trích yếu nội dung", {3: ""}),
        "values_to_be_in_set(date_in_period)": Broken("Ngày ban hành", {4: "10/05/2023"},
                                                      " Kỳ 2023-6T: từ 01/01/2023 đến 30/04/2023."),
    },
    "office_loans": {
        "values_to_be_in_set(commune_code)": Broken("Mã xã", {1: "22899"}),
        "values_to_be_unique(commune_code)": Broken("Mã xã", {2: "22831", 3: "22831"}),
        "values_to_not_be_null(borrowers)": Broken("Số hộ vay", {4: ""}),
        "pair_values_a_to_be_greater_than_b(borrowers,ncc_borrowers)": Broken(
            "Trong đó: hộ có người có công", {5: "7"}, " (Số hộ vay: 6)"),
        "values_to_not_be_null(commune_code)": Broken("Mã xã", {6: ""}),
        "values_to_be_in_set(lender)": Broken("Mã xã", {7: "22816"}, severity=WARNING),
    },
}


def _excel_row(frame: Frame, index: int, field: str) -> int | None:
    """The Excel row of a finding on row ``index``: the field's own row on a sheet of label–value rows
    (``Frame.rows``), else the row's ``excel_row`` (None when blank)."""
    if frame.rows is not None:
        return frame.rows[field]
    value = frame.data.at[index, "excel_row"]
    return None if value is None or pd.isna(value) else int(value)


@pytest.fixture(scope="module")
def inline_checked(config) -> dict[str, tuple[Frame, Any]]:
    """Each suite's inline frame validated once, with the parameters validate_submission passes for 2023-6T."""
    period = config.period("2023-6T")
    parameters = {"unit_codes": [u.code for u in config.units_on(period.cutoff)], "periods": [period.code]}
    checked = check_frames([build() for build in INLINE_FRAMES.values()], parameters)
    return {frame.name: (frame, results) for frame, results in checked}


def test_every_expectation_has_an_inline_case():
    """Each expectation of each suite in expectations/ (92 in all) has exactly one entry in BROKEN, and no
    entry names an expectation that does not exist."""
    in_files = {}
    for path in sorted(EXPECTATIONS_DIR.glob("*.json")):
        keys = [_key(e["type"], e["kwargs"]) for e in json.loads(path.read_text(encoding="utf-8"))["expectations"]]
        assert len(set(keys)) == len(keys), path.name  # a key names one expectation of its suite
        in_files[path.stem] = set(keys)
    assert {suite: set(cases) for suite, cases in BROKEN.items()} == in_files
    assert set(INLINE_FRAMES) == set(in_files)
    assert sum(len(keys) for keys in in_files.values()) == 92


@pytest.mark.parametrize("suite", sorted(INLINE_FRAMES))
def test_each_inline_row_is_built_to_break_one_expectation(suite):
    """Row 0 of each inline frame (and reconciliation's movement-identity row 2) is listed under no
    expectation, and every other row under exactly one."""
    listed = [i for broken in BROKEN[suite].values() for i in broken.values]
    assert len(listed) == len(set(listed))
    rows = set(range(len(INLINE_FRAMES[suite]().data)))
    assert set(listed) == rows - {0} - SECOND_GOOD_ROWS.get(suite, set())


@pytest.mark.parametrize("suite", sorted(INLINE_FRAMES))
def test_each_expectation_reports_exactly_its_broken_rows(inline_checked, config, suite):
    """Every expectation of the suite passes the good rows and reports exactly the rows built to break it, each
    as a finding (findings_of) of its severity with the Excel row, the column's Vietnamese header, the value
    as typed and the suite's Vietnamese message and fix."""
    frame, results = inline_checked[suite]
    findings = findings_of([(frame, results)], code_labels(config))
    assert sorted(_key(r.expectation_config.type, r.expectation_config.kwargs) for r in results.results) == sorted(
        BROKEN[suite])
    attributed = 0
    for res in results.results:
        cfg = res.expectation_config
        key = _key(cfg.type, cfg.kwargs)
        broken = BROKEN[suite][key]
        assert not res.success, key
        assert sorted(res.result["unexpected_index_list"]) == sorted(broken.values), key
        what, fix = split_description(cfg.description)
        mine = [f for f in findings if f.rule == cfg.type and f.message.startswith(what)]
        attributed += len(mine)
        assert sorted((f.row or 0, f.severity, f.sheet, f.column, f.value, f.fix) for f in mine) == sorted(
            ((_excel_row(frame, i, cfg.meta["field"]) or 0), broken.severity, broken.sheet or frame.sheet,
             broken.column, value, fix) for i, value in broken.values.items()), key
        if broken.note is not None:
            assert [f.message for f in mine] == [what + broken.note] * len(broken.values), key
    assert attributed == len(findings)  # each finding comes from exactly one expectation


def test_no_finding_names_a_frame_column(inline_checked, config):
    """No finding of the inline frames shows the internal name of a frame column in its message."""
    for frame, results in inline_checked.values():
        for f in findings_of([(frame, results)], code_labels(config)):
            assert not [c for c in frame.data.columns if "_" in c and c in f.message], f.message


# --- Units valid at the period's cut-off (one code, two units across 01/07/2025) ---------------------------------

def _with_2026_units(config):
    """The shipped setup plus two units of the 2025 list: xã Ninh Sơn (22810, rural, Tân Sơn's code) and xã Anh
    Dũng (22828, Ma Nới's code), from 01/07/2025."""
    import dataclasses

    from pipeline.config import Unit

    new = (Unit(code="22810", name="Ninh Sơn", kind="xã", area="rural", valid_from=dt.date(2025, 7, 1)),
           Unit(code="22828", name="Anh Dũng", kind="xã", area="rural", valid_from=dt.date(2025, 7, 1)))
    return dataclasses.replace(config, units=config.units + new)


def test_a_closed_code_is_refused_with_its_successor(config, tmp_path):
    """A 2026 workbook carrying Hòa Sơn's code 22825 (closed on 01/07/2025): one error on the code's cell naming
    the closure and the successor, xã Anh Dũng, mã 22828. In 2023 the same code is a unit."""
    path = tmp_path / "22825_hoa_son.xlsx"
    shutil.copyfile(SAMPLES / path.name, path)
    setup = _with_2026_units(config)
    outcome = validate_submission(path, config=setup, period="2026-6T")
    [finding] = [f for f in outcome.findings if f.column.startswith("Mã đơn vị") and f.severity == ERROR]
    assert finding.value == "22825"
    assert ("Mã 22825 (xã Hòa Sơn) đã thôi hiệu lực từ 01/07/2025; nay là xã Anh Dũng, mã 22828."
            in finding.message)
    assert not [f for f in validate_submission(path, config=setup, period="2023-6T").findings
                if f.column.startswith("Mã đơn vị")]


def test_one_code_is_judged_by_the_unit_it_names_at_the_cut_off(config, tmp_path):
    """Code 22810 with a household income of 7.000.000: in 2023 thị trấn Tân Sơn, judged by the urban line
    (2.000.000, three lines 6.000.000: a warning); in 2026 xã Ninh Sơn, by the rural line (1.500.000)."""
    path = tmp_path / "22810_tan_son.xlsx"
    shutil.copyfile(SAMPLES / path.name, path)
    code = roster_rows(path)[0]["household_code"]
    edit_roster(path, code, income_vnd_per_person_month=7_000_000)
    setup = _with_2026_units(config)
    [(_, _, _, _, in_2023)] = _amount_findings(validate_submission(path, config=setup, period="2023-6T"))
    [(_, _, _, _, in_2026)] = _amount_findings(validate_submission(path, config=setup, period="2026-6T"))
    assert "khu vực thành thị: 2.000.000 đồng/người/tháng" in in_2023
    assert "khu vực nông thôn: 1.500.000 đồng/người/tháng" in in_2026


def test_a_closed_code_unknown_to_the_setup_names_its_successor(config, tmp_path):
    """The province setup does not list Hòa Sơn (closed on 01/07/2025): the reader's refusal of code 22825 is told
    as the closure and the successor, xã Anh Dũng, mã 22828 — not as the units whose codes look alike."""
    from pipeline.config import load_config

    province = load_config(ROOT / "config" / "khanh_hoa_2026.yaml")
    path = tmp_path / "22825_hoa_son.xlsx"
    shutil.copyfile(SAMPLES / path.name, path)
    outcome = validate_submission(path, config=province, period="2026-6T")
    [finding] = [f for f in outcome.findings if f.column.startswith("Mã đơn vị")]
    assert (finding.severity, finding.value) == (ERROR, "22825")
    assert finding.message == ("Mã 22825 (xã Hòa Sơn) đã thôi hiệu lực từ 01/07/2025; nay là xã Anh Dũng, mã 22828: "
                               "tệp ghi mã đã thôi hiệu lực nên chưa biết số liệu là của đơn vị nào.")
    assert "Đơn vị gần nhất" not in finding.message and outcome.unit_code is None
