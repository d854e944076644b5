"""Is a workbook file whole? The container check intake makes before taking a file, and the reader before
calling a file damaged.

A copy that stops half-way (a network share's pause, an upload cut off) leaves a file whose beginning is
valid and whose end is missing. Both Excel containers say where their end is:

* .xlsx (and any zip: .xlsm, .ods): the end-of-central-directory record (signature ``PK\\x05\\x06``, 22 bytes
  plus a comment of the length it declares) closes the file, and the central directory it points to lies
  just before it (PKWARE APPNOTE 6.3.x, section 4.3.16; zip64 through its locator, 4.3.15);
* .xls (OLE2 compound file, MS-CFB 2.2–2.3): the 512-byte header gives the sector size and the sectors of
  the allocation table (FAT); sector ``n`` lies at ``(n + 1) × sector size``; every FAT sector must be in the
  file, and so must the highest sector the FAT marks as used.

A file that is neither (a CSV, a PDF sent by mistake) has no such record: only its stability across looks
tells, and only an empty file or one whose first bytes are all zero (space reserved by a copy that has not
written yet) is judged incomplete.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_CENTRAL_ENTRY = b"PK\x01\x02"
_FREE_SECTOR = 0xFFFFFFFF
_LAST_REGULAR_SECTOR = 0xFFFFFFFA  # MAXREGSECT: above it, the special markers (end of chain, FAT, DIFAT, free)
_ZERO_HEAD = 512


@dataclass(frozen=True)
class Gap:
    """Why a file is not whole yet: ``kind`` "xlsx", "xls" or "other"; ``size`` the bytes present;
    ``expected`` the size the container declares (bytes), when it says; ``what`` (Vietnamese, no final stop)
    what is missing, for the unit's finding and the skipped list."""

    kind: str
    size: int
    what: str
    expected: int | None = None


def container_gap(path: Path) -> Gap | None:
    """The :class:`Gap` of the file at ``path``, or None when it is whole (or of a kind with no end record).

    Raises:
        OSError: the file cannot be read.
    """
    with open(path, "rb") as fh:
        return stream_gap(fh)


def stream_gap(fh: BinaryIO) -> Gap | None:
    """:func:`container_gap` of an open binary file (read from its start; the position is left anywhere)."""
    size = fh.seek(0, 2)
    if size == 0:
        return Gap("other", 0, "tệp rỗng (0 byte)")
    fh.seek(0)
    head = fh.read(_ZERO_HEAD)
    if len(head) < len(OLE_MAGIC) and any(magic.startswith(head) for magic in (ZIP_MAGIC, OLE_MAGIC)):
        return Gap("other", size, f"mới có {size} byte đầu của tệp")
    if head.startswith(ZIP_MAGIC) or head.startswith(_EMPTY_ZIP):
        return _zip_gap(fh, size)
    if head.startswith(OLE_MAGIC):
        return _ole_gap(fh, size, head)
    if not head.strip(b"\x00"):
        return Gap("other", size, f"{_ZERO_HEAD if size >= _ZERO_HEAD else size} byte đầu của tệp toàn số 0 "
                                  "(chỗ đã dành sẵn nhưng chưa chép nội dung vào)")
    return None


def _zip_gap(fh: BinaryIO, size: int) -> Gap | None:
    """A zip is whole when it ends with an end-of-central-directory record whose comment reaches exactly the
    end of the file and whose central directory starts with an entry signature where it says."""
    window = min(size, _EOCD_SIZE + 0xFFFF)
    fh.seek(size - window)
    tail = fh.read(window)
    missing = Gap("xlsx", size, "thiếu phần cuối của tệp (bản ghi kết thúc của tệp nén .xlsx)")
    at = tail.rfind(_EOCD)
    while at >= 0:
        if at + _EOCD_SIZE <= len(tail):
            (_, _, _, _, _, cd_size, cd_offset, comment) = struct.unpack("<4s4H2LH", tail[at:at + _EOCD_SIZE])
            if at + _EOCD_SIZE + comment == len(tail):
                eocd = size - window + at
                if cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF:  # zip64: its locator sits just before
                    return None if tail[max(0, at - 20):at].startswith(_ZIP64_LOCATOR) else missing
                if cd_offset + cd_size > eocd:
                    return missing
                if cd_size:
                    fh.seek(cd_offset)
                    if fh.read(4) != _CENTRAL_ENTRY:
                        return missing
                return None
        at = tail.rfind(_EOCD, 0, at)
    return missing


def _ole_gap(fh: BinaryIO, size: int, head: bytes) -> Gap | None:
    """An OLE2 file is whole when its FAT sectors and the highest sector its FAT uses are in the file. A
    header that makes no sense (sector size other than 512 or 4,096 bytes) is left to the reader, which
    calls the file damaged."""
    if len(head) < 512:
        return Gap("xls", size, "thiếu phần đầu của tệp .xls (chưa đủ 512 byte)")
    shift = struct.unpack_from("<H", head, 0x1E)[0]
    if shift not in (9, 12):
        return None
    sector = 1 << shift
    fat_count, = struct.unpack_from("<L", head, 0x2C)
    difat_next, difat_count = struct.unpack_from("<2L", head, 0x44)
    fat_sectors = [s for s in struct.unpack_from("<109L", head, 0x4C) if s <= _LAST_REGULAR_SECTOR]
    per_difat = sector // 4 - 1
    for _ in range(min(difat_count, size // sector + 1)):
        if difat_next > _LAST_REGULAR_SECTOR:
            break
        block = _sector(fh, difat_next, sector, size)
        if block is None:
            return _ole_missing(size, (difat_next + 2) * sector)
        entries = struct.unpack(f"<{per_difat + 1}L", block)
        fat_sectors += [s for s in entries[:per_difat] if s <= _LAST_REGULAR_SECTOR]
        difat_next = entries[per_difat]
    highest = -1
    for position, number in enumerate(fat_sectors[:fat_count]):
        block = _sector(fh, number, sector, size)
        if block is None:
            return _ole_missing(size, (number + 2) * sector)
        entries = struct.unpack(f"<{sector // 4}L", block)
        used = [i for i, e in enumerate(entries) if e != _FREE_SECTOR]
        if used:
            highest = max(highest, position * (sector // 4) + used[-1])
    if highest >= 0 and size < (highest + 2) * sector:  # the last used sector is not all there
        return _ole_missing(size, (highest + 2) * sector)
    return None


def _sector(fh: BinaryIO, number: int, sector: int, size: int) -> bytes | None:
    """The bytes of sector ``number``, or None when the file does not reach its end yet."""
    start = (number + 1) * sector
    if start + sector > size:
        return None
    fh.seek(start)
    return fh.read(sector)


def _ole_missing(size: int, expected: int) -> Gap:
    return Gap("xls", size, "thiếu phần cuối của tệp .xls", expected)
