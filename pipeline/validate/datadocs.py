"""The technical view of a period's validations, for district staff: one self-contained HTML page.

``reports/<year>/<6T|9T|CN>/data-docs/index.html`` (the folder keeps its old name, Great Expectations' "Data
Docs", so links and the DAG's task ``data_docs`` stay as they were). GX's own Data Docs loaded about fourteen
scripts and style sheets from CDNs: offline the index was blank, and online each view contacted outside sites.
This page is rendered by our template ``templates/ky_thuat.html.j2`` with its style inline and no script, image
or font from anywhere: it opens from ``file://`` on a machine with no network, and served as it is.

What it shows, from the ledger and the results GX gave when each version was validated, as kept scrubbed to
counts (:mod:`pipeline.validate.results`; no workbook is read and nothing is validated again):

* every version received in the period: unit, file, SHA-256, times, verdict and counts;
* for each unit's latest version with results: each suite's evaluated, successful and failed expectations, and
  each failed expectation with the rows checked, the rows found and their Excel row numbers;
* the expectation suites as they ran: each expectation's type, columns, severity and description, and which
  units it failed for.

Never a cell value: no names, ethnicity or NCC category (Decree 13/2023/NĐ-CP); rows are found through the unit's
own feedback (household codes and Excel rows). Rebuilt from scratch on each call (idempotent for the same ledger
state and results: no clock is read) in a temporary folder beside the page's, then published at once
(``data-docs`` is a link switched atomically, :func:`pipeline.files.atomic_dir`): a failure or a kill while
building leaves the previous page. District-facing: 0644 / 0755.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

from pipeline import fmt
from pipeline.config import PROJECT_ROOT, Config, Period
from pipeline.files import atomic_dir
from pipeline.paths import data_docs_dir
from pipeline.status import VERSION_LABELS, VersionStatus
from pipeline.synthesis import capitalise
from pipeline.validate.results import read_counts, scrub

log = logging.getLogger(__name__)
TEMPLATE = "ky_thuat.html.j2"
INDEX = "index.html"
SEVERITY_LABELS = {"critical": "lỗi", "warning": "cảnh báo", "info": "thông tin"}
"""GX's ``severity`` of an expectation as the page words it (the findings' own words)."""
SHOWN_ROWS = 20
"""Excel rows listed per failed expectation; the count says how many there are in all."""
COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")
"""An expectation's arguments that name columns (frame keys, never values): the only arguments shown."""


def build_data_docs(period: Period, *, config: Config, ledger: Any, root: Path) -> Path | None:
    """Publish the period's technical view from the ledger and the kept results of each unit's latest version;
    returns its ``index.html``.

    Each configured unit's latest version in the ledger is detailed when its scrubbed results are on disk
    (:func:`pipeline.validate.results.read_counts`); a version no suite ran on (unreadable, a system error) or not
    validated yet is listed with the period's versions only. Returns None, publishing an empty folder, when no unit
    has results. Idempotent: the same ledger state and results write the same bytes.
    """
    site = data_docs_dir(period, root)
    kept = latest_results(period, config=config, ledger=ledger, root=root)
    with atomic_dir(site) as build:
        if kept:
            html = render_technical_view(period, config=config, ledger=ledger, kept=kept)
            (build / INDEX).write_text(html, encoding="utf-8")
    index = site / INDEX
    return index if kept and index.exists() else None


def latest_results(period: Period, *, config: Config, ledger: Any, root: Path
                   ) -> list[tuple[Any, dict[str, Any]]]:
    """``[(version, scrubbed results)]``: for each configured unit, its latest version and that version's
    results scrubbed to counts, when it has any suite result (ledger and ``work/`` only)."""
    out = []
    for unit in config.reporting_units_on(period.cutoff):
        versions = ledger.versions(period.code, unit.code)
        if not versions:
            continue
        counts = read_counts(period, versions[-1].sha256, root)
        if counts is None:
            log.info("Technical view %s: unit %s version %s has no kept results (not validated yet)", period.code,
                     unit.code, versions[-1].version)
            continue
        if counts["suites"]:
            out.append((versions[-1], counts))
    return out


def _unit_name(config: Config, code: str | None) -> str:
    """"Xã Ma Nới (22828)": a unit's name capitalised, as in every table; "Chưa xác định" for no unit."""
    if not code:
        return "Chưa xác định"
    try:
        return f"{capitalise(config.unit(code).full_name)} ({code})"
    except KeyError:
        return code


def _columns(kwargs: dict[str, Any]) -> str:
    """The columns an expectation checks, from its arguments (frame keys: "household_code, members_count")."""
    names: list[str] = []
    for key in COLUMN_KWARGS:
        value = kwargs.get(key)
        if isinstance(value, str):
            names.append(value)
        elif isinstance(value, list):
            names.extend(str(v) for v in value)
    return ", ".join(names)


def _expectation(entry: dict[str, Any], fill: Callable[[str], str]) -> dict[str, str]:
    """An expectation's identity as the page shows it: type, columns, severity, description (its setup words,
    "{area}" and the like, filled by ``fill`` as in the findings)."""
    conf = entry.get("expectation_config") or {}
    return {"type": str(conf.get("type") or ""), "columns": _columns(conf.get("kwargs") or {}),
            "severity": SEVERITY_LABELS.get(str(conf.get("severity") or ""), str(conf.get("severity") or "")),
            "description": fill(str(conf.get("description") or ""))}


def technical_context(period: Period, *, config: Config, ledger: Any, kept: list[tuple[Any, dict[str, Any]]]
                      ) -> dict[str, Any]:
    """The template's variables: ``versions`` (every version of the period, oldest first per unit), ``units``
    (each latest version with results: its suites' counts and failed expectations), ``suites`` (each suite's
    expectations, in the order they ran, with the units each failed for) and ``totals``."""
    def local(t: Any) -> str:
        return fmt.local_time(t, config.timezone)

    def fill(text: str) -> str:
        return config.fill(text, period.cutoff)

    versions = [{
        "unit": _unit_name(config, v.unit_code), "version": str(v.version) if v.version else "",
        "file": v.original_name, "sha256": v.sha256, "size_bytes": fmt.number(v.size_bytes),
        "received": local(v.received_at), "validated": local(v.validated_at),
        "status": config.fill(VERSION_LABELS[VersionStatus(v.status)], period.cutoff),
        "status_class": str(v.status),
        "errors": "" if v.errors is None else str(v.errors), "warnings": "" if v.warnings is None else str(v.warnings),
    } for v in sorted(ledger.versions(period.code), key=lambda v: (v.unit_code or "~", v.version or 0, v.id))]

    suites: dict[str, dict[str, Any]] = {}
    units = []
    totals = {"evaluated": 0, "successful": 0, "unsuccessful": 0}
    for version, counts in kept:
        name = _unit_name(config, version.unit_code)
        runs = []
        for entry in counts["suites"]:
            result = scrub(entry["result"])  # again: a file kept under an older rule shows no more than today's
            stats = result.get("statistics") or {}
            suite = suites.setdefault(entry["suite"], {"name": entry["suite"], "sheet": entry.get("sheet") or "",
                                                       "expectations": {}, "units": set()})
            failed = []
            for e in result["results"]:
                shown = _expectation(e, fill)
                key = (shown["type"], shown["columns"], shown["description"])
                listed = suite["expectations"].setdefault(key, {**shown, "failed_for": []})
                if e["success"]:
                    continue
                listed["failed_for"].append(version.unit_code or "")
                rows = e["meta"]["excel_rows"]
                failed.append({**shown, "checked": e["result"].get("element_count", ""),
                               "found": e["result"].get("unexpected_count", ""),
                               "rows": ", ".join(str(r) for r in rows[:SHOWN_ROWS]) + (" …" if len(rows) > SHOWN_ROWS
                                                                                        else ""),
                               "row_count": len(rows), "raised": e["exception_info"]["raised_exception"]})
            suite["units"].add(version.unit_code or "")
            run = {"suite": entry["suite"], "sheet": entry.get("sheet") or "", "success": bool(result["success"]),
                   "evaluated": int(stats.get("evaluated_expectations") or 0),
                   "successful": int(stats.get("successful_expectations") or 0),
                   "unsuccessful": int(stats.get("unsuccessful_expectations") or 0),
                   "gx_version": (result.get("meta") or {}).get("great_expectations_version") or "",
                   "failed": failed}
            for k in totals:
                totals[k] += run[k]
            runs.append(run)
        units.append({"name": name, "code": version.unit_code, "version": str(version.version or ""),
                      "file": version.original_name, "sha256": version.sha256,
                      "validated": local(version.validated_at), "runs": runs,
                      "evaluated": sum(r["evaluated"] for r in runs),
                      "unsuccessful": sum(r["unsuccessful"] for r in runs)})
    return {
        "period": period, "period_label": f"{period.label} {period.year}", "versions": versions, "units": units,
        "suites": [{"name": s["name"], "sheet": s["sheet"], "units": len(s["units"]),
                    "expectations": list(s["expectations"].values())} for s in suites.values()],
        "totals": totals, "words": config.words(period.cutoff),
    }


def render_technical_view(period: Period, *, config: Config, ledger: Any, kept: list[tuple[Any, dict[str, Any]]]
                          ) -> str:
    """The technical view's HTML (:data:`TEMPLATE`, Vietnamese, self-contained) from :func:`technical_context`."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(PROJECT_ROOT / "templates")), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template(TEMPLATE).render(**technical_context(period, config=config, ledger=ledger, kept=kept))
