"""Read a submission workbook into canonical frames (the staging layer).

Reading never guesses: a value that cannot be read as its field's kind stays as its text in the frame
(so validation can show it) and a finding names the sheet, Excel row and column. Text is normalised to
Unicode NFC with "Ð" (U+00D0) mapped to "Đ".
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from babel.numbers import NumberFormatError, parse_decimal
from openpyxl.utils import column_index_from_string, get_column_letter

from pipeline import fmt, office_schema, schema
from pipeline.config import Config, Unit
from pipeline.files import sha256_of_open
from pipeline.findings import ERROR, WARNING, Finding
from pipeline.read.sources import (
    Limits,
    UnreadableSubmission,
    cell_at,
    formulas_without_value,
    last_data_row,
    legacy_encoding,
    legacy_refusal,
    open_submission,
    value_at,
)
from pipeline.schema import loose_unit_name
from pipeline.textvalue import plain_text, strip_spaces

__all__ = ["Submission", "UnreadableSubmission", "clean_text", "read_submission", "roster_counts"]
SUBTOTAL = re.compile(r"^(tổng|cộng|tong|cong|[ivxlc]+[.)]|[a-z][.)])(\s|$)", re.IGNORECASE)

TRUE_FLAGS = {"x", "✓", "✔", "1", "có", "co", "yes", "true", "v"}
FALSE_FLAGS = {"", "0", "không", "khong", "no", "false", "-"}
_ZS_SPACE = re.compile(r"[^\S\n\t\r\v\f\x1c-\x1f\x85\u2028\u2029]")  # every space but line breaks and TAB


def clean_text(value: Any) -> str:
    """Cell value as plain NFC text, trimmed.

    OOXML ``_xHHHH_`` escapes are decoded, line breaks (CR, CRLF, VT, FF, U+2028/2029) become "\\n" and
    other control characters are removed (:func:`pipeline.textvalue.plain_text`); "Ð" (U+00D0) becomes
    "Đ"; every Unicode space (category Zs: NBSP, narrow NBSP, thin space, …) becomes " "; zero-width
    spaces and BOMs are removed. A float beyond 10¹⁵ is written as Excel shows it ("1E+30"), not with the
    digits of its binary value.
    """
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value) and abs(value) >= 1e15:
        value = format(value, ".15G")
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    s = unicodedata.normalize("NFC", plain_text(str(value))).replace("\u00d0", "\u0110")
    s = s.replace("\u200b", "").replace("\ufeff", "")
    return _ZS_SPACE.sub(" ", s).strip()


LARGEST_EXACT = 2**53
"""The largest whole number a spreadsheet (a double) and the report's tables hold exactly: 9.007.199.254.740.992.
No count or amount of a commune comes near it; a cell beyond it is a typing error of that cell."""


class NumberTooLarge(ValueError):
    """A cell's number beyond ±:data:`LARGEST_EXACT` (Excel keeps 15 significant digits; beyond 2⁵³ a number
    is no longer exact): the cell's error, never a system fault."""


def _whole_digits(value: Any) -> int:
    """How many digits the whole part of a cell's number has: a float or an int as stored, text as typed ("."
    groups digits, "," marks decimals)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return max(1, Decimal(repr(float(value)) if isinstance(value, float) else value).copy_abs().adjusted() + 1)
    return max(1, len(re.sub(r"\D", "", str(value).split(",")[0])))


def too_large_help(value: Any) -> tuple[str, str]:
    """The finding's (what is wrong, how to fix it) for a :class:`NumberTooLarge` cell: how many digits it has
    (beyond 2⁵³, at least 16), not the technical limit."""
    return (f"Số quá lớn ({_whole_digits(value)} chữ số), không thể là số liệu thật: không đơn vị nào có số hộ, số "
            "người hay số tiền lớn đến vậy.",
            "Kiểm tra lại ô này: có thể gõ thừa chữ số hoặc dán nhầm; ghi đúng số liệu.")


def _number(value: Any) -> Decimal | None:
    """A cell's number as a Decimal, None when blank; raises ValueError when it is not a number, and
    :class:`NumberTooLarge` (a ValueError) when it is beyond ±2⁵³ — checked before any cast.

    A float within floating-point error of a whole number (a formula result such as 700000*0.7 =
    489999.99999999994) is that whole number: the tolerance is 64 units in the last place, and at least
    10⁻⁶. Text may carry a unit suffix (đồng, đ, hộ, người) and any Unicode space as a digit-group
    separator ("1 138", "1\u202f138"); "." groups and "," marks decimals (Vietnamese locale).
    """
    if value is None or (isinstance(value, str) and not clean_text(value)):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return _exact(Decimal(value), value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(value)
        if abs(value) > LARGEST_EXACT:
            raise NumberTooLarge(value)
        nearest = round(value)
        if abs(value - nearest) <= max(1e-6, 64 * math.ulp(value)):
            return Decimal(nearest)
        return Decimal(repr(value))
    text = re.sub(r"(?i)\s*(đồng|đ|vnđ|vnd|hộ|người)\s*$", "", clean_text(value))
    text = strip_spaces(text)
    try:
        return _exact(parse_decimal(text, locale="vi", strict=True), value)
    except NumberFormatError:
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(value) from exc
        if not number.is_finite():
            raise ValueError(value) from None
        return _exact(number, value)


def _exact(number: Decimal, value: Any) -> Decimal:
    """``number``, or :class:`NumberTooLarge` for ``value`` when it is beyond ±2⁵³."""
    if abs(number) > LARGEST_EXACT:
        raise NumberTooLarge(value)
    return number


def parse_whole_number(value: Any) -> int | None:
    """A count or an amount in đồng: int, float within floating-point error of a whole number, or text
    such as "1.551", "1 138" (any Unicode space) or "1.500.000 đ".

    Returns None for an empty cell. Raises ValueError for anything else (negative numbers and real
    fractions included).
    """
    number = _number(value)
    if number is None:
        return None
    if number != number.to_integral_value() or number < 0:
        raise ValueError(value)
    return int(number)


def parse_dong(value: Any) -> tuple[int | None, Decimal | None]:
    """An amount in đồng: as :func:`parse_whole_number`, but a real fraction of a đồng (1500.5) is rounded
    half-up (→ 1501) instead of refused.

    Returns ``(amount, fraction)`` where ``fraction`` is the number as read when it was rounded, else None;
    the caller reports the rounding as a warning. Raises ValueError for text that is not a number and for
    negative numbers.
    """
    number = _number(value)
    if number is None:
        return None, None
    if number < 0:
        raise ValueError(value)
    whole = number.to_integral_value(rounding=ROUND_HALF_UP)
    return int(whole), (number if whole != number else None)


def parse_flag(value: Any) -> bool:
    """An x-flag cell: x/X/✓/1/có are yes, blank/0/không are no. Raises ValueError otherwise."""
    s = clean_text(value).casefold()
    if s in TRUE_FLAGS:
        return True
    if s in FALSE_FLAGS:
        return False
    raise ValueError(value)


def parse_date(value: Any) -> dt.date | None:
    """A date cell: a real date, or text dd/mm/yyyy (05/08/2023 is 5 August). None for empty."""
    if value is None or clean_text(value) == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", clean_text(value))
    if not m:
        raise ValueError(value)
    try:
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError as exc:
        raise ImpossibleDate(value) from exc


class ImpossibleDate(ValueError):
    """A date in the right form that does not exist (31/02/2023)."""


def _coded_lookup(items: list[dict[str, Any]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for item in items:
        table[schema.normalize_label(item["code"])] = item["code"]
        table[schema.normalize_label(item["label"])] = item["code"]
    return table


@dataclass(frozen=True)
class SheetLayout:
    """What a sheet's layout does to the cells it shows: merges and hidden rows and columns.

    Attributes:
        merged: every cell a merge covers, other than its top-left, → (row, column) of the top-left cell,
            which holds the value Excel shows in the whole merge.
        ranges: the top-left (row, column) of each merge → its reference ("A5:A7").
        hidden_rows: Excel rows hidden in the sheet (1-based).
        hidden_columns: Excel columns hidden in the sheet (1-based).
    """

    merged: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    ranges: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden_rows: frozenset[int] = frozenset()
    hidden_columns: frozenset[int] = frozenset()

    @classmethod
    def of(cls, ws: Any) -> SheetLayout:
        """The layout of an openpyxl worksheet (merged ranges, row and column dimensions)."""
        merged, ranges = {}, {}
        for rng in ws.merged_cells.ranges:
            top_left = (rng.min_row, rng.min_col)
            ranges[top_left] = rng.coord
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    if (r, c) != top_left:
                        merged[(r, c)] = top_left
        rows = frozenset(r for r, dim in ws.row_dimensions.items() if dim.hidden)
        columns: set[int] = set()
        for key, dim in ws.column_dimensions.items():
            if dim.hidden:
                first = dim.min or column_index_from_string(key)
                columns.update(range(first, (dim.max or first) + 1))
        return cls(merged, ranges, rows, frozenset(columns))

    def top_left(self, row: int, col: int) -> tuple[int, int]:
        """(row, column) of the cell holding what (row, col) shows: the top-left cell of the merge covering
        it, or (row, col) itself."""
        return self.merged.get((row, col), (row, col))

    def shown_cell(self, ws: Any, row: int, col: int) -> Any:
        """The cell whose value and number format Excel shows at (row, col) (:func:`top_left`); never creates
        a cell."""
        return cell_at(ws, *self.top_left(row, col))

    def shown(self, ws: Any, row: int, col: int) -> Any:
        """The value Excel shows at (row, col): a cell a merge covers shows the merge's top-left value."""
        return self.shown_cell(ws, row, col).value


@dataclass
class Submission:
    """A submission workbook read into canonical frames.

    Attributes:
        path: the file read.
        sha256: hex SHA-256 of its bytes.
        general: values of sheet "Thông tin chung" by key (unit_code and period as text, prepared_on a date).
        general_rows: Excel row of each general field.
        summary: one row per indicator of sheet "Tổng hợp": ``indicator`` (str key), ``label`` (str),
            ``excel_row`` (int), ``timing`` ("both"/"cumulative"), ``value_baseline`` and ``value_current``
            (Int64; households, persons, sessions or đồng by indicator), ``parent`` (str or None),
            ``parent_value_baseline``/``parent_value_current`` (Int64): the bound the value may not exceed.
        roster: one row per household of sheet "Danh sách hộ NCC", columns the keys of
            :data:`schema.ROSTER_FIELDS` plus ``excel_row`` (int). Counts and amounts Int64 (persons, đồng),
            flags bool, statuses and change kinds as reference codes (unknown text kept as typed), dates as
            ``datetime.date`` objects.
        members: one row per NCC member of sheet "Thành viên NCC": ``household_code``, ``relation`` and
            ``category`` (str; an Ordinance 02/2020 letter or "tn"), ``excel_row`` (int); None when the
            workbook has no such sheet (made from an older template).
        narrative: free text by key (results, difficulties, proposals), line breaks kept.
        narrative_rows: Excel row of each free-text section.
        headers: column header as printed, by (sheet, key).
        findings: problems met while reading (always severity "lỗi").
        sheets_read: keys of :data:`schema.SHEETS` whose sheet and header row were found.
        columns: header as printed, by (sheet, Excel column index), for the tabular sheets.
        layout: merges and hidden rows and columns of each sheet read, by sheet name (:class:`SheetLayout`).
    """

    path: Path
    sha256: str
    general: dict[str, Any] = field(default_factory=dict)
    general_rows: dict[str, int] = field(default_factory=dict)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    roster: pd.DataFrame = field(default_factory=pd.DataFrame)
    members: pd.DataFrame | None = None
    narrative: dict[str, str] = field(default_factory=dict)
    narrative_rows: dict[str, int] = field(default_factory=dict)
    headers: dict[tuple[str, str], str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    sheets_read: set[str] = field(default_factory=set)
    columns: dict[tuple[str, int], str] = field(default_factory=dict)
    layout: dict[str, SheetLayout] = field(default_factory=dict)

    @property
    def unit_code(self) -> str | None:
        """The unit code typed in "Thông tin chung", or None if absent."""
        code = self.general.get("unit_code")
        return str(code) if code else None


def _find_header_row(ws: Any, first_header: str, limit: int = 15) -> int | None:
    target = schema.normalize_label(first_header)
    for r in range(1, min(ws.max_row, limit) + 1):
        for c in range(1, min(ws.max_column, 10) + 1):
            if schema.normalize_label(value_at(ws, r, c)) == target:
                return r
    return None


def _map_columns(ws: Any, header_row: int, fields: tuple[schema.Field, ...], sheet: str,
                 sub: Submission) -> tuple[dict[str, int], int]:
    """Map fields to columns by their printed header; returns (key → column, first data row).

    Handles a header of two rows with merged group cells ("Thiếu hụt" over "Việc làm", read as
    "Thiếu hụt: Việc làm"), headers differing in case, spacing, line breaks, Unicode form or tone placement.
    """
    wanted = {schema.normalize_label(f.header): f for f in fields}
    layout = sub.layout.get(sheet) or SheetLayout.of(ws)
    top = {c: clean_text(layout.shown(ws, header_row, c)) for c in range(1, ws.max_column + 1)}
    below = {c: clean_text(value_at(ws, header_row + 1, c)) for c in range(1, ws.max_column + 1)}
    below_is_header = any(
        schema.normalize_label(f"{top[c]}: {below[c]}") in wanted or (
            schema.normalize_label(below[c]) in wanted and schema.normalize_label(top[c]) not in wanted)
        for c in top if below[c]
    )
    cols: dict[str, int] = {}
    for c in top:
        candidates = [top[c]]
        if below_is_header and below[c]:
            candidates = [f"{top[c]}: {below[c]}", f"{top[c]} {below[c]}", below[c], top[c]]
        for text in candidates:
            f = wanted.get(schema.normalize_label(text))
            if f is not None and f.key not in cols:
                cols[f.key] = c
                sub.headers[(sheet, f.key)] = text
                sub.columns[(sheet, c)] = text
                break
    return cols, header_row + (2 if below_is_header else 1)


def clean_code(cell: Any, width: int = 0) -> str:
    """A code cell as text, keeping leading zeros: a number shown with a "00000"-style format is padded to
    the format's width, and to ``width`` when given (unit codes are 5 characters)."""
    value = cell.value
    text = clean_text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and text.isdigit():
        fmt_text = str(getattr(cell, "number_format", "") or "")
        if re.fullmatch(r"0+", fmt_text):
            text = text.zfill(len(fmt_text))
        if width:
            text = text.zfill(width)
    return text


def _sheet(wb: Any, name: str) -> Any | None:
    target = schema.normalize_label(name)
    for ws in wb.worksheets:
        if schema.normalize_label(ws.title) == target:
            return ws
    return None


def _bad_value(sheet: str, row: int, column: str, value: Any, what: str, fix: str) -> Finding:
    return Finding(ERROR, sheet, row, column, clean_text(value), what, fix, "read")


def _rounded(sheet: str, row: int, column: str, value: Any, fraction: Decimal, whole: int | None) -> Finding:
    """The warning for an amount with a real fraction of a đồng (``fraction``), rounded half-up to ``whole``."""
    places = max(0, -int(fraction.normalize().as_tuple().exponent))
    return Finding(
        WARNING, sheet, row, column, clean_text(value),
        f"Số tiền {fmt.number(fraction, min(places, 6))} đồng có phần lẻ dưới 1 đồng; "
        f"đã làm tròn thành {fmt.number(whole)} đồng.",
        "Ghi số tiền là số nguyên đồng (trong Excel có thể dùng hàm ROUND(...; 0)).", "read")


class NoGeneralSheet(UnreadableSubmission):
    """The workbook has no sheet "Thông tin chung": not a commune's form (perhaps the offices',
    :func:`pipeline.read.office.read_workbook`); ``sheet_names`` are its sheets' titles."""

    def __init__(self, message: str, fix: str, sheet_names: list[str]) -> None:
        super().__init__(message, fix)
        self.sheet_names = sheet_names


def read_submission(path: Path, config: Config, *, file_name: str | None = None, sha256: str | None = None
                    ) -> Submission:
    """Read a submission workbook (.xlsx) laid out as in ``docs/submission-format.md``.

    Args:
        path: the workbook.
        config: gives the reference lists (statuses, change kinds, Ordinance 02/2020 categories).
        file_name: the name the file was sent under, for messages (default: ``path``'s name).
        sha256: the file's hex SHA-256 when the caller knows it (the ledger's); otherwise it is computed.

    Returns:
        A :class:`Submission`; problems with single cells are in ``findings``, not raised.

    Raises:
        UnreadableSubmission: the file is not an .xlsx workbook or lacks the sheet "Thông tin chung".
    """
    name = file_name or path.name
    with path.open("rb") as fh:  # opened once: hashed, then read through the same handle
        sub = Submission(path=path, sha256=sha256 or sha256_of_open(fh))
        opened = open_submission(fh, name, limits=reader_limits(config))
    wb = opened.values
    guide = schema.normalize_label(schema.SHEET_GUIDE)
    for sheet_ws in wb.worksheets:
        if schema.normalize_label(sheet_ws.title) == guide:
            continue  # the form's own guide: its text (decree numbers such as "NĐ-CP") is never the unit's typing
        legacy = legacy_encoding(sheet_ws)
        if legacy is not None:
            encoding, sample, row = legacy
            raise legacy_refusal(f"Tệp {name}, sheet '{sheet_ws.title}' (dòng {row}", encoding, sample)
    ws = _sheet(wb, schema.SHEET_GENERAL)
    if ws is None:
        raise NoGeneralSheet(
            f"Tệp {name} không có sheet '{schema.SHEET_GENERAL}'.",
            "Dùng đúng mẫu báo cáo; không đổi tên hoặc xóa sheet.", [w.title for w in wb.worksheets])
    sub.layout[schema.SHEET_GENERAL] = SheetLayout.of(ws)
    _read_general(ws, sub, config)
    for key, reader in (("summary", _read_summary), ("roster", _read_roster), ("members", _read_members),
                        ("narrative", _read_narrative)):
        sheet_ws = _sheet(wb, schema.SHEETS[key])
        if sheet_ws is None and key == "members":
            continue  # optional: workbooks from the first template have no member sheet
        if sheet_ws is None:
            fix = ("Tệp CSV chỉ chứa được danh sách hộ; hãy gửi bảng tính .xlsx theo mẫu (mau_bao_cao_don_vi.xlsx) "
                   "có đủ các sheet." if opened.kind == "csv"
                   else "Dùng đúng mẫu báo cáo; không đổi tên hoặc xóa sheet.")
            sub.findings.append(
                Finding(ERROR, schema.SHEETS[key], None, "", "", f"Thiếu sheet '{schema.SHEETS[key]}'.", fix, "read")
            )
            continue
        sub.layout[schema.SHEETS[key]] = SheetLayout.of(sheet_ws)
        reader(sheet_ws, sub, config)
    if sub.roster.empty and "excel_row" not in sub.roster.columns:
        sub.roster = _empty_roster()
    if opened.formulas is not None:
        _flag_formulas_without_value(wb, opened.formulas, sub)
    return sub


def unit_code_only(path: Path, config: Config, *, file_name: str | None = None) -> str | None:
    """The unit code typed in sheet "Thông tin chung" of ``path`` (the office code in "Thông tin cơ quan" of the
    offices' form), reading nothing else: a file's unit is
    found whatever its other sheets hold (a number no reader can cast, a fault of the pipeline).

    Raises:
        UnreadableSubmission: as :func:`read_submission`, for the file or its general sheet.
    """
    with path.open("rb") as fh:
        opened = open_submission(fh, file_name or path.name, limits=reader_limits(config))
    ws = _sheet(opened.values, schema.SHEET_GENERAL)
    sub = Submission(path=path, sha256="")
    if ws is None:  # the offices' form: its office code as typed (pipeline.read.office checks it)
        ws = _sheet(opened.values, office_schema.SHEET_GENERAL)
        if ws is None:
            return None
        read_labelled(ws, sub, office_schema.SHEET_GENERAL, office_schema.GENERAL_FIELDS,
                      general_codes(config, "office_code", upper=True))
        return sub.general.get("office_code") or None
    _read_general(ws, sub, config)
    return sub.unit_code


def reader_limits(config: Config) -> Limits:
    """The reader's resource limits from the configuration's ``validation:`` settings (see
    :class:`pipeline.read.sources.Limits` for the keys and defaults)."""
    return Limits.from_settings(config.validation)


def _flag_formulas_without_value(values: Any, formulas: Any, sub: Submission) -> None:
    for key, sheet_name in schema.SHEETS.items():
        vws, fws = _sheet(values, sheet_name), _sheet(formulas, sheet_name)
        if vws is None or fws is None:
            continue
        for row, col, formula in formulas_without_value(vws, fws):
            header = sub.columns.get((sheet_name, col)) or (
                clean_text(value_at(vws, row, 1)) if key in ("general", "narrative") else f"cột {column_letter(col)}")
            sub.findings.append(Finding(
                ERROR, sheet_name, row, header, formula,
                "Ô có công thức nhưng tệp không lưu kết quả tính (thường do tệp được tạo bằng phần mềm khác Excel).",
                "Mở tệp bằng Excel hoặc LibreOffice Calc rồi lưu lại để công thức được tính, hoặc ghi thẳng giá trị "
                "(số hoặc chữ) thay cho công thức.",
                "read"))


def roster_counts(roster: pd.DataFrame, status_column: str) -> dict[str, int]:
    """NCC households and persons by status from a roster frame.

    Returns ``{"ncc_poor_households", "ncc_poor_persons", "ncc_near_poor_households",
    "ncc_near_poor_persons"}`` (households; persons = sum of ``members_count``) for the status in
    ``status_column`` (``status_baseline`` or ``status_current``).
    """
    out = {}
    for status, prefix in (("poor", "ncc_poor"), ("near_poor", "ncc_near_poor")):
        rows = roster[roster[status_column] == status]
        out[f"{prefix}_households"] = int(len(rows))
        out[f"{prefix}_persons"] = int(rows["members_count"].fillna(0).sum())
    return out


def read_labelled(ws: Any, sub: Submission, sheet: str, fields: tuple[schema.Field, ...],
                  code: Callable[[schema.Field, Any], str]) -> None:
    """Read a sheet of labels in column A and values in column B (the general sheets) into ``sub.general`` by
    the fields' keys, with each value's row in ``sub.general_rows`` and its label as printed in ``sub.headers``;
    a date that cannot be read is a finding on its cell; ``code`` gives a code field's text from its cell
    (leading zeros kept). A field whose label is missing reads None."""
    by_label = {schema.normalize_label(f.header): f for f in fields}
    for r in range(1, last_data_row(ws, (1,)) + 1):
        f = by_label.get(schema.normalize_label(value_at(ws, r, 1)))
        if f is None:
            continue
        raw = value_at(ws, r, 2)
        sub.general_rows[f.key] = r
        sub.headers[(sheet, f.key)] = clean_text(value_at(ws, r, 1))
        if f.kind == "date":
            try:
                sub.general[f.key] = parse_date(raw)
            except ValueError:
                sub.general[f.key] = None
                sub.findings.append(_bad_value(sheet, r, f.header, raw, "Ngày không đúng dạng.",
                                               "Ghi ngày dạng dd/mm/yyyy."))
        elif f.kind == "code":
            sub.general[f.key] = code(f, cell_at(ws, r, 2)) or None
        else:
            sub.general[f.key] = clean_text(raw) or None
    for f in fields:
        sub.headers.setdefault((sheet, f.key), f.header)
        sub.general.setdefault(f.key, None)


def chosen_code(cell: Any, width: int = 0) -> str:
    """A code cell that may hold a drop-down value of the form ("22828 – Xã Ma Nới", "VHTT – Phòng …"): the code
    before " – " (:func:`pipeline.schema.choice_code`), padded to ``width`` when all digits; a bare code as
    :func:`clean_code` reads it (the 2023 form)."""
    text = schema.choice_code(clean_code(cell, width))
    return text.zfill(width) if width and text.isdigit() else text


def period_code(text: str, config: Config) -> str:
    """A period as typed or chosen: its name in the form's drop-down list ("6 tháng đầu năm 2023", "Năm 2023";
    :func:`pipeline.schema.period_name` of a kind's ``label`` in ``periods:``) becomes its code ("2023-6T",
    "2023-CN"); anything else (a code "2023-6T" of the 2023 form, a typing error) stays as it is, for validation
    to judge."""
    typed = schema.normalize_label(text)
    for kind, spec in config.period_kinds.items():
        m = re.fullmatch(re.escape(schema.normalize_label(spec["label"])) + r"\s*(\d{4})", typed)
        if m:
            return f"{m[1]}-{kind}"
    return text


def general_codes(config: Config, key: str, *, width: int = 0,
                  upper: bool = False) -> Callable[[schema.Field, Any], str]:
    """How a general sheet's code cells read (the communes' and the offices' forms): the unit's (``key``:
    "unit_code" or "office_code") as its drop-down value's code (:func:`chosen_code`, padded to ``width``,
    upper-case when ``upper``), the period by its name or its code (:func:`period_code`), any other as typed."""
    def read(f: schema.Field, cell: Any) -> str:
        if f.key == key:
            text = chosen_code(cell, width)
            return text.upper() if upper else text
        text = clean_code(cell)
        return period_code(text, config) if f.key == "period" else text

    return read


def _read_general(ws: Any, sub: Submission, config: Config) -> None:
    """The general sheet's fields; the unit code and the period also as the form's drop-down values (code – name,
    the period's name). The leader's confirmation rows (:data:`pipeline.schema.CONFIRMATION_FIELDS`) are not data
    and are left unread."""
    read_labelled(ws, sub, schema.SHEET_GENERAL, schema.GENERAL_FIELDS, general_codes(config, "unit_code", width=5))
    _resolve_unit(sub, config)


def closest_units(config: Config, name: object, code: object, n: int = 3) -> list[Unit]:
    """Up to ``n`` configured units closest to a typed unit, for a message: first those whose name is
    close to ``name`` (diacritics ignored, for ranking only), then those whose code shares the most digits
    with ``code`` in the same positions (ties: the smaller numeric difference)."""
    import difflib


    out: list[Unit] = []
    if name:
        typed = loose_unit_name(name)
        scored = []
        for u in config.units:
            best = max(difflib.SequenceMatcher(None, typed, loose_unit_name(x)).ratio()
                       for x in (u.name, *u.aliases))
            if best >= 0.75:
                scored.append((-best, u.code, u))
        out = [u for _, _, u in sorted(scored, key=lambda t: t[:2])]
    digits = str(code or "")
    if digits:
        def by_code(u: Unit) -> tuple[int, int]:
            same = sum(a == b for a, b in zip(u.code, digits, strict=False))
            diff = abs(int(u.code) - int(digits)) if u.code.isdigit() and digits.isdigit() else 10**6
            return (-same, diff)

        out += sorted((u for u in config.units if u not in out), key=by_code)
    return list(dict.fromkeys(out))[:n]


def _resolve_unit(sub: Submission, config: Config) -> None:
    """Identify the unit by its typed code — never by a guess, and never by its name against the code.

    Rules (issue "identity is never guessed"): a typed code that is not configured is an error naming the
    closest units (:func:`closest_units`) and the file stays unattributed; with a configured code, a name
    that is a configured alias, or the unit's name with other tone marks, is a warning giving the right
    spelling (any other name is the ``name_matches_code`` expectation's error). Only when the code is blank
    and the name is exactly (after :func:`pipeline.schema.canonical_unit_name`) one unit's name or alias is
    the code taken from the configuration, with a warning. The findings are marked ``rule="identity"``.
    """
    code, name = sub.general.get("unit_code"), sub.general.get("unit_name")
    code_col = sub.headers[(schema.SHEET_GENERAL, "unit_code")]
    name_col = sub.headers[(schema.SHEET_GENERAL, "unit_name")]
    code_row, name_row = sub.general_rows.get("unit_code"), sub.general_rows.get("unit_name")
    known = {u.code: u for u in config.units}
    if code and code not in known:
        shown = code if code.isdigit() and len(code) <= 10 else "đã ghi"  # anything else may be personal data
        near = "; ".join(f"{u.code} ({u.full_name})" for u in closest_units(config, name, code))
        sub.findings.append(Finding(
            ERROR, schema.SHEET_GENERAL, code_row, code_col, code,
            f"Mã đơn vị {shown} không có trong danh sách đơn vị của {config.words()['area']}, nên chưa biết số liệu là "
            "của đơn vị "
            f"nào (tên đơn vị không thay cho mã)." + (f" Đơn vị gần nhất: {near}." if near else ""),
            f"Ghi đúng mã hành chính 5 chữ số của đơn vị theo danh sách của {config.words()['area']} (giữ số 0 ở đầu "
            "nếu có), khớp với tên đơn vị, rồi gửi lại tệp.", "identity"))
        return
    if code:
        unit = known[code]
        if not name or unit.is_own_name(name):
            return
        if unit.matches_name(name):
            what = f"Tên đơn vị '{name}' là cách viết khác của {unit.full_name} (mã {code})"
        elif unit.differs_in_tones(name):
            what = f"Tên đơn vị '{name}' sai dấu thanh so với mã {code}"
        else:
            return  # another unit's name or an unknown one: the name_matches_code expectation's error
        sub.findings.append(Finding(
            WARNING, schema.SHEET_GENERAL, name_row, name_col, name,
            f"{what}; đúng là '{unit.full_name}'.", f"Ghi tên đơn vị '{unit.full_name}'.", "identity"))
        return
    if not name:
        return
    matches = [u for u in config.units if u.matches_name(name)]
    if not matches:
        closest = closest_units(config, name, None, n=1)
        if closest:  # close but not the name: suggested, never matched (the blank code is its own error)
            unit = closest[0]
            sub.findings.append(Finding(
                WARNING, schema.SHEET_GENERAL, name_row, name_col, name,
                f"Tên đơn vị '{name}' không trùng tên đơn vị nào của danh sách. Có phải {unit.full_name}, "
                f"mã {unit.code}?",
                f"Nếu đúng là {unit.full_name}: ghi mã đơn vị {unit.code} và tên '{unit.full_name}', rồi gửi lại "
                f"tệp.", "identity"))
        return
    if len(matches) == 1:
        unit = matches[0]
        sub.findings.append(Finding(
            WARNING, schema.SHEET_GENERAL, code_row, code_col, "",
            f"Mã đơn vị trống; đã xác định đơn vị theo tên '{name}' là {unit.full_name} (mã {unit.code}).",
            f"Ghi mã đơn vị {unit.code}.", "identity"))
        sub.general["unit_code"] = unit.code


def _read_summary(ws: Any, sub: Submission, config: Config) -> None:
    sheet = schema.SHEET_SUMMARY
    header_row = _find_header_row(ws, "Chỉ tiêu")
    if header_row is None:
        sub.findings.append(
            Finding(ERROR, sheet, None, "Chỉ tiêu", "", "Không tìm thấy dòng tiêu đề có cột 'Chỉ tiêu'.",
                    "Dùng đúng mẫu; không xóa dòng tiêu đề.", "read")
        )
        return
    cols, first_row = _map_columns(ws, header_row, schema.SUMMARY_COLUMNS, sheet, sub)
    for needed in ("label", "value_baseline", "value_current"):
        if needed not in cols:
            header = next(f.header for f in schema.SUMMARY_COLUMNS if f.key == needed)
            sub.findings.append(
                Finding(ERROR, sheet, header_row, header, "", f"Thiếu cột '{header}'.", "Dùng đúng mẫu.", "read")
            )
            return
    sub.sheets_read.add("summary")
    by_label = {schema.normalize_label(i.label): i for i in schema.SUMMARY_INDICATORS}
    rows: dict[str, dict[str, Any]] = {}
    for r in range(first_row, last_data_row(ws, (cols["label"],)) + 1):
        ind = by_label.get(schema.normalize_label(value_at(ws, r, cols["label"])))
        if ind is None:
            continue
        rec: dict[str, Any] = {"indicator": ind.key, "label": ind.label, "excel_row": r, "timing": ind.timing}
        for key in ("value_baseline", "value_current"):
            raw = value_at(ws, r, cols[key])
            try:
                if ind.unit == "đồng":
                    rec[key], fraction = parse_dong(raw)
                    if fraction is not None:
                        sub.findings.append(_rounded(sheet, r, sub.headers[(sheet, key)], raw, fraction, rec[key]))
                else:
                    rec[key] = parse_whole_number(raw)
            except NumberTooLarge:
                rec[key] = None
                sub.findings.append(_bad_value(sheet, r, sub.headers[(sheet, key)], raw, *too_large_help(raw)))
            except ValueError:
                rec[key] = None
                sub.findings.append(
                    _bad_value(sheet, r, sub.headers[(sheet, key)], raw, f"'{ind.label}' phải là số nguyên không âm.",
                               "Ghi số nguyên không âm (ví dụ 1551 hoặc 1.551), không ghi chữ, số âm hay số lẻ.")
                )
        rows[ind.key] = rec
    frame = pd.DataFrame(
        [rows.get(i.key, {"indicator": i.key, "label": i.label, "excel_row": None, "timing": i.timing})
         for i in schema.SUMMARY_INDICATORS]
    )
    for key in ("value_baseline", "value_current"):
        frame[key] = frame.get(key, pd.Series([None] * len(frame))).astype("Int64")
    frame["excel_row"] = frame["excel_row"].astype("Int64")
    values = frame.set_index("indicator")
    parents = [schema.INDICATORS_BY_KEY[k].parent for k in frame["indicator"]]
    frame["parent"] = pd.Series(parents, dtype="object")
    for key in ("value_baseline", "value_current"):
        parent_values: list[Any] = [values.at[p, key] if p else pd.NA for p in parents]
        frame[f"parent_{key}"] = pd.array(parent_values, dtype="Int64")
    sub.summary = frame


def _empty_roster() -> pd.DataFrame:
    return pd.DataFrame({**{f.key: pd.Series(dtype=_dtype(f)) for f in schema.ROSTER_FIELDS},
                         "excel_row": pd.Series(dtype="int64")})


def _dtype(f: schema.Field) -> Literal["Int64", "bool", "object"]:
    """The pandas dtype of a roster field: nullable integers for counts and đồng, bool for flags, else object."""
    if f.kind in ("count", "vnd"):
        return "Int64"
    return "bool" if f.kind == "flag" else "object"


def _read_roster(ws: Any, sub: Submission, config: Config) -> None:
    sheet = schema.SHEET_ROSTER
    header_row = _find_header_row(ws, "Mã hộ")
    if header_row is None:
        sub.findings.append(
            Finding(ERROR, sheet, None, "Mã hộ", "", "Không tìm thấy dòng tiêu đề có cột 'Mã hộ'.",
                    "Dùng đúng mẫu; không xóa dòng tiêu đề.", "read")
        )
        return
    cols, first_row = _map_columns(ws, header_row, schema.ROSTER_FIELDS, sheet, sub)
    missing_required = False
    for f in schema.ROSTER_FIELDS:
        sub.headers.setdefault((sheet, f.key), f.header)
        if f.required and f.key not in cols:
            missing_required = True
            sub.findings.append(
                Finding(ERROR, sheet, header_row, f.header, "", f"Thiếu cột bắt buộc '{f.header}'.",
                        "Dùng đúng mẫu; không xóa hoặc đổi tên cột.", "read")
            )
    if not missing_required:
        sub.sheets_read.add("roster")
    ref = config.reference
    statuses = _coded_lookup(ref["statuses"])
    changes = _coded_lookup(ref["change_kinds"])
    categories = _coded_lookup(ref["ncc_categories"])
    records = []
    layout = sub.layout.get(sheet, SheetLayout())
    hidden: list[int] = []
    for r in range(first_row, last_data_row(ws, cols.values()) + 1):
        own = {k: value_at(ws, r, c) for k, c in cols.items()}
        if "household_code" in cols:
            own["household_code"] = clean_code(cell_at(ws, r, cols["household_code"]))
        if all(clean_text(v) == "" for k, v in own.items() if k != "no"):
            continue  # blank spacer row (a row that only a merge reaches into is one too)
        if _is_subtotal(own):
            continue  # "Tổng cộng", "I. Khu vực thành thị": not a household
        raw_row = {k: layout.shown(ws, r, c) for k, c in cols.items()}  # a merge's value reaches every row
        if "household_code" in cols:
            raw_row["household_code"] = clean_code(layout.shown_cell(ws, r, cols["household_code"]))
        if r in layout.hidden_rows:
            hidden.append(r)
        rec: dict[str, Any] = {"excel_row": r}
        for f in schema.ROSTER_FIELDS:
            rec[f.key] = read_cell(sub, sheet, r, f, raw_row.get(f.key),
                                   lambda f, raw: _parse_roster_value(f, raw, statuses, changes, categories))
        records.append(rec)
    _warn_hidden_rows(sub, sheet, hidden, "hộ")
    if not records:
        sub.roster = _empty_roster()
        return
    frame = pd.DataFrame.from_records(records)
    for f in schema.ROSTER_FIELDS:
        frame[f.key] = frame[f.key].astype(_dtype(f))
    sub.roster = frame[[f.key for f in schema.ROSTER_FIELDS] + ["excel_row"]]


def read_cell(sub: Submission, sheet: str, row: int, f: schema.Field, raw: Any,
              parse: Callable[[schema.Field, Any], Any]) -> Any:
    """One cell of a table read as its field's kind: an amount in whole đồng (a fraction rounded, with a finding),
    anything else by ``parse``. A value that cannot be read is None (False for a flag) and a finding on the cell
    — sheet, row, column as printed, value as typed, the fix — never an exception."""
    header = sub.headers[(sheet, f.key)]
    try:
        if f.kind == "vnd":
            value, fraction = parse_dong(raw)
            if fraction is not None:
                sub.findings.append(_rounded(sheet, row, header, raw, fraction, value))
            return value
        return parse(f, raw)
    except ImpossibleDate:
        sub.findings.append(_bad_value(sheet, row, header, raw, "Ngày không tồn tại.",
                                       "Kiểm tra lại ngày, tháng (ví dụ tháng 2 chỉ có 28 hoặc 29 ngày)."))
        return None
    except NumberTooLarge:
        sub.findings.append(_bad_value(sheet, row, header, raw, *too_large_help(raw)))
        return None
    except ValueError:
        sub.findings.append(_bad_value(sheet, row, header, raw, *_kind_help(f)))
        return None if f.kind != "flag" else False


def _is_subtotal(raw_row: dict[str, Any]) -> bool:
    """A subtotal or section row: no household code, and its first text reads "Tổng…", "Cộng…", "I.", "a)"."""
    if clean_text(raw_row.get("household_code")):
        return False
    texts = [clean_text(v) for k, v in raw_row.items() if isinstance(v, str) and clean_text(v)]
    return bool(texts) and bool(SUBTOTAL.match(texts[0]))


def _parse_roster_value(
    f: schema.Field, raw: Any, statuses: dict[str, str], changes: dict[str, str], categories: dict[str, str]
) -> Any:
    if f.kind in ("count", "vnd"):
        return parse_whole_number(raw)
    if f.kind == "flag":
        return parse_flag(raw)
    if f.kind == "date":
        return parse_date(raw)
    text = clean_text(raw)
    if f.kind in ("status", "change"):
        if not text:
            return "unchanged" if f.kind == "change" else None
        table = statuses if f.kind == "status" else changes
        return table.get(schema.normalize_label(text), text)
    if f.kind == "categories":
        return ncc_categories(text, categories)
    return text or None


def ncc_category(text: str, categories: dict[str, str]) -> str:
    """One Ordinance 02/2020 category as typed: a letter ("c"), its name ("Liệt sĩ") or the drop-down value
    ("c – Liệt sĩ") → its code; other text as typed (for validation to name)."""
    code = schema.choice_code(text.strip())
    return categories.get(schema.normalize_label(code), code)


def ncc_categories(text: str, categories: dict[str, str]) -> str | None:
    """A household's categories: several separated by ";" or "," ("c;tn", "c – Liệt sĩ; tn") or, as typed in
    the 2023 form, by spaces ("c tn") → codes joined by ";"; None when blank. A part is first taken whole (a
    drop-down value or a name may hold a comma or spaces: "g – Thương binh, người hưởng …"), else split at its
    commas, then at its spaces."""
    known = set(categories.values())

    def split(part: str, seps: tuple[str, ...]) -> list[str]:
        code = ncc_category(part, categories)
        if code in known or not seps:
            return [code]
        pieces = [p.strip() for p in re.split(seps[0], part) if p.strip()]
        if len(pieces) == 1:
            return split(part, seps[1:])
        return [c for piece in pieces for c in split(piece, seps[1:])]

    out = [c for part in text.split(";") if part.strip() for c in split(part.strip(), (",", r"\s+"))]
    return ";".join(out) or None


def _kind_help(f: schema.Field) -> tuple[str, str]:
    return {
        "count": ("Phải là số nguyên không âm.", "Ghi số nguyên không âm (ví dụ 5), không ghi chữ, số âm hay số lẻ."),
        "vnd": ("Số tiền phải là số nguyên đồng, không âm.", "Ghi số đồng, ví dụ 1.500.000."),
        "flag": ("Cột đánh dấu chỉ nhận x hoặc để trống.", "Ghi x nếu có, để trống nếu không."),
        "date": ("Ngày không đúng dạng.", "Ghi ngày dạng dd/mm/yyyy, ví dụ 15/03/2023."),
    }.get(f.kind, ("Giá trị không đọc được.", "Sửa theo hướng dẫn của mẫu."))


def _read_members(ws: Any, sub: Submission, config: Config) -> None:
    sheet = schema.SHEET_MEMBERS
    header_row = _find_header_row(ws, "Mã hộ")
    if header_row is None:
        sub.findings.append(Finding(ERROR, sheet, None, "Mã hộ", "", "Không tìm thấy dòng tiêu đề có cột 'Mã hộ'.",
                                    "Dùng đúng mẫu; không xóa dòng tiêu đề.", "read"))
        return
    cols, first_row = _map_columns(ws, header_row, schema.MEMBER_FIELDS, sheet, sub)
    for f in schema.MEMBER_FIELDS:
        sub.headers.setdefault((sheet, f.key), f.header)
        if f.required and f.key not in cols:
            sub.findings.append(Finding(ERROR, sheet, header_row, f.header, "", f"Thiếu cột bắt buộc '{f.header}'.",
                                        "Dùng đúng mẫu; không xóa hoặc đổi tên cột.", "read"))
            return
    categories = _coded_lookup(config.reference["ncc_categories"])
    records = []
    layout = sub.layout.get(sheet, SheetLayout())
    hidden: list[int] = []
    code_col = cols["household_code"]
    for r in range(first_row, last_data_row(ws, cols.values()) + 1):
        own = {k: clean_text(value_at(ws, r, c)) for k, c in cols.items() if k != "no"}
        own["household_code"] = clean_code(cell_at(ws, r, code_col))
        if not any(own.values()) or _is_subtotal(own):
            continue
        raw = {k: clean_text(layout.shown(ws, r, c)) for k, c in cols.items() if k != "no"}
        raw["household_code"] = clean_code(layout.shown_cell(ws, r, code_col))
        if r in layout.hidden_rows:
            hidden.append(r)
        records.append({
            "household_code": raw.get("household_code") or None,
            "relation": raw.get("relation") or None,
            "category": ncc_category(raw["category"], categories) if raw.get("category") else None,
            "excel_row": r,
        })
    _warn_hidden_rows(sub, sheet, hidden, "thành viên")
    sub.members = pd.DataFrame(records, columns=["household_code", "relation", "category", "excel_row"])
    sub.sheets_read.add("members")


def _read_narrative(ws: Any, sub: Submission, config: Config) -> None:
    by_label = {schema.normalize_label(f.header): f for f in schema.NARRATIVE_FIELDS}
    for r in range(1, last_data_row(ws, (1,)) + 1):
        f = by_label.get(schema.normalize_label(value_at(ws, r, 1)))
        if f is not None:
            text = clean_text(value_at(ws, r, 2)).replace("\r\n", "\n").replace("\r", "\n")
            sub.narrative[f.key] = text
            sub.narrative_rows[f.key] = r
            sub.sheets_read.add("narrative")
    for f in schema.NARRATIVE_FIELDS:
        sub.narrative.setdefault(f.key, "")


def _warn_hidden_rows(sub: Submission, sheet: str, rows: list[int], what: str) -> None:
    """One warning for a sheet whose hidden rows hold data: Excel does not show them, yet they are read and
    counted like any other row (an old line hidden instead of deleted would be counted twice)."""
    if not rows:
        return
    listed = ", ".join(str(r) for r in rows[:10]) + (", …" if len(rows) > 10 else "")
    sub.findings.append(Finding(
        WARNING, sheet, rows[0], "", "",
        f"Có {len(rows)} dòng đang bị ẩn nhưng có số liệu {what} (dòng {listed}); số liệu ở dòng ẩn vẫn được đọc "
        "và tính như các dòng khác.",
        "Nếu là số liệu cũ không còn dùng, xóa hẳn dòng (chuột phải vào số dòng → Xóa/Delete), đừng chỉ ẩn; nếu "
        "đúng, bỏ ẩn (chọn các dòng hai bên, chuột phải → Bỏ ẩn/Unhide) để cán bộ dễ kiểm tra.", "layout"))


def locate_findings(findings: list[Finding], sub: Submission) -> list[Finding]:
    """Findings placed where the commune can see and fix them.

    A finding on a cell that a merge covers moves to the merge's top-left cell, which holds the value (its
    message names the merge, e.g. "ô gộp A5:A7"); the same finding reached through several covered cells is
    kept once. A finding on a hidden row or column says so and how to unhide it. A finding on a table that today's
    offices' form stacks on a shared sheet names the sheet of its own that a 2023 workbook has it on
    (:func:`pipeline.office_schema.sheet_in`). Order is kept.

    Args:
        findings: every finding of the submission (reader's and expectations').
        sub: the submission read, for its layouts and column headers.
    """
    column_of = {(sheet, text): c for (sheet, c), text in sub.columns.items()}
    out: list[Finding] = []
    seen: set[tuple[Any, ...]] = set()
    for given in findings:
        f = replace(given, sheet=office_schema.sheet_in(given.sheet, given.column, sub.layout))
        layout = sub.layout.get(f.sheet)
        if layout is None or f.row is None or f.rule == "layout":
            out.append(f)
            continue
        col = column_of.get((f.sheet, f.column))
        if col is None and f.sheet in (schema.SHEET_GENERAL, schema.SHEETS["narrative"]):
            col = 2  # label in column A, value in column B
        row, column, message, fix = f.row, f.column, f.message, f.fix
        if col is not None and ((row, col) in layout.merged or (row, col) in layout.ranges):
            row, col = layout.top_left(row, col)
            column = sub.columns.get((f.sheet, col), column)
            message = f"{message} (ô gộp {layout.ranges[(row, col)]}: giá trị ghi ở ô đầu của vùng gộp)"
        hidden = ([f"dòng {row}"] if row in layout.hidden_rows else []) + (
            [f"cột {column_letter(col)}"] if col is not None and col in layout.hidden_columns else [])
        if hidden:
            where = " và ".join(hidden)
            message = f"{message} ({where[0].upper()}{where[1:]} đang bị ẩn.)"
            fix = (f"{fix} " if fix else "") + (f"Bỏ ẩn {where} (chọn các dòng, cột liền kề, chuột phải → Bỏ ẩn/"
                                                "Unhide) để xem và sửa.")
        placed = replace(f, row=row, column=column, message=message, fix=fix)
        key = (placed.severity, placed.sheet, placed.row, placed.column, placed.message, placed.value)
        if key not in seen:
            seen.add(key)
            out.append(placed)
    return out


def column_letter(index: int) -> str:
    """Excel column letter of a 1-based column index (1 → A)."""
    return get_column_letter(index)
