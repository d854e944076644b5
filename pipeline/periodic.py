"""The periodic report's steps as plain functions: gather → validate (per submission) → aggregate → render.

The DAG's tasks call these and pass only what they return: paths, hashes, unit codes and counts — never
names or other personal data. Each step reads the files the previous one wrote under ``work/<period>/``:

* ``manifest.json``   gather: the configured units and the submission picked for each (or none);
* ``submissions/<sha256>.xlsx``  gather: a byte-for-byte copy of each file found in ``inbox/<period>/``;
* ``findings/<sha256>.json``     validate: the findings of one submission;
* ``aggregates.json`` aggregate: all figures of the report;
* ``reports/<year>/<6T|9T|CN>/bao-cao-<period>.docx``  render.

Rerun: every step overwrites its own outputs and nothing else, so rerunning a period (or back-filling an
old one) with the same inbox gives the same report.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from pipeline.config import Config, Period, data_dir
from pipeline.findings import ERROR, Finding, ValidationOutcome, read_outcome
from pipeline.read import sha256_of

log = logging.getLogger(__name__)
ACCEPTED_SUFFIXES = {".xlsx"}


def work_dir(period: Period, root: Path | None = None) -> Path:
    """``work/<period>/`` under the data root."""
    return (root or data_dir()) / "work" / period.code


def inbox_dir(period: Period, root: Path | None = None) -> Path:
    """``inbox/<period>/``: the drop folder of the period's submissions."""
    return (root or data_dir()) / "inbox" / period.code


def _peek_unit_code(path: Path, config: Config) -> str | None:
    """The unit code typed in "Thông tin chung" (None when the file cannot be read as a workbook)."""
    from pipeline.read import UnreadableSubmission, read_submission

    try:
        return read_submission(path, config).unit_code
    except UnreadableSubmission:
        return None


def gather(period: Period, *, config: Config, root: Path | None = None) -> list[dict[str, Any]]:
    """Find the period's submissions, keep byte-for-byte copies and pick one per unit.

    Files in ``inbox/<period>/`` (any name) are copied to ``work/<period>/submissions/<sha256><suffix>``;
    the original name is recorded, never used as a path. A unit is identified by the code typed inside the
    workbook. When a unit sent several files, the latest by modification time (then name) is used.

    Returns:
        One dict per submission to validate: ``path`` (str, the copy), ``sha256``, ``file`` (original name),
        ``unit_code`` (str or None). Configured units with no file are recorded as missing in
        ``manifest.json``. Idempotent.
    """
    inbox = inbox_dir(period, root)
    work = work_dir(period, root)
    store = work / "submissions"
    store.mkdir(parents=True, exist_ok=True)
    found = []
    for src in sorted(inbox.iterdir()) if inbox.is_dir() else []:
        if not src.is_file() or src.name.startswith((".", "~$")):
            continue
        digest = sha256_of(src)
        copy = store / f"{digest}{src.suffix.lower()}"
        if not copy.exists():
            shutil.copyfile(src, copy)
        unit = _peek_unit_code(copy, config) if src.suffix.lower() in ACCEPTED_SUFFIXES else None
        found.append({"path": str(copy), "sha256": digest, "file": src.name, "unit_code": unit,
                      "mtime": src.stat().st_mtime})
    chosen: dict[str, dict[str, Any]] = {}
    unattributed = []
    for item in sorted(found, key=lambda x: (x["mtime"], x["file"])):
        if item["unit_code"] in {u.code for u in config.units}:
            chosen[item["unit_code"]] = item
        else:
            unattributed.append(item)
    units = config.units_on(period.cutoff)
    manifest = {
        "period": period.code,
        "units": [
            {"unit_code": u.code, "submission": chosen[u.code]["sha256"] if u.code in chosen else None}
            for u in units
        ],
        "files": found,
    }
    (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    to_validate = [chosen[u.code] for u in units if u.code in chosen] + unattributed
    log.info("Period %s: %d file(s) found, %d unit(s) with a submission, %d unit(s) missing, %d unattributed",
             period.code, len(found), len(chosen), len(units) - len(chosen), len(unattributed))
    return [{k: v for k, v in item.items() if k != "mtime"} for item in to_validate]


def findings_path(period: Period, sha256: str, root: Path | None = None) -> Path:
    """``work/<period>/findings/<sha256>.json``."""
    return work_dir(period, root) / "findings" / f"{sha256}.json"


def validate_one(submission: dict[str, Any], *, config: Config, period: Period,
                 root: Path | None = None) -> dict[str, Any]:
    """Validate one gathered submission and write its findings file.

    Returns:
        ``{"findings_path", "sha256", "unit_code", "status", "errors", "warnings"}`` — no personal data.
    """
    from pipeline.validate import validate_submission

    outcome = validate_submission(Path(submission["path"]), config=config, period=period.code)
    outcome.file = submission["file"]
    if outcome.unit_code is None and outcome.errors == 0:
        outcome.findings.append(Finding(ERROR, "", None, "", submission["file"],
                                        "Không xác định được đơn vị báo cáo của tệp.",
                                        "Ghi đúng mã đơn vị ở sheet 'Thông tin chung'.", "gather"))
    path = outcome.write(findings_path(period, submission["sha256"], root))
    return {"findings_path": str(path), "sha256": outcome.sha256, "unit_code": outcome.unit_code,
            "status": outcome.status, "errors": outcome.errors, "warnings": outcome.warnings}


def load_inputs(period: Period, *, config: Config, root: Path | None = None) -> list[Any]:
    """Build :class:`pipeline.aggregate.UnitInput` for every configured unit from the manifest and findings.

    A unit whose submission has no findings file (its validation crashed) counts as invalid.
    """
    from pipeline.aggregate import UnitInput
    from pipeline.read import read_submission

    work = work_dir(period, root)
    manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
    files = {f["sha256"]: f for f in manifest["files"]}
    inputs = []
    for entry in manifest["units"]:
        unit = config.unit(entry["unit_code"])
        digest = entry["submission"]
        if digest is None:
            inputs.append(UnitInput(unit, "missing"))
            continue
        fpath = findings_path(period, digest, root)
        if not fpath.exists():
            outcome = ValidationOutcome(files[digest]["file"], digest, unit.code, period.code, [
                Finding(ERROR, "", None, "", "", "Chưa kiểm tra được tệp (lỗi hệ thống khi kiểm tra).",
                        "Liên hệ Phòng LĐ-TB&XH.", "pipeline")])
            inputs.append(UnitInput(unit, "invalid", outcome))
            continue
        outcome = read_outcome(fpath)
        if outcome.status != "valid":
            inputs.append(UnitInput(unit, "invalid", outcome))
            continue
        sub = read_submission(Path(files[digest]["path"]), config)
        inputs.append(UnitInput(unit, "valid", outcome, sub))
    return inputs


def aggregate_period(period: Period, *, config: Config, root: Path | None = None) -> str:
    """Aggregate the period's valid submissions into ``work/<period>/aggregates.json``; returns its path."""
    from pipeline.aggregate import aggregate

    agg = aggregate(load_inputs(period, config=config, root=root), config=config, period=period)
    out = work_dir(period, root) / "aggregates.json"
    out.write_text(json.dumps(agg, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return str(out)


def render_period(period: Period, *, config: Config, root: Path | None = None) -> str:
    """Render and publish the period's report from ``aggregates.json``; returns the .docx path."""
    from pipeline.render import render_report

    agg = json.loads((work_dir(period, root) / "aggregates.json").read_text(encoding="utf-8"))
    return str(render_report(agg, config=config, period=period, root=root))


def run_period(period: Period, *, config: Config, root: Path | None = None) -> str:
    """All steps in one process, without Airflow (for the command line and tests). Returns the .docx path."""
    for sub in gather(period, config=config, root=root):
        validate_one(sub, config=config, period=period, root=root)
    aggregate_period(period, config=config, root=root)
    return render_period(period, config=config, root=root)
