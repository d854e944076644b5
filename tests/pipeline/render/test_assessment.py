"""The template variables whose labels must match their figures (pipeline/render/assessment.py), built from a few
aggregate entries written inline."""

from __future__ import annotations

from typing import Any

from pipeline.render.assessment import capacity_context, decisions_context, movement_rows, services_context


def _support(code: str, label: str, households: int, amount: int | None = None) -> dict[str, Any]:
    return {"code": code, "label": label, "households": households, "amount_vnd": amount}


SUPPORTS = [
    _support("support_loan_vnd", "Vay vốn ưu đãi (NHCSXH)", 1, 30_000_000),
    _support("support_vocational_training", "Đào tạo nghề", 0),
    _support("support_job_placement", "Giới thiệu việc làm", 0),
    _support("support_livestock", "Hỗ trợ con giống, hướng dẫn chăn nuôi", 0),
    _support("support_health_insurance", "Cấp thẻ bảo hiểm y tế", 2),
    _support("support_housing_vnd", "Hỗ trợ nhà ở", 1, 40_000_000),
    _support("sponsor_amount_vnd", "Nhận đỡ đầu", 0, 0),
]


def test_capacity_lists_only_what_was_received_and_keeps_abbreviations():
    """Households without working capacity: the livelihood supports they got, listed without zeros and with
    "(NHCSXH)" kept upper case; their other supports (not sponsorship) apart."""
    agg = {"capacity": {"able": {"households": 21, "supports": []},
                        "unable": {"households": 4, "supports": SUPPORTS}}}
    got = capacity_context(agg)
    unable = got["unable"]
    assert (unable["households"], unable["has"], unable["livelihood"]) == ("4", True, True)
    assert unable["livelihood_list"] == "vay vốn ưu đãi (NHCSXH) 1 hộ"
    assert unable["other"] == "cấp thẻ bảo hiểm y tế 2 hộ; hỗ trợ nhà ở 1 hộ"
    assert unable["support_loan_vnd"] == {"households": "1", "amount": "30.000.000", "any": True}
    assert unable["sponsor_amount_vnd"]["any"] is False
    assert got["able"]["households"] == "21" and got["able"]["livelihood"] is False


def test_movement_rows_are_signed_and_framed_by_the_two_dates():
    """Bảng 3: 01/01 first, then each kind with "−"/"+" (a true minus sign), "0", or "" when the kind cannot touch
    the list, then the cut-off."""
    agg = {"movement_kinds": {"start": {"poor": 2, "near_poor": 23}, "end": {"poor": 0, "near_poor": 24},
                              "rows": [{"code": "escaped_poverty", "label": "Thoát nghèo", "poor": -2,
                                        "near_poor": 1},
                                       {"code": "new_poor", "label": "Phát sinh nghèo", "poor": 0, "near_poor": None}]}}
    rows = movement_rows(agg)
    assert [(r["no"], r["code"], r["poor"], r["near_poor"]) for r in rows] == [
        ("1", "baseline", "2", "23"), ("2", "escaped_poverty", "\u22122", "+1"), ("3", "new_poor", "0", ""),
        ("4", "current", "0", "24")]


def test_services_name_each_lacking_dimension_with_its_supports():
    """Health lacking with cards delivered; information lacking and untracked by the form; housing lacking
    with no housing support given reads as such."""
    agg = {"access": {"base": 2, "households": 2, "listed": ["Y tế", "Nhà ở", "Thông tin"],
                      "dimensions": [{"code": "health", "label": "Y tế", "households": 1, "units": ["xã Ma Nới"]},
                                     {"code": "housing", "label": "Nhà ở", "households": 1,
                                      "units": ["xã Ma Nới", "xã Lâm Sơn"]},
                                     {"code": "information", "label": "Thông tin", "households": 2,
                                      "units": ["xã Ma Nới"]}]},
           "supports": [s if s["code"] != "support_housing_vnd" else {**s, "households": 0, "amount_vnd": 0}
                        for s in SUPPORTS]}
    got = services_context(agg)
    assert (got["base"], got["households"], got["has_base"]) == ("2", "2", True)
    assert got["scope"] == "y tế, nhà ở, thông tin"
    health, housing, information = got["remaining"]
    assert (health["supports"], health["has_support_column"]) == ("cấp thẻ bảo hiểm y tế 2 hộ", True)
    assert (housing["units"], housing["supports"], housing["has_support_column"]) == (
        "xã Ma Nới, xã Lâm Sơn", "", True)
    assert (information["supports"], information["has_support_column"]) == ("", False)
    assert services_context({})["has_base"] is False


def test_decisions_cite_number_date_and_commune_without_names(config):
    """Decisions by which NCC households left or entered poverty, per commune and kind: each decision once, its
    date in dd/mm/yyyy; a household without a number is counted apart; a near-poor change is not cited; no
    head's name anywhere."""
    def hh(unit_code, unit_name, kind, number="", date="", head="Pinăng Thị Sơn"):
        return {"unit_code": unit_code, "unit_name": unit_name, "change_kind": kind, "decision_number": number,
                "decision_date": date, "head_name": head}

    agg = {"ncc_households": [
        hh("22828", "xã Ma Nới", "escaped_poverty", "45/QĐ-UBND", "2023-07-14"),
        hh("22828", "xã Ma Nới", "escaped_poverty", "78/QĐ-UBND", "2023-10-16", head="Katơr Văn Mai"),
        hh("22828", "xã Ma Nới", "new_poor"),
        hh("22810", "thị trấn Tân Sơn", "escaped_near_poverty", "61/QĐ-UBND", "2023-09-25"),
        hh("22813", "xã Lâm Sơn", "fell_back_poor", "12/QĐ-UBND", "")]}
    rows = decisions_context(agg, config)
    assert rows == [
        {"unit": "Xã Lâm Sơn", "unit_in_sentence": "xã Lâm Sơn", "kind": "tái nghèo", "households": "1",
         "citations": "số 12/QĐ-UBND", "uncited": ""},
        {"unit": "Xã Ma Nới", "unit_in_sentence": "xã Ma Nới", "kind": "thoát nghèo", "households": "2",
         "citations": "số 45/QĐ-UBND ngày 14/07/2023, số 78/QĐ-UBND ngày 16/10/2023", "uncited": ""},
        {"unit": "Xã Ma Nới", "unit_in_sentence": "xã Ma Nới", "kind": "phát sinh nghèo", "households": "1",
         "citations": "", "uncited": "1"},
    ]
    assert "Pinăng" not in repr(rows) and "Katơr" not in repr(rows)
