"""Render the periodic report (.docx) from the aggregates: build the template context, render, audit, publish.

The only renderer of reports. Rendering uses docxtpl with Jinja autoescape on and undefined variables as
errors; every figure is formatted here with :mod:`pipeline.fmt` (Babel ``vi``, half-up).

Text is data, never template: whatever a commune typed (braces, Jinja syntax, XML special characters, things
that look like formulas) and the names of its files are context values, rendered once as escaped text and
never parsed as a template, so they show literally. The template's own tags are checked before rendering
(:func:`check_template`); the rendered report is never searched for tag characters. The output path is a
function of the period: ``work/<period>/staging/bao-cao-<period>.docx``, from which the orchestrator publishes
it as a version (:mod:`pipeline.publish.versions`); the same inputs give the same bytes
(:func:`pipeline.files.normalise_docx`). Owner-only (its annex lists households by name, Decree 13/2023/NĐ-CP),
see :mod:`pipeline.files`.

The report's wording is in the template: the context holds figures, names, rows and the codes of the rules
(change since 1 January, each target's outcome, a submission's status), listed with the rules in
templates/README.md. The plan's targets are assessed only when every required unit has a valid version;
otherwise their outcome is ``not_assessable`` and the units lacking one are named.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from pathlib import Path
from typing import Any

from pipeline import fmt
from pipeline.aggregate import movement
from pipeline.config import PROJECT_ROOT, Config, Period
from pipeline.files import ensure_dir, normalise_docx, private_modes, zip_content_hash
from pipeline.paths import report_staging_path, technical_annex_staging_path
from pipeline.render.annexes import annex_context, stage_workbook
from pipeline.render.assessment import capacity_context, decisions_context, movement_rows, services_context
from pipeline.render.bridge import bridge_context
from pipeline.render.changes import first_version, left_out_units
from pipeline.render.charts import chart_context, embed
from pipeline.render.offices import offices_context
from pipeline.render.pdf import stage_pdf
from pipeline.render.timeliness import report_context as timeliness_context
from pipeline.status import UnitStatus
from pipeline.synthesis import capitalise, group_points, sentence

TEMPLATE = PROJECT_ROOT / "templates" / "bao_cao_ky.docx"
# The technical annex kept beside the report for district staff (receipt, timeliness, validation, files and
# hashes): rendered from the same context, never part of the copy that is signed.
TECHNICAL_TEMPLATE = PROJECT_ROOT / "templates" / "phu_luc_ky_thuat.docx"
WORDING_FILES = (PROJECT_ROOT / "templates" / "phu_luc.yaml", PROJECT_ROOT / "templates" / "bieu_do.yaml")
"""The report's wording kept beside the template (annex headers shared with the workbook, words drawn in the
charts): part of the template's identity (:func:`template_identity`)."""


def template_identity(template: Path = TEMPLATE) -> str:
    """Hex SHA-256 of what the report's wording is: the template's content (:func:`pipeline.files.
    zip_content_hash`, whatever its zip timestamps) and the wording files beside it (:data:`WORDING_FILES`).
    Part of a report version's identity.

    Raises:
        FileNotFoundError, zipfile.BadZipFile: the template is missing or not a .docx.
    """
    parts = [zip_content_hash(template), *(hashlib.sha256(f.read_bytes()).hexdigest() for f in WORDING_FILES)]
    if template == TEMPLATE:  # the technical annex goes with the report's own template
        parts.append(zip_content_hash(TECHNICAL_TEMPLATE))
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()
# Supports of the plan's section IV.4 by group: livelihoods for households with working capacity, sponsorship
# for those without, and supports that close a service deprivation (keys of aggregate.supports' ``code``).
SUPPORT_GROUPS = {
    "livelihood": ("support_loan_vnd", "support_vocational_training", "support_job_placement", "support_livestock"),
    "sponsorship": ("sponsor_amount_vnd",),
    "services": ("support_health_insurance", "support_housing_vnd"),
}


# Every top-level variable the template may use: the keys of build_context's result (a test keeps them equal,
# and templates/README.md documents each).
TEMPLATE_VARIABLES = frozenset({
    "doc", "period", "scope", "units", "district", "ncc_rows", "movements", "deprivation", "deprivation_rows",
    "dimension_rows", "supports", "support_rows", "activities", "fund_rows", "funds", "submissions",
    "submission_rows", "targets", "synthesis", "narratives", "sources", "charts", "annexes",
    "timeliness", "version", "movement", "words", "bridge", "offices", "capacity", "services", "decisions",
})
# The fields of each variable (of a row, for a list), first level only: check_template refuses ``x.field`` with
# a field not listed (a misspelt field would otherwise fail only when the report is rendered). A variable not
# listed here has its fields unchecked. A test keeps these equal to what build_context gives.
TEMPLATE_FIELDS: dict[str, frozenset[str]] = {
    "doc": frozenset({"issuer_parent", "issuer", "issuer_short", "number", "number_suffix", "dateline", "date_words",
                      "summary_line", "recipient_of_report", "recipients", "archive", "signer_authority",
                      "signer_title", "signer_name", "plan"}),
    "period": frozenset({"code", "label", "name", "kind", "year", "previous_year", "cutoff", "baseline", "estimate"}),
    "capacity": frozenset({"able", "unable"}),
    "services": frozenset({"base", "households", "scope", "remaining", "has_base"}),
    "decisions": frozenset({"unit", "unit_in_sentence", "kind", "households", "citations", "uncited"}),
    "bridge": frozenset({"rows", "period", "differs", "outside", "unsent"}),
    "offices": frozenset({"documents", "outreach", "livelihood_activities", "management", "funds", "sponsorship",
                          "livelihood", "loans", "results", "difficulties", "proposals", "own_proposals", "lacking",
                          "expected", "reported", "missing"}),
    "scope": frozenset({"complete", "has_data", "valid_units", "left_out"}),
    "units": frozenset({"no", "name", "households", "poor", "poor_rate", "near_poor", "near_poor_rate", "ncc_poor",
                        "ncc_poor_persons", "status", "required", "errors"}),
    "district": frozenset({"households", "poor", "poor_persons", "poor_rate", "near_poor", "near_poor_persons",
                           "near_poor_rate", "ncc_poor", "ncc_poor_persons", "ncc_poor_share", "ncc_near_poor",
                           "ncc_near_poor_persons", "baseline", "change", "ncc_units"}),
    "ncc_rows": frozenset({"no", "code", "hh_baseline", "persons_baseline", "share_baseline", "hh_current",
                           "persons_current", "share_current"}),
    "movements": frozenset({"no", "code", "label", "poor", "near_poor"}),
    "deprivation": frozenset({"base", "deprived", "clean", "has_poor"}),
    "deprivation_rows": frozenset({"no", "label", "dimension", "households", "rate"}),
    "dimension_rows": frozenset({"no", "label", "households", "rate"}),
    "supports": frozenset({"support_loan_vnd", "support_vocational_training", "support_job_placement",
                           "support_livestock", "support_health_insurance", "support_housing_vnd",
                           "sponsor_amount_vnd", "livelihood", "sponsorship", "services", "any"}),
    "support_rows": frozenset({"no", "code", "label", "households", "amount"}),
    "activities": frozenset({"outreach_sessions", "outreach_participants", "outreach"}),
    "fund_rows": frozenset({"number", "label", "amount"}),
    "funds": frozenset({"total", "any", "loan_households", "loan_disbursed"}),
    "submissions": frozenset({"received", "expected", "on_time", "valid", "invalid", "error", "missing", "late"}),
    "submission_rows": frozenset({"no", "name", "status", "required", "on_time", "errors"}),
    "targets": frozenset({"assessable", "lacking", "has_data", "partial", "valid_units", "no_ncc_poor",
                          "no_fallback", "access"}),
    "synthesis": frozenset({"difficulties", "proposals"}),
    "narratives": frozenset({"no", "unit_name", "results", "difficulties", "proposals"}),
    "sources": frozenset({"no", "name", "file", "version", "received_at", "on_time", "sha256", "checked", "errors",
                          "warnings", "newer_version", "newer_errors"}),
    "charts": frozenset({"poverty", "year", "deprivation"}),
    "annexes": frozenset({"include_household_annex", "left_out", "units_baseline", "units_current", "movement_poor",
                          "movement_near_poor", "deprivation_poor", "deprivation_near_poor", "households",
                          "legend_standard", "legend_indicators", "legend_categories"}),
    "timeliness": frozenset({"available", "deadline", "scheduled_deadline", "deadline_moved", "grace_days", "lock",
                             "lock_at", "year", "periods", "period_labels", "period_count", "rows", "totals",
                             "year_totals"}),
    "version": frozenset({"number", "first", "previous", "unit_changes", "figure_changes", "partial",
                          "data_changed", "template_changed", "config_changed", "code_changed",
                          "other_changes"}),
    "movement": frozenset({"annual", "poor", "near_poor", "unbalanced_units", "columns", "compare", "targets",
                           "trajectory", "has_trajectory"}),
    "words": frozenset({"area", "whole_area", "whole_area_start", "unit_kinds", "office", "office_short",
                        "office_abbr", "office_word", "staff", "superior"}),
}
# The parts of a .docx that docxtpl renders as templates (body, headers, footers).
_TEMPLATE_PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml")
_TAG_FRAGMENTS = ("{{", "}}", "{%", "%}", "{#", "#}")


class RenderError(RuntimeError):
    """The report could not be rendered or failed its audit (a unit neither reported nor listed)."""


class TemplateCheckError(RenderError):
    """The report template's own tags are broken: a syntax error, an unknown variable or a stray fragment.

    The message is in Vietnamese, names the template part and the place (table and cell, or paragraph) and
    quotes the text around the fault.
    """


def change(baseline: int, current: int, places: int = 0) -> dict[str, str]:
    """The change of a count from 1 January to the cut-off, for the template to word.

    Returns ``{"change": "down" | "up" | "same", "amount": formatted absolute difference ("2", "1.234")}``:
    "same" when the two counts are equal (the template then says the count did not change), never a zero change.
    """
    diff = current - baseline
    return {"change": "same" if diff == 0 else ("down" if diff < 0 else "up"), "amount": fmt.number(abs(diff))}


def _names(names: list[str]) -> str:
    """Unit names joined for a sentence ("xã A, xã B"), as stored (lower case inside a sentence)."""
    return ", ".join(names)


def _synthesis(narratives: list[dict[str, Any]], kinds: str, complete: bool) -> dict[str, Any]:
    """The units' difficulties and proposals, each point once with the units that raised it.

    ``{"difficulties": part, "proposals": part}``, each part ``{"points": [line, …], "silent": names}``:
    a line per point ("Xã A, xã B: text.", "8/8 xã, thị trấn: text." when every unit raised it — ``kinds`` the
    setup's words for the units' kinds without "các"; ``complete`` False: not every unit expected reported —,
    :func:`pipeline.synthesis.sentence`), and the units with a valid
    report that raised nothing, joined and capitalised ("Xã C, xã D"; "" when none). With no valid report
    both lists are empty (the template says so from ``submissions.valid``).
    """
    out: dict[str, Any] = {}
    for key in ("difficulties", "proposals"):
        points = group_points([(n["unit_name"], n.get(key)) for n in narratives])
        raised = {u for p in points for u in p.units}
        silent = [n["unit_name"] for n in narratives if n["unit_name"] not in raised]
        everyone = [n["unit_name"] for n in narratives]
        out[key] = {"points": [sentence(p, everyone, kinds, complete) for p in points],
                    "silent": capitalise(_names(silent))}
    return out


def _on_time(sub: dict[str, Any]) -> str:
    """``"yes"`` / ``"no"`` (received before the deadline or not), ``""`` when nothing was received."""
    on_time = sub.get("on_time")
    return "yes" if on_time is True else "no" if on_time is False else ""


def _submission_row(no: int, sub: dict[str, Any]) -> dict[str, Any]:
    """A unit's submission as the template words it: codes, never labels (see templates/README.md)."""
    return {"no": str(no), "name": capitalise(sub["unit_name"]), "status": sub["status"],
            "required": sub.get("required") is not False, "on_time": _on_time(sub),
            "errors": fmt.number(sub["errors"]) if sub.get("errors") is not None else ""}


def _received_text(value: str | None, config: Config) -> str:
    """An arrival (ISO 8601 with offset) as local time "dd/mm/yyyy HH:MM" in the configured time zone."""
    return fmt.local_time(value, config.timezone) or "-"


def _source_row(no: int, sub: dict[str, Any], config: Config) -> dict[str, Any]:
    """A row of the annex "Nguồn số liệu": the file used (name as sent), its version, arrival (local time),
    SHA-256, counts of findings (``checked`` False: a system error, not checked) and a newer version not
    used (``newer_version`` "" when none; ``newer_errors`` "" when it could not be checked)."""
    nf = sub.get("newer_failed") or {}
    return {"no": str(no), "name": capitalise(sub["unit_name"]), "file": sub["file"],
            "version": str(sub["version"]) if sub.get("version") else "-",
            "received_at": _received_text(sub.get("received_at"), config), "on_time": _on_time(sub),
            "sha256": sub["sha256"] or "-",
            "checked": not (sub["status"] == UnitStatus.ERROR or sub.get("errors") is None),
            "errors": fmt.number(sub["errors"]) if sub.get("errors") is not None else "",
            "warnings": fmt.number(sub["warnings"]) if sub.get("warnings") is not None else "",
            "newer_version": str(nf["version"]) if nf else "",
            "newer_errors": str(nf["errors"]) if nf and nf.get("errors") is not None else ""}


def _outcome(met: bool | None, assessable: bool) -> str:
    """A target's outcome code: ``met``, ``not_met`` or ``not_assessable`` (a required unit lacks a valid
    version, or no unit has one: the plan's district-wide targets cannot be judged from part of the units)."""
    if met is None or not assessable:
        return "not_assessable"
    return "met" if met else "not_met"


def _targets(agg: dict[str, Any], config: Config, valid: int) -> dict[str, Any]:
    """The plan's three targets (section III) with their figures and outcome codes (templates/README.md)."""
    t = {x["code"]: x for x in agg["targets"]}
    assessable = bool(agg.get("assessable", True))
    goal = config.targets.get("ncc_poor_households_by_year_end", 0)
    allowed = config.targets.get("ncc_fallback_or_new_poor", 0)
    return {
        "assessable": assessable,
        "lacking": _names(agg.get("lacking") or []),
        "has_data": valid > 0,
        "partial": not assessable and valid > 0,
        "valid_units": fmt.number(valid),
        "no_ncc_poor": {"outcome": _outcome(t["no_ncc_poor"]["met"], assessable),
                        "value": fmt.number(t["no_ncc_poor"]["value"]), "goal": fmt.number(goal),
                        "gap": fmt.number(max(t["no_ncc_poor"]["value"] - goal, 0))},
        "no_fallback": {"outcome": _outcome(t["no_fallback"]["met"], assessable),
                        "value": fmt.number(t["no_fallback"]["value"]), "goal": fmt.number(allowed),
                        "gap": fmt.number(max(t["no_fallback"]["value"] - allowed, 0))},
        "access": {"outcome": _outcome(t["access"]["met"], assessable), "value": fmt.number(t["access"]["value"]),
                   "dimensions": ", ".join(x.lower() for x in t["access"]["dimensions"]),
                   "households": fmt.number(t["access"].get("households", 0))},
    }


def _document(config: Config, period: Period) -> dict[str, Any]:
    d = config.document_on(period.cutoff)
    issue = d.get("issue_date")
    if issue:
        dateline = fmt.dateline(config.locality["place_name"], dt.date.fromisoformat(str(issue)))
    else:
        dateline = fmt.dateline(config.locality["place_name"], None, month=period.deadline.month, year=period.year)
    plan = config.plan
    plan_date = str(plan.get("date") or "")
    return {
        "issuer_parent": d["issuer_parent"],
        "issuer": d["issuer"],
        "issuer_short": d["issuer_short"],
        "number": d.get("number") or "\u00a0" * 6,
        "number_suffix": d["number_suffix"],
        "dateline": dateline,
        "date_words": dateline.split(", ", 1)[1],
        # "Kết quả thực hiện Kế hoạch … 6 tháng đầu năm 2023": what was done, then what, then when
        "summary_line": capitalise(f"{period.title.removesuffix(period.label).strip()} {plan['subject']} "
                                   f"{period.label} {period.year}"),
        "recipient_of_report": d["recipient_of_report"],
        "recipients": list(d.get("recipients", [])),
        "archive": d.get("recipients_archive", ""),
        "signer_authority": d.get("signer_authority") or "",
        "signer_title": d.get("signer_title") or "",
        "signer_name": d.get("signer_name") or "",
        "plan": {
            "number": plan.get("number") or "\u00a0" * 6,
            "number_suffix": plan["number_suffix"],
            "month": str(int(plan_date[5:7])) if plan_date else "",
            "year": str(plan_date[:4] if plan_date else plan.get("year", "")),
            "issuer": plan["issuer"],
            "subject": plan["subject"],
            "title": plan["title"],
            "title_in_sentence": plan["title"][:1].lower() + plan["title"][1:],
        },
    }


def build_context(agg: dict[str, Any], *, config: Config, period: Period,
                  include_household_annex: bool = True,
                  version: dict[str, Any] | None = None) -> dict[str, Any]:
    """The template context: figures formatted in Vietnamese, names, lists of row dicts for tables, and codes
    or booleans the template's Jinja words (``change`` "down"/"up"/"same", ``outcome`` "met"/"not_met"/
    "not_assessable", a submission's ``status`` …). No sentence is written here: every fixed word is in the
    template, and templates/README.md lists each variable and the rules giving its codes.

    Args:
        agg: the output of :func:`pipeline.aggregate.tables.aggregate` (as written to ``aggregates.json``).
        include_household_annex: render the annex listing NCC households (names: personal data, Decree
            13/2023/NĐ-CP); False for a copy without it (``annexes`` of :func:`pipeline.render.annexes.annex_context`).
        version: the report's version and its changes (:func:`pipeline.render.changes.version_context`); default
            version 1.
    """
    d = agg["district"]
    subs = agg["submissions"]
    valid = [s for s in subs if s["status"] == UnitStatus.VALID]
    # units the plan only asks to report do not make the totals partial when they send nothing
    left_out = [u["unit_name"] for u in left_out_units(agg)]
    expected = [s for s in subs if s.get("required", True) or s["status"] != UnitStatus.MISSING]
    units = []
    for i, u in enumerate(agg["units"], start=1):
        sub = next(s for s in subs if s["unit_code"] == u["unit_code"])
        has = u["status"] == UnitStatus.VALID
        units.append({
            "no": str(i),
            "name": capitalise(u["unit_name"]),
            "households": fmt.number(u["households_total_current"]) if has else "-",
            "poor": fmt.number(u["poor_households_current"]) if has else "-",
            "poor_rate": fmt.rate(u["poor_households_current"], u["households_total_current"]) if has else "-",
            "near_poor": fmt.number(u["near_poor_households_current"]) if has else "-",
            "near_poor_rate": fmt.rate(u["near_poor_households_current"], u["households_total_current"])
            if has else "-",
            "ncc_poor": fmt.number(u["ncc_poor_households_current"]) if has else "-",
            "ncc_poor_persons": fmt.number(u["ncc_poor_persons_current"]) if has else "-",
            "status": sub["status"],
            "required": sub.get("required") is not False,
            "errors": fmt.number(sub["errors"]) if sub.get("errors") is not None else "",
        })

    def figures(when: str) -> dict[str, str]:
        return {
            "households": fmt.number(d[f"households_total_{when}"]),
            "poor": fmt.number(d[f"poor_households_{when}"]),
            "poor_persons": fmt.number(d[f"poor_persons_{when}"]),
            "poor_rate": fmt.rate(d[f"poor_households_{when}"], d[f"households_total_{when}"]),
            "near_poor": fmt.number(d[f"near_poor_households_{when}"]),
            "near_poor_persons": fmt.number(d[f"near_poor_persons_{when}"]),
            "near_poor_rate": fmt.rate(d[f"near_poor_households_{when}"], d[f"households_total_{when}"]),
            "ncc_poor": fmt.number(d[f"ncc_poor_households_{when}"]),
            "ncc_poor_persons": fmt.number(d[f"ncc_poor_persons_{when}"]),
            "ncc_poor_share": fmt.rate(d[f"ncc_poor_households_{when}"], d[f"poor_households_{when}"]),
            "ncc_near_poor": fmt.number(d[f"ncc_near_poor_households_{when}"]),
            "ncc_near_poor_persons": fmt.number(d[f"ncc_near_poor_persons_{when}"]),
        }

    district = {
        **figures("current"),
        "baseline": figures("baseline"),
        "change": {
            key: change(d[f"{key}_households_baseline"], d[f"{key}_households_current"])
            for key in ("poor", "near_poor", "ncc_poor", "ncc_near_poor")
        },
        "ncc_units": _names(sorted({a["unit_name"] for a in agg["annex"] if a["status_current"] == "poor"})),
    }
    ncc_rows = []
    for no, (code, prefix, base_key) in enumerate(
        (("poor", "ncc_poor", "poor_households"), ("near_poor", "ncc_near_poor", "near_poor_households")), start=1):
        ncc_rows.append({
            "no": str(no),
            "code": code,
            "hh_baseline": fmt.number(d[f"{prefix}_households_baseline"]),
            "persons_baseline": fmt.number(d[f"{prefix}_persons_baseline"]),
            "share_baseline": fmt.rate(d[f"{prefix}_households_baseline"], d[f"{base_key}_baseline"]),
            "hh_current": fmt.number(d[f"{prefix}_households_current"]),
            "persons_current": fmt.number(d[f"{prefix}_persons_current"]),
            "share_current": fmt.rate(d[f"{prefix}_households_current"], d[f"{base_key}_current"]),
        })
    movements = movement_rows(agg)
    depr = agg["deprivations"]
    base = depr["base"]
    deprivation_rows = [
        {"no": str(i), "label": x["label"], "dimension": x["dimension"], "households": fmt.number(x["households"]),
         "rate": fmt.rate(x["households"], base)}
        for i, x in enumerate(depr["indicators"], start=1)
    ]
    dimension_rows = [
        {"no": str(i), "label": x["label"], "households": fmt.number(x["households"]),
         "rate": fmt.rate(x["households"], base)}
        for i, x in enumerate(depr["dimensions"], start=1)
    ]
    deprivation = {
        "base": fmt.number(base),
        "deprived": ", ".join(x["label"].lower() for x in depr["dimensions"] if x["households"]),
        "clean": ", ".join(x["label"].lower() for x in depr["dimensions"] if not x["households"]),
        "has_poor": base > 0,
    }
    support_rows = [
        {"no": str(i), "code": s.get("code", ""), "label": s["label"], "households": fmt.number(s["households"]),
         "amount": fmt.number(s["amount_vnd"]) if s["amount_vnd"] is not None else "-"}
        for i, s in enumerate(agg["supports"], start=1)
    ]
    by_code = {s.get("code"): s for s in agg["supports"]}
    supports: dict[str, Any] = {
        code: {"households": fmt.number(s["households"]),
               "amount": fmt.number(s["amount_vnd"]) if s["amount_vnd"] is not None else "",
               "any": s["households"] > 0}
        for code, s in by_code.items() if code
    }
    for group, codes in SUPPORT_GROUPS.items():
        supports[group] = any(by_code[c]["households"] > 0 for c in codes if c in by_code)
    supports["any"] = any(s["households"] > 0 for s in agg["supports"])
    cum = agg["cumulative"]
    activities = {"outreach_sessions": fmt.number(cum["outreach_sessions"]),
                  "outreach_participants": fmt.number(cum["outreach_participants"]),
                  "outreach": cum["outreach_sessions"] > 0}
    funds = agg["funds"]
    fund_rows = [
        {"number": f"({s['number']})", "label": s["label"], "amount": fmt.number(s["amount_vnd"])}
        for s in funds["sources"]
    ]
    submission_rows = [_submission_row(i, s) for i, s in enumerate(subs, start=1)]
    sources = [_source_row(i, s, config) for i, s in enumerate((s for s in subs if s["file"]), start=1)]
    targets = _targets(agg, config, len(valid))
    late = [s["unit_name"] for s in subs if s.get("on_time") is False]  # received after the deadline
    words = config.words(period.cutoff)
    return {
        "words": words,
        "doc": _document(config, period),
        "period": {"code": period.code, "label": f"{period.label} {period.year}", "name": period.label,
                   "kind": period.kind, "year": str(period.year), "previous_year": str(period.year - 1),
                   "cutoff": fmt.date_vn(period.cutoff),
                   "baseline": fmt.date_vn(period.baseline), "estimate": period.kind == "CN"},
        "scope": {"complete": not left_out, "has_data": bool(valid), "valid_units": fmt.number(len(valid)),
                  "left_out": _names(left_out)},
        "units": units,
        "district": district,
        "ncc_rows": ncc_rows,
        "movements": movements,
        "deprivation": deprivation,
        "deprivation_rows": deprivation_rows,
        "dimension_rows": dimension_rows,
        "supports": supports,
        "support_rows": support_rows,
        "activities": activities,
        "fund_rows": fund_rows,
        "funds": {"total": fmt.number(funds["total_vnd"]), "any": funds["total_vnd"] > 0,
                  "loan_households": fmt.number(funds["loan_households"]),
                  "loan_disbursed": fmt.number(funds["loan_disbursed_vnd"])},
        "submissions": {
            "received": fmt.number(sum(s["status"] != UnitStatus.MISSING for s in subs)),
            "expected": fmt.number(len(expected)),
            "on_time": fmt.number(sum(s.get("on_time") is True for s in subs)),
            "valid": fmt.number(len(valid)),
            "invalid": _names([s["unit_name"] for s in subs if s["status"] == UnitStatus.INVALID]),
            "error": _names([s["unit_name"] for s in subs if s["status"] == UnitStatus.ERROR]),
            "missing": _names([s["unit_name"] for s in expected if s["status"] == UnitStatus.MISSING]),
            "late": _names(late),
        },
        "submission_rows": submission_rows,
        "targets": targets,
        "synthesis": _synthesis(agg["narratives"], words["unit_kinds"].removeprefix("các "), not left_out),
        "narratives": [
            {"no": str(i), "unit_name": capitalise(n["unit_name"]), "results": n["results"] or "",
             "difficulties": n["difficulties"] or "", "proposals": n["proposals"] or ""}
            for i, n in enumerate(agg["narratives"], start=1)
        ],
        "sources": sources,
        "charts": chart_context(agg, config=config, period=period),
        "annexes": annex_context(agg, config=config, period=period, include_household_annex=include_household_annex),
        "timeliness": timeliness_context(agg.get("timeliness"), config=config),
        "version": version if version is not None else first_version(),
        "movement": movement.context(agg, config=config, period=period),
        "bridge": bridge_context(agg.get("bridge", []), config),
        "offices": offices_context(agg.get("offices"), config),
        "capacity": capacity_context(agg),
        "services": services_context(agg),
        "decisions": decisions_context(agg, config),
    }


def _jinja_env():
    import jinja2

    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)


def _visible_text(xml: str) -> str:
    """The text of an XML fragment with its markup removed (runs joined), for quoting in messages."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", "", xml)).strip()


# Inside a tag, what word processors put for the ASCII quotes a Jinja string needs: LibreOffice writes ' and "
# as XML entities, Word's and Writer's autocorrect types typographic quotes. Tags are given back their ASCII
# quotes before docxtpl prepares them (docxtpl itself maps “ ” ‘ ’ only).
_TAG_QUOTES = {"&apos;": "'", "&quot;": '"', "&#39;": "'", "&#34;": '"', "\u2018": "'", "\u2019": "'",
               "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
               "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"'}
_TAG_QUOTE_RE = re.compile("|".join(re.escape(k) for k in _TAG_QUOTES))
_TAG_IN_XML = re.compile(r"\{[{%#].*?[}%#]\}", re.DOTALL)
_TAG_IN_TEXT = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _ascii_quotes(text: str) -> str:
    return _TAG_QUOTE_RE.sub(lambda m: _TAG_QUOTES[m.group(0)], text)


def prepare_xml(xml: str) -> str:
    """A template part's XML as the report renders it: inside each tag (``{{ }}``, ``{% %}``, ``{# #}``, even
    split across runs), quotes a word processor changed are ASCII again — ``&apos;``/``&quot;`` written by
    LibreOffice, typographic quotes typed with autocorrect on. Text outside tags is left as it is."""
    # docxtpl's first step, done here too so that a tag whose braces are in two runs is seen whole
    xml = re.sub(r"(?<={)(<[^>]*>)+(?=[{%#])|(?<=[%}#])(<[^>]*>)+(?=})", "", xml, flags=re.DOTALL)
    return _TAG_IN_XML.sub(lambda m: _ascii_quotes(m.group(0)), xml)


def _patcher():
    """docxtpl's template class with :func:`prepare_xml` run before its own preparation (patch_xml)."""
    from docxtpl import DocxTemplate

    class PreparedDocxTemplate(DocxTemplate):
        def patch_xml(self, src_xml):
            return super().patch_xml(prepare_xml(src_xml))

    return PreparedDocxTemplate


def _places(xml: str) -> list[tuple[str, str]]:
    """Each paragraph of a part with where it is, in Vietnamese: ``(place, text)`` where place is "bảng thứ
    10 «Bảng 9. Tiến độ…», dòng 2, ô 4" for a table cell (the table's rank in the part, and its caption: the
    paragraph above it, when there is one) or "đoạn thứ 12 «Đến ngày…»" for a paragraph outside tables;
    text is the paragraph's runs joined."""
    from lxml import etree

    root = etree.fromstring(xml.encode("utf-8"))
    tables = list(root.iter(f"{_W}tbl"))
    out = []
    body_no = 0

    def text_of(p) -> str:
        return "".join(t.text or "" for t in p.iter(f"{_W}t"))

    def caption_of(tbl) -> str:
        prev = tbl.getprevious()
        while prev is not None and prev.tag == f"{_W}p" and not text_of(prev).strip():
            prev = prev.getprevious()
        if prev is not None and prev.tag == f"{_W}p":
            text = text_of(prev).strip()
            return f" «{text[:100]}{'…' if len(text) > 100 else ''}»"
        return ""

    for p in root.iter(f"{_W}p"):
        cell = next((a for a in p.iterancestors(f"{_W}tc")), None)
        if cell is None:
            body_no += 1
            text = text_of(p)
            out.append((f"đoạn thứ {body_no} «{text[:50].strip()}{'…' if len(text) > 50 else ''}»", text))
            continue
        row = cell.getparent()
        tbl = row.getparent()
        rows = [r for r in tbl if r.tag == f"{_W}tr"]
        cells = [c for c in row if c.tag == f"{_W}tc"]
        place = (f"bảng thứ {tables.index(tbl) + 1}{caption_of(tbl)}, dòng {rows.index(row) + 1}, "
                 f"ô {cells.index(cell) + 1}")
        out.append((place, text_of(p)))
    return out


_BLOCK_OPENERS = ("if", "for", "with", "filter", "macro", "call", "block")
_NO_PARSE = ("else", "raw", "endraw", *(f"end{w}" for w in (*_BLOCK_OPENERS, "set")))


def jinja_message_vi(exc) -> str:
    """A Jinja error (``jinja2.TemplateError``) said in Vietnamese for office staff: an unknown filter or test,
    a tag left open or mistyped, a missing condition, an unknown tag or character. Other messages give a
    generic "thẻ viết sai" (the English text is never shown)."""
    text = str(getattr(exc, "message", None) or exc)
    rules = [
        (r"No filter named '([^']*)'", "bộ lọc «{0}» không có"),
        (r"No test named '([^']*)'", "phép thử «{0}» không có"),
        (r"(?i)unexpected end of template", "thẻ chưa đóng hoặc viết sai (thiếu phần cuối của thẻ hoặc thẻ đóng)"),
        (r"expected token '([^']*)', got '([^']*)'", "thẻ chưa đóng hoặc viết sai (gặp «{1}» không đúng chỗ)"),
        (r"Expected an expression, got '([^']*)'", "thẻ thiếu biểu thức (biến hoặc điều kiện)"),
        (r"Encountered unknown tag '([^']*)'", "thẻ lệnh «{0}» không có hoặc đặt sai chỗ"),
        (r"unexpected char '?(.+?)'? at \d+", "ký tự «{0}» không dùng được trong thẻ"),
        (r"unexpected '([^']*)'", "gặp «{0}» không đúng chỗ"),
    ]
    for pattern, vi in rules:
        m = re.search(pattern, text)
        if m:
            return vi.format(*m.groups())
    return "thẻ viết sai"


def _short(tag: str, limit: int = 120) -> str:
    return tag if len(tag) <= limit else tag[:limit] + "…"


def _tag_fault(env, body: str) -> str | None:
    """The fault of one tag read on its own (``body``: ``{{ … }}`` or ``{% … %}`` without docxtpl's level
    letter), in Vietnamese, or None. A block tag is parsed with its closing tag added; unknown filters and
    tests are faults."""
    import jinja2
    from jinja2 import nodes

    if body.startswith("{#"):
        return None
    if body.startswith("{{"):
        source = body
        inner = body[2:-2]
    else:
        inner = body[2:-2]
        word = inner.split()[0] if inner.split() else ""
        if word in _NO_PARSE:
            return None
        if word == "elif":
            source = "{% if true %}" + body + "{% endif %}"
        elif word in _BLOCK_OPENERS:
            source = body + "{% end" + word + " %}"
        elif word == "set" and "=" not in inner:
            source = body + "{% endset %}"
        else:
            source = body
    if "{{" in inner or "{%" in inner:
        return "thẻ chưa đóng hoặc viết sai (thiếu dấu đóng trước thẻ tiếp theo trong đoạn)"
    try:
        ast = env.parse(source)
    except jinja2.TemplateError as exc:
        return jinja_message_vi(exc)
    for node in ast.find_all(nodes.Filter):
        if node.name not in env.filters:
            return f"bộ lọc «{node.name}» không có"
    for node in ast.find_all(nodes.Test):
        if node.name not in env.tests:
            return f"phép thử «{node.name}» không có"
    return None


def _table_of(place: str) -> str:
    return place.split(", dòng ")[0]


def _check_places(name: str, where: str, xml: str) -> None:
    """Faults a word processor leaves in tags, found paragraph by paragraph with their place (see
    :func:`check_template`)."""
    import jinja2

    env = _jinja_env()
    blocks: dict[str, list[tuple[str, str, str]]] = {}  # table → open {%tr for/if %} (keyword, place, tag)
    opened: list[tuple[str, str, str]] = []  # open {% if/for … %} outside {%tr %} (keyword, place, tag)
    for place, text in _places(xml):
        text = _ascii_quotes(text)
        rest = _TAG_IN_TEXT.sub("", text)
        for frag in ("{{", "{%", "{#"):
            if frag in rest:
                raise TemplateCheckError(
                    f"{where} ({name}), {place}: thẻ mẫu mở '{frag}' không đóng trong cùng đoạn (thẻ bị ngắt "
                    f"dòng hoặc bị tách); gần: «{rest[rest.index(frag):][:80]}»")
        for tag in _TAG_IN_TEXT.findall(text):
            level = re.match(r"\{%(tr|tc|p|r) ", tag)
            body = "{%" + tag[len(level.group(0)) - 1:] if level else tag
            try:
                list(env.lex(body))
            except jinja2.TemplateSyntaxError as exc:
                raise TemplateCheckError(
                    f"{where} ({name}), {place}: thẻ mẫu «{tag}» bị sửa hoặc gõ sai ({jinja_message_vi(exc)}); gõ "
                    "lại thẻ bằng chữ thường, dấu nháy thẳng ' hoặc \"") from exc
            fault = _tag_fault(env, body)
            if fault:
                raise TemplateCheckError(f"{where} ({name}), {place}: thẻ mẫu «{_short(tag)}» — {fault}")
            word = body[2:-2].split()[0] if body.startswith("{%") and body[2:-2].split() else ""
            if not (level and level.group(1) == "tr"):
                if word in _BLOCK_OPENERS:
                    opened.append((word, place, tag))
                elif word.startswith("end") and word[3:] in _BLOCK_OPENERS:
                    if not opened or opened[-1][0] != word[3:]:
                        raise TemplateCheckError(
                            f"{where} ({name}), {place}: thẻ «{tag}» không có thẻ mở {{% {word[3:]} … %}} tương ứng "
                            "trước nó (thẻ mở đã bị xóa, hoặc các thẻ bị đảo thứ tự)")
                    opened.pop()
            if level and level.group(1) == "tr":
                if " dòng " not in place:
                    raise TemplateCheckError(
                        f"{where} ({name}), {place}: thẻ «{tag}» chỉ đặt được trong một ô của bảng")
                word = body[2:-2].split()[0] if body[2:-2].split() else ""
                stack = blocks.setdefault(_table_of(place), [])
                if word in ("for", "if"):
                    stack.append((word, place, tag))
                elif word in ("endfor", "endif"):
                    if not stack or stack[-1][0] != word[3:]:
                        raise TemplateCheckError(
                            f"{where} ({name}), {place}: thẻ «{tag}» không có thẻ mở tương ứng trong cùng bảng "
                            "(dòng chứa thẻ đã bị chuyển, xóa hoặc đảo thứ tự)")
                    stack.pop()
    if opened:
        word, place, tag = opened[-1]
        raise TemplateCheckError(
            f"{where} ({name}), {place}: thẻ «{_short(tag)}» không có thẻ đóng {{% end{word} %}} (thẻ đóng đã bị xóa "
            "hoặc gõ sai)")
    for stack in blocks.values():
        if stack:
            word, place, tag = stack[-1]
            raise TemplateCheckError(
                f"{where} ({name}), {place}: thẻ «{tag}» không có thẻ đóng {{%tr end{word} %}} trong cùng bảng "
                "(dòng chứa thẻ đóng đã bị chuyển hoặc xóa)")


def _unknown_fields(ast, fields: dict[str, frozenset[str]]) -> list[str]:
    """``name.field`` uses (also ``name['field']``) in a parsed template whose field is not in ``fields`` —
    for a top-level variable, or for the loop variable of ``{% for r in <list variable> %}`` (a row's fields).
    Returned as written ("district.poor_rat"), in order of appearance."""
    from jinja2 import nodes

    out: list[str] = []

    def visit(node, rows: dict[str, str]) -> None:
        if isinstance(node, nodes.For):
            visit(node.iter, rows)
            inner = dict(rows)
            for target in node.target.find_all(nodes.Name) if not isinstance(node.target, nodes.Name) \
                    else [node.target]:
                inner.pop(target.name, None)
            if isinstance(node.target, nodes.Name) and isinstance(node.iter, nodes.Name) \
                    and node.iter.name in fields and node.iter.name not in rows:
                inner[node.target.name] = node.iter.name
            for child in [*node.body, *node.else_, *([node.test] if node.test else [])]:
                visit(child, inner)
            return
        attr = None
        if isinstance(node, nodes.Getattr):
            attr = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            attr = node.arg.value
        if attr is not None and isinstance(node.node, nodes.Name):
            name = node.node.name
            known = fields.get(rows[name]) if name in rows else fields.get(name)
            if known is not None and attr not in known:
                out.append(f"{name}.{attr}")
        for child in node.iter_child_nodes():
            visit(child, rows)

    visit(ast, {})
    return out

def check_template(path: Path = TEMPLATE, variables: frozenset[str] = TEMPLATE_VARIABLES,
                   fields: dict[str, frozenset[str]] | None = None) -> None:
    """Check a report template's own Jinja tags, before anything is rendered with it (never the output).

    Each part docxtpl renders (``word/document.xml``, headers, footers) is checked paragraph by paragraph,
    runs joined, quotes given back as :func:`prepare_xml` does: every tag opened is closed in its paragraph,
    each tag lexes as Jinja (a dash, ellipsis or non-breaking space a word processor put in a tag is refused),
    ``{%tr %}`` tags are in table cells and their ``for``/``if`` and ``endfor``/``endif`` pair up within one
    table. Then the part is prepared as the report renders it (:func:`prepare_xml`, then docxtpl's
    ``patch_xml``) and must parse as Jinja, use only top-level variables in ``variables`` (loop variables
    excepted) and only their fields in ``fields`` (default :data:`TEMPLATE_FIELDS`; a loop over a list
    variable: its rows' fields), and leave no tag fragment (``{{ }} {% %} {# #}``) in its literal text.
    Messages name the part and the place: the table (its caption, the paragraph above it, and its rank), row
    and cell, or the paragraph's rank and first words.

    Raises:
        TemplateCheckError: the first fault found, in Vietnamese.
        FileNotFoundError, zipfile.BadZipFile: ``path`` is missing or not a .docx.
    """
    import jinja2
    from jinja2 import meta

    fields = TEMPLATE_FIELDS if fields is None else fields
    env = _jinja_env()
    patcher = _patcher()(str(path))  # patch_xml only transforms a string; the document is not loaded
    where = f"Mẫu báo cáo {path.name}"
    with zipfile.ZipFile(path) as z:
        parts = sorted(n for n in z.namelist() if _TEMPLATE_PARTS.fullmatch(n))
        sources = {n: z.read(n).decode("utf-8") for n in parts}
    for name, xml in sources.items():
        _check_places(name, where, xml)
        patched = patcher.patch_xml(xml)
        patched = re.sub(r"<w:p([ >])", r"\n<w:p\1", patched)  # one paragraph a line, as the report renders
        try:
            ast = env.parse(patched)
            undeclared = meta.find_undeclared_variables(ast)
        except jinja2.TemplateError as exc:
            lines = patched.splitlines()
            line = (getattr(exc, "lineno", None) or 1) - 1
            near = _visible_text(lines[line] if 0 <= line < len(lines) else "")[:200]
            raise TemplateCheckError(
                f"{where} ({name}): thẻ mẫu sai cú pháp ({jinja_message_vi(exc)}); gần: «{near}»") from exc
        unknown = sorted(undeclared - variables)
        if unknown:
            found = [(place, text) for place, text in _places(xml)
                     if re.search(r"\b" + re.escape(unknown[0]) + r"\b", " ".join(_TAG_IN_TEXT.findall(text)))]
            at = f", {found[0][0]}" if found else ""
            raise TemplateCheckError(
                f"{where} ({name}){at}: dùng biến không có trong dữ liệu báo cáo: {', '.join(unknown)}")
        wrong = _unknown_fields(ast, fields)
        if wrong:
            spots = [place for place, text in _places(xml)
                     if re.search(re.escape(wrong[0]) + r"\b", " ".join(_TAG_IN_TEXT.findall(text)))]
            at = f", {spots[0]}" if spots else ""
            raise TemplateCheckError(
                f"{where} ({name}){at}: dùng trường không có trong dữ liệu báo cáo: "
                f"{', '.join(dict.fromkeys(wrong))} (danh sách biến và trường: templates/README.md)")
        for token in env.lex(patched):
            if token[1] != "data":
                continue
            text = _visible_text(token[2])
            stray = next((f for f in _TAG_FRAGMENTS if f in text), None)
            if stray:
                i = text.index(stray)
                raise TemplateCheckError(
                    f"{where} ({name}): mảnh thẻ mẫu {stray!r} lẻ loi trong văn bản; "
                    f"gần: «{text[max(i - 60, 0):i + 60]}»")


def _literal_template_class():
    """docxtpl's template class, minus its unescaping of ``{_{ }_} {_% %_}`` in the rendered part, and with
    the template's tags prepared by :func:`prepare_xml` first.

    docxtpl replaces those sequences after rendering so that a template can print tag characters; applied to
    the rendered part, it would also alter a value a commune typed ("{_{" would show as "{{"). The report
    template does not use them, so the rendered text is kept exactly as the values were.
    """

    class LiteralDocxTemplate(_patcher()):  # type: ignore[misc]  # docxtpl's class, imported when first needed
        def render_xml_part(self, src_xml, part, context, jinja_env=None):
            src_xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", src_xml)
            self.current_rendering_part = part
            dst_xml = jinja_env.from_string(src_xml).render(context)
            dst_xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", dst_xml)
            return self.resolve_listing(dst_xml)

    return LiteralDocxTemplate


def document_properties(agg: dict[str, Any], *, config: Config, period: Period) -> dict[str, Any]:
    """The report's core properties (File > Properties): a pure function of the inputs, so the same inputs
    give the same properties whatever the day the report is rendered.

    Keys: ``author`` and ``last_modified_by`` (the issuing office and its parent body, from ``document`` in
    the configuration), ``title`` (the report's title with its period), ``subject`` (the period and its
    cut-off), ``keywords`` (the period's code), ``category``, ``comments``, ``language``, and ``created`` =
    ``modified`` (aware UTC datetime): the latest arrival of the versions the aggregates used, or, when no
    file was received, 00:00 of the period's cut-off date (local time).
    """
    doc = _document(config, period)
    arrivals = [dt.datetime.fromisoformat(s["received_at"]) for s in agg["submissions"] if s.get("received_at")]
    stamp = max(arrivals) if arrivals else dt.datetime.combine(period.cutoff, dt.time(0), config.timezone)
    stamp = stamp.astimezone(dt.UTC).replace(microsecond=0)
    office = f"{doc['issuer']}, {doc['issuer_parent']}"
    return {
        "author": office,
        "last_modified_by": office,
        "title": "Báo cáo " + doc["summary_line"][:1].lower() + doc["summary_line"][1:],
        "subject": f"Kỳ báo cáo {period.label} {period.year} ({period.code}), số liệu đến ngày "
                   f"{fmt.date_vn(period.cutoff)}",
        "keywords": period.code,
        "category": "Báo cáo",
        "comments": f"Tổng hợp từ báo cáo của các đơn vị, số liệu đến ngày {fmt.date_vn(period.cutoff)}.",
        "language": "vi-VN",
        "created": stamp,
        "modified": stamp,
    }


def _standard_core_properties_relationship(document) -> None:
    """Give the package's relationship to its core properties the standard type, in place.

    LibreOffice writes it as ``…/officedocument/2006/relationships/metadata/core-properties``; python-docx
    looks for ``…/package/2006/relationships/metadata/core-properties`` only, and without it adds a second
    ``docProps/core.xml`` to the file (a zip with a name twice, which Word may refuse to open).
    """
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    for rel in document.part.package.rels.values():
        if rel.reltype.endswith("/metadata/core-properties") and rel.reltype != RT.CORE_PROPERTIES:
            rel._reltype = RT.CORE_PROPERTIES


LONG_TABLE_ROWS = 20
"""Rows from which a table is taken as longer than a page may hold (a province's 65 units)."""


def let_long_tables_split(body: Any) -> int:
    """Let each table of more than :data:`LONG_TABLE_ROWS` rows run on across pages: the template keeps a table's
    rows with the next ("keep with next", so a short table never splits), which pushes a long one whole to the next
    page and leaves its caption alone on a page. Its body rows lose that keep, except the first two after the
    heading rows (the heading never ends a page alone) and the last two (the total row never starts one alone).
    Returns how many tables were changed."""
    from docx.oxml.ns import qn

    changed = 0
    for tbl in body.iter(qn("w:tbl")):
        rows = tbl.findall(qn("w:tr"))
        if len(rows) <= LONG_TABLE_ROWS:
            continue
        heading = sum(1 for r in rows if r.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None)
        for row in rows[heading + 2:len(rows) - 2]:
            for keep in list(row.iter(qn("w:keepNext"))):
                keep.getparent().remove(keep)
        changed += 1
    return changed


def render_docx(context: dict[str, Any], out: Path, template: Path = TEMPLATE, *,
                properties: dict[str, Any] | None = None) -> Path:
    """Render ``template`` with ``context`` into ``out`` (autoescape on, undefined variables raise).

    Context values are data: each is rendered once, XML-escaped, and never parsed as a template, so braces,
    Jinja syntax or XML a commune typed show literally (a line break in a value becomes a line break).
    ``properties`` (:func:`document_properties`) are set as the document's core properties; without them
    only the author (the issuing office) and the title are set, from the context. Chart specs under
    ``context["charts"]`` are drawn and embedded as images (:func:`pipeline.render.charts.embed`). Is idempotent: the
    same context and properties give the same bytes (:func:`pipeline.files.normalise_docx`: zip members
    dated 01/01/1980, in a fixed order).

    Raises:
        jinja2.exceptions.UndefinedError: the template uses a variable the context lacks.
    """
    tpl = _literal_template_class()(str(template))
    tpl.init_docx()
    _standard_core_properties_relationship(tpl.docx)  # before docxtpl reads the properties
    context = embed(tpl, context)  # chart specs drawn into images of this template
    tpl.render(context, jinja_env=_jinja_env(), autoescape=True)
    let_long_tables_split(tpl.docx.element.body)
    if properties is None:
        d = context["doc"]
        office = f"{d['issuer']}, {d['issuer_parent']}"
        properties = {"author": office, "last_modified_by": office, "comments": "",
                      "title": "Báo cáo " + d["summary_line"][:1].lower() + d["summary_line"][1:]}
    core = tpl.docx.core_properties
    for key, value in properties.items():
        setattr(core, key, value)
    core.revision = 1
    out.parent.mkdir(parents=True, exist_ok=True)
    tpl.save(str(out))
    return normalise_docx(out)


def document_text(path: Path) -> str:
    """The visible text of a .docx's body, headers and footers: each paragraph's runs joined, one a line."""
    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    lines = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(n for n in z.namelist() if _TEMPLATE_PARTS.fullmatch(n)):
            root = etree.fromstring(z.read(name))
            for p in root.iter(f"{w}p"):
                lines.append("".join(t.text or "" for t in p.iter(f"{w}t")))
    return "\n".join(lines)


def audit(path: Path, unit_names: list[str]) -> None:
    """Check a rendered report before publishing it: every configured unit's name appears in its text, as
    stored ("xã Ma Nới", inside a sentence) or capitalised ("Xã Ma Nới", starting a line or a table cell).

    The rendered text is never searched for tag characters: it holds what communes typed, shown literally;
    the template's own tags are checked before rendering by :func:`check_template`.

    Raises:
        RenderError: a configured unit's name absent from the report.
    """
    text = document_text(path)
    # a name starts a table cell or a line capitalised ("Xã Ma Nới"), stays as stored inside a sentence
    missing = [n for n in unit_names if n not in text and capitalise(n) not in text]
    if missing:
        raise RenderError(f"Units neither reported nor listed in {path.name}: {missing}")


def stage_report(agg: dict[str, Any], *, config: Config, period: Period, root: Path,
                 version: dict[str, Any] | None = None, pdf: bool = True) -> Path:
    """Render and audit the report of ``period`` in ``work/<period>/staging/`` (owner-only), and its PDF
    beside it (:func:`pipeline.render.pdf.stage_pdf`); returns the .docx's path.

    Nothing is published. The template's own tags are checked first (:func:`check_template`). ``version``:
    see :func:`build_context`. ``pdf`` False: no PDF is made (and none of an earlier render stays), for a
    render only compared with a published version's files, of which the PDF is not one.

    Raises:
        TemplateCheckError: the template is broken; nothing is rendered.
        RenderError: the audit fails.
    """
    check_template(TEMPLATE)
    check_template(TECHNICAL_TEMPLATE)
    staging = report_staging_path(period, root)
    ensure_dir(staging.parent, private=True)
    staging.unlink(missing_ok=True)
    properties = document_properties(agg, config=config, period=period)
    context = build_context(agg, config=config, period=period, version=version)
    render_docx(context, staging, properties=properties)
    staging.chmod(private_modes()[0])
    technical = technical_annex_staging_path(period, root)
    technical.unlink(missing_ok=True)
    render_docx(context, technical, TECHNICAL_TEMPLATE,
                properties={**properties, "title": f"Phụ lục kỹ thuật báo cáo kỳ {period.code}"})
    technical.chmod(private_modes()[0])
    audit(staging, [s["unit_name"] for s in agg["submissions"]])
    stage_workbook(agg, config=config, period=period, properties=properties, root=root)  # the annexes as .xlsx
    if pdf:
        stage_pdf(staging)  # its PDF beside it; none (a warning logged) when LibreOffice is missing or fails
    else:
        staging.with_suffix(".pdf").unlink(missing_ok=True)
    return staging
