"""The timeliness section of the report and of the status page: the ``timeliness`` entry of
``aggregates.json`` (:func:`pipeline.ledger.timeliness.summary`) as template values — figures formatted,
names capitalised, times local. The wording is the templates'."""

from __future__ import annotations

from typing import Any

from pipeline import fmt
from pipeline.config import Config
from pipeline.synthesis import capitalise


def _rate_row(counts: dict[str, int]) -> dict[str, str]:
    n = counts["expected"]
    return {"expected": fmt.number(n), "received": fmt.number(counts["received"]),
            "on_time": fmt.number(counts["on_time"]), "valid": fmt.number(counts["valid"]),
            "received_rate": fmt.rate(counts["received"], n), "on_time_rate": fmt.rate(counts["on_time"], n),
            "valid_rate": fmt.rate(counts["valid"], n)}


def report_context(data: dict[str, Any] | None, *, config: Config) -> dict[str, Any]:
    """The template's ``timeliness`` variable, from the ``timeliness`` entry of ``aggregates.json``.

    Figures formatted (:mod:`pipeline.fmt`), names capitalised for table cells, dates local; wording is the
    template's, chosen by the codes ``status`` and ``rule``. Keys: ``available`` (False when the aggregates
    hold no timeliness entry: every list empty), ``deadline`` and ``scheduled_deadline`` ("dd/mm/yyyy HH:MM"),
    ``deadline_moved`` (bool), ``grace_days`` ("5"), ``lock`` (bool), ``lock_at`` ("dd/mm/yyyy HH:MM" or ""),
    ``year`` ("2023"), ``periods`` ("2023-6T, 2023-9T"), ``period_labels`` (the same periods by their names in
    the configuration, ``periods.<kind>.label``: "6 tháng đầu năm, 9 tháng đầu năm"), ``period_count`` ("2"),
    ``rows`` (one per unit:
    ``no``, ``name``, ``status``, ``rule``, ``required`` (bool), ``locked`` (bool), ``reopened`` (bool),
    ``grace_days``, then the year's ``expected``, ``received``, ``on_time``, ``valid``, ``on_time_rate``),
    ``totals`` and ``year_totals`` (``expected``, ``received``, ``on_time``, ``valid`` and their
    ``*_rate`` over expected, e.g. "87,50%").
    """
    if not data:
        empty = _rate_row({"expected": 0, "received": 0, "on_time": 0, "valid": 0})
        return {"available": False, "deadline": "", "scheduled_deadline": "", "deadline_moved": False,
                "grace_days": "0", "lock": False, "lock_at": "", "year": "", "periods": "", "period_labels": "",
                "period_count": "0",
                "rows": [], "totals": empty, "year_totals": empty}
    grace = fmt.number(data["correction_grace_days"])
    rows = []
    for i, u in enumerate(data["units"], start=1):
        y = u["year"]
        rows.append({
            "no": str(i), "name": capitalise(u["unit_name"]), "status": u["status"], "rule": u["rule"],
            "required": u["required"], "locked": bool(u["locked_versions"]), "reopened": u["reopened"],
            "grace_days": grace, "expected": fmt.number(y["expected"]), "received": fmt.number(y["received"]),
            "on_time": fmt.number(y["on_time"]), "valid": fmt.number(y["valid"]),
            "on_time_rate": fmt.rate(y["on_time"], y["expected"]),
        })
    return {
        "available": True,
        "deadline": fmt.local_time(data["deadline"], config.timezone),
        "scheduled_deadline": fmt.local_time(data["scheduled_deadline"], config.timezone),
        "deadline_moved": data["deadline_moved"],
        "grace_days": grace,
        "lock": data["lock_at"] is not None,
        "lock_at": fmt.local_time(data["lock_at"], config.timezone),
        "year": data["periods"][0][:4] if data["periods"] else "",
        "periods": ", ".join(data["periods"]),
        "period_labels": ", ".join(config.period(code).label for code in data["periods"]),
        "period_count": fmt.number(len(data["periods"])),
        "rows": rows,
        "totals": _rate_row(data["totals"]),
        "year_totals": _rate_row(data["year_totals"]),
    }

