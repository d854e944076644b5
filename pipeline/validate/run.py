"""Running and recording one version's validation: the validation fingerprint, the unit's history, the
outcome written (Great Expectations' results, the findings file) and the verdict recorded in the ledger.

A version is validated again only when its validation fingerprint — the file's hash plus the hashes of the
expectation suites, the configuration, the code reading and validation import and the versions of the
libraries involved (:func:`pipeline.codehash.rules_hash`), and the unit's history — has changed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline import codehash
from pipeline.config import Config, Period
from pipeline.files import crashpoint
from pipeline.findings import ERROR, WARNING, Finding, ValidationOutcome, read_outcome
from pipeline.ledger.state import unit_state
from pipeline.ledger.store import Ledger, Version
from pipeline.paths import findings_path
from pipeline.read.reader import Submission
from pipeline.read.staging import staged_submission
from pipeline.status import UnitStatus, VersionStatus
from pipeline.system_errors import error_type, log_system_error, system_error_finding
from pipeline.units import configured_predecessors
from pipeline.validate import rules
from pipeline.validate.results import counts_path, results_path, write_results
from pipeline.validate.rules import History, SuiteError

log = logging.getLogger(__name__)

Annotate = Callable[[Version, ValidationOutcome], object]
"""Writes the annotated copy of a version's workbook for the unit's staff (:func:`pipeline.staff.feedback.
write_annotated`), called once its findings are written and before its verdict is recorded; its result is ignored."""


def rules_hash() -> str:
    """SHA-256 over the expectation suites, the configuration files, the code that reading and validation
    import and the versions of the libraries they use (see :func:`pipeline.codehash.rules_hash`)."""
    return codehash.rules_hash()


def fingerprint(sha256: str, context: str = "") -> str:
    """The validation fingerprint of a file: its hash combined with :func:`rules_hash` and ``context`` (the
    previous period's version used for comparison and the accepted outliers)."""
    return hashlib.sha256(f"{sha256}:{rules_hash()}:{context}".encode()).hexdigest()


def _history_inputs(version: Version, *, config: Config, ledger: Ledger, period: Period
                    ) -> tuple[Period, list[Version], tuple[str, ...], dict[str, str], str]:
    """From the ledger only: the previous period, the versions to compare with, the names of the units they are
    of when they are a successor's predecessors (else empty), the outliers accepted for this period, and a text
    identifying them for the fingerprint.

    Within one unit's life the versions are its own latest valid one of the previous period (or none). A code that
    names another unit at the previous period's cut-off (22828: xã Ma Nới until 30/06/2025, xã Anh Dũng — Ma Nới
    and Hòa Sơn merged — from 01/07/2025) is a successor: it is compared with the sum of its predecessors' latest
    valid versions when every official predecessor is in the setup and has one
    (:func:`pipeline.units.configured_predecessors`), else with nothing — never with one predecessor alone as if
    it were itself."""
    prev_period = config.previous_period(period)
    if version.unit_code is None:
        return prev_period, [], (), {}, ""
    accepted = ledger.acceptances(period.code, version.unit_code)
    then, now = config.unit_on(version.unit_code, prev_period.cutoff), config.unit_on(version.unit_code, period.cutoff)
    prevs: list[Version] = []
    names: tuple[str, ...] = ()
    if then is not None and then is now:
        prevs = _latest_valid(ledger, prev_period, then.code)[-1:]
    elif now is not None:
        before, complete = configured_predecessors(config, now, prev_period.cutoff)
        latest = [_latest_valid(ledger, prev_period, u.code)[-1:] for u in before]
        if complete and all(latest):
            prevs, names = [v[0] for v in latest], tuple(u.full_name for u in before)
    context = f"{','.join(v.sha256 for v in prevs) or '-'}:{sorted(accepted.items())}"
    return prev_period, prevs, names, accepted, context


def _latest_valid(ledger: Ledger, period: Period, code: str) -> list[Version]:
    return [v for v in ledger.versions(period.code, code) if v.status == VersionStatus.VALID]


def _history(version: Version, prev_period: Period, prevs: list[Version], names: tuple[str, ...],
             accepted: dict[str, str], *, config: Config, period: Period, root: Path) -> Any:
    """The :class:`pipeline.validate.rules.History` to validate with: the previous version's staged frames, or for
    a successor the sum of its predecessors' (:func:`_summed`)."""
    if version.unit_code is None:
        return None
    staged = [staged_submission(Path(v.archive_path), sha256=v.sha256, period=prev_period, config=config,
                                file_name=v.original_name, root=root) for v in prevs]
    previous = _summed(staged) if names else (staged[0] if staged else None)
    return History(previous=previous, previous_period=prev_period.code,
                   same_year=prev_period.year == period.year, accepted=accepted, previous_units=names)


def _summed(subs: list[Submission]) -> Submission:
    """One submission standing for several units' (a successor's predecessors): the first's, with each indicator
    of the summary summed over all (Int64; NA where any is NA: a sum of unknown is unknown) and no households
    (their codes are the old units'; the roster is not compared)."""
    first = subs[0]
    values = ["value_baseline", "value_current"]
    frames = [s.summary.set_index("indicator")[values] for s in subs]
    total = frames[0].copy()
    for frame in frames[1:]:
        total = total.add(frame.reindex(total.index))
    summary = first.summary.copy()
    for column in values:
        summary[column] = summary["indicator"].map(total[column]).astype("Int64")
    return dataclasses.replace(first, summary=summary, roster=first.roster.iloc[0:0])


def validate_version(version: Version, *, config: Config, ledger: Ledger, period: Period, now: dt.datetime,
                     root: Path, annotate: Annotate | None = None) -> tuple[ValidationOutcome, bool]:
    """Validate one version unless its fingerprint is unchanged since its last validation.

    Writes Great Expectations' own results of the version, complete and scrubbed to counts
    (:func:`pipeline.validate.results.write_results`: ``work/<period>/results/``), then the findings file and
    (``annotate``) the annotated copy of the workbook for the unit's staff, all from this one validation. Any exception
    while reading or checking the file other than a broken suite is a system error: logged at ERROR with its
    traceback (frames and type, no message: :func:`pipeline.system_errors.log_system_error`), the version's
    outcome is :func:`system_error_outcome` and its ledger status ``error``, checked again by the next pass.

    Returns:
        (the outcome, whether validation actually ran).

    Raises:
        SuiteError: an expectation suite is broken (it concerns every file).
    """
    prev_period, prevs, names, accepted, context = _history_inputs(version, config=config, ledger=ledger,
                                                                   period=period)
    fp = fingerprint(version.sha256, context)
    out = findings_path(period, version.sha256, root)
    kept = (out, results_path(period, version.sha256, root), counts_path(period, version.sha256, root))
    if version.fingerprint == fp and VersionStatus(version.status).checked and all(p.exists() for p in kept):
        return read_outcome(out), False  # unchanged: not even the previous workbook is read
    try:
        history = _history(version, prev_period, prevs, names, accepted, config=config, period=period, root=root)
        outcome = rules.validate_submission(  # looked up on the module: tests replace it
            Path(version.archive_path), config=config, period=period.code, history=history,
            file_name=version.original_name, sha256=version.sha256,
            load=lambda: staged_submission(Path(version.archive_path), sha256=version.sha256, period=period,
                                           config=config, file_name=version.original_name, root=root))
    except SuiteError:
        raise  # a broken suite concerns every file: the run must fail
    except Exception as exc:  # noqa: BLE001 - a fault while reading or checking one file is that file's finding
        log_system_error(log, "Validation of version %s (%s, unit %s, period %s) failed: system error (%s)",
                         version.id, version.sha256[:12], version.unit_code or "unattributed", period.code,
                         error_type(exc), exc=exc)
        outcome = system_error_outcome(version, period, exc, config)
    outcome.file = version.original_name
    if version.unit_code is None and outcome.unit_code is not None and outcome.system_error is None:
        version = _attribute(version, outcome.unit_code, ledger=ledger, config=config)
    if version.unit_code is None and outcome.errors == 0:
        if outcome.unit_code is not None:  # its unit is known now, but a later version of the unit was sent
            outcome.findings.append(Finding(
                WARNING, "", None, "", version.original_name,
                f"Tệp của {config.unit(outcome.unit_code).full_name} chưa được ghi nhận cho đơn vị vì lỗi hệ thống "
                "lúc tiếp nhận, và đơn vị đã gửi phiên bản sau; báo cáo dùng phiên bản gửi sau.",
                "Không phải lỗi của đơn vị; không cần gửi lại.", "intake"))
        else:
            outcome.findings.append(Finding(ERROR, "", None, "", version.original_name,
                                            "Không xác định được đơn vị báo cáo của tệp.",
                                            "Ghi đúng mã đơn vị ở sheet 'Thông tin chung'.", "intake"))
    crashpoint("validate")  # validated, nothing written yet
    write_results(outcome, period=period, root=root)  # before the findings: a version with findings has its results
    outcome.write(out)
    try:
        if annotate is not None:
            annotate(version, outcome)
    except Exception as exc:  # noqa: BLE001 - the findings file and the status page still say everything
        log_system_error(log, "Annotated copy of version %s (%s) not written (%s)", version.id, version.sha256[:12],
                         error_type(exc), exc=exc)
    system_error = outcome.system_error is not None
    ledger.record_validation(version.id, status=outcome.status, errors=outcome.errors, warnings=outcome.warnings,
                             findings_path=str(out), fingerprint=None if system_error else fp, validated_at=now)
    if not system_error:  # word back to the unit, once per version (the DAG ``notices`` sends it)
        ledger.queue_notice(version, status=outcome.status, errors=outcome.errors, warnings=outcome.warnings, at=now)
    return outcome, True


def _attribute(version: Version, unit_code: str, *, ledger: Ledger, config: Config) -> Version:
    """An unattributed version whose unit reads now (intake could not read it: a system error, since fixed)
    given that unit when the numbering in order of arrival allows it (:meth:`Ledger.attribute`); else
    ``version`` unchanged."""
    unit = config.unit_on(unit_code, config.period(version.period).cutoff)
    attributed = ledger.attribute(version.id, unit_code, unit.valid_from if unit is not None else None)
    if attributed is None:
        log.warning("Version %s (%s) reads as unit %s, which has a later version: left unattributed", version.id,
                    version.sha256[:12], unit_code)
        return version
    log.warning("Version %s (%s) attributed to unit %s as its version %s (its unit was not read at intake)",
                version.id, version.sha256[:12], unit_code, attributed.version)
    return attributed


def system_error_outcome(version: Version, period: Period, exc: BaseException, config: Config) -> ValidationOutcome:
    """The outcome of a version whose reading or checking failed inside the pipeline: status ``error``, one
    error finding that says "lỗi hệ thống — cán bộ huyện đã được báo", not the unit's fault, no need to
    resend (:func:`pipeline.system_errors.system_error_finding`), and the exception's type only (its text
    may quote cell values). The version is checked again by the next pass (no fingerprint is stored)."""
    return ValidationOutcome(
        file=version.original_name, sha256=version.sha256, unit_code=version.unit_code, period=period.code,
        findings=[system_error_finding(exc, config)], system_error=error_type(exc),
    )


def validate_unit(unit_code: str | None, *, config: Config, ledger: Ledger, period: Period, now: dt.datetime,
                  root: Path, annotate: Annotate | None = None) -> dict[str, Any]:
    """Validate every version of a unit that needs it (:func:`validate_version`) and say which one the report
    will use (the unit's state, :func:`pipeline.ledger.state.unit_state`).

    Returns (no personal data): ``unit_code``, ``status`` of the unit (:class:`pipeline.status.UnitStatus`;
    for unattributed files ``invalid``), ``used_version`` and ``used_sha256`` (the version the report uses,
    or None), ``latest_version``, ``latest_status`` (:class:`pipeline.status.VersionStatus` of the latest
    version: ``error`` for a system error), ``errors`` and ``warnings`` of the latest version,
    ``system_error`` (the exception type of the latest version's system error, or None), ``validations``
    (how many versions were actually validated now) and ``findings_path`` of the latest version.
    """
    ran = 0
    outcomes = {}
    listed = ledger.versions(period.code, unit_code)
    for v in listed:
        outcome, did = validate_version(v, config=config, ledger=ledger, period=period, now=now, root=root,
                                        annotate=annotate)
        outcomes[v.sha256] = outcome
        ran += did
    # unattributed versions may have been given their unit meanwhile (:func:`_attribute`)
    vs = ledger.versions(period.code, unit_code) or [v for v in (ledger.find(period.code, v.sha256) for v in listed)
                                                     if v is not None]
    latest = vs[-1]
    state = unit_state(ledger, config, period, unit_code) if unit_code is not None else None
    used = state.used if state is not None else None
    return {
        "unit_code": unit_code,
        "status": str(state.status if state is not None else UnitStatus.INVALID),  # plain text for XCom
        "used_version": used.version if used is not None else None,
        "used_sha256": used.sha256 if used is not None else None,
        "latest_version": latest.version,
        "latest_status": latest.status,
        "errors": outcomes[latest.sha256].errors,
        "warnings": outcomes[latest.sha256].warnings,
        "system_error": outcomes[latest.sha256].system_error,
        "validations": ran,
        "findings_path": str(findings_path(period, latest.sha256, root)),
    }
