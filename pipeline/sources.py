"""Open a submission file of any accepted kind as an openpyxl workbook of cell values.

Accepted: .xlsx and .xlsm (macros are never run, nor kept), .xls (Excel 97–2003, read with xlrd), and CSV
text in UTF-8, UTF-8 with BOM or Windows-1258 (one table, see ``docs/submission-format.md``). The file's
content decides, never its name. Refused with a Vietnamese message that says what to do: empty,
oversized, password-protected, corrupt, or any other kind of file.

Also detects text typed in the legacy 8-bit Vietnamese encodings TCVN3 (fonts ".VnTime", ".VnArial", …)
and VNI ("VNI-Times", …), which would otherwise be stored as mojibake.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from pipeline import fmt

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# TCVN3 (ABC) puts the toned "a" letters on these Latin-1 code points; they never occur in Vietnamese
# Unicode text: á à ả ã ạ → ¸ µ ¶ · ¹, ă â đ → ¨ © ®.
TCVN3_MARKERS = set("¸µ¶·¹¨©®")
# VNI writes a toned vowel as the base letter followed by a mark character: "Nguyeãn" for "Nguyễn".
VNI_PATTERN = re.compile(r"[aeiouyAEIOUY][ùøûõïâêôöÙØÛÕÏ][a-zA-Z]?")


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


def open_submission(path: Path, name: str, *, max_bytes: int) -> Opened:
    """Open ``path`` (sent as ``name``) whatever its file name says.

    Raises:
        UnreadableSubmission: empty, larger than ``max_bytes``, password-protected, corrupt, or not a
            spreadsheet or CSV.
    """
    size = path.stat().st_size
    if size == 0:
        raise UnreadableSubmission(f"Tệp {name} rỗng (0 byte).", "Gửi lại tệp báo cáo đã lưu đầy đủ.")
    if size > max_bytes:
        raise UnreadableSubmission(
            f"Tệp {name} quá lớn ({fmt.number(size / 1_048_576, 1)} MB; giới hạn "
            f"{fmt.number(max_bytes / 1_048_576)} MB).",
            "Xóa ảnh, sheet thừa và các dòng trống định dạng sẵn ở cuối bảng, lưu lại rồi gửi lại.",
        )
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(ZIP_MAGIC):
        return _open_zip(path, name)
    if head.startswith(OLE_MAGIC):
        return _open_ole(path, name)
    return _open_text(path, name)


def _corrupt(name: str) -> UnreadableSubmission:
    return UnreadableSubmission(
        f"Tệp {name} bị hỏng hoặc không phải bảng tính Excel đọc được.",
        "Mở tệp bằng Excel; nếu mở được, chọn Lưu thành (Save As) dạng Excel Workbook (.xlsx) rồi gửi lại; nếu "
        "không, lập lại từ mẫu.",
    )


def _open_zip(path: Path, name: str) -> Opened:
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except zipfile.BadZipFile as exc:
        raise _corrupt(name) from exc
    if "xl/workbook.xml" not in names:
        kind = "Word" if "word/document.xml" in names else ("OpenDocument" if "mimetype" in names else "")
        if kind == "OpenDocument":
            raise UnreadableSubmission(
                f"Tệp {name} là bảng tính OpenDocument (.ods), không phải Excel.",
                "Trong LibreOffice Calc chọn Tệp → Lưu thành, kiểu Excel 2007-365 (.xlsx), rồi gửi lại.",
            )
        raise UnreadableSubmission(
            f"Tệp {name} không phải bảng tính Excel{' (là tài liệu Word)' if kind else ''}.",
            "Điền số liệu vào mẫu báo cáo Excel của Phòng (mau_bao_cao_don_vi.xlsx) và gửi tệp .xlsx.",
        )
    try:
        with path.open("rb") as fh:
            values = load_workbook(fh, data_only=True, keep_vba=False)
        with path.open("rb") as fh:
            formulas = load_workbook(fh, data_only=False, keep_vba=False)
    except (zipfile.BadZipFile, InvalidFileException, OSError, KeyError, ValueError, TypeError, IndexError) as exc:
        raise _corrupt(name) from exc
    return Opened(values, formulas, "xlsx")


def _open_ole(path: Path, name: str) -> Opened:
    import olefile
    import xlrd

    password = UnreadableSubmission(
        f"Tệp {name} được đặt mật khẩu nên không đọc được.",
        "Mở tệp bằng Excel, vào Tệp → Thông tin → Bảo vệ sổ làm việc → Mã hóa bằng mật khẩu, xóa mật khẩu, lưu "
        "lại dạng .xlsx rồi gửi lại.",
    )
    try:
        ole = olefile.OleFileIO(str(path))
    except (OSError, ValueError, IndexError) as exc:  # olefile raises these on a damaged container
        raise _corrupt(name) from exc
    with ole:
        if ole.exists("EncryptedPackage") or ole.exists("EncryptionInfo"):
            raise password
        if not (ole.exists("Workbook") or ole.exists("Book")):
            raise UnreadableSubmission(
                f"Tệp {name} không phải bảng tính Excel (có thể là tài liệu Word đời cũ).",
                "Điền số liệu vào mẫu báo cáo Excel của Phòng (mau_bao_cao_don_vi.xlsx) và gửi tệp .xlsx.",
            )
    try:
        book = xlrd.open_workbook(str(path), formatting_info=True)
    except xlrd.biffh.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise password from exc
        raise _corrupt(name) from exc
    wb = Workbook()
    wb.remove(wb.active)
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
                target = ws.cell(r + 1, c + 1, value)
                xf = book.xf_list[cell.xf_index]
                font_name = fonts[xf.font_index].name if xf.font_index < len(fonts) else ""
                if font_name:
                    target.font = target.font.copy(name=font_name)
        for (rlo, rhi, clo, chi) in sheet.merged_cells:
            if rhi - rlo > 1 or chi - clo > 1:
                ws.merge_cells(start_row=rlo + 1, end_row=rhi, start_column=clo + 1, end_column=chi)
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


def _open_text(path: Path, name: str) -> Opened:
    data = path.read_bytes()
    if b"\0" in data[:4096] or data[:5] == b"%PDF-":
        raise UnreadableSubmission(
            f"Tệp {name} không phải bảng tính Excel hay tệp CSV.",
            "Điền số liệu vào mẫu báo cáo Excel của Phòng (mau_bao_cao_don_vi.xlsx) và gửi tệp .xlsx.",
        )
    text, encoding = decode_text(data)
    for number, line in enumerate(text.splitlines(), start=1):
        if TCVN3_MARKERS & set(line):
            raise legacy_refusal(f"Tệp {name} (dòng {number}", "TCVN3", line.strip()[:40])
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if len(rows) < 2 or max(len(r) for r in rows) < 2:
        raise UnreadableSubmission(
            f"Tệp {name} không phải bảng tính Excel, cũng không phải bảng CSV có tiêu đề cột.",
            "Điền số liệu vào mẫu báo cáo Excel của Phòng (mau_bao_cao_don_vi.xlsx) và gửi tệp .xlsx.",
        )
    return Opened(_csv_workbook(rows, name), None, "csv", encoding)


def _csv_workbook(rows: list[list[str]], name: str) -> Any:
    """A CSV holds one table: the roster of "Danh sách hộ NCC" with, on each row, the unit's code, name and
    period in columns "Mã đơn vị", "Tên đơn vị", "Kỳ báo cáo". It becomes a workbook with those two sheets."""
    from pipeline import schema

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
            "Thêm cột 'Mã đơn vị' (và 'Kỳ báo cáo') vào tệp CSV, hoặc tốt nhất điền vào mẫu báo cáo Excel của "
            "Phòng (mau_bao_cao_don_vi.xlsx) và gửi tệp .xlsx.",
        )
    wb = Workbook()
    info = wb.active
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


def legacy_encoding(ws: Any) -> tuple[str, str, int] | None:
    """Detect text typed in TCVN3 or VNI in a sheet: (encoding name, a sample, its row) or None.

    By font (".VnTime"-family fonts are TCVN3, "VNI-" fonts are VNI) on a cell with text, then by tell-tale
    characters (TCVN3's "¸µ¶·¹¨©®", VNI's vowel + mark pairs in several words).
    """
    vni_hits = 0
    for row in ws.iter_rows():
        for cell in row:
            if not isinstance(cell.value, str) or not cell.value.strip():
                continue
            text = cell.value
            font = (cell.font.name or "") if cell.font is not None else ""
            if font.startswith(".Vn") and not text.isascii():
                return "TCVN3", text[:40], cell.row
            if font.upper().startswith("VNI") and not text.isascii():
                return "VNI", text[:40], cell.row
            if TCVN3_MARKERS & set(text):
                return "TCVN3", text[:40], cell.row
            if len(VNI_PATTERN.findall(text)) >= 2:
                vni_hits += 1
                if vni_hits >= 3:
                    return "VNI", text[:40], cell.row
    return None


def formulas_without_value(values_ws: Any, formulas_ws: Any) -> list[tuple[int, int, str]]:
    """Cells holding a formula whose computed value was never saved (files written by tools other than
    Excel): (row, column, formula)."""
    out = []
    for row in formulas_ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                if values_ws.cell(cell.row, cell.column).value is None:
                    out.append((cell.row, cell.column, cell.value))
    return out
