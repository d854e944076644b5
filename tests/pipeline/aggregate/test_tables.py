"""Aggregation of the plan samples reproduces the plan's baseline figures."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def agg(plan_root):
    return json.loads((plan_root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))


def test_district_totals_are_the_plans(agg):
    """1.551 poor and 1.381 near-poor households, at 1 January and at the cut-off, in 24.254–24.291 households."""
    d = agg["district"]
    for when in ("baseline", "current"):
        assert d[f"poor_households_{when}"] == 1551
        assert d[f"near_poor_households_{when}"] == 1381
        assert 24254 <= d[f"households_total_{when}"] <= 24291
        assert d[f"ncc_poor_households_{when}"] == 2
        assert d[f"ncc_poor_persons_{when}"] == 11


def test_ncc_poor_households_are_in_ma_noi_raglai(agg):
    """Both poor NCC households are Raglai households of xã Ma Nới (the annex list)."""
    annex = agg["annex"]
    assert [(a["unit_name"], a["ethnicity"]) for a in annex] == [("xã Ma Nới", "Raglai")] * 2
    assert sum(a["members"] for a in annex) == 11
    ma_noi = next(u for u in agg["units"] if u["unit_code"] == "22828")
    assert ma_noi["ncc_poor_households_current"] == 2


def test_deprivation_dimensions(agg):
    """Deprived in employment, education, housing, water & sanitation, information — not health."""
    dims = {d["code"]: d["households"] for d in agg["deprivations"]["dimensions"]}
    assert dims == {"employment": 2, "health": 0, "education": 2, "housing": 2, "water_sanitation": 2,
                    "information": 2}
    assert agg["deprivations"]["base"] == 2


def test_targets_progress(agg):
    """At the 6-month cut-off the 2 households are still poor; nobody fell back; access not yet reached."""
    t = {x["code"]: x for x in agg["targets"]}
    assert (t["no_ncc_poor"]["value"], t["no_ncc_poor"]["met"]) == (2, False)
    assert (t["no_fallback"]["value"], t["no_fallback"]["met"]) == (0, True)
    assert t["access"]["met"] is False
    assert t["access"]["dimensions"] == ["Giáo dục", "Nhà ở", "Nước sinh hoạt và vệ sinh", "Thông tin"]


def test_funds_keep_loans_apart(agg):
    """Sources (1), (3), (4), (5) add up to the total; source (2) loans are not in it."""
    f = agg["funds"]
    assert [s["number"] for s in f["sources"]] == [1, 3, 4, 5]
    assert f["total_vnd"] == sum(s["amount_vnd"] for s in f["sources"])
    assert f["total_vnd"] == sum(agg["cumulative"][k] for k in (
        "fund_1_national_programmes_vnd", "fund_3_contributions_vnd", "fund_4_gratitude_poor_funds_vnd",
        "fund_5_sponsors_vnd"))
    assert f["loan_disbursed_vnd"] == agg["cumulative"]["loan_2_disbursed_vnd"] > 0


def test_all_units_received(agg):
    """Every configured unit's submission is received and valid, with its file and hash."""
    assert [s["status"] for s in agg["submissions"]] == ["valid"] * 8
    assert all(len(s["sha256"]) == 64 and s["file"].endswith(".xlsx") for s in agg["submissions"])
