"""The report's ``offices`` variable: the offices' part of ``aggregates.json`` (:mod:`pipeline.aggregate.offices`)
formatted for the template's sections II, V and VI. Data only: figures in Vietnamese notation, names, dates; every
word of the sentences is in the template (``templates/README.md``, variable ``offices``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pipeline import fmt
from pipeline.config import Config

ACTIVITY_FIGURES = ("sessions", "participants", "news_items", "broadcasts", "households", "ncc_households")


def _number(value: Any) -> str:
    return fmt.number(value) if value else ""


def _date(value: Any) -> str:
    if isinstance(value, dt.date):
        return fmt.date_vn(value)
    try:
        return fmt.date_vn(dt.date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value or "")


def _activity(row: dict[str, Any]) -> dict[str, str]:
    return {"office": row["office"], "activity": str(row.get("activity") or "").rstrip(". "),
            **{k: _number(row.get(k)) for k in ACTIVITY_FIGURES}}


def offices_context(section: dict[str, Any] | None, config: Config) -> dict[str, Any]:
    """The template's ``offices``: ``documents`` (``number``, ``date``, ``issuer`` — the office when blank —,
    ``subject``), ``outreach``, ``livelihood_activities`` and ``management`` (activities of the offices carrying
    that part: ``office``, ``activity`` and the figures of :data:`ACTIVITY_FIGURES`, "" when not given),
    ``funds`` (``office``, ``label``, ``amount``), ``sponsorship`` and ``livelihood`` (supports by office and kind:
    ``office``, ``label``, ``households``, ``persons``, ``ncc_households``, ``communes``, ``amount``), ``loans``
    (the bank's totals: ``office``, ``communes``, ``borrowers``, ``disbursed``, ``outstanding``, ``ncc_borrowers``,
    and ``roster_ncc_borrowers``, the communes' rosters' count when it differs, else ""; None without),
    ``results``, ``difficulties`` (``office``, ``own`` — the report's issuer, carrying ``assessment`` —, ``text``),
    ``proposals`` (``office``, ``text``; the issuer's own in ``own_proposals`` instead), ``lacking`` (part → the
    required offices carrying it without a valid workbook, joined; "" when none), ``expected`` and ``reported``
    (required offices, and of them those with a valid workbook) and ``missing`` (the others' names, joined).
    A section from an earlier release's aggregates (no ``offices``) gives empty lists."""
    section = section or {}
    parts = section.get("parts") or {}
    by_part = {p: set(v["offices"]) for p, v in parts.items()}
    supports_labels = {s["code"]: s["label"] for s in config.reference.get("office_supports", [])}
    fund_labels = {s["code"]: s["label"] for s in config.reference["fund_sources"]}

    def of_part(rows: list[dict[str, Any]], part: str) -> list[dict[str, Any]]:
        return [r for r in rows if r["office"] in by_part.get(part, set())]

    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for r in section.get("supports", []):
        g = grouped.setdefault((r["office"], r["support"]), {"office": r["office"], "support": r["support"],
                                                             "households": 0, "persons": 0, "ncc_households": 0,
                                                             "amount": 0, "communes": set()})
        for key in ("households", "persons", "ncc_households"):
            g[key] += r.get(key) or 0
        g["amount"] += r.get("amount_vnd") or 0
        g["communes"].add(r["commune_code"])
    supports = [{"office": g["office"], "support": g["support"],
                 "label": supports_labels.get(g["support"], str(g["support"])),
                 **{k: _number(g[k]) for k in ("households", "persons", "ncc_households", "amount")},
                 "communes": fmt.number(len(g["communes"]))} for g in grouped.values()]
    loans = section.get("loan_totals")
    lenders = sorted({r["office"] for r in section.get("loans", [])})
    narratives = section.get("narratives", [])
    own = {n["office"] for n in narratives if "assessment" in n.get("parts", [])}
    listed = section.get("offices", [])
    expected = [o for o in listed if o.get("required")]
    rostered = loans.get("roster_ncc_borrowers") if loans else None
    return {
        "expected": fmt.number(len(expected)),
        "reported": fmt.number(sum(bool(o.get("valid")) for o in expected)),
        "missing": ", ".join(o["name"] for o in expected if not o.get("valid")),
        "documents": [{"number": r.get("number") or "", "date": _date(r.get("date")),
                       "issuer": r.get("issuer") or r["office"], "subject": str(r.get("subject") or "").rstrip(". ")}
                      for r in section.get("documents", [])],
        "outreach": [_activity(r) for r in of_part(section.get("activities", []), "outreach")],
        "livelihood_activities": [_activity(r) for r in of_part(section.get("activities", []), "livelihood")],
        "management": [_activity(r) for r in of_part(section.get("activities", []), "state_management")],
        "funds": [{"office": r["office"], "label": fund_labels.get(r.get("source"), str(r.get("source"))),
                   "amount": fmt.number(r.get("amount_vnd") or 0)} for r in section.get("funds", [])],
        "sponsorship": [s for s in supports if s["support"] == "sponsorship"],
        "livelihood": [s for s in supports if s["support"] != "sponsorship"],
        "loans": None if not loans else {
            "office": ", ".join(lenders), "communes": fmt.number(loans["communes"]),
            "borrowers": fmt.number(loans["borrowers"]), "disbursed": fmt.number(loans["disbursed_vnd"]),
            "outstanding": fmt.number(loans["outstanding_vnd"]), "ncc_borrowers": fmt.number(loans["ncc_borrowers"]),
            "roster_ncc_borrowers": "" if rostered is None or rostered == loans["ncc_borrowers"]
            else fmt.number(rostered)},
        "results": [{"office": n["office"], "own": n["office"] in own, "text": n["results"].rstrip(". ")}
                    for n in narratives if n["results"]],
        "difficulties": [{"office": n["office"], "own": n["office"] in own, "text": n["difficulties"].rstrip(". ")}
                         for n in narratives if n["difficulties"]],
        "proposals": [{"office": n["office"], "text": n["proposals"].rstrip(". ")}
                      for n in narratives if n["proposals"] and n["office"] not in own],
        "own_proposals": [{"office": n["office"], "text": n["proposals"].rstrip(". ")}
                          for n in narratives if n["proposals"] and n["office"] in own],
        "lacking": {p: ", ".join(v["lacking"]) for p, v in parts.items()},
    }
