"""Aggregate valid submissions into the report's indicators (the marts layer). One function per table.

Inputs are the canonical frames of :mod:`pipeline.read.reader` for the units whose submission is valid; units that
are missing or invalid appear in the unit table and the submission-status table, with no figures, and the
district totals are the sums over valid units (the report says which units they leave out).
Counts are households (hộ) or persons (người); amounts are đồng; rates are returned as exact numerators and
denominators so that rounding happens once, half-up, when formatting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline import schema
from pipeline.aggregate import movement
from pipeline.aggregate.offices import OfficeInput, offices_section
from pipeline.config import Config, Period, Unit
from pipeline.findings import ValidationOutcome
from pipeline.ledger.state import UnitState
from pipeline.ledger.store import Version
from pipeline.read.reader import Submission, roster_counts
from pipeline.status import ON_TIME_STATUSES, UnitStatus, VersionStatus

COUNT_KEYS = (
    "households_total",
    "poor_households",
    "poor_persons",
    "near_poor_households",
    "near_poor_persons",
    "ncc_poor_households",
    "ncc_poor_persons",
    "ncc_near_poor_households",
    "ncc_near_poor_persons",
)
CUMULATIVE_KEYS = tuple(i.key for i in schema.SUMMARY_INDICATORS if i.timing == "cumulative")
SUPPORT_FLAGS = (
    ("support_vocational_training", "Đào tạo nghề"),
    ("support_job_placement", "Giới thiệu việc làm"),
    ("support_livestock", "Hỗ trợ con giống, hướng dẫn chăn nuôi"),
    ("support_health_insurance", "Cấp thẻ bảo hiểm y tế"),
)
SUPPORT_AMOUNTS = (
    ("support_loan_vnd", "Vay vốn ưu đãi (NHCSXH)"),
    ("support_housing_vnd", "Hỗ trợ nhà ở"),
    ("sponsor_amount_vnd", "Nhận đỡ đầu"),
)


@dataclass
class UnitInput:
    """One configured unit's input to aggregation: its :class:`pipeline.ledger.state.UnitState` (status,
    versions used and shown), the validation ``outcome`` of the version shown (None when missing or locked)
    and, for valid units only, the ``submission`` read from that version's staged frames."""

    state: UnitState
    outcome: ValidationOutcome | None = None
    submission: Submission | None = None

    @property
    def unit(self) -> Unit:
        return self.state.unit

    @property
    def status(self) -> UnitStatus:
        return self.state.status

    @property
    def version(self) -> Version | None:
        """The version used (valid units), else the one that decided the status (None when missing)."""
        return self.state.shown

    @property
    def newer_failed(self) -> Version | None:
        """A version newer than the one used that failed validation or could not be validated."""
        return self.state.newer


def _summary_values(sub: Submission, column: str) -> dict[str, int]:
    s = sub.summary.set_index("indicator")[column]
    return {str(k): (int(v) if not pd.isna(v) else 0) for k, v in s.items()}


def unit_table(inputs: list[UnitInput]) -> pd.DataFrame:
    """One row per configured unit: status and summary counts at 1 January and at the cut-off.

    Columns: ``unit_code`` (str), ``unit_name`` (str, e.g. "xã Ma Nới"), ``status`` (str), then for each
    key of :data:`COUNT_KEYS` ``<key>_baseline`` and ``<key>_current`` (Int64; households or persons;
    NA for units without a valid submission).
    """
    rows = []
    for item in inputs:
        row: dict[str, Any] = {"unit_code": item.unit.code, "unit_name": item.unit.full_name, "status": item.status}
        if item.submission is not None:
            base = _summary_values(item.submission, "value_baseline")
            cur = _summary_values(item.submission, "value_current")
            for k in COUNT_KEYS:
                row[f"{k}_baseline"], row[f"{k}_current"] = base[k], cur[k]
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["unit_code", "unit_name", "status"] if not rows else None)
    for k in COUNT_KEYS:
        for suffix in ("baseline", "current"):
            col = f"{k}_{suffix}"
            frame[col] = (frame[col] if col in frame else pd.Series([pd.NA] * len(frame))).astype("Int64")
    return frame


BRIDGE_KEYS = ("households_total", "poor_households", "near_poor_households")
"""The 01/01 figures a successor's bridge compares (households)."""


def bridge(inputs: list[UnitInput], earlier: Sequence[tuple[Period, list[UnitInput]]],
           config: Config) -> list[dict[str, Any]]:
    """For each unit of this period that took over units reporting in the year's first period (the 2025
    merger: xã Anh Dũng took over xã Ma Nới and xã Hòa Sơn on 01/07/2025), its own 01/01 figures beside the sum
    of its predecessors' 01/01 figures as they reported them then. A successor knows its households and reports
    its own figures; a difference is shown to staff, never corrected.

    Predecessors are the configured units of that period whose successor in the official 2025 conversion
    is this unit (:func:`pipeline.units.configured_predecessors`); the sum is given only when every predecessor
    of the official list (in the predecessors' provinces) is configured and sent a valid report.

    Returns:
        ``[{"unit_code", "unit_name", "period" (the earlier period's code), "predecessors" ([names]),
        "complete" (bool), "outside" (bool: a predecessor is not in the setup, e.g. of another district), "own"
        ({key: int} or None), "sum" ({key: int} or None), "differs" (bool)}]`` for the
        keys of :data:`BRIDGE_KEYS` (households), in configuration order.
    """
    from pipeline.units import configured_predecessors

    if not earlier:
        return []
    first_period, first = earlier[0]
    sent = {id(e.unit): e for e in first}
    rows = []
    for item in inputs:
        units, official = configured_predecessors(config, item.unit, first_period.cutoff)
        before = [sent[id(u)] for u in units if id(u) in sent]
        if not before:
            continue
        complete = official and len(before) == len(units) and all(e.submission is not None for e in before)
        own = ({k: _summary_values(item.submission, "value_baseline")[k] for k in BRIDGE_KEYS}
               if item.submission is not None else None)
        total = ({k: sum(int(_summary_values(e.submission, "value_baseline")[k] or 0) for e in before
                         if e.submission is not None) for k in BRIDGE_KEYS} if complete else None)
        rows.append({
            "unit_code": item.unit.code, "unit_name": item.unit.full_name, "period": first_period.code,
            "predecessors": [e.unit.full_name for e in before], "complete": complete, "outside": not official,
            "own": None if own is None else {k: None if pd.isna(v) else int(v) for k, v in own.items()},
            "sum": total, "differs": bool(own is not None and total is not None
                                          and any(own[k] != total[k] for k in BRIDGE_KEYS)),
        })
    return rows


def district_totals(units: pd.DataFrame) -> dict[str, int]:
    """Sums of :func:`unit_table` over valid units: ``{<key>_baseline, <key>_current}`` → int."""
    valid = units[units["status"] == UnitStatus.VALID]
    return {
        f"{k}_{s}": int(valid[f"{k}_{s}"].sum()) for k in COUNT_KEYS for s in ("baseline", "current")
    }


def _rosters(inputs: list[UnitInput]) -> pd.DataFrame:
    frames = []
    for item in inputs:
        if item.submission is not None and not item.submission.roster.empty:
            f = item.submission.roster.copy()
            f["unit_code"] = item.unit.code
            f["unit_name"] = item.unit.full_name
            frames.append(f)
    if not frames:
        cols = [f.key for f in schema.ROSTER_FIELDS] + ["excel_row", "unit_code", "unit_name"]
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)


def ncc_status(roster: pd.DataFrame, config: Config) -> dict[str, int]:
    """NCC households by status and their movement between 1 January and the cut-off.

    Returns households and persons (sum of ``members_count``) poor and near-poor at both dates
    (``poor_households_baseline``, …, ``near_poor_persons_current``), and the number of households per
    change kind (``change_<code>`` for each code of ``change_kinds`` in ``config/reference.yaml`` other than
    "unchanged").
    """
    out: dict[str, int] = {}
    for when in ("baseline", "current"):
        for key, value in roster_counts(roster, f"status_{when}").items():
            out[f"{key.removeprefix('ncc_')}_{when}"] = value
    counts = roster["change_kind"].value_counts() if len(roster) else pd.Series(dtype="int64")
    for kind in config.reference["change_kinds"]:
        if kind["code"] != "unchanged":
            out[f"change_{kind['code']}"] = int(counts.get(kind["code"], 0))
    return out


def deprivations(roster: pd.DataFrame, config: Config) -> dict[str, Any]:
    """Deprivation counts among NCC households poor at the cut-off (Decree 07/2021/NĐ-CP, Art. 3).

    Returns ``{"base": n poor NCC households, "indicators": [{code, label, dimension, households}],
    "dimensions": [{code, label, households}]}``; a dimension is deprived when any of its indicators is.
    """
    poor = roster[roster["status_current"] == "poor"]
    labels = {i["code"]: i["label"] for i in config.reference["indicators"]}
    dim_of = {ind: d for d in config.reference["dimensions"] for ind in d["indicators"]}
    indicators = [
        {"code": k, "label": labels[k], "dimension": dim_of[k]["label"],
         "households": int(poor[k].astype(bool).sum()) if len(poor) else 0}
        for k in schema.DEPRIVATION_KEYS
    ]
    dimensions = []
    for d in config.reference["dimensions"]:
        hit = poor[d["indicators"]].astype(bool).any(axis=1).sum() if len(poor) else 0
        dimensions.append({"code": d["code"], "label": d["label"], "households": int(hit)})
    return {"base": int(len(poor)), "indicators": indicators, "dimensions": dimensions}


def supports(roster: pd.DataFrame) -> list[dict[str, Any]]:
    """Supports delivered to NCC households, cumulative from 1 January.

    One dict per support: ``code`` (the roster column, e.g. ``support_loan_vnd``), ``label``, ``households``
    (count of households that received it) and ``amount_vnd`` (đồng; None for supports recorded as a yes/no flag).
    """
    out = []
    for key, label in SUPPORT_AMOUNTS[:1]:
        got = roster[key].fillna(0) > 0 if len(roster) else pd.Series(dtype=bool)
        out.append({"code": key, "label": label, "households": int(got.sum()),
                    "amount_vnd": int(roster[key].fillna(0).sum())})
    for key, label in SUPPORT_FLAGS:
        out.append({"code": key, "label": label,
                    "households": int(roster[key].astype(bool).sum()) if len(roster) else 0,
                    "amount_vnd": None})
    for key, label in SUPPORT_AMOUNTS[1:]:
        got = roster[key].fillna(0) > 0 if len(roster) else pd.Series(dtype=bool)
        out.append({"code": key, "label": label, "households": int(got.sum()),
                    "amount_vnd": int(roster[key].fillna(0).sum())})
    return out


def _flag(value: Any) -> bool:
    """A roster flag cell as a bool (blank, None and NaN are False)."""
    return False if value is None or (not isinstance(value, str) and pd.isna(value)) else bool(value)


def capacity_supports(roster: pd.DataFrame) -> dict[str, Any]:
    """Supports split by the roster's own working-capacity column ("Có khả năng lao động"), so the report's
    section II.4 (households with working capacity: livelihoods) and II.5 (households without: sponsorship)
    count what their titles say (the plan, section IV.4).

    Returns ``{"able": {...}, "unable": {...}}``, each ``{"households": NCC households poor or near-poor at the
    cut-off with (without) working capacity, "supports": :func:`supports` over every roster row with (without)
    it, cumulative from 1 January}`` (households, đồng).
    """
    able = roster["working_capacity"].map(_flag).astype(bool) if len(roster) else pd.Series(dtype=bool)
    out: dict[str, Any] = {}
    for group, mask in (("able", able), ("unable", ~able)):
        rows = roster[mask] if len(roster) else roster
        listed = rows[rows["status_current"].isin(["poor", "near_poor"])] if len(rows) else rows
        out[group] = {"households": int(len(listed)), "supports": supports(rows)}
    return out


def movement_kinds(roster: pd.DataFrame, config: Config) -> dict[str, Any]:
    """NCC households' change from 1 January to the cut-off by every kind of change, for both lists: the
    report's Bảng 3, which balances (1 January + the changes = the cut-off; Circular 07/2021/TT-BLĐTBXH's
    movement table, one row per kind of ``change_kinds`` in ``config/reference.yaml``).

    Returns ``{"start": {"poor", "near_poor"}, "end": {...}, "rows": [{"code", "label", "poor", "near_poor"}]}``
    where start and end are households on each list at 1 January and at the cut-off, and a row's figure is the
    net change of that list by that kind (households: − leaving, + joining; None when the kind cannot touch the
    list, by its ``from``/``to``).
    """
    lists = ("poor", "near_poor")
    if not len(roster):
        roster = pd.DataFrame(columns=["status_baseline", "status_current", "change_kind"])
    start = {name: int((roster["status_baseline"] == name).sum()) for name in lists}
    end = {name: int((roster["status_current"] == name).sum()) for name in lists}
    rows = []
    for kind in config.reference["change_kinds"]:
        if kind["code"] == "unchanged":
            continue
        mine = roster[roster["change_kind"] == kind["code"]]
        row: dict[str, Any] = {"code": kind["code"], "label": kind["label"]}
        for name in lists:
            touches = name in kind.get("from", []) or name in (kind.get("to") or [])
            joined = int(((mine["status_current"] == name) & (mine["status_baseline"] != name)).sum())
            left = int(((mine["status_baseline"] == name) & (mine["status_current"] != name)).sum())
            row[name] = joined - left if touches or joined or left else None
        rows.append(row)
    return {"start": start, "end": end, "rows": rows}


def access_target(roster: pd.DataFrame, config: Config) -> dict[str, Any]:
    """Target 3 of the plan (100 % of poor NCC households reach basic social services) judged on the NCC
    households poor at 1 January or at the cut-off, wherever they are now (a household that left poverty still
    counts until it lacks none of the services); households no longer in the area are not counted. The services
    are the dimensions listed in ``targets.ncc_poor_access_dimensions`` of the configuration (Decree
    07/2021/NĐ-CP, Art. 3: a dimension is lacking when any of its indicators is).

    Returns ``{"base": households judged, "households": of them deprived in a listed dimension, "dimensions":
    [{"code", "label", "households", "units": [unit names]}] for each listed dimension with a deprived
    household, "listed": [labels of the listed dimensions]}``.
    """
    wanted = list(config.targets.get("ncc_poor_access_dimensions", []))
    dims = [d for d in config.reference["dimensions"] if d["code"] in wanted]
    if len(roster):
        judged = roster[((roster["status_baseline"] == "poor") | (roster["status_current"] == "poor"))
                        & (roster["status_current"] != "not_listed")]
    else:
        judged = roster
    out: dict[str, Any] = {"base": int(len(judged)), "households": 0, "dimensions": [],
                           "listed": [d["label"] for d in dims]}
    if not len(judged):
        return out
    any_hit = pd.Series(False, index=judged.index)
    for d in dims:
        hit = judged[d["indicators"]].map(_flag).any(axis=1)
        any_hit |= hit
        if hit.any():
            units = list(dict.fromkeys(judged.loc[hit, "unit_name"])) if "unit_name" in judged else []
            out["dimensions"].append({"code": d["code"], "label": d["label"], "households": int(hit.sum()),
                                      "units": units})
    out["households"] = int(any_hit.sum())
    return out


def cumulative_totals(inputs: list[UnitInput]) -> dict[str, int]:
    """Activities and funds cumulative from 1 January, summed over valid units (sessions, persons, đồng)."""
    out = dict.fromkeys(CUMULATIVE_KEYS, 0)
    for item in inputs:
        if item.submission is not None:
            cur = _summary_values(item.submission, "value_current")
            for k in CUMULATIVE_KEYS:
                out[k] += cur[k]
    return out


def funds(cumulative: dict[str, int], config: Config) -> dict[str, Any]:
    """Funds mobilised by the plan's sources (1), (3), (4), (5) and their total (đồng); loans of source (2)
    apart (households, đồng disbursed), since they are repayable (plan, section V)."""
    sources = [
        {"number": s["number"], "label": s["label"], "amount_vnd": cumulative[s["code"]]}
        for s in config.reference["fund_sources"]
    ]
    return {
        "sources": sources,
        "total_vnd": sum(s["amount_vnd"] for s in sources),
        "loan_households": cumulative["loan_2_households"],
        "loan_disbursed_vnd": cumulative["loan_2_disbursed_vnd"],
    }


def submission_status(inputs: list[UnitInput]) -> list[dict[str, Any]]:
    """The state of each configured unit's submission: received (valid) / invalid / error / missing.

    One dict per unit: ``unit_code``, ``unit_name``, ``required`` (bool, see :class:`pipeline.config.Unit`),
    ``status``, ``file`` (name as sent), ``sha256``, ``version`` (ledger version number), ``received_at``
    (its arrival, ISO 8601 with offset, UTC; stamped by the system or registered by staff), ``on_time`` (bool),
    ``errors`` and ``warnings`` (counts of findings of that version), and ``newer_failed`` (``{"version",
    "errors"}`` of a newer version not used: ``errors`` is its error count, or None when it could not be
    validated — validation crashed or is pending — or None when there is none).
    """
    out = []
    for item in inputs:
        o, v, newer = item.outcome, item.version, item.newer_failed
        out.append({
            "unit_code": item.unit.code,
            "unit_name": item.unit.full_name,
            "required": item.unit.required,
            "status": item.status,
            "file": o.file if o else None,
            "sha256": o.sha256 if o else None,
            "version": v.version if v is not None else None,
            "received_at": v.received_at.astimezone(dt.UTC).isoformat() if v is not None else None,
            "on_time": v.on_time if v is not None else None,
            "errors": o.errors if o else None,
            "warnings": o.warnings if o else None,
            "newer_failed": {"version": newer.version,
                             "errors": newer.errors if newer.status == VersionStatus.INVALID else None}
            if newer is not None else None,
        })
    return out


def coverage(inputs: list[UnitInput]) -> dict[str, Any]:
    """Which units the district totals cover, which they leave out and why, and which required units lack a
    valid version — decided once here from each unit's state, read by the report, the annexes, the charts and
    the versions' "what changed" (nobody recomputes it).

    Returns ``{"covered": [unit codes with a valid version], "left_out": [{"unit_code", "unit_name",
    "status"}] (every unit without a valid version except a unit the plan only asks to report that sent
    nothing, :func:`pipeline.status.left_out`), "lacking": [names of required units without a valid version]}``,
    in configuration order. The targets can be assessed only when ``lacking`` is empty and some unit is
    covered: a district-wide target ("no poor NCC household") cannot be judged met from part of the communes.
    """
    return {
        "covered": [i.unit.code for i in inputs if i.status == UnitStatus.VALID],
        "left_out": [{"unit_code": i.unit.code, "unit_name": i.unit.full_name, "status": str(i.status)}
                     for i in inputs if i.state.left_out],
        "lacking": [i.unit.full_name for i in inputs if i.state.lacking],
    }


def targets(status: dict[str, int], access: dict[str, Any], config: Config,
            assessable: bool = True) -> list[dict[str, Any]]:
    """Progress against the plan's three targets (section III).

    1. no poor NCC household by 31/12 (value: poor NCC households now);
    2. no NCC household falling back (tái nghèo) or newly poor (phát sinh) (value: such households);
    3. 100 % of poor NCC households reach health, education, housing, water & sanitation, information — the
       dimensions configured in ``targets.ncc_poor_access_dimensions`` — judged by :func:`access_target` on
       the households poor at 1 January or now, wherever they are now (value: how many of those dimensions
       some of them still lack; ``households``: how many households lack one).
    Each item: ``code``, ``value`` (households, over the valid units), ``met`` (bool, for 1 as of the
    cut-off; None when not ``assessable``: a required unit lacks a valid version, or no unit has one).
    """
    new_or_back = status["change_fell_back_poor"] + status["change_new_poor"]
    deprived = access["dimensions"]
    out = [
        {"code": "no_ncc_poor", "value": status["poor_households_current"],
         "met": status["poor_households_current"] <= config.targets.get("ncc_poor_households_by_year_end", 0)},
        {"code": "no_fallback", "value": new_or_back,
         "met": new_or_back <= config.targets.get("ncc_fallback_or_new_poor", 0)},
        {"code": "access", "value": len(deprived), "met": not deprived,
         "dimensions": [d["label"] for d in deprived], "households": access["households"],
         "base": access["base"]},
    ]
    if not assessable:
        for t in out:
            t["met"] = None
    return out


def ncc_poor_list(roster: pd.DataFrame) -> list[dict[str, Any]]:
    """Poor NCC households at 1 January or at the cut-off, for the report's annex (personal data allowed
    there, Decree 13/2023/NĐ-CP). One dict per household, sorted by unit and household code."""
    poor = roster[(roster["status_baseline"] == "poor") | (roster["status_current"] == "poor")]
    poor = poor.sort_values(["unit_code", "household_code"])
    return [
        {
            "unit_name": r["unit_name"],
            "household_code": r["household_code"],
            "head_name": r["head_name"],
            "village": r["village"],
            "ethnicity": r["ethnicity"],
            "members": int(r["members_count"]),
            "ncc_members": int(r["ncc_members_count"]),
            "status_baseline": r["status_baseline"],
            "status_current": r["status_current"],
            "deprived": [k for k in schema.DEPRIVATION_KEYS if bool(r[k])],
        }
        for _, r in poor.iterrows()
    ]


# Movement of NCC households per unit (Circular 07/2021/TT-BLĐTBXH's table of poor households' movement:
# 1 January − decreases + increases = now), the terms of each list in the order of the annex's table.
MOVEMENT_TERMS = movement.TERMS


def _movement(rows: pd.DataFrame, status: str, config: Config) -> dict[str, int]:
    """Households in each term of :data:`MOVEMENT_TERMS` for list ``status``, from the kinds of change
    (:func:`pipeline.aggregate.movement.term_masks`: an escape from poverty is split by where it leads; kinds with
    ``group: other_decrease`` / ``other_increase`` in ``config/reference.yaml`` count as other decreases of the
    list left / increases of the list joined)."""
    masks = movement.term_masks(rows, status, config)
    return {t: int(masks[t].sum()) for t in MOVEMENT_TERMS[status]}


def ncc_by_unit(inputs: list[UnitInput], roster: pd.DataFrame, config: Config) -> list[dict[str, Any]]:
    """Per configured unit, its NCC households' movement and deprivations, from the unit's roster.

    One dict per unit (configuration order): ``unit_code``, ``unit_name``, ``status`` (as
    :func:`unit_table`); for valid units ``poor`` and ``near_poor``, each ``{"start", "start_persons",
    "end", "end_persons", <terms>, "deprivations": {d01…d12: households}}`` where start is 1 January
    and end the cut-off (households; persons = sum of ``members_count``), the terms are those of
    :data:`MOVEMENT_TERMS` (households, from ``change_kind``, :func:`_movement`; start − decreases +
    increases = end holds when the roster is consistent) and the
    deprivations count the households of that status at the cut-off deprived in each indicator (Decree
    07/2021/NĐ-CP, Art. 3). Units without a valid submission have ``poor`` and ``near_poor`` None.
    """
    out = []
    for item in inputs:
        row: dict[str, Any] = {"unit_code": item.unit.code, "unit_name": item.unit.full_name,
                               "status": item.status, "poor": None, "near_poor": None}
        if item.submission is not None:
            mine = roster[roster["unit_code"] == item.unit.code] if len(roster) else roster
            for status in ("poor", "near_poor"):
                start = mine[mine["status_baseline"] == status]
                end = mine[mine["status_current"] == status]
                row[status] = {
                    "start": int(len(start)), "start_persons": int(start["members_count"].fillna(0).sum()),
                    "end": int(len(end)), "end_persons": int(end["members_count"].fillna(0).sum()),
                    **_movement(mine, status, config),
                    "deprivations": {k: int(end[k].astype(bool).sum()) for k in schema.DEPRIVATION_KEYS},
                }
        out.append(row)
    return out


NCC_SUPPORT_KEYS = ("support_loan_vnd", "support_housing_vnd", "sponsor_amount_vnd", "support_vocational_training",
                    "support_job_placement", "support_livestock", "support_health_insurance")


def _iso(value: Any) -> str:
    """A date cell as ISO text ("" when blank)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)[:10]


def ncc_households(roster: pd.DataFrame) -> list[dict[str, Any]]:
    """NCC households poor or near-poor at 1 January or at the cut-off, for the annex that lists households
    (personal data allowed there only, Decree 13/2023/NĐ-CP). Sorted by unit code and household code.

    One dict per household: ``unit_code``, ``unit_name``, ``household_code``, ``head_name``, ``village``,
    ``members`` (persons), ``ncc_categories`` (codes of the members' NCC categories, Ordinance 02/2020/UBTVQH14
    Art. 3: ``["g", "tn"]``), ``status_baseline``, ``status_current``, ``change_kind`` (codes of
    ``config/reference.yaml``), ``decision_number`` and ``decision_date`` (ISO, "" when blank: the commune's
    decision on the change), ``deprived`` (indicator keys d01…d12 deprived) and ``supports``
    ({key: đồng (int, 0 when none) for ``*_vnd`` keys, bool for the others}; keys of
    :data:`NCC_SUPPORT_KEYS`), cumulative from 1 January.
    """
    if not len(roster):
        return []
    wanted = roster["status_baseline"].isin(["poor", "near_poor"]) | roster["status_current"].isin(
        ["poor", "near_poor"])
    rows = roster[wanted].sort_values(["unit_code", "household_code"])

    def text(value: Any) -> str:
        return "" if value is None or pd.isna(value) else str(value)

    def support(key: str, value: Any) -> int | bool:
        if value is None or pd.isna(value):
            return 0 if key.endswith("_vnd") else False
        return int(value) if key.endswith("_vnd") else bool(value)

    return [
        {
            "unit_code": r["unit_code"],
            "unit_name": r["unit_name"],
            "household_code": r["household_code"],
            "head_name": text(r["head_name"]),
            "village": text(r["village"]),
            "members": int(r["members_count"]) if not pd.isna(r["members_count"]) else 0,
            "ncc_categories": [c for c in text(r["ncc_categories"]).split(";") if c],
            "status_baseline": r["status_baseline"],
            "status_current": r["status_current"],
            "change_kind": text(r["change_kind"]),
            "decision_number": text(r["decision_number"]),
            "decision_date": _iso(r["decision_date"]),
            "deprived": [k for k in schema.DEPRIVATION_KEYS if bool(r[k])],
            "supports": {k: support(k, r[k]) for k in NCC_SUPPORT_KEYS},
        }
        for _, r in rows.iterrows()
    ]


def period_figures(inputs: list[UnitInput], config: Config) -> dict[str, Any]:
    """The district figures of one period that the annual report compares across the year's periods.

    Returns ``has_data`` (bool: some unit has a valid version), ``left_out`` (codes of the units the figures
    leave out, :func:`coverage`), ``baseline`` (NCC ``poor_households``,
    ``poor_persons``, ``near_poor_households``, ``near_poor_persons`` on 1 January), ``ncc``
    (:func:`ncc_status`), ``escaped_poverty`` and ``fell_back_or_new`` (households, cumulative from 1 January),
    ``funds_total_vnd`` (đồng, sources (1), (3), (4), (5)) and ``targets`` (:func:`targets`), all over the
    units with a valid version.
    """
    roster = _rosters(inputs)
    status = ncc_status(roster, config)
    cover = coverage(inputs)
    has_data = bool(cover["covered"])
    return {
        "has_data": has_data,
        "left_out": [u["unit_code"] for u in cover["left_out"]],
        "baseline": {k: status[f"{k}_baseline"] for k in ("poor_households", "poor_persons", "near_poor_households",
                                                          "near_poor_persons")},
        "ncc": status,
        "escaped_poverty": status["change_escaped_poverty"],
        "fell_back_or_new": status["change_fell_back_poor"] + status["change_new_poor"],
        "funds_total_vnd": funds(cumulative_totals(inputs), config)["total_vnd"],
        "targets": targets(status, access_target(roster, config), config, not cover["lacking"] and has_data),
    }


def aggregate(inputs: list[UnitInput], *, config: Config, period: Period,
              earlier: Sequence[tuple[Period, list[UnitInput]]] = (),
              timeliness: dict[str, Any] | None = None,
              offices: Sequence[OfficeInput] = ()) -> dict[str, Any]:
    """All of the report's figures as plain JSON-ready values.

    Keys: ``period`` (code), ``units`` (records of :func:`unit_table`, NA as None), ``district``
    (:func:`district_totals`), ``ncc`` (:func:`ncc_status`), ``deprivations``, ``supports``, ``cumulative``,
    ``funds``, ``submissions``, ``coverage`` (:func:`coverage`: the units the totals cover and leave out),
    ``lacking`` (``coverage``'s, kept for the template), ``assessable`` (bool: every required
    unit has a valid version, and at least one unit does), ``targets``, ``annex``, ``narratives`` (per valid
    unit: name and its three texts), ``ncc_by_unit`` (:func:`ncc_by_unit`) and ``ncc_households``
    (:func:`ncc_households`), for the annexes, ``movement`` (the year's identity per unit and district,
    :func:`pipeline.aggregate.movement.movement`), ``trajectory`` (each NCC household through ``earlier`` and
    this period, :func:`pipeline.aggregate.movement.trajectory`) and ``year`` (:func:`period_figures` of each of
    those periods, :func:`pipeline.aggregate.movement.year_figures`: the one source of the report's year table
    and chart 2), ``timeliness`` (the argument: :func:`pipeline.ledger.timeliness.summary`, or None).
    ``inputs`` may be empty (a period with no configured unit): every figure is then 0 and the targets are not
    assessable.

    Args:
        earlier: the inputs of the year's periods due before ``period``, in order
            (:func:`pipeline.aggregate.movement.year_periods`); empty for the 6-month report.
        timeliness: with it, each submission's ``on_time`` is the unit's verdict under the timeliness rules (a
            correction within the grace days keeps it on time) and ``timeliness`` its status code.
        offices: the offices' inputs, for ``offices`` (:func:`pipeline.aggregate.offices.offices_section`); their
            figures are never added to the units'.
    """
    units = unit_table(inputs)
    roster = _rosters(inputs)
    status = ncc_status(roster, config)
    depr = deprivations(roster, config)
    access = access_target(roster, config)
    cumulative = cumulative_totals(inputs)
    records = units.astype(object).where(units.notna(), None).to_dict(orient="records")
    cover = coverage(inputs)
    assessable = not cover["lacking"] and bool(cover["covered"])
    submissions = submission_status(inputs)
    if timeliness is not None:
        verdicts = {u["unit_code"]: u for u in timeliness["units"]}
        for sub in submissions:
            t = verdicts.get(sub["unit_code"])
            if t is not None:
                sub["timeliness"] = t["status"]
                if sub["status"] != UnitStatus.MISSING:
                    sub["on_time"] = t["status"] in ON_TIME_STATUSES
    return {
        "period": period.code,
        "units": records,
        "district": district_totals(units),
        "ncc": status,
        "deprivations": depr,
        "supports": supports(roster),
        "cumulative": cumulative,
        "funds": funds(cumulative, config),
        "submissions": submissions,
        "lacking": cover["lacking"],
        "coverage": cover,
        "assessable": assessable,
        "targets": targets(status, access, config, assessable),
        "access": access,
        "capacity": capacity_supports(roster),
        "movement_kinds": movement_kinds(roster, config),
        "annex": ncc_poor_list(roster),
        "narratives": [
            {"unit_name": i.unit.full_name, **i.submission.narrative}
            for i in inputs if i.submission is not None
        ],
        "ncc_by_unit": ncc_by_unit(inputs, roster, config),
        "ncc_households": ncc_households(roster),
        "timeliness": timeliness,
        "movement": movement.movement(
            [({"unit_code": i.unit.code, "unit_name": i.unit.full_name}, i.submission.roster)
             for i in inputs if i.submission is not None], config),
        "trajectory": movement.trajectory([(p, _rosters(i)) for p, i in [*earlier, (period, inputs)]], config,
                                          SUPPORT_AMOUNTS[:1] + SUPPORT_FLAGS + SUPPORT_AMOUNTS[1:]),
        "year": movement.year_figures([(p, period_figures(i, config)) for p, i in [*earlier, (period, inputs)]]),
        "bridge": bridge(inputs, earlier, config),
        "offices": offices_section(offices, [(i.unit, i.submission) for i in inputs if i.submission is not None],
                                   config),
    }
