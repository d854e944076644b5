"""The periodic report's steps as plain functions: gather → validate (per unit) → status page, technical view,
aggregate → render.

The DAG's tasks call these and pass only what they return: paths, hashes, unit codes and counts — never
names or other personal data. Each step reads what the previous one wrote:

* ledger + ``archive/<period>/<sha256>.<ext>``  gather: the final intake pass registers and archives every
  new file of ``inbox/<period>/`` (see :mod:`pipeline.ledger.store`, :mod:`pipeline.intake.inbox`);
* ``work/<period>/results/<sha256>.json`` (Great Expectations' results, complete and scrubbed to counts),
  ``work/<period>/findings/<sha256>.json`` and ``feedback/<period>/<unit>/…-gop-y.xlsx``  validate: the one
  step that opens archived workbooks, once per version;
* ``reports/<year>/<6T|9T|CN>/trang-thai-<period>.html``  status_page: from the ledger and findings files;
* ``reports/<year>/<6T|9T|CN>/data-docs/``  data_docs: the Great Expectations site, built once from the
  scrubbed results;
* ``work/<period>/aggregates.json``  aggregate: all figures of the report;
* ``reports/<year>/<6T|9T|CN>/v<N>/bao-cao-<period>.docx``  render: from ``aggregates.json`` (and the previous
  version's copy of its aggregates, for the changes since), as a new version only when the inputs changed
  (:mod:`pipeline.publish.versions`).

Rerun: every step overwrites its own outputs and nothing else (the report excepted: a new version beside the
older ones, and only when its inputs changed); files already in the ledger are not
registered again and a version is re-validated only when its validation fingerprint changed, so
rerunning a period (or back-filling an old one) with the same inbox gives the same report.

Failure: a step that feeds the figures (gather, aggregate), publishes them (render) or refreshes the status
page or the Data Docs raises :class:`StepFailed`, naming the step and, when one is to blame, the file; that
step publishes nothing then. A unit whose validation fails (data errors) or crashes (system error) is that
unit's problem only: the report is still made, naming it. Every published file is written atomically
(:mod:`pipeline.files`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pipeline import codehash, schema
from pipeline.aggregate.movement import year_periods
from pipeline.aggregate.offices import OfficeInput
from pipeline.aggregate.tables import UnitInput, aggregate
from pipeline.config import Config, ConfigError, Period
from pipeline.files import crashpoint, ensure_dir, same_document, sha256_of, sweep_stale, write_text
from pipeline.findings import ERROR, Finding, ValidationOutcome, read_outcome
from pipeline.intake.inbox import InboxRefused, intake_pass
from pipeline.ledger.state import UnitState, unit_states
from pipeline.ledger.store import Ledger, LedgerMismatch, open_ledger
from pipeline.ledger.timeliness import from_ledger
from pipeline.paths import (
    aggregates_path,
    annex_workbook_staging_path,
    data_root,
    report_dir,
    report_name,
    report_path,
    technical_annex_staging_path,
    version_dir,
    work_root,
)
from pipeline.publish import versions
from pipeline.read.office import OfficeSubmission
from pipeline.read.staging import staged_submission
from pipeline.render.changes import version_context
from pipeline.render.report import TEMPLATE, stage_report, template_identity
from pipeline.staff.feedback import write_annotated, write_status_page
from pipeline.staff.preflight import preflight_of_aggregates, summary_line
from pipeline.status import SYSTEM_ERROR, UnitStatus
from pipeline.system_errors import error_type, log_system_error
from pipeline.validate.datadocs import build_data_docs
from pipeline.validate.run import Annotate, validate_unit
from pipeline.workspace import Workspace

log = logging.getLogger(__name__)
STEP_LABELS = {
    "resolve_period": "xác định kỳ báo cáo",
    "gather": "tiếp nhận lần cuối",
    "validate": "kiểm tra số liệu",
    "aggregate": "tổng hợp số liệu",
    "status_page": "cập nhật trang tình trạng",
    "data_docs": "cập nhật Data Docs",
    "render": "lập và công bố báo cáo",
}


STEP_KEPT = {
    "status_page": "Trang tình trạng chưa được cập nhật; trang đã công bố trước đó (nếu có) giữ nguyên.",
    "data_docs": "Data Docs chưa được cập nhật; bản đã công bố trước đó (nếu có) giữ nguyên.",
}
"""What a failed step leaves, for the steps that publish something other than the report."""


class StepFailed(RuntimeError):
    """A step of the periodic report failed: it published nothing (for gather, aggregate and render: no report).

    ``step`` is the step's name (``gather``, ``status_page``, ``data_docs``, ``aggregate``, ``render``, as the
    DAG's task ids), ``file`` the name of the file to blame or None. The message is Vietnamese and names
    both, and what stays published (:data:`STEP_KEPT`, else the previous report); it holds no cell value.
    ``final``: retrying cannot help (a setting staff must change: a refused inbox folder, another ledger); the
    DAG fails the task without retries.
    """

    def __init__(self, step: str, reason: str, *, period: str, file: str | None = None, final: bool = False) -> None:
        self.step, self.file, self.period, self.final = step, file, period, final
        where = f", tệp {file}" if file else ""
        kept = STEP_KEPT.get(step, "Báo cáo chưa được lập hay công bố lại; báo cáo đã công bố trước đó (nếu có) "
                                   "giữ nguyên.")
        super().__init__(f"Kỳ {period}: bước {step} ({STEP_LABELS.get(step, step)}) thất bại{where}: "
                         f"{reason.rstrip('.')}. {kept}")


def error_summary(exc: BaseException) -> str:
    """One line naming an exception: its type and the start of its text (300 characters), for messages that
    say which step failed. Only for system faults (database, files), whose text quotes no cell value."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


def _blamed_file(exc: BaseException, root: Path) -> str | None:
    """The file an OS error names, relative to the data root when under it."""
    name = getattr(exc, "filename", None)
    if not name:
        return None
    path = Path(str(name))
    try:
        return str(path.resolve().relative_to(data_root(root).resolve()))
    except ValueError:
        return str(path)


def resolve_period(config: Config, requested: str | None, when: dt.datetime) -> Period:
    """The period a run compiles: the requested code, else the latest period due at ``when`` that has units.

    Units change with administrative reforms (the configured communes end on 30/06/2025), so the latest due
    period may have no configured unit; then the latest earlier due period that has units is used. The one
    place for this rule (the DAG's Param, the command line).

    Args:
        requested: a period code (``2023-6T``) or empty / None for the latest due.
        when: an aware datetime (a run's ``run_after``, or now).

    Raises:
        ConfigError: the code is malformed, the requested period is of a year before the plan's
            (``plan.year``), the requested period has no configured unit, or no due period of the plan's
            years has units (Vietnamese messages).
    """
    requested = (requested or "").strip()
    plan_year = int(config.plan["year"])
    if requested:
        period = config.period(requested)
        if period.year < plan_year:
            raise ConfigError(
                f"Kỳ {period.code} có trước năm {plan_year} của kế hoạch mà báo cáo này phục vụ "
                f"({config.plan['issuer']}, năm {plan_year}): không lập báo cáo. Kiểm tra lại năm của kỳ báo cáo "
                f"(ví dụ {plan_year}-6T).")
        if not config.units_on(period.cutoff):
            raise ConfigError(
                f"Kỳ {period.code} không có đơn vị báo cáo nào trong cấu hình (không đơn vị nào còn hiệu lực "
                f"ngày {period.cutoff:%d/%m/%Y}). Kiểm tra danh sách đơn vị trong tệp cấu hình, hoặc chọn kỳ khác.")
        return period
    period = config.latest_period_due(when)
    for _ in range(80):  # 80 periods: over 26 years back
        if period.year < plan_year:
            break
        if config.units_on(period.cutoff):
            return period
        period = config.previous_period(period)
    raise ConfigError(
        f"Không có kỳ báo cáo nào đã đến hạn (tính đến {when.astimezone(config.timezone):%d/%m/%Y}) có đơn vị "
        "báo cáo trong cấu hình. Hãy ghi rõ kỳ báo cáo (ví dụ 2023-6T) hoặc cập nhật danh sách đơn vị.")


def gather(period: Period, *, config: Config, now: dt.datetime, workspace: Workspace) -> list[dict[str, Any]]:
    """Final intake pass, then one item per unit that has sent anything (and one for unattributed files).

    Every new file of ``inbox/<period>/`` is archived and registered in the ledger (see
    :func:`pipeline.intake.inbox.intake_pass`). Configured units with no file are missing, and so are all of
    them when the drop folder does not exist (nothing arrived yet). An inbox root or drop folder refused by
    :func:`pipeline.intake.inbox.inbox_refusal` — a symbolic link whose target is not one of
    ``intake.allowed_inbox_links`` (a mounted share the configuration allows), or not a folder — stops the
    run: a report with every unit missing would be wrong.

    Returns:
        ``[{"unit_code": str | None, "versions": int, "latest_sha256": str}]`` — codes, counts and hashes only.

    Raises:
        StepFailed: step ``gather`` — the inbox root or the drop folder is refused (the Vietnamese message
            names the folder and the fix: make it a real folder, or allow the link's target in configuration),
            or the data root belongs to another ledger (both ``final``: retrying cannot help), or the pass
            failed (ledger unreachable, inbox unreadable, …), with the file an OS error names.
    """
    root = workspace.root
    try:
        ensure_dir(work_root(root), private=True)  # staging, findings, aggregates: personal data
        ledger = open_ledger(workspace)
        intake_pass(period, config=config, ledger=ledger, now=now, root=root, final=True)
        items = []
        codes = [u.code for u in config.reporting_units_on(period.cutoff)] + [None]
        for code in codes:
            vs = ledger.versions(period.code, code)
            if vs:
                items.append({"unit_code": code, "versions": len(vs), "latest_sha256": vs[-1].sha256})
    except (InboxRefused, LedgerMismatch) as exc:  # not passing faults: their messages say what staff must change
        raise StepFailed("gather", str(exc), period=period.code, final=True) from exc
    except Exception as exc:
        raise StepFailed("gather", error_summary(exc), period=period.code, file=_blamed_file(exc, root)) from exc
    log.info("Period %s: %d unit(s) with submissions, %d configured", period.code,
             sum(i["unit_code"] is not None for i in items), len(codes) - 1)
    return items


def annotator(period: Period, root: Path, config: Config) -> Annotate:
    """The step validation calls once a version's findings are written: the annotated copy of its workbook
    for the unit's staff (:func:`pipeline.staff.feedback.write_annotated`)."""
    return functools.partial(write_annotated, period=period, root=root, author=config.words()["office_abbr"])


def validate_one(item: dict[str, Any], *, config: Config, period: Period, now: dt.datetime,
                 workspace: Workspace) -> dict[str, Any]:
    """Validate the versions of one unit that need it (see :func:`pipeline.validate.run.validate_unit`),
    writing the annotated copy of each version validated.

    Returns its summary: codes, versions, hashes, counts and the findings path — no personal data.
    """
    root = workspace.root
    result = validate_unit(item["unit_code"], config=config, ledger=open_ledger(workspace), period=period, now=now,
                           root=root, annotate=annotator(period, root, config))
    outcome = read_outcome(Path(result["findings_path"]))
    log.info("Unit %s, version %s: %d error(s), %d warning(s); version used for the report: %s",
             result["unit_code"], result["latest_version"], outcome.errors, outcome.warnings, result["used_version"])
    lists = schema.shown_lists(config)
    for finding in outcome.findings:
        log.info("%s", finding.masked(lists).as_text(outcome.file))
    return result


def validation_failure(result: dict[str, Any], config: Config) -> str:
    """Why a unit's mapped ``validate`` task fails, from :func:`validate_one`'s result: its latest version's
    errors and warnings, or a system error named by its exception type (never counted as the unit's error).
    Codes, counts, a type and a path only."""
    unit = result["unit_code"] or "(không xác định)"
    used = result["used_version"] or "không có"
    if result.get("system_error"):
        what = f"{config.fill(SYSTEM_ERROR)} ({result['system_error']}), tệp chưa được kiểm tra"
    else:
        what = f"{result['errors']} lỗi, {result['warnings']} cảnh báo"
    return (f"Đơn vị {unit}, phiên bản {result['latest_version']}: {what}; phiên bản dùng cho báo cáo: {used} — "
            f"xem {result['findings_path']}")


def intake_period(period: Period, *, config: Config, now: dt.datetime, workspace: Workspace,
                  stable_seconds: float | None = None) -> dict[str, int]:
    """One intake run for a period (the intake DAG): register new files, validate what needs it (writing the
    annotated copies), refresh the status page.

    Returns counts only: ``new_files``, ``validations``, ``units_valid``, ``units_invalid`` (invalid, system
    error or locked out), ``units_missing``. ``stable_seconds`` is passed to
    :func:`pipeline.intake.inbox.intake_pass`. Idempotent: a second run with no new file registers and
    validates nothing.
    """
    root = workspace.root
    ledger = open_ledger(workspace)
    new = intake_pass(period, config=config, ledger=ledger, now=now, root=root, stable_seconds=stable_seconds)
    validations = 0
    for code in [u.code for u in config.reporting_units_on(period.cutoff)] + [None]:
        if ledger.versions(period.code, code):
            validations += validate_unit(code, config=config, ledger=ledger, period=period, now=now, root=root,
                                         annotate=annotator(period, root, config))["validations"]
    write_status_page(period, config=config, ledger=ledger, now=now, root=root)
    states = unit_states(ledger, config, period, offices=True)
    return {
        "new_files": len(new),
        "validations": validations,
        "units_valid": sum(s.status == UnitStatus.VALID for s in states),
        "units_invalid": sum(s.status not in (UnitStatus.VALID, UnitStatus.MISSING) for s in states),
        "units_missing": sum(s.status == UnitStatus.MISSING for s in states),
    }


def _not_checked(state: UnitState, period: Period, config: Config) -> ValidationOutcome:
    """The outcome shown for a unit whose version could not be validated (crashed or pending)."""
    v = state.shown
    assert v is not None  # an error state always shows the version that could not be checked
    return ValidationOutcome(v.original_name, v.sha256, state.unit.code, period.code, [
        Finding(ERROR, "", None, "", "", "Chưa kiểm tra được tệp (lỗi hệ thống khi kiểm tra hoặc đang chờ kiểm tra).",
                config.fill("Không phải lỗi của đơn vị: {office_abbr} chạy lại việc kiểm tra."), "pipeline")])


def load_inputs(period: Period, *, config: Config, ledger: Ledger, root: Path) -> list[UnitInput]:
    """Build :class:`pipeline.aggregate.tables.UnitInput` for every configured unit from its state
    (:func:`pipeline.ledger.state.unit_states`, which decides the status and the version used): the outcome of
    the version shown, and for valid units the submission read from the version's staged frames.

    Raises:
        StepFailed: step ``aggregate`` — the ledger cannot be read, or the archived file of a valid version
            cannot be read (the file is named). The versions' frames come from staging
            (:mod:`pipeline.read.staging`): a rerun with nothing new opens no workbook.
    """
    try:
        states = unit_states(ledger, config, period)
    except Exception as exc:
        raise StepFailed("aggregate", error_summary(exc), period=period.code) from exc
    inputs = []
    for state in states:
        if state.status in (UnitStatus.MISSING, UnitStatus.LOCKED):
            inputs.append(UnitInput(state))
        elif state.status == UnitStatus.ERROR:
            inputs.append(UnitInput(state, _not_checked(state, period, config)))
        elif state.status == UnitStatus.INVALID:
            assert state.shown is not None  # an invalid state shows the version that decided it
            inputs.append(UnitInput(state, read_outcome(Path(str(state.shown.findings_path)))))
        else:
            used = state.used
            assert used is not None  # a valid state names the version used
            inputs.append(UnitInput(state, read_outcome(Path(str(used.findings_path))),
                                    _staged_used(state, period, config=config, root=root)))
    return inputs


def _staged_used(state: UnitState, period: Period, *, config: Config, root: Path) -> Any:
    """The submission of the version a valid ``state`` uses, from its staged frames (staged at intake: no workbook
    is opened).

    Raises:
        StepFailed: step ``aggregate`` — the archived file cannot be read (the file is named).
    """
    used = state.used
    assert used is not None  # a valid state names the version used
    try:
        return staged_submission(Path(used.archive_path), sha256=used.sha256, period=period, config=config,
                                 file_name=used.original_name, root=root)
    except Exception as exc:
        raise StepFailed("aggregate", error_summary(exc), period=period.code,
                         file=f"{used.original_name} (phiên bản {used.version} của {state.unit.full_name}, "
                              f"lưu trữ {Path(used.archive_path).name})") from exc


def load_office_inputs(period: Period, *, config: Config, ledger: Ledger, root: Path) -> list[OfficeInput]:
    """:class:`pipeline.aggregate.offices.OfficeInput` for every office of ``period``: its state and, when valid,
    its workbook from the version's staged frames.

    Raises:
        StepFailed: step ``aggregate`` — as :func:`load_inputs`.
    """
    try:
        states = [s for s in unit_states(ledger, config, period, offices=True) if s.unit.is_office]
    except Exception as exc:
        raise StepFailed("aggregate", error_summary(exc), period=period.code) from exc
    out = []
    for state in states:
        sub = _staged_used(state, period, config=config, root=root) if state.status == UnitStatus.VALID else None
        out.append(OfficeInput(state, sub if isinstance(sub, OfficeSubmission) else None))
    return out


def aggregate_period(period: Period, *, config: Config, workspace: Workspace) -> str:
    """Aggregate the period's valid submissions into ``work/<period>/aggregates.json``; returns its path.

    The year's earlier periods (for 2023-CN: 2023-6T and 2023-9T) are loaded too, from the ledger and their
    staged frames, for each household's trajectory and the comparison of the periods (the year table and
    chart 2 read the same ``year`` entry).

    The file is written atomically and owner-only (the annex list holds names).

    Raises:
        StepFailed: step ``aggregate`` failed; ``aggregates.json`` is left as it was.
    """
    root = workspace.root
    try:
        ledger = open_ledger(workspace)  # one ledger for the period, the year's earlier ones and timeliness
    except Exception as exc:
        raise StepFailed("aggregate", error_summary(exc), period=period.code) from exc
    inputs = load_inputs(period, config=config, ledger=ledger, root=root)
    earlier = [(p, load_inputs(p, config=config, ledger=ledger, root=root)) for p in year_periods(period, config)]
    offices = load_office_inputs(period, config=config, ledger=ledger, root=root)
    try:
        agg = aggregate(inputs, config=config, period=period, earlier=earlier,
                        timeliness=from_ledger(ledger, config, period), offices=offices)
        out = aggregates_path(period, root)
        ensure_dir(out.parent, private=True)
        write_text(out, json.dumps(agg, ensure_ascii=False, indent=1, default=str), private=True)
    except Exception as exc:
        raise StepFailed("aggregate", error_summary(exc), period=period.code) from exc
    return str(out)


def status_page_period(period: Period, *, config: Config, now: dt.datetime | None = None,
                       workspace: Workspace) -> str:
    """Refresh the period's status page from the ledger and the findings files (every unit's latest version
    with its findings masked, system errors, skipped files); returns its path. No workbook is opened.

    Runs after the validations whatever they gave (failures are what the page is for).

    Raises:
        StepFailed: step ``status_page`` failed (ledger unreadable, …); the page is left as it was.
    """
    root = workspace.root
    try:
        path = write_status_page(period, config=config, ledger=open_ledger(workspace), now=now or workspace.now(),
                                 root=root)
    except Exception as exc:
        raise StepFailed("status_page", error_summary(exc), period=period.code) from exc
    return str(path)


def data_docs_period(period: Period, *, config: Config, workspace: Workspace) -> str | None:
    """Build and publish the period's technical view once (a self-contained page in place of Great Expectations'
    Data Docs), from the results kept when each unit's latest version was validated
    (:mod:`pipeline.validate.datadocs`); returns its index.html or
    None when no unit has results. No workbook is opened, nothing is validated again.

    Raises:
        StepFailed: step ``data_docs`` failed; the previous site is left as it was.
    """
    root = workspace.root
    try:
        index = build_data_docs(period, config=config, ledger=open_ledger(workspace), root=root)
    except Exception as exc:
        raise StepFailed("data_docs", error_summary(exc), period=period.code) from exc
    return str(index) if index is not None else None


def fingerprint_components(agg: Mapping[str, Any], *, config: Config, period: Period,
                           template: Path = TEMPLATE) -> dict[str, Any]:
    """What a report version is a function of, as hashes (:func:`pipeline.publish.versions.fingerprint` over
    them): ``period`` (code), ``inputs`` (:func:`pipeline.publish.versions.inputs_of`), ``aggregates_sha256``
    (the aggregates, canonical JSON: the year series included, so nothing outside them is read),
    ``template_sha256`` (:func:`pipeline.render.report.template_identity`), ``config_sha256``
    (:func:`pipeline.publish.versions.config_hash`), ``code_sha256``
    (:func:`pipeline.codehash.render_code_hash`) and ``zlib`` (the compression library's version, which decides
    the .docx's compressed bytes)."""
    return {
        "period": period.code,
        "inputs": versions.inputs_of(agg),
        "aggregates_sha256": versions.canonical_sha256(agg),
        "template_sha256": template_identity(template),
        "config_sha256": versions.config_hash(config),
        "code_sha256": codehash.render_code_hash(),
        "zlib": zlib.ZLIB_RUNTIME_VERSION,
    }


def _stage_version(agg: dict[str, Any], *, config: Config, period: Period, root: Path,
                   context: dict[str, Any], pdf: bool = True) -> tuple[dict[str, Path], dict[str, Path]]:
    """Render and audit the report with the version ``context`` in the staging folder: (the files that make
    the version — the report, its annex workbook and its technical annex — and the files derived from it — its PDF, when
    ``pdf`` and LibreOffice could make it), by published name."""
    staged = stage_report(agg, config=config, period=period, root=root, version=context, pdf=pdf)
    workbook = annex_workbook_staging_path(period, root)
    technical = technical_annex_staging_path(period, root)
    files = {report_name(period): staged, workbook.name: workbook, technical.name: technical}
    staged_pdf = staged.with_suffix(".pdf")
    derived = {Path(report_name(period)).with_suffix(".pdf").name: staged_pdf} if staged_pdf.is_file() else {}
    return files, derived


def _renders_as(number: int, manifest: Mapping[str, Any], agg: dict[str, Any], *, config: Config, period: Period,
                root: Path) -> bool:
    """Whether today's code renders, from ``agg``, the same files as version ``number`` holds: rendered as
    that version (its own "changes since" section, from its manifest's components and the version before it)
    and compared with its files: the same bytes, or documents that say the same (:func:`pipeline.files.
    same_document`: an idle ``xml:space`` attribute aside). The PDF, derived, is not compared."""
    previous = versions.read_manifest(period, number - 1, root) if number > 1 else None
    previous_agg = versions.read_version_aggregates(period, number - 1, root) if number > 1 else None
    context = version_context(number, agg, manifest.get("components", {}), config=config, previous=previous,
                              previous_agg=previous_agg)
    files, _ = _stage_version(agg, config=config, period=period, root=root, context=context, pdf=False)
    kept = manifest.get("files", {})
    folder = version_dir(period, number, root)
    return set(files) == set(kept) and all(
        sha256_of(path) == kept[name] or same_document(path, folder / name) for name, path in files.items())


def render_period(period: Period, *, config: Config, workspace: Workspace) -> str:
    """Render the period's report from ``aggregates.json``, audit it and publish it as a version; returns the
    .docx path. Reads nothing else of the period (no ledger, no findings, no workbook) but the published
    versions (their manifests, and the previous version's aggregates for the changes since), and writes only
    its staging folder (``work/<period>/staging/``), from which the version store publishes ``v<N>/``.

    Under the period's versions lock (:func:`pipeline.publish.versions.versions_lock`):

    * the latest version is re-used when its fingerprint (:func:`fingerprint_components`) is the inputs';
    * else, when the units' files used are the latest version's (the code, the template, its wording files or
      the configuration changed), the report is rendered again as the latest version and compared with it:
      the same bytes mean the change did not change what the report says (code moved between modules, a
      comment edited), the fingerprint is recorded as equivalent and the version re-used;
    * else the report is rendered with the changes since the latest version
      (:func:`pipeline.render.changes.version_context`), with its annex workbook (part of the version) and
      its PDF (derived), and published as the next version.

    Raises:
        StepFailed: step ``render`` failed; the published versions are left as they were.
    """
    root = workspace.root
    try:
        agg = json.loads(aggregates_path(period, root).read_text(encoding="utf-8"))
        items = preflight_of_aggregates(agg, config=config, period=period)
        log.log(logging.WARNING if any(i.fault for i in items) else logging.INFO, "Period %s: %s", period.code,
                summary_line(items))
        for item in items:
            if item.fault:
                log.warning("Period %s preflight: %s", period.code, item.text)
        with versions.versions_lock(period, root):
            path = _publish(agg, config=config, period=period, root=root, pdf=workspace.pdf)
        sweep_stale(report_dir(period, root))  # temporaries of writers killed long ago (versions, pages, Data Docs)
    except Exception as exc:
        raise StepFailed("render", error_summary(exc), period=period.code) from exc
    return str(path)


def _publish(agg: dict[str, Any], *, config: Config, period: Period, root: Path, pdf: bool = True) -> Path:
    components = fingerprint_components(agg, config=config, period=period)
    fp = versions.fingerprint(components)
    latest = versions.latest_version(period, root)
    previous = versions.read_manifest(period, latest, root) if latest is not None else None
    if latest is not None and previous is not None and report_path(period, root, version=latest).is_file():
        if versions.reusable(previous, fp):
            log.info("Period %s: inputs unchanged since version %d, re-used", period.code, latest)
            versions.refresh_index(period, root)
            return report_path(period, root, version=latest)
        same_inputs = all(previous.get("components", {}).get(k) == components[k] for k in ("period", "inputs"))
        if same_inputs and _renders_as(latest, previous, agg, config=config, period=period, root=root):
            log.info("Period %s: version %d renders the same with today's code, re-used", period.code, latest)
            versions.record_equivalent(period, latest, fp, root)
            versions.refresh_index(period, root)
            return report_path(period, root, version=latest)
    number = (latest or 0) + 1
    previous_agg = versions.read_version_aggregates(period, latest, root) if latest is not None else None
    context = version_context(number, agg, components, config=config, previous=previous, previous_agg=previous_agg)
    files, derived = _stage_version(agg, config=config, period=period, root=root, context=context, pdf=pdf)
    crashpoint("render")
    created_from = None if previous is None else {
        "number": previous["number"], "fingerprint": previous.get("fingerprint"),
        "report_sha256": previous.get("report_sha256")}
    manifest = {"fingerprint": fp, "components": components, "created_from": created_from}
    folder = versions.publish_version(period, number, files, aggregates=agg, manifest=manifest, derived=derived,
                                      root=root)
    log.info("Period %s: version %d published (%s)", period.code, number, folder.name)
    return folder / report_name(period)


def run_period(period: Period, *, config: Config, now: dt.datetime | None = None, workspace: Workspace) -> str:
    """All steps in one process, without Airflow (for the command line and tests): gather, validate each unit,
    the Data Docs, aggregate, the status page (after aggregation, whatever it did, as in the DAG), render.
    Returns the .docx path.

    As in the DAG, a unit whose validation crashes is logged and shown as a system error in the report, and a
    failed status page or Data Docs is logged (at ERROR) without stopping the report, which does not use
    them; gather, aggregate and render stop the run.

    Raises:
        StepFailed: gather, aggregate or render failed; no report was published.
    """
    now = now or workspace.now()
    for item in gather(period, config=config, now=now, workspace=workspace):
        try:
            validate_one(item, config=config, period=period, now=now, workspace=workspace)
        except Exception as exc:  # noqa: BLE001 - one unit's crash is its system error, as a failed mapped task
            # frames and type only: a library's message may quote a cell value (personal data)
            log_system_error(log, "Unit %s: validation crashed (%s, system error); its version is reported as not "
                             "validated", item["unit_code"], error_type(exc), exc=exc)
    def besides(step: Callable[[], object]) -> None:
        try:
            step()
        except StepFailed as exc:  # its own output stays as it was; the report is still made, as in the DAG
            log.error("%s", exc)

    besides(lambda: data_docs_period(period, config=config, workspace=workspace))
    try:
        aggregate_period(period, config=config, workspace=workspace)
    finally:  # after aggregation, whatever it did (the page sets successors beside their predecessors' sum)
        besides(lambda: status_page_period(period, config=config, now=now, workspace=workspace))
    return render_period(period, config=config, workspace=workspace)
