"""Versions of a period's report: numbered folders, never overwritten, each a pure function of its inputs.

Layout (see :mod:`pipeline.paths`)::

    reports/<year>/<6T|9T|CN>/v<N>/bao-cao-<period>.docx   the report of version N (owner-only)
    reports/<year>/<6T|9T|CN>/v<N>/tong-hop-<period>.json  the aggregates it was rendered from (owner-only)
    reports/<year>/<6T|9T|CN>/v<N>/phien-ban.json          its manifest (no personal data)
    reports/<year>/<6T|9T|CN>/versions.json                index of every version, rebuilt from the manifests
    reports/<year>/<6T|9T|CN>/hien-hanh -> v<N>            the latest version, switched atomically

**Identity.** A version's *fingerprint* (:func:`fingerprint` over the components the orchestrator gathers:
:func:`pipeline.orchestrator.fingerprint_components`) hashes the period, the versions of the units' files used
(:func:`inputs_of`), the aggregates themselves, the template's content, the configuration
(:func:`config_hash`) and the rendering code and libraries. The report of version N is rendered from those and
from version N−1 (its "changes since" section), so the same inputs and the same history give the same bytes:
the .docx is normalised (:func:`pipeline.files.normalise_docx`). Derived files (a PDF) are not part of the
identity.

**Numbering.** Inputs whose fingerprint is the latest version's — or one recorded as rendering the same bytes
as it (:func:`record_equivalent`: code moved or rewritten without changing what it renders) — re-use that
version (:func:`reusable`); anything else makes version N+1 (1 when there is none) beside the older ones,
which are never changed. Numbers are taken from the folders on disk under a lock (:func:`versions_lock`), so
two writers never publish the same number. This module never renders nor formats a figure: it is given
staged files and keeps them.

**Publishing** (:func:`publish_version`). Every file of a version (the report, and any file another step adds
beside it: annexes, a workbook) is copied into a hidden build folder ``.v<N>.<random>`` in the period's
folder, then the folder is renamed to ``v<N>`` — one atomic step: a process killed at any moment leaves no
``v<N>`` or a complete one. The index and the ``hien-hanh`` link are written after, atomically; they are
derived from the folders, and the next run repairs them if a kill left them behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pipeline.config import Config, Period
from pipeline.files import PUBLIC_FILE, _apply, crashpoint, ensure_dir, held_lock, private_modes, write_text
from pipeline.paths import (
    current_version_link,
    report_dir,
    report_name,
    report_path,
    version_aggregates_path,
    version_dir,
    version_manifest_path,
    versions_index_path,
    versions_lock_path,
)

log = logging.getLogger(__name__)

_VERSION_NAME = re.compile(r"v([1-9][0-9]*)")

class VersionError(RuntimeError):
    """The versions on disk are inconsistent (a ``v<N>`` folder without a readable manifest, a missing copy of
    the aggregates of the version to compare with) or a version number is already taken."""


# --------------------------------------------------------------------------------------------- identity


def _canonical(value: Any) -> bytes:
    """JSON bytes that depend only on the value (sorted keys, no spaces; sets sorted, others as str)."""
    def default(o: Any) -> Any:
        if isinstance(o, (set, frozenset)):
            return sorted(o, key=str)
        return str(o)

    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=default).encode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def config_hash(config: Config) -> str:
    """Hex SHA-256 of the loaded configuration (every field of :class:`pipeline.config.Config`), so an edited
    configuration file — or a configuration built in memory — is a different input."""
    return _sha256(_canonical(dataclasses.asdict(config)))


def inputs_of(agg: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The units' inputs as ``aggregates.json`` records them, one per configured unit: ``unit_code``,
    ``status`` (valid / invalid / error / missing), ``version`` (ledger number or None), ``sha256`` (of the
    archived file used, or None) and ``newer_failed`` (number of a newer version not used, or None)."""
    return [{"unit_code": s["unit_code"], "status": s["status"], "version": s.get("version"),
             "sha256": s.get("sha256"), "newer_failed": (s.get("newer_failed") or {}).get("version")}
            for s in agg["submissions"]]


def fingerprint(components: Mapping[str, Any]) -> str:
    """Hex SHA-256 of a version's components (canonical JSON)."""
    return _sha256(_canonical(dict(components)))


def canonical_sha256(value: Any) -> str:
    """Hex SHA-256 of ``value`` as canonical JSON (sorted keys, no spaces): the same value, the same hash."""
    return _sha256(_canonical(value))


def reusable(manifest: Mapping[str, Any] | None, fp: str) -> bool:
    """Whether a version whose manifest is ``manifest`` stands for inputs of fingerprint ``fp``: its own
    fingerprint, or one recorded by :func:`record_equivalent`."""
    if manifest is None:
        return False
    return fp == manifest.get("fingerprint") or fp in manifest.get("equivalent_fingerprints", [])


def record_equivalent(period: Period, n: int, fp: str, root: Path) -> None:
    """Record in version ``n``'s manifest that inputs of fingerprint ``fp`` render the same files as it (so the
    next run re-uses it without rendering again): ``equivalent_fingerprints``, rewritten atomically. The
    version's files and own fingerprint are unchanged. Call under :func:`versions_lock`.

    Raises:
        VersionError: no such version.
    """
    manifest = read_manifest(period, n, root)
    known = list(manifest.get("equivalent_fingerprints", []))
    if fp in known or fp == manifest.get("fingerprint"):
        return
    manifest["equivalent_fingerprints"] = [*known, fp]
    write_text(version_manifest_path(period, n, root), json.dumps(manifest, ensure_ascii=False, indent=1))


# ---------------------------------------------------------------------------------------------- reading


def version_path(period: Period, n: int, root: Path) -> Path:
    """The folder of version ``n`` of ``period``'s report: ``reports/<year>/<6T|9T|CN>/v<n>/`` (whether or not
    it exists). The report is ``version_path(...) / pipeline.paths.report_name(period)``; files other steps
    publish with the version sit beside it."""
    return version_dir(period, n, root)


def version_numbers(period: Period, root: Path) -> list[int]:
    """Numbers of the versions published for ``period`` (folders ``v<N>``; build folders are hidden), sorted."""
    folder = report_dir(period, root)
    if not folder.is_dir():
        return []
    out = []
    for p in folder.iterdir():
        m = _VERSION_NAME.fullmatch(p.name)
        if m and p.is_dir() and not p.is_symlink():
            out.append(int(m.group(1)))
    return sorted(out)


def latest_version(period: Period, root: Path) -> int | None:
    """The number of the latest published version of ``period``'s report, or None when there is none."""
    numbers = version_numbers(period, root)
    return numbers[-1] if numbers else None


def latest_report(period: Period, root: Path) -> Path | None:
    """The report (.docx) of the latest published version, or None when no version was published."""
    n = latest_version(period, root)
    return report_path(period, root, version=n) if n is not None else None


def _read_version_json(period: Period, n: int, path: Path, what: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VersionError(f"Phiên bản {n} của báo cáo kỳ {period.code} thiếu hoặc hỏng {what} {path.name} "
                           f"({type(exc).__name__})") from exc


def read_manifest(period: Period, n: int, root: Path) -> dict[str, Any]:
    """Version ``n``'s manifest (see :func:`publish_version`).

    Raises:
        VersionError: the folder has no readable manifest.
    """
    return _read_version_json(period, n, version_manifest_path(period, n, root), "tệp mô tả")


def read_version_aggregates(period: Period, n: int, root: Path) -> dict[str, Any]:
    """The aggregates version ``n`` was rendered from (the copy kept in its folder).

    Raises:
        VersionError: the copy is missing or unreadable.
    """
    return _read_version_json(period, n, version_aggregates_path(period, n, root), "bản số liệu tổng hợp")


# --------------------------------------------------------------------------------------------- publishing


@contextlib.contextmanager
def versions_lock(period: Period, root: Path) -> Iterator[None]:
    """Hold the period's versions lock (an exclusive ``flock`` on a hidden file in the period's folder) while a
    version is numbered, rendered and published: two writers never take the same number."""
    path = versions_lock_path(period, root)
    ensure_dir(path.parent)
    with held_lock(os.open(path, os.O_RDWR | os.O_CREAT, 0o600)):
        yield


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_synced(src: Path, dst: Path, mode: int) -> str:
    """Copy ``src`` to ``dst``, flush it to disk, set ``mode``; returns the copy's SHA-256."""
    h = hashlib.sha256()
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        for chunk in iter(lambda: fin.read(1 << 20), b""):
            h.update(chunk)
            fout.write(chunk)
        fout.flush()
        os.fsync(fout.fileno())
    _apply(dst, mode)
    return h.hexdigest()


def _write_synced(dst: Path, data: bytes, mode: int) -> None:
    with open(dst, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    _apply(dst, mode)


def publish_version(period: Period, number: int, files: Mapping[str, Path], *, aggregates: Mapping[str, Any],
                    manifest: Mapping[str, Any], derived: Mapping[str, Path] | None = None,
                    root: Path) -> Path:
    """Publish version ``number`` of ``period``'s report as one folder ``v<number>``, all files at once.

    The files are copied into a hidden build folder beside it with the aggregates' copy and the manifest,
    flushed to disk, and the folder is renamed to ``v<number>`` (atomic; a killed run leaves only the hidden
    build folder, swept later by :func:`pipeline.files.sweep_stale`). Then the index and the ``hien-hanh``
    link are refreshed (:func:`refresh_index`).

    Args:
        files: published name → staged path of each file that makes the version (the report first; an annex
            workbook…); each is owner-only (personal data) and its SHA-256 is recorded in the manifest's
            ``files``.
        aggregates: the aggregates the version was rendered from; kept as ``tong-hop-<period>.json``
            (owner-only), the base of the next version's changes.
        manifest: the version's identity (``fingerprint``, ``components``, ``created_from``); ``period``,
            ``number``, ``report``, ``files``, ``derived`` and ``published_at`` are added.
        derived: published name → staged path of files derived from the version (a PDF): published with it,
            recorded apart (``derived``), not part of its identity.

    Returns:
        The version's folder.

    Raises:
        VersionError: ``v<number>`` already exists (nothing is changed).
    """
    folder = version_dir(period, number, root)
    parent = ensure_dir(folder.parent)
    if folder.exists():
        raise VersionError(f"Phiên bản {number} của báo cáo kỳ {period.code} đã có: {folder}")
    file_mode, dir_mode = private_modes()
    build = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=parent))
    try:
        hashes = {name: _copy_synced(Path(src), build / name, file_mode) for name, src in files.items()}
        extra = {name: _copy_synced(Path(src), build / name, file_mode) for name, src in (derived or {}).items()}
        _write_synced(build / version_aggregates_path(period, number, root).name,
                      json.dumps(aggregates, ensure_ascii=False, indent=1, default=str).encode(), file_mode)
        record = {**manifest, "period": period.code, "number": number, "report": report_name(period),
                  "report_sha256": hashes.get(report_name(period)), "files": hashes, "derived": extra,
                  "published_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()}
        _write_synced(build / version_manifest_path(period, number, root).name,
                      json.dumps(record, ensure_ascii=False, indent=1).encode(), PUBLIC_FILE)
        _fsync_dir(build)
        _apply(build, dir_mode)
        crashpoint("publish-before-rename", folder.name)
        os.rename(build, folder)  # fails (ENOTEMPTY/EEXIST) if another writer published this number meanwhile
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    _fsync_dir(parent)
    crashpoint("version-published")
    refresh_index(period, root)
    return folder


def index(period: Period, root: Path) -> dict[str, Any]:
    """The period's versions as recorded in their manifests: ``{"period", "latest" (number or None),
    "current" (the folder name the ``hien-hanh`` link names), "versions": [{"number", "folder", "report",
    "fingerprint", "created_from" (number or None), "report_sha256", "files", "derived", "inputs",
    "published_at"}]}``, oldest first. No personal data (hashes, numbers, times).

    Raises:
        VersionError: a version folder has no readable manifest.
    """
    rows = []
    for n in version_numbers(period, root):
        m = read_manifest(period, n, root)
        rows.append({"number": n, "folder": f"v{n}", "report": f"v{n}/{m.get('report')}",
                     "fingerprint": m.get("fingerprint"),
                     "created_from": (m.get("created_from") or {}).get("number"),
                     "report_sha256": m.get("report_sha256"), "files": m.get("files", {}),
                     "derived": m.get("derived", {}), "inputs": m.get("components", {}).get("inputs", []),
                     "published_at": m.get("published_at")})
    latest = rows[-1]["number"] if rows else None
    return {"period": period.code, "latest": latest, "current": f"v{latest}" if latest else None, "versions": rows}


def refresh_index(period: Period, root: Path) -> None:
    """Rewrite ``versions.json`` from the manifests and point ``hien-hanh`` at the latest version, each only
    when it differs (both atomically: the index written under a temporary name and renamed, the link made
    under a temporary name and renamed over the old one). Public (0644): it holds no personal data."""
    data = index(period, root)
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    path = versions_index_path(period, root)
    try:
        same = path.read_text(encoding="utf-8") == text
    except (OSError, ValueError):
        same = False
    if not same:
        write_text(path, text)
    if data["latest"] is not None:
        switch_current(period, data["latest"], root)


def switch_current(period: Period, n: int, root: Path) -> Path:
    """Point the ``hien-hanh`` link of ``period``'s folder at ``v<n>`` (relative), atomically. Returns the link.

    Raises:
        VersionError: ``hien-hanh`` exists and is not a symbolic link (left as it is).
    """
    link = current_version_link(period, root)
    target = version_dir(period, n, root).name
    if link.is_symlink() and os.readlink(link) == target:
        return link
    if link.exists() and not link.is_symlink():
        raise VersionError(f"{link} không phải liên kết: không chuyển sang phiên bản {n}")
    tmp = link.parent / f".{link.name}.link.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    crashpoint("publish-before-rename", link.name)
    os.replace(tmp, link)
    return link
