"""What changed between two versions of a report (pipeline/render/changes.py): the units whose input changed, the
figures that differ, the units the totals leave out and the template's ``version`` variable."""

from __future__ import annotations

from typing import Any

from pipeline.render.changes import figure_changes, first_version, left_out_units, unit_changes, version_context

SHA_A, SHA_B, SHA_C = "a" * 64, "b" * 64, "c" * 64
COMPONENTS = {"template_sha256": "t" * 64, "config_sha256": "f" * 64, "code_sha256": "k" * 64, "zlib": "1.3"}


def _sub(code: str, name: str, status: str, version: int | None = None, sha: str | None = None,
         received_at: str | None = None, newer: int | None = None, **extra: Any) -> dict[str, Any]:
    out = {"unit_code": code, "unit_name": name, "status": status, "version": version, "sha256": sha,
           "received_at": received_at, **extra}
    if newer is not None:
        out["newer_failed"] = {"version": newer}
    return out


def _agg(district: dict[str, int], funds: int, units: list[dict[str, Any]],
         submissions: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"district": district, "funds": {"total_vnd": funds}, "units": units, "submissions": submissions or [],
            **extra}


def test_left_out_units_from_coverage_or_from_the_submissions():
    """The coverage entry is taken as written; aggregates without it derive it: every unit without a valid version
    except a unit not required that sent nothing (``required`` absent means required)."""
    listed = [{"unit_code": "22813", "unit_name": "xã Lâm Sơn", "status": "invalid"}]
    assert left_out_units({"coverage": {"left_out": listed}, "submissions": []}) == listed
    old = {"submissions": [
        _sub("22810", "thị trấn Tân Sơn", "valid", 1, SHA_A),
        _sub("22813", "xã Lâm Sơn", "invalid", 1, SHA_B),
        _sub("22816", "xã Lương Sơn", "missing"),
        {"unit_code": "MTTQ", "status": "missing", "required": False},
        _sub("22819", "xã Quảng Sơn", "error", 2, SHA_C, required=True),
    ]}
    assert left_out_units(old) == [
        {"unit_code": "22813", "unit_name": "xã Lâm Sơn", "status": "invalid"},
        {"unit_code": "22816", "unit_name": "xã Lương Sơn", "status": "missing"},
        {"unit_code": "22819", "unit_name": "xã Quảng Sơn", "status": "error"},
    ]


def test_unit_changes_lists_each_changed_unit_once_in_the_current_order(config):
    """A new version, a unit heard of for the first time and a newer failed version are listed (names capitalised,
    arrival in local time); a unit whose version, status, hash and newer version are unchanged is not."""
    previous = _agg({}, 0, [], [
        _sub("22828", "xã Ma Nới", "valid", 1, SHA_A),
        _sub("22810", "thị trấn Tân Sơn", "valid", 1, SHA_B, newer=2),
        _sub("22813", "xã Lâm Sơn", "valid", 1, SHA_C),
    ])
    current = _agg({}, 0, [], [
        _sub("22813", "xã Lâm Sơn", "valid", 1, SHA_C, newer=2),
        _sub("22810", "thị trấn Tân Sơn", "valid", 1, SHA_B, newer=2),
        _sub("22822", "xã Mỹ Sơn", "invalid", 1, "d" * 64, "2023-05-04T16:59:00+00:00"),
        _sub("22828", "xã Ma Nới", "valid", 2, "e" * 64, "2023-05-02T02:00:00+00:00"),
    ])
    assert unit_changes(previous, current, config=config) == [
        {"name": "Xã Lâm Sơn", "before_version": "1", "before_status": "valid", "now_version": "1",
         "now_status": "valid", "received_at": "", "newer": "2"},
        {"name": "Xã Mỹ Sơn", "before_version": "", "before_status": "missing", "now_version": "1",
         "now_status": "invalid", "received_at": "04/05/2023 23:59", "newer": ""},
        {"name": "Xã Ma Nới", "before_version": "1", "before_status": "valid", "now_version": "2",
         "now_status": "valid", "received_at": "02/05/2023 09:00", "newer": ""},
    ]


def test_a_status_change_with_the_same_newer_version_does_not_name_it_again(config):
    """When the status changes but the newer failed version is the one already named before, ``newer`` is ""."""
    previous = _agg({}, 0, [], [_sub("22828", "xã Ma Nới", "valid", 1, SHA_A, newer=3)])
    current = _agg({}, 0, [], [_sub("22828", "xã Ma Nới", "invalid", 3, SHA_C, newer=3)])
    [change] = unit_changes(previous, current, config=config)
    assert (change["before_status"], change["now_status"], change["now_version"], change["newer"]) == (
        "valid", "invalid", "3", "")


def test_figure_changes_district_first_then_units_formatted():
    """District-wide changes (funds in đồng included) come first, then each unit with a change in the current order;
    figures are formatted with dots and a unit without a previous record reads "-" before."""
    previous = _agg({"poor_households_current": 1551, "households_total_current": 24272}, 1_500_000, [
        {"unit_code": "22828", "unit_name": "xã Ma Nới", "poor_households_current": 120, "poor_persons_current": 480},
        {"unit_code": "22810", "unit_name": "thị trấn Tân Sơn", "poor_households_current": 40},
    ])
    current = _agg({"poor_households_current": 1549, "households_total_current": 24272}, 2_500_000, [
        {"unit_code": "22810", "unit_name": "thị trấn Tân Sơn", "poor_households_current": 40},
        {"unit_code": "22822", "unit_name": "xã Mỹ Sơn", "poor_households_current": 1012},
        {"unit_code": "22828", "unit_name": "xã Ma Nới", "poor_households_current": 118, "poor_persons_current": None},
    ])
    assert figure_changes(previous, current) == [
        {"district": True, "name": "", "figures": [
            {"code": "poor_households", "before": "1.551", "now": "1.549"},
            {"code": "funds_total", "before": "1.500.000", "now": "2.500.000"}]},
        {"district": False, "name": "Xã Mỹ Sơn", "figures": [
            {"code": "poor_households", "before": "-", "now": "1.012"}]},
        {"district": False, "name": "Xã Ma Nới", "figures": [
            {"code": "poor_households", "before": "120", "now": "118"},
            {"code": "poor_persons", "before": "480", "now": "-"}]},
    ]


def test_no_figure_changed_gives_no_group():
    """Equal aggregates give an empty list."""
    agg = _agg({"poor_households_current": 5}, 10, [{"unit_code": "22828", "unit_name": "xã Ma Nới",
                                                       "poor_households_current": 5}])
    assert figure_changes(agg, agg) == []


def test_version_one_has_no_section_of_changes(config):
    """Version 1 (no previous manifest or aggregates) is the fixed first_version() value."""
    assert first_version() == {"number": "1", "first": True, "previous": "", "unit_changes": [],
                               "figure_changes": [], "partial": False, "data_changed": False,
                               "template_changed": False, "config_changed": False, "code_changed": False,
                               "other_changes": []}
    agg = _agg({}, 0, [])
    assert version_context(1, agg, COMPONENTS, config=config) == first_version()
    assert version_context(3, agg, COMPONENTS, config=config, previous={"number": 2}) == first_version()


def test_version_context_says_what_changed_since_the_previous_version(config):
    """Version 3 after 2: its numbers as text, the unit and figure changes, ``partial`` when either version leaves
    a unit out, and which of template, configuration and code (its hash or zlib) differ from the previous one."""
    before = _agg({"poor_households_current": 10}, 0, [], [_sub("22828", "xã Ma Nới", "valid", 1, SHA_A)],
                  coverage={"left_out": []})
    after = _agg({"poor_households_current": 10}, 0, [], [_sub("22828", "xã Ma Nới", "valid", 1, SHA_A)],
                 coverage={"left_out": [{"unit_code": "22813", "unit_name": "xã Lâm Sơn", "status": "missing"}]})
    previous = {"number": 2, "components": {**COMPONENTS, "zlib": "1.2.13"}}
    out = version_context(3, after, COMPONENTS, config=config, previous=previous, previous_agg=before)
    assert out == {"number": "3", "first": False, "previous": "2", "unit_changes": [], "figure_changes": [],
                   "partial": True, "data_changed": False, "template_changed": False, "config_changed": False,
                   "code_changed": True, "other_changes": []}


def test_a_previous_manifest_without_components_counts_everything_as_changed(config):
    """A manifest from before components were recorded: template, configuration and code all read as changed; a
    changed unit makes ``data_changed`` true."""
    before = _agg({}, 0, [], [_sub("22828", "xã Ma Nới", "valid", 1, SHA_A)], coverage={"left_out": []})
    after = _agg({}, 0, [], [_sub("22828", "xã Ma Nới", "valid", 2, SHA_B)], coverage={"left_out": []})
    out = version_context(2, after, COMPONENTS, config=config, previous={"number": 1}, previous_agg=before)
    assert (out["partial"], out["data_changed"], out["template_changed"], out["config_changed"],
            out["code_changed"]) == (False, True, True, True, True)
    assert [c["now_version"] for c in out["unit_changes"]] == ["2"]


def test_other_changes_name_only_what_differs():
    """Besides the units' figures, a version names the sections of the aggregates that differ — the receipts'
    timeliness, earlier periods of the year, the year's movement (named once for movement and trajectory),
    any other section as "các số liệu tổng hợp khác" — and nothing when they are equal."""
    from pipeline.render.changes import other_changes

    before = {"units": [1], "timeliness": {"on_time": 8}, "year": {"periods": ["2023-6T"]},
              "movement": {"poor": 2}, "trajectory": [1], "funds": {"total": 5}}
    assert other_changes(before, dict(before)) == []
    assert other_changes(before, {**before, "units": [2]}) == []  # the units' changes are told elsewhere
    assert other_changes(before, {**before, "timeliness": {"on_time": 7}}) == [
        "tình hình nhận báo cáo đúng hạn, trễ hạn"]
    assert other_changes(before, {**before, "year": {"periods": []}, "movement": {"poor": 1}, "trajectory": [],
                                  "funds": {"total": 6}}) == [
        "số liệu các kỳ trước trong năm", "biến động hộ trong năm", "các số liệu tổng hợp khác"]
