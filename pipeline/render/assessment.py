"""Template variables whose labels must match their figures (templates/README.md, "Assessment rules"):
supports by the roster's working-capacity column, the movement table by every kind of change, the services
target and what remains per service dimension, and the commune decisions cited in the body.

Figures come formatted in Vietnamese ("1.551"); no sentence is written here (the template words them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pipeline import fmt
from pipeline.config import Config
from pipeline.synthesis import capitalise

# The roster's supports that close a deprivation of a service dimension (Decree 07/2021/NĐ-CP, Art. 3: health
# insurance is indicator 4 of health; housing quality and area are indicators 7–8 of housing). Dimensions not
# listed have no support column in the units' form: their line says none is recorded.
SERVICE_SUPPORTS: dict[str, tuple[str, ...]] = {
    "health": ("support_health_insurance",),
    "housing": ("support_housing_vnd",),
}
# Kinds of change by which a household leaves or enters the poor list: the body cites their decisions.
POVERTY_KINDS = ("escaped_poverty", "near_poor_to_poor", "fell_back_poor", "new_poor")
LIVELIHOOD = ("support_loan_vnd", "support_vocational_training", "support_job_placement", "support_livestock")
MINUS = "\u2212"  # the minus sign of the movement table ("−2")


def _lower_first(label: str) -> str:
    """A support's label inside a sentence: first letter lower case, an abbreviation kept ("(NHCSXH)")."""
    return label[:1].lower() + label[1:]


def _support_cells(supports: list[dict[str, Any]]) -> dict[str, Any]:
    cells: dict[str, Any] = {
        s["code"]: {"households": fmt.number(s["households"]),
                    "amount": fmt.number(s["amount_vnd"]) if s["amount_vnd"] is not None else "",
                    "any": s["households"] > 0}
        for s in supports
    }
    def listed(codes: Any) -> str:
        return "; ".join(f"{_lower_first(s['label'])} {fmt.number(s['households'])} hộ"
                         for s in supports if s["households"] > 0 and s["code"] in codes)

    cells["livelihood"] = any(s["households"] > 0 for s in supports if s["code"] in LIVELIHOOD)
    cells["livelihood_list"] = listed(LIVELIHOOD)
    cells["other"] = listed({s["code"] for s in supports} - set(LIVELIHOOD) - {"sponsor_amount_vnd"})
    return cells


def capacity_context(agg: dict[str, Any]) -> dict[str, Any]:
    """``capacity``: ``able`` and ``unable`` (households with / without working capacity by the roster's own
    column), each ``households`` (NCC households poor or near-poor at the cut-off) and, per support code of
    :func:`pipeline.aggregate.tables.supports`, ``{households, amount, any}``; ``livelihood`` (yes when a
    livelihood support went to such a household), ``livelihood_list`` (those received, listed: "vay vốn ưu đãi
    (NHCSXH) 1 hộ; đào tạo nghề 1 hộ") and ``other`` (the supports neither livelihood nor sponsorship, listed:
    "cấp thẻ bảo hiểm y tế 3 hộ; …")."""
    cap = agg.get("capacity") or {"able": {"households": 0, "supports": []},
                                  "unable": {"households": 0, "supports": []}}
    return {group: {"households": fmt.number(cap[group]["households"]),
                    "has": cap[group]["households"] > 0,
                    **_support_cells(cap[group]["supports"])}
            for group in ("able", "unable")}


def _signed(value: int | None) -> str:
    if value is None:
        return ""
    return f"+{fmt.number(value)}" if value > 0 else (f"{MINUS}{fmt.number(-value)}" if value < 0 else "0")


def movement_rows(agg: dict[str, Any]) -> list[dict[str, Any]]:
    """``movements`` (Bảng 3): a row ``baseline`` (households on each list at 1 January), one per kind of change
    (net change of each list: "−2", "+1", "0"; "" when the kind cannot touch the list) and a row ``current`` (at
    the cut-off). The rows balance: baseline + the changes = current."""
    kinds = agg.get("movement_kinds") or {"start": {"poor": 0, "near_poor": 0},
                                          "end": {"poor": 0, "near_poor": 0}, "rows": []}
    rows = [{"no": "1", "code": "baseline", "label": "", "poor": fmt.number(kinds["start"]["poor"]),
             "near_poor": fmt.number(kinds["start"]["near_poor"])}]
    for r in kinds["rows"]:
        rows.append({"no": str(len(rows) + 1), "code": r["code"], "label": r["label"],
                     "poor": _signed(r["poor"]), "near_poor": _signed(r["near_poor"])})
    rows.append({"no": str(len(rows) + 1), "code": "current", "label": "", "poor": fmt.number(kinds["end"]["poor"]),
                 "near_poor": fmt.number(kinds["end"]["near_poor"])})
    return rows


def services_context(agg: dict[str, Any]) -> dict[str, Any]:
    """``services``: target 3's base and what remains per listed dimension (the lines of section II.6).

    ``base`` (NCC households poor at 1 January or at the cut-off, still in the area), ``households`` (of them
    lacking a listed dimension), ``scope`` (the listed dimensions, lower case, joined: the report's note),
    ``remaining`` (one row per listed dimension still lacking: ``label``, ``households``, ``units`` (joined),
    ``supports`` (the supports closing it delivered since 1 January, "cấp thẻ bảo hiểm y tế 11 hộ"; "" when
    the form has none or none was delivered) and ``has_support_column`` (yes when the form records one)."""
    access = agg.get("access") or {"base": 0, "households": 0, "dimensions": [], "listed": []}
    by_code = {s["code"]: s for s in agg.get("supports", [])}
    remaining = []
    for d in access["dimensions"]:
        codes = SERVICE_SUPPORTS.get(d["code"], ())
        given = [by_code[c] for c in codes if c in by_code and by_code[c]["households"] > 0]
        remaining.append({
            "label": d["label"],
            "households": fmt.number(d["households"]),
            "units": ", ".join(d["units"]),
            "supports": "; ".join(
                f"{_lower_first(s['label'])} {fmt.number(s['households'])} hộ"
                + (f", {fmt.number(s['amount_vnd'])} đồng" if s["amount_vnd"] else "") for s in given),
            "has_support_column": bool(codes),
        })
    return {"base": fmt.number(access["base"]), "households": fmt.number(access["households"]),
            "scope": ", ".join(x.lower() for x in access["listed"]), "remaining": remaining,
            "has_base": access["base"] > 0}


def decisions_context(agg: dict[str, Any], config: Config) -> list[dict[str, Any]]:
    """``decisions``: the commune decisions by which NCC households left or entered the poor list since 1
    January (kinds :data:`POVERTY_KINDS`), per unit and kind — no person's name (Decree 13/2023/NĐ-CP).

    One row per unit and kind, in unit then kind order: ``unit`` (capitalised), ``unit_in_sentence``, ``kind``
    (the kind's label, lower case), ``households`` and ``citations`` ("số 45/QĐ-UBND ngày 14/07/2023, số
    78/QĐ-UBND ngày 16/10/2023": the decision numbers and dates, each once) and ``uncited`` (households whose
    decision number is blank)."""
    labels = {k["code"]: k["label"] for k in config.reference["change_kinds"]}
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for hh in agg.get("ncc_households", []):
        kind = hh.get("change_kind")
        if kind not in POVERTY_KINDS:
            continue
        g = groups.setdefault((hh["unit_code"], kind), {"unit": hh["unit_name"], "kind": kind, "households": 0,
                                                        "citations": [], "uncited": 0})
        g["households"] += 1
        number = hh.get("decision_number") or ""
        if not number:
            g["uncited"] += 1
            continue
        date = hh.get("decision_date") or ""
        cite = f"số {number}" + (f" ngày {fmt.date_vn(dt.date.fromisoformat(date))}" if date else "")
        if cite not in g["citations"]:
            g["citations"].append(cite)
    order = {k: i for i, k in enumerate(POVERTY_KINDS)}
    rows = sorted(groups.items(), key=lambda kv: (kv[0][0], order[kv[0][1]]))
    return [{"unit": capitalise(g["unit"]), "unit_in_sentence": g["unit"], "kind": labels[g["kind"]].lower(),
             "households": fmt.number(g["households"]), "citations": ", ".join(g["citations"]),
             "uncited": fmt.number(g["uncited"]) if g["uncited"] else ""}
            for _, g in rows]
