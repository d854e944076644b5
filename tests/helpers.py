"""Test helpers: edit sample workbooks as a commune clerk would, and read reports as leadership would."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from docx import Document
from openpyxl import load_workbook

from pipeline import schema

SENT_AT = datetime.datetime(2023, 5, 2, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))


# The offices' samples (samples/<period>/<CODE>_co_quan.xlsx) fill only the sheets that concern them: one suite
# per sheet filled
OFFICE_SUITES = {"VHTT": ["office_general", "office_activities"],
                 "NN": ["office_general", "office_activities", "office_supports"],
                 "GDNN": ["office_general", "office_activities", "office_supports"],
                 "LDTB": ["office_general", "office_activities", "office_documents"],
                 "MTTQ": ["office_general", "office_supports", "office_funds"],
                 "NHCS": ["office_general", "office_loans"]}


def drop(files: Iterable[Path], inbox: Path, sent_at: datetime.datetime = SENT_AT) -> list[Path]:
    """Copy submission files into a drop folder as a commune would, stamped as sent at ``sent_at``."""
    inbox.mkdir(parents=True, exist_ok=True)
    out = []
    for src in files:
        dst = inbox / src.name
        shutil.copyfile(src, dst)
        os.utime(dst, (sent_at.timestamp(), sent_at.timestamp()))
        out.append(dst)
    return out


def reset_database(url: str) -> None:
    """Drop the ledger's tables and Alembic's version table from a test database (PostgreSQL)."""
    import sqlalchemy as sa

    from pipeline.ledger.store import metadata

    engine = sa.create_engine(url)
    with engine.begin() as c:  # every table of the schema at its head, then Alembic's
        for table in [*(t.name for t in reversed(metadata.sorted_tables)), "alembic_version"]:
            c.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    engine.dispose()


def header_columns(ws, header_row: int) -> dict[str, int]:
    """Column index by printed header of a sheet's header row."""
    return {str(c.value): c.column for c in ws[header_row] if c.value is not None}


def edit_roster(path: Path, household_code: str, **values: Any) -> int:
    """Set roster cells (by schema key) of one household in place; returns its Excel row."""
    wb = load_workbook(path)
    ws = wb[schema.SHEET_ROSTER]
    cols = header_columns(ws, schema.ROSTER_HEADER_ROW)
    headers = {f.key: f.header for f in schema.ROSTER_FIELDS}
    code_col = cols[headers["household_code"]]
    for r in range(schema.ROSTER_HEADER_ROW + 1, ws.max_row + 1):
        if ws.cell(r, code_col).value == household_code:
            for key, value in values.items():
                ws.cell(r, cols[headers[key]], value)
            wb.save(path)
            return r
    raise KeyError(household_code)


def summary_cells(path: Path) -> dict[str, tuple[Any, Any]]:
    """Raw (01/01, cut-off) cells of the summary sheet by indicator key, read with openpyxl only."""
    ws = load_workbook(path, data_only=True)[schema.SHEET_SUMMARY]
    by_label = {i.label: i.key for i in schema.SUMMARY_INDICATORS}
    out = {}
    for r in range(schema.SUMMARY_HEADER_ROW + 1, ws.max_row + 1):
        key = by_label.get(ws.cell(r, 2).value)
        if key:
            out[key] = (ws.cell(r, 4).value, ws.cell(r, 5).value)
    return out


def edit_summary(path: Path, key: str, baseline: Any = ..., current: Any = ...) -> None:
    """Overwrite one summary indicator's cells in place (``...`` leaves a cell as it is)."""
    wb = load_workbook(path)
    ws = wb[schema.SHEET_SUMMARY]
    label = schema.INDICATORS_BY_KEY[key].label
    for r in range(schema.SUMMARY_HEADER_ROW + 1, ws.max_row + 1):
        if ws.cell(r, 2).value == label:
            if baseline is not ...:
                ws.cell(r, 4).value = baseline
            if current is not ...:
                ws.cell(r, 5).value = current
            wb.save(path)
            return
    raise KeyError(key)


def roster_rows(path: Path) -> list[dict[str, Any]]:
    """Roster rows as dicts by schema key (raw cell values)."""
    ws = load_workbook(path, data_only=True)[schema.SHEET_ROSTER]
    cols = header_columns(ws, schema.ROSTER_HEADER_ROW)
    out = []
    for r in range(schema.ROSTER_HEADER_ROW + 1, ws.max_row + 1):
        row = {f.key: ws.cell(r, cols[f.header]).value for f in schema.ROSTER_FIELDS}
        if row["household_code"]:
            out.append(row)
    return out


def set_narrative(path: Path, key: str, text: str) -> None:
    """Overwrite one free-text section of "Thuyết minh"."""
    wb = load_workbook(path)
    ws = wb[schema.SHEET_NARRATIVE]
    header = next(f.header for f in schema.NARRATIVE_FIELDS if f.key == key)
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, 1).value == header:
            ws.cell(r, 2, text)
            wb.save(path)
            return
    raise KeyError(key)


def docx_tables(path: Path) -> list[list[list[str]]]:
    """Every table of a .docx as rows of cell texts."""
    doc = Document(str(path))
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


def docx_text(path: Path) -> str:
    """All paragraph text of a .docx, table cells included, one paragraph a line."""
    doc = Document(str(path))
    lines = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            for c in row.cells:
                lines.extend(p.text for p in c.paragraphs)
    return "\n".join(lines)


def find_row(table: list[list[str]], first_text: str) -> list[str]:
    """The first row of a table with a cell equal to ``first_text``."""
    for row in table:
        if first_text in row:
            return row
    raise KeyError(first_text)


def workspace_at(root: Path, *, pdf: bool = False):
    """The workspace of a test's own data root (the ledger, the configuration and the clock as the environment
    names them: a test that sets ``PIPELINE_LEDGER_URL`` gets that ledger). Reports get no PDF unless ``pdf``:
    LibreOffice takes about 2 s a report, and only the tests of the PDF look at it."""
    import dataclasses

    from pipeline.workspace import Workspace

    return dataclasses.replace(Workspace.from_environment(root=root), pdf=pdf)


def edited_sheet(source: Path, sheet: str, out: Path, edit: Callable[[Any], None]) -> Path:
    """A copy of workbook ``source`` at ``out`` with ``edit(worksheet)`` applied to its sheet ``sheet``."""
    wb = load_workbook(source)
    edit(wb[sheet])
    wb.save(out)
    return out


def edited_document_xml(source: Path, out: Path, edit: Callable[[str], str]) -> Path:
    """A copy of the .docx ``source`` at ``out`` with its word/document.xml passed through ``edit``, which must
    change it (an edit that finds nothing to change is the test's mistake)."""
    import zipfile

    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                xml = data.decode("utf-8")
                new = edit(xml)
                assert new != xml, f"the edit changed nothing in {source.name}"
                data = new.encode("utf-8")
            dst.writestr(item, data)
    return out


# A heading, caption, annex title or lead-in line ("Đề xuất, kiến nghị của các đơn vị:") as pdftotext prints it:
# it must never be a page's last line (keep with next).
HEADING = re.compile(r"^(?:[IVX]+\. [A-ZĐ]|\d+\. \S.{0,80}$|(?:Bảng|Biểu đồ|Biểu) \d+[a-z]?[.:] |Phụ lục [IVX]+$|"
                     r"[A-ZĐ][A-ZĐÀ-Ỹ ,\-]{15,}$|.*:$)")


def headings_at_page_foot(pdf: Path) -> list[tuple[int, str]]:
    """(page, line) for each page of ``pdf`` whose last printed line is a heading (:data:`HEADING`), read with
    pdftotext page by page."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    out = []
    for page in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True,
                              text=True, check=True, timeout=60).stdout
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines and HEADING.match(lines[-1]):
            out.append((page, lines[-1]))
    return out


def technical_annex(report: Path) -> Path:
    """The technical annex published beside ``report`` (receipt, timeliness, sources): ``…-ky-thuat.docx``."""
    return report.with_name(report.name.replace(".docx", "-ky-thuat.docx"))


class FixedClock:
    """A clock that stays where a test puts it (``clock.at += timedelta(...)``): a workspace's or a page's ``now``."""

    def __init__(self, at: datetime.datetime) -> None:
        self.at = at

    def __call__(self) -> datetime.datetime:
        return self.at
