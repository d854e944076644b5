"""The year's movement of NCC households: the identity per unit and district, its validation, each household's
trajectory and the annual report's context, on small frames (the 2023 samples of the three periods go through
the whole pipeline in tests/e2e/test_backfill.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd


def _roster(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """A roster frame of (status on 1 January, status now, change kind, members) rows."""
    return pd.DataFrame({
        "household_code": [f"22828-{i:04d}" for i in range(1, len(rows) + 1)],
        "status_baseline": [r[0] for r in rows], "status_current": [r[1] for r in rows],
        "change_kind": [r[2] for r in rows], "members_count": pd.array([r[3] for r in rows], dtype="Int64"),
    })


def test_identity_terms_from_kinds_of_change(config):
    """Each kind of change counts in its own term, persons by member count, and the identity balances:
    2 poor − 1 escaped to near-poor − 1 moved away + 1 newly poor + 1 moved in = 2 now (5 − 4 − 3 + 2 + 6 = 6
    persons); near-poor 1 + 1 risen from poor − 0 = 2."""
    from pipeline.aggregate.movement import identity

    roster = _roster([("poor", "near_poor", "escaped_poverty", 4), ("poor", "not_listed", "moved_away", 3),
                      ("none", "poor", "new_poor", 2), ("not_listed", "poor", "moved_in", 6),
                      ("near_poor", "near_poor", "unchanged", 5)])
    result = identity(roster, config)
    poor = result["poor"]
    assert poor["households"] == {"baseline": 2, "escaped_to_near_poor": 1, "escaped_above": 0, "other_decrease": 1,
                                  "from_near_poor": 0, "fell_back": 0, "new": 1, "other_increase": 1, "now": 2,
                                  "computed": 2}
    assert (poor["persons"]["baseline"], poor["persons"]["computed"], poor["persons"]["now"]) == (7, 8, 8)
    assert poor["balanced"] is True
    near = result["near_poor"]["households"]
    assert (near["baseline"], near["from_poor"], near["now"], near["computed"]) == (1, 1, 2, 2)


def test_identity_does_not_balance_when_a_kind_contradicts_the_statuses(config):
    """A household recorded as moved away yet still poor now: the movements leave 1 poor household, the
    statuses count 2 — unbalanced in households (2 − 1 ≠ 2) and persons (9 − 6 ≠ 9)."""
    from pipeline.aggregate.movement import identity

    roster = _roster([("poor", "poor", "moved_away", 6), ("poor", "poor", "unchanged", 3)])
    poor = identity(roster, config)["poor"]
    assert (poor["households"]["computed"], poor["households"]["now"]) == (1, 2)
    assert (poor["persons"]["computed"], poor["persons"]["now"]) == (3, 9)
    assert poor["balanced"] is False


def test_identity_rows_unknown_when_a_status_is_not_configured(config):
    """A status that is no configured one (its own error) leaves the identity unknown (NA), so that the
    roster's own error is the only one; the detail names the unit and both figures."""
    from pipeline.aggregate.movement import identity_rows

    rows = identity_rows(_roster([("poor", "xyz", "escaped_poverty", 4)]), config, "xã Ma Nới", "Phân loại")
    assert [r["identity_value"] for r in rows] == [None] * 4
    rows = identity_rows(_roster([("poor", "poor", "moved_away", 4)]), config, "xã Ma Nới", "Phân loại")
    assert [(r["indicator"], r["identity_value"], r["counted_value"]) for r in rows[:2]] == [
        ("movement_poor_households", 0, 1), ("movement_poor_persons", 0, 4)]
    assert rows[0]["detail"].startswith("Xã Ma Nới, hộ nghèo có thành viên là người có công (số hộ): tại 01/01: 1;")
    assert rows[0]["detail"].endswith("theo biến động còn 0 hộ; đếm theo cột 'Phân loại' có 1 hộ.")


def test_district_movement_sums_the_units(config):
    """The district identity is the sum of the units' identities, households and persons."""
    from pipeline.aggregate.movement import movement

    a = _roster([("poor", "near_poor", "escaped_poverty", 6), ("poor", "poor", "unchanged", 5)])
    b = _roster([("near_poor", "not_listed", "moved_away", 4)])
    result = movement([({"unit_code": "22828", "unit_name": "xã Ma Nới"}, a),
                       ({"unit_code": "22813", "unit_name": "xã Lâm Sơn"}, b)], config)
    assert [u["unit_code"] for u in result["units"]] == ["22828", "22813"]
    near = result["district"]["near_poor"]["persons"]
    assert (near["baseline"], near["other_decrease"], near["from_poor"], near["now"]) == (4, 4, 6, 6)
    assert result["district"]["poor"]["households"]["now"] == 1 and result["district"]["poor"]["balanced"]


def test_trajectory_records_each_change_with_its_decision(config):
    """A household poor on 1 January, still poor at 6T, near-poor at 9T by decision 45/QĐ-UBND of 14/07/2023:
    one decision, at 9T; the latest period's supports are listed."""
    from pipeline.aggregate.movement import trajectory

    def frame(status: str, kind: str, number: str | None, date: dt.date | None, housing: int | None):
        return pd.DataFrame({
            "unit_code": ["22828"], "unit_name": ["xã Ma Nới"], "household_code": ["22828-0001"],
            "head_name": ["Pinăng Thị Sơn"], "status_baseline": ["poor"], "status_current": [status],
            "change_kind": [kind], "decision_number": [number], "decision_date": [date],
            "support_housing_vnd": pd.array([housing], dtype="Int64"), "support_livestock": [True],
            **{f"d{i:02d}": [i <= (6 if status == "poor" else 2)] for i in range(1, 13)},
        })

    periods = [(config.period("2023-6T"), frame("poor", "unchanged", None, None, None)),
               (config.period("2023-9T"), frame("near_poor", "escaped_poverty", "45/QĐ-UBND",
                                                dt.date(2023, 7, 14), 40_000_000))]
    [hh] = trajectory(periods, config, [("support_housing_vnd", "Hỗ trợ nhà ở"), ("support_livestock", "Con giống")])
    assert hh["statuses"] == {"2023-6T": "poor", "2023-9T": "near_poor"}
    assert hh["deprived"] == {"2023-6T": 6, "2023-9T": 2}
    assert hh["decisions"] == [{"period": "2023-9T", "kind": "escaped_poverty", "from": "poor", "to": "near_poor",
                                "number": "45/QĐ-UBND", "date": "2023-07-14"}]
    assert hh["supports"] == ["Hỗ trợ nhà ở", "Con giống"]


def test_year_periods_are_those_due_before():
    """The annual report's earlier periods are the 6- and 9-month ones of its year, in order; the 6-month
    report has none."""
    from pipeline.aggregate.movement import year_periods
    from pipeline.config import load_config

    config = load_config()
    assert [p.code for p in year_periods(config.period("2023-CN"), config)] == ["2023-6T", "2023-9T"]
    assert year_periods(config.period("2023-6T"), config) == []


def test_context_marks_the_annual_report_and_periods_without_data(config):
    """Only the annual report is marked as estimates; aggregates without the year's figures give "-" in every
    period's column and targets that are not known, and a zero, balanced identity."""
    from pipeline.aggregate.movement import context

    annual = context({}, config=config, period=config.period("2023-CN"))
    assert annual["annual"] is True and context({}, config=config, period=config.period("2023-9T"))["annual"] is False
    assert annual["compare"]["poor_households"] == ["-", "-", "-", "-"]
    assert annual["targets"]["no_ncc_poor"] == [{"value": "-", "met": None, "known": False}] * 3
    assert annual["poor"]["households"]["now"] == "0" and annual["poor"]["balanced"] is True
    assert annual["trajectory"] == [] and annual["has_trajectory"] is False
