"""Atomic, permission-aware writing of every file the pipeline publishes or keeps.

Every output (report, PDF, status page, Data Docs site, annotated workbook, findings, aggregates, archive
copy) is written under a temporary name in its own folder and renamed into place, so a process killed at
any moment leaves either the old file or the new one at the published path, never a partial one
(``os.replace`` is atomic within one file system). Folders are published by switching a symbolic link.

Outputs that hold personal data (Decree 13/2023/NĐ-CP: the archive, annotated rosters, the report and its
annex, staging, the ledger) are created owner-only whatever the process umask: files 0600 and folders
0700, or 0640 / 0750 with the group named by ``PIPELINE_SHARE_GROUP`` when district staff share a group.
District-facing outputs with no personal data (status page, Data Docs) are 0644 / 0755.

``crashpoint(name)`` marks the named places where the crash tests kill the process
(``PIPELINE_CRASH_AT=name``, or ``name@glob`` to kill only where the file being published matches the glob,
e.g. ``publish-before-rename@v[0-9]*`` for a report version's folder, :mod:`pipeline.publish.versions`); it does
nothing otherwise.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import os
import re
import shutil
import signal
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from pipeline.workspace import CRASH_AT, SHARE_GROUP, setting

PUBLIC_FILE = 0o644
PUBLIC_DIR = 0o755


def share_group() -> int | None:
    """The numeric group of ``PIPELINE_SHARE_GROUP`` (a group name or id), or None when unset.

    Raises:
        KeyError: the group does not exist on this machine.
    """
    name = setting(SHARE_GROUP)
    if not name:
        return None
    if name.isdigit():
        return int(name)
    import grp

    return grp.getgrnam(name).gr_gid


def private_modes() -> tuple[int, int]:
    """(file mode, folder mode) for outputs holding personal data: 0600/0700, or 0640/0750 with a group."""
    return (0o640, 0o750) if share_group() is not None else (0o600, 0o700)


def _apply(path: Path, mode: int) -> None:
    os.chmod(path, mode)
    gid = share_group()
    if gid is not None and mode & 0o070:
        with contextlib.suppress(PermissionError):
            os.chown(path, -1, gid)


def ensure_dir(path: Path, *, private: bool = False) -> Path:
    """Create ``path`` (and missing parents) and set its mode: owner-only when ``private``.

    Parents that already exist keep their mode; parents created here get the same mode as ``path``.
    Returns ``path``.
    """
    path = Path(path)
    mode = private_modes()[1] if private else PUBLIC_DIR
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    path.mkdir(parents=True, exist_ok=True)
    for d in reversed(missing):
        with contextlib.suppress(FileNotFoundError):
            _apply(d, mode)
    if private:
        _apply(path, mode)
    return path


def crashpoint(name: str, target: str | None = None) -> None:
    """Kill this process with SIGKILL when ``PIPELINE_CRASH_AT`` names this point (crash tests only).

    ``PIPELINE_CRASH_AT`` is ``name`` (kill at the first pass here) or ``name@glob`` (kill only when
    ``target``, the name of the file being published, matches the glob).
    """
    wanted = setting(CRASH_AT)
    if not wanted:
        return
    point, _, pattern = wanted.partition("@")
    if point == name and (not pattern or (target is not None and fnmatch.fnmatch(target, pattern))):
        os.kill(os.getpid(), signal.SIGKILL)


@contextlib.contextmanager
def atomic_path(path: Path, *, private: bool = False, mode: int | None = None,
                private_dir: bool | None = None) -> Iterator[Path]:
    """Yield a temporary path in ``path``'s folder; on success it is renamed to ``path``.

    For libraries that write to a path themselves (``DocxTemplate.save``, ``Workbook.save``). On an
    exception the temporary file is removed and ``path`` is untouched.

    Args:
        path: the published path.
        private: owner-only mode (personal data); else 0644.
        mode: an explicit final mode (e.g. 0o444 for an archive copy), applied before the rename.
        private_dir: whether the folder is owner-only too (default: as ``private``); False for a private
            file in a folder that also holds district-facing pages (the report beside the status page).
    """
    path = Path(path)
    ensure_dir(path.parent, private=private if private_dir is None else private_dir)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        final = mode if mode is not None else (private_modes()[0] if private else PUBLIC_FILE)
        _apply(tmp, final)
        crashpoint("publish-before-rename", path.name)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_bytes(path: Path, data: bytes, *, private: bool = False, mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`); flushed to disk before the rename."""
    with atomic_path(path, private=private, mode=mode) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def write_text(path: Path, text: str, *, private: bool = False) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"), private=private)


def copy_file(src: Path, dst: Path, *, private: bool = False, mode: int | None = None,
              private_dir: bool | None = None) -> Path:
    """Copy ``src`` to ``dst`` atomically (bytes only, no metadata)."""
    with atomic_path(dst, private=private, mode=mode, private_dir=private_dir) as tmp:
        shutil.copyfile(src, tmp)
    return Path(dst)


@contextlib.contextmanager
def atomic_dir(path: Path, *, private: bool = False) -> Iterator[Path]:
    """Build a folder in a temporary place and publish it at ``path`` by switching a symbolic link.

    ``path`` becomes a relative symbolic link to a sibling ``.<name>.<random>`` folder; the link is replaced
    atomically, then the previous folder is removed. A folder left at ``path`` by an older layout is moved
    aside first. On an exception the temporary folder is removed and ``path`` is untouched.
    """
    path = Path(path)
    ensure_dir(path.parent, private=private)
    build = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield build
        _apply(build, private_modes()[1] if private else PUBLIC_DIR)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    old_target = path.parent / os.readlink(path) if path.is_symlink() else None
    if path.exists() and not path.is_symlink():
        aside = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
        os.replace(path, aside / path.name)
        old_target = aside
    link_tmp = path.parent / f".{path.name}.link.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        link_tmp.unlink()
    os.symlink(build.name, link_tmp)
    crashpoint("publish-before-rename", path.name)
    os.replace(link_tmp, path)
    if old_target is not None and old_target.resolve() != build.resolve():
        shutil.rmtree(old_target, ignore_errors=True)


STALE_AFTER_SECONDS = 6 * 3600


@contextlib.contextmanager
def held_lock(fd: int) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the open descriptor ``fd`` (a lock file's, or a folder's), then close it:
    closing releases the lock, as does the process's death."""
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def sweep_stale(folder: Path, *, older_than: float = STALE_AFTER_SECONDS, now: float | None = None) -> list[str]:
    """Remove temporary files and folders a killed writer left in ``folder``: hidden names ending in ``.tmp``
    (:func:`atomic_path`, the archive copy) and hidden build folders of :func:`atomic_dir` (``.<name>.<random>``
    not pointed to by a link), when older than ``older_than`` seconds — a writer that is still running is
    never that slow, so its files are left alone. Published (non-hidden) names are never touched.

    Returns:
        The names removed.
    """
    import time

    folder = Path(folder)
    if not folder.is_dir():
        return []
    limit = (now if now is not None else time.time()) - older_than
    targets = {os.readlink(p) for p in folder.iterdir() if p.is_symlink()}
    removed = []
    for p in folder.iterdir():
        if not p.name.startswith(".") or p.is_symlink() or p.name in targets:
            continue
        try:
            if p.lstat().st_mtime > limit:
                continue
            if p.is_dir() and not p.name.endswith(".tmp"):
                shutil.rmtree(p)
            elif p.is_file() and p.name.endswith(".tmp"):
                p.unlink()
            else:
                continue
        except FileNotFoundError:
            continue
        removed.append(p.name)
    return sorted(removed)


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    with path.open("rb") as fh:
        return sha256_of_open(fh)


def sha256_of_open(fh: BinaryIO) -> str:
    """Hex SHA-256 of an open binary file's bytes, read 64 KB at a time from its start."""
    h = hashlib.sha256()
    fh.seek(0)
    for chunk in iter(lambda: fh.read(1 << 16), b""):
        h.update(chunk)
    return h.hexdigest()


ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""The timestamp of every entry of a normalised .docx or .xlsx (the earliest a zip entry can hold)."""
_FIRST_ENTRIES = ("[Content_Types].xml", "_rels/.rels")


_PRESERVED_WORD = re.compile(rb'<w:t xml:space="preserve">([^<\s](?:[^<]*[^<\s])?)</w:t>')


def _without_idle_preserve(xml: bytes) -> bytes:
    """``xml`` with ``xml:space="preserve"`` dropped from every text run whose text neither starts nor ends
    with white space: there the attribute changes nothing Word shows (docxtpl adds it to every run that held a
    template tag)."""
    return _PRESERVED_WORD.sub(rb"<w:t>\1</w:t>", xml)


def same_document(a: Path, b: Path) -> bool:
    """Whether two files say the same: equal bytes, or two zips (.docx, .xlsx) with the same entries whose
    contents are equal once an idle ``xml:space="preserve"`` is dropped (:func:`_without_idle_preserve`) — a
    template whose words became variables renders the same report with that attribute on their runs."""
    if sha256_of(a) == sha256_of(b):
        return True
    if not (zipfile.is_zipfile(a) and zipfile.is_zipfile(b)):
        return False
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        if sorted(za.namelist()) != sorted(zb.namelist()):
            return False
        return all(_without_idle_preserve(za.read(n)) == _without_idle_preserve(zb.read(n)) for n in za.namelist())


def normalise_docx(path: Path) -> Path:
    """Rewrite the .docx (or any zip: an .xlsx beside the report) at ``path`` so that its bytes depend only on
    its entries' contents: every entry
    stamped :data:`ZIP_EPOCH`, ``[Content_Types].xml`` and ``_rels/.rels`` first and the others sorted by
    name, deflated at level 6, no extra fields or comments, Unix attributes 0644. The rewrite goes through a
    temporary file beside ``path``, renamed over it. Returns ``path``.

    python-docx stamps each entry with the time of saving; nothing else it or docxtpl writes is random (no
    rsid or uuid is generated: tests/pipeline/publish/test_versions.py checks it).
    """
    path = Path(path)
    with zipfile.ZipFile(path) as z:
        entries = {name: z.read(name) for name in z.namelist()}
    order = [n for n in _FIRST_ENTRIES if n in entries] + sorted(n for n in entries if n not in _FIRST_ENTRIES)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp_name, "w") as out:
            for name in order:
                info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3
                info.external_attr = 0o100644 << 16
                out.writestr(info, entries[name], compresslevel=6)
        os.chmod(tmp_name, path.stat().st_mode & 0o777)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return path


def zip_content_hash(path: Path) -> str:
    """Hex SHA-256 over a .docx's entries (name and bytes, sorted by name): its content, whatever the zip's
    timestamps and order (a template rebuilt with the same content hashes the same).

    Raises:
        FileNotFoundError, zipfile.BadZipFile: ``path`` is missing or not a zip.
    """
    h = hashlib.sha256()
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            data = z.read(name)
            h.update(f"{name}\0{len(data)}\0".encode())
            h.update(data)
    return h.hexdigest()
