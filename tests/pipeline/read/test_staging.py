"""Staging: each version is read once into its canonical frames; everything after loads them.

An audit hook (``sys.addaudithook``, event ``open``) counts the opens of archived workbooks across whole
runs: one per new version (the annotated copy aside), none on a rerun with nothing changed.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.files import sha256_of
from pipeline.read.office import read_workbook
from pipeline.read.reader import UnreadableSubmission
from pipeline.read.staging import frames_dir, staged_submission
from tests.helpers import docx_text, drop, workspace_at

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = sorted((ROOT / "samples" / "2023-6T").glob("*.xlsx"))
FIXTURES = sorted(p for p in (ROOT / "tests" / "fixtures").iterdir() if p.suffix in (".xlsx", ".xls", ".xlsm", ".csv"))

_OPENS: dict[str, object] = {"archive": None, "paths": [], "paused": False}


def _audit(event: str, args: tuple) -> None:
    """Counts opens of files under the watched archive folder (inert unless a test sets ``archive``)."""
    archive = _OPENS["archive"]
    if event != "open" or archive is None or _OPENS["paused"] or not isinstance(args[0], (str, bytes, Path)):
        return
    path = Path(args[0].decode() if isinstance(args[0], bytes) else args[0])
    if path.parent.parent == archive and not path.name.startswith("."):  # archive/<period>/<sha256>.<ext>
        _OPENS["paths"].append(path.name)


sys.addaudithook(_audit)


def _same(u: object, v: object) -> bool:
    if u is pd.NA or v is pd.NA:
        return u is v
    if isinstance(u, float) and isinstance(v, float) and math.isnan(u) and math.isnan(v):
        return True
    return type(u) is type(v) and u == v


@pytest.mark.parametrize("path", SAMPLES + FIXTURES, ids=lambda p: p.name)
def test_staged_frames_load_as_they_were_read(path, config, tmp_path):
    """Every sample (the offices' too) and fixture: the staged submission equals the one read — same frames (an
    office's tables), dtypes, values
    (None and NaN where they were), findings, headers and layouts; a refusal is staged and raised again."""
    period, sha = config.period("2023-6T"), sha256_of(path)
    try:
        read = read_workbook(path, config)
    except UnreadableSubmission as refusal:
        for _ in range(2):
            with pytest.raises(UnreadableSubmission) as again:
                staged_submission(path, sha256=sha, period=period, config=config, root=tmp_path)
            assert (str(again.value), again.value.fix) == (str(refusal), refusal.fix)
        return
    staged_submission(path, sha256=sha, period=period, config=config, root=tmp_path)
    loaded = staged_submission(path, sha256=sha, period=period, config=config, root=tmp_path)
    assert type(read) is type(loaded)
    tables = getattr(read, "tables", {})
    assert set(tables) == set(getattr(loaded, "tables", {}))
    for name in ("summary", "roster", "members", *(f"table_{k}" for k in tables)):
        a, b = ((tables[name[6:]], loaded.tables[name[6:]]) if name.startswith("table_")  # type: ignore[attr-defined]
                else (getattr(read, name), getattr(loaded, name)))
        if a is None:
            assert b is None
            continue
        assert (list(a.columns), list(a.dtypes), list(a.index)) == (list(b.columns), list(b.dtypes), list(b.index))
        for column in a.columns:
            assert all(_same(u, v) for u, v in zip(a[column].tolist(), b[column].tolist(), strict=True)), column
    for attr in ("sha256", "general", "general_rows", "narrative", "narrative_rows", "headers", "columns", "findings",
                 "sheets_read", "layout"):
        assert getattr(read, attr) == getattr(loaded, attr), attr


def test_staging_is_owner_only_and_keyed_by_the_reader(config, tmp_path):
    """A staged version's folder is named <sha256>-<16 hex of the reader's hash> and holds submission.json and the
    summary, roster and members frames as Parquet, every file 0600 in a 0700 parent folder."""
    path = SAMPLES[0]
    period, sha = config.period("2023-6T"), sha256_of(path)
    staged_submission(path, sha256=sha, period=period, config=config, root=tmp_path)
    folder = frames_dir(period, sha, tmp_path)
    assert folder.name.startswith(sha + "-") and len(folder.name) == 64 + 1 + 16
    assert sorted(p.name for p in folder.iterdir()) == ["members.parquet", "roster.parquet", "submission.json",
                                                         "summary.parquet"]
    assert {oct(p.stat().st_mode & 0o777) for p in folder.iterdir()} == {"0o600"}
    assert oct(folder.parent.stat().st_mode & 0o777) == "0o700"


def test_each_version_is_opened_once_and_a_rerun_opens_none(config, tmp_path, monkeypatch):
    """Across whole runs (intake, validation, aggregation, render, status page, Data Docs): three samples are
    opened once each; a rerun with nothing new opens no archived workbook; a corrected file dropped later is
    opened once. The annotated copies, written from the archived originals, are not counted."""
    import pipeline.orchestrator
    from pipeline.orchestrator import run_period

    real = pipeline.orchestrator.write_annotated

    def annotated(*args, **kwargs):
        _OPENS["paused"] = True
        try:
            return real(*args, **kwargs)
        finally:
            _OPENS["paused"] = False

    monkeypatch.setattr(pipeline.orchestrator, "write_annotated", annotated)
    period = config.period("2023-6T")
    inbox = tmp_path / "inbox" / "2023-6T"
    sent = SAMPLES[:3]
    drop(sent, inbox)
    _OPENS.update(archive=tmp_path / "archive", paths=[])
    try:
        report = Path(run_period(period, config=config, workspace=workspace_at(tmp_path)))
        first = list(_OPENS["paths"])
        _OPENS["paths"] = []
        assert docx_text(Path(run_period(period, config=config, workspace=workspace_at(tmp_path)))) == docx_text(report)
        rerun = list(_OPENS["paths"])
        _OPENS["paths"] = []
        newer = drop([SAMPLES[0]], tmp_path / "moi")[0]
        from tests.helpers import set_narrative

        set_narrative(newer, "results", "Bản sửa: bổ sung kết quả hỗ trợ.")
        newer.rename(inbox / "22810_tan_son_sua.xlsx")
        run_period(period, config=config, workspace=workspace_at(tmp_path))
        corrected = list(_OPENS["paths"])
    finally:
        _OPENS.update(archive=None, paths=[])
    assert sorted(first) == sorted(f"{sha256_of(p)}.xlsx" for p in sent)  # each sample exactly once
    assert rerun == []
    assert corrected == [f"{sha256_of(inbox / '22810_tan_son_sua.xlsx')}.xlsx"]


def test_a_killed_staging_write_leaves_nothing_behind_for_long(config, tmp_path):
    """A build folder left by a killed writer is removed by the next staging in the period once it is old;
    a recent one (a writer still running) is left alone."""
    import os

    period = config.period("2023-6T")
    parent = frames_dir(period, "0" * 64, tmp_path).parent
    parent.mkdir(parents=True)
    old, recent = parent / ".dead.1a2b3c4d", parent / ".busy.5e6f7a8b"
    for folder in (old, recent):
        folder.mkdir()
        (folder / "roster.parquet").write_bytes(b"partial")
    os.utime(old, (1_600_000_000, 1_600_000_000))
    staged_submission(SAMPLES[0], sha256=sha256_of(SAMPLES[0]), period=period, config=config, root=tmp_path)
    assert not old.exists() and recent.exists()
