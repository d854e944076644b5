"""The report's tables (pipeline.aggregate.tables), each on a few units, summary rows and households built inline.

Every expected figure is counted by hand from the rows a test builds: no workbook is read and no pipeline runs.
The builders give frames with the reader's columns and dtypes (:class:`pipeline.read.reader.Submission`):
counts and amounts Int64, flags bool, statuses and change kinds as reference codes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import schema
from pipeline.aggregate.tables import (
    UnitInput,
    access_target,
    aggregate,
    capacity_supports,
    coverage,
    cumulative_totals,
    deprivations,
    district_totals,
    funds,
    movement_kinds,
    ncc_by_unit,
    ncc_households,
    ncc_poor_list,
    ncc_status,
    period_figures,
    submission_status,
    supports,
    targets,
    unit_table,
)
from pipeline.config import Config, Unit
from pipeline.findings import ERROR, WARNING, Finding, ValidationOutcome
from pipeline.ledger.state import UnitState
from pipeline.ledger.store import Version
from pipeline.read.reader import Submission
from pipeline.status import UnitStatus

HCM = dt.timezone(dt.timedelta(hours=7))
RECEIVED = dt.datetime(2023, 5, 3, 9, 30, tzinfo=HCM)  # before 2023-6T's deadline, 05/05/2023 00:00
MA_NOI, TAN_SON, LAM_SON, LUONG_SON, QUANG_SON = "22828", "22810", "22813", "22816", "22819"
NUMERIC_KEYS = [f.key for f in schema.ROSTER_FIELDS if f.kind in ("count", "vnd")]
FLAG_KEYS = [f.key for f in schema.ROSTER_FIELDS if f.kind == "flag"]
CHANGE_CODES = ("escaped_poverty", "escaped_near_poverty", "near_poor_to_poor", "fell_back_poor", "new_poor",
                "fell_back_near_poor", "new_near_poor", "moved_away", "died_out", "merged", "moved_in", "split_off")
NO_CHANGE = {f"change_{code}": 0 for code in CHANGE_CODES}
DIMENSIONS = (("employment", "Việc làm"), ("health", "Y tế"), ("education", "Giáo dục"), ("housing", "Nhà ở"),
              ("water_sanitation", "Nước sinh hoạt và vệ sinh"), ("information", "Thông tin"))


# --- Builders ------------------------------------------------------------------------------------------------
def _summary(**values: Any) -> pd.DataFrame:
    """Sheet "Tổng hợp" as read: every indicator, 0 unless given; a "both" indicator takes (1 January, cut-off),
    a cumulative one its value from 1 January (its 1 January column blank, as in the workbook)."""
    rows = []
    for n, ind in enumerate(schema.SUMMARY_INDICATORS):
        if ind.timing == "both":
            base, cur = values.pop(ind.key, (0, 0))
        else:
            base, cur = None, values.pop(ind.key, 0)
        rows.append({"indicator": ind.key, "label": ind.label, "excel_row": 5 + n, "timing": ind.timing,
                     "value_baseline": base, "value_current": cur, "parent": ind.parent})
    assert not values, f"unknown indicators {sorted(values)}"
    frame = pd.DataFrame(rows)
    for col in ("value_baseline", "value_current"):
        frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
    frame["parent_value_baseline"] = pd.array([None] * len(frame), dtype="Int64")
    frame["parent_value_current"] = pd.array([None] * len(frame), dtype="Int64")
    return frame


def _hh(code: str, baseline: str, current: str, change: str, members: int | None,
        deprived: tuple[str, ...] = (), **cells: Any) -> dict[str, Any]:
    """One roster row: household ``code``, its statuses and kind of change, ``members`` persons, the
    deprivation indicators ``deprived``; other cells blank (flags False) unless given in ``cells``."""
    row: dict[str, Any] = {f.key: (False if f.kind == "flag" else None) for f in schema.ROSTER_FIELDS}
    row.update(household_code=code, head_name=f"Chủ hộ {code}", village="Thôn Tà Nôi", ethnicity="Raglai",
               members_count=members, ncc_members_count=1, ncc_categories="tn", status_baseline=baseline,
               status_current=current, change_kind=change, income_vnd_per_person_month=1_000_000)
    row.update(dict.fromkeys(deprived, True))
    row.update(cells)
    return row


def _roster(*households: dict[str, Any]) -> pd.DataFrame:
    """Sheet "Danh sách hộ NCC" as read, from :func:`_hh` rows (none: an empty roster)."""
    frame = pd.DataFrame(list(households), columns=[f.key for f in schema.ROSTER_FIELDS])
    for key in NUMERIC_KEYS:
        frame[key] = pd.array(frame[key].tolist(), dtype="Int64")
    for key in FLAG_KEYS:
        frame[key] = frame[key].astype(bool)
    frame["excel_row"] = range(5, 5 + len(frame))
    return frame


def _district(*parts: tuple[Unit, pd.DataFrame]) -> pd.DataFrame:
    """The units' rosters one after the other, each row with its ``unit_code`` and ``unit_name``."""
    return pd.concat([r.assign(unit_code=u.code, unit_name=u.full_name) for u, r in parts], ignore_index=True)


def _version(code: str, n: int, status: str = "valid", *, errors: int | None = 0, received: dt.datetime = RECEIVED,
             on_time: bool = True, period: str = "2023-6T") -> Version:
    """Ledger row of version ``n`` of unit ``code``."""
    return Version(id=n, period=period, unit_code=code, version=n, original_name=f"{code}-v{n}.xlsx",
                   sha256=f"{n:064x}", size_bytes=1, found_at=received, file_mtime=received, on_time=on_time,
                   archive_path=f"/archive/{n}.xlsx", status=status, errors=errors, warnings=0,
                   findings_path=f"/findings/{code}-{n}.json", fingerprint=None, validated_at=received,
                   received_at=received, received_via="intake", received_by=None, receipt_note=None)


def _valid(config: Config, code: str, roster: pd.DataFrame | None = None, summary: pd.DataFrame | None = None, *,
           narrative: dict[str, str] | None = None, version: Version | None = None,
           newer: Version | None = None, period: str = "2023-6T") -> UnitInput:
    """A unit with a valid version, read into a submission with these frames (empty roster, zero summary)."""
    unit = config.unit(code)
    v = version or _version(code, 1, period=period)
    sub = Submission(path=Path(f"/staged/{code}.xlsx"), sha256=v.sha256,
                     general={"unit_code": code, "unit_name": unit.full_name, "period": period},
                     summary=_summary() if summary is None else summary,
                     roster=_roster() if roster is None else roster,
                     narrative=narrative or {"results": "", "difficulties": "", "proposals": ""})
    state = UnitState(unit, UnitStatus.VALID, used=v, shown=v, latest=newer or v, newer=newer)
    outcome = ValidationOutcome(file=v.original_name, sha256=v.sha256, unit_code=code, period=period)
    return UnitInput(state, outcome, sub)


def _without(config: Config, code: str, status: UnitStatus, *, required: bool = True) -> UnitInput:
    """A unit without a valid version (no submission); ``required`` False for a unit only asked to report."""
    unit = dataclasses.replace(config.unit(code), required=required)
    return UnitInput(UnitState(unit, status))


# --- unit_table, district_totals ------------------------------------------------------------------------------
MA_NOI_COUNTS = {"households_total": (2400, 2410), "poor_households": (120, 110), "poor_persons": (480, 450),
                 "near_poor_households": (90, 95), "near_poor_persons": (350, 370), "ncc_poor_households": (2, 1),
                 "ncc_poor_persons": (9, 5), "ncc_near_poor_households": (1, 2), "ncc_near_poor_persons": (4, 8)}
LAM_SON_COUNTS = {"households_total": (1500, 1502), "poor_households": (80, 85), "ncc_poor_households": (1, 0)}


def test_unit_table_one_row_per_unit_with_counts_only_for_valid_units(config):
    """A valid unit's row carries its 9 summary counts at both dates; a missing unit's row has NA counts."""
    units = unit_table([_valid(config, MA_NOI, summary=_summary(**MA_NOI_COUNTS)),
                        _without(config, TAN_SON, UnitStatus.MISSING)])
    counts = [f"{k}_{s}" for k in MA_NOI_COUNTS for s in ("baseline", "current")]
    assert list(units.columns) == ["unit_code", "unit_name", "status", *counts]
    assert units["unit_code"].tolist() == [MA_NOI, TAN_SON]
    assert units["unit_name"].tolist() == ["xã Ma Nới", "thị trấn Tân Sơn"]
    assert units["status"].tolist() == ["valid", "missing"]
    assert all(str(units[c].dtype) == "Int64" for c in counts)
    ma_noi, tan_son = units.iloc[0], units.iloc[1]
    assert {k: (ma_noi[f"{k}_baseline"], ma_noi[f"{k}_current"]) for k in MA_NOI_COUNTS} == MA_NOI_COUNTS
    assert tan_son[counts].isna().all()


def test_unit_table_of_no_unit_or_only_units_without_data(config):
    """No unit gives an empty table with every column; units that all lack a valid version get NA counts."""
    empty = unit_table([])
    assert len(empty) == 0 and len(empty.columns) == 3 + 18
    assert str(empty["ncc_poor_households_current"].dtype) == "Int64"
    units = unit_table([_without(config, LAM_SON, UnitStatus.INVALID), _without(config, TAN_SON, UnitStatus.ERROR)])
    assert units["status"].tolist() == ["invalid", "error"]
    assert units["poor_households_current"].isna().all() and str(units["poor_households_current"].dtype) == "Int64"
    assert len(units.columns) == 3 + 18


def test_district_totals_sum_valid_units_and_leave_others_out(config):
    """Totals add the valid units (Ma Nới 120 + Lâm Sơn 80 poor households on 1 January) and skip the missing
    one; a row whose status is not valid is left out even when it holds figures."""
    units = unit_table([_valid(config, MA_NOI, summary=_summary(**MA_NOI_COUNTS)),
                        _valid(config, LAM_SON, summary=_summary(**LAM_SON_COUNTS)),
                        _without(config, TAN_SON, UnitStatus.MISSING)])
    totals = district_totals(units)
    assert len(totals) == 18
    assert (totals["households_total_baseline"], totals["households_total_current"]) == (3900, 3912)
    assert (totals["poor_households_baseline"], totals["poor_households_current"]) == (200, 195)
    assert (totals["ncc_poor_households_baseline"], totals["ncc_poor_households_current"]) == (3, 1)
    assert (totals["ncc_near_poor_persons_baseline"], totals["ncc_near_poor_persons_current"]) == (4, 8)
    assert all(isinstance(v, int) for v in totals.values())
    units.loc[1, "status"] = UnitStatus.INVALID
    totals = district_totals(units)
    assert (totals["poor_households_baseline"], totals["poor_households_current"]) == (120, 110)
    assert (totals["households_total_baseline"], totals["ncc_poor_households_baseline"]) == (2400, 2)


def test_district_totals_of_no_valid_unit_are_zero(config):
    """Without any valid unit every total is 0 (not NA)."""
    totals = district_totals(unit_table([_without(config, MA_NOI, UnitStatus.MISSING)]))
    assert totals == {f"{k}_{s}": 0 for k in MA_NOI_COUNTS for s in ("baseline", "current")}


# --- ncc_status, deprivations, supports -------------------------------------------------------------------------
def test_ncc_status_counts_households_persons_and_changes(config):
    """2 poor NCC households on 1 January (5 + 4 persons), 3 now (5 + 3 + 2); near-poor 2 at both dates, a blank
    member count as 0 persons; one household per kind of change that happened, 0 for the others."""
    roster = _roster(_hh("22828-0001", "poor", "poor", "unchanged", 5),
                     _hh("22828-0002", "poor", "near_poor", "escaped_poverty", 4),
                     _hh("22828-0003", "none", "poor", "new_poor", 3),
                     _hh("22828-0004", "near_poor", "near_poor", "unchanged", None),
                     _hh("22828-0005", "average", "poor", "fell_back_poor", 2),
                     _hh("22828-0006", "near_poor", "not_listed", "moved_away", 6))
    assert ncc_status(roster, config) == {
        "poor_households_baseline": 2, "poor_persons_baseline": 9,
        "near_poor_households_baseline": 2, "near_poor_persons_baseline": 6,
        "poor_households_current": 3, "poor_persons_current": 10,
        "near_poor_households_current": 2, "near_poor_persons_current": 4,
        **NO_CHANGE, "change_escaped_poverty": 1, "change_new_poor": 1, "change_fell_back_poor": 1,
        "change_moved_away": 1,
    }


def test_ncc_status_of_an_empty_roster_is_all_zero(config):
    """No NCC household: every count and every kind of change is 0."""
    assert ncc_status(_roster(), config) == {
        **{f"{k}_{w}": 0 for k in ("poor_households", "poor_persons", "near_poor_households", "near_poor_persons")
           for w in ("baseline", "current")},
        **NO_CHANGE,
    }


def test_deprivations_count_only_households_poor_at_the_cut_off(config):
    """3 households are poor now: d04 is deprived in 2 of them, d01, d09 and d10 in 1; a dimension counts a
    household once (water & sanitation: 1 though both its indicators are deprived); a household poor only on
    1 January (d11) or near-poor (d07) does not count."""
    roster = _roster(_hh("22828-0001", "poor", "poor", "unchanged", 5, ("d01", "d04")),
                     _hh("22828-0002", "poor", "near_poor", "escaped_poverty", 4, ("d11",)),
                     _hh("22828-0003", "none", "poor", "new_poor", 3, ("d04", "d09", "d10")),
                     _hh("22828-0004", "near_poor", "near_poor", "unchanged", 6, ("d07",)),
                     _hh("22828-0005", "average", "poor", "fell_back_poor", 2))
    result = deprivations(roster, config)
    assert result["base"] == 3
    got = {i["code"]: i["households"] for i in result["indicators"]}
    assert got == {**dict.fromkeys(schema.DEPRIVATION_KEYS, 0), "d01": 1, "d04": 2, "d09": 1, "d10": 1}
    assert [i["code"] for i in result["indicators"]] == list(schema.DEPRIVATION_KEYS)
    assert result["indicators"][3] == {"code": "d04", "label": "Bảo hiểm y tế", "dimension": "Y tế", "households": 2}
    assert result["indicators"][11]["label"] == "Phương tiện phục vụ tiếp cận thông tin"
    assert result["dimensions"] == [
        {"code": "employment", "label": "Việc làm", "households": 1},
        {"code": "health", "label": "Y tế", "households": 2},
        {"code": "education", "label": "Giáo dục", "households": 0},
        {"code": "housing", "label": "Nhà ở", "households": 0},
        {"code": "water_sanitation", "label": "Nước sinh hoạt và vệ sinh", "households": 1},
        {"code": "information", "label": "Thông tin", "households": 0},
    ]


def test_deprivations_without_poor_households(config):
    """No household poor now (one near-poor, deprived): base 0, all 12 indicators and 6 dimensions at 0."""
    for roster in (_roster(), _roster(_hh("22828-0001", "poor", "near_poor", "escaped_poverty", 4, ("d01",)))):
        result = deprivations(roster, config)
        assert result["base"] == 0
        assert [i["households"] for i in result["indicators"]] == [0] * 12
        assert [(d["code"], d["households"]) for d in result["dimensions"]] == [(c, 0) for c, _ in DIMENSIONS]


def test_supports_count_households_and_sum_amounts(config):
    """Loans to 2 households (50 + 30 million; a blank and a 0 amount are no loan), flags counted per household,
    housing to 1 (40 million), sponsorship to 1 (2 million); flags carry no amount; the report's order."""
    roster = _roster(
        _hh("22828-0001", "poor", "poor", "unchanged", 5, support_loan_vnd=50_000_000,
            support_vocational_training=True, support_health_insurance=True),
        _hh("22828-0002", "poor", "near_poor", "escaped_poverty", 4, support_livestock=True,
            support_health_insurance=True, support_housing_vnd=40_000_000),
        _hh("22828-0003", "near_poor", "near_poor", "unchanged", 3, support_loan_vnd=0,
            support_vocational_training=True, support_health_insurance=True),
        _hh("22828-0004", "near_poor", "average", "escaped_near_poverty", 2, support_loan_vnd=30_000_000,
            sponsor_amount_vnd=2_000_000),
    )
    assert supports(roster) == [
        {"code": "support_loan_vnd", "label": "Vay vốn ưu đãi (NHCSXH)", "households": 2, "amount_vnd": 80_000_000},
        {"code": "support_vocational_training", "label": "Đào tạo nghề", "households": 2, "amount_vnd": None},
        {"code": "support_job_placement", "label": "Giới thiệu việc làm", "households": 0, "amount_vnd": None},
        {"code": "support_livestock", "label": "Hỗ trợ con giống, hướng dẫn chăn nuôi", "households": 1,
         "amount_vnd": None},
        {"code": "support_health_insurance", "label": "Cấp thẻ bảo hiểm y tế", "households": 3, "amount_vnd": None},
        {"code": "support_housing_vnd", "label": "Hỗ trợ nhà ở", "households": 1, "amount_vnd": 40_000_000},
        {"code": "sponsor_amount_vnd", "label": "Nhận đỡ đầu", "households": 1, "amount_vnd": 2_000_000},
    ]


def test_supports_of_an_empty_roster(config):
    """No household: 0 households for every support, amounts 0 đồng, flags still without amount."""
    assert [(s["code"], s["households"], s["amount_vnd"]) for s in supports(_roster())] == [
        ("support_loan_vnd", 0, 0), ("support_vocational_training", 0, None), ("support_job_placement", 0, None),
        ("support_livestock", 0, None), ("support_health_insurance", 0, None), ("support_housing_vnd", 0, 0),
        ("sponsor_amount_vnd", 0, 0)]


# --- cumulative_totals, funds ----------------------------------------------------------------------------------
def test_cumulative_totals_sum_valid_units_a_blank_as_zero(config):
    """Activities, funds and loans from 1 January add over the two valid units; the missing unit adds nothing
    and Ma Nới's blank source (5) counts 0."""
    ma_noi = _summary(outreach_sessions=4, outreach_participants=180, fund_1_national_programmes_vnd=100_000_000,
                      fund_3_contributions_vnd=12_000_000, fund_4_gratitude_poor_funds_vnd=5_000_000,
                      fund_5_sponsors_vnd=None, loan_2_households=3, loan_2_disbursed_vnd=150_000_000)
    lam_son = _summary(outreach_sessions=2, outreach_participants=75, fund_1_national_programmes_vnd=20_000_000,
                       fund_4_gratitude_poor_funds_vnd=1_500_000, fund_5_sponsors_vnd=3_000_000,
                       loan_2_households=1, loan_2_disbursed_vnd=50_000_000)
    inputs = [_valid(config, MA_NOI, summary=ma_noi), _without(config, TAN_SON, UnitStatus.MISSING),
              _valid(config, LAM_SON, summary=lam_son)]
    assert cumulative_totals(inputs) == {
        "outreach_sessions": 6, "outreach_participants": 255, "fund_1_national_programmes_vnd": 120_000_000,
        "fund_3_contributions_vnd": 12_000_000, "fund_4_gratitude_poor_funds_vnd": 6_500_000,
        "fund_5_sponsors_vnd": 3_000_000, "loan_2_households": 4, "loan_2_disbursed_vnd": 200_000_000,
    }


def test_cumulative_totals_of_no_unit_are_zero():
    """Without inputs every cumulative figure is 0."""
    assert cumulative_totals([]) == {
        "outreach_sessions": 0, "outreach_participants": 0, "fund_1_national_programmes_vnd": 0,
        "fund_3_contributions_vnd": 0, "fund_4_gratitude_poor_funds_vnd": 0, "fund_5_sponsors_vnd": 0,
        "loan_2_households": 0, "loan_2_disbursed_vnd": 0,
    }


def test_funds_total_sources_1_3_4_5_and_keep_loans_apart(config):
    """120 + 12 + 6.5 + 3 million = 141.5 million from sources (1), (3), (4), (5); the 200 million of loans to 4
    households (source 2) are reported apart, not in the total."""
    cumulative = {"outreach_sessions": 6, "outreach_participants": 255, "fund_1_national_programmes_vnd": 120_000_000,
                  "fund_3_contributions_vnd": 12_000_000, "fund_4_gratitude_poor_funds_vnd": 6_500_000,
                  "fund_5_sponsors_vnd": 3_000_000, "loan_2_households": 4, "loan_2_disbursed_vnd": 200_000_000}
    assert funds(cumulative, config) == {
        "sources": [
            {"number": 1, "label": "Vốn các Chương trình mục tiêu quốc gia", "amount_vnd": 120_000_000},
            {"number": 3, "label": "Vốn huy động đóng góp của cơ quan, doanh nghiệp, cá nhân",
             "amount_vnd": 12_000_000},
            {"number": 4, "label": "Quỹ \"Đền ơn đáp nghĩa\", Quỹ \"Vì người nghèo\" các cấp",
             "amount_vnd": 6_500_000},
            {"number": 5, "label": "Hỗ trợ của tổ chức, cá nhân nhận đỡ đầu", "amount_vnd": 3_000_000},
        ],
        "total_vnd": 141_500_000,
        "loan_households": 4,
        "loan_disbursed_vnd": 200_000_000,
    }


# --- submission_status, coverage ------------------------------------------------------------------------------
def test_submission_status_describes_each_units_version(config):
    """Per unit, in order: the version used with its file, hash, UTC arrival, timeliness and finding counts; a
    newer invalid version with its error count, a newer one whose validation crashed without (its system error
    is no error of the unit's); an invalid unit's late version;
    a missing unit (only asked to report) with nothing."""
    warning = Finding(WARNING, schema.SHEET_ROSTER, 7, "Thôn", "", "Thôn để trống.")
    errors = [Finding(ERROR, schema.SHEET_SUMMARY, 6, "Chỉ tiêu", "x", "Không phải số.")] * 2
    ma_noi = _valid(config, MA_NOI, version=_version(MA_NOI, 2),
                    newer=_version(MA_NOI, 3, "invalid", errors=4, received=RECEIVED + dt.timedelta(hours=2)))
    ma_noi.outcome.findings.append(warning)
    lam_son = _valid(config, LAM_SON, newer=_version(LAM_SON, 2, "error", errors=1))
    late = _version(LUONG_SON, 1, "invalid", errors=2, received=dt.datetime(2023, 5, 6, 8, tzinfo=HCM), on_time=False)
    luong_son = UnitInput(UnitState(config.unit(LUONG_SON), UnitStatus.INVALID, shown=late, latest=late),
                          ValidationOutcome(late.original_name, late.sha256, LUONG_SON, "2023-6T",
                                            [*errors, warning]))
    quang_son = _without(config, QUANG_SON, UnitStatus.MISSING, required=False)
    assert submission_status([ma_noi, lam_son, luong_son, quang_son]) == [
        {"unit_code": MA_NOI, "unit_name": "xã Ma Nới", "required": True, "status": "valid",
         "file": "22828-v2.xlsx", "sha256": f"{2:064x}", "version": 2, "received_at": "2023-05-03T02:30:00+00:00",
         "on_time": True, "errors": 0, "warnings": 1, "newer_failed": {"version": 3, "errors": 4}},
        {"unit_code": LAM_SON, "unit_name": "xã Lâm Sơn", "required": True, "status": "valid",
         "file": "22813-v1.xlsx", "sha256": f"{1:064x}", "version": 1, "received_at": "2023-05-03T02:30:00+00:00",
         "on_time": True, "errors": 0, "warnings": 0, "newer_failed": {"version": 2, "errors": None}},
        {"unit_code": LUONG_SON, "unit_name": "xã Lương Sơn", "required": True, "status": "invalid",
         "file": "22816-v1.xlsx", "sha256": f"{1:064x}", "version": 1, "received_at": "2023-05-06T01:00:00+00:00",
         "on_time": False, "errors": 2, "warnings": 1, "newer_failed": None},
        {"unit_code": QUANG_SON, "unit_name": "xã Quảng Sơn", "required": False, "status": "missing",
         "file": None, "sha256": None, "version": None, "received_at": None, "on_time": None, "errors": None,
         "warnings": None, "newer_failed": None},
    ]


def test_coverage_says_which_units_are_covered_left_out_and_lacking(config):
    """Valid Tân Sơn is covered; invalid and missing required units are left out and lacking; a unit only asked
    to report is neither when it sent nothing, but left out (not lacking) when its version is locked."""
    inputs = [_valid(config, TAN_SON), _without(config, LAM_SON, UnitStatus.INVALID),
              _without(config, LUONG_SON, UnitStatus.MISSING),
              _without(config, QUANG_SON, UnitStatus.MISSING, required=False),
              _without(config, "22822", UnitStatus.LOCKED, required=False)]
    assert coverage(inputs) == {
        "covered": [TAN_SON],
        "left_out": [{"unit_code": LAM_SON, "unit_name": "xã Lâm Sơn", "status": "invalid"},
                     {"unit_code": LUONG_SON, "unit_name": "xã Lương Sơn", "status": "missing"},
                     {"unit_code": "22822", "unit_name": "xã Mỹ Sơn", "status": "locked"}],
        "lacking": ["xã Lâm Sơn", "xã Lương Sơn"],
    }
    assert coverage([]) == {"covered": [], "left_out": [], "lacking": []}


# --- targets ------------------------------------------------------------------------------------------------
def _access(**households: int) -> dict[str, Any]:
    """An :func:`access_target` result whose listed dimensions lack these households (others none)."""
    dims = [{"code": c, "label": label, "households": households[c], "units": ["xã Ma Nới"]}
            for c, label in DIMENSIONS if households.get(c)]
    return {"base": 3, "households": max(households.values(), default=0), "dimensions": dims,
            "listed": [label for _, label in DIMENSIONS]}


def test_targets_met_when_nothing_is_left(config):
    """No poor NCC household, nobody fell back or newly poor, no household lacking a listed service: all three
    targets met."""
    status = {"poor_households_current": 0, "change_fell_back_poor": 0, "change_new_poor": 0}
    assert targets(status, _access(), config) == [
        {"code": "no_ncc_poor", "value": 0, "met": True},
        {"code": "no_fallback", "value": 0, "met": True},
        {"code": "access", "value": 0, "met": True, "dimensions": [], "households": 0, "base": 3},
    ]


def test_targets_not_met_and_not_assessable(config):
    """2 poor NCC households, 1 fallen back + 1 newly poor, health and information lacking: none met, access's
    value is the 2 dimensions and its households the most lacking one; not assessable, every ``met`` is None."""
    status = {"poor_households_current": 2, "change_fell_back_poor": 1, "change_new_poor": 1}
    access = _access(health=1, information=2)
    expected = [
        {"code": "no_ncc_poor", "value": 2, "met": False},
        {"code": "no_fallback", "value": 2, "met": False},
        {"code": "access", "value": 2, "met": False, "dimensions": ["Y tế", "Thông tin"], "households": 2,
         "base": 3},
    ]
    assert targets(status, access, config) == expected
    assert targets(status, access, config, assessable=False) == [{**t, "met": None} for t in expected]


def test_targets_follow_the_configured_thresholds(config):
    """With at most 2 poor NCC households and 1 fallen back: 2 poor and 1 newly poor are met, 2 fallen back is
    not."""
    lenient = dataclasses.replace(config, targets={"ncc_poor_households_by_year_end": 2, "ncc_fallback_or_new_poor": 1,
                                                   "ncc_poor_access_dimensions": ["health"]})
    status = {"poor_households_current": 2, "change_fell_back_poor": 0, "change_new_poor": 1}
    assert [t["met"] for t in targets(status, _access(), lenient)] == [True, True, True]
    status = {"poor_households_current": 3, "change_fell_back_poor": 1, "change_new_poor": 1}
    result = targets(status, _access(health=1), lenient)
    assert [(t["value"], t["met"]) for t in result] == [(3, False), (2, False), (1, False)]
    assert result[2]["dimensions"] == ["Y tế"]


def test_access_target_follows_households_poor_on_1_january_wherever_they_are_now(config):
    """Target 3 is judged on households poor on 01/01 or now: one escaped to near-poor still lacking adult
    education (d05) and information (d12) counts, one that moved away does not, a near-poor one never poor does
    not; employment (d01) is not a listed service, so a household lacking only it is not counted."""
    roster = _roster(
        _hh("22828-0001", "poor", "near_poor", "escaped_poverty", 6, ("d05", "d12")),
        _hh("22828-0002", "poor", "average", "escaped_poverty", 5, ("d12",)),
        _hh("22828-0003", "poor", "not_listed", "moved_away", 4, ("d07",)),
        _hh("22828-0004", "near_poor", "near_poor", "unchanged", 3, ("d09",)),
        _hh("22828-0005", "poor", "poor", "unchanged", 3, ("d01",)))
    roster["unit_name"] = "xã Ma Nới"
    got = access_target(roster, config)
    assert got["base"] == 3  # 0001, 0002, 0005: poor on 01/01 or now, still in the area
    assert got["households"] == 2
    assert [(d["code"], d["households"], d["units"]) for d in got["dimensions"]] == [
        ("education", 1, ["xã Ma Nới"]), ("information", 2, ["xã Ma Nới"])]
    assert got["listed"] == ["Y tế", "Giáo dục", "Nhà ở", "Nước sinh hoạt và vệ sinh", "Thông tin"]
    only_information = dataclasses.replace(config, targets={**config.targets,
                                                            "ncc_poor_access_dimensions": ["information"]})
    assert access_target(roster, only_information)["households"] == 2
    assert access_target(_roster(), config) == {"base": 0, "households": 0, "dimensions": [],
                                                "listed": got["listed"]}


def test_capacity_supports_split_by_the_rosters_own_column(config):
    """Supports are counted apart for households with and without working capacity (the roster's column): a
    sponsored household that can work is counted with those that can; households listed are those poor or
    near-poor at the cut-off."""
    roster = _roster(
        _hh("22828-0001", "poor", "poor", "unchanged", 6, working_capacity=True, support_job_placement=True,
            sponsor_amount_vnd=2_000_000),
        _hh("22828-0002", "near_poor", "near_poor", "unchanged", 3, working_capacity=True, support_livestock=True),
        _hh("22828-0003", "near_poor", "near_poor", "unchanged", 2, working_capacity=False,
            support_health_insurance=True, sponsor_amount_vnd=1_500_000),
        _hh("22828-0004", "near_poor", "not_listed", "moved_away", 2, working_capacity=False,
            support_livestock=True))
    got = capacity_supports(roster)
    able = {s["code"]: (s["households"], s["amount_vnd"]) for s in got["able"]["supports"]}
    unable = {s["code"]: (s["households"], s["amount_vnd"]) for s in got["unable"]["supports"]}
    assert got["able"]["households"] == 2 and got["unable"]["households"] == 1
    assert able["support_job_placement"] == (1, None) and able["support_livestock"] == (1, None)
    assert able["sponsor_amount_vnd"] == (1, 2_000_000)
    assert unable["sponsor_amount_vnd"] == (1, 1_500_000) and unable["support_health_insurance"] == (1, None)
    assert unable["support_livestock"] == (1, None) and unable["support_job_placement"] == (0, None)


def test_movement_kinds_list_every_kind_and_balance(config):
    """Every kind of change but "unchanged" is a row; each row is the net change of each list (None when the
    kind cannot touch it); 1 January plus the rows gives the cut-off on both lists."""
    roster = _roster(
        _hh("1", "poor", "near_poor", "escaped_poverty", 5),
        _hh("2", "poor", "average", "escaped_poverty", 4),
        _hh("3", "near_poor", "poor", "near_poor_to_poor", 3),
        _hh("4", "near_poor", "not_listed", "moved_away", 2),
        _hh("5", "not_listed", "near_poor", "split_off", 2),
        _hh("6", "near_poor", "not_listed", "died_out", 1),
        _hh("7", "average", "poor", "new_poor", 4),
        _hh("8", "near_poor", "near_poor", "unchanged", 3))
    got = movement_kinds(roster, config)
    rows = {r["code"]: (r["poor"], r["near_poor"]) for r in got["rows"]}
    assert [r["code"] for r in got["rows"]] == list(CHANGE_CODES)
    assert rows["escaped_poverty"] == (-2, 1)
    assert rows["near_poor_to_poor"] == (1, -1)
    assert rows["moved_away"] == (0, -1) and rows["died_out"] == (0, -1) and rows["split_off"] == (0, 1)
    assert rows["new_poor"] == (1, None) and rows["escaped_near_poverty"] == (None, 0)
    assert got["start"] == {"poor": 2, "near_poor": 4} and got["end"] == {"poor": 2, "near_poor": 3}
    for name in ("poor", "near_poor"):
        assert got["start"][name] + sum(r[name] or 0 for r in got["rows"]) == got["end"][name]


# --- Annex lists --------------------------------------------------------------------------------------------
def test_ncc_poor_list_lists_households_poor_at_either_date_sorted(config):
    """Households poor on 1 January or now, sorted by unit code then household code (Tân Sơn's "TS-0001" first);
    near-poor ones are not listed; each with its personal details, members and deprived indicators."""
    ma_noi = _roster(
        _hh("22828-0002", "poor", "poor", "unchanged", 6, ("d01", "d05", "d07"), head_name="Pinăng Thị Hoa",
            ncc_members_count=2),
        _hh("22828-0001", "poor", "near_poor", "escaped_poverty", 4, ("d11",), head_name="Katơr Văn Sáu",
            village="Thôn Gia Rót"),
        _hh("22828-0003", "near_poor", "near_poor", "unchanged", 5))
    tan_son = _roster(_hh("TS-0001", "none", "poor", "new_poor", 3, ("d04", "d05", "d08"),
                          head_name="Nguyễn Văn Hùng", village="Khu phố 3", ethnicity="Kinh"))
    roster = _district((config.unit(MA_NOI), ma_noi), (config.unit(TAN_SON), tan_son))
    assert ncc_poor_list(roster) == [
        {"unit_name": "thị trấn Tân Sơn", "household_code": "TS-0001", "head_name": "Nguyễn Văn Hùng",
         "village": "Khu phố 3", "ethnicity": "Kinh", "members": 3, "ncc_members": 1, "status_baseline": "none",
         "status_current": "poor", "deprived": ["d04", "d05", "d08"]},
        {"unit_name": "xã Ma Nới", "household_code": "22828-0001", "head_name": "Katơr Văn Sáu",
         "village": "Thôn Gia Rót", "ethnicity": "Raglai", "members": 4, "ncc_members": 1,
         "status_baseline": "poor", "status_current": "near_poor", "deprived": ["d11"]},
        {"unit_name": "xã Ma Nới", "household_code": "22828-0002", "head_name": "Pinăng Thị Hoa",
         "village": "Thôn Tà Nôi", "ethnicity": "Raglai", "members": 6, "ncc_members": 2,
         "status_baseline": "poor", "status_current": "poor", "deprived": ["d01", "d05", "d07"]},
    ]
    assert ncc_poor_list(_district((config.unit(MA_NOI), _roster()))) == []


def test_ncc_households_lists_poor_and_near_poor_with_blanks_made_plain(config):
    """Households poor or near-poor at either date, sorted by unit code then household code (an average household
    is not listed); a blank village is "", a blank member count 0, blank amounts 0 and unset flags False; the NCC
    categories as a list of letters; the commune's decision number and date (ISO), "" when blank."""
    ma_noi = _roster(
        _hh("22828-0002", "poor", "near_poor", "escaped_poverty", 5, ("d07",), village=None,
            support_loan_vnd=50_000_000, support_livestock=True, support_health_insurance=True),
        _hh("22828-0001", "near_poor", "average", "escaped_near_poverty", None, head_name="Katơr Văn Sáu",
            sponsor_amount_vnd=1_000_000, ncc_categories="g;tn"),
        _hh("22828-0003", "average", "average", "unchanged", 3))
    tan_son = _roster(_hh("TS-0001", "not_listed", "poor", "moved_in", 2, ("d01", "d02"),
                          support_housing_vnd=30_000_000, support_vocational_training=True,
                          decision_number="31/QĐ-UBND", decision_date=dt.date(2023, 3, 2)))
    roster = _district((config.unit(MA_NOI), ma_noi), (config.unit(TAN_SON), tan_son))
    nothing = {"support_loan_vnd": 0, "support_housing_vnd": 0, "sponsor_amount_vnd": 0,
               "support_vocational_training": False, "support_job_placement": False, "support_livestock": False,
               "support_health_insurance": False}
    assert ncc_households(roster) == [
        {"unit_code": TAN_SON, "unit_name": "thị trấn Tân Sơn", "household_code": "TS-0001",
         "head_name": "Chủ hộ TS-0001", "village": "Thôn Tà Nôi", "members": 2, "ncc_categories": ["tn"],
         "status_baseline": "not_listed", "status_current": "poor", "change_kind": "moved_in",
         "decision_number": "31/QĐ-UBND", "decision_date": "2023-03-02", "deprived": ["d01", "d02"],
         "supports": {**nothing, "support_housing_vnd": 30_000_000, "support_vocational_training": True}},
        {"unit_code": MA_NOI, "unit_name": "xã Ma Nới", "household_code": "22828-0001", "head_name": "Katơr Văn Sáu",
         "village": "Thôn Tà Nôi", "members": 0, "ncc_categories": ["g", "tn"], "status_baseline": "near_poor",
         "status_current": "average", "change_kind": "escaped_near_poverty", "decision_number": "",
         "decision_date": "", "deprived": [],
         "supports": {**nothing, "sponsor_amount_vnd": 1_000_000}},
        {"unit_code": MA_NOI, "unit_name": "xã Ma Nới", "household_code": "22828-0002",
         "head_name": "Chủ hộ 22828-0002", "village": "", "members": 5, "ncc_categories": ["tn"],
         "status_baseline": "poor", "status_current": "near_poor", "change_kind": "escaped_poverty",
         "decision_number": "", "decision_date": "", "deprived": ["d07"],
         "supports": {**nothing, "support_loan_vnd": 50_000_000, "support_livestock": True,
                      "support_health_insurance": True}},
    ]
    assert all(type(v) is int for h in ncc_households(roster) for k, v in h["supports"].items() if k.endswith("_vnd"))
    assert ncc_households(_roster()) == []


def test_ncc_by_unit_gives_each_valid_units_movement_and_deprivations(config):
    """Ma Nới: poor 3 on 1 January (11 persons) − 1 escaped to near-poor − 1 moved away + 1 newly poor = 2 now
    (8 persons), deprived d01 once and d05 twice; near-poor 1 + 1 from poor + 1 moved in = 3 (4 + 6 + a blank
    count = 10 persons). Tân Sơn, valid with no NCC household: zeros. Lâm Sơn, missing: None."""
    ma_noi = _roster(_hh("22828-0001", "poor", "poor", "unchanged", 5, ("d01", "d05")),
                     _hh("22828-0002", "poor", "near_poor", "escaped_poverty", 4),
                     _hh("22828-0003", "none", "poor", "new_poor", 3, ("d05",)),
                     _hh("22828-0004", "poor", "not_listed", "moved_away", 2),
                     _hh("22828-0005", "near_poor", "near_poor", "unchanged", 6, ("d07",)),
                     _hh("22828-0006", "not_listed", "near_poor", "moved_in", None))
    inputs = [_valid(config, MA_NOI, ma_noi), _valid(config, TAN_SON), _without(config, LAM_SON, UnitStatus.MISSING)]
    result = ncc_by_unit(inputs, _district((config.unit(MA_NOI), ma_noi)), config)
    none_deprived = dict.fromkeys(schema.DEPRIVATION_KEYS, 0)
    assert [(r["unit_code"], r["unit_name"], r["status"]) for r in result] == [
        (MA_NOI, "xã Ma Nới", "valid"), (TAN_SON, "thị trấn Tân Sơn", "valid"), (LAM_SON, "xã Lâm Sơn", "missing")]
    assert result[0]["poor"] == {
        "start": 3, "start_persons": 11, "end": 2, "end_persons": 8, "escaped_to_near_poor": 1, "escaped_above": 0,
        "other_decrease": 1, "from_near_poor": 0, "fell_back": 0, "new": 1, "other_increase": 0,
        "deprivations": {**none_deprived, "d01": 1, "d05": 2}}
    assert result[0]["near_poor"] == {
        "start": 1, "start_persons": 6, "end": 3, "end_persons": 10, "escaped": 0, "fell_to_poor": 0,
        "other_decrease": 0, "from_poor": 1, "fell_back": 0, "new": 0, "other_increase": 1,
        "deprivations": {**none_deprived, "d07": 1}}
    zero = {"start": 0, "start_persons": 0, "end": 0, "end_persons": 0, "other_decrease": 0, "fell_back": 0,
            "new": 0, "other_increase": 0, "deprivations": none_deprived}
    assert result[1]["poor"] == {**zero, "escaped_to_near_poor": 0, "escaped_above": 0, "from_near_poor": 0}
    assert result[1]["near_poor"] == {**zero, "escaped": 0, "fell_to_poor": 0, "from_poor": 0}
    assert (result[2]["poor"], result[2]["near_poor"]) == (None, None)


# --- period_figures ------------------------------------------------------------------------------------------
def _ma_noi_period(config: Config) -> UnitInput:
    """Ma Nới with 2 poor NCC households on 1 January (9 persons), 1 near-poor (6); now 2 poor (one escaped, one
    newly poor; 8 persons, one deprived in health) and 2 near-poor (10); funds 10 + 2 + 0.5 million, a loan of 80."""
    roster = _roster(_hh("22828-0001", "poor", "poor", "unchanged", 5, ("d04",)),
                     _hh("22828-0002", "poor", "near_poor", "escaped_poverty", 4),
                     _hh("22828-0003", "none", "poor", "new_poor", 3),
                     _hh("22828-0004", "near_poor", "near_poor", "unchanged", 6))
    summary = _summary(fund_1_national_programmes_vnd=10_000_000, fund_3_contributions_vnd=2_000_000,
                       fund_5_sponsors_vnd=500_000, loan_2_households=1, loan_2_disbursed_vnd=80_000_000)
    return _valid(config, MA_NOI, roster, summary)


def test_period_figures_over_valid_units_with_a_required_unit_lacking(config):
    """Figures over Ma Nới only; invalid Lâm Sơn is left out and makes the targets not assessable; Quảng Sơn,
    only asked to report and silent, is not left out; funds 12.5 million without the loan."""
    inputs = [_ma_noi_period(config), _without(config, LAM_SON, UnitStatus.INVALID),
              _without(config, QUANG_SON, UnitStatus.MISSING, required=False)]
    fig = period_figures(inputs, config)
    assert fig["has_data"] is True
    assert fig["left_out"] == [LAM_SON]
    assert fig["baseline"] == {"poor_households": 2, "poor_persons": 9, "near_poor_households": 1,
                               "near_poor_persons": 6}
    assert fig["ncc"] == {**NO_CHANGE, "change_escaped_poverty": 1, "change_new_poor": 1,
                          "poor_households_baseline": 2, "poor_persons_baseline": 9,
                          "near_poor_households_baseline": 1, "near_poor_persons_baseline": 6,
                          "poor_households_current": 2, "poor_persons_current": 8,
                          "near_poor_households_current": 2, "near_poor_persons_current": 10}
    assert (fig["escaped_poverty"], fig["fell_back_or_new"], fig["funds_total_vnd"]) == (1, 1, 12_500_000)
    assert fig["targets"] == [
        {"code": "no_ncc_poor", "value": 2, "met": None},
        {"code": "no_fallback", "value": 1, "met": None},
        {"code": "access", "value": 1, "met": None, "dimensions": ["Y tế"], "households": 1, "base": 3},
    ]


def test_period_figures_assessable_when_every_required_unit_is_valid(config):
    """Ma Nới alone (the silent unit is only asked to report): the targets are judged, none met."""
    fig = period_figures([_ma_noi_period(config), _without(config, QUANG_SON, UnitStatus.MISSING, required=False)],
                         config)
    assert fig["left_out"] == []
    assert [(t["code"], t["value"], t["met"]) for t in fig["targets"]] == [
        ("no_ncc_poor", 2, False), ("no_fallback", 1, False), ("access", 1, False)]


def test_period_figures_without_any_valid_unit(config):
    """Only an invalid unit: no data, the unit left out, every figure 0 and the targets not assessable."""
    fig = period_figures([_without(config, LAM_SON, UnitStatus.INVALID)], config)
    assert (fig["has_data"], fig["left_out"]) == (False, [LAM_SON])
    assert fig["baseline"] == dict.fromkeys(("poor_households", "poor_persons", "near_poor_households",
                                             "near_poor_persons"), 0)
    assert (fig["escaped_poverty"], fig["fell_back_or_new"], fig["funds_total_vnd"]) == (0, 0, 0)
    assert [(t["value"], t["met"]) for t in fig["targets"]] == [(0, None), (0, None), (0, None)]


# --- aggregate ----------------------------------------------------------------------------------------------
def test_aggregate_gathers_every_table_over_the_valid_units(config):
    """Ma Nới valid, Tân Sơn (required) missing: every table is over Ma Nới's rows, Tân Sơn's unit record has
    None counts, the totals cannot judge the targets, and the year holds this period only."""
    narrative = {"results": "Hỗ trợ 2 hộ làm nhà.", "difficulties": "Thiếu vốn.", "proposals": "Tăng vốn vay."}
    summary = _summary(households_total=(2400, 2410), ncc_poor_households=(2, 2), ncc_poor_persons=(9, 8),
                       fund_1_national_programmes_vnd=10_000_000, loan_2_disbursed_vnd=80_000_000)
    roster = _roster(_hh("22828-0001", "poor", "poor", "unchanged", 5, ("d04",), support_loan_vnd=80_000_000),
                     _hh("22828-0002", "poor", "near_poor", "escaped_poverty", 4),
                     _hh("22828-0003", "none", "poor", "new_poor", 3))
    inputs = [_valid(config, MA_NOI, roster, summary, narrative=narrative),
              _without(config, TAN_SON, UnitStatus.MISSING)]
    agg = aggregate(inputs, config=config, period=config.period("2023-6T"))
    assert agg["period"] == "2023-6T"
    assert [(u["unit_code"], u["status"]) for u in agg["units"]] == [(MA_NOI, "valid"), (TAN_SON, "missing")]
    assert (agg["units"][0]["ncc_poor_persons_baseline"], agg["units"][0]["households_total_current"]) == (9, 2410)
    tan_son = agg["units"][1]
    assert tan_son["ncc_poor_households_current"] is None and tan_son["households_total_baseline"] is None
    assert (agg["district"]["households_total_current"], agg["district"]["ncc_poor_households_current"]) == (2410, 2)
    assert (agg["ncc"]["poor_households_baseline"], agg["ncc"]["poor_households_current"]) == (2, 2)
    assert (agg["ncc"]["near_poor_households_current"], agg["ncc"]["change_escaped_poverty"]) == (1, 1)
    assert agg["deprivations"]["base"] == 2 and agg["deprivations"]["dimensions"][1]["households"] == 1
    assert agg["supports"][0] == {"code": "support_loan_vnd", "label": "Vay vốn ưu đãi (NHCSXH)", "households": 1,
                                  "amount_vnd": 80_000_000}
    assert (agg["cumulative"]["fund_1_national_programmes_vnd"], agg["funds"]["total_vnd"]) == (10_000_000, 10_000_000)
    assert agg["funds"]["loan_disbursed_vnd"] == 80_000_000
    assert [s["status"] for s in agg["submissions"]] == ["valid", "missing"]
    assert agg["coverage"] == {"covered": [MA_NOI],
                               "left_out": [{"unit_code": TAN_SON, "unit_name": "thị trấn Tân Sơn",
                                             "status": "missing"}],
                               "lacking": ["thị trấn Tân Sơn"]}
    assert (agg["lacking"], agg["assessable"]) == (["thị trấn Tân Sơn"], False)
    assert [(t["value"], t["met"]) for t in agg["targets"]] == [(2, None), (1, None), (1, None)]
    assert [a["household_code"] for a in agg["annex"]] == ["22828-0001", "22828-0002", "22828-0003"]
    assert agg["narratives"] == [{"unit_name": "xã Ma Nới", **narrative}]
    assert [u["poor"] is None for u in agg["ncc_by_unit"]] == [False, True]
    assert agg["ncc_by_unit"][0]["poor"]["end"] == 2
    assert [h["household_code"] for h in agg["ncc_households"]] == ["22828-0001", "22828-0002", "22828-0003"]
    assert agg["timeliness"] is None
    poor = agg["movement"]["district"]["poor"]["households"]
    assert (poor["baseline"], poor["escaped_to_near_poor"], poor["new"], poor["now"]) == (2, 1, 1, 2)
    assert [u["unit_code"] for u in agg["movement"]["units"]] == [MA_NOI]
    assert [(h["household_code"], h["statuses"]) for h in agg["trajectory"]] == [
        ("22828-0001", {"2023-6T": "poor"}), ("22828-0002", {"2023-6T": "near_poor"}),
        ("22828-0003", {"2023-6T": "poor"})]
    assert agg["year"]["periods"] == ["2023-6T"]
    assert agg["year"]["baseline"] == {"poor_households": 2, "poor_persons": 9, "near_poor_households": 0,
                                       "near_poor_persons": 0}
    assert agg["year"]["by_period"]["2023-6T"]["has_data"] is True


def test_aggregate_timeliness_decides_on_time_except_for_missing_units(config):
    """With the timeliness verdicts, a version stamped on time but judged late is not on time, a late version
    corrected within the grace days is, and a missing unit keeps None; each gets its verdict's code."""
    inputs = [_valid(config, MA_NOI), _valid(config, LAM_SON, version=_version(LAM_SON, 2, on_time=False)),
              _without(config, TAN_SON, UnitStatus.MISSING)]
    timeliness = {"units": [{"unit_code": MA_NOI, "status": "late"},
                            {"unit_code": LAM_SON, "status": "on_time_corrected"},
                            {"unit_code": TAN_SON, "status": "missing"}]}
    agg = aggregate(inputs, config=config, period=config.period("2023-6T"), timeliness=timeliness)
    assert [(s["unit_code"], s["on_time"], s["timeliness"]) for s in agg["submissions"]] == [
        (MA_NOI, False, "late"), (LAM_SON, True, "on_time_corrected"), (TAN_SON, None, "missing")]
    assert agg["timeliness"] is timeliness
    without = aggregate(inputs, config=config, period=config.period("2023-6T"))
    assert [s["on_time"] for s in without["submissions"]] == [True, False, None]
    assert all("timeliness" not in s for s in without["submissions"])


def test_aggregate_of_no_unit_is_zero_and_not_assessable(config):
    """A period with no configured unit: every figure 0, nothing listed, the targets not assessable."""
    agg = aggregate([], config=config, period=config.period("2023-6T"))
    assert agg["units"] == [] and agg["submissions"] == [] and agg["narratives"] == []
    assert set(agg["district"].values()) == {0} and set(agg["ncc"].values()) == {0}
    assert set(agg["cumulative"].values()) == {0} and agg["funds"]["total_vnd"] == 0
    assert agg["deprivations"]["base"] == 0
    assert [s["households"] for s in agg["supports"]] == [0] * 7
    assert (agg["assessable"], [t["met"] for t in agg["targets"]]) == (False, [None, None, None])
    assert agg["annex"] == [] and agg["ncc_households"] == [] and agg["trajectory"] == []
    assert agg["movement"]["units"] == [] and agg["movement"]["district"]["poor"]["households"]["now"] == 0
    assert agg["year"]["by_period"]["2023-6T"]["has_data"] is False


def test_aggregate_of_a_valid_unit_without_ncc_households(config):
    """The only unit is valid but lists no NCC household: every NCC figure is 0 and, judged, all targets met."""
    agg = aggregate([_valid(config, MA_NOI)], config=config, period=config.period("2023-6T"))
    assert set(agg["ncc"].values()) == {0} and agg["deprivations"]["base"] == 0
    assert [(s["households"], s["amount_vnd"]) for s in agg["supports"]][:2] == [(0, 0), (0, None)]
    assert agg["assessable"] is True
    assert [(t["value"], t["met"]) for t in agg["targets"]] == [(0, True), (0, True), (0, True)]
    assert agg["ncc_by_unit"][0]["poor"]["end"] == 0 and agg["ncc_by_unit"][0]["near_poor"]["start"] == 0
    assert agg["annex"] == [] and agg["ncc_households"] == [] and agg["trajectory"] == []


def test_aggregate_follows_households_through_the_earlier_periods(config):
    """A household poor at 6T escapes to near-poor by decision 45/QĐ-UBND of 14/07/2023: the 9T aggregate's
    trajectory shows both periods and the decision, and the year compares 6T (0 escaped) with 9T (1 escaped)."""
    six, nine = config.period("2023-6T"), config.period("2023-9T")
    at_six = _roster(_hh("22828-0001", "poor", "poor", "unchanged", 5, ("d01", "d04", "d07")))
    at_nine = _roster(_hh("22828-0001", "poor", "near_poor", "escaped_poverty", 5, ("d01",),
                          decision_number="45/QĐ-UBND", decision_date=dt.date(2023, 7, 14),
                          support_housing_vnd=40_000_000))
    earlier = [(six, [_valid(config, MA_NOI, at_six)])]
    agg = aggregate([_valid(config, MA_NOI, at_nine, period="2023-9T")], config=config, period=nine, earlier=earlier)
    [hh] = agg["trajectory"]
    assert (hh["household_code"], hh["baseline"]) == ("22828-0001", "poor")
    assert hh["statuses"] == {"2023-6T": "poor", "2023-9T": "near_poor"}
    assert hh["deprived"] == {"2023-6T": 3, "2023-9T": 1}
    assert hh["decisions"] == [{"period": "2023-9T", "kind": "escaped_poverty", "from": "poor", "to": "near_poor",
                                "number": "45/QĐ-UBND", "date": "2023-07-14"}]
    assert hh["supports"] == ["Hỗ trợ nhà ở"]
    year = agg["year"]
    assert year["periods"] == ["2023-6T", "2023-9T"]
    assert [year["by_period"][p]["escaped_poverty"] for p in year["periods"]] == [0, 1]
    assert [year["by_period"][p]["ncc"]["poor_households_current"] for p in year["periods"]] == [1, 0]
    assert year["baseline"]["poor_households"] == 1


def test_a_successor_is_shown_beside_its_predecessors_sum(config):
    """2025: xã Ma Nới (22828) and xã Hòa Sơn (22825) report the 6-month period; from 01/07/2025 xã Anh Dũng
    (22828 again) took both over and reports its own 01/01 figures. The bridge puts them beside the sum of its
    predecessors' 01/01 figures, flags a difference, and gives no sum while a predecessor lacks a valid report or
    is not in the setup; units that did not change have no bridge row."""
    from pipeline.aggregate.tables import bridge

    ma_noi = dataclasses.replace(config.unit("22828"), valid_to=dt.date(2025, 6, 30))
    anh_dung = Unit(code="22828", name="Anh Dũng", kind="xã", area="rural", valid_from=dt.date(2025, 7, 1))
    setup = dataclasses.replace(config, units=tuple(ma_noi if u.code == "22828" else u for u in config.units)
                                + (anh_dung,))
    six = setup.period("2025-6T")

    def valid(unit: Unit, households: int, poor: int, period: str) -> UnitInput:
        item = _valid(setup, "22825" if unit.name == "Hòa Sơn" else "22810", period=period,
                      summary=_summary(households_total=(households, households), poor_households=(poor, poor)))
        return UnitInput(dataclasses.replace(item.state, unit=unit), item.outcome, item.submission)

    hoa_son, lam_son = setup.unit("22825"), setup.unit("22813", dt.date(2025, 4, 30))
    earlier = [(six, [valid(ma_noi, 1100, 300, "2025-6T"), valid(hoa_son, 1500, 120, "2025-6T"),
                      valid(lam_son, 4000, 200, "2025-6T")])]
    [row] = bridge([valid(anh_dung, 2600, 420, "2025-9T")], earlier, setup)
    assert (row["unit_name"], row["period"], row["predecessors"], row["complete"]) == (
        "xã Anh Dũng", "2025-6T", ["xã Hòa Sơn", "xã Ma Nới"], True)
    assert (row["own"]["households_total"], row["sum"]["households_total"], row["sum"]["poor_households"],
            row["differs"]) == (2600, 2600, 420, False)
    [row] = bridge([valid(anh_dung, 2650, 420, "2025-9T")], earlier, setup)
    assert row["differs"] is True
    missing = [(six, [valid(ma_noi, 1100, 300, "2025-6T"), _without(setup, "22825", UnitStatus.MISSING)])]
    [row] = bridge([valid(anh_dung, 2600, 420, "2025-9T")], missing, setup)
    assert (row["complete"], row["sum"], row["differs"]) == (False, None, False)
    assert bridge([valid(lam_son, 4000, 200, "2025-9T")], earlier, setup) == []  # the same unit: no bridge
    # xã Mỹ Sơn (22822) took over Mỹ Sơn and Phước Trung (22807, another district, not in this setup): no sum
    my_son = Unit(code="22822", name="Mỹ Sơn", kind="xã", area="rural", valid_from=dt.date(2025, 7, 1))
    wider = dataclasses.replace(setup, units=setup.units + (my_son,))
    old_my_son = wider.unit("22822", dt.date(2025, 4, 30))
    [row] = bridge([valid(my_son, 3000, 100, "2025-9T")], [(six, [valid(old_my_son, 2500, 90, "2025-6T")])], wider)
    assert (row["predecessors"], row["complete"], row["sum"], row["own"]["households_total"]) == (
        ["xã Mỹ Sơn"], False, None, 3000)
    assert row["outside"] is True
