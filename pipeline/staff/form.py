"""Write submission workbooks in the layout of :mod:`pipeline.schema` (blank template or filled in).

Used to build ``templates/mau_bao_cao_don_vi.xlsx`` and ``templates/mau_bao_cao_co_quan.xlsx`` and by the sample
generator. Writes only; reading is :mod:`pipeline.read.reader`.

The form is made for a commune official who fills and prints it without help: a first sheet "Hướng dẫn" (guide)
built from the schema and the configuration (sheets, dates, the legends of the codes, how and by when to send,
how to read the findings); drop-down lists whose values carry their meaning ("22828 – Xã Ma Nới", "6 tháng đầu
năm 2023", "c – Liệt sĩ"), which the reader maps back to codes; the leader's confirmation under the general
fields; and print settings on every sheet (A4, repeated header rows and key columns, wide sheets split into
printed column groups rather than shrunk).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties

from pipeline import fmt, schema
from pipeline import office_schema as o
from pipeline.config import Config, ConfigError, Period, load_config
from pipeline.files import atomic_path
from pipeline.office_schema import task_text
from pipeline.synthesis import capitalise

_FONT = "Times New Roman"
_BOLD = Font(name=_FONT, bold=True, size=12)
_NORMAL = Font(name=_FONT, size=12)
_HEAD = Font(name=_FONT, bold=True, size=11)
_NOTE = Font(name=_FONT, italic=True, size=10)
_TITLE = Font(name=_FONT, bold=True, size=14)
_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_GREY = PatternFill("solid", fgColor="D9D9D9")
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(wrap_text=True, horizontal="center", vertical="center")
_UPRIGHT = Alignment(wrap_text=True, horizontal="center", vertical="center", text_rotation=90)
CODES_SHEET = "Danh mục"  # hidden sheet of the lists too long for a cell (a province's codes, the plan's tasks)
GUIDE_SHEET = schema.SHEET_GUIDE  # the first sheet: how to fill, print and send the form

# --- Printing (A4; LibreOffice and Excel both honour these settings) --------------------------------------------
_MARGINS = PageMargins(left=0.5, right=0.4, top=0.55, bottom=0.55, header=0.25, footer=0.25)  # inches
_PRINTABLE_MM = {"portrait": 210 - 0.9 * 25.4, "landscape": 297 - 0.9 * 25.4}  # A4 minus the side margins
MIN_SCALE = 60
"""No sheet prints below this scale: a wider sheet is split into printed column groups instead."""


def _column_mm(width: float) -> float:
    """Printed width in mm of a column ``width`` characters wide at 100 %: LibreOffice prints a character of the
    default font (Times New Roman 11, :func:`_new_workbook`) 1.94 mm wide (measured), Excel 7 px at 96 px an inch
    plus 5 px of padding (1.85 mm and 1.3 mm); the larger of the two."""
    return max(width * 1.95 + 0.5, (width * 7 + 5) / 96 * 25.4)


def _print_setup(ws: Any, *, groups: Sequence[str] = (), title_rows: str | None = None,
                 title_cols: str | None = None, portrait: bool = False) -> None:
    """A4 print settings of ``ws``: the orientation and the fixed scale at which its widest printed block fits the
    page width, repeated header rows and key columns, and a manual column break before each group.

    Args:
        ws: the worksheet, its column widths already set.
        groups: the printed column groups of a wide sheet, as "D:O" ranges; each is printed on its own pages
            with ``title_cols`` repeated before it (a column break before every group but the first). Empty: the
            sheet's used columns are one group.
        title_rows: rows repeated at the top of every page ("4:4").
        title_cols: columns repeated at the left of every page ("A:C").
        portrait: print portrait whatever the scale (a page of text, read top to bottom).

    The scale is the largest whole percentage (≤ 100) at which the widest group, with the key columns, fits the
    printable width, in portrait when that scale is at least 85 %, else in landscape; never below
    :data:`MIN_SCALE` (a group that needs less is a layout error of this module). No fit-to-page: LibreOffice and
    Excel would shrink a wide sheet to unreadable print.
    """
    def width(col: int) -> float:
        dim = ws.column_dimensions.get(get_column_letter(col))
        return float(dim.width) if dim is not None and dim.width else 8.43

    def span(ref: str) -> range:
        first, _, last = ref.partition(":")
        a, b = (column_index_from_string(first), column_index_from_string(last or first))
        return range(a, b + 1)

    keys = sum(_column_mm(width(c)) for c in span(title_cols)) if title_cols else 0.0
    blocks = [span(g) for g in groups] or [range(1, ws.max_column + 1)]
    needed = max(keys + sum(_column_mm(width(c)) for c in block) for block in blocks)
    fits = {o: min(100, math.floor(100 * mm / needed)) for o, mm in _PRINTABLE_MM.items()}
    orientation = "portrait" if portrait or fits["portrait"] >= 85 else "landscape"
    scale = fits[orientation] - (2 if fits[orientation] < 100 else 0)  # a margin for the renderer's rounding
    if scale < MIN_SCALE:
        raise ValueError(f"Sheet {ws.title} needs {scale} % to print its widest column group: split it")
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = orientation
    ws.page_setup.scale = scale
    ws.page_setup.pageOrder = "overThenDown"  # a household's column groups on consecutive pages
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=False)
    ws.page_margins = _MARGINS
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols
    for block in blocks[1:]:
        ws.col_breaks.append(Break(id=block.start - 1))  # break after the column before the group
    ws.oddHeader.left.text = "&A"
    ws.oddHeader.left.font = _FONT
    ws.oddFooter.center.text = "Trang &P/&N"
    ws.oddFooter.center.font = _FONT


def _lines(text: str, width: float) -> int:
    """How many printed lines ``text`` takes in a wrapped cell ``width`` characters wide (Times New Roman 11-12 pt
    fits about one character a width unit; an estimate that errs on the tall side, as merged cells do not grow)."""
    per_line = max(1, int(width * 1.0))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))


# --- Cell values and input rules --------------------------------------------------------------------------------

def _cell_value(field: schema.Field, value: Any) -> Any:
    if value is None:
        return None
    if field.kind == "flag":
        return "x" if value else None
    if field.kind == "date" and isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return value


_Style = Literal["stop", "warning", "information"]


def _list(values: str, title: str, prompt: str, style: _Style = "stop") -> DataValidation:
    """A drop-down list (values separated by commas; Excel limits the list to 255 characters). ``style``: "stop"
    refuses other values, "information" only tells (a household's several NCC categories typed as "c;tn")."""
    if len(values) > 255:
        raise ValueError(f"Drop-down list for {title} is longer than Excel allows")
    error = "Chọn một giá trị trong danh sách." if style == "stop" else (
        "Giá trị không có trong danh sách; vẫn được ghi nếu đúng cách ghi trong sheet Hướng dẫn.")
    return DataValidation(type="list", formula1=f'"{values}"', allow_blank=True, showErrorMessage=True,
                          errorStyle=style, errorTitle=title[:32], error=error, showInputMessage=True,
                          promptTitle=title[:32], prompt=prompt[:255])


def _choices(wb: Any, values: Sequence[str], title: str, prompt: str, style: _Style = "stop"
             ) -> DataValidation:
    """A drop-down list of ``values``: in the cell when Excel takes it (255 characters), else from a column of
    the hidden sheet :data:`CODES_SHEET` (a province's 65 codes, the plan's tasks by name)."""
    if len(",".join(values)) <= 255 and not any("," in v or '"' in v for v in values):
        return _list(",".join(values), title, prompt, style)
    listed = wb[CODES_SHEET] if CODES_SHEET in wb.sheetnames else wb.create_sheet(CODES_SHEET)
    listed.sheet_state = "hidden"
    col = listed.max_column + 1 if listed.max_row > 1 or listed["A1"].value is not None else 1
    for i, value in enumerate(values, start=1):
        listed.cell(i, col, value).number_format = "@"
    rule = _list("x", title, prompt, style)
    letter = get_column_letter(col)
    rule.formula1 = f"'{CODES_SHEET}'!${letter}$1:${letter}${len(values)}"
    return rule


def _whole(low: int, high: int, title: str, prompt: str) -> DataValidation:
    """A whole-number range rule."""
    return DataValidation(type="whole", operator="between", formula1=str(low), formula2=str(high),
                          allow_blank=True, showErrorMessage=True, errorTitle=title[:32],
                          error=f"Ghi số nguyên từ {low} đến {high}.", showInputMessage=True,
                          promptTitle=title[:32], prompt=prompt[:255])


def _date(title: str) -> DataValidation:
    """A date rule for a table's date column (a real date between 2000 and 2100)."""
    return DataValidation(type="date", operator="between", formula1="DATE(2000,1,1)", formula2="DATE(2100,12,31)",
                          showErrorMessage=True, errorTitle=title[:32], error="Ghi ngày dạng dd/mm/yyyy.",
                          allow_blank=True, showInputMessage=True, promptTitle=title[:32],
                          prompt="Ngày dạng dd/mm/yyyy, ví dụ 15/03/2023.")


def _text_date(cell: str, title: str) -> DataValidation:
    """A date typed as text dd/mm/yyyy in a text cell (the general sheet keeps dates as text, so that Excel's
    locale never swaps day and month): ten characters that make a date, or a date Excel already took as one (a
    number). A warning only: a real date is read too."""
    formula = (f'OR(ISNUMBER({cell}),AND(LEN({cell})=10,MID({cell},3,1)="/",MID({cell},6,1)="/",'
               f'ISNUMBER(DATEVALUE(MID({cell},7,4)&"-"&MID({cell},4,2)&"-"&LEFT({cell},2)))))')
    return DataValidation(type="custom", formula1=formula, allow_blank=True, showErrorMessage=True,
                          errorStyle="warning", errorTitle=title[:32], error="Ghi ngày dạng dd/mm/yyyy, ví dụ "
                          "03/05/2023.", showInputMessage=True, promptTitle=title[:32],
                          prompt="Ngày dạng dd/mm/yyyy, ví dụ 03/05/2023.")


def _household_code(cell: str) -> DataValidation:
    """The household code's shape as typed: 3 to 20 characters without a space (``schema.SHAPES``)."""
    return DataValidation(type="custom", formula1=f'AND(LEN({cell})>=3,LEN({cell})<=20,ISERROR(FIND(" ",{cell})))',
                          allow_blank=True, showErrorMessage=True, errorTitle="Mã hộ",
                          error="Mã hộ không có dấu cách, ví dụ 22828-0001.", showInputMessage=True,
                          promptTitle="Mã hộ", prompt="Mã đơn vị, dấu gạch ngang, số thứ tự của hộ; giữ nguyên "
                                                      "qua các kỳ trong năm.")


def _rule(ws: Any, area: str, rule: DataValidation) -> None:
    ws.add_data_validation(rule)
    rule.add(area)


def _new_workbook() -> Any:
    """An empty workbook whose default ("Normal") font is Times New Roman 11: column widths are counted in its
    characters by Excel and LibreOffice alike (LibreOffice substitutes the metric-compatible Liberation Serif), so
    the widths set here print as wide everywhere — with Calibri as default, a machine without it measures another
    font and the printed pages change."""
    wb: Any = Workbook()
    default = Font(name=_FONT, size=11)
    wb._fonts = IndexedList([default])  # noqa: SLF001 - openpyxl has no public setter for the default font
    wb._named_styles["Normal"].font = default  # noqa: SLF001 - the named style Excel shows as "Normal"
    return wb


def _save(wb: Any, path: Path) -> Path:
    """Save ``wb`` at ``path`` atomically (0644, as a form), the hidden lists (:data:`CODES_SHEET`) moved after
    the sheets staff fill; returns ``path``."""
    if CODES_SHEET in wb.sheetnames:
        wb.move_sheet(CODES_SHEET, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(CODES_SHEET))
    wb.active = 0
    with atomic_path(Path(path)) as tmp:
        wb.save(tmp)
    return path


# --- The drop-down values that carry their meaning --------------------------------------------------------------

def unit_choices(config: Config, period: Period | None = None) -> list[str]:
    """The commune list as the drop-down shows it, "22828 – Xã Ma Nới" (code – full name, capitalised), in the
    configuration's order; for a period, only the units that exist on its cut-off."""
    units = config.units_on(period.cutoff) if period is not None else config.units
    return list(dict.fromkeys(schema.choice(u.code, capitalise(u.full_name)) for u in units))


def office_choices(config: Config, period: Period | None = None) -> list[str]:
    """The offices as the drop-down shows them, "VHTT – Phòng Văn hóa - Thông tin …"."""
    offices = config.offices_on(period.cutoff) if period is not None else config.offices
    return [schema.choice(u.code, u.name) for u in offices]


def period_choices(config: Config, year: int) -> list[str]:
    """The year's periods by name ("6 tháng đầu năm 2023", "9 tháng đầu năm 2023", "Năm 2023"), in the order of
    ``periods:`` in the configuration."""
    return [schema.period_name(spec["label"], year) for spec in config.period_kinds.values()]


def category_choices(config: Config) -> list[str]:
    """The Ordinance 02/2020 categories as the drop-down shows them, "c – Liệt sĩ" (``ncc_categories`` of
    ``config/reference.yaml``)."""
    return [schema.choice(c["code"], c["label"]) for c in config.reference["ncc_categories"]]


def _shown(choices: Sequence[str], code: Any) -> Any:
    """The drop-down value whose code is ``code`` (a filled workbook shows what the list offers); ``code`` as
    given when no value has it (an unknown code is written as typed, for validation to name)."""
    if code is None:
        return None
    return next((c for c in choices if schema.choice_code(c) == str(code)), code)


def _period_shown(config: Config, code: Any) -> Any:
    """A period code as its name ("2023-6T" → "6 tháng đầu năm 2023"); any other value as given."""
    try:
        p = config.period(str(code))
    except ConfigError:
        return code
    return schema.period_name(p.label, p.year)


# --- The guide ("Hướng dẫn") ------------------------------------------------------------------------------------

LEGEND_TITLES = {
    "ncc_categories": "Diện người có công (Pháp lệnh 02/2020/UBTVQH14, Điều 3): chữ cái – tên",
    "statuses": "Phân loại hộ (cột Phân loại tại 01/01, Phân loại tại ngày chốt)",
    "change_kinds": "Loại biến động (cột Loại biến động): loại – từ phân loại nào sang phân loại nào",
    "indicators": "Chỉ số thiếu hụt (cột Thiếu hụt: …; ghi x nếu hộ thiếu hụt)",
    "tasks": "Nhiệm vụ của Kế hoạch (sheet Hoạt động)",
    "office_supports": "Loại hỗ trợ (sheet Hỗ trợ theo xã)",
    "fund_sources": f'Nguồn kinh phí (sheet "{o.SHEET_FUNDS_DOCUMENTS}")',
    "units": "Mã xã (mã hành chính – tên đơn vị)",
}
"""The heading over each legend of the guide, by the configuration list it shows."""

_GUIDE_WIDTHS = (6, 44, 6, 44)  # code, meaning, code, meaning: two legend entries a row
_OFFICE_GUIDE_WIDTHS = (6, 54, 6, 54)  # the offices' guide: wider, so that it prints on one page (at 75 %)


def _short(day: dt.date, *, pad: bool) -> str:
    """A day and month as the plan writes them: "30/4", "05/5" (``pad``: a day below 10 with its zero)."""
    return f"{day.day:02d}/{day.month}" if pad else f"{day.day}/{day.month}"


def _timing(config: Config, period: Period | None) -> tuple[str, str]:
    """(cut-off, deadline) sentences: the period's own dates, else every kind's day and month (``periods:``)."""
    if period is not None:
        return (f"ngày {period.cutoff:%d/%m/%Y}",
                f"trước 00 giờ ngày {period.deadline:%d/%m/%Y} (báo cáo {period.label} {period.year})")
    cutoffs, deadlines = [], []
    for kind, spec in config.period_kinds.items():
        p = config.period(f"{config.plan['year']}-{kind}")
        cutoffs.append(f"{_short(p.cutoff, pad=False)} (báo cáo {spec['label']})")
        deadlines.append(f"{_short(p.deadline.date(), pad=True)} (báo cáo {spec['label']})")
    return "; ".join(cutoffs), "trước 00 giờ ngày " + ", ".join(deadlines)


def guide_legends(config: Config, period: Period | None = None, *, offices: bool = False
                  ) -> dict[str, list[tuple[str, str]]]:
    """The legends the guide prints, by list (keys of :data:`LEGEND_TITLES`): (code or label, meaning) pairs, in
    the configuration's order.

    Communes: the NCC categories (letter, name), the statuses (label, ""), the kinds of change (label, the
    statuses it connects, from ``change_kinds``), the deprivation indicators of the standard in force on the
    period's cut-off (number, name; all of ``indicators`` when no standard covers it). Offices: the plan's tasks,
    the kinds of support, the fund sources and the communes (code, name).
    """
    ref = config.reference
    if offices:
        return {
            "tasks": [(t["code"], t["label"]) for t in config.plan.get("tasks", [])],
            "office_supports": [(str(i), x["label"]) for i, x in enumerate(ref.get("office_supports", []), 1)],
            "fund_sources": [(f"({x['number']})", x["label"]) for x in ref["fund_sources"]],
            "units": [(schema.choice_code(c), c.split(schema.CHOICE_SEPARATOR, 1)[1])
                      for c in unit_choices(config, period)],
        }
    status = {s["code"]: s["label"] for s in ref["statuses"]}

    def connects(kind: dict[str, Any]) -> str:
        if kind.get("to") == "same":
            return "phân loại giữ nguyên"
        return (" / ".join(status[x] for x in kind["from"]) + " → " + " / ".join(status[x] for x in kind["to"]))

    return {
        "ncc_categories": [(c["code"], c["label"]) for c in ref["ncc_categories"]],
        "statuses": [(s["label"], "") for s in ref["statuses"]],
        "change_kinds": [(k["label"], connects(k)) for k in ref["change_kinds"]],
        "indicators": [(str(i), label) for i, label in enumerate(_indicator_labels(config, period), 1)],
    }


def _standard(config: Config, period: Period | None) -> Any:
    """The poverty standard in force on the period's cut-off (the plan year's first cut-off without a period), or
    None when none is configured for it."""
    day = period.cutoff if period is not None else config.period(
        f"{config.plan['year']}-{next(iter(config.period_kinds))}").cutoff
    try:
        return config.standard_on(day)
    except ConfigError:
        return None


def _indicator_labels(config: Config, period: Period | None) -> list[str]:
    """The deprivation indicators' names the workbook's flag columns carry, as the standard's rule counts them
    (:data:`pipeline.schema.POVERTY_RULES`), named by ``indicators`` of ``config/reference.yaml``."""
    names = {i["code"]: i["label"] for i in config.reference["indicators"]}
    standard = _standard(config, period)
    rule = schema.POVERTY_RULES.get(standard.rule) if standard is not None else None
    keys = rule.indicators if rule is not None else tuple(names)
    return [names[k] for k in keys if k in names]


def _guide_blocks(config: Config, period: Period | None, offices: bool) -> list[tuple[str, Any]]:
    """The guide's content in order: ("title" | "heading" | "text", str) and ("legend", key)."""
    w = config.words(period.cutoff if period is not None else None)
    cutoff, deadline = _timing(config, period)
    address = f" ({config.portal['public_url']})" if config.portal.get("public_url") else ""
    grace = int(config.timeliness.get("correction_grace_days") or 0)
    which = f"báo cáo {period.label} {period.year}" if period is not None else (
        "các kỳ báo cáo " + ", ".join(spec["label"] for spec in config.period_kinds.values()))
    general = o.SHEET_GENERAL if offices else schema.SHEET_GENERAL
    out: list[tuple[str, Any]] = [
        ("title", "HƯỚNG DẪN ĐIỀN, IN VÀ GỬI MẪU BÁO CÁO"),
        ("text", f"{capitalise(config.plan['subject'])} — {which}. Mẫu dùng cho "
                 + ("các cơ quan, đơn vị" if offices else w["unit_kinds"])
                 + f"; gửi {w['office_short']} tổng hợp."),
        ("heading", "1. Các sheet của mẫu"),
    ]
    if offices:
        sheets = [
            (o.SHEET_GENERAL, "mã cơ quan (chọn trong danh sách), tên cơ quan, kỳ báo cáo, người lập biểu; "
                              "thuyết minh: kết quả đạt được, khó khăn, vướng mắc, đề xuất, kiến nghị; phần "
                              f"{schema.CONFIRMATION_TITLE.lower()} (ký, đóng dấu trên bản in)."),
            (o.SHEET_ACTIVITIES, "mỗi dòng một hoạt động, theo nhiệm vụ của Kế hoạch: số buổi, lượt người, tin bài, "
                                 "lượt phát sóng, số hộ được hỗ trợ."),
            (o.SHEET_SUPPORTS, "số hộ, số người, hộ có người có công và số tiền hỗ trợ theo từng xã và loại hỗ trợ."),
            (o.SHEET_FUNDS_DOCUMENTS, "hai bảng: số tiền huy động theo từng nguồn kinh phí của Kế hoạch; phía "
                                      "dưới, văn bản chỉ đạo, hướng dẫn đã ban hành (số, ngày, cơ quan ban hành, "
                                      "trích yếu)."),
            (o.SHEET_LOANS, "vốn vay ưu đãi theo từng xã: số hộ vay, doanh số cho vay, dư nợ."),
        ]
        rule = ("Mỗi cơ quan chỉ điền các bảng liên quan đến mình, các bảng khác để trống. Không đổi tên, không "
                "xóa sheet, cột; ghi số liệu ngay dưới dòng tiêu đề của bảng.")
    else:
        sheets = [
            (schema.SHEET_GENERAL, "mã đơn vị và kỳ báo cáo (chọn trong danh sách), tên đơn vị, người lập biểu; "
                                   f"phần {schema.CONFIRMATION_TITLE.lower()} (ký, đóng dấu trên bản in)."),
            (schema.SHEET_SUMMARY, "số hộ, số nhân khẩu nghèo, cận nghèo và có người có công; hoạt động tuyên "
                                   "truyền, kinh phí, vốn vay."),
            (schema.SHEET_ROSTER, "mỗi dòng một hộ nghèo hoặc cận nghèo (tại 01/01 hoặc tại ngày chốt) có thành "
                                  "viên là người có công hoặc thân nhân người có công."),
            (schema.SHEET_MEMBERS, "mỗi dòng một thành viên là người có công hoặc thân nhân; Mã hộ trùng với sheet "
                                   f"{schema.SHEET_ROSTER}."),
            (schema.SHEET_NARRATIVE, "kết quả đạt được, khó khăn, vướng mắc, đề xuất, kiến nghị."),
        ]
        rule = ("Không đổi tên, không xóa sheet, cột; ghi số liệu từ dòng 5; số hộ, số người, số tiền ghi số "
                "nguyên, không có số thì ghi 0.")
    out += [("text", f"• {name}: {what}") for name, what in sheets]
    out += [("text", rule), ("heading", "2. Thời điểm của số liệu")]
    if offices:
        out += [("text", "Hoạt động, hỗ trợ, kinh phí, doanh số cho vay: lũy kế (cộng dồn) từ ngày 01/01 đến ngày "
                         f"chốt số liệu. Dư nợ: tại ngày chốt số liệu. Ngày chốt số liệu: {cutoff}.")]
    else:
        out += [("text", "• Tại ngày 01/01: kết quả rà soát hộ nghèo, hộ cận nghèo cuối năm trước (danh sách tại "
                         "ngày 01/01 của năm báo cáo)."),
                ("text", f"• Tại ngày chốt số liệu: {cutoff}."),
                ("text", "• Lũy kế từ 01/01: hoạt động, kinh phí, vốn vay, hỗ trợ cộng dồn từ ngày 01/01 đến ngày "
                         "chốt số liệu (ghi ở cột Tại ngày chốt số liệu; ô Tại ngày 01/01 tô xám để trống).")]
    out.append(("heading", "3. Mã và cách ghi"))
    year = period.year if period is not None else int(config.plan["year"])
    example_unit = unit_choices(config, period)[0] if config.units else "22828"
    if offices:
        out += [("text", "Mã cơ quan, mã xã, nhiệm vụ, loại hỗ trợ, nguồn kinh phí: chọn trong danh sách thả xuống "
                         f"(ví dụ {example_unit}); kỳ báo cáo chọn theo tên "
                         f"({', '.join(period_choices(config, year))})."),
                *[("legend", k) for k in ("tasks", "office_supports", "fund_sources", "units")]]
    else:
        example = config.units[0].code if config.units else "22828"
        standard = _standard(config, period)
        dims = []
        labels = _indicator_labels(config, period)
        names = {i["code"]: i["label"] for i in config.reference["indicators"]}
        for d in config.reference.get("dimensions", []):
            numbers = [str(labels.index(names[k]) + 1) for k in d["indicators"] if names.get(k) in labels]
            if numbers:
                dims.append(f"{d['label']} ({', '.join(numbers)})")
        lines = []
        if standard is not None:
            poor = standard.poor_income_max_vnd
            lines.append(f"Chuẩn nghèo áp dụng: {standard.source}. Hộ nghèo: thu nhập bình quân không quá "
                         f"{fmt.number(poor['rural'])} đồng/người/tháng ở nông thôn, {fmt.number(poor['urban'])} "
                         f"đồng ở thành thị và thiếu hụt từ {standard.min_deprivations_poor} chỉ số trở lên; hộ cận "
                         f"nghèo: thu nhập như trên và thiếu hụt dưới {standard.min_deprivations_poor} chỉ số.")
        unchanged = next((k["label"] for k in config.reference["change_kinds"] if k["code"] == "unchanged"), "")
        decision = schema.ROSTER_FIELDS_BY_KEY["decision_number"].header
        out += [
            ("text", "• Mã đơn vị, kỳ báo cáo, phân loại, loại biến động, diện người có công, quan hệ với chủ hộ: "
                     f"chọn trong danh sách thả xuống của ô (ví dụ {example_unit}; "
                     f"{period_choices(config, year)[0]})."),
            ("text", f"• Mã hộ: mã đơn vị, dấu gạch ngang và số thứ tự của hộ, ví dụ {example}-0001; mỗi hộ một mã, "
                     "giữ nguyên mã qua các kỳ trong năm."),
            ("text", "• Cột đánh dấu (khả năng lao động, thiếu hụt, hỗ trợ): ghi x nếu có, để trống nếu không. Ngày "
                     "ghi dạng dd/mm/yyyy, ví dụ 15/03/2023."),
            ("text", f"• Diện NCC: hộ có nhiều diện thì ghi các chữ cái cách nhau bởi dấu ; (ví dụ c;tn). Sheet "
                     f"{schema.SHEET_MEMBERS}: mỗi người một diện."),
            ("text", f"• {decision} và ngày quyết định: bắt buộc khi Loại biến động khác '{unchanged}' (thoát nghèo, "
                     "tái nghèo, phát sinh, chuyển đi, chuyển đến, tách hộ …), ví dụ 15/QĐ-UBND, 01/02/2023; "
                     f"'{unchanged}' không cần quyết định."),
            *[("text", line) for line in lines],
            ("legend", "ncc_categories"), ("legend", "statuses"), ("legend", "change_kinds"),
            ("text", "Chỉ số thiếu hụt theo chiều: " + "; ".join(dims) + ".") if dims else ("text", ""),
            ("legend", "indicators"),
        ]
    out += [
        ("heading", "4. In, xác nhận và gửi báo cáo"),
        ("text", "In trên giấy A4 (mỗi sheet đã đặt sẵn khổ giấy, hướng giấy và dòng tiêu đề lặp lại"
                 + ("" if offices else "; sheet rộng được in thành nhóm cột, cột mã và tên lặp lại")
                 + f"). Lãnh đạo đơn vị ký, đóng dấu ở phần {schema.CONFIRMATION_TITLE.lower()} của sheet {general}."),
        ("text", f"Hạn gửi: {deadline} (tức hết ngày hôm trước). Gửi qua trang gửi báo cáo{address} (tài khoản: mã "
                 f"đơn vị, mật khẩu do {w['office_short']} cấp), hoặc hộp thư, thư mục nhận báo cáo của "
                 f"{w['office_short']}; tên tệp tùy ý. Sửa lại thì gửi cả tệp: báo cáo dùng bản hợp lệ gửi sau cùng"
                 + (f"; bản sửa trong {grace} ngày sau hạn của tệp đã gửi đúng hạn vẫn tính đúng hạn." if grace
                    else ".")),
        ("heading", "5. Đọc kết quả kiểm tra"),
        ("text", "Sau mỗi lần gửi, đơn vị nhận bản góp ý: bản sao tệp của đơn vị, sheet đầu \"Góp ý\" liệt kê mọi kết "
                 "quả kiểm tra (sheet, dòng, cột, sai gì, sửa thế nào); ô có vấn đề được tô màu, đỏ là lỗi (số liệu "
                 "chưa được dùng, phải sửa và gửi lại), vàng là cảnh báo (kiểm tra lại, đúng thì không cần sửa). Sửa "
                 "trong tệp gốc của đơn vị rồi gửi lại."),
    ]
    return [b for b in out if b != ("text", "")]


def guide_text(config: Config, period: Period | None = None, *, offices: bool = False) -> list[tuple[str, Any]]:
    """The guide's content as the sheet :data:`GUIDE_SHEET` prints it and ``docs/submission-format.md`` repeats
    it: ("title" | "heading" | "text", Vietnamese text) and ("legend", a key of :data:`LEGEND_TITLES`)."""
    return _guide_blocks(config, period, offices)


def _guide_sheet(wb: Any, config: Config, period: Period | None, *, offices: bool) -> Any:
    """The first sheet, :data:`GUIDE_SHEET`: the blocks of :func:`_guide_blocks`, text across columns A:D and each
    legend of :func:`guide_legends` under its heading (:data:`LEGEND_TITLES`) two entries a row (code in A and C,
    meaning in B and D, row by row in the configuration's order); printed portrait."""
    ws = wb.worksheets[0]
    ws.title = GUIDE_SHEET
    legends = guide_legends(config, period, offices=offices)
    widths = _OFFICE_GUIDE_WIDTHS if offices else _GUIDE_WIDTHS
    total = sum(widths)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    r = 1

    def line(text: str, font: Font, height_lines: int | None = None) -> None:
        nonlocal r
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
        c = ws.cell(r, 1, text)
        c.font, c.alignment = font, _WRAP
        ws.row_dimensions[r].height = 15.5 * (height_lines or _lines(text, total)) + 2
        r += 1

    for kind, value in _guide_blocks(config, period, offices):
        if kind == "title":
            line(value, _TITLE, 1)
            ws.row_dimensions[r - 1].height = 24
        elif kind == "heading":
            line(value, _BOLD, 1)
        elif kind == "text":
            line(value, Font(name=_FONT, size=11))
        else:
            line(LEGEND_TITLES[value], Font(name=_FONT, bold=True, italic=True, size=11))
            pairs = legends[value]
            for i in range(0, len(pairs), 2):
                height = 1
                for j, (code, meaning) in enumerate(pairs[i:i + 2]):
                    a = ws.cell(r, 1 + 2 * j, code)
                    b = ws.cell(r, 2 + 2 * j, meaning or None)
                    a.font, a.alignment = Font(name=_FONT, bold=True, size=11), _WRAP
                    b.font, b.alignment = Font(name=_FONT, size=11), _WRAP
                    a.number_format = "@"
                    if not meaning:  # a label alone (statuses): across its meaning cell too
                        ws.merge_cells(start_row=r, start_column=1 + 2 * j, end_row=r, end_column=2 + 2 * j)
                    height = max(height, _lines(meaning, widths[1]), _lines(code, widths[0])
                                 if meaning else 1)
                ws.row_dimensions[r].height = 15.5 * height + 1
                r += 1
    _print_setup(ws, portrait=True)
    return ws


# --- The sheets staff fill --------------------------------------------------------------------------------------

def _labelled_sheet(wb: Any, name: str, title: str, fields: Sequence[schema.Field], values: Mapping[str, Any],
                    title_period: str, widths: tuple[int, int, int],
                    narrative: Mapping[str, str] | None = None) -> Any:
    """The sheet ``name`` after the guide: a title, the period (or how to fill it), then from row 4 one field a row —
    label in A, value in B (as text), note in C; with ``narrative`` (the offices' form), after a blank row, the
    heading "THUYẾT MINH" and each free text of :data:`schema.NARRATIVE_FIELDS` beside its label (across B:C, line
    breaks kept, a blank one tall enough to write by hand); then, after a blank row, the leader's confirmation
    (:data:`pipeline.schema.CONFIRMATION_FIELDS`: a heading and its labelled rows, the signature row tall);
    returns it. Printed portrait on one page."""
    ws = wb.create_sheet(name)
    ws["A1"] = title
    ws["A1"].font = _BOLD
    ws.merge_cells("A1:C1")
    ws["A1"].alignment = _WRAP
    ws.row_dimensions[1].height = 34
    ws["A2"] = f"Kỳ báo cáo: {title_period}" if title_period else "Điền vào cột B; không sửa cột A."
    ws["A2"].font = _NORMAL

    def labelled(row: int, f: schema.Field, value: Any) -> None:
        label = ws.cell(row, 1, f.header)
        label.font, label.border, label.alignment = _BOLD, _BOX, _WRAP
        c = ws.cell(row, 2, _cell_value(f, value))
        c.font, c.number_format, c.border, c.alignment = _NORMAL, "@", _BOX, _WRAP
        note = ws.cell(row, 3, f.note or None)
        note.font, note.alignment = _NOTE, _WRAP
        ws.row_dimensions[row].height = 22

    for i, f in enumerate(fields, start=4):
        labelled(i, f, values.get(f.key))
    first = 4 + len(fields) + 1
    if narrative is not None:
        ws.cell(first, 1, "THUYẾT MINH").font = _BOLD
        ws.cell(first, 2, "Ghi vào cột B; xuống dòng trong ô: Alt+Enter.").font = _NOTE
        for i, f in enumerate(schema.NARRATIVE_FIELDS, start=first + 1):
            labelled(i, f, None)
            ws.merge_cells(start_row=i, start_column=2, end_row=i, end_column=3)
            text = ws.cell(i, 2, narrative.get(f.key) or None)
            text.number_format = "General"  # a text-formatted cell shows "####" past 255 characters in Excel
            ws.cell(i, 3).border = _BOX
            ws.row_dimensions[i].height = max(_NARRATIVE_HEIGHT, 15.5 * _lines(narrative.get(f.key) or "",
                                                                               sum(widths[1:])) + 4)
        first += 1 + len(schema.NARRATIVE_FIELDS) + 1
    ws.cell(first, 1, schema.CONFIRMATION_TITLE).font = _BOLD
    for i, f in enumerate(schema.CONFIRMATION_FIELDS, start=first + 1):
        labelled(i, f, None)
        if f.key == "leader_signature":
            ws.row_dimensions[i].height = 80
    for col, width in zip("ABC", widths, strict=True):
        ws.column_dimensions[col].width = width
    _rule(ws, f"B{first + len(schema.CONFIRMATION_FIELDS)}",
          _text_date(f"B{first + len(schema.CONFIRMATION_FIELDS)}", "Ngày ký xác nhận"))
    _print_setup(ws)
    return ws


_NARRATIVE_HEIGHT = 105  # points: room to write a blank free text by hand on the printed general sheet


def _narrative_sheet(wb: Any, narrative: Mapping[str, str]) -> None:
    """The sheet "Thuyết minh": each free text of :data:`schema.NARRATIVE_FIELDS` beside its label, line breaks
    kept; a blank one keeps room to write by hand on the printed form."""
    ws = wb.create_sheet(schema.SHEET_NARRATIVE)
    ws["A1"] = "THUYẾT MINH"
    ws["A1"].font = _BOLD
    for i, f in enumerate(schema.NARRATIVE_FIELDS, start=3):
        label = ws.cell(i, 1, f.header)
        label.font, label.border, label.alignment = _BOLD, _BOX, _WRAP
        text = narrative.get(f.key)
        c = ws.cell(i, 2, text)
        c.alignment, c.font, c.border = _WRAP, _NORMAL, _BOX
        ws.row_dimensions[i].height = max(150, 16 * _lines(text or "", 90))
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 86
    _print_setup(ws)


def _header(ws: Any, row: int, fields: Sequence[schema.Field]) -> None:
    """The header row of a table: bold, filled, boxed, wrapped; flag columns' headers upright (narrow columns)."""
    for j, f in enumerate(fields, start=1):
        c = ws.cell(row, j, f.header)
        c.font, c.fill, c.border = _HEAD, _HEAD_FILL, _BOX
        c.alignment = _UPRIGHT if f.kind == "flag" else _CENTER


def _note(ws: Any, text: str, last_col: int) -> None:
    """Row 2 of a table sheet: what one row is, merged across the table and wrapped."""
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=min(last_col, 12))
    ws["A2"] = text
    ws["A2"].font, ws["A2"].alignment = Font(name=_FONT, italic=True, size=11), _WRAP
    width = sum(ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in range(1, min(last_col, 12) + 1))
    ws.row_dimensions[2].height = 15.5 * _lines(text, width) + 2


_ROSTER_WIDTHS = {"no": 5, "household_code": 13, "head_name": 22, "village": 13, "ethnicity": 10,
                  "members_count": 9, "ncc_members_count": 10, "ncc_categories": 12, "status_baseline": 13,
                  "status_current": 13, "change_kind": 17, "decision_number": 14, "decision_date": 12,
                  "income_vnd_per_person_month": 14, "poverty_causes": 18, "assigned_official": 15,
                  "support_loan_vnd": 13, "support_housing_vnd": 13, "sponsor": 16, "sponsor_amount_vnd": 13}
_ROSTER_KEYS = ("no", "household_code", "head_name")  # repeated at the left of every printed page
_ROSTER_SPLIT = "d01"  # the second printed column group starts at the first deprivation flag


def write_submission(
    path: Path,
    *,
    general: Mapping[str, Any] | None = None,
    summary: Mapping[str, tuple[int | None, int | None]] | None = None,
    roster: Sequence[Mapping[str, Any]] = (),
    narrative: Mapping[str, str] | None = None,
    members: Sequence[Mapping[str, Any]] = (),
    title_period: str = "",
    config: Config | None = None,
    rows: int = 300,
    period: str | None = None,
) -> Path:
    """Write a submission workbook; with no data it is the blank template.

    Sheets: :data:`GUIDE_SHEET` first (:func:`_guide_sheet`), then those of :data:`schema.SHEETS` in order, and the
    hidden :data:`CODES_SHEET` when a list is too long for a cell. The unit code, the period and the members' NCC
    categories are written as their drop-down values ("22828 – Xã Ma Nới", "6 tháng đầu năm 2023", "a – …"), which
    the reader maps back to codes; the roster's categories as given ("c;tn").

    Args:
        path: the .xlsx to write (overwritten: idempotent for the same arguments).
        general: values by key of :data:`schema.GENERAL_FIELDS` (dates as ``datetime.date``).
        summary: ``{indicator key: (value at 01/01, value at cut-off or cumulative)}``; households, persons,
            sessions in whole numbers, money in đồng.
        roster: one mapping per household, keys of :data:`schema.ROSTER_FIELDS`; flags as bool.
        narrative: free text by key of :data:`schema.NARRATIVE_FIELDS`; line breaks are kept.
        members: one mapping per NCC member, keys of :data:`schema.MEMBER_FIELDS`.
        title_period: text shown in the general sheet's title, e.g. "6 tháng đầu năm 2023" (default: the period's
            name when ``period`` is given).
        config: gives unit codes and reference lists for the drop-down lists, the guide and the input rules
            (default: the project's configuration).
        rows: how many data rows of the roster and member sheets get the input rules.
        period: a period code ("2023-6T"): the guide gives its own cut-off and deadline, and the lists its year's
            periods and the units that exist on its cut-off; None (the blank template): every kind's cut-off and
            deadline, the plan year's periods (``plan.year``) and every configured unit.

    Returns:
        ``path``.
    """
    general = general or {}
    summary = summary or {}
    narrative = narrative or {}
    config = config or load_config()
    the_period = config.period(period) if period else None
    if the_period is not None and not title_period:
        title_period = schema.period_name(the_period.label, the_period.year)
    year = the_period.year if the_period is not None else int(config.plan["year"])
    units, periods = unit_choices(config, the_period), period_choices(config, year)
    wb = _new_workbook()
    _guide_sheet(wb, config, the_period, offices=False)
    shown = {**general, "unit_code": _shown(units, general.get("unit_code")),
             "period": _period_shown(config, general["period"]) if general.get("period") else None}
    ws = _labelled_sheet(wb, schema.SHEET_GENERAL, "BÁO CÁO KẾT QUẢ GIẢM NGHÈO HỘ CÓ NGƯỜI CÓ CÔNG VỚI CÁCH MẠNG",
                         schema.GENERAL_FIELDS, shown, title_period, (30, 40, 30))
    rows_of = {f.key: i for i, f in enumerate(schema.GENERAL_FIELDS, start=4)}
    _rule(ws, f"B{rows_of['unit_code']}", _choices(wb, units, "Mã đơn vị",
                                                   "Chọn đơn vị trong danh sách: mã hành chính – tên đơn vị."))
    _rule(ws, f"B{rows_of['period']}", _choices(wb, periods, "Kỳ báo cáo", "Chọn kỳ báo cáo theo tên."))
    _rule(ws, f"B{rows_of['phone']}", DataValidation(
        type="textLength", operator="between", formula1="10", formula2="11", showErrorMessage=True,
        errorTitle="Số điện thoại", error="Số điện thoại có 10 hoặc 11 chữ số."))
    _rule(ws, f"B{rows_of['prepared_on']}", _text_date(f"B{rows_of['prepared_on']}", "Ngày lập"))

    ws = wb.create_sheet(schema.SHEET_SUMMARY)
    ws["A1"] = "SỐ LIỆU TỔNG HỢP CỦA ĐƠN VỊ"
    ws["A1"].font = _BOLD
    for col, width in zip("ABCDE", (6, 52, 11, 15, 20), strict=True):
        ws.column_dimensions[col].width = width
    _note(ws, "Số hộ, số nhân khẩu: tính tại ngày 01/01 và tại ngày chốt số liệu. "
              "Hoạt động, kinh phí: lũy kế từ 01/01 đến ngày chốt số liệu (ghi ở cột E).", 5)
    _header(ws, schema.SUMMARY_HEADER_ROW, schema.SUMMARY_COLUMNS)
    ws.row_dimensions[schema.SUMMARY_HEADER_ROW].height = 48
    for i, ind in enumerate(schema.SUMMARY_INDICATORS, start=1):
        r = schema.SUMMARY_HEADER_ROW + i
        baseline, current = summary.get(ind.key, (None, None))
        row = (i, ind.label, ind.unit, baseline if ind.timing == "both" else None, current)
        for j, v in enumerate(row, start=1):
            c = ws.cell(r, j, v)
            c.font, c.border, c.alignment = _NORMAL, _BOX, _WRAP
            if j >= 4:
                c.number_format = "#,##0"
        if ind.timing == "cumulative":
            ws.cell(r, 4).fill = _GREY
    last = schema.SUMMARY_HEADER_ROW + len(schema.SUMMARY_INDICATORS)
    _rule(ws, f"D{schema.SUMMARY_HEADER_ROW + 1}:E{last}", _whole(0, 10**13, "Số liệu",
                                                              "Ghi số nguyên không âm (số hộ, số người hoặc số đồng)."))
    ws.freeze_panes = ws.cell(schema.SUMMARY_HEADER_ROW + 1, 3)
    _print_setup(ws, title_rows=f"{schema.SUMMARY_HEADER_ROW}:{schema.SUMMARY_HEADER_ROW}")

    ws = wb.create_sheet(schema.SHEET_ROSTER)
    ws["A1"] = "DANH SÁCH HỘ NGHÈO, HỘ CẬN NGHÈO CÓ THÀNH VIÊN LÀ NGƯỜI CÓ CÔNG VỚI CÁCH MẠNG"
    ws["A1"].font = _BOLD
    for j, f in enumerate(schema.ROSTER_FIELDS, start=1):
        ws.column_dimensions[get_column_letter(j)].width = 5 if f.kind == "flag" else _ROSTER_WIDTHS.get(f.key, 12)
    _note(ws, "Mỗi dòng một hộ nghèo hoặc cận nghèo (tại 01/01 hoặc hiện tại) có thành viên là người có công hoặc thân "
              "nhân. Cột đánh dấu: ghi x nếu có. Mã, phân loại, loại biến động, diện NCC: xem sheet Hướng dẫn.",
          len(schema.ROSTER_FIELDS))
    _header(ws, schema.ROSTER_HEADER_ROW, schema.ROSTER_FIELDS)
    ws.row_dimensions[schema.ROSTER_HEADER_ROW].height = 150
    for i, hh in enumerate(roster, start=1):
        r = schema.ROSTER_HEADER_ROW + i
        for j, f in enumerate(schema.ROSTER_FIELDS, start=1):
            v = i if f.key == "no" else _cell_value(f, hh.get(f.key))
            c = ws.cell(r, j, v)
            c.font, c.border = _NORMAL, _BOX
            if f.kind == "code":
                c.number_format = "@"
            elif f.kind in ("vnd", "count"):
                c.number_format = "#,##0"
    ws.freeze_panes = ws.cell(schema.ROSTER_HEADER_ROW + 1, 3)
    keys = [j for j, f in enumerate(schema.ROSTER_FIELDS, start=1) if f.key in _ROSTER_KEYS]
    split = next(j for j, f in enumerate(schema.ROSTER_FIELDS, start=1) if f.key == _ROSTER_SPLIT)
    letter = get_column_letter
    _print_setup(ws, groups=(f"{letter(max(keys) + 1)}:{letter(split - 1)}",
                             f"{letter(split)}:{letter(len(schema.ROSTER_FIELDS))}"),
                 title_rows=f"{schema.ROSTER_HEADER_ROW}:{schema.ROSTER_HEADER_ROW}",
                 title_cols=f"{letter(min(keys))}:{letter(max(keys))}")
    ref = config.reference
    statuses = ",".join(x["label"] for x in ref["statuses"])
    changes = ",".join(x["label"] for x in ref["change_kinds"])
    categories = category_choices(config)
    letters = ", ".join(c["code"] for c in ref["ncc_categories"])
    first, end = schema.ROSTER_HEADER_ROW + 1, schema.ROSTER_HEADER_ROW + rows
    for j, f in enumerate(schema.ROSTER_FIELDS, start=1):
        area = f"{letter(j)}{first}:{letter(j)}{end}"
        rule = {
            "status": lambda f=f: _list(statuses, f.header, "Chọn phân loại của hộ."),
            "change": lambda f=f: _list(changes, f.header, "Chọn loại biến động; khác 'Không thay đổi' thì ghi số, "
                                                          "ngày quyết định."),
            "flag": lambda f=f: _list("x", f.header, "Ghi x nếu có, để trống nếu không."),
            "count": lambda f=f: _whole(1, 30, f.header, "Số người, từ 1 đến 30."),
            "vnd": lambda f=f: _whole(0, 10**11, f.header, "Số đồng, số nguyên không âm."),
            "date": lambda f=f: _date(f.header),
            "categories": lambda f=f: _choices(
                wb, categories, "Diện NCC", f"Chọn một diện, hoặc gõ các chữ cái cách nhau bởi ; nếu hộ có nhiều "
                                            f"diện (ví dụ c;tn). Chữ cái: {letters} (tn = thân nhân); tên từng diện "
                                            "xem sheet Hướng dẫn.", style="information"),
        }.get(f.kind)
        if f.key == "household_code":
            rule = lambda f=f, j=j: _household_code(f"{letter(j)}{first}")  # noqa: E731 - one more kind of rule
        if rule is not None:
            _rule(ws, area, rule())

    ws = wb.create_sheet(schema.SHEET_MEMBERS)
    ws["A1"] = "DANH SÁCH THÀNH VIÊN LÀ NGƯỜI CÓ CÔNG HOẶC THÂN NHÂN NGƯỜI CÓ CÔNG"
    ws["A1"].font = _BOLD
    for col, width in zip("ABCD", (6, 16, 18, 62), strict=True):
        ws.column_dimensions[col].width = width
    _note(ws, "Mỗi dòng một người; Mã hộ trùng với sheet Danh sách hộ NCC. Số dòng của mỗi hộ bằng cột "
              "'Số thành viên là NCC hoặc thân nhân'.", 4)
    _header(ws, schema.MEMBERS_HEADER_ROW, schema.MEMBER_FIELDS)
    ws.row_dimensions[schema.MEMBERS_HEADER_ROW].height = 34
    for i, m in enumerate(members, start=1):
        r = schema.MEMBERS_HEADER_ROW + i
        for j, f in enumerate(schema.MEMBER_FIELDS, start=1):
            value = i if f.key == "no" else m.get(f.key)
            if f.key == "category":
                value = _shown(categories, value)
            c = ws.cell(r, j, value)
            c.font, c.border = _NORMAL, _BOX
            if f.kind == "code":
                c.number_format = "@"
    first, end = schema.MEMBERS_HEADER_ROW + 1, schema.MEMBERS_HEADER_ROW + rows
    _rule(ws, f"B{first}:B{end}", _household_code(f"B{first}"))
    _rule(ws, f"C{first}:C{end}", _list(",".join(schema.RELATIONS), "Quan hệ với chủ hộ", "Chọn quan hệ."))
    _rule(ws, f"D{first}:D{end}", _choices(wb, categories, "Diện NCC",
                                           "Chọn diện của người này theo Điều 3 Pháp lệnh 02/2020/UBTVQH14; "
                                           "tn = thân nhân."))
    ws.freeze_panes = ws.cell(schema.MEMBERS_HEADER_ROW + 1, 1)
    _print_setup(ws, title_rows=f"{schema.MEMBERS_HEADER_ROW}:{schema.MEMBERS_HEADER_ROW}")

    _narrative_sheet(wb, narrative)
    return _save(wb, path)


def _office_choices(config: Config, period: Period | None = None) -> dict[str, list[str]]:
    """The shown values of the offices' workbook's listed columns: the plan's tasks as "IV.1 – label", the kinds
    of support and the fund sources by label, the communes as "22828 – Xã Ma Nới"."""
    ref = config.reference
    return {
        "task": [task_text(t) for t in config.plan.get("tasks", [])],
        "support": [x["label"] for x in ref.get("office_supports", [])],
        "fund": [x["label"] for x in ref["fund_sources"]],
        "commune": unit_choices(config, period),
    }


_OFFICE_WIDTHS = {"text": 34, "task": 34, "support": 30, "fund": 40, "code": 20, "count": 12, "vnd": 16,
                  "date": 13}
_OFFICE_NOTES = {o.SHEET_FUNDS_DOCUMENTS: "Hai bảng: kinh phí theo nguồn (mỗi nguồn một dòng, ghi số tiền) và, phía "
                                          "dưới, văn bản đã ban hành (mỗi văn bản một dòng, thêm dòng nếu cần). Cơ "
                                          "quan không có nội dung nào thì để trống bảng đó."}


def write_office_workbook(
    path: Path,
    *,
    general: Mapping[str, Any] | None = None,
    tables: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    narrative: Mapping[str, str] | None = None,
    title_period: str = "",
    config: Config | None = None,
    rows: int = 100,
    period: str | None = None,
) -> Path:
    """Write the offices' workbook (:mod:`pipeline.office_schema`); with no data it is the blank form.

    Sheets: :data:`GUIDE_SHEET` first, then :data:`office_schema.SHEETS`, then the hidden :data:`CODES_SHEET`. The
    office code and the period are written as their drop-down values ("VHTT – …", "6 tháng đầu năm 2023"); a
    commune code in a table as given (the reader takes both forms).

    Args:
        path: the .xlsx to write (overwritten: idempotent for the same arguments).
        general: values by key of :data:`office_schema.GENERAL_FIELDS` (dates as ``datetime.date``).
        tables: rows by table key of :data:`office_schema.TABLES`, each a mapping of field keys: counts in
            households, persons, sessions; amounts in đồng; ``task`` a plan task's code ("IV.1"), ``support`` an
            ``office_supports`` code, ``source`` a ``fund_sources`` code (written as their labels).
        narrative: free text by key of :data:`schema.NARRATIVE_FIELDS`.
        title_period: text shown in the general sheet's title, e.g. "6 tháng đầu năm 2023".
        config: the offices, communes, plan tasks and reference lists (default: the project's configuration).
        rows: how many data rows of each table get the input rules.
        period: a period code, as for :func:`write_submission`.

    Returns:
        ``path``.
    """
    general, tables, narrative = general or {}, tables or {}, narrative or {}
    config = config or load_config()
    the_period = config.period(period) if period else None
    if the_period is not None and not title_period:
        title_period = schema.period_name(the_period.label, the_period.year)
    year = the_period.year if the_period is not None else int(config.plan["year"])
    choices = _office_choices(config, the_period)
    shown = {
        "task": {t["code"]: task_text(t) for t in config.plan.get("tasks", [])},
        "support": {x["code"]: x["label"] for x in config.reference.get("office_supports", [])},
        "fund": {x["code"]: x["label"] for x in config.reference["fund_sources"]},
    }
    wb = _new_workbook()
    _guide_sheet(wb, config, the_period, offices=True)
    offices = office_choices(config, the_period)
    values = {**general, "office_code": _shown(offices, general.get("office_code")),
              "period": _period_shown(config, general["period"]) if general.get("period") else None}
    ws = _labelled_sheet(wb, o.SHEET_GENERAL,
                         "BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH GIẢM NGHÈO HỘ CÓ NGƯỜI CÓ CÔNG CỦA CƠ QUAN, ĐƠN VỊ",
                         o.GENERAL_FIELDS, values, title_period, (26, 52, 28), narrative=narrative)
    rows_of = {f.key: i for i, f in enumerate(o.GENERAL_FIELDS, start=4)}
    if offices:
        _rule(ws, f"B{rows_of['office_code']}", _choices(wb, offices, "Mã cơ quan",
                                                         "Chọn cơ quan, đơn vị trong danh sách: mã – tên."))
    _rule(ws, f"B{rows_of['period']}", _choices(wb, period_choices(config, year), "Kỳ báo cáo",
                                                "Chọn kỳ báo cáo theo tên."))
    _rule(ws, f"B{rows_of['prepared_on']}", _text_date(f"B{rows_of['prepared_on']}", "Ngày lập"))
    titles = {
        "activities": "HOẠT ĐỘNG THEO NHIỆM VỤ CỦA KẾ HOẠCH (lũy kế từ 01/01 đến ngày chốt số liệu)",
        "supports": "HỖ TRỢ THEO XÃ (lũy kế từ 01/01 đến ngày chốt số liệu)",
        "funds": "KINH PHÍ HUY ĐỘNG THEO NGUỒN (lũy kế từ 01/01 đến ngày chốt số liệu)",
        "documents": "VĂN BẢN CHỈ ĐẠO, HƯỚNG DẪN ĐÃ BAN HÀNH",
        "loans": "VỐN VAY ƯU ĐÃI THEO XÃ (doanh số lũy kế từ 01/01, dư nợ tại ngày chốt số liệu)",
    }
    stacked = {sheet: [k for k, t in o.TABLES.items() if t[0] == sheet] for sheet, _, _ in o.TABLES.values()}
    fund_rows = max(len(config.reference["fund_sources"]), len(tables.get("funds", ())))
    for key, (sheet, fields, _first) in o.TABLES.items():
        together = stacked[sheet]
        if key == together[0]:  # a sheet's first table: title on row 1, what a row is on row 2, headers on row 4
            ws = wb.create_sheet(sheet)
            title_row, header_row = 1, o.HEADER_ROW
            _note(ws, _OFFICE_NOTES.get(sheet, "Mỗi dòng một nội dung; cơ quan không có nội dung này để trống sheet."),
                  max(len(o.TABLES[k][1]) for k in together))
        else:  # the next table of a shared sheet: a blank row, its title, its headers
            ws = wb[sheet]
            title_row = ws.max_row + 2
            header_row = title_row + 1
        ws.cell(title_row, 1, titles[key]).font = _BOLD
        for j, f in enumerate(fields, start=1):
            dim = ws.column_dimensions[get_column_letter(j)]  # a shared sheet: the widest its tables need
            dim.width = max(6 if f.key == "no" else _OFFICE_WIDTHS.get(f.kind, 16),
                            dim.width if key != together[0] else 0)
        _header(ws, header_row, fields)
        ws.row_dimensions[header_row].height = 48 if len(together) == 1 else 34
        given = list(tables.get(key, ()))
        for i in range(1, max(len(given), fund_rows if key == "funds" else 0) + 1):
            r = header_row + i
            row = given[i - 1] if i <= len(given) else {}
            for j, f in enumerate(fields, start=1):
                value = row.get(f.key)
                if f.kind in shown and value is not None:
                    value = shown[f.kind].get(value, value)
                c = ws.cell(r, j, i if f.key == "no" else _cell_value(f, value))
                c.font, c.border = _NORMAL, _BOX
                if f.kind == "code":
                    c.number_format = "@"
                elif f.kind in ("vnd", "count"):
                    c.number_format = "#,##0"
        last = header_row + (fund_rows if key == "funds" and len(together) > 1 else rows)
        first, end = header_row + 1, max(last, header_row + len(given))
        for j, f in enumerate(fields, start=1):
            area = f"{get_column_letter(j)}{first}:{get_column_letter(j)}{end}"
            listed = {"task": "task", "support": "support", "fund": "fund"}.get(f.kind) or (
                "commune" if f.key == "commune_code" else None)
            if listed and choices[listed]:
                _rule(ws, area, _choices(wb, choices[listed], f.header, "Chọn trong danh sách."))
            elif f.kind == "count":
                _rule(ws, area, _whole(0, 10**7, f.header, f"Số nguyên không âm ({f.unit})."))
            elif f.kind == "vnd":
                _rule(ws, area, _whole(0, 10**13, f.header, "Số đồng, số nguyên không âm."))
            elif f.kind == "date":
                _rule(ws, area, _date(f.header))
        if len(together) == 1:  # a shared sheet scrolls and prints whole: no frozen or repeated header row
            ws.freeze_panes = ws.cell(o.HEADER_ROW + 1, 1)
            _print_setup(ws, title_rows=f"{o.HEADER_ROW}:{o.HEADER_ROW}")
        elif key == together[-1]:
            _print_setup(ws)
    return _save(wb, path)
