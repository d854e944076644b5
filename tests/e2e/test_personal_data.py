"""Personal data on a whole pipeline run: a name typed into every column of every sheet, spread over the eight
sample workbooks, is read or flagged but never reaches a district-facing output (the status page, the Data Docs
site, the logs, what the steps return). The masking rules themselves are tested in tests/pipeline/test_schema.py."""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import shutil
import unicodedata
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline import schema
from pipeline.findings import read_outcome
from tests.helpers import workspace_at

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "2023-6T"
HCM = dt.timezone(dt.timedelta(hours=7))
NAME = "Nguyễn Thị Hồng Nhung"


def _poison_targets() -> list[tuple[str, schema.Field]]:
    return [(sheet, f) for sheet, fields in schema.FIELDS_BY_SHEET.items() for f in fields]


def _poison(path: Path, targets: list[tuple[str, schema.Field]], value: str) -> dict[tuple[str, str], int]:
    """Type ``value`` into a data cell of each target column (label/value sheets: the value cell of the
    label); returns the Excel row used per (sheet, key)."""
    wb = load_workbook(path)
    used = {}
    for i, (sheet, f) in enumerate(targets):
        ws = wb[sheet]
        if sheet in (schema.SHEET_GENERAL, schema.SHEET_NARRATIVE):
            row = next(r for r in range(1, ws.max_row + 1)
                       if schema.normalize_label(ws.cell(r, 1).value) == schema.normalize_label(f.header))
            ws.cell(row, 2, value)
        else:
            header_row = schema.SUMMARY_HEADER_ROW if sheet == schema.SHEET_SUMMARY else schema.ROSTER_HEADER_ROW
            col = next(c.column for c in ws[header_row] if c.value == f.header)
            rows = [r for r in range(header_row + 1, ws.max_row + 1) if ws.cell(r, 2).value not in (None, "")]
            row = rows[i % len(rows)]
            ws.cell(row, col, value)
        used[(sheet, f.key)] = row
    wb.save(path)
    return used


def _submission_holds(sub, sheet: str, key: str, part: str) -> bool:
    """Whether the read submission carries text containing ``part`` in field ``key`` of ``sheet``."""
    if sheet == schema.SHEET_GENERAL:
        return part in str(sub.general.get(key))
    if sheet == schema.SHEET_NARRATIVE:
        return part in str(sub.narrative.get(key))
    frame = {schema.SHEET_ROSTER: sub.roster, schema.SHEET_MEMBERS: sub.members,
             schema.SHEET_SUMMARY: sub.summary}[sheet]
    return key in frame.columns and frame[key].astype(str).str.contains(part).any()


NOT_READ = {(schema.SHEET_SUMMARY, "no"), (schema.SHEET_SUMMARY, "unit"), (schema.SHEET_SUMMARY, "label"),
            (schema.SHEET_MEMBERS, "no")}
"""Columns the reader does not take values from (an unrecognised indicator label leaves its row unread)."""


@pytest.mark.slow
def test_name_in_every_column_never_reaches_district_outputs(config, tmp_path, monkeypatch, caplog):
    """A name typed into each of the 55 columns and fields (spread over the 8 units' workbooks, each column
    proven read or flagged) is absent from the status page, the Data Docs site, the logs and every dict the
    steps return — in NFC, NFD, escaped or partial form. Slow because it runs the intake, the validation of
    every unit and the Data Docs build on the eight sample workbooks, with a name in every column."""
    from pipeline.ledger.store import open_ledger
    from pipeline.orchestrator import gather, intake_period, validate_one
    from pipeline.read.reader import read_submission
    from pipeline.validate.datadocs import build_data_docs

    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    period = config.period("2023-6T")
    inbox = tmp_path / "inbox" / period.code
    inbox.mkdir(parents=True)
    samples = sorted(SAMPLES.glob("[0-9]*.xlsx"))  # the communes': the offices' forms hold no household
    targets = _poison_targets()
    assert len(targets) == 55
    placed: dict[str, list[tuple[str, schema.Field]]] = {}
    for i, target in enumerate(targets):
        placed.setdefault(samples[i % len(samples)].name, []).append(target)
    for src in samples:
        dst = inbox / src.name
        shutil.copyfile(src, dst)
        _poison(dst, placed[src.name], NAME)

    caplog.set_level(logging.INFO)
    now = dt.datetime(2023, 5, 3, 8, 0, tzinfo=HCM)
    returned = [intake_period(period, config=config, now=now, workspace=workspace_at(tmp_path))]
    items = gather(period, config=config, now=now, workspace=workspace_at(tmp_path))
    returned.append(items)
    returned += [validate_one(item, config=config, period=period, now=now,
                              workspace=workspace_at(tmp_path)) for item in items]
    ledger = open_ledger(workspace_at(tmp_path))
    index = build_data_docs(period, config=config, ledger=ledger, root=tmp_path)
    assert index is not None and index.is_file()

    # every poisoned column was exercised: flagged by a finding that holds the name, or read as data
    flagged, read_as_data, not_read = set(), set(), set()
    versions = {Path(v.archive_path).read_bytes(): v for code in [u.code for u in config.units] + [None]
                for v in ledger.versions(period.code, code)}
    assert len(versions) == 8
    for src in samples:
        version = versions[(inbox / src.name).read_bytes()]
        findings = read_outcome(Path(version.findings_path)).findings
        sub = read_submission(Path(version.archive_path), config)
        for sheet, f in placed[src.name]:
            if any(x.sheet == sheet and schema.normalize_label(x.column) == schema.normalize_label(f.header)
                   and "Nhung" in x.value for x in findings):
                flagged.add((sheet, f.key))
            elif _submission_holds(sub, sheet, f.key, "Nhung"):
                read_as_data.add((sheet, f.key))
            else:
                not_read.add((sheet, f.key))
    assert not_read == NOT_READ
    assert flagged | read_as_data | not_read == {(s, f.key) for s, f in targets}
    # columns of numbers, flags, dates, statuses, codes checked against the configuration refuse a name, and so
    # does the roster's household code (a code without a digit reads as a name); decision numbers, relations and
    # the member sheet's household codes are not checked for form, so the name is data there
    checked = {k for k, shape in schema.SHOWN_FIELDS.items()
               if shape in ("number", "flag", "date", "status", "change", "unit_code", "period", "unit_name")}
    assert checked - NOT_READ - {(schema.SHEET_ROSTER, "no")} <= flagged
    assert (schema.SHEET_ROSTER, "household_code") in flagged
    assert {(schema.SHEET_ROSTER, "decision_number"), (schema.SHEET_MEMBERS, "relation")} <= read_as_data
    assert {(schema.SHEET_ROSTER, "head_name"), (schema.SHEET_ROSTER, "village"),
            (schema.SHEET_GENERAL, "preparer"), (schema.SHEET_NARRATIVE, "results")} <= read_as_data

    # nothing district-facing holds the name
    status_page = tmp_path / "reports" / "2023" / "6T" / f"trang-thai-{period.code}.html"
    outputs = {"status page": status_page.read_bytes().decode("utf-8")}
    for p in sorted(index.parent.rglob("*")):
        if p.is_file():
            outputs[f"data docs {p.relative_to(index.parent)}"] = p.read_bytes().decode("utf-8", "replace")
    outputs["logs"] = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    outputs["returned"] = json.dumps(returned, ensure_ascii=False, default=str) + json.dumps(returned, default=str)
    needles = {NAME, unicodedata.normalize("NFD", NAME), html.escape(NAME), json.dumps(NAME)[1:-1], "Nhung",
               "Hồng", unicodedata.normalize("NFD", "Hồng"), "&#7891;ng", "H\\u1ed3ng"}
    leaks = {(where, n) for where, text in outputs.items() for n in needles if n in text}
    assert not leaks
    assert "(ẩn)" in outputs["status page"] and "(ẩn)" in outputs["logs"]
    assert "22828" in outputs["status page"]  # codes stay readable
