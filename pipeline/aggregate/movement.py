"""The year's movement of NCC households: the identity, each household's trajectory, the periods compared.

The identity (``docs/movement.md``; Circular 07/2021/TT-BLĐTBXH, the review's movement table), for poor NCC
households, in households and in persons::

    on 1 January − escaped to near-poor − escaped above the near-poor line − other decreases
    + fell from near-poor + fell back (tái nghèo) + newly poor (phát sinh) + other increases = now

and likewise for near-poor NCC households. The terms come from each household's kind of change (the statuses
only tell which list an "other" change leaves or joins, and where an escape leads); "now" is counted
independently from the statuses at the cut-off. A unit whose roster does not balance is refused by
validation (the ``reconciliation`` suite, :func:`identity_rows`); aggregation computes the identity per unit
and for the district (:func:`movement`).

Grain: a roster frame is one row per NCC household of one unit (or of several, with ``unit_code``) for one
period (:class:`pipeline.read.reader.Submission`); persons are the sum of ``members_count``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from pipeline import fmt
from pipeline.config import Config, Period
from pipeline.schema import DEPRIVATION_KEYS

POOR, NEAR_POOR = "poor", "near_poor"
LISTS = (POOR, NEAR_POOR)
DECREASES = {
    POOR: ("escaped_to_near_poor", "escaped_above", "other_decrease"),
    NEAR_POOR: ("escaped", "fell_to_poor", "other_decrease"),
}
INCREASES = {
    POOR: ("from_near_poor", "fell_back", "new", "other_increase"),
    NEAR_POOR: ("from_poor", "fell_back", "new", "other_increase"),
}
TERMS = {name: DECREASES[name] + INCREASES[name] for name in LISTS}
"""The terms of each list's identity, in the order of the report's table (decreases, then increases)."""
MEASURES = ("households", "persons")


def _groups(config: Config) -> dict[str, set[str]]:
    """Change-kind codes of ``other_decrease`` and ``other_increase`` (``group`` in config/reference.yaml)."""
    out: dict[str, set[str]] = {"other_decrease": set(), "other_increase": set()}
    for kind in config.reference["change_kinds"]:
        if kind.get("group") in out:
            out[kind["group"]].add(kind["code"])
    return out


def term_masks(roster: pd.DataFrame, name: str, config: Config) -> dict[str, pd.Series]:
    """Which households count in each term of list ``name`` (``poor`` or ``near_poor``), and in ``baseline``
    and ``now``.

    The law's terms are kinds of change (``change_kinds`` codes); the statuses only split an escape from
    poverty (to near-poor or above) and place an "other" change in the list it leaves (status on 1 January)
    or joins (status now). ``baseline`` and ``now`` count the statuses at the two dates.

    Returns:
        term → boolean Series on ``roster``'s index.
    """
    kind, base, cur = roster["change_kind"], roster["status_baseline"], roster["status_current"]
    groups = _groups(config)
    other_dec = kind.isin(groups["other_decrease"]) & (base == name)
    other_inc = kind.isin(groups["other_increase"]) & (cur == name)
    if name == POOR:
        terms = {
            "escaped_to_near_poor": (kind == "escaped_poverty") & (cur == NEAR_POOR),
            "escaped_above": (kind == "escaped_poverty") & (cur != NEAR_POOR),
            "other_decrease": other_dec,
            "from_near_poor": kind == "near_poor_to_poor",
            "fell_back": kind == "fell_back_poor",
            "new": kind == "new_poor",
            "other_increase": other_inc,
        }
    else:
        terms = {
            "escaped": kind == "escaped_near_poverty",
            "fell_to_poor": kind == "near_poor_to_poor",
            "other_decrease": other_dec,
            "from_poor": (kind == "escaped_poverty") & (cur == NEAR_POOR),
            "fell_back": kind == "fell_back_near_poor",
            "new": kind == "new_near_poor",
            "other_increase": other_inc,
        }
    return {"baseline": base == name, **terms, "now": cur == name}


def identity(roster: pd.DataFrame, config: Config) -> dict[str, Any]:
    """The identity of each list over ``roster``, in households and persons.

    Returns:
        ``{"poor": {...}, "near_poor": {...}}``, each ``{"households": {...}, "persons": {...}, "balanced":
        bool}`` where each measure maps ``baseline``, every term of :data:`TERMS`, ``computed`` (1 January
        minus decreases plus increases) and ``now`` (counted from the statuses at the cut-off) to an int.
        Persons count ``members_count`` (a blank one as 0: validation refuses it beforehand).
    """
    persons = roster["members_count"].fillna(0).astype("int64") if len(roster) else pd.Series(dtype="int64")
    out: dict[str, Any] = {}
    for name in LISTS:
        masks = term_masks(roster, name, config) if len(roster) else {}
        block: dict[str, Any] = {}
        for measure in MEASURES:
            values = {k: (int(m.sum()) if measure == "households" else int(persons[m].sum()))
                      for k, m in masks.items()} if masks else {}
            values = {k: values.get(k, 0) for k in ("baseline", *TERMS[name], "now")}
            values["computed"] = (values["baseline"] - sum(values[t] for t in DECREASES[name])
                                  + sum(values[t] for t in INCREASES[name]))
            block[measure] = values
        block["balanced"] = all(block[m]["computed"] == block[m]["now"] for m in MEASURES)
        out[name] = block
    return out


def movement(rosters: Sequence[tuple[dict[str, str], pd.DataFrame]], config: Config) -> dict[str, Any]:
    """The identity per unit and for the district (the sum over the units given: those with a valid version).

    Args:
        rosters: ``(unit, roster)`` per unit, ``unit`` a dict with ``unit_code`` and ``unit_name``.

    Returns:
        ``{"district": identity, "units": [{"unit_code", "unit_name", **identity}]}`` (:func:`identity`).
    """
    units = [{**unit, **identity(roster, config)} for unit, roster in rosters]
    district: dict[str, Any] = {}
    for name in LISTS:
        block: dict[str, Any] = {}
        for measure in MEASURES:
            keys = ("baseline", *TERMS[name], "now", "computed")
            block[measure] = {k: sum(u[name][measure][k] for u in units) for k in keys}
        block["balanced"] = all(block[m]["computed"] == block[m]["now"] for m in MEASURES)
        district[name] = block
    return {"district": district, "units": units}


# --- Validation: one row per list and measure, beside the reconciliation rows ---------------------------------
LIST_LABELS = {POOR: "hộ nghèo có thành viên là người có công",
               NEAR_POOR: "hộ cận nghèo có thành viên là người có công"}
TERM_LABELS = {
    POOR: {"baseline": "tại 01/01", "escaped_to_near_poor": "thoát nghèo lên cận nghèo",
           "escaped_above": "thoát nghèo vượt chuẩn cận nghèo", "other_decrease": "giảm khác (chuyển đi, không còn, "
           "nhập hộ)", "from_near_poor": "từ cận nghèo xuống nghèo", "fell_back": "tái nghèo",
           "new": "phát sinh nghèo", "other_increase": "tăng khác (chuyển đến, tách hộ)"},
    NEAR_POOR: {"baseline": "tại 01/01", "escaped": "thoát cận nghèo", "fell_to_poor": "xuống nghèo",
                "other_decrease": "giảm khác (chuyển đi, không còn, nhập hộ)", "from_poor": "thoát nghèo lên cận "
                "nghèo", "fell_back": "tái cận nghèo", "new": "phát sinh cận nghèo",
                "other_increase": "tăng khác (chuyển đến, tách hộ)"},
}
"""Words of the validation finding (not of the report, whose wording is in the template)."""


def identity_rows(roster: pd.DataFrame, config: Config, unit_name: str, column_label: str) -> list[dict[str, Any]]:
    """Rows for the ``reconciliation`` suite's identity expectation: one per list (poor, near-poor) and measure.

    Each row: ``indicator`` ("movement_<list>_<measure>"), ``identity_value`` (1 January ∓ movements, Int64)
    and ``counted_value`` (counted from the statuses at the cut-off), both NA when they cannot be known — some
    status or kind is blank or not configured, or (persons) a member count is unreadable: those cells have
    their own errors — and ``detail``: the unit, the terms and both figures, in Vietnamese.

    Args:
        roster: the roster frame of one submission.
        unit_name: the unit as named in the finding ("xã Ma Nới").
        column_label: the header of the roster's status-at-cut-off column, as printed.
    """
    statuses = {s["code"] for s in config.reference["statuses"]}
    kinds = {k["code"] for k in config.reference["change_kinds"]}
    knowable = bool((roster["status_baseline"].isin(statuses) & roster["status_current"].isin(statuses)
                     & roster["change_kind"].isin(kinds)).all())
    persons_known = knowable and not roster["members_count"].isna().any()
    result = identity(roster, config)
    rows = []
    for name in LISTS:
        for measure in MEASURES:
            v = result[name][measure]
            known = persons_known if measure == "persons" else knowable
            unit = "hộ" if measure == "households" else "người"
            terms = "; ".join(
                f"{TERM_LABELS[name][t]}: {fmt.number(v[t])}" for t in ("baseline", *TERMS[name]) if t == "baseline"
                or v[t])
            rows.append({
                "indicator": f"movement_{name}_{measure}",
                "identity_value": v["computed"] if known else None,
                "counted_value": v["now"] if known else None,
                "detail": (f"{unit_name[:1].upper()}{unit_name[1:]}, {LIST_LABELS[name]} "
                           f"({'số hộ' if measure == 'households' else 'số nhân khẩu'}): {terms} → theo biến động "
                           f"còn {fmt.number(v['computed'])} {unit}; đếm theo cột '{column_label}' có "
                           f"{fmt.number(v['now'])} {unit}."),
            })
    return rows


# --- The year: earlier periods, each household's trajectory, the periods compared --------------------------
def year_periods(period: Period, config: Config) -> list[Period]:
    """The periods of ``period``'s year due before it, in order (for 2023-CN: 2023-6T, 2023-9T)."""
    out = [config.period(f"{period.year}-{kind}") for kind in config.period_kinds]
    return sorted((p for p in out if p.deadline < period.deadline), key=lambda p: p.deadline)


def trajectory(periods: Sequence[tuple[Period, pd.DataFrame]], config: Config,
               support_labels: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """Each NCC household's path through the year's periods, from the rosters of the units' valid versions.

    Args:
        periods: ``(period, roster)`` in order, each roster the concatenated rosters of the units with a valid
            version that period (columns of :data:`pipeline.schema.ROSTER_FIELDS` plus ``unit_code`` and
            ``unit_name``).
        support_labels: ``(roster column, label)`` of each support (amounts in đồng > 0 or flags count).

    Returns:
        One dict per household seen in any period, sorted by unit and household code: ``unit_code``,
        ``unit_name``, ``household_code``, ``head_name`` (personal data: the report's annex only), ``baseline``
        (status code on 1 January, from the latest period that lists it), ``statuses`` (period code → status
        code at that period's cut-off, None when the unit had no valid version or did not list it),
        ``deprived`` (period code → number of the 12 indicators deprived, or None), ``supports`` (labels of the
        supports received by the latest period listing it, cumulative from 1 January) and ``decisions`` (one per
        change of status between consecutive periods: ``period``, ``kind`` code, ``number``, ``date``
        ISO or None, ``from`` and ``to`` status codes).
    """
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for period, roster in periods:
        for _, r in roster.iterrows():
            key = (r["unit_code"], r["household_code"])
            hh = seen.setdefault(key, {"unit_code": r["unit_code"], "unit_name": r["unit_name"],
                                       "household_code": r["household_code"], "statuses": {}, "deprived": {},
                                       "rows": {}})
            hh["rows"][period.code] = r
            hh["head_name"] = r["head_name"]
            hh["baseline"] = r["status_baseline"]
            hh["statuses"][period.code] = r["status_current"]
            hh["deprived"][period.code] = int(sum(bool(r[k]) for k in DEPRIVATION_KEYS))
    out = []
    for key in sorted(seen):
        hh = seen[key]
        rows = hh.pop("rows")
        latest = rows[max(rows, key=lambda c: [p.code for p, _ in periods].index(c))]
        before = hh["baseline"]
        decisions = []
        for period, _ in periods:
            now = hh["statuses"].get(period.code)
            if now is None:
                continue
            if now != before:
                r = rows[period.code]
                date = r["decision_date"]
                decisions.append({"period": period.code, "kind": r["change_kind"], "from": before, "to": now,
                                  "number": None if _blank(r["decision_number"]) else str(r["decision_number"]),
                                  "date": None if _blank(date) else date.isoformat()})
            before = now
        for period, _ in periods:
            hh["statuses"].setdefault(period.code, None)
            hh["deprived"].setdefault(period.code, None)
        hh["supports"] = [label for col, label in support_labels if _received(latest[col])]
        hh["decisions"] = decisions
        out.append(hh)
    return out


def _blank(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip() == ""
    return value is None or (not isinstance(value, dt.date) and bool(pd.isna(value)))


def _received(value: Any) -> bool:
    """A support cell received: a flag set, or an amount in đồng above 0."""
    if _blank(value):
        return False
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    return bool(value > 0)


def year_figures(periods: Sequence[tuple[Period, dict[str, Any]]]) -> dict[str, Any]:
    """The district figures of each period of the year, for the table that compares them.

    Args:
        periods: ``(period, figures)`` in order; ``figures`` from :func:`pipeline.aggregate.tables.period_figures`.

    Returns:
        ``{"periods": [code, ...], "baseline": {...} of the latest period, "by_period": {code: figures}}``.
    """
    codes = [p.code for p, _ in periods]
    by_period = {p.code: f for p, f in periods}
    latest = by_period[codes[-1]] if codes else {}
    return {"periods": codes, "baseline": latest.get("baseline", {}), "by_period": by_period}


# --- Template context ------------------------------------------------------------------------------------
def _figures(block: dict[str, Any]) -> dict[str, Any]:
    return {m: {k: fmt.number(v) for k, v in block[m].items()} for m in MEASURES} | {"balanced": block["balanced"]}


def context(agg: dict[str, Any], *, config: Config, period: Period) -> dict[str, Any]:
    """The template's ``movement`` variable (templates/README.md): figures formatted, no sentence.

    Keys: ``annual`` (bool: the annual report, whose figures are estimates for the full year), ``poor`` and
    ``near_poor`` (the district identity: ``households`` and ``persons``, each term → "1.551"; ``balanced``),
    ``unbalanced_units`` (names of units whose identity does not balance; empty for validated data),
    ``columns`` (period codes compared, in order), ``compare`` (row key → one formatted figure per column,
    the first column being 1 January), ``targets`` (target code → one ``{"value", "met"}`` per period),
    ``trajectory`` (annex rows), ``has_trajectory`` (bool).
    """
    move = agg.get("movement") or movement([], config)  # aggregates written before the movement existed: zeros
    district = move["district"]
    year = agg.get("year") or {"periods": [], "by_period": {}, "baseline": {}}
    labels = {s["code"]: s["label"] for s in config.reference["statuses"]}
    kinds = {k["code"]: k["label"] for k in config.reference["change_kinds"]}
    codes = year["periods"]
    kinds_of_period = {config.period(c).kind: c for c in codes}
    columns = [kinds_of_period.get(k) for k in config.period_kinds]  # 6T, 9T, CN: None when not yet due

    def per_period(getter: Any) -> list[str]:
        out = []
        for code in columns:
            fig = year["by_period"].get(code) if code else None
            out.append(fmt.number(getter(fig)) if fig and fig.get("has_data") else "-")
        return out

    base = year.get("baseline") or {}
    compare = {}
    for key in ("poor_households", "poor_persons", "near_poor_households", "near_poor_persons"):
        compare[key] = [fmt.number(base[key]) if key in base else "-",
                        *per_period(lambda f, key=key: f["ncc"][f"{key}_current"])]
    for key in ("escaped_poverty", "fell_back_or_new", "funds_total_vnd"):
        compare[key] = ["", *per_period(lambda f, key=key: f[key])]
    targets: dict[str, list[dict[str, Any]]] = {}
    for code in columns:
        fig = year["by_period"].get(code) if code else None
        for t in (fig or {}).get("targets") or [{"code": c} for c in ("no_ncc_poor", "no_fallback", "access")]:
            cell = ({"value": fmt.number(t["value"]), "met": t["met"], "known": True}
                    if fig and fig.get("has_data") else {"value": "-", "met": None, "known": False})
            targets.setdefault(t["code"], []).append(cell)
    rows = []
    for i, hh in enumerate(agg.get("trajectory") or [], start=1):
        status_cells = [labels.get(hh["statuses"].get(c), "-") if c else "-" for c in columns]
        rows.append({
            "no": str(i),
            "unit_name": hh["unit_name"][:1].upper() + hh["unit_name"][1:],
            "household_code": hh["household_code"],
            "head_name": hh["head_name"],
            "baseline": labels.get(hh["baseline"], hh["baseline"]),
            "statuses": status_cells,
            "deprived": " / ".join(fmt.number(hh["deprived"].get(c)) if c else "-" for c in columns),
            "supports": "; ".join(hh["supports"]),
            "decisions": [{"kind": kinds.get(d["kind"], d["kind"]), "number": d["number"] or "",
                           "date": fmt.date_vn(dt.date.fromisoformat(d["date"])) if d["date"] else "",
                           "period": config.period(d["period"]).label} for d in hh["decisions"]],
        })
    return {
        "annual": period.kind == "CN",
        "poor": _figures(district[POOR]),
        "near_poor": _figures(district[NEAR_POOR]),
        "unbalanced_units": [u["unit_name"] for u in move["units"]
                             if not (u[POOR]["balanced"] and u[NEAR_POOR]["balanced"])],
        "columns": [c or "" for c in columns],
        "compare": compare,
        "targets": targets,
        "trajectory": rows,
        "has_trajectory": bool(rows),
    }
