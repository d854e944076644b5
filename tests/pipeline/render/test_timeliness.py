"""The timeliness section as template values (pipeline/render/timeliness.py): figures formatted, names capitalised,
times local, rates over the units expected."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.render.timeliness import report_context

EMPTY_TOTALS = {"expected": "0", "received": "0", "on_time": "0", "valid": "0", "received_rate": "-",
                "on_time_rate": "-", "valid_rate": "-"}


def _unit(code: str, name: str, status: str, rule: str, year: dict[str, int], *, locked: tuple[int, ...] = (),
          reopened: bool = False, required: bool = True) -> dict[str, Any]:
    return {"unit_code": code, "unit_name": name, "status": status, "rule": rule, "required": required,
            "locked_versions": list(locked), "reopened": reopened, "year": year}


@pytest.fixture
def data() -> dict[str, Any]:
    """The ``timeliness`` entry of 2023-9T's aggregates: three units, a lock, the deadline moved to Monday 07/8."""
    return {
        "correction_grace_days": 5,
        "deadline": "2023-08-06T17:00:00+00:00",
        "scheduled_deadline": "2023-08-04T17:00:00+00:00",
        "deadline_moved": True,
        "lock_at": "2023-08-16T17:00:00+00:00",
        "periods": ["2023-6T", "2023-9T"],
        "units": [
            _unit("22810", "thị trấn Tân Sơn", "on_time", "first_on_time",
                  {"expected": 2, "received": 2, "on_time": 2, "valid": 2}),
            _unit("22813", "xã Lâm Sơn", "late", "after_lock", {"expected": 2, "received": 2, "on_time": 1,
                                                               "valid": 1}, locked=(2,), reopened=True),
            _unit("MTTQ", "Ủy ban MTTQ huyện", "not_expected", "not_required",
                  {"expected": 0, "received": 0, "on_time": 0, "valid": 0}, required=False),
        ],
        "totals": {"expected": 3, "received": 2, "on_time": 1, "valid": 2, "late": 1, "missing": 1},
        "year_totals": {"expected": 8, "received": 7, "on_time": 7, "valid": 6},
    }


@pytest.mark.parametrize("missing", [None, {}])
def test_aggregates_without_timeliness_give_an_unavailable_section(config, missing):
    """No timeliness entry: nothing available, every text empty, counts "0", rates "-", no row."""
    assert report_context(missing, config=config) == {
        "available": False, "deadline": "", "scheduled_deadline": "", "deadline_moved": False, "grace_days": "0",
        "lock": False, "lock_at": "", "year": "", "periods": "", "period_labels": "", "period_count": "0",
        "rows": [], "totals": EMPTY_TOTALS, "year_totals": EMPTY_TOTALS}


def test_section_values_are_formatted_for_the_template(config, data):
    """Deadlines and lock in local time, the year and periods by code and by name, rates half-up with a comma."""
    ctx = report_context(data, config=config)
    assert {k: v for k, v in ctx.items() if k not in ("rows", "totals", "year_totals")} == {
        "available": True, "deadline": "07/08/2023 00:00", "scheduled_deadline": "05/08/2023 00:00",
        "deadline_moved": True, "grace_days": "5", "lock": True, "lock_at": "17/08/2023 00:00", "year": "2023",
        "periods": "2023-6T, 2023-9T", "period_labels": "6 tháng đầu năm, 9 tháng đầu năm", "period_count": "2"}
    assert ctx["totals"] == {"expected": "3", "received": "2", "on_time": "1", "valid": "2",
                             "received_rate": "66,67%", "on_time_rate": "33,33%", "valid_rate": "66,67%"}
    assert ctx["year_totals"] == {"expected": "8", "received": "7", "on_time": "7", "valid": "6",
                                  "received_rate": "87,50%", "on_time_rate": "87,50%", "valid_rate": "75%"}


def test_one_row_per_unit_numbered_with_its_year(config, data):
    """Rows are numbered from 1, names capitalised, locked when a version was locked out, and a unit expected in
    no period has the rate "-"."""
    rows = report_context(data, config=config)["rows"]
    assert rows[1] == {"no": "2", "name": "Xã Lâm Sơn", "status": "late", "rule": "after_lock", "required": True,
                       "locked": True, "reopened": True, "grace_days": "5", "expected": "2", "received": "2",
                       "on_time": "1", "valid": "1", "on_time_rate": "50%"}
    assert [(r["no"], r["name"], r["locked"], r["on_time_rate"]) for r in rows] == [
        ("1", "Thị trấn Tân Sơn", False, "100%"), ("2", "Xã Lâm Sơn", True, "50%"),
        ("3", "Ủy ban MTTQ huyện", False, "-")]
    assert rows[2]["required"] is False


def test_no_lock_and_the_years_label_of_the_annual_period(config, data):
    """Without a lock date ``lock`` is False and ``lock_at`` ""; the annual period is named "năm"."""
    data.update(lock_at=None, periods=["2023-6T", "2023-9T", "2023-CN"])
    ctx = report_context(data, config=config)
    assert (ctx["lock"], ctx["lock_at"], ctx["period_labels"], ctx["period_count"]) == (
        False, "", "6 tháng đầu năm, 9 tháng đầu năm, năm", "3")
