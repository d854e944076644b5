"""Intake: register the files dropped in ``inbox/<period>/`` in the ledger, each archived byte for byte.

Used by the intake DAG (every few minutes) and as the periodic report's final pass, through
:mod:`pipeline.orchestrator`, which validates what a pass registered (:mod:`pipeline.validate.run`). A file
is registered once per distinct content, with its unit read from the workbook (the version's one read: its
frames are staged for validation and aggregation). ``inbox/`` and ``inbox/<period>/`` must be real folders, or
links to a target ``intake.allowed_inbox_links`` allows (:func:`inbox_refusal`); the final pass fails on any other.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import fmt
from pipeline.config import PERIOD_RE, Config, Period
from pipeline.files import crashpoint, sweep_stale, write_text
from pipeline.ledger.store import (
    Ledger,
    NotRegularFile,
    SourceChanged,
    Version,
    archive_file,
)
from pipeline.ledger.timeliness import arrived_on_time, policy_from_config
from pipeline.paths import archive_period_dir, inbox_dir, skipped_path
from pipeline.read.reader import UnreadableSubmission, unit_code_only
from pipeline.read.staging import staged_submission
from pipeline.status import SYSTEM_ERROR_TITLE, Arrival
from pipeline.system_errors import error_type, log_system_error

log = logging.getLogger(__name__)


def peek_unit(path: Path, config: Config, *, sha256: str, period: Period, file_name: str,
               root: Path) -> str | None:
    """The configured unit whose code is typed in the archived file ``path``, or None (unattributed: its
    findings say why). This is the version's one read: its frames are staged for validation and
    aggregation (:mod:`pipeline.read.staging`).

    A system error while reading is logged with its traceback; the unit is then taken from the general sheet
    alone (:func:`pipeline.read.reader.unit_code_only`), so the file still counts for its unit, and validation
    gives it the system-error outcome (:func:`validate_version`). Only when that too fails is the file left
    unattributed."""
    try:
        code = staged_submission(path, sha256=sha256, period=period, config=config, file_name=file_name,
                                 root=root).unit_code
    except UnreadableSubmission as exc:
        log.info("Unit of %s not readable (%s)", path.name, type(exc).__name__)
        return None
    except Exception as exc:  # noqa: BLE001 - a fault of the pipeline on one file never stops the intake pass
        log_system_error(log, "Archived file %s not read: system error (%s)", path.name, error_type(exc), exc=exc)
        try:
            code = unit_code_only(path, config, file_name=file_name)
        except Exception as again:  # noqa: BLE001 - as above: the file stays, unattributed
            log_system_error(log, "Unit of archived file %s not read: system error (%s)", path.name,
                             error_type(again), exc=again)
            return None
    return code if code in {u.code for u in config.units} else None


def _serialised(func: Any) -> Any:
    """Run an intake pass under the ledger's intake lock (:meth:`pipeline.ledger.store.Ledger.intake_lock`): listing,
    archiving and registering of two passes — the intake DAG and the report's final pass both fire at 00:00
    on a deadline day, and ``airflow dags test`` ignores pools — never interleave."""

    @functools.wraps(func)
    def wrapper(*args: Any, ledger: Ledger, **kwargs: Any) -> Any:
        with ledger.intake_lock():
            return func(*args, ledger=ledger, **kwargs)

    return wrapper


TEMP_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".filepart")
DEFAULT_STABLE_SECONDS = 2.0
DEFAULT_INTAKE_MAX_MB = 200

SKIP_HIDDEN = "Tệp ẩn (tên bắt đầu bằng dấu chấm): không tiếp nhận. Nếu đây là báo cáo, đổi tên rồi gửi lại."
SKIP_LOCK = ("Tệp tạm của Excel (tên bắt đầu bằng '~$', có khi tệp đang mở): không tiếp nhận. Đóng Excel rồi chép "
             "tệp báo cáo thật vào thư mục.")
SKIP_PARTIAL = ("Tệp đang tải về hoặc chép dở (đuôi tạm như .part, .tmp, .crdownload): không tiếp nhận. Tệp sẽ được "
                "nhận khi đã chép xong và có tên đầy đủ (.xlsx).")
SKIP_LINK = ("Là liên kết (symbolic link), không phải tệp: không tiếp nhận, không đọc và không lưu nội dung nơi nó "
             "trỏ tới. Chép chính tệp báo cáo vào thư mục.")
SKIP_FOLDER = ("Là thư mục, không phải tệp: không tiếp nhận các tệp bên trong. Chép tệp báo cáo vào thẳng thư mục "
               "của kỳ báo cáo.")
SKIP_SPECIAL = "Không phải tệp thông thường (thiết bị, đường ống, socket): không tiếp nhận."
SKIP_GROWING = ("Tệp đang được chép vào (kích thước hoặc thời điểm sửa còn thay đổi): chưa tiếp nhận; sẽ được nhận ở "
                "lần quét sau khi đã chép xong.")
FOLDER_LINK = ("Thư mục tiếp nhận {folder} là liên kết (symbolic link) trỏ tới {target}, không phải thư mục thật: "
               "hệ thống không quét tệp nào trong đó. Cách khắc phục: thay liên kết bằng một thư mục thật rồi chép các "
               "tệp báo cáo vào; nếu đó là thư mục dùng chung được gắn (mount) có chủ đích, ghi {target} vào "
               "intake.allowed_inbox_links trong tệp cấu hình")
FOLDER_UNREACHABLE = ("Thư mục tiếp nhận {folder} là liên kết được phép trong cấu hình (intake.allowed_inbox_links), "
                      "nhưng nơi nó trỏ tới, {target}, không có hoặc không phải thư mục (thư mục dùng chung chưa được "
                      "gắn?): hệ thống không quét. Cách khắc phục: gắn lại thư mục dùng chung, hoặc sửa "
                      "intake.allowed_inbox_links trong tệp cấu hình")
FOLDER_NOT_DIR = ("{folder} không phải thư mục (là một tệp hoặc mục đặc biệt): hệ thống không quét được. Cách khắc "
                  "phục: đổi tên hoặc chuyển mục đó đi, tạo thư mục {folder} thật rồi chép các tệp báo cáo vào")
"""Why the inbox root or a period's drop folder is refused (:func:`inbox_refusal`): templates of one Vietnamese
sentence without its final stop (``{folder}``: its path under the data root; ``{target}``: where a link points)."""


class InboxRefused(RuntimeError):
    """The report's final pass found the inbox root or the period's drop folder refused
    (:func:`inbox_refusal`): nothing in it was read. ``folder`` is its path under the data root (``inbox`` or
    ``inbox/<period>``); the message is the Vietnamese reason, naming the folder and the fix."""

    def __init__(self, folder: str, reason: str) -> None:
        self.folder = folder
        super().__init__(reason)


@dataclass(frozen=True)
class Refusal:
    """A refused folder: ``name`` as listed among the skipped entries (``inbox``, or the period code), ``folder``
    its path under the data root, ``reason`` why and how to fix it (Vietnamese, no final stop)."""

    name: str
    folder: str
    reason: str


def _setting(config: Config, key: str, default: Any) -> Any:
    """A key of the ``validation:`` settings, or ``default`` when unset."""
    value = config.validation.get(key)
    return default if value is None else value


def allowed_links(config: Config) -> frozenset[str]:
    """The targets, links resolved, that a linked inbox root or drop folder may point to
    (``intake.allowed_inbox_links``: a mounted share the office chose); empty when unset."""
    return frozenset(os.path.realpath(p) for p in config.intake.get("allowed_inbox_links") or ())


def _folder_refusal(path: Path, folder: str, allowed: frozenset[str]) -> str | None:
    """Why the folder ``path`` (``folder`` under the data root) is refused, or None (a real folder, a link to
    an allowed target that is a folder, or nothing there at all)."""
    if path.is_symlink():
        target = os.path.realpath(path)
        if target not in allowed:
            return FOLDER_LINK.format(folder=folder, target=target)
        return None if os.path.isdir(target) else FOLDER_UNREACHABLE.format(folder=folder, target=target)
    if os.path.lexists(path) and not path.is_dir():
        return FOLDER_NOT_DIR.format(folder=folder)
    return None


def inbox_refusal(period: Period, config: Config, root: Path) -> Refusal | None:
    """Whether the inbox root ``inbox/`` or the period's drop folder ``inbox/<period>/`` is refused, the root
    first: a symbolic link is refused unless its target, links resolved, is one of
    ``intake.allowed_inbox_links`` (resolved too) and is a folder; an entry that is not a folder (a file, a
    device) is refused. Nothing there at all is not refused: no file has arrived yet.

    Returns:
        The refusal (:class:`Refusal`), or None when the folder may be walked (or does not exist).

    Raises:
        OSError: the folders cannot be looked at (permission denied, …).
    """
    allowed = allowed_links(config)
    base = inbox_dir(None, root)
    reason = _folder_refusal(base, "inbox", allowed)
    if reason is not None:
        return Refusal(name="inbox", folder="inbox", reason=reason)
    folder = f"inbox/{period.code}"
    reason = _folder_refusal(inbox_dir(period, root), folder, allowed)
    return None if reason is None else Refusal(name=period.code, folder=folder, reason=reason)


def read_skipped(period: Period, root: Path) -> list[dict[str, str]]:
    """The files the latest intake pass skipped: ``[{"name", "reason"}]`` (empty when none or never run)."""
    path = skipped_path(period, root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [{"name": str(d["name"]), "reason": str(d["reason"])} for d in data.get("skipped", [])]


def _name_reason(name: str) -> str | None:
    if name.startswith("~$"):
        return SKIP_LOCK
    if name.startswith("."):
        return SKIP_HIDDEN
    if name.lower().endswith(TEMP_SUFFIXES):
        return SKIP_PARTIAL
    return None


def _kind_reason(st: os.stat_result) -> str | None:
    if stat.S_ISLNK(st.st_mode):
        return SKIP_LINK
    if stat.S_ISDIR(st.st_mode):
        return SKIP_FOLDER
    if not stat.S_ISREG(st.st_mode):
        return SKIP_SPECIAL
    return None


def scan_inbox(inbox: Path, *, max_bytes: int) -> tuple[list[tuple[Path, os.stat_result]], list[dict[str, str]]]:
    """List a period's drop folder without following links: the candidate files with their first look
    (``os.lstat``) and the entries skipped with the reason (Vietnamese).

    Skipped: links, folders and other non-regular files; hidden and temporary names ("." or "~$" first,
    ".part", ".tmp", ".crdownload", …); files larger than ``max_bytes``.

    Returns:
        (candidates in order of arrival: modification time, then name; ``[{"name", "reason"}]``).
    """
    candidates: list[tuple[Path, os.stat_result]] = []
    skipped: list[dict[str, str]] = []
    for path in sorted(inbox.iterdir()):
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue  # removed while listing
        reason = _kind_reason(st) or _name_reason(path.name)
        if reason is None and st.st_size > max_bytes:
            reason = (f"Tệp quá lớn ({fmt.number(st.st_size / 1_048_576, 1)} MB; giới hạn tiếp nhận "
                      f"{fmt.number(max_bytes / 1_048_576)} MB): không lưu trữ. Xóa ảnh, sheet thừa và các dòng "
                      "trống định dạng sẵn, lưu lại rồi gửi lại.")
        if reason is not None:
            skipped.append({"name": path.name, "reason": reason})
        else:
            candidates.append((path, st))
    candidates.sort(key=lambda c: (c[1].st_mtime_ns, c[0].name))
    return candidates, skipped


def _source_digest(path: Path) -> str:
    """SHA-256 of a file in the drop folder, opened without following links."""
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb", buffering=0) as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise NotRegularFile(path.name)
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@_serialised
def intake_pass(period: Period, *, config: Config, ledger: Ledger, now: dt.datetime,
                root: Path, stable_seconds: float | None = None, final: bool = False) -> list[Version]:
    """Register every new complete file of ``inbox/<period>/`` (any name, any type).

    Each file is looked at twice, ``stable_seconds`` apart (default ``validation.intake_stable_seconds``,
    2 s); a file whose size or modification time changed is still being copied and is left for a later
    pass — a partial file is never a version. A stable new file is copied once into the archive and the
    copy hashed (:func:`pipeline.ledger.store.archive_file`); it is recorded with its unit (from the code inside
    the workbook), original name, the copy's SHA-256, size, when it was found (``now``), its modification
    time, version number and timeliness. Links, folders, other non-regular files, hidden and temporary
    names are never followed nor copied; they, files still changing and files that failed to archive are
    written with the reason to ``work/<period>/intake-skipped.json`` (:func:`read_skipped`). A failure on
    one file never stops the others. Idempotent. Runs under the ledger's intake lock; versions are numbered in
    order of arrival, then modification time, then name.

    An inbox root or drop folder refused by :func:`inbox_refusal` (a link to a target not allowed by
    ``intake.allowed_inbox_links``, or not a folder) is not walked and is listed among the skipped entries
    (named ``inbox`` or the period code); a drop folder that does not exist is no refusal (nothing arrived).

    Args:
        final: the report's final pass (:func:`pipeline.orchestrator.gather`): a refused folder raises.

    Returns:
        The versions registered by this pass, in registration order.

    Raises:
        InboxRefused: ``final`` and the inbox root or the drop folder is refused (the skipped entries are
            written first); nothing was registered.
    """
    inbox = inbox_dir(period, root)
    new: list[Version] = []
    skipped: list[dict[str, str]] = []
    # under the intake lock no archive copy is being written: temporaries there are from a killed pass
    sweep_stale(archive_period_dir(period.code, root), older_than=60)
    refusal = inbox_refusal(period, config, root)
    if refusal is not None:
        log.warning("Intake %s: %s is a link not allowed by configuration, or not a folder; not walked",
                    period.code, refusal.folder)
        skipped.append({"name": refusal.name, "reason": f"{refusal.reason}."})
    elif inbox.is_dir():
        wait = float(stable_seconds if stable_seconds is not None
                     else _setting(config, "intake_stable_seconds", DEFAULT_STABLE_SECONDS))
        max_bytes = int(float(_setting(config, "intake_max_file_mb", DEFAULT_INTAKE_MAX_MB)) * 1_048_576)
        first_look = time.monotonic()
        candidates, skipped = scan_inbox(inbox, max_bytes=max_bytes)
        unknown = []
        for src, st in candidates:
            try:
                if ledger.find(period.code, _source_digest(src)) is None:
                    unknown.append((src, st))
            except FileNotFoundError:
                continue
            except OSError as exc:
                skipped.append(_failed(src, exc))
        if unknown:
            time.sleep(max(0.0, wait - (time.monotonic() - first_look)))
        for src, st in unknown:
            version, reason = _take_in(src, st, period=period, config=config, ledger=ledger, now=now, root=root)
            if version is not None:
                new.append(version)
            if reason is not None:
                skipped.append({"name": src.name, "reason": reason})
    skipped.sort(key=lambda d: d["name"])
    path = skipped_path(period, root)
    if skipped or path.exists():
        write_text(path, json.dumps({"checked_at": now.isoformat(), "skipped": skipped}, ensure_ascii=False,
                                    indent=1), private=True)  # file names a commune chose: kept owner-only
    if refusal is not None and final:
        raise InboxRefused(refusal.folder, refusal.reason)
    log.info("Intake %s: %d new file(s), %d skipped", period.code, len(new), len(skipped))
    return new


def _failed(src: Path, exc: BaseException) -> dict[str, str]:
    """The skip entry of a file that could not be archived (an OS error: a system error, logged at ERROR)."""
    log.error("Intake: %s could not be archived (%s: %s)", src.name, type(exc).__name__, exc)  # paths, no cell
    return {"name": src.name, "reason": f"{SYSTEM_ERROR_TITLE} ({type(exc).__name__}): tệp chưa được tiếp nhận; "
                                       "hệ thống thử lại ở lần quét sau, đơn vị không cần gửi lại."}


def _take_in(src: Path, first: os.stat_result, *, period: Period, config: Config, ledger: Ledger, now: dt.datetime,
             root: Path) -> tuple[Version | None, str | None]:
    """Second look, archive copy and registration of one file: (its new version or None, a skip reason or
    None). Never raises for a fault of the file; a ledger failure is raised (it concerns every file)."""
    try:
        second = os.lstat(src)
    except FileNotFoundError:
        return None, None  # removed since the first look
    reason = _kind_reason(second)
    if reason is not None:
        return None, reason
    if (second.st_size, second.st_mtime_ns, second.st_ino) != (first.st_size, first.st_mtime_ns, first.st_ino):
        log.info("Intake: %s is still changing; left for a later pass", src.name)
        return None, SKIP_GROWING
    try:
        copy, digest, size = archive_file(src, period, root, expected=second)
    except NotRegularFile:
        return None, SKIP_LINK if os.path.islink(src) else SKIP_SPECIAL
    except SourceChanged:
        return None, SKIP_GROWING
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, _failed(src, exc)["reason"]
    if ledger.find(period.code, digest) is not None:
        return None, None
    crashpoint("intake-after-archive")
    mtime = dt.datetime.fromtimestamp(second.st_mtime, tz=dt.UTC)
    version = ledger.register(
        period=period.code, unit_code=peek_unit(copy, config, sha256=digest, period=period, file_name=src.name,
                                                 root=root),
        original_name=src.name, sha256=digest,
        size_bytes=size, found_at=now, file_mtime=mtime, archive_path=str(copy),
        received_at=now, received_via=Arrival.INTAKE,
        on_time=arrived_on_time(now, Arrival.INTAKE, period, policy_from_config(config)),
    )
    return version, None


def superseded_unattributed(ledger: Ledger, period: Period) -> set[int]:
    """Ids of unattributed versions whose original name was later registered as a version of a unit: the
    same file read when incomplete (an older ledger could register a partial copy). They are history, not
    something staff must act on."""
    attributed = [v for v in ledger.versions(period.code) if v.unit_code is not None]
    return {v.id for v in ledger.versions(period.code, None)
            if any(a.original_name == v.original_name and a.id > v.id for a in attributed)}




def open_periods(config: Config, root: Path) -> list[str]:
    """Period codes that have a drop folder ``inbox/<period>/``. Folders with other names are ignored, and so
    are folders refused as :func:`inbox_refusal` refuses them (a link whose target is not in
    ``intake.allowed_inbox_links``, or not a folder): none when the inbox root itself is refused (logged at
    WARNING; the report's final pass fails on it)."""
    inbox = inbox_dir(None, root)
    allowed = allowed_links(config)
    if _folder_refusal(inbox, "inbox", allowed) is not None:
        log.warning("The inbox root is a link not allowed by configuration, or not a folder; not walked")
        return []
    if not inbox.is_dir():
        return []
    out = []
    for p in sorted(inbox.iterdir()):
        if not PERIOD_RE.match(p.name):
            continue
        if _folder_refusal(p, f"inbox/{p.name}", allowed) is not None:  # its files could be anywhere
            log.warning("Drop folder %s is a link not allowed by configuration, or not a folder; not walked",
                        p.name)
            continue
        if p.is_dir():
            out.append(p.name)
    return out


