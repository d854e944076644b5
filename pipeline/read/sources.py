"""Open a submission file of any accepted kind as an openpyxl workbook of cell values.

Accepted: .xlsx and .xlsm (macros are never run, nor kept), .xls (Excel 97–2003, read with xlrd), and CSV
text in UTF-8, UTF-8 with BOM or Windows-1258 (one table, see ``docs/submission-format.md``). The file's
content decides, never its name. Refused with a Vietnamese message that says what to do: empty,
oversized, password-protected, corrupt, or any other kind of file.

Also detects text typed in the legacy 8-bit Vietnamese encodings TCVN3 (fonts ".VnTime", ".VnArial", …)
and VNI ("VNI-Times", …), which would otherwise be stored as mojibake: by font, or by words that are not
Vietnamese syllables but read as one in a legacy encoding (:func:`legacy_word`), so that no Unicode
Vietnamese text can ever be taken for a legacy one.

Resources are bounded before any parsing (:class:`Limits`): an .xlsx/.xlsm is refused when its members
would expand past the total or per-member ratio limits (zip bombs), when a sheet declares or holds cells
beyond the row, column or cell limits (a stray cell at XFD1048576 makes openpyxl allocate gigabytes), or
when a sheet's XML is malformed; .xls and CSV files are held to the same row, column and cell limits.

A file is refused as corrupt only for real damage, known by the exception's kind
(:data:`CORRUPTION_ERRORS`): not a zip or a damaged one, truncated or garbled compressed data, a part whose
XML is not well-formed, a damaged Excel 97–2003 file. Any other exception — a library choking on a file it
should read, a bug, memory exhausted — is a system error: it propagates, and the caller marks the file
as not checked (:mod:`pipeline.system_errors`), never as the unit's fault.
Workbooks are opened in openpyxl's normal mode (read-only mode cannot see merged cells or hidden rows);
callers read cells through :func:`cell_at` and :func:`last_data_row`, which never create cells.
"""

from __future__ import annotations

import copy
import csv
import functools
import io
import logging
import os
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError

import olefile
import xlrd
from lxml import etree
from olefile.olefile import OleFileError
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from xlrd.compdoc import CompDocError

from pipeline import fmt, schema
from pipeline.read.container import OLE_MAGIC, ZIP_MAGIC, Gap, stream_gap
from pipeline.textvalue import plain_text

MIB = 1_048_576
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([^\"]*)\"")
RATIO_FLOOR = MIB  # members smaller than this expand too little to matter, whatever their ratio
ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})

CORRUPTION_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,  # not a zip, a damaged directory or member header, a CRC that does not match
    zlib.error,  # garbled deflate data
    EOFError,  # compressed data cut short
    etree.XMLSyntaxError,  # a part's XML is not well-formed (lxml: our checks, openpyxl)
    ParseError,  # the same found by xml.etree.ElementTree (openpyxl's iterparse)
    InvalidFileException,  # openpyxl: not a workbook it can open
    xlrd.XLRDError,  # Excel 97–2003: not a workbook xlrd can read (encryption is told apart by its text)
    CompDocError,  # Excel 97–2003: a damaged compound document
)
"""Exceptions that mean the file itself is damaged: it is refused as corrupt and the unit resends it. Any
other exception while opening a file is a system error (see the module's docstring)."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """Resource limits applied to a file before it is parsed (``validation:`` in ``config/ninh_son.yaml``).

    Attributes:
        max_bytes: size of the file as sent, bytes (``max_file_mb``, default 20 MB).
        max_uncompressed: total uncompressed size of an .xlsx's members, bytes (``max_uncompressed_mb``,
            default 200 MB).
        max_ratio: uncompressed / compressed size of one member of at least 1 MB (``max_compression_ratio``,
            default 200; real sheets compress 3–20 times).
        max_rows: last row a sheet may declare or hold (``max_sheet_rows``, default 100,000: a commune has a
            few thousand households at most, so this leaves room for every roster).
        max_columns: last column a sheet may declare or hold (``max_sheet_columns``, default 200; the
            template's widest sheet has 37).
        max_cells: cells present in all sheets together (``max_cells``, default 1,000,000: 27,000 households
            of the template's 37 columns; openpyxl takes about 450 bytes a cell, so about 450 MB at most).
    """

    max_bytes: int = 20 * MIB
    max_uncompressed: int = 200 * MIB
    max_ratio: float = 200.0
    max_rows: int = 100_000
    max_columns: int = 200
    max_cells: int = 1_000_000

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Limits:
        """Limits from the ``validation:`` settings (``Config.validation``, a mapping); a missing or empty
        setting keeps its default."""
        out: dict[str, Any] = {}
        for key, attr in (("max_file_mb", "max_bytes"), ("max_uncompressed_mb", "max_uncompressed")):
            if settings.get(key) is not None:
                out[attr] = int(float(settings[key]) * MIB)
        for key, attr, kind in (("max_compression_ratio", "max_ratio", float), ("max_sheet_rows", "max_rows", int),
                                ("max_sheet_columns", "max_columns", int), ("max_cells", "max_cells", int)):
            if settings.get(key) is not None:
                out[attr] = kind(settings[key])
        return cls(**out)


class UnreadableSubmission(ValueError):
    """The file is not a readable submission at all; ``args[0]`` says why, :attr:`fix` what to do."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.fix = fix


@dataclass
class Opened:
    """An opened submission: cell values, the formulas behind them (.xlsx/.xlsm only), and what it was.

    ``kind`` is ``xlsx``, ``xls`` or ``csv``; ``encoding`` the text encoding of a CSV.
    """

    values: Any
    formulas: Any | None
    kind: str
    encoding: str = ""
    notes: list[str] = field(default_factory=list)


def open_submission(path: Path | BinaryIO, name: str, *, max_bytes: int | None = None,
                    limits: Limits | None = None) -> Opened:
    """Open ``path`` (sent as ``name``) whatever its file name says, within ``limits``.

    ``path`` is a file name or a seekable binary file already open: the file is opened once and everything
    (the zip directory, each sheet, the legacy .xls container, the CSV text) is read through that one handle.

    Args:
        path: the file.
        name: the name it was sent under, for messages.
        max_bytes: overrides ``limits.max_bytes`` when given.
        limits: resource limits (default :class:`Limits`).

    Raises:
        UnreadableSubmission: empty, larger than the limits allow (as sent or once uncompressed, or in rows,
            columns or cells), password-protected, corrupt (one of :data:`CORRUPTION_ERRORS`, malformed XML
            included), or not a spreadsheet or CSV — by content: a file that is neither a zip (.xlsx, .xlsm)
            nor an OLE2 container (.xls) is read as CSV text only when ``name`` ends with ".csv", and refused
            before any other check (encoding included) otherwise.
        Exception: anything else a library or this code raises (a bug, ``MemoryError``, a library choking on
            well-formed content) propagates unchanged: a system error, not the file's fault.
    """
    limits = limits or Limits()
    if max_bytes is not None:
        limits = Limits(**{**limits.__dict__, "max_bytes": max_bytes})
    try:
        if isinstance(path, (str, os.PathLike)):
            with open(path, "rb") as fh:
                return _open(fh, name, limits)
        return _open(path, name, limits)
    except CORRUPTION_ERRORS as exc:  # real damage to the file: the unit must send it again
        raise _corrupt(name) from exc


def _open(fh: BinaryIO, name: str, limits: Limits) -> Opened:
    max_bytes = limits.max_bytes
    size = fh.seek(0, os.SEEK_END)
    if size == 0:
        raise UnreadableSubmission(f"Tệp {name} rỗng (0 byte).", "Gửi lại tệp báo cáo đã lưu đầy đủ.")
    if size > max_bytes:
        raise UnreadableSubmission(
            f"Tệp {name} quá lớn ({fmt.number(size / 1_048_576, 1)} MB; giới hạn "
            f"{fmt.number(max_bytes / 1_048_576)} MB).",
            "Xóa ảnh, sheet thừa và các dòng trống định dạng sẵn ở cuối bảng, lưu lại rồi gửi lại.",
        )
    gap = stream_gap(fh)
    if gap is not None:  # as intake judged it: a copy that stopped (or has not started), never "not a workbook"
        raise incomplete(name, gap)
    fh.seek(0)
    head = fh.read(8)
    if head.startswith(ZIP_MAGIC):
        return _open_zip(fh, name, limits)
    if head.startswith(OLE_MAGIC):
        return _open_ole(fh, name, limits)
    if not name.lower().endswith(".csv"):  # a text file is read as a roster only when sent as a CSV
        raise UnreadableSubmission(
            f"Tệp {name} không phải bảng tính Excel (.xlsx, .xls).",
            "Điền số liệu vào mẫu báo cáo Excel (mau_bao_cao_don_vi.xlsx) và gửi tệp .xlsx; danh sách "
            "hộ dạng CSV thì gửi tệp có đuôi .csv.",
        )
    return _open_text(fh, name, limits)


INCOMPLETE = "tệp chưa nhận trọn vẹn"
"""The words of every finding on a file whose copy stopped part-way (:func:`incomplete`): never "bị hỏng"."""


def incomplete(name: str, gap: Gap) -> UnreadableSubmission:
    """The finding on a workbook whose end is missing (:mod:`pipeline.read.container`): the copy or upload
    stopped part-way — a fault of the transfer, not of the unit's data."""
    expected = f" trên {fmt.number(gap.expected)}" if gap.expected else ""
    return UnreadableSubmission(
        f"Tệp {name} bị từ chối: {INCOMPLETE} — mới nhận được {fmt.number(gap.size)}{expected} byte, {gap.what}; "
        "việc chép hoặc gửi tệp đã dừng giữa chừng.",
        "Số liệu không cần sửa: chép hoặc gửi lại toàn bộ tệp (kiểm tra tệp mở được bằng Excel trước khi gửi).",
    )


def _corrupt(name: str) -> UnreadableSubmission:
    return UnreadableSubmission(
        f"Tệp {name} bị hỏng hoặc không phải bảng tính Excel đọc được.",
        "Mở tệp bằng Excel; nếu mở được, chọn Lưu thành (Save As) dạng Excel Workbook (.xlsx) rồi gửi lại; nếu "
        "không, lập lại từ mẫu.",
    )


def _too_big(name: str, what: str) -> UnreadableSubmission:
    return UnreadableSubmission(
        f"Tệp {name} bị từ chối: {what}.",
        "Mở tệp bằng Excel, xóa ảnh, sheet thừa và các dòng, cột trống định dạng sẵn, lưu lại dạng Excel Workbook "
        "(.xlsx) rồi gửi lại; nếu vẫn bị từ chối, lập lại từ mẫu (mau_bao_cao_don_vi.xlsx).",
    )


def _sheet_too_big(name: str, sheet: str, where: str, limits: Limits) -> UnreadableSubmission:
    return UnreadableSubmission(
        f"Tệp {name}, sheet '{sheet}': {where}, vượt giới hạn {fmt.number(limits.max_rows)} dòng, "
        f"{fmt.number(limits.max_columns)} cột (thường do định dạng hoặc gõ nhầm vào ô ở rất xa bảng số liệu).",
        f"Mở sheet '{sheet}', chọn dòng trống đầu tiên dưới bảng, bấm Ctrl+Shift+↓ rồi chuột phải → Xóa (Delete); "
        "làm tương tự với cột trống đầu tiên bên phải bảng (Ctrl+Shift+→); lưu lại rồi gửi lại.",
    )


def _cell_ref(ref: str) -> tuple[int, int] | None:
    """(row, column) of an A1 reference, or None when it is not one."""
    from openpyxl.utils import column_index_from_string

    m = CELL_REF.match(ref.strip())
    if not m:
        return None
    try:
        return int(m[2]), column_index_from_string(m[1].upper())
    except ValueError:
        return None


def _describe(row: int, col: int) -> str:
    from openpyxl.utils import get_column_letter

    letter = get_column_letter(col) if 1 <= col <= 18278 else f"cột {col}"
    return f"ô {letter}{row} ({fmt.number(row)} dòng, {fmt.number(col)} cột)"


@dataclass
class SheetExtent:
    """What :func:`inspect_xlsx` found in one worksheet: its name, the last cell its ``<dimension>``
    declares (0, 0 when absent), the last row and column holding a cell, the cells present and whether any
    holds a formula."""

    name: str
    declared: tuple[int, int] = (0, 0)
    rows: int = 0
    columns: int = 0
    cells: int = 0
    formulas: bool = False


def _worksheet_names(z: zipfile.ZipFile, infos: Mapping[str, zipfile.ZipInfo]) -> dict[str, str]:
    """Zip member of each worksheet → its sheet name, from ``xl/workbook.xml`` and its relationships."""
    def parse(member: str) -> Any:
        if member not in infos or infos[member].file_size > 16 * MIB:
            return None
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        return etree.fromstring(z.read(member), parser)

    book, rels = parse("xl/workbook.xml"), parse("xl/_rels/workbook.xml.rels")
    targets = {}
    if rels is not None:
        for rel in rels.iter(f"{{{PKG_REL_NS}}}Relationship"):
            target = rel.get("Target", "")
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[rel.get("Id")] = member.replace("/./", "/")
    out = {}
    if book is not None:
        for sheet in book.iter(f"{{{SHEET_NS}}}sheet"):
            member = targets.get(sheet.get(f"{{{REL_NS}}}id"))
            if member:
                out[member] = sheet.get("name", "")
    for member in infos:  # worksheets the workbook part does not name are checked all the same
        if member.startswith("xl/worksheets/") and member.endswith(".xml"):
            out.setdefault(member, member.rsplit("/", 1)[-1])
    return out


def _check_cell(extent: SheetExtent, row: int, col: int, budget: int, name: str, limits: Limits) -> None:
    extent.rows, extent.columns = max(extent.rows, row), max(extent.columns, col)
    if row > limits.max_rows or col > limits.max_columns:
        raise _sheet_too_big(name, extent.name, f"có dữ liệu hoặc định dạng ở {_describe(row, col)}", limits)
    if extent.cells > budget:
        raise _too_big(name, f"các sheet có hơn {fmt.number(limits.max_cells)} ô")


CHUNK = 1 << 16  # decompressed bytes looked at a time: memory stays bounded whatever the sheet holds
TAIL_CHUNKS = 3  # chunks kept at the end of a sheet's stream, where </sheetData> and the part after it are
ROOT_TAG = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>]")


def _inflate(fh: BinaryIO, info: zipfile.ZipInfo, z: zipfile.ZipFile) -> Iterator[bytes]:
    """The decompressed bytes of one zip member, CHUNK at a time.

    A deflated member is inflated straight from the file with zlib (no CRC is computed: the trimmed copy
    built from it is what gets parsed); other methods go through :mod:`zipfile`."""
    import struct

    if info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
        with z.open(info) as member:
            while chunk := member.read(CHUNK):
                yield chunk
        return
    fh.seek(info.header_offset)
    header = fh.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    pos = info.header_offset + 30 + name_len + extra_len  # the handle is shared: seek before every read
    left = info.compress_size

    def take(size: int) -> bytes:
        nonlocal pos, left
        fh.seek(pos)
        data = fh.read(min(size, left))
        pos, left = pos + len(data), left - len(data)
        return data

    if info.compress_type == zipfile.ZIP_STORED:
        while left > 0 and (chunk := take(CHUNK)):
            yield chunk
        return
    inflater = zlib.decompressobj(-15)
    pending = b""
    while True:
        if not pending:
            if left <= 0:
                break
            pending = take(1 << 14)
            if not pending:
                raise zipfile.BadZipFile(f"{info.filename} is truncated")
        chunk = inflater.decompress(pending, CHUNK)
        pending = inflater.unconsumed_tail
        if chunk:
            yield chunk
    if rest := inflater.flush():
        yield rest
    if not inflater.eof:
        raise zipfile.BadZipFile(f"{info.filename} is truncated")


def _find_in_stream(fh: BinaryIO, info: zipfile.ZipInfo, z: zipfile.ZipFile, needle: bytes, *, last: bool,
                    before: int | None = None) -> int:
    """Position in the inflated member of the first (or, with ``last``, the last) ``needle`` that starts
    before ``before``; -1 when there is none. Streams the member (a needle cut by a chunk boundary is found)."""
    found, offset, carry = -1, 0, b""
    for chunk in _inflate(fh, info, z):
        if before is not None and offset - len(carry) >= before:
            break
        seam, seam_at = carry + chunk[:len(needle)], offset - len(carry)
        hits = [seam_at + at for at in (seam.find(needle), seam.rfind(needle)) if at >= 0]
        hits += [offset + at for at in (chunk.find(needle), chunk.rfind(needle)) if at >= 0]
        hits = [h for h in hits if before is None or h < before]
        if hits and not last:
            return min(hits)
        if hits:
            found = max(found, *hits)
        carry = chunk[-len(needle):] if len(chunk) >= len(needle) else (carry + chunk)[-len(needle):]
        offset += len(chunk)
    return found


def _bytes_from(fh: BinaryIO, info: zipfile.ZipInfo, z: zipfile.ZipFile, start: int, end: int | None = None
                ) -> bytes:
    """The inflated member's bytes from ``start`` to ``end`` (to the end when None), read as far as needed."""
    out, offset = bytearray(), 0
    for chunk in _inflate(fh, info, z):
        if end is not None and offset >= end:
            break
        if offset + len(chunk) > start:
            out += chunk[max(start - offset, 0):]
        offset += len(chunk)
    return bytes(out if end is None else out[:end - start])


def _trim_sheet(fh: BinaryIO, z: zipfile.ZipFile, info: zipfile.ZipInfo, extent: SheetExtent, budget: int,
                name: str, limits: Limits) -> bytes:
    """One worksheet's XML cut after the last row that holds a value: rows below it carry only formatting
    (borders drawn down to row 50,000, say) and are dropped unread, so they cost one pass of inflating and
    nothing else. Everything before the cut and from ``</sheetData>`` on (merges, validations, …) is kept.

    Pass 1 inflates the member once and finds the last cell with content — the end of its value (``</v>``),
    inline string (``</is>``) or formula (``</f>``, ``<f …/>``); an empty formatted cell, ``<c …/>`` or
    ``<c …></c>``, has none — looking for them only in chunks holding a byte they must hold (one-byte
    searches run at memory speed); ``</sheetData>`` and what follows are found in the last chunks. Pass 2
    inflates only up to the end of that cell's row. Rare layouts (a long part after the rows, an extension
    holding a marker) take one more streaming pass. Then checks the declared dimension, the rows,
    columns and cells kept and the merges against ``limits``, and that the kept XML is well formed.

    Raises:
        UnreadableSubmission: over a limit, or malformed XML.
    """
    first = bytearray()  # the root tag and <dimension> are within the first 64 KB
    for chunk in _inflate(fh, info, z):
        first += chunk
        if len(first) >= 65536:
            break
    root = ROOT_TAG.search(first)
    ns = (root.group(1) + b":") if root and root.group(1) else b""
    m = DIMENSION.search(first)
    if m:
        last = m[1].decode("ascii", "replace").split(":")[-1]
        extent.declared = _cell_ref(last) or (0, 0)
        row, col = extent.declared
        if row > limits.max_rows or col > limits.max_columns:
            raise _sheet_too_big(name, extent.name, f"vùng dữ liệu khai báo đến {_describe(row, col)}", limits)
    data_end = b"</" + ns + b"sheetData>"
    # the end of what makes a cell hold something: a value, an inline string, a formula (an empty formatted
    # cell, written <c …/> or <c …></c>, holds none of them)
    content = (b"</" + ns + b"v>", b"</" + ns + b"is>", b"</" + ns + b"f>", b"<" + ns + b"f ")
    width = max(len(data_end), *(len(n) for n in content))
    last_cell, offset, carry, hit_at = -1, 0, b"", -width - 1
    ring: list[tuple[int, bytes]] = []  # the last chunks, where </sheetData> and what follows are looked for
    for chunk in _inflate(fh, info, z):  # pass 1
        seam, seam_at = carry + chunk[:width], offset - len(carry)  # a marker cut by the chunk boundary
        # One-byte searches run at memory speed: a content marker holds a 'v', 'f' or 'i', so only a chunk
        # holding one of them, or reaching less than a marker's length past one (a marker cut in two), is
        # searched for the markers.
        if (hit := max(chunk.rfind(b"v"), chunk.rfind(b"f"), chunk.rfind(b"i"))) >= 0:
            hit_at = offset + hit
        if offset <= hit_at + width:
            for needle in content:
                if (at := chunk.rfind(needle)) >= 0:
                    last_cell = max(last_cell, offset + at)
                elif (at := seam.rfind(needle)) >= 0:
                    last_cell = max(last_cell, seam_at + at)
        ring = [*ring[-(TAIL_CHUNKS - 1):], (offset, chunk)]
        carry = chunk[-width:] if len(chunk) >= width else (carry + chunk)[-width:]
        offset += len(chunk)
    end_part = b"".join(c for _, c in ring)
    tail_at = end_part.rfind(data_end)
    tail_at = ring[0][0] + tail_at if tail_at >= 0 else _find_in_stream(fh, info, z, data_end, last=False)
    if tail_at < 0:  # no rows at all (<sheetData/>) or a cut-off part: kept whole, the parse below judges it
        return _check_kept(_bytes_from(fh, info, z, 0), ns, extent, budget, name, limits)
    tail = end_part[tail_at - ring[0][0]:] if tail_at >= ring[0][0] else _bytes_from(fh, info, z, tail_at)
    del end_part
    if last_cell >= tail_at:  # a marker after the rows is an extension's: the last one before them is wanted
        last_cell = max(_find_in_stream(fh, info, z, needle, last=True, before=tail_at) for needle in content)
    row_end = re.compile(rb"</" + re.escape(ns) + rb"row>")
    open_end = re.compile(rb"<" + re.escape(ns) + rb"sheetData\b[^>]*>")
    head = bytearray()
    for chunk in _inflate(fh, info, z):  # pass 2: only as far as the end of the last content's row
        head += chunk
        if len(head) >= tail_at or (row_end.search(head, last_cell) if last_cell >= 0 else open_end.search(head)):
            break
    found = row_end.search(head, last_cell) if last_cell >= 0 else open_end.search(head)
    cut = found.end() if found and found.end() <= tail_at else tail_at
    return _check_kept(bytes(head[:cut]) + tail, ns, extent, budget, name, limits)


def _check_kept(kept: bytes, ns: bytes, extent: SheetExtent, budget: int, name: str, limits: Limits) -> bytes:
    """``kept`` (a trimmed worksheet) once it is known well formed and within ``limits``; fills ``extent``.

    Raises:
        UnreadableSubmission: malformed XML, or over a limit.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        etree.fromstring(kept, parser)
    except etree.XMLSyntaxError as exc:
        raise UnreadableSubmission(
            f"Tệp {name} bị hỏng: nội dung sheet '{extent.name}' không đúng cấu trúc Excel "
            f"(dòng {exc.lineno} của phần dữ liệu).",
            "Mở tệp bằng Excel; nếu mở được, chọn Lưu thành (Save As) dạng Excel Workbook (.xlsx) rồi gửi lại; "
            "nếu không, lập lại từ mẫu. Tệp sinh bằng phần mềm khác cần ghi ký tự '&' là '&amp;'.",
        ) from exc
    prefix = re.escape(ns)
    refs = re.findall(rb"<" + prefix + rb"c\b[^>]*?\br=\"\$?([A-Za-z]{1,3})\$?(\d{1,7})\"", kept)
    extent.cells = len(refs) + len(re.findall(rb"<" + prefix + rb"c(?:\s(?![^>]*\br=)[^>]*)?/?>", kept))
    if refs:
        from openpyxl.utils import column_index_from_string

        letters = max({r[0].upper() for r in refs}, key=lambda t: (len(t), t))
        extent.rows = max(int(r[1]) for r in refs)
        extent.columns = column_index_from_string(letters.decode("ascii"))
    _check_cell(extent, extent.rows, extent.columns, budget, name, limits)
    for ref in re.finditer(rb"<" + prefix + rb"mergeCell\b[^>]*?\bref=\"([^\"]*)\"", kept):
        # openpyxl creates a cell for every cell a merge covers
        first_ref, _, last_ref = ref[1].decode("ascii", "replace").partition(":")
        a, b = _cell_ref(first_ref), _cell_ref(last_ref or first_ref)
        if a and b:
            extent.cells += (abs(b[0] - a[0]) + 1) * (abs(b[1] - a[1]) + 1)
            _check_cell(extent, max(a[0], b[0]), max(a[1], b[1]), budget, name, limits)
    extent.formulas = re.search(rb"<" + prefix + rb"f[\s>/]", kept) is not None
    return kept


def trimmed_xlsx(path: Path | BinaryIO, name: str, limits: Limits | None = None
                 ) -> tuple[bytes, list[SheetExtent]]:
    """An .xlsx/.xlsm checked against ``limits`` and rewritten, in memory, without what costs and says
    nothing: each worksheet is cut after its last row holding a value (:func:`_trim_sheet`), the VBA project
    is dropped. The copy is what openpyxl parses — for reading and for the annotated workbook — so that
    formatting far past the data costs one pass of inflating, not a cell object per formatted cell.

    Reads the zip directory first (total uncompressed size, each member's compression ratio), then each
    worksheet in bounded memory. Source of the limits: :class:`Limits`.

    Returns:
        (the copy as .xlsx bytes, one :class:`SheetExtent` per worksheet: declared dimension, last row and
        column kept, cells kept, whether a formula is present).

    Raises:
        UnreadableSubmission: not a zip, a zip with encrypted members or an unknown compression method, no
            content-types part, not an Excel workbook, over a limit (saying which sheet and how to fix it), or
            a worksheet's XML is malformed.
        zipfile.BadZipFile, zlib.error, EOFError, lxml.etree.XMLSyntaxError: a member is damaged (see
            :data:`CORRUPTION_ERRORS`; :func:`open_submission` turns them into the refusal).
    """
    if isinstance(path, (str, os.PathLike)):
        with open(path, "rb") as fh:
            return _trimmed(fh, name, limits)
    return _trimmed(path, name, limits)


def _trimmed(fh: BinaryIO, name: str, limits: Limits | None) -> tuple[bytes, list[SheetExtent]]:
    limits = limits or Limits()
    try:
        z = zipfile.ZipFile(fh)
    except zipfile.BadZipFile as exc:
        raise _corrupt(name) from exc
    with z:
        infos = {i.filename: i for i in z.infolist()}
        if any(i.flag_bits & 0x1 or i.compress_type not in ZIP_METHODS for i in infos.values()):
            raise _corrupt(name)  # a zip tool's password or method: Excel never writes these
        total = sum(i.file_size for i in infos.values())
        if total > limits.max_uncompressed:
            raise _too_big(name, f"khi giải nén chiếm {fmt.number(total / MIB, 1)} MB, vượt giới hạn "
                                 f"{fmt.number(limits.max_uncompressed / MIB)} MB")
        for info in infos.values():
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size >= RATIO_FLOOR and ratio > limits.max_ratio:
                raise _too_big(name, f"phần '{info.filename}' nén {fmt.number(ratio)} lần, vượt giới hạn "
                                     f"{fmt.number(limits.max_ratio)} lần (dấu hiệu tệp bị làm giả để gây quá tải)")
        if "xl/workbook.xml" not in infos:
            _not_excel(name, set(infos))
        if "[Content_Types].xml" not in infos:  # every Office package has one; openpyxl reads it first
            raise _corrupt(name)
        extents, sheets = [], {}
        budget = limits.max_cells
        for member, sheet in sorted(_worksheet_names(z, infos).items()):
            if member not in infos:
                continue
            extent = SheetExtent(sheet)
            sheets[member] = _trim_sheet(fh, z, infos[member], extent, budget, name, limits)
            budget -= extent.cells
            extents.append(extent)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
            for info in infos.values():
                if info.filename.lower().endswith("vbaproject.bin"):
                    continue  # macros are never run, nor kept
                copy.writestr(info.filename, sheets[info.filename] if info.filename in sheets
                              else z.read(info.filename))
    return out.getvalue(), extents


def inspect_xlsx(path: Path | BinaryIO, name: str, limits: Limits | None = None) -> list[SheetExtent]:
    """The :class:`SheetExtent` of each worksheet of an .xlsx/.xlsm, checked as :func:`trimmed_xlsx` does.

    Raises:
        UnreadableSubmission: as :func:`trimmed_xlsx`.
    """
    return trimmed_xlsx(path, name, limits)[1]


def _not_excel(name: str, names: set[str]) -> None:
    kind = "Word" if "word/document.xml" in names else ("OpenDocument" if "mimetype" in names else "")
    if kind == "OpenDocument":
        raise UnreadableSubmission(
            f"Tệp {name} là bảng tính OpenDocument (.ods), không phải Excel.",
            "Trong LibreOffice Calc chọn Tệp → Lưu thành, kiểu Excel 2007-365 (.xlsx), rồi gửi lại.",
        )
    raise UnreadableSubmission(
        f"Tệp {name} không phải bảng tính Excel{' (là tài liệu Word)' if kind else ''}.",
        "Điền số liệu vào mẫu báo cáo Excel (mau_bao_cao_don_vi.xlsx) và gửi tệp .xlsx.",
    )


def _open_zip(fh: BinaryIO, name: str, limits: Limits) -> Opened:
    copy, extents = trimmed_xlsx(fh, name, limits)
    values = load_workbook(io.BytesIO(copy), data_only=True, keep_vba=False)  # damage raises one of
    formulas = None  # CORRUPTION_ERRORS, refused by open_submission
    if any(e.formulas for e in extents):  # the formulas are only needed to find unsaved results
        formulas = load_workbook(io.BytesIO(copy), data_only=False, keep_vba=False)
    return Opened(values, formulas, "xlsx")


def _open_ole(fh: BinaryIO, name: str, limits: Limits) -> Opened:
    password = UnreadableSubmission(
        f"Tệp {name} được đặt mật khẩu nên không đọc được.",
        "Mở tệp bằng Excel, vào Tệp → Thông tin → Bảo vệ sổ làm việc → Mã hóa bằng mật khẩu, xóa mật khẩu, lưu "
        "lại dạng .xlsx rồi gửi lại.",
    )
    fh.seek(0)
    data = fh.read()  # at most limits.max_bytes, checked by the caller
    try:
        ole = olefile.OleFileIO(data)
    except (OleFileError, ValueError, IndexError) as exc:
        # olefile's verdict on a damaged container (ValueError, IndexError from deep in its header parsing):
        # xlrd's own compound-document reader decides below whether the file is damaged
        log.info("%s: olefile cannot open the container (%s); left to xlrd", name, type(exc).__name__)
        ole = None
    if ole is not None:
        with ole:
            if ole.exists("EncryptedPackage") or ole.exists("EncryptionInfo"):
                raise password
            if not (ole.exists("Workbook") or ole.exists("Book")):
                raise UnreadableSubmission(
                    f"Tệp {name} không phải bảng tính Excel (có thể là tài liệu Word đời cũ).",
                    "Điền số liệu vào mẫu báo cáo Excel (mau_bao_cao_don_vi.xlsx) và gửi tệp .xlsx.",
                )
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise password from exc
        raise _corrupt(name) from exc
    cells = 0
    for sheet in book.sheets():
        if sheet.nrows > limits.max_rows or sheet.ncols > limits.max_columns:
            raise _sheet_too_big(name, sheet.name, f"có dữ liệu đến {_describe(sheet.nrows, sheet.ncols)}", limits)
        cells += sheet.nrows * sheet.ncols
    if cells > limits.max_cells:
        raise _too_big(name, f"các sheet có hơn {fmt.number(limits.max_cells)} ô")
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    fonts = book.font_list
    for sheet in book.sheets():
        ws = wb.create_sheet(sheet.name[:31])
        for r in range(sheet.nrows):
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                value: Any = cell.value
                if cell.ctype == xlrd.XL_CELL_EMPTY or cell.ctype == xlrd.XL_CELL_BLANK:
                    continue
                if cell.ctype == xlrd.XL_CELL_DATE:
                    value = xlrd.xldate_as_datetime(cell.value, book.datemode)
                elif cell.ctype == xlrd.XL_CELL_NUMBER and float(cell.value).is_integer():
                    value = int(cell.value)
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    value = bool(cell.value)
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    value = None
                elif isinstance(value, str):
                    value = plain_text(value)  # .xls allows controls (a vertical tab) that openpyxl refuses
                target = ws.cell(r + 1, c + 1, value)
                xf = book.xf_list[cell.xf_index]
                font_name = fonts[xf.font_index].name if xf.font_index < len(fonts) else ""
                if font_name:  # the font carries the legacy encoding's clue (.VnTime: TCVN3)
                    font = copy.copy(target.font)
                    font.name = font_name
                    target.font = font
        for (rlo, rhi, clo, chi) in sheet.merged_cells:
            if rhi - rlo > 1 or chi - clo > 1:
                ws.merge_cells(start_row=rlo + 1, end_row=rhi, start_column=clo + 1, end_column=chi)
        for r, info in sheet.rowinfo_map.items():  # hidden rows and columns are read, and findings say so
            if info.hidden and r < sheet.nrows:
                ws.row_dimensions[r + 1].hidden = True
        for c, info in sheet.colinfo_map.items():
            if info.hidden and c < sheet.ncols:
                ws.column_dimensions[get_column_letter(c + 1)].hidden = True
    return Opened(wb, None, "xls")


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 with BOM, UTF-8, else Windows-1258; returns (NFC text, encoding name).

    Windows-1258 writes tones as combining marks; NFC composes them.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return unicodedata.normalize("NFC", data[3:].decode("utf-8")), "UTF-8 (BOM)"
    try:
        return unicodedata.normalize("NFC", data.decode("utf-8")), "UTF-8"
    except UnicodeDecodeError:
        return unicodedata.normalize("NFC", data.decode("cp1258")), "Windows-1258"


def _open_text(fh: BinaryIO, name: str, limits: Limits) -> Opened:
    fh.seek(0)
    data = fh.read()  # at most limits.max_bytes, checked by the caller
    if b"\0" in data[:4096] or data[:5] == b"%PDF-":
        raise UnreadableSubmission(
            f"Tệp {name} không phải bảng tính Excel hay tệp CSV.",
            "Điền số liệu vào mẫu báo cáo Excel (mau_bao_cao_don_vi.xlsx) và gửi tệp .xlsx.",
        )
    try:
        text, encoding = decode_text(data)
        # Words are checked as decoded, before NFC: a Windows-1258 character then stands for exactly one byte.
        raw = text if encoding.startswith("UTF-8") else data.decode("cp1258")
    except UnicodeDecodeError as exc:  # bytes no accepted text encoding has: binary data, not a CSV
        raise _corrupt(name) from exc
    counts: dict[str, int] = {}
    first: dict[str, tuple[int, str]] = {}
    for number, line in enumerate(raw.splitlines(), start=1):
        for _word, legacy in legacy_words(line):
            counts[legacy] = counts.get(legacy, 0) + 1
            first.setdefault(legacy, (number, unicodedata.normalize("NFC", line.strip())[:40]))
            if counts[legacy] >= LEGACY_MIN_WORDS:
                number, sample = first[legacy]
                raise legacy_refusal(f"Tệp {name} (dòng {number}", legacy, sample)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows: list[list[str]] = []
    cells = 0
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            rows.append(row)
            cells += len(row)
            if len(rows) > limits.max_rows or len(row) > limits.max_columns:
                raise _too_big(name, f"bảng CSV có hơn {fmt.number(limits.max_rows)} dòng hoặc "
                                     f"{fmt.number(limits.max_columns)} cột")
            if cells > limits.max_cells:
                raise _too_big(name, f"có hơn {fmt.number(limits.max_cells)} ô")
    except csv.Error as exc:  # a row the CSV grammar cannot parse
        raise _corrupt(name) from exc
    if len(rows) < 2 or max(len(r) for r in rows) < 2:
        raise UnreadableSubmission(
            f"Tệp {name} không phải bảng tính Excel, cũng không phải bảng CSV có tiêu đề cột.",
            "Điền số liệu vào mẫu báo cáo Excel (mau_bao_cao_don_vi.xlsx) và gửi tệp .xlsx.",
        )
    return Opened(_csv_workbook(rows, name), None, "csv", encoding)


def _csv_workbook(rows: list[list[str]], name: str) -> Any:
    """A CSV holds one table: the roster of "Danh sách hộ NCC" with, on each row, the unit's code, name and
    period in columns "Mã đơn vị", "Tên đơn vị", "Kỳ báo cáo". It becomes a workbook with those two sheets."""
    header = [schema.normalize_label(h) for h in rows[0]]
    if schema.normalize_label("Mã hộ") not in header:
        raise UnreadableSubmission(
            f"Tệp CSV {name} không có cột 'Mã hộ' ở dòng đầu.",
            "Tệp CSV chỉ dùng cho danh sách hộ, với dòng đầu là tiêu đề cột như sheet 'Danh sách hộ NCC' của mẫu; "
            "tốt nhất gửi bảng tính .xlsx theo mẫu.",
        )
    general_cols = {}
    for key, label in (("unit_code", "Mã đơn vị"), ("unit_name", "Tên đơn vị"), ("period", "Kỳ báo cáo")):
        if schema.normalize_label(label) in header:
            general_cols[key] = header.index(schema.normalize_label(label))
    if "unit_code" not in general_cols and "unit_name" not in general_cols:
        raise UnreadableSubmission(
            f"Tệp CSV {name} không cho biết đơn vị báo cáo.",
            "Thêm cột 'Mã đơn vị' (và 'Kỳ báo cáo') vào tệp CSV, hoặc tốt nhất điền vào mẫu báo cáo Excel "
            "(mau_bao_cao_don_vi.xlsx) và gửi tệp .xlsx.",
        )
    wb = Workbook()
    info = wb.worksheets[0]
    info.title = schema.SHEET_GENERAL
    first = rows[1]
    for i, f in enumerate(schema.GENERAL_FIELDS, start=4):
        info.cell(i, 1, f.header)
        if f.key in general_cols and general_cols[f.key] < len(first):
            info.cell(i, 2, first[general_cols[f.key]])
    roster = wb.create_sheet(schema.SHEET_ROSTER)
    skip = set(general_cols.values())
    for r, row in enumerate(rows, start=1):
        kept = [v for j, v in enumerate(row) if j not in skip]
        for c, v in enumerate(kept, start=1):
            roster.cell(r, c, v if v != "" else None)
    return wb


LEGACY_SOURCE = {"TCVN3": "TCVN3 (ABC)", "VNI": "VNI Windows"}


def legacy_refusal(where: str, encoding: str, sample: str) -> UnreadableSubmission:
    """The refusal of text typed in a legacy encoding, with Unikey's conversion steps.

    ``where`` begins the sentence and leaves a parenthesis open ("Tệp a.xlsx, sheet 'X' (dòng 5").
    """
    return UnreadableSubmission(
        f"{where}, ví dụ '{sample}') được gõ bằng bảng mã {encoding} cũ, không phải Unicode.",
        f"Dùng Unikey: mở Công cụ chuyển mã (Ctrl+Shift+F6), chọn nguồn '{LEGACY_SOURCE[encoding]}', đích "
        "'Unicode', chuyển nội dung tệp; đổi phông chữ sang Times New Roman; lưu lại rồi gửi lại.",
    )


LEGACY_MIN_WORDS = 2
"""Legacy-encoded words (:func:`legacy_word`) a sheet or CSV file must hold before it is refused: one
word alone may be a stray name from another language; two are text typed in the old encoding."""

# Vietnamese syllable structure (Đoàn Thiện Thuật, "Ngữ âm tiếng Việt"), written without tone: initial
# consonant, optional medial, nucleus (a vowel or a diphthong iê/yê/ia/ya, uô/ua, ươ/ưa, and "oo" of loanwords
# such as xoong, before ng or c only), optional final. The medial is written o before a, ă, e ("hoa",
# "xoăn", "khoe") and u before â, ê, y, yê, ya, ơ ("tuân", "thuế", "thuỷ", "nguyễn", "khuya", "thuở"); after
# q it is always u ("qua", "quyết", "quốc"). "gi" is an initial of its own ("giữa").
_INITIALS = "ngh|ch|gh|gi|kh|ng|nh|ph|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
_NUCLEI = "iê|yê|ia|ya|uô|ua|ươ|ưa|a|ă|â|e|ê|i|y|o|ô|ơ|u|ư"
_FINALS = "ch|nh|ng|c|m|n|p|t|i|y|o|u"
_SYLLABLE = re.compile(f"(?:(?:{_INITIALS})?(?:o[aăe]|u(?:yê|ya|[âêyơ])|{_NUCLEI})|qu(?:{_NUCLEI}))(?:{_FINALS})?"
                       f"|(?:{_INITIALS})?oo(?:ng|c)")  # "oo" only in xoong, boong, soóc
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng (combining)
_VOWELS = set("aăâeêioôơuưy")


def vietnamese_syllable(word: str) -> bool:
    """Whether ``word`` (any case, NFC or NFD) is one written Vietnamese syllable: an initial, optional medial,
    nucleus and optional final from the syllable structure above, with at most one tone mark, set on a vowel,
    and only sắc or nặng on a syllable ending in c, ch, p or t. Either tone placement ("hoà"/"hòa",
    "thuỷ"/"thủy") is accepted."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    tones = [ch for ch in decomposed if ch in _TONES]
    if len(tones) > 1:
        return False
    base_chars: list[str] = []
    for ch in decomposed:
        if ch in _TONES:
            previous = next((c for c in reversed(base_chars) if not unicodedata.combining(c)), "")
            if not previous or previous not in "aeiouy":
                return False
        else:
            base_chars.append(ch)
    base = unicodedata.normalize("NFC", "".join(base_chars))
    if not _SYLLABLE.fullmatch(base):
        return False
    if base.endswith(("c", "ch", "p", "t")):
        return bool(tones) and tones[0] in ("\u0301", "\u0323")
    return True


# TCVN3 (ABC, TCVN 5712:1993 with the ".Vn" fonts): each byte's Latin-1 character → the letter it shows.
_TCVN3 = dict(zip(
    "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\xadõøö÷ùúýûüþ¡¢§£¤¥¦",
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ", strict=True))
# VNI Windows: letters of their own, and mark characters written after the base vowel ("Nguyeãn" = Nguyễn).
_VNI_LETTERS = dict(zip("ôöñíìæóòî", "ơưđíìỉĩịỵ", strict=True))
_VNI_MARKS = {  # mark character → (combining marks, base letters it may follow)
    **{k: (v, "aeouyơư") for k, v in zip("ùøûõï", ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323"), strict=True)},
    **{k: ("\u0302" + v, "aeo") for k, v in zip("âáàåãä", ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"),
                                                 strict=True)},
    **{k: ("\u0306" + v, "a") for k, v in zip("êéèúüë", ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"),
                                               strict=True)},
}
_GLYPHS = frozenset(_TCVN3) | frozenset(_VNI_LETTERS) | frozenset(_VNI_MARKS)


def _from_tcvn3(glyphs: str) -> str | None:
    out = []
    for ch in glyphs:
        if ch.isascii():
            out.append(ch)
        elif ch in _TCVN3:
            out.append(_TCVN3[ch])
        else:
            return None
    return "".join(out)


def _from_vni(glyphs: str) -> str | None:
    out: list[list[str]] = []  # [base letter, combining marks]
    for ch in glyphs:
        low = ch.lower()
        if ch.isascii():
            out.append([ch, ""])
        elif low in _VNI_LETTERS:
            letter = _VNI_LETTERS[low]
            out.append([letter.upper() if ch.isupper() else letter, ""])
        elif low in _VNI_MARKS:
            marks, bases = _VNI_MARKS[low]
            if not out or out[-1][1] or out[-1][0].lower() not in bases:
                return None
            out[-1][1] = marks
        else:
            return None
    return unicodedata.normalize("NFC", "".join(b + m for b, m in out))


def _single_byte_views(word: str) -> set[str]:
    """The word's bytes, each shown as its Latin-1 character, under the single-byte code pages legacy text
    arrives through (Latin-1 from fonts, Windows-1258 from a Vietnamese Windows or a CSV)."""
    views = set()
    for codec in ("latin-1", "cp1258"):
        try:
            views.add(word.encode(codec).decode("latin-1"))
        except UnicodeEncodeError:
            continue
    return views


@functools.lru_cache(maxsize=65536)  # names and village words repeat down a roster
def legacy_word(word: str) -> str | None:
    """"TCVN3" or "VNI" when ``word`` is legacy-encoded text, else None.

    A word is legacy-encoded when it is not a Vietnamese syllable (:func:`vietnamese_syllable`) as written,
    holds an ASCII letter and a non-ASCII character, and its bytes read as a Vietnamese syllable in TCVN3 or
    VNI ("NguyÔn", "V¨n", "Vieät", "Nguyeãn"). A valid syllable, in NFC or NFD, in either tone placement,
    can therefore never be legacy-encoded, nor can a name or word from another language that does not
    happen to spell a syllable in those tables ("Chamaléa", "Katơr", "café"). An upper-case word of at most three
    letters is an abbreviation ("NĐ" of "Nghị định 07/2021/NĐ-CP", which TCVN3 would read "Né"): never counted.
    """
    if word.isascii() or not any("a" <= ch <= "z" for ch in word.lower()):
        return None
    if word.isupper() and len(word) <= 3:  # an abbreviation ("NĐ" of "07/2021/NĐ-CP", "QĐ", "TĐ"), not evidence
        return None
    if vietnamese_syllable(unicodedata.normalize("NFC", word)):
        return None
    for view in _single_byte_views(word):
        for encoding, decode in (("TCVN3", _from_tcvn3), ("VNI", _from_vni)):
            text = decode(view)
            if text is not None and vietnamese_syllable(text):
                return encoding
    return None


def _words(text: str) -> list[str]:
    """Runs of letters, combining marks and legacy glyph characters, trimmed of non-letters at both ends: a
    symbol standing beside a word ("©", "®", "·", "ABC®") is punctuation, not part of it."""
    words, current = [], []
    for ch in text + " ":
        if ch.isalpha() or ch in _GLYPHS or unicodedata.category(ch).startswith("M"):
            current.append(ch)
            continue
        if current:
            word = "".join(current)
            start, end = 0, len(word)
            while start < end and not word[start].isalpha():
                start += 1
            while end > start and not word[end - 1].isalpha():
                end -= 1
            if start < end:
                words.append(word[start:end])
            current = []
    return words


def legacy_words(text: str) -> list[tuple[str, str]]:
    """(word, encoding) for each legacy-encoded word of ``text`` (:func:`legacy_word`), in order."""
    out = []
    for word in _words(text):
        encoding = legacy_word(word)
        if encoding is not None:
            out.append((word, encoding))
    return out


def legacy_encoding(ws: Any) -> tuple[str, str, int] | None:
    """Detect text typed in TCVN3 or VNI in a sheet: (encoding name, a sample, its row) or None.

    By font on a cell with non-ASCII text (".Vn" fonts such as ".VnTime" are TCVN3, "VNI-" fonts are VNI),
    else by words: :data:`LEGACY_MIN_WORDS` legacy-encoded words (:func:`legacy_word`) of one encoding in
    the sheet; the sample is the first cell holding one. Ordinary Unicode Vietnamese never counts.
    """
    counts: dict[str, int] = {}
    first: dict[str, tuple[str, int]] = {}
    for cell in existing_cells(ws):
        if not isinstance(cell.value, str) or not cell.value.strip():
            continue
        text = cell.value
        font = (cell.font.name or "") if cell.font is not None else ""
        if font.startswith(".Vn") and not text.isascii():
            return "TCVN3", text[:40], cell.row
        if font.upper().startswith("VNI") and not text.isascii():
            return "VNI", text[:40], cell.row
        for _word, encoding in legacy_words(text):
            counts[encoding] = counts.get(encoding, 0) + 1
            first.setdefault(encoding, (text[:40], cell.row))
            if counts[encoding] >= LEGACY_MIN_WORDS:
                sample, row = first[encoding]
                return encoding, sample, row
    return None


def formulas_without_value(values_ws: Any, formulas_ws: Any) -> list[tuple[int, int, str]]:
    """Cells holding a formula whose computed value was never saved (files written by tools other than
    Excel): (row, column, formula)."""
    out = []
    for cell in existing_cells(formulas_ws):
        if isinstance(cell.value, str) and cell.value.startswith("="):
            if value_at(values_ws, cell.row, cell.column) is None:
                out.append((cell.row, cell.column, cell.value))
    return out


class _NoCell:
    """Stands for a cell that does not exist: no value, general format."""

    value = None
    number_format = "General"
    font = None


NO_CELL = _NoCell()


def existing_cells(ws: Any) -> list[Any]:
    """The cells a worksheet holds, in row then column order, without creating the empty ones (openpyxl's
    ``iter_rows`` creates every cell of the rectangle up to ``max_row`` × ``max_column``)."""
    cells = getattr(ws, "_cells", None)
    if cells is None:
        return [c for row in ws.iter_rows() for c in row]
    return [cells[k] for k in sorted(cells)]


def cell_at(ws: Any, row: int, col: int) -> Any:
    """The cell at (row, col) or :data:`NO_CELL` when absent; never creates a cell (``ws.cell`` does)."""
    cells = getattr(ws, "_cells", None)
    if cells is None:
        return ws.cell(row, col)
    return cells.get((row, col), NO_CELL)


def value_at(ws: Any, row: int, col: int) -> Any:
    """The value at (row, col), None for an absent cell; never creates a cell."""
    return cell_at(ws, row, col).value


def last_data_row(ws: Any, columns: Iterable[int] | None = None) -> int:
    """The last row holding a non-blank value (in ``columns`` when given), 0 for an empty sheet.

    Reading loops end here rather than at ``ws.max_row``, which counts empty formatted cells."""
    wanted = set(columns) if columns is not None else None
    cells = getattr(ws, "_cells", None)
    items = cells.items() if cells is not None else (((c.row, c.column), c) for r in ws.iter_rows() for c in r)
    last = 0
    for (r, c), cell in items:
        if r > last and (wanted is None or c in wanted):
            v = cell.value
            if v is not None and not (isinstance(v, str) and not v.strip()):
                last = r
    return last
