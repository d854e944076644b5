"""What changed between two versions of a period's report: the template's ``version`` variable.

A version after the first says which units' inputs and which figures changed since the version before it,
and whether the template, the configuration or the code differ from that version's (their hashes in the
manifests' ``components``). Figures are formatted here (:mod:`pipeline.fmt`); the template words every
code. The version store (:mod:`pipeline.publish.versions`) only numbers and keeps versions: it gives the
previous manifest and aggregates, this module reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipeline import fmt
from pipeline.config import Config
from pipeline.status import UnitStatus, left_out
from pipeline.synthesis import capitalise

FIGURE_KEYS = (
    "households_total", "poor_households", "poor_persons", "near_poor_households", "near_poor_persons",
    "ncc_poor_households", "ncc_poor_persons", "ncc_near_poor_households", "ncc_near_poor_persons",
)
"""Figures at the cut-off compared between versions, district-wide and per unit (``<key>_current`` of the
aggregates' ``district`` and ``units``; households or persons). The template names each code."""
DISTRICT_FIGURE_KEYS = FIGURE_KEYS + ("funds_total",)
"""District-wide, the total of funds mobilised (đồng, ``funds.total_vnd``) too."""



def left_out_units(agg: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The units the district totals of ``agg`` leave out: its ``coverage.left_out``
    (:func:`pipeline.aggregate.tables.coverage`). Aggregates written before that entry existed (a version's
    copy from an earlier release) give it from their submissions by the same rule,
    :func:`pipeline.status.left_out`."""
    coverage = agg.get("coverage")
    if coverage is not None:
        return list(coverage["left_out"])
    return [{"unit_code": s["unit_code"], "unit_name": s.get("unit_name", ""), "status": s["status"]}
            for s in agg["submissions"] if left_out(s["status"], s.get("required") is not False)]


def _value(record: Mapping[str, Any] | None, key: str) -> int | None:
    if record is None:
        return None
    value = record.get(f"{key}_current")
    return None if value is None else int(value)


def _shown(value: int | None) -> str:
    return "-" if value is None else fmt.number(value)


def unit_changes(previous: Mapping[str, Any], current: Mapping[str, Any], *, config: Config) -> list[dict[str, str]]:
    """Units whose input changed between two aggregates: another version used, another status, or another
    newer version left unused. In the current aggregates' order; one dict per unit:

    ``name`` (capitalised), ``before_version`` / ``now_version`` (ledger numbers as text, "" for none),
    ``before_status`` / ``now_status`` (valid / invalid / error / missing: the template words them),
    ``received_at`` (arrival of the version now used, local "dd/mm/yyyy HH:MM", "" for none) and ``newer``
    (number of a newer version now left unused because it failed or was not validated, "" for none).
    """
    before = {s["unit_code"]: s for s in previous["submissions"]}
    out = []
    for s in current["submissions"]:
        p = before.get(s["unit_code"]) or {"status": UnitStatus.MISSING, "version": None, "sha256": None}
        newer = (s.get("newer_failed") or {}).get("version")
        old_newer = (p.get("newer_failed") or {}).get("version")
        if (p["status"], p.get("version"), p.get("sha256"), old_newer) == (
                s["status"], s.get("version"), s.get("sha256"), newer):
            continue
        out.append({
            "name": capitalise(s["unit_name"]),
            "before_version": str(p["version"]) if p.get("version") else "",
            "before_status": p["status"],
            "now_version": str(s["version"]) if s.get("version") else "",
            "now_status": s["status"],
            "received_at": fmt.local_time(s.get("received_at"), config.timezone),
            "newer": str(newer) if newer and newer != old_newer else "",
        })
    return out


def figure_changes(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Figures that differ between two aggregates, grouped by where: district-wide first
    (:data:`DISTRICT_FIGURE_KEYS`), then unit by unit in the current aggregates' order (:data:`FIGURE_KEYS`);
    a place with no change is left out. One dict per place: ``district`` (bool), ``name`` (the unit,
    capitalised; "" for the district) and ``figures``: ``[{"code" (the figure's key; the template names it),
    "before", "now" (formatted, "-" when the unit had no valid version)}]`` in key order."""
    def changed(before: Mapping[str, Any] | None, now: Mapping[str, Any], keys: tuple[str, ...]) -> list[dict]:
        out = []
        for key in keys:
            b, n = _value(before, key), _value(now, key)
            if b != n:
                out.append({"code": key, "before": _shown(b), "now": _shown(n)})
        return out

    groups: list[dict[str, Any]] = []
    district = changed({**previous["district"], "funds_total_current": previous["funds"]["total_vnd"]},
                       {**current["district"], "funds_total_current": current["funds"]["total_vnd"]},
                       DISTRICT_FIGURE_KEYS)
    if district:
        groups.append({"district": True, "name": "", "figures": district})
    units_before = {u["unit_code"]: u for u in previous["units"]}
    for u in current["units"]:
        figures = changed(units_before.get(u["unit_code"]), u, FIGURE_KEYS)
        if figures:
            groups.append({"district": False, "name": capitalise(u["unit_name"]), "figures": figures})
    return groups


OTHER_SECTIONS = (
    ("timeliness", "tình hình nhận báo cáo đúng hạn, trễ hạn"),
    ("year", "số liệu các kỳ trước trong năm"),
    ("movement", "biến động hộ trong năm"),
    ("trajectory", "biến động hộ trong năm"),
)
"""Sections of ``aggregates.json`` outside the units' figures, with the words that name them in the report."""
# told by the units' changes (their versions, statuses and figures) or following from them
COMPARED = frozenset({"units", "district", "submissions", "period", "coverage", "lacking", "assessable"}
                     | {k for k, _ in OTHER_SECTIONS})


def other_changes(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """What differs between two versions' aggregates besides the units' versions and figures
    (:func:`unit_changes`, :func:`figure_changes`), in Vietnamese, each named once, in the order of
    :data:`OTHER_SECTIONS`, then "các số liệu tổng hợp khác" for any other section that differs: only what
    was compared is named, never a cause that was not checked."""
    named: list[str] = []
    for key, words in OTHER_SECTIONS:
        if previous.get(key) != current.get(key) and words not in named:
            named.append(words)
    others = (set(previous) | set(current)) - COMPARED
    if any(previous.get(k) != current.get(k) for k in others):
        named.append("các số liệu tổng hợp khác")
    return named


def first_version() -> dict[str, Any]:
    """The template's ``version`` for version 1 (see :func:`version_context`)."""
    return {"number": "1", "first": True, "previous": "", "unit_changes": [], "figure_changes": [],
            "partial": False, "data_changed": False, "template_changed": False, "config_changed": False,
            "code_changed": False, "other_changes": []}


def version_context(number: int, agg: Mapping[str, Any], components: Mapping[str, Any], *, config: Config,
                    previous: Mapping[str, Any] | None = None,
                    previous_agg: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The template's ``version`` variable: which version the report is and what changed since the previous.

    Keys: ``number`` (text), ``first`` (bool: version 1, no section of changes), ``previous`` (the number of the
    version compared with, text), ``unit_changes`` (:func:`unit_changes`), ``figure_changes``
    (:func:`figure_changes`), ``partial`` (bool: a district figure is the sum of the valid units only, in either
    version), ``data_changed`` (bool: units or figures changed), ``template_changed``, ``config_changed``,
    ``code_changed`` (bools: which of them differ from the previous version's fingerprint, so a version made
    with no new data can say why), ``other_changes`` (:func:`other_changes`: list of str).

    Args:
        components: this version's identity (:func:`pipeline.orchestrator.fingerprint_components`).
        previous: the previous version's manifest; ``previous_agg`` its aggregates. Both None for version 1.
    """
    if previous is None or previous_agg is None:
        return first_version()
    units = unit_changes(previous_agg, agg, config=config)
    figures = figure_changes(previous_agg, agg)
    before = previous.get("components", {})

    return {
        "number": str(number),
        "first": False,
        "previous": str(previous["number"]),
        "unit_changes": units,
        "figure_changes": figures,
        "partial": bool(left_out_units(previous_agg) or left_out_units(agg)),
        "data_changed": bool(units or figures),
        "other_changes": other_changes(previous_agg, agg),
        "template_changed": before.get("template_sha256") != components["template_sha256"],
        "config_changed": before.get("config_sha256") != components["config_sha256"],
        "code_changed": (before.get("code_sha256"), before.get("zlib")) != (components["code_sha256"],
                                                                           components["zlib"]),
    }
