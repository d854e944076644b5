"""Staging: each archived version is read once into its canonical frames, kept beside its findings.

``work/<period>/frames/<sha256>-<reader hash>/`` holds one Parquet file per frame (``summary``, ``roster``,
``members``; for the offices' form also ``table_<key>`` per sheet of :data:`pipeline.office_schema.TABLES`;
pyarrow) and ``submission.json`` with the rest of the :class:`pipeline.read.reader.Submission` — the
general fields, narrative, headers, reader findings, layouts — or, for a file that cannot be read at all,
the refusal (message and fix). Everything after the first read (the intake's look at the unit, validation,
the previous period's history, aggregation) loads this instead of opening the workbook; only the annotated
copy is written from the archived original.

The key is the file's SHA-256 and :func:`pipeline.codehash.reader_hash` (reading code, configuration,
library versions): a change to any of them makes a new folder, never a stale read. Folders are written
under a temporary name and renamed into place (a crash leaves no half folder) and are owner-only like the
archive: the roster holds names, ethnicity and NCC categories (Decree 13/2023/NĐ-CP).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.codehash import reader_hash
from pipeline.config import Config, Period
from pipeline.files import ensure_dir, sweep_stale
from pipeline.findings import Finding
from pipeline.paths import frames_path
from pipeline.read.office import OfficeSubmission, read_workbook
from pipeline.read.reader import SheetLayout, Submission, UnreadableSubmission

FRAMES = ("summary", "roster", "members")
FORMAT = 1


def frames_dir(period: Period, sha256: str, root: Path) -> Path:
    """``work/<period>/frames/<sha256>-<reader hash, 16 hex>/`` for the reader in use
    (:func:`pipeline.paths.frames_path`)."""
    return frames_path(period, sha256, reader_hash(), root)


def staged_submission(path: Path, *, sha256: str, period: Period, config: Config, file_name: str | None = None,
                      root: Path) -> Submission:
    """The submission of the archived file ``path`` (whose SHA-256 is ``sha256``): loaded from staging when
    this reader has staged it, otherwise read from the workbook once and staged.

    Args:
        path: the archived copy.
        sha256: its hex SHA-256 (the ledger's), part of the key.
        period: the period it was sent for (the staging folder's parent).
        config: the configuration (reference lists, units).
        file_name: the name it was sent under, for messages (staged with them: pass it on the first read).
        root: data root (default :func:`pipeline.config.data_dir`).

    Returns:
        A :class:`pipeline.read.reader.Submission` equal to :func:`pipeline.read.office.read_workbook`'s (same
        frames, dtypes, findings, layouts): for the offices' form an :class:`pipeline.read.office.OfficeSubmission`
        with its tables.

    Raises:
        UnreadableSubmission: the file cannot be read (the refusal is staged too, and raised again).
        Exception: a system error while reading propagates and nothing is staged.
    """
    folder = frames_dir(period, sha256, root)
    if (folder / "submission.json").exists():
        return load(folder, path)
    try:
        sub = read_workbook(path, config, file_name=file_name, sha256=sha256)
    except UnreadableSubmission as exc:
        _write(folder, {"format": FORMAT, "sha256": sha256, "unreadable": {"message": str(exc), "fix": exc.fix}}, {})
        raise
    store(sub, folder)
    return sub


def store(sub: Submission, folder: Path) -> None:
    """Write ``sub`` into ``folder`` (replaced atomically: written under a temporary name, then renamed)."""
    meta: dict[str, Any] = {
        "format": FORMAT,
        "sha256": sub.sha256,
        "general": {k: _tagged(v) for k, v in sub.general.items()},
        "general_rows": sub.general_rows,
        "narrative": sub.narrative,
        "narrative_rows": sub.narrative_rows,
        "headers": [[sheet, key, text] for (sheet, key), text in sub.headers.items()],
        "columns": [[sheet, col, text] for (sheet, col), text in sub.columns.items()],
        "findings": [asdict(f) for f in sub.findings],
        "sheets_read": sorted(sub.sheets_read),
        "layout": {sheet: {"merged": [[*k, *v] for k, v in lay.merged.items()],
                           "ranges": [[*k, ref] for k, ref in lay.ranges.items()],
                           "hidden_rows": sorted(lay.hidden_rows), "hidden_columns": sorted(lay.hidden_columns)}
                   for sheet, lay in sub.layout.items()},
        "members": sub.members is not None,
        "office": isinstance(sub, OfficeSubmission),
        "dtypes": {},
    }
    frames = {"summary": sub.summary, "roster": sub.roster, "members": sub.members}
    if isinstance(sub, OfficeSubmission):
        frames.update({f"table_{key}": frame for key, frame in sub.tables.items()})
    for name, frame in frames.items():
        if frame is not None:
            meta["dtypes"][name] = [[str(c), str(t), _nan_positions(frame[c]) if str(t) == "object" else []]
                                    for c, t in frame.dtypes.items()]
    _write(folder, meta, {k: v for k, v in frames.items() if v is not None})


def load(folder: Path, path: Path) -> Submission:
    """The :class:`pipeline.read.reader.Submission` staged in ``folder`` (``path``: the archived file it came from).

    Raises:
        UnreadableSubmission: the staged outcome of the file is a refusal.
    """
    meta = json.loads((folder / "submission.json").read_text(encoding="utf-8"))
    if "unreadable" in meta:
        raise UnreadableSubmission(meta["unreadable"]["message"], meta["unreadable"]["fix"])
    sub = (OfficeSubmission if meta.get("office") else Submission)(path=path, sha256=meta["sha256"])
    sub.general = {k: _untagged(v) for k, v in meta["general"].items()}
    sub.general_rows = meta["general_rows"]
    sub.narrative = meta["narrative"]
    sub.narrative_rows = meta["narrative_rows"]
    sub.headers = {(sheet, key): text for sheet, key, text in meta["headers"]}
    sub.columns = {(sheet, int(col)): text for sheet, col, text in meta["columns"]}
    sub.findings = [Finding(**f) for f in meta["findings"]]
    sub.sheets_read = set(meta["sheets_read"])
    sub.layout = {sheet: SheetLayout(merged={(a, b): (c, d) for a, b, c, d in lay["merged"]},
                                     ranges={(a, b): ref for a, b, ref in lay["ranges"]},
                                     hidden_rows=frozenset(lay["hidden_rows"]),
                                     hidden_columns=frozenset(lay["hidden_columns"]))
                  for sheet, lay in meta["layout"].items()}
    for name in FRAMES:
        if name in meta["dtypes"]:
            setattr(sub, name, _frame(folder / f"{name}.parquet", meta["dtypes"][name]))
    if isinstance(sub, OfficeSubmission):
        sub.tables = {name.removeprefix("table_"): _frame(folder / f"{name}.parquet", dtypes)
                      for name, dtypes in meta["dtypes"].items() if name.startswith("table_")}
    return sub


def _nan_positions(values: pd.Series) -> list[int]:
    """Positions of an object column holding NaN (rather than None): both mean missing, both are kept."""
    return [i for i, v in enumerate(values) if isinstance(v, float) and v != v]


def _frame(file: Path, dtypes: list[list[Any]]) -> pd.DataFrame:
    """A frame read back as it was written: the same dtypes, and in object columns None and NaN where
    they were."""
    if not dtypes:
        return pd.DataFrame()
    frame = pd.read_parquet(file, engine="pyarrow")
    for column, dtype, nan_at in dtypes:
        if dtype == "object":
            values = frame[column].astype(object)
            values = values.where(values.notna(), None)
            if nan_at:
                values.iloc[nan_at] = float("nan")
            frame[column] = values
        elif str(frame[column].dtype) != dtype:
            frame[column] = frame[column].astype(dtype)
    return frame[[c for c, _, _ in dtypes]]


def _write(folder: Path, meta: dict[str, Any], frames: dict[str, pd.DataFrame]) -> None:
    ensure_dir(folder.parent, private=True)
    sweep_stale(folder.parent)  # build folders of writers killed long ago
    tmp = folder.parent / f".{folder.name}.{uuid.uuid4().hex[:8]}"
    ensure_dir(tmp, private=True)
    try:
        for name, frame in frames.items():
            if len(frame.columns):
                frame.to_parquet(tmp / f"{name}.parquet", engine="pyarrow", index=False)
                os.chmod(tmp / f"{name}.parquet", 0o600)
        (tmp / "submission.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.chmod(tmp / "submission.json", 0o600)
        try:
            os.rename(tmp, folder)
        except OSError:  # staged meanwhile by another process (same bytes, same reader): theirs is kept
            if not (folder / "submission.json").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _tagged(value: Any) -> Any:
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    return value


def _untagged(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"date"}:
        return dt.date.fromisoformat(value["date"])
    return value
