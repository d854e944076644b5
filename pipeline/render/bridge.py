"""Table 1a of the report and the status page's check for staff: each unit that took over others in the 2025
reorganisation beside the sum its predecessors reported (:func:`pipeline.aggregate.tables.bridge`), formatted.
A module of its own: the status page (hashed with validation, :mod:`pipeline.codehash`) takes it without the
report."""

from __future__ import annotations

from typing import Any

from pipeline import fmt
from pipeline.config import Config
from pipeline.synthesis import capitalise


def _joined(names: list[str]) -> str:
    """Unit names joined for a sentence ("xã A, xã B"), as stored (lower case inside a sentence)."""
    return ", ".join(names)


def bridge_context(rows: list[dict[str, Any]], config: Config) -> dict[str, Any]:
    """Table 1a (and the status page's check for staff): each successor's own 01/01 households beside its
    predecessors' sum (:func:`pipeline.aggregate.tables.bridge`), "-" where a figure is missing, and its
    ``state``: ``agrees``, ``differs``, ``outside`` (no sum: a predecessor is not in the setup), ``unsent`` (no
    sum: a predecessor sent no valid report) or ``no_report`` (the successor has no valid report); the units whose
    figures differ, and those without a sum, joined."""
    def cell(figures: dict[str, Any] | None, key: str) -> str:
        return fmt.number(figures[key]) if figures is not None and figures.get(key) is not None else "-"

    def state(r: dict[str, Any]) -> str:
        if r.get("outside"):
            return "outside"
        if not r["complete"]:
            return "unsent"
        return "no_report" if r["own"] is None else ("differs" if r["differs"] else "agrees")

    table = [
        {"no": str(i), "name": capitalise(r["unit_name"]), "predecessors": capitalise(", ".join(r["predecessors"])),
         "state": state(r),
         **{f"{side}_{short}": cell(r[side], key) for side in ("own", "sum")
            for short, key in (("households", "households_total"), ("poor", "poor_households"),
                               ("near_poor", "near_poor_households"))}}
        for i, r in enumerate(rows, start=1)
    ]
    first = config.period(rows[0]["period"]) if rows else None
    return {
        "rows": table,
        "period": f"{first.label} {first.year}" if first is not None else "",
        "differs": _joined([r["unit_name"] for r in rows if state(r) == "differs"]),
        "outside": _joined([r["unit_name"] for r in rows if state(r) == "outside"]),
        "unsent": _joined([r["unit_name"] for r in rows if state(r) == "unsent"]),
    }
