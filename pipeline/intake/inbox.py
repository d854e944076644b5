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
from pipeline.read.container import Gap, container_gap
from pipeline.read.reader import UnreadableSubmission, unit_code_only
from pipeline.read.staging import staged_submission
from pipeline.status import SYSTEM_ERROR_TITLE, Arrival
from pipeline.system_errors import error_type, log_system_error

log = logging.getLogger(__name__)


def peek_unit(path: Path, config: Config, *, sha256: str, period: Period, file_name: str,
               root: Path) -> str | None:
    """The configured unit (or the office reporting for ``period``) whose code is typed in the archived file
    ``path``, or None (unattributed: its findings say why). This is the version's one read: its frames are staged
    for validation and aggregation (:mod:`pipeline.read.staging`).

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
    if code is not None and config.office(code, period.cutoff) is not None:
        return code  # an office reporting that period (one that no longer reports is left to its findings)
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
SKIP_SAME_BYTES = ("Cùng nội dung (từng byte) với tệp {name} đã nhận lúc {at}: không tạo phiên bản mới. Nếu đây là "
                   "báo cáo đã sửa, hãy lưu lại các thay đổi rồi gửi lại.")
SKIP_INCOMPLETE = ("Tệp chưa nhận trọn vẹn ({what}): chưa tiếp nhận. Hệ thống thấy tệp lần đầu lúc {first} và chờ tệp "
                   "được chép xong đến {until}; sau đó tệp được lưu như đã nhận, bị từ chối vì chưa trọn vẹn và đơn vị "
                   "phải gửi lại toàn bộ tệp.")
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


@dataclass
class _Look:
    """One file of a pass: where it is, its last ``os.lstat``, when it was first seen (aware), and, once
    looked at again, why it is not taken yet (``growing``: it changed between looks; ``gap``: not whole)."""

    src: Path
    st: os.stat_result
    first_seen: dt.datetime
    growing: bool = False
    gap: Gap | None = None


@_serialised
def intake_pass(period: Period, *, config: Config, ledger: Ledger, now: dt.datetime,
                root: Path, stable_seconds: float | None = None, final: bool = False) -> list[Version]:
    """Register every new whole file of ``inbox/<period>/`` (any name, any type).

    Each file is looked at twice, ``stable_seconds`` apart (default ``validation.intake_stable_seconds``,
    2 s), and taken only when it did not change between the looks *and* its container is whole
    (:func:`pipeline.read.container.container_gap`: an .xlsx's end record, an .xls's declared sectors); a file
    still being copied is left for a later look — a partial file is never a version. When each file was
    first seen is kept in the ledger (:meth:`pipeline.ledger.store.Ledger.sight`); a file taken within
    ``intake.incomplete_wait_minutes`` (default 10) of that arrived when it was first seen, later ones when
    taken. A file seen that long and still not whole (but no longer changing) is archived as received and
    registered all the same: its validation refuses it as "tệp chưa nhận trọn vẹn"
    (:func:`pipeline.read.sources.incomplete`) — nothing received is lost.

    The final pass (``final``) waits, looking again every ``stable_seconds`` (at least 0.2 s), for the
    files first seen by the deadline or within the pass's tolerance (:func:`arrived_on_time`) that are still
    changing or not whole, until each is taken or its wait is over; files first seen later are late anyway
    and left for later passes.

    A new file is copied once into the archive and the copy hashed (:func:`pipeline.ledger.store.archive_file`);
    it is recorded with its unit (from the code inside the workbook), original name, the copy's SHA-256, size,
    when it was taken (``now``, plus the time waited), its arrival, its modification time, version number and
    timeliness. Links, folders, other non-regular files, hidden and temporary names are never followed nor
    copied; they, files still being copied and files that failed to archive are written with the reason to
    ``work/<period>/intake-skipped.json`` (:func:`read_skipped`). A failure on one file never stops the others.
    Idempotent. Runs under the ledger's intake lock; versions are numbered in order of registration.

    An inbox root or drop folder refused by :func:`inbox_refusal` (a link to a target not allowed by
    ``intake.allowed_inbox_links``, or not a folder) is not walked and is listed among the skipped entries
    (named ``inbox`` or the period code); a drop folder that does not exist is no refusal (nothing arrived).

    Args:
        final: the report's final pass (:func:`pipeline.orchestrator.gather`): waits as above; a refused
            folder raises.

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
        log.info("Intake %s: %s is a link not allowed by configuration, or not a folder; not walked",
                 period.code, refusal.folder)  # the skipped entries and the final pass's failure say it to staff
        skipped.append({"name": refusal.name, "reason": f"{refusal.reason}."})
    elif inbox.is_dir():
        interval = float(stable_seconds if stable_seconds is not None
                         else _setting(config, "intake_stable_seconds", DEFAULT_STABLE_SECONDS))
        max_bytes = int(float(_setting(config, "intake_max_file_mb", DEFAULT_INTAKE_MAX_MB)) * 1_048_576)
        started = time.monotonic()
        candidates, skipped = scan_inbox(inbox, max_bytes=max_bytes)
        looks: list[_Look] = []
        for src, st in candidates:
            try:
                known = ledger.find(period.code, _source_digest(src))
                if known is None:
                    looks.append(_Look(src, st, ledger.sight(period.code, src.name, st.st_ino, now)))
                elif known.original_name != src.name:  # the same bytes under another name: said, not taken twice
                    skipped.append({"name": src.name, "reason": _same_bytes(known, config)})
            except FileNotFoundError:
                continue
            except OSError as exc:
                skipped.append(_failed(src, exc, config))
        for name in set(ledger.sightings(period.code)) - {look.src.name for look in looks}:
            ledger.forget_sighting(period.code, name)  # taken, gone, or now bytes already registered
        waited = _Waits(period=period, config=config, ledger=ledger, now=now, root=root, started=started,
                        interval=interval)
        new, pending, reasons = waited.take(looks, final=final)
        skipped += reasons
        for look in pending:
            version, reason = waited.settle(look)
            if version is not None:
                new.append(version)
            if reason is not None:
                skipped.append({"name": look.src.name, "reason": reason})
    skipped.sort(key=lambda d: d["name"])
    path = skipped_path(period, root)
    if skipped or path.exists():
        write_text(path, json.dumps({"checked_at": now.isoformat(), "skipped": skipped}, ensure_ascii=False,
                                    indent=1), private=True)  # file names a commune chose: kept owner-only
    if refusal is not None and final:
        raise InboxRefused(refusal.folder, refusal.reason)
    log.info("Intake %s: %d new file(s), %d skipped", period.code, len(new), len(skipped))
    return new


MIN_POLL_SECONDS = 0.2


@dataclass
class _Waits:
    """The looks of one intake pass after the first: taking the files that are whole and stable, waiting for
    the others (final pass), settling those still not whole when their wait is over."""

    period: Period
    config: Config
    ledger: Ledger
    now: dt.datetime
    root: Path
    started: float
    interval: float

    def clock(self) -> dt.datetime:
        """The pass's time: ``now`` plus the time this pass has spent (waiting included)."""
        return self.now + dt.timedelta(seconds=time.monotonic() - self.started)

    def _waiting_for(self, look: _Look, *, final: bool) -> bool:
        """Whether the final pass waits longer for ``look``: first seen in time, and its wait not over."""
        return (final and arrived_on_time(look.first_seen, Arrival.INTAKE, self.period,
                                          policy_from_config(self.config))
                and self.clock() - look.first_seen < self.config.incomplete_wait())

    def take(self, looks: list[_Look], *, final: bool) -> tuple[list[Version], list[_Look], list[dict[str, str]]]:
        """Look again at ``looks`` (``interval`` after the first look), taking the files that are ready;
        the final pass goes on looking at the ones it waits for (:meth:`_waiting_for`).

        Returns:
            (the versions registered, the files still not ready — for :meth:`settle` —, skip entries of files
            that cannot be taken).
        """
        new: list[Version] = []
        skipped: list[dict[str, str]] = []
        parked: list[_Look] = []
        pending = looks
        first_round = True
        while pending:
            if first_round:
                time.sleep(max(0.0, self.interval - (time.monotonic() - self.started)))
            else:
                time.sleep(max(self.interval, MIN_POLL_SECONDS))
            still: list[_Look] = []
            for look in pending:
                version, reason, again = self._look_again(look, at=self.now if first_round else self.clock())
                if version is not None:
                    new.append(version)
                if reason is not None:
                    skipped.append({"name": look.src.name, "reason": reason})
                if again is not None:
                    still.append(again)
            first_round = False
            pending = [look for look in still if self._waiting_for(look, final=final)]
            parked += [look for look in still if not any(look is p for p in pending)]
            if pending:
                log.info("Intake %s: waiting for %d file(s) still being copied", self.period.code, len(pending))
        return new, parked, skipped

    def _look_again(self, look: _Look, *, at: dt.datetime) -> tuple[Version | None, str | None, _Look | None]:
        """Another look at one file, and its archive copy and registration when it is ready: (its new version
        or None, a skip reason or None, the file's new look when it is not ready yet or None). Never raises
        for a fault of the file; a ledger failure is raised (it concerns every file)."""
        src = look.src
        try:
            second = os.lstat(src)
        except FileNotFoundError:
            return None, None, None  # removed since the first look
        reason = _kind_reason(second)
        if reason is not None:
            return None, reason, None
        if (second.st_size, second.st_mtime_ns, second.st_ino) != (look.st.st_size, look.st.st_mtime_ns,
                                                                    look.st.st_ino):
            log.info("Intake: %s is still changing", src.name)
            first_seen = (look.first_seen if second.st_ino == look.st.st_ino
                          else self.ledger.sight(self.period.code, src.name, second.st_ino, at))
            return None, None, _Look(src, second, first_seen, growing=True)
        try:
            gap = container_gap(src)
        except FileNotFoundError:
            return None, None, None
        except OSError as exc:
            return None, _failed(src, exc, self.config)["reason"], None
        if gap is not None:
            log.info("Intake: %s is not whole yet (%s of %s bytes)", src.name, gap.size, gap.expected or "?")
            return None, None, _Look(src, second, look.first_seen, gap=gap)
        received = look.first_seen if at - look.first_seen <= self.config.incomplete_wait() else at
        version, reason = self._archive(src, second, at=at, received_at=received)
        if reason is SKIP_GROWING:
            return None, None, _Look(src, second, look.first_seen, growing=True)
        return version, reason, None

    def settle(self, look: _Look) -> tuple[Version | None, str | None]:
        """A file not ready when the pass ends: (its version, when it is no longer changing, still not whole
        and its wait is over — archived as received, arrival when first seen —, else None; the skip reason
        of a file left for a later pass, else None)."""
        tz = self.config.timezone
        waited_until = look.first_seen + self.config.incomplete_wait()
        if look.growing or look.gap is None:
            return None, SKIP_GROWING
        if self.clock() < waited_until:
            return None, SKIP_INCOMPLETE.format(what=look.gap.what, first=_seconds(look.first_seen, tz),
                                                until=_seconds(waited_until, tz))
        log.info("Intake: %s still not whole %s after it was first seen; archived and refused", look.src.name,
                 self.config.incomplete_wait())  # the status page says it to staff
        version, reason = self._archive(look.src, look.st, at=self.clock(), received_at=look.first_seen)
        return version, None if reason is SKIP_GROWING else reason

    def _archive(self, src: Path, st: os.stat_result, *, at: dt.datetime,
                 received_at: dt.datetime) -> tuple[Version | None, str | None]:
        """Archive copy and registration of one file judged by its last look ``st``: (its new version or None,
        a skip reason or None; :data:`SKIP_GROWING` when it changed during the copy)."""
        period, ledger = self.period, self.ledger
        try:
            copy, digest, size = archive_file(src, period, self.root, expected=st)
        except NotRegularFile:
            return None, SKIP_LINK if os.path.islink(src) else SKIP_SPECIAL
        except SourceChanged:
            return None, SKIP_GROWING
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            return None, _failed(src, exc, self.config)["reason"]
        ledger.forget_sighting(period.code, src.name)
        known = ledger.find(period.code, digest)
        if known is not None:  # the same bytes came under another name in this pass
            return None, None if known.original_name == src.name else _same_bytes(known, self.config)
        crashpoint("intake-after-archive")
        code = peek_unit(copy, self.config, sha256=digest, period=period, file_name=src.name, root=self.root)
        unit = self.config.unit_on(code, period.cutoff)
        version = ledger.register(
            period=period.code, unit_code=code, unit_since=unit.valid_from if unit is not None else None,
            original_name=src.name, sha256=digest, size_bytes=size, found_at=at,
            file_mtime=dt.datetime.fromtimestamp(st.st_mtime, tz=dt.UTC), archive_path=str(copy),
            received_at=received_at, received_via=Arrival.INTAKE,
            on_time=arrived_on_time(received_at, Arrival.INTAKE, period, policy_from_config(self.config)),
        )
        return version, None


def _same_bytes(known: Version, config: Config) -> str:
    """The skip reason of a file whose bytes are already the version ``known`` (under another name)."""
    return SKIP_SAME_BYTES.format(name=known.original_name, at=fmt.local_time(known.received_at, config.timezone))


def _seconds(when: dt.datetime, tz: dt.tzinfo) -> str:
    """An instant as local "HH:MM:SS dd/mm/yyyy": a wait of seconds must not read "19:07 to 19:07"."""
    return when.astimezone(tz).strftime("%H:%M:%S %d/%m/%Y")


def _failed(src: Path, exc: BaseException, config: Config) -> dict[str, str]:
    """The skip entry of a file that could not be archived (an OS error: a system error, logged at ERROR)."""
    log.error("Intake: %s could not be archived (%s: %s)", src.name, type(exc).__name__, exc)  # paths, no cell
    return {"name": src.name, "reason": config.fill(f"{SYSTEM_ERROR_TITLE} ({type(exc).__name__}): tệp chưa được "
                                                    "tiếp nhận; hệ thống thử lại ở lần quét sau, đơn vị không cần gửi "
                                                    "lại.")}


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


