"""Staff registration of a file that reached the district outside the drop folder (e-mail, Zalo, paper).

``python -m pipeline receive FILE --period P --received-at "2023-05-03T09:00:00+07:00" --by NAME --note TEXT``
archives the file exactly as an intake pass does, and registers it in the ledger with the receipt time the
staff member gives (``received_via = staff``), who registered it and how it came. On time when that receipt
time is before the deadline (no tolerance: see :func:`pipeline.ledger.timeliness.arrived_on_time`; the deadline moves
off a weekend or holiday when configured, :func:`pipeline.ledger.timeliness.deadline`). The next intake
pass, or the report's final pass, validates it like any other version.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config, Period
from pipeline.files import sha256_of
from pipeline.intake.inbox import peek_unit
from pipeline.ledger.store import (
    Ledger,
    NotRegularFile,
    SourceChanged,
    Version,
    archive_file,
)
from pipeline.ledger.timeliness import arrived_on_time, policy_from_config
from pipeline.status import Arrival


class ReceiptError(ValueError):
    """A receipt that cannot be registered; the message (Vietnamese) says why."""


@dataclass(frozen=True)
class Receipt:
    """The outcome of :func:`receive_file`: the ledger row and whether this call created it (False: the same
    bytes were already registered for the period, nothing was added)."""

    version: Version
    created: bool


def parse_received_at(text: str, *, now: dt.datetime) -> dt.datetime:
    """Parse a receipt time given by staff (ISO 8601 with its UTC offset, e.g. ``2023-05-03T09:00:00+07:00``).

    Raises:
        ReceiptError: not a time, no offset (a time without one is ambiguous), or later than ``now``.
    """
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReceiptError(
            f"Thời điểm nhận không hợp lệ: {text!r}. Ghi theo dạng 2023-05-03T09:00:00+07:00.") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ReceiptError(
            f"Thời điểm nhận {text!r} thiếu múi giờ. Ghi kèm múi giờ, ví dụ 2023-05-03T09:00:00+07:00.")
    if value > now:
        raise ReceiptError(f"Thời điểm nhận {text!r} ở tương lai: chỉ ghi nhận tệp đã nhận được.")
    return value


def receive_file(path: Path, period: Period, *, config: Config, ledger: Ledger, received_at: dt.datetime,
                 received_by: str, note: str | None, now: dt.datetime, root: Path,
                 via: Arrival = Arrival.STAFF, original_name: str | None = None,
                 sender_unit: str | None = None) -> Receipt:
    """Archive ``path`` and register it for ``period`` as received by district staff at ``received_at``
    (``via`` :attr:`Arrival.STAFF`), or as sent from the upload page by the account ``received_by`` at the end of
    its upload (``via`` :attr:`Arrival.UPLOAD`; ``original_name``: the name of the file the unit chose, ``path``
    being the page's temporary copy; ``sender_unit``: the logged-in unit, whose file it is when no unit's code
    can be read in it — an empty, damaged or locked file sent from the unit's own account is still the unit's).

    Under the ledger's intake lock (numbering stays in order of registration). The unit comes from the code
    inside the workbook, as for intake; ``found_at`` is ``now`` (when it was registered). Validation is left to
    the caller (outside the lock).

    Raises:
        ReceiptError: the file does not exist or is not a regular file, ``received_by`` is empty, the period
            has no configured unit, or ``received_at`` is before 1 January of the period's year (a typo: the
            period's data did not exist yet).
        OSError: the archive copy failed.
    """
    if path.is_symlink() or not path.is_file():
        raise ReceiptError(f"Không tìm thấy tệp (hoặc không phải tệp thường): {path}")
    if not received_by.strip():
        raise ReceiptError("Cần ghi tên người ghi nhận (--by).")
    if not config.units_on(period.cutoff):
        raise ReceiptError(f"Kỳ {period.code} không có đơn vị báo cáo nào trong cấu hình (không đơn vị nào còn "
                           f"hiệu lực ngày {period.cutoff:%d/%m/%Y}): kiểm tra lại kỳ báo cáo.")
    if received_at.astimezone(config.timezone).date() < period.baseline:
        raise ReceiptError(
            f"Thời điểm nhận {received_at.astimezone(config.timezone):%d/%m/%Y %H:%M} trước ngày "
            f"{period.baseline:%d/%m/%Y}, khi kỳ {period.code} chưa bắt đầu: kiểm tra lại năm đã ghi.")
    with ledger.intake_lock():
        digest = sha256_of(path)
        existing = ledger.find(period.code, digest)
        if existing is not None:
            return Receipt(existing, False)
        first = os.lstat(path)
        try:
            copy, digest, size = archive_file(path, period, root, expected=first)
        except (NotRegularFile, SourceChanged) as exc:
            raise ReceiptError(f"Tệp {path.name} không phải tệp thường hoặc đang thay đổi; chép xong rồi ghi nhận "
                               "lại.") from exc
        existing = ledger.find(period.code, digest)
        if existing is not None:
            return Receipt(existing, False)
        mtime = dt.datetime.fromtimestamp(first.st_mtime, tz=dt.UTC)
        name = original_name or path.name
        code = peek_unit(copy, config, sha256=digest, period=period, file_name=name, root=root) or sender_unit
        unit = config.unit_on(code, period.cutoff)
        version = ledger.register(
            period=period.code, original_name=name, sha256=digest, unit_code=code,
            unit_since=unit.valid_from if unit is not None else None, size_bytes=size, found_at=now,
            file_mtime=mtime, archive_path=str(copy),
            received_at=received_at, received_via=via, received_by=received_by.strip(),
            receipt_note=(note or "").strip() or None,
            on_time=arrived_on_time(received_at, via, period, policy_from_config(config)),
        )
    return Receipt(version, True)
