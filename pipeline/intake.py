"""Intake: register the files dropped in ``inbox/<period>/`` in the ledger and validate what needs it.

Used by the intake DAG (every few minutes) and as the periodic report's final pass. A file is registered
once per distinct content; validation runs again only when the validation fingerprint — the file's hash
plus the hashes of the expectation suites, the configuration, the code reading and validation import and
the versions of the libraries involved — has changed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
from pathlib import Path
from typing import Any

from pipeline.config import Config, Period, data_dir
from pipeline.findings import ERROR, Finding, ValidationOutcome
from pipeline.ledger import VIA_INTAKE, Ledger, Version, archive_file, arrival_tolerance, arrived_on_time
from pipeline.read import UnreadableSubmission, read_submission, sha256_of

log = logging.getLogger(__name__)


def rules_hash() -> str:
    """SHA-256 over the expectation suites, the configuration files, the code that reading and validation
    import and the versions of the libraries they use (see :func:`pipeline.codehash.rules_hash`)."""
    from pipeline.codehash import rules_hash as compute

    return compute()


def fingerprint(sha256: str, context: str = "") -> str:
    """The validation fingerprint of a file: its hash combined with :func:`rules_hash` and ``context`` (the
    previous period's version used for comparison and the accepted outliers)."""
    return hashlib.sha256(f"{sha256}:{rules_hash()}:{context}".encode()).hexdigest()


def _history_inputs(version: Version, *, config: Config, ledger: Ledger, period: Period
                    ) -> tuple[Period, Version | None, dict[str, str], str]:
    """From the ledger only: the previous period, the unit's latest valid version of it (or None), the
    outliers accepted for this period, and a text identifying them for the fingerprint."""
    prev_period = config.previous_period(period)
    if version.unit_code is None:
        return prev_period, None, {}, ""
    prev = [v for v in ledger.versions(prev_period.code, version.unit_code) if v.status == "valid"]
    accepted = ledger.acceptances(period.code, version.unit_code)
    context = f"{prev[-1].sha256 if prev else '-'}:{sorted(accepted.items())}"
    return prev_period, prev[-1] if prev else None, accepted, context


def _history(version: Version, prev_period: Period, prev: Version | None, accepted: dict[str, str], *,
             config: Config, period: Period) -> Any:
    """The :class:`pipeline.validate.History` to validate with (reads the previous workbook)."""
    from pipeline.validate import History

    if version.unit_code is None:
        return None
    previous = read_submission(Path(prev.archive_path), config) if prev is not None else None
    return History(previous=previous, previous_period=prev_period.code,
                   same_year=prev_period.year == period.year, accepted=accepted)


def history_for(version: Version, *, config: Config, ledger: Ledger, period: Period) -> Any:
    """The unit's history for validating ``version``: the previous period's latest valid version of the same
    unit (if any) and the outliers accepted for this period. Returns a ``pipeline.validate.History`` or None
    for an unattributed file."""
    prev_period, prev, accepted, _ = _history_inputs(version, config=config, ledger=ledger, period=period)
    return _history(version, prev_period, prev, accepted, config=config, period=period)


def _peek_unit(path: Path, config: Config) -> str | None:
    try:
        code = read_submission(path, config).unit_code
    except (UnreadableSubmission, ValueError, KeyError, OSError):  # unreadable: unattributed, findings say why
        return None
    return code if code in {u.code for u in config.units} else None


def _serialised(func: Any) -> Any:
    """Run an intake pass under the ledger's intake lock (:meth:`pipeline.ledger.Ledger.intake_lock`): listing,
    archiving and registering of two passes — the intake DAG and the report's final pass both fire at 00:00
    on a deadline day, and ``airflow dags test`` ignores pools — never interleave."""

    @functools.wraps(func)
    def wrapper(*args: Any, ledger: Ledger, **kwargs: Any) -> Any:
        with ledger.intake_lock():
            return func(*args, ledger=ledger, **kwargs)

    return wrapper


def _arrival_order(path: Path) -> tuple[float, str]:
    """Sort key of a pass's candidates: all are received at the pass's time, so by modification time, then
    name (a file gone since the listing sorts last)."""
    try:
        return path.lstat().st_mtime, path.name
    except OSError:
        return float("inf"), path.name


@_serialised
def intake_pass(period: Period, *, config: Config, ledger: Ledger, now: dt.datetime,
                root: Path | None = None) -> list[Version]:
    """Register every new file of ``inbox/<period>/`` (any name, any type).

    Each new distinct file is archived byte for byte and recorded with its unit (from the code inside the
    workbook), original name, SHA-256, size, its arrival ``received_at`` (``now``: when this pass first
    listed it), its modification time (information only), version number and timeliness
    (:func:`pipeline.ledger.arrived_on_time` with the configured tolerance). Files already registered are left
    alone. Idempotent. Runs under the ledger's intake lock; versions are numbered in order of arrival, then
    modification time, then name.

    Returns:
        The versions registered by this pass, in registration order.
    """
    inbox = (root or data_dir()) / "inbox" / period.code
    new: list[Version] = []
    if not inbox.is_dir():
        return new
    for src in sorted(inbox.iterdir(), key=_arrival_order):
        if not src.is_file() or src.name.startswith((".", "~$")) or src.name.endswith(".part"):
            continue
        digest = sha256_of(src)
        if ledger.find(period.code, digest) is not None:
            continue
        copy = archive_file(src, period, digest, root)
        mtime = dt.datetime.fromtimestamp(src.stat().st_mtime, tz=dt.UTC)
        version = ledger.register(
            period=period.code, unit_code=_peek_unit(copy, config), original_name=src.name, sha256=digest,
            size_bytes=copy.stat().st_size, found_at=now, file_mtime=mtime, archive_path=str(copy),
            received_at=now, received_via=VIA_INTAKE,
            on_time=arrived_on_time(now, period, via=VIA_INTAKE, tolerance=arrival_tolerance(config)),
        )
        new.append(version)
    log.info("Intake %s: %d new file(s)", period.code, len(new))
    return new


def findings_path(period: Period, sha256: str, root: Path | None = None) -> Path:
    """``work/<period>/findings/<sha256>.json``."""
    return (root or data_dir()) / "work" / period.code / "findings" / f"{sha256}.json"


def validate_version(version: Version, *, config: Config, ledger: Ledger, period: Period, now: dt.datetime,
                     root: Path | None = None) -> tuple[ValidationOutcome, bool]:
    """Validate one version unless its fingerprint is unchanged since its last validation.

    Writes the findings file and the annotated copy of the workbook for the unit's staff.

    Returns:
        (the outcome, whether validation actually ran).
    """
    from pipeline.findings import read_outcome

    prev_period, prev, accepted, context = _history_inputs(version, config=config, ledger=ledger, period=period)
    fp = fingerprint(version.sha256, context)
    out = findings_path(period, version.sha256, root)
    if version.fingerprint == fp and version.status != "pending" and out.exists():
        return read_outcome(out), False  # unchanged: not even the previous workbook is read
    history = _history(version, prev_period, prev, accepted, config=config, period=period)
    from pipeline.feedback import write_annotated
    from pipeline.validate import validate_submission

    outcome = validate_submission(Path(version.archive_path), config=config, period=period.code, history=history,
                                  file_name=version.original_name)
    outcome.file = version.original_name
    if version.unit_code is None and outcome.errors == 0:
        outcome.findings.append(Finding(ERROR, "", None, "", version.original_name,
                                        "Không xác định được đơn vị báo cáo của tệp.",
                                        "Ghi đúng mã đơn vị ở sheet 'Thông tin chung'.", "intake"))
    outcome.write(out)
    write_annotated(version, outcome, period=period, root=root)
    ledger.record_validation(version.id, status=outcome.status, errors=outcome.errors, warnings=outcome.warnings,
                             findings_path=str(out), fingerprint=fp, validated_at=now)
    return outcome, True


def validate_unit(unit_code: str | None, *, config: Config, ledger: Ledger, period: Period, now: dt.datetime,
                  root: Path | None = None) -> dict[str, Any]:
    """Validate every version of a unit that needs it and say which one the report will use.

    Returns (no personal data): ``unit_code``, ``status`` of the unit (valid: it has a valid version;
    invalid), ``used_version`` and ``used_sha256`` (latest valid, or None), ``latest_version``,
    ``latest_status``, ``errors`` and ``warnings`` of the latest version, ``validations`` (how many
    versions were actually validated now) and ``findings_path`` of the latest version.
    """
    ran = 0
    outcomes = {}
    for v in ledger.versions(period.code, unit_code):
        outcome, did = validate_version(v, config=config, ledger=ledger, period=period, now=now, root=root)
        outcomes[v.sha256] = outcome
        ran += did
    vs = ledger.versions(period.code, unit_code)
    valid = [v for v in vs if v.status == "valid"]
    latest = vs[-1]
    return {
        "unit_code": unit_code,
        "status": "valid" if valid else "invalid",
        "used_version": valid[-1].version if valid else None,
        "used_sha256": valid[-1].sha256 if valid else None,
        "latest_version": latest.version,
        "latest_status": latest.status,
        "errors": outcomes[latest.sha256].errors,
        "warnings": outcomes[latest.sha256].warnings,
        "validations": ran,
        "findings_path": str(findings_path(period, latest.sha256, root)),
    }


def open_periods(config: Config, root: Path | None = None) -> list[str]:
    """Period codes that have a drop folder ``inbox/<period>/`` (folders with other names are ignored)."""
    from pipeline.config import PERIOD_RE

    inbox = (root or data_dir()) / "inbox"
    if not inbox.is_dir():
        return []
    return sorted(p.name for p in inbox.iterdir() if p.is_dir() and PERIOD_RE.match(p.name))


def intake_period(period: Period, *, config: Config, now: dt.datetime, root: Path | None = None) -> dict[str, int]:
    """One intake run for a period: register new files, validate what needs it, refresh the status page.

    Returns counts only: ``new_files``, ``validations``, ``units_valid``, ``units_invalid``, ``units_missing``.
    Is idempotent: a second run with no new file registers and validates nothing.
    """
    from pipeline.feedback import write_status_page
    from pipeline.ledger import open_ledger, unit_versions_summary

    ledger = open_ledger(root)
    new = intake_pass(period, config=config, ledger=ledger, now=now, root=root)
    validations = 0
    for code in [u.code for u in config.units_on(period.cutoff)] + [None]:
        if ledger.versions(period.code, code):
            validations += validate_unit(code, config=config, ledger=ledger, period=period, now=now,
                                         root=root)["validations"]
    write_status_page(period, config=config, ledger=ledger, now=now, root=root)
    summary = unit_versions_summary(ledger, config, period)
    return {
        "new_files": len(new),
        "validations": validations,
        "units_valid": sum(s["status"] == "valid" for s in summary),
        "units_invalid": sum(s["status"] == "invalid" for s in summary),
        "units_missing": sum(s["status"] == "missing" for s in summary),
    }
