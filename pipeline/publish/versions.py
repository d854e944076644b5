"""Versions of a period's report: numbered folders, never overwritten, each a pure function of its inputs.

Layout (see :mod:`pipeline.paths`)::

    reports/<year>/<6T|9T|CN>/v<N>/bao-cao-<period>.docx   the report of version N (owner-only)
    reports/<year>/<6T|9T|CN>/v<N>/tong-hop-<period>.json  the aggregates it was rendered from (owner-only)
    reports/<year>/<6T|9T|CN>/v<N>/phien-ban.json          its manifest (no personal data)
    reports/<year>/<6T|9T|CN>/versions.json                index of every version, rebuilt from the manifests
    reports/<year>/<6T|9T|CN>/hien-hanh -> v<N>            the latest version, switched atomically

**Identity.** A version's *fingerprint* (:func:`fingerprint_components`) hashes the period, the versions of
the units' files used (SHA-256 of each, as ``aggregates.json``'s ``submissions`` record them), the aggregates
themselves (so a change of aggregation code that changes a figure is a change of input), the template's
content, the configuration and the rendering code and libraries (:func:`pipeline.codehash.render_code_hash`).
The report of version N is rendered from those and from version N−1 (its "changes since" section), so the
same inputs and the same history give the same bytes: the .docx is normalised
(:func:`normalise_docx`: fixed entry timestamps and order; its core properties come from
:func:`pipeline.render.report.document_properties`, a pure function of the aggregates). Derived files (a PDF) are
not part of the identity.

**Numbering.** Rendering inputs whose fingerprint equals the latest version's re-uses that version (nothing is
written but a missing index or link); anything else makes version N+1 (1 when there is none) beside the older
ones, which are never changed. Numbers are taken from the folders on disk under a lock
(:func:`versions_lock`), so two writers never publish the same number.

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
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeline import fmt
from pipeline.config import PROJECT_ROOT, Config, Period
from pipeline.files import PUBLIC_FILE, _apply, crashpoint, ensure_dir, private_modes, write_text
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
from pipeline.synthesis import capitalise

log = logging.getLogger(__name__)

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""The timestamp of every entry of a normalised .docx (the earliest a zip entry can hold)."""
_FIRST_ENTRIES = ("[Content_Types].xml", "_rels/.rels")
_VERSION_NAME = re.compile(r"v([1-9][0-9]*)")

FIGURE_KEYS = (
    "households_total", "poor_households", "poor_persons", "near_poor_households", "near_poor_persons",
    "ncc_poor_households", "ncc_poor_persons", "ncc_near_poor_households", "ncc_near_poor_persons",
)
"""Figures at the cut-off compared between versions, district-wide and per unit (``<key>_current`` of the
aggregates' ``district`` and ``units``; households or persons). The template names each code."""
DISTRICT_FIGURE_KEYS = FIGURE_KEYS + ("funds_total",)
"""District-wide, the total of funds mobilised (đồng, ``funds.total_vnd``) too."""


StageFiles = Callable[[Path], Mapping[str, Path]]
"""A step that stages files of a version from its staged report: ``f(staged_report) -> {published name: staged
path}`` (see :func:`render_version`'s ``companions`` and ``derived``)."""


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


# The report's wording kept beside the template (annex headers shared with the workbook, words drawn in the
# charts): part of the template's identity in a version's fingerprint.
WORDING_FILES = (PROJECT_ROOT / "templates" / "phu_luc.yaml", PROJECT_ROOT / "templates" / "bieu_do.yaml")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def docx_content_hash(path: Path) -> str:
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


def fingerprint_components(agg: Mapping[str, Any], *, config: Config, period: Period,
                           template: Path | None = None, root: Path | None = None) -> dict[str, Any]:
    """What a report version is a function of, as hashes (with :func:`fingerprint` over them):

    ``period`` (code), ``inputs`` (:func:`inputs_of`), ``aggregates_sha256`` (the aggregates, canonical
    JSON), ``earlier_sha256`` (the aggregates of the year's earlier periods the year chart reads,
    :func:`pipeline.render.charts.earlier_aggregates`), ``template_sha256`` (:func:`docx_content_hash` of the
    template, with the wording files beside it, :data:`WORDING_FILES`), ``config_sha256``
    (:func:`config_hash`), ``code_sha256``
    (:func:`pipeline.codehash.render_code_hash`) and ``zlib`` (the compression library's version, which decides
    the .docx's compressed bytes).
    """
    from pipeline.codehash import render_code_hash
    from pipeline.render.charts import earlier_aggregates
    from pipeline.render.report import TEMPLATE

    return {
        "period": period.code,
        "inputs": inputs_of(agg),
        "aggregates_sha256": _sha256(_canonical(agg)),
        "earlier_sha256": _sha256(_canonical(earlier_aggregates(period, config=config, root=root))),
        "template_sha256": _sha256("\0".join([docx_content_hash(template or TEMPLATE),
                                               *(_sha256(f.read_bytes()) for f in WORDING_FILES)]).encode()),
        "config_sha256": config_hash(config),
        "code_sha256": render_code_hash(),
        "zlib": zlib.ZLIB_RUNTIME_VERSION,
    }


def fingerprint(components: Mapping[str, Any]) -> str:
    """Hex SHA-256 of :func:`fingerprint_components`' result (canonical JSON)."""
    return _sha256(_canonical(dict(components)))


# ------------------------------------------------------------------------------------------- normalising


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


# ---------------------------------------------------------------------------------------------- reading


def version_path(period: Period, n: int, root: Path | None = None) -> Path:
    """The folder of version ``n`` of ``period``'s report: ``reports/<year>/<6T|9T|CN>/v<n>/`` (whether or not
    it exists). The report is ``version_path(...) / pipeline.paths.report_name(period)``; files other steps
    publish with the version sit beside it."""
    return version_dir(period, n, root)


def version_numbers(period: Period, root: Path | None = None) -> list[int]:
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


def latest_version(period: Period, root: Path | None = None) -> int | None:
    """The number of the latest published version of ``period``'s report, or None when there is none."""
    numbers = version_numbers(period, root)
    return numbers[-1] if numbers else None


def latest_report(period: Period, root: Path | None = None) -> Path | None:
    """The report (.docx) of the latest published version, or None when no version was published."""
    n = latest_version(period, root)
    return report_path(period, root, version=n) if n is not None else None


def _read_version_json(period: Period, n: int, path: Path, what: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VersionError(f"Phiên bản {n} của báo cáo kỳ {period.code} thiếu hoặc hỏng {what} {path.name} "
                           f"({type(exc).__name__})") from exc


def read_manifest(period: Period, n: int, root: Path | None = None) -> dict[str, Any]:
    """Version ``n``'s manifest (see :func:`publish_version`).

    Raises:
        VersionError: the folder has no readable manifest.
    """
    return _read_version_json(period, n, version_manifest_path(period, n, root), "tệp mô tả")


def read_version_aggregates(period: Period, n: int, root: Path | None = None) -> dict[str, Any]:
    """The aggregates version ``n`` was rendered from (the copy kept in its folder).

    Raises:
        VersionError: the copy is missing or unreadable.
    """
    return _read_version_json(period, n, version_aggregates_path(period, n, root), "bản số liệu tổng hợp")


# ---------------------------------------------------------------------------------------------- changes


def _value(record: Mapping[str, Any] | None, key: str) -> int | None:
    if record is None:
        return None
    value = record.get(f"{key}_current")
    return None if value is None else int(value)


def _shown(value: int | None) -> str:
    return "-" if value is None else fmt.number(value)


def _local(value: str | None, config: Config) -> str:
    if not value:
        return ""
    return dt.datetime.fromisoformat(value).astimezone(config.timezone).strftime("%d/%m/%Y %H:%M")


def unit_changes(previous: Mapping[str, Any], current: Mapping[str, Any], *, config: Config) -> list[dict[str, str]]:
    """Units whose input changed between two aggregates: another version used, another status, or another
    newer version left unused. In the current aggregates' order; one dict per unit:

    ``name`` (capitalised), ``before_version`` / ``now_version`` (ledger numbers as text, "" for none),
    ``before_status`` / ``now_status`` (valid / invalid / error / missing: the template words them),
    ``received_at`` (arrival of the version now used, local "dd/mm/yyyy HH:MM", "" for none) and ``newer``
    (number of a newer version now left unused because it failed or was not validated, "" for none).
    """
    before = {s["unit_code"]: s for s in previous["submissions"]}
    out = []
    for s in current["submissions"]:
        p = before.get(s["unit_code"]) or {"status": "missing", "version": None, "sha256": None}
        newer = (s.get("newer_failed") or {}).get("version")
        old_newer = (p.get("newer_failed") or {}).get("version")
        if (p["status"], p.get("version"), p.get("sha256"), old_newer) == (
                s["status"], s.get("version"), s.get("sha256"), newer):
            continue
        out.append({
            "name": capitalise(s["unit_name"]),
            "before_version": str(p["version"]) if p.get("version") else "",
            "before_status": p["status"],
            "now_version": str(s["version"]) if s.get("version") else "",
            "now_status": s["status"],
            "received_at": _local(s.get("received_at"), config),
            "newer": str(newer) if newer and newer != old_newer else "",
        })
    return out


def figure_changes(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Figures that differ between two aggregates, grouped by where: district-wide first
    (:data:`DISTRICT_FIGURE_KEYS`), then unit by unit in the current aggregates' order (:data:`FIGURE_KEYS`);
    a place with no change is left out. One dict per place: ``district`` (bool), ``name`` (the unit,
    capitalised; "" for the district) and ``figures``: ``[{"code" (the figure's key; the template names it),
    "before", "now" (formatted, "-" when the unit had no valid version)}]`` in key order."""
    def changed(before: Mapping[str, Any] | None, now: Mapping[str, Any], keys: tuple[str, ...]) -> list[dict]:
        out = []
        for key in keys:
            b, n = _value(before, key), _value(now, key)
            if b != n:
                out.append({"code": key, "before": _shown(b), "now": _shown(n)})
        return out

    groups: list[dict[str, Any]] = []
    district = changed({**previous["district"], "funds_total_current": previous["funds"]["total_vnd"]},
                       {**current["district"], "funds_total_current": current["funds"]["total_vnd"]},
                       DISTRICT_FIGURE_KEYS)
    if district:
        groups.append({"district": True, "name": "", "figures": district})
    units_before = {u["unit_code"]: u for u in previous["units"]}
    for u in current["units"]:
        figures = changed(units_before.get(u["unit_code"]), u, FIGURE_KEYS)
        if figures:
            groups.append({"district": False, "name": capitalise(u["unit_name"]), "figures": figures})
    return groups


def first_version() -> dict[str, Any]:
    """The template's ``version`` for version 1 (see :func:`version_context`)."""
    return {"number": "1", "first": True, "previous": "", "unit_changes": [], "figure_changes": [],
            "partial": False, "data_changed": False, "template_changed": False, "config_changed": False,
            "code_changed": False}


def version_context(number: int, agg: Mapping[str, Any], components: Mapping[str, Any], *, config: Config,
                    previous: Mapping[str, Any] | None = None,
                    previous_agg: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The template's ``version`` variable: which version the report is and what changed since the previous.

    Keys: ``number`` (text), ``first`` (bool: version 1, no section of changes), ``previous`` (the number of the
    version compared with, text), ``unit_changes`` (:func:`unit_changes`), ``figure_changes``
    (:func:`figure_changes`), ``partial`` (bool: a district figure is the sum of the valid units only, in either
    version), ``data_changed`` (bool: units or figures changed), ``template_changed``, ``config_changed``,
    ``code_changed`` (bools: which of them differ from the previous version's fingerprint, so a version made
    with no new data can say why).

    Args:
        previous: the previous version's manifest; ``previous_agg`` its aggregates. Both None for version 1.
    """
    if previous is None or previous_agg is None:
        return first_version()
    units = unit_changes(previous_agg, agg, config=config)
    figures = figure_changes(previous_agg, agg)
    before = previous.get("components", {})

    def partial(a: Mapping[str, Any]) -> bool:
        return any(s["status"] != "valid" and not (s["status"] == "missing" and s.get("required") is False)
                   for s in a["submissions"])

    return {
        "number": str(number),
        "first": False,
        "previous": str(previous["number"]),
        "unit_changes": units,
        "figure_changes": figures,
        "partial": partial(previous_agg) or partial(agg),
        "data_changed": bool(units or figures),
        "template_changed": before.get("template_sha256") != components["template_sha256"],
        "config_changed": before.get("config_sha256") != components["config_sha256"],
        "code_changed": (before.get("code_sha256"), before.get("zlib")) != (components["code_sha256"],
                                                                           components["zlib"]),
    }


# --------------------------------------------------------------------------------------------- publishing


@contextlib.contextmanager
def versions_lock(period: Period, root: Path | None = None) -> Iterator[None]:
    """Hold the period's versions lock (an exclusive ``flock`` on a hidden file in the period's folder) while a
    version is numbered, rendered and published: two writers never take the same number."""
    import fcntl

    path = versions_lock_path(period, root)
    ensure_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


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
                    root: Path | None = None) -> Path:
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


def add_derived_file(period: Period, n: int, name: str, src: Path, root: Path | None = None) -> Path:
    """Add a file derived from version ``n``'s report (a PDF made later) to its folder: copied under a temporary
    name and renamed into place, owner-only, then recorded in the manifest's ``derived`` (rewritten atomically)
    and the index. The version's identity (its ``files``) is unchanged. Returns the published path.

    Raises:
        VersionError: no such version, or ``name`` is one of the version's own files.
    """
    from pipeline.files import copy_file

    with versions_lock(period, root):
        manifest = read_manifest(period, n, root)
        if name in manifest.get("files", {}) or name in (version_manifest_path(period, n, root).name,
                                                          version_aggregates_path(period, n, root).name):
            raise VersionError(f"{name} là tệp của chính phiên bản {n}: không thay bằng tệp dẫn xuất")
        out = copy_file(Path(src), version_dir(period, n, root) / name, private=True)
        manifest["derived"] = {**manifest.get("derived", {}), name: hashlib.sha256(out.read_bytes()).hexdigest()}
        write_text(version_manifest_path(period, n, root), json.dumps(manifest, ensure_ascii=False, indent=1))
        refresh_index(period, root)
    return out


def index(period: Period, root: Path | None = None) -> dict[str, Any]:
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


def refresh_index(period: Period, root: Path | None = None) -> None:
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


def switch_current(period: Period, n: int, root: Path | None = None) -> Path:
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


def render_version(agg: Mapping[str, Any], *, config: Config, period: Period, root: Path | None = None,
                   companions: Sequence[StageFiles] = (), derived: Sequence[StageFiles] = ()) -> Path:
    """Make (or re-use) the version of ``period``'s report for ``agg``; returns its report's path.

    Under :func:`versions_lock`: when the latest version's fingerprint equals ``agg``'s (same inputs,
    template, configuration, code), that version's report is returned and nothing is rendered; otherwise the
    report is rendered with the changes since the latest version (:func:`version_context`), audited
    (:func:`pipeline.render.report.stage_report`) and published as the next version (:func:`publish_version`).

    Args:
        companions: steps staging other files of the version from the staged report (an annex workbook):
            published in the same folder, part of its identity (their SHA-256 in the manifest's ``files``);
            their bytes must depend only on the same inputs (see :func:`normalise_docx` for a zip), and the
            code making them be imported by :data:`pipeline.codehash.RENDER_MODULES`.
        derived: steps staging files derived from the staged report: published in the same folder, recorded
            apart (``derived``), not part of the identity. The staged PDF :func:`pipeline.render.report.stage_report`
            makes beside the report (:mod:`pipeline.render.pdf`), when there is one, is published so.

    Raises:
        pipeline.render.report.RenderError, VersionError, OSError: nothing new is published.
    """
    from pipeline.render.report import stage_report

    with versions_lock(period, root):
        components = fingerprint_components(agg, config=config, period=period, root=root)
        fp = fingerprint(components)
        latest = latest_version(period, root)
        previous = read_manifest(period, latest, root) if latest is not None else None
        if previous is not None and previous.get("fingerprint") == fp \
                and report_path(period, root, version=latest).is_file():
            log.info("Period %s: inputs unchanged since version %d, re-used", period.code, latest)
            refresh_index(period, root)
            return report_path(period, root, version=latest)
        number = (latest or 0) + 1
        previous_agg = read_version_aggregates(period, latest, root) if latest is not None else None
        context = version_context(number, agg, components, config=config, previous=previous,
                                  previous_agg=previous_agg)
        staged = stage_report(dict(agg), config=config, period=period, root=root, version=context)
        crashpoint("render")
        created_from = None if previous is None else {
            "number": previous["number"], "fingerprint": previous.get("fingerprint"),
            "report_sha256": previous.get("report_sha256")}
        manifest = {"fingerprint": fp, "components": components, "created_from": created_from}
        files = {report_name(period): staged}
        for step in companions:
            files.update(step(staged))
        pdf = staged.with_suffix(".pdf")  # pipeline.render.pdf.stage_pdf's copy, when LibreOffice could make it
        extra: dict[str, Path] = {Path(report_name(period)).with_suffix(".pdf").name: pdf} if pdf.is_file() else {}
        for step in derived:
            extra.update(step(staged))
        folder = publish_version(period, number, files, aggregates=agg, manifest=manifest, derived=extra,
                                 root=root)
        log.info("Period %s: version %d published (%s)", period.code, number, folder.name)
        return folder / report_name(period)
