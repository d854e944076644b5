"""Reading the offices' workbook (:mod:`pipeline.office_schema`) into canonical frames, with the same cell rules
as the communes' workbook (:mod:`pipeline.read.reader`): a cell that cannot be read is a finding naming its sheet,
row, column and value, never an exception; a sheet an office has nothing for may be left empty or missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import office_schema as o
from pipeline import schema
from pipeline.config import Config, Unit
from pipeline.files import sha256_of_open
from pipeline.findings import ERROR, WARNING, Finding
from pipeline.read.reader import (
    NoGeneralSheet,
    SheetLayout,
    Submission,
    UnreadableSubmission,
    _find_header_row,
    _map_columns,
    _read_narrative,
    _sheet,
    chosen_code,
    clean_code,
    clean_text,
    general_codes,
    parse_date,
    parse_whole_number,
    read_cell,
    read_labelled,
    read_submission,
    reader_limits,
)
from pipeline.read.sources import last_data_row, open_submission

_TOTAL = re.compile(r"^(tổng|cộng)\b", re.IGNORECASE)


@dataclass
class OfficeSubmission(Submission):
    """An office's workbook read: ``general`` by the keys of :data:`office_schema.GENERAL_FIELDS`, ``tables`` one
    frame per key of :data:`office_schema.TABLES` (its fields' keys plus ``excel_row``; counts and amounts Int64 in
    households, persons, sessions or đồng; ``task``, ``support``, ``source`` as codes, text not in the lists kept as
    typed; dates ``datetime.date``; an empty frame for an empty or missing sheet), ``narrative`` as the communes'."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def unit_code(self) -> str | None:
        """The office code typed in "Thông tin cơ quan", or None if absent."""
        code = self.general.get("office_code")
        return str(code) if code else None


def is_office_workbook(sheet_names: list[str]) -> bool:
    """Whether a workbook with these sheets is the offices' (its first sheet is "Thông tin cơ quan")."""
    target = schema.normalize_label(o.SHEET_GENERAL)
    return any(schema.normalize_label(n) == target for n in sheet_names)


def _lookups(config: Config) -> dict[str, dict[str, str]]:
    """Typed text (normalised) → code for the listed columns: a task by its code ("IV.1"), its label or both as the
    drop-down shows them; a kind of support and a fund source by label or code."""
    tasks: dict[str, str] = {}
    for t in config.plan.get("tasks", []):
        for text in (t["code"], t["label"], o.task_text(t), f"{t['code']} - {t['label']}",
                     f"{t['code']}. {t['label']}"):
            tasks[schema.normalize_label(text)] = t["code"]

    def coded(items: list[dict[str, Any]]) -> dict[str, str]:
        return {schema.normalize_label(x[k]): x["code"] for x in items for k in ("code", "label")}

    return {"task": tasks, "support": coded(config.reference.get("office_supports", [])),
            "fund": coded(config.reference["fund_sources"])}


def _read_general(ws: Any, sub: OfficeSubmission, config: Config) -> None:
    # the drop-down's "VHTT – name" and the period's name taken too
    read_labelled(ws, sub, o.SHEET_GENERAL, o.GENERAL_FIELDS, general_codes(config, "office_code", upper=True))
    code = sub.general["office_code"]
    office: Unit | None = config.office(code) if code else None
    listed = ", ".join(f"{u.code} ({u.name})" for u in config.offices)
    row = sub.general_rows.get("office_code")
    if code and office is None:
        sub.general["office_code"] = None  # not attributed to any office: its findings say why
        sub.findings.append(Finding(
            ERROR, o.SHEET_GENERAL, row, sub.headers[(o.SHEET_GENERAL, "office_code")], code,
            f"Mã cơ quan '{code}' không có trong danh sách cơ quan, đơn vị báo cáo.",
            f"Ghi một mã trong danh sách: {listed}." if listed else "Hỏi cán bộ tổng hợp mã của cơ quan.", "read"))
    name = sub.general.get("office_name")
    if office is not None and name and not office.matches_name(name):
        sub.findings.append(Finding(
            WARNING, o.SHEET_GENERAL, sub.general_rows.get("office_name"),
            sub.headers[(o.SHEET_GENERAL, "office_name")], name,
            f"Tên cơ quan khác tên của mã {office.code} trong danh sách ({office.name}); số liệu được tính cho "
            f"{office.name}.", "Kiểm tra lại mã và tên cơ quan.", "read"))


def _parse(f: schema.Field, raw: Any, cell: Any, lookups: dict[str, dict[str, str]]) -> Any:
    if f.kind == "count":
        return parse_whole_number(raw)
    if f.kind == "date":
        return parse_date(raw)
    if f.kind == "code":
        return (chosen_code(cell, 5) if f.key == "commune_code" else clean_code(cell)) or None
    text = clean_text(raw)
    if f.kind in lookups:
        return lookups[f.kind].get(schema.normalize_label(text), text) if text else None
    return text or None


def _no_header(sub: OfficeSubmission, key: str) -> None:
    sheet, _, first_header = o.TABLES[key]
    sub.findings.append(Finding(ERROR, sheet, None, first_header, "", f"Không tìm thấy dòng tiêu đề có cột "
                                f"'{first_header}'.", "Dùng đúng mẫu; không xóa dòng tiêu đề.", "read"))


def _read_table(ws: Any, sub: OfficeSubmission, key: str, config: Config, *, at: str | None = None,
                header_row: int | None = None, end: int | None = None) -> None:
    """Read the table ``key`` from ``ws`` into ``sub.tables``.

    ``at``: the sheet ``ws`` is when not the table's own of :data:`office_schema.TABLES` (a 2023 workbook's
    :data:`office_schema.TABLE_SHEETS_2023`): the sheet's layout and columns are kept under it, the table's findings
    and headers under the table's sheet, as the suites name it (:func:`pipeline.read.reader.locate_findings` then
    names the sheet the workbook has). ``header_row`` and ``end``: on a sheet of several tables, where this one's
    header row is (found by :func:`_read_shared`) and its last row (above the next table's header)."""
    sheet, fields, first_header = o.TABLES[key]
    at = at or sheet
    columns = [f.key for f in fields] + ["excel_row"]
    sub.tables[key] = pd.DataFrame(columns=columns)
    if header_row is None:
        header_row = _find_header_row(ws, first_header)
        if header_row is None:
            if last_data_row(ws, range(1, 11)) > 2:  # something typed, but not under the form's headers
                _no_header(sub, key)
            return
    cols, first_row = _map_columns(ws, header_row, fields, at, sub)
    for f in fields:
        if at != sheet:
            sub.headers[(sheet, f.key)] = sub.headers.get((at, f.key), f.header)
        sub.headers.setdefault((sheet, f.key), f.header)
        if f.required and f.key not in cols:
            sub.findings.append(Finding(ERROR, sheet, header_row, f.header, "", f"Thiếu cột bắt buộc '{f.header}'.",
                                        "Dùng đúng mẫu; không xóa hoặc đổi tên cột.", "read"))
    lookups = _lookups(config)
    layout = sub.layout.get(at, SheetLayout())
    last = last_data_row(ws, cols.values())
    records = []
    for r in range(first_row, min(last, end or last) + 1):
        raw_row = {k: layout.shown(ws, r, c) for k, c in cols.items()}
        texts = [clean_text(v) for k, v in raw_row.items() if k != "no" and clean_text(v)]
        if not texts or _TOTAL.match(texts[0]):
            continue  # a blank spacer or a total row
        rec: dict[str, Any] = {"excel_row": r}
        for f in fields:
            cell = layout.shown_cell(ws, r, cols[f.key]) if f.key in cols else None
            rec[f.key] = read_cell(sub, sheet, r, f, raw_row.get(f.key), partial(_parse, cell=cell, lookups=lookups))
        records.append(rec)
    sub.sheets_read.add(key)
    if records:
        frame = pd.DataFrame.from_records(records)
        for f in fields:
            frame[f.key] = frame[f.key].astype("Int64" if f.kind in ("count", "vnd") else "object")
        sub.tables[key] = frame[columns]


def _read_shared(ws: Any, sub: OfficeSubmission, keys: list[str], config: Config) -> None:
    """The tables ``keys`` stacked on one sheet (today's "Kinh phí, văn bản"), each under its own header row,
    found anywhere on the sheet (rows inserted above one move it down); a table's rows end above the next header
    (its title and blank rows between are not rows: only their column A, STT, holds text)."""
    found = {k: _find_header_row(ws, o.TABLES[k][2], limit=ws.max_row) for k in keys}
    starts = sorted(r for r in found.values() if r is not None)
    for k in keys:
        row = found[k]
        if row is None:
            sub.tables[k] = pd.DataFrame(columns=[f.key for f in o.TABLES[k][1]] + ["excel_row"])
            continue
        _read_table(ws, sub, k, config, header_row=row, end=next((r - 1 for r in starts if r > row), None))
    if not starts and last_data_row(ws, range(1, 11)) > 2:
        _no_header(sub, keys[0])


def read_office_submission(path: Path, config: Config, *, file_name: str | None = None,
                           sha256: str | None = None) -> OfficeSubmission:
    """Read an offices' workbook (.xlsx) laid out as :mod:`pipeline.office_schema` says.

    Args:
        path: the workbook.
        config: the offices, the plan's tasks and the reference lists (kinds of support, fund sources).
        file_name: the name the file was sent under, for messages (default: ``path``'s name).
        sha256: the file's hex SHA-256 when the caller knows it; otherwise it is computed.

    Returns:
        An :class:`OfficeSubmission`; problems with single cells are in ``findings``, not raised.

    Raises:
        UnreadableSubmission: the file is not an .xlsx workbook or lacks the sheet "Thông tin cơ quan".
    """
    name = file_name or path.name
    with path.open("rb") as fh:
        sub = OfficeSubmission(path=path, sha256=sha256 or sha256_of_open(fh))
        opened = open_submission(fh, name, limits=reader_limits(config))
    wb = opened.values
    ws = _sheet(wb, o.SHEET_GENERAL)
    if ws is None:
        raise UnreadableSubmission(f"Tệp {name} không có sheet '{o.SHEET_GENERAL}'.",
                                   "Dùng đúng mẫu báo cáo của cơ quan, đơn vị; không đổi tên hoặc xóa sheet.")
    sub.layout[o.SHEET_GENERAL] = SheetLayout.of(ws)
    _read_general(ws, sub, config)
    for key, (sheet, fields, _first) in o.TABLES.items():
        at = sheet
        sheet_ws = _sheet(wb, sheet)
        if sheet_ws is None and key in o.TABLE_SHEETS_2023:  # a 2023 workbook: the table on a sheet of its own
            at = o.TABLE_SHEETS_2023[key]
            sheet_ws = _sheet(wb, at)
        if sheet_ws is None:
            sub.tables[key] = pd.DataFrame(columns=[f.key for f in fields] + ["excel_row"])
            continue
        sub.layout.setdefault(at, SheetLayout.of(sheet_ws))
        together = [k for k, (s, _, _) in o.TABLES.items() if s == sheet]
        if at != sheet or len(together) == 1:
            _read_table(sheet_ws, sub, key, config, at=at)
        elif key == together[0]:  # today's sheet of several tables, read once
            _read_shared(sheet_ws, sub, together, config)
    narrative_ws = _sheet(wb, o.SHEET_NARRATIVE)  # the 2023 form's; today's has the narrative on the general sheet
    _read_narrative(narrative_ws if narrative_ws is not None else ws, sub, config)
    for f in schema.NARRATIVE_FIELDS:
        sub.narrative.setdefault(f.key, "")
    return sub


def read_workbook(path: Path, config: Config, *, file_name: str | None = None,
                  sha256: str | None = None) -> Submission:
    """Read a submission whichever form it is in: a commune's (:func:`pipeline.read.reader.read_submission`) or,
    when it has no "Thông tin chung" but has "Thông tin cơ quan", the offices' (:func:`read_office_submission`:
    an :class:`OfficeSubmission`). A commune's workbook is opened once; only the offices' is opened twice.

    Raises:
        UnreadableSubmission: the file is neither form's workbook, or cannot be read (as the readers).
    """
    try:
        return read_submission(path, config, file_name=file_name, sha256=sha256)
    except NoGeneralSheet as exc:
        if not is_office_workbook(exc.sheet_names):
            raise
    return read_office_submission(path, config, file_name=file_name, sha256=sha256)
