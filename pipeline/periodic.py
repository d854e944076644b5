"""The periodic report's steps as plain functions: gather → validate (per unit) → aggregate → render.

The DAG's tasks call these and pass only what they return: paths, hashes, unit codes and counts — never
names or other personal data. Each step reads what the previous one wrote:

* ledger + ``archive/<period>/<sha256>.<ext>``  gather: the final intake pass registers and archives every
  new file of ``inbox/<period>/`` (see :mod:`pipeline.ledger`, :mod:`pipeline.intake`);
* ``work/<period>/findings/<sha256>.json`` and ``feedback/<period>/<unit>/…-gop-y.xlsx``  validate;
* ``work/<period>/aggregates.json``  aggregate: all figures of the report;
* ``reports/<year>/<6T|9T|CN>/bao-cao-<period>.docx``, ``trang-thai-<period>.html`` and the Great
  Expectations Data Docs site ``data-docs/``  render.

Rerun: every step overwrites its own outputs and nothing else; files already in the ledger are not
registered again and a version is re-validated only when its validation fingerprint changed, so
rerunning a period (or back-filling an old one) with the same inbox gives the same report.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from pipeline.config import Config, Period, data_dir
from pipeline.findings import ERROR, Finding, ValidationOutcome, read_outcome

log = logging.getLogger(__name__)


def work_dir(period: Period, root: Path | None = None) -> Path:
    """``work/<period>/`` under the data root."""
    return (root or data_dir()) / "work" / period.code


def gather(period: Period, *, config: Config, now: dt.datetime, root: Path | None = None) -> list[dict[str, Any]]:
    """Final intake pass, then one item per unit that has sent anything (and one for unattributed files).

    Every new file of ``inbox/<period>/`` is archived and registered in the ledger (see
    :func:`pipeline.intake.intake_pass`). Configured units with no file are missing.

    Returns:
        ``[{"unit_code": str | None, "versions": int, "latest_sha256": str}]`` — codes, counts and hashes only.
    """
    from pipeline.intake import intake_pass
    from pipeline.ledger import open_ledger

    ledger = open_ledger(root)
    intake_pass(period, config=config, ledger=ledger, now=now, root=root)
    items = []
    codes = [u.code for u in config.units_on(period.cutoff)] + [None]
    for code in codes:
        vs = ledger.versions(period.code, code)
        if vs:
            items.append({"unit_code": code, "versions": len(vs), "latest_sha256": vs[-1].sha256})
    log.info("Period %s: %d unit(s) with submissions, %d configured", period.code,
             sum(i["unit_code"] is not None for i in items), len(codes) - 1)
    return items


def validate_one(item: dict[str, Any], *, config: Config, period: Period, now: dt.datetime,
                 root: Path | None = None) -> dict[str, Any]:
    """Validate the versions of one unit that need it (see :func:`pipeline.intake.validate_unit`).

    Returns its summary: codes, versions, hashes, counts and the findings path — no personal data.
    """
    from pipeline.intake import validate_unit
    from pipeline.ledger import open_ledger

    result = validate_unit(item["unit_code"], config=config, ledger=open_ledger(root), period=period, now=now,
                           root=root)
    outcome = read_outcome(Path(result["findings_path"]))
    log.info("Unit %s, version %s: %d error(s), %d warning(s); version used for the report: %s",
             result["unit_code"], result["latest_version"], outcome.errors, outcome.warnings, result["used_version"])
    for finding in outcome.findings:
        log.info("%s", finding.masked().as_text(outcome.file))
    return result


def load_inputs(period: Period, *, config: Config, root: Path | None = None) -> list[Any]:
    """Build :class:`pipeline.aggregate.UnitInput` for every configured unit from the ledger.

    Each unit's latest valid version is used; a unit with versions but none valid is invalid; with none,
    missing. A version whose findings file is absent (its validation crashed) counts as invalid.
    """
    from pipeline.aggregate import UnitInput
    from pipeline.ledger import open_ledger, unit_versions_summary
    from pipeline.read import read_submission

    inputs = []
    for item in unit_versions_summary(open_ledger(root), config, period):
        unit = config.unit(item["unit_code"])
        used, latest = item["used"], item["latest"]
        if latest is None:
            inputs.append(UnitInput(unit, "missing"))
            continue
        shown = used or latest
        fpath = Path(shown.findings_path) if shown.findings_path else None
        if fpath is None or not fpath.exists():
            outcome = ValidationOutcome(shown.original_name, shown.sha256, unit.code, period.code, [
                Finding(ERROR, "", None, "", "", "Chưa kiểm tra được tệp (lỗi hệ thống khi kiểm tra).",
                        "Liên hệ Phòng LĐ-TB&XH.", "pipeline")])
            inputs.append(UnitInput(unit, "invalid", outcome, version=shown))
            continue
        outcome = read_outcome(fpath)
        if used is None:
            inputs.append(UnitInput(unit, "invalid", outcome, version=latest))
            continue
        sub = read_submission(Path(used.archive_path), config)
        newer = latest if item["newer_failed"] else None
        inputs.append(UnitInput(unit, "valid", outcome, sub, version=used, newer_failed=newer))
    return inputs


def aggregate_period(period: Period, *, config: Config, root: Path | None = None) -> str:
    """Aggregate the period's valid submissions into ``work/<period>/aggregates.json``; returns its path."""
    from pipeline.aggregate import aggregate

    agg = aggregate(load_inputs(period, config=config, root=root), config=config, period=period)
    out = work_dir(period, root) / "aggregates.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(agg, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return str(out)


def render_period(period: Period, *, config: Config, now: dt.datetime | None = None, root: Path | None = None) -> str:
    """Render and publish the period's report from ``aggregates.json``, refresh the status page and the Data
    Docs; returns the .docx path."""
    from pipeline.datadocs import build_data_docs
    from pipeline.feedback import write_status_page
    from pipeline.ledger import open_ledger
    from pipeline.render import render_report

    agg = json.loads((work_dir(period, root) / "aggregates.json").read_text(encoding="utf-8"))
    path = render_report(agg, config=config, period=period, root=root)
    ledger = open_ledger(root)
    write_status_page(period, config=config, ledger=ledger, now=now or dt.datetime.now(dt.UTC), root=root)
    build_data_docs(period, config=config, ledger=ledger, root=root)
    return str(path)


def run_period(period: Period, *, config: Config, now: dt.datetime | None = None, root: Path | None = None) -> str:
    """All steps in one process, without Airflow (for the command line and tests). Returns the .docx path."""
    now = now or dt.datetime.now(dt.UTC)
    for item in gather(period, config=config, now=now, root=root):
        validate_one(item, config=config, period=period, now=now, root=root)
    aggregate_period(period, config=config, root=root)
    return render_period(period, config=config, now=now, root=root)
