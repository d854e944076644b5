"""Feedback staff can act on: an annotated copy of their workbook and the period's status page.

* Annotated copy: ``feedback/<period>/<unit>/v<N>-<sha8>-gop-y.xlsx`` — the unit's own workbook with each
  failing cell filled (red: lỗi, yellow: cảnh báo) and a comment saying what is wrong and how to fix it,
  plus a sheet "Góp ý", first, shown on opening and printed first, listing every finding with a link to its
  cell. Values are written back as values (text, never formulas); macros are not kept; the archived original
  is never touched. Owner-only (a roster: personal data).
* Status page: ``reports/<year>/<6T|9T|CN>/trang-thai-<period>.html`` — static, self-contained HTML in
  Vietnamese, each unit's latest version, status and counts with a link to its annotated copy, and the
  findings masked by value (a value is shown only when its column is on the allow-list of non-personal
  columns and it has that column's shape, Decree 13/2023/NĐ-CP; see :func:`pipeline.schema.shown_value`).
  No hash: those are the technical view's (:mod:`pipeline.validate.datadocs`). A version that could not be
  checked because of a system error reads "lỗi hệ thống — cán bộ huyện đã được báo" wherever a unit looks,
  and is listed for district staff in a section of its own (file, unit, times, exception type; no value).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import urllib.parse
from pathlib import Path
from typing import Any

from pipeline import fmt, office_schema, schema
from pipeline.config import PROJECT_ROOT, Config, Period
from pipeline.files import atomic_path, ensure_dir, write_text
from pipeline.findings import ERROR, ValidationOutcome, read_outcome
from pipeline.intake.inbox import read_skipped, superseded_unattributed
from pipeline.ledger.state import unit_states
from pipeline.ledger.store import Ledger
from pipeline.ledger.timeliness import from_ledger, policy_from_config
from pipeline.paths import aggregates_path, data_docs_index_path, feedback_path, status_page_path
from pipeline.read.reader import SheetLayout
from pipeline.read.sources import existing_cells, trimmed_xlsx, value_at
from pipeline.render.bridge import bridge_context
from pipeline.render.timeliness import report_context as timeliness_context
from pipeline.staff.preflight import Item, preflight_of_states, summary_line
from pipeline.status import SYSTEM_ERROR, UNIT_LABELS, VERSION_LABELS, UnitStatus, VersionStatus
from pipeline.synthesis import capitalise
from pipeline.textvalue import plain_text
from pipeline.validate.rules import acceptance_words

RED = "FFC7CE"
YELLOW = "FFEB9C"




LABELLED_SHEETS = frozenset(schema.normalize_label(s) for s in (
    schema.SHEET_GENERAL, schema.SHEET_NARRATIVE, office_schema.SHEET_GENERAL))
"""Sheets of a label in column A and its value in column B (:func:`pipeline.read.reader.read_labelled`)."""
VALUE_COLUMN = 2
"""Column B: where a labelled sheet's value is typed, and so the cell to change."""


def _locate_column(ws: Any, header: str, row: int | None) -> int | None:
    """Column of the cell a finding asks to change.

    On a labelled sheet ("Thông tin chung", "Thuyết minh", "Thông tin cơ quan"; or any sheet whose column A holds
    the finding's label on its row) it is the value's column B, never the label's column A: a misspelt unit name
    is marked on B5, not on the label "Tên đơn vị" in A5. On a table sheet it is the column whose header (among
    the first 15 rows, or down to the finding's row: the offices' documents under the fund sources, wherever rows
    were inserted above them) is the finding's column; None when no header matches."""
    target = schema.normalize_label(header)
    if row is not None and schema.normalize_label(ws.title) in LABELLED_SHEETS:
        return VALUE_COLUMN
    if not target:
        return None
    if row is not None and schema.normalize_label(value_at(ws, row, 1)) == target:
        return VALUE_COLUMN
    for r in range(1, min(ws.max_row, max(15, row or 0)) + 1):
        for c in range(1, ws.max_column + 1):
            if schema.normalize_label(value_at(ws, r, c)) == target:
                return c
    return None


def _safe(value: Any) -> Any:
    """A value openpyxl can write: text made plain (:func:`pipeline.textvalue.plain_text`), others as given."""
    return plain_text(value) if isinstance(value, str) else value


def write_annotated(version: Any, outcome: ValidationOutcome, *, period: Period, root: Path, author: str
                    ) -> Path | None:
    """Write the annotated copy of ``version``'s workbook; None when the file is not a readable workbook.
    ``author``: who the cell comments are from (the compiling office's abbreviation, the setup's words).

    The sheet "Góp ý" comes first, is the sheet shown when the file is opened (the only one selected) and prints
    first, on A4 landscape one page wide with its header row repeated. Each finding is marked on the cell to
    change (:func:`_locate_column`), and its row of "Góp ý" names that cell with a link to it ("Ô cần sửa").
    Values are the findings' own (the unit's workbook: no masking, owner-only).

    Idempotent: the same version and outcome give the same annotations.
    """
    from openpyxl import Workbook, load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.hyperlink import Hyperlink

    try:  # the bounded, trimmed copy the reader parses: formatting far below the data costs nothing here either
        copy, _ = trimmed_xlsx(Path(version.archive_path), version.original_name)
        wb = load_workbook(io.BytesIO(copy), data_only=True, keep_vba=False)
    except Exception:  # noqa: BLE001 - not a workbook openpyxl can open within the limits (UnreadableSubmission
        wb = None  # included): the findings file still explains it
    marked: dict[int, tuple[str, str]] = {}  # finding's index → (sheet, cell) marked for it
    if wb is None:
        wb = Workbook()
        wb.worksheets[0].title = "Góp ý"
    else:
        for sheet_in in wb.worksheets:
            for cell in existing_cells(sheet_in):
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # a value, never a formula
        layouts: dict[str, Any] = {}
        errors_at: set[tuple[str, str]] = set()  # cells with an error: red whatever follows on them
        for i, f in enumerate(outcome.findings):
            ws = next((w for w in wb.worksheets if schema.normalize_label(w.title) == schema.normalize_label(f.sheet)),
                      None)
            if ws is None or f.row is None:
                continue
            col = _locate_column(ws, f.column, f.row)
            if col is None:
                continue
            if ws.title not in layouts:
                layouts[ws.title] = SheetLayout.of(ws)
            cell = ws.cell(*layouts[ws.title].top_left(f.row, col))  # a merge takes comments on its top-left
            marked[i] = (ws.title, cell.coordinate)
            if f.severity == ERROR:
                errors_at.add((ws.title, cell.coordinate))
            cell.fill = PatternFill("solid", fgColor=RED if (ws.title, cell.coordinate) in errors_at else YELLOW)
            text = f"[{f.severity.upper()}] {f.message}" + (f"\nCách sửa: {capitalise(f.fix)}" if f.fix else "")
            if cell.comment is not None:
                text = cell.comment.text + "\n\n" + text
            cell.comment = Comment(plain_text(text), author, width=320, height=160)
        if "Góp ý" in wb.sheetnames:  # a resubmitted annotated copy: replace the old list
            del wb["Góp ý"]
        wb.create_sheet("Góp ý", 0)
    sheet = wb["Góp ý"]
    sheet.append([_safe(f"Kết quả kiểm tra tệp {outcome.file} (SHA-256 {outcome.sha256[:12]}): "
                  f"{outcome.errors} lỗi, {outcome.warnings} cảnh báo")])
    sheet["A1"].font = Font(bold=True)
    sheet.append([*FEEDBACK_HEADERS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for i, f in enumerate(outcome.findings):
        where = marked.get(i)
        sheet.append([_safe(v) for v in (capitalise(f.severity), f.sheet, f.row, f.column, f.value, f.message,
                                         capitalise(f.fix) if f.fix else f.fix, where[1] if where else None)])
        if where is not None:  # a link to the cell to change, inside the workbook
            link = sheet.cell(sheet.max_row, len(FEEDBACK_HEADERS))
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"{_quoted(where[0])}!{where[1]}",
                                       display=where[1])
            link.font = Font(color="0563C1", underline="single")
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEFGH", (10, 18, 6, 30, 20, 60, 60, 10), strict=True):
        sheet.column_dimensions[letter].width = width
    _show_first(wb, sheet)
    out = feedback_path(version, period, root)
    ensure_dir(out.parent.parent.parent, private=True)  # feedback/: rosters of every unit
    with atomic_path(out, private=True) as tmp:  # the unit's roster: personal data, owner-only
        wb.save(tmp)
    return out


FEEDBACK_HEADERS = ("Mức độ", "Sheet", "Dòng", "Cột", "Giá trị", "Vấn đề", "Cách sửa", "Ô cần sửa")
"""The header row of the sheet "Góp ý" (row 2; one row per finding below it)."""


def _quoted(title: str) -> str:
    """A sheet name as a formula reference writes it: quoted, a quote inside doubled ('Thông tin chung')."""
    return "'" + title.replace("'", "''") + "'"


def _show_first(wb: Any, sheet: Any) -> None:
    """Make ``sheet`` (at index 0) the sheet shown when the workbook opens and the first printed: visible, the
    active and only selected tab (a tab left selected from the unit's file would group the sheets), the tab bar
    scrolled to it, and its page set up: A4 landscape, one page wide, row 2 (the headers) on every page."""
    sheet.sheet_state = "visible"
    wb.active = 0
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws is sheet
    for view in wb.views:
        view.firstSheet = 0
        view.activeTab = 0
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "2:2"
    sheet.print_options.gridLines = True


def _masked(f: Any, lists: dict[str, frozenset[str]]) -> dict[str, Any]:
    m = f.masked(lists)
    return {"severity": m.severity, "sheet": m.sheet, "row": m.row or "", "column": m.column, "value": m.value,
            "message": m.message, "fix": m.fix}


def _link(target: Path, page: Path) -> str | None:
    """A relative URL from the folder of ``page`` to ``target`` (works from ``file://`` and when the data root is
    served), or None when ``target`` does not exist (not written yet, or the version has no annotated copy)."""
    if not target.exists():
        return None
    return urllib.parse.quote(Path(os.path.relpath(target, page.parent)).as_posix())


def _preflight_context(items: list[Item]) -> dict[str, Any]:
    """The status page's preflight line and its items that would leave a gap (:mod:`pipeline.staff.preflight`)."""
    return {"summary": summary_line(items), "faults": [i.text for i in items if i.fault]}


def _system_errors(ledger: Any, config: Config, period: Period, local: Any) -> list[dict[str, str]]:
    """The period's versions whose reading or checking failed with a system error (ledger status ``error``),
    for district staff: file, unit (capitalised), version, received, last attempt and the exception's type (from
    the findings file) — names of files and units, times and a type: no cell value and no hash (hashes are the
    technical view's, :mod:`pipeline.validate.datadocs`)."""
    out = []
    for v in ledger.versions(period.code):
        if v.status != VersionStatus.ERROR:
            continue
        kind = ""
        if v.findings_path and Path(v.findings_path).exists():
            kind = read_outcome(Path(v.findings_path)).system_error or ""
        try:
            unit = f"{capitalise(config.unit(v.unit_code).full_name)} ({v.unit_code})" if v.unit_code \
                else "Chưa xác định"
        except KeyError:
            unit = v.unit_code
        out.append({"file": v.original_name, "unit": unit,
                    "version": str(v.version) if v.version else "", "received": local(v.received_at),
                    "failed": local(v.validated_at), "type": kind or "không rõ"})
    return sorted(out, key=lambda e: (e["unit"], e["file"]))


def write_status_page(period: Period, *, config: Config, ledger: Ledger, now: dt.datetime,
                      root: Path) -> Path:
    """Write the period's static status page (Vietnamese) from the ledger and findings files. Idempotent for
    the same ledger state and ``now``.

    A unit whose latest version hit a system error reads "Lỗi hệ thống — cán bộ huyện đã được báo" (not
    "Không hợp lệ"); every such version of the period is listed in the section for district staff. Versions
    received after the period's lock date and not reopened read "nhận sau ngày khóa sổ, chưa được mở lại"; the
    section on timeliness gives each unit's status, the rule that decided it and the reporting rates of the
    year so far (:mod:`pipeline.ledger.timeliness`). Once the period was aggregated, units that took over others
    (the 2025 reorganisation) are set beside their predecessors' sum, a difference marked for staff
    (:func:`pipeline.render.bridge.bridge_context`, from the latest ``aggregates.json``).

    A page for people: one row per unit (its latest version, when and how it arrived, its counts of errors and
    warnings), each unit's annotated workbook linked relatively (``../../../feedback/<period>/<unit>/v<N>-<sha8>-
    gop-y.xlsx``: it opens from ``file://`` and when the data root is served; linked only once written), unit names
    capitalised in every table ("Xã Ma Nới"), no hash (SHA-256 are the technical view's, linked from the page:
    :mod:`pipeline.validate.datadocs`). Self-contained: style inline, no script, nothing loaded from elsewhere."""
    import json

    import jinja2

    def local(t: dt.datetime | None) -> str:
        return fmt.local_time(t, config.timezone)

    lists = schema.shown_lists(config)
    page = status_page_path(period, root)
    timeliness = from_ledger(ledger, config, period, offices=True)
    reopened = {r.unit_code: r for r in ledger.reopenings(period.code)}  # the latest per unit
    rows = []
    states = unit_states(ledger, config, period, offices=True)
    for state in states:
        unit, latest = state.unit, state.latest
        findings = []
        if latest is not None and latest.findings_path and Path(latest.findings_path).exists():
            findings = [_masked(f, lists) for f in read_outcome(Path(latest.findings_path)).findings]
        status, status_class = UNIT_LABELS[state.status], str(state.status)
        if state.status == UnitStatus.MISSING and not unit.required:  # only requested to report: never missing
            status, status_class = "Chưa gửi (không bắt buộc)", "not-required"
        if state.newer is not None and state.used is not None:  # a newer version beside the one used
            newer = VersionStatus(state.newer.status)
            why = "có lỗi, cần gửi lại" if newer == VersionStatus.INVALID else (
                SYSTEM_ERROR if newer == VersionStatus.ERROR else VERSION_LABELS[VersionStatus.PENDING])
            status = (f"Phiên bản {state.newer.version}: {why}; báo cáo tạm dùng phiên bản "
                      f"{state.used.version} (hợp lệ)")
            status_class = str(UnitStatus.INVALID if newer == VersionStatus.INVALID else UnitStatus.ERROR)
        accepted = [
            {"what": acceptance_words(k),
             "justification": a["justification"], "by": a["accepted_by"], "at": local(a["accepted_at"])}
            for k, a in ledger.acceptance_records(period.code, unit.code).items()
        ]
        rows.append({
            "name": capitalise(unit.full_name),
            "code": unit.code,
            "status": config.fill(status, period.cutoff),
            "status_class": status_class,
            "latest_mtime": local(latest.file_mtime) if latest else "",
            "latest": latest,
            "latest_found": local(latest.found_at) if latest else "",
            "latest_received": local(latest.received_at) if latest else "",
            "latest_checked": latest is not None and VersionStatus(latest.status).checked,
            "latest_status": config.fill(VERSION_LABELS[VersionStatus(latest.status)], period.cutoff) if latest else "",
            "feedback": _link(feedback_path(latest, period, root), page) if latest else None,
            "findings": findings,
            "acceptances": accepted,
            "locked": [str(v.version) for v in state.locked],
            "reopening": {"by": reopened[unit.code].reopened_by, "at": local(reopened[unit.code].reopened_at),
                          "reason": reopened[unit.code].reason} if unit.code in reopened else None,
        })
    hidden = superseded_unattributed(ledger, period)  # an old partial copy of a file registered since
    unattributed = []  # each with its masked findings: why the file was refused or not attributed
    for v in ledger.versions(period.code, None):
        if v.id in hidden:
            continue
        found = []
        if v.findings_path and Path(v.findings_path).exists():
            found = [_masked(f, lists) for f in read_outcome(Path(v.findings_path)).findings if f.severity == ERROR]
        unattributed.append({"version": v, "findings": found[:5], "more": max(0, len(found) - 5),
                             "feedback": _link(feedback_path(v, period, root), page)})
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PROJECT_ROOT / "templates")),
        autoescape=True, undefined=jinja2.StrictUndefined,
    )
    aggregated = aggregates_path(period, root)
    compiled: dict[str, Any] = json.loads(aggregated.read_text(encoding="utf-8")) if aggregated.exists() else {}
    compared = (compiled.get("offices") or {}).get("reconciliation", [])
    bridge = bridge_context(compiled.get("bridge", []), config)
    for shown, raw in zip(bridge["rows"], compiled.get("bridge", []), strict=True):  # a name per cell, capitalised
        shown["predecessors"] = ", ".join(capitalise(n) for n in raw["predecessors"])
    html = env.get_template("trang_thai.html.j2").render(
        period=period, period_label=f"{period.label} {period.year}", deadline=local(period.deadline),
        generated=local(now), rows=rows, unattributed=unattributed, local=local,
        system_errors=_system_errors(ledger, config, period, local),
        tolerance_minutes=f"{policy_from_config(config).intake_tolerance.total_seconds() / 60:g}",
        skipped=read_skipped(period, root),
        timeliness=timeliness_context(timeliness, config=config),
        words=config.words(period.cutoff),
        bridge=bridge,
        preflight=_preflight_context(preflight_of_states(states, config=config, period=period)),
        reconciliation={"compared": sorted({(r["topic"], r["office"]) for r in compared}),
                        "differ": [{**r, "unit": capitalise(r["unit"])} for r in compared if r["beyond"]],
                        "tolerance": config.validation.get("reconciliation_tolerance_households") or 0},
        technical_view=urllib.parse.quote(
            Path(os.path.relpath(data_docs_index_path(period, root), page.parent)).as_posix()),
    )
    return write_text(page, html)  # district-facing, no personal data: 0644
