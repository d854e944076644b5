"""Write submission workbooks in the layout of :mod:`pipeline.schema` (blank template or filled in).

Used to build ``templates/mau_bao_cao_don_vi.xlsx`` and by the sample generator. Writes only; reading is
:mod:`pipeline.read.reader`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pipeline import office_schema as o
from pipeline import schema
from pipeline.config import Config, load_config
from pipeline.files import atomic_path
from pipeline.office_schema import task_text

_BOLD = Font(name="Times New Roman", bold=True, size=12)
_NORMAL = Font(name="Times New Roman", size=12)
_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(wrap_text=True, horizontal="center", vertical="center")
CODES_SHEET = "Danh mục"  # hidden sheet of the lists too long for a cell (a province's codes, the plan's tasks)


def _cell_value(field: schema.Field, value: Any) -> Any:
    if value is None:
        return None
    if field.kind == "flag":
        return "x" if value else None
    if field.kind == "date" and isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return value


def _list(values: str, title: str, prompt: str) -> DataValidation:
    """A drop-down list (values separated by commas; Excel limits the list to 255 characters)."""
    if len(values) > 255:
        raise ValueError(f"Drop-down list for {title} is longer than Excel allows")
    return DataValidation(type="list", formula1=f'"{values}"', allow_blank=True, showErrorMessage=True,
                          errorTitle=title, error="Chọn một giá trị trong danh sách.", showInputMessage=True,
                          promptTitle=title[:32], prompt=prompt[:255])


def _choices(wb: Any, values: Sequence[str], title: str, prompt: str) -> DataValidation:
    """A drop-down list of ``values``: in the cell when Excel takes it (255 characters), else from a column of
    the hidden sheet :data:`CODES_SHEET` (a province's 65 codes, the plan's tasks by name)."""
    if len(",".join(values)) <= 255 and not any("," in v or '"' in v for v in values):
        return _list(",".join(values), title, prompt)
    listed = wb[CODES_SHEET] if CODES_SHEET in wb.sheetnames else wb.create_sheet(CODES_SHEET)
    listed.sheet_state = "hidden"
    col = listed.max_column + 1 if listed.max_row > 1 or listed["A1"].value is not None else 1
    for i, value in enumerate(values, start=1):
        listed.cell(i, col, value).number_format = "@"
    rule = _list("x", title, prompt)
    letter = get_column_letter(col)
    rule.formula1 = f"'{CODES_SHEET}'!${letter}$1:${letter}${len(values)}"
    return rule


def _whole(low: int, high: int, title: str, prompt: str) -> DataValidation:
    """A whole-number range rule."""
    return DataValidation(type="whole", operator="between", formula1=str(low), formula2=str(high),
                          allow_blank=True, showErrorMessage=True, errorTitle=title[:32],
                          error=f"Ghi số nguyên từ {low} đến {high}.", showInputMessage=True,
                          promptTitle=title[:32], prompt=prompt[:255])


def _rule(ws: Any, area: str, rule: DataValidation) -> None:
    ws.add_data_validation(rule)
    rule.add(area)


def _save(wb: Any, path: Path) -> Path:
    """Save ``wb`` at ``path`` atomically (0644, as a form), the hidden lists (:data:`CODES_SHEET`) moved after
    the sheets staff fill; returns ``path``."""
    if CODES_SHEET in wb.sheetnames:
        wb.move_sheet(CODES_SHEET, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(CODES_SHEET))
    with atomic_path(Path(path)) as tmp:
        wb.save(tmp)
    return path


def _labelled_sheet(wb: Any, name: str, title: str, fields: Sequence[schema.Field], values: Mapping[str, Any],
                    title_period: str, widths: tuple[int, int, int]) -> Any:
    """The workbook's first sheet as ``name``: a title, the period (or how to fill it), then from row 4 one field a
    row — label in A, value in B (as text), note in C; returns it."""
    ws = wb.worksheets[0]
    ws.title = name
    ws["A1"] = title
    ws["A1"].font = _BOLD
    ws["A2"] = f"Kỳ báo cáo: {title_period}" if title_period else "Điền vào cột B; không sửa cột A."
    for i, f in enumerate(fields, start=4):
        ws.cell(i, 1, f.header).font = _BOLD
        c = ws.cell(i, 2, _cell_value(f, values.get(f.key)))
        c.font, c.number_format = _NORMAL, "@"
        ws.cell(i, 3, f.note).font = Font(name="Times New Roman", italic=True, size=10)
    for col, width in zip("ABC", widths, strict=True):
        ws.column_dimensions[col].width = width
    return ws


def _narrative_sheet(wb: Any, narrative: Mapping[str, str]) -> None:
    """The sheet "Thuyết minh": each free text of :data:`schema.NARRATIVE_FIELDS` beside its label, line breaks
    kept."""
    ws = wb.create_sheet(schema.SHEET_NARRATIVE)
    ws["A1"] = "THUYẾT MINH"
    ws["A1"].font = _BOLD
    for i, f in enumerate(schema.NARRATIVE_FIELDS, start=3):
        ws.cell(i, 1, f.header).font = _BOLD
        c = ws.cell(i, 2, narrative.get(f.key))
        c.alignment, c.font = _WRAP, _NORMAL
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 100


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
) -> Path:
    """Write a submission workbook; with no data it is the blank template.

    Args:
        path: the .xlsx to write (overwritten: idempotent for the same arguments).
        general: values by key of :data:`schema.GENERAL_FIELDS` (dates as ``datetime.date``).
        summary: ``{indicator key: (value at 01/01, value at cut-off or cumulative)}``; households, persons,
            sessions in whole numbers, money in đồng.
        roster: one mapping per household, keys of :data:`schema.ROSTER_FIELDS`; flags as bool.
        narrative: free text by key of :data:`schema.NARRATIVE_FIELDS`; line breaks are kept.
        members: one mapping per NCC member, keys of :data:`schema.MEMBER_FIELDS`.
        title_period: text shown in each sheet's title, e.g. "6 tháng đầu năm 2023".
        config: gives unit codes and reference lists for the drop-down lists and input rules (default: the
            project's configuration).
        rows: how many data rows of the roster and member sheets get the input rules.

    Returns:
        ``path``.
    """
    general = general or {}
    summary = summary or {}
    narrative = narrative or {}
    config = config or load_config()
    wb = Workbook()
    ws = _labelled_sheet(wb, schema.SHEET_GENERAL, "BÁO CÁO KẾT QUẢ GIẢM NGHÈO HỘ CÓ NGƯỜI CÓ CÔNG VỚI CÁCH MẠNG",
                         schema.GENERAL_FIELDS, general, title_period, (34, 40, 34))
    rows_of = {f.key: i for i, f in enumerate(schema.GENERAL_FIELDS, start=4)}
    codes = list(dict.fromkeys(u.code for u in config.units))
    _rule(ws, f"B{rows_of['unit_code']}", _choices(wb, codes, "Mã đơn vị", "Chọn mã hành chính 5 chữ số của đơn vị."))
    _rule(ws, f"B{rows_of['period']}", DataValidation(
        type="textLength", operator="equal", formula1="7", showErrorMessage=True, errorTitle="Kỳ báo cáo",
        error="Ghi dạng NNNN-6T, NNNN-9T hoặc NNNN-CN, ví dụ 2023-6T.", showInputMessage=True,
        promptTitle="Kỳ báo cáo", prompt="Ví dụ 2023-6T (6 tháng), 2023-9T (9 tháng), 2023-CN (cả năm)."))
    _rule(ws, f"B{rows_of['phone']}", DataValidation(
        type="textLength", operator="between", formula1="10", formula2="11", showErrorMessage=True,
        errorTitle="Số điện thoại", error="Số điện thoại có 10 hoặc 11 chữ số."))

    ws = wb.create_sheet(schema.SHEET_SUMMARY)
    ws["A1"] = "SỐ LIỆU TỔNG HỢP CỦA ĐƠN VỊ"
    ws["A1"].font = _BOLD
    ws["A2"] = (
        "Số hộ, số nhân khẩu: tính tại ngày 01/01 và tại ngày chốt số liệu. "
        "Hoạt động, kinh phí: lũy kế từ 01/01 đến ngày chốt số liệu (ghi ở cột E)."
    )
    for j, f in enumerate(schema.SUMMARY_COLUMNS, start=1):
        c = ws.cell(schema.SUMMARY_HEADER_ROW, j, f.header)
        c.font, c.fill, c.border, c.alignment = _BOLD, _HEAD_FILL, _BOX, _CENTER
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
            ws.cell(r, 4).fill = PatternFill("solid", fgColor="D9D9D9")
    for col, width in zip("ABCDE", (6, 58, 12, 18, 24), strict=True):
        ws.column_dimensions[col].width = width
    last = schema.SUMMARY_HEADER_ROW + len(schema.SUMMARY_INDICATORS)
    _rule(ws, f"D{schema.SUMMARY_HEADER_ROW + 1}:E{last}", _whole(0, 10**13, "Số liệu",
                                                              "Ghi số nguyên không âm (số hộ, số người hoặc số đồng)."))

    ws = wb.create_sheet(schema.SHEET_ROSTER)
    ws["A1"] = "DANH SÁCH HỘ NGHÈO, HỘ CẬN NGHÈO CÓ THÀNH VIÊN LÀ NGƯỜI CÓ CÔNG VỚI CÁCH MẠNG"
    ws["A1"].font = _BOLD
    ws["A2"] = (
        "Mỗi dòng một hộ nghèo hoặc cận nghèo (tại 01/01 hoặc hiện tại) có thành viên là người có công hoặc thân "
        "nhân. Cột cờ: ghi x nếu có. Phân loại: Nghèo / Cận nghèo / Mức sống trung bình / Không nghèo."
    )
    for j, f in enumerate(schema.ROSTER_FIELDS, start=1):
        c = ws.cell(schema.ROSTER_HEADER_ROW, j, f.header)
        c.font, c.fill, c.border, c.alignment = _BOLD, _HEAD_FILL, _BOX, _CENTER
        ws.column_dimensions[get_column_letter(j)].width = 14 if f.kind != "flag" else 9
    ws.row_dimensions[schema.ROSTER_HEADER_ROW].height = 75
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
    ref = config.reference
    statuses = ",".join(x["label"] for x in ref["statuses"])
    changes = ",".join(x["label"] for x in ref["change_kinds"])
    first, end = schema.ROSTER_HEADER_ROW + 1, schema.ROSTER_HEADER_ROW + rows
    for j, f in enumerate(schema.ROSTER_FIELDS, start=1):
        area = f"{get_column_letter(j)}{first}:{get_column_letter(j)}{end}"
        rule = {
            "status": lambda f=f: _list(statuses, f.header, "Chọn phân loại của hộ."),
            "change": lambda f=f: _list(changes, f.header, "Chọn loại biến động; khác 'Không thay đổi' thì ghi số, "
                                                          "ngày quyết định."),
            "flag": lambda f=f: _list("x", f.header, "Ghi x nếu có, để trống nếu không."),
            "count": lambda f=f: _whole(1, 30, f.header, "Số người, từ 1 đến 30."),
            "vnd": lambda f=f: _whole(0, 10**11, f.header, "Số đồng, số nguyên không âm."),
            "date": lambda f=f: DataValidation(
                type="date", operator="between", formula1="DATE(2000,1,1)", formula2="DATE(2100,12,31)",
                showErrorMessage=True, errorTitle=f.header, error="Ghi ngày dạng dd/mm/yyyy.",
                allow_blank=True),
        }.get(f.kind)
        if rule is not None:
            _rule(ws, area, rule())

    ws = wb.create_sheet(schema.SHEET_MEMBERS)
    ws["A1"] = "DANH SÁCH THÀNH VIÊN LÀ NGƯỜI CÓ CÔNG HOẶC THÂN NHÂN NGƯỜI CÓ CÔNG"
    ws["A1"].font = _BOLD
    ws["A2"] = ("Mỗi dòng một người; Mã hộ trùng với sheet Danh sách hộ NCC. Số dòng của mỗi hộ bằng cột "
                "'Số thành viên là NCC hoặc thân nhân'.")
    for j, f in enumerate(schema.MEMBER_FIELDS, start=1):
        c = ws.cell(schema.MEMBERS_HEADER_ROW, j, f.header)
        c.font, c.fill, c.border, c.alignment = _BOLD, _HEAD_FILL, _BOX, _CENTER
    for i, m in enumerate(members, start=1):
        r = schema.MEMBERS_HEADER_ROW + i
        for j, f in enumerate(schema.MEMBER_FIELDS, start=1):
            c = ws.cell(r, j, i if f.key == "no" else m.get(f.key))
            c.font, c.border = _NORMAL, _BOX
            if f.kind == "code":
                c.number_format = "@"
    for col, width in zip("ABCD", (6, 16, 20, 30), strict=True):
        ws.column_dimensions[col].width = width
    first, end = schema.MEMBERS_HEADER_ROW + 1, schema.MEMBERS_HEADER_ROW + rows
    _rule(ws, f"C{first}:C{end}", _list(",".join(schema.RELATIONS), "Quan hệ với chủ hộ", "Chọn quan hệ."))
    _rule(ws, f"D{first}:D{end}", _list(",".join(x["code"] for x in ref["ncc_categories"]), "Diện NCC",
                                        "Một chữ cái theo Điều 3 Pháp lệnh 02/2020/UBTVQH14; tn = thân nhân."))

    _narrative_sheet(wb, narrative)


    return _save(wb, path)


def _office_choices(config: Config) -> dict[str, list[str]]:
    """The shown values of the offices' workbook's listed columns: the plan's tasks as "IV.1 – label", the kinds
    of support and the fund sources by label, the communes by code."""
    ref = config.reference
    return {
        "task": [task_text(t) for t in config.plan.get("tasks", [])],
        "support": [x["label"] for x in ref.get("office_supports", [])],
        "fund": [x["label"] for x in ref["fund_sources"]],
        "commune": list(dict.fromkeys(u.code for u in config.units)),
    }


def write_office_workbook(
    path: Path,
    *,
    general: Mapping[str, Any] | None = None,
    tables: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    narrative: Mapping[str, str] | None = None,
    title_period: str = "",
    config: Config | None = None,
    rows: int = 100,
) -> Path:
    """Write the offices' workbook (:mod:`pipeline.office_schema`); with no data it is the blank form.

    Args:
        path: the .xlsx to write (overwritten: idempotent for the same arguments).
        general: values by key of :data:`office_schema.GENERAL_FIELDS` (dates as ``datetime.date``).
        tables: rows by table key of :data:`office_schema.TABLES`, each a mapping of field keys: counts in
            households, persons, sessions; amounts in đồng; ``task`` a plan task's code ("IV.1"), ``support`` an
            ``office_supports`` code, ``source`` a ``fund_sources`` code (written as their labels).
        narrative: free text by key of :data:`schema.NARRATIVE_FIELDS`.
        title_period: text shown in each sheet's title, e.g. "6 tháng đầu năm 2023".
        config: the offices, communes, plan tasks and reference lists (default: the project's configuration).
        rows: how many data rows of each table get the input rules.

    Returns:
        ``path``.
    """
    general, tables, narrative = general or {}, tables or {}, narrative or {}
    config = config or load_config()
    choices = _office_choices(config)
    shown = {
        "task": {t["code"]: task_text(t) for t in config.plan.get("tasks", [])},
        "support": {x["code"]: x["label"] for x in config.reference.get("office_supports", [])},
        "fund": {x["code"]: x["label"] for x in config.reference["fund_sources"]},
    }
    wb = Workbook()
    ws = _labelled_sheet(wb, o.SHEET_GENERAL,
                         "BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH GIẢM NGHÈO HỘ CÓ NGƯỜI CÓ CÔNG CỦA CƠ QUAN, ĐƠN VỊ",
                         o.GENERAL_FIELDS, general, title_period, (30, 60, 34))
    offices = [u.code for u in config.offices]
    if offices:
        _rule(ws, "B4", _choices(wb, offices, "Mã cơ quan", "Chọn mã của cơ quan, đơn vị trong danh sách."))
    titles = {
        "activities": "HOẠT ĐỘNG THEO NHIỆM VỤ CỦA KẾ HOẠCH (lũy kế từ 01/01 đến ngày chốt số liệu)",
        "supports": "HỖ TRỢ THEO XÃ (lũy kế từ 01/01 đến ngày chốt số liệu)",
        "funds": "KINH PHÍ HUY ĐỘNG THEO NGUỒN (lũy kế từ 01/01 đến ngày chốt số liệu)",
        "documents": "VĂN BẢN CHỈ ĐẠO, HƯỚNG DẪN ĐÃ BAN HÀNH",
        "loans": "VỐN VAY ƯU ĐÃI THEO XÃ (doanh số lũy kế từ 01/01, dư nợ tại ngày chốt số liệu)",
    }
    for key, (sheet, fields, _first) in o.TABLES.items():
        ws = wb.create_sheet(sheet)
        ws["A1"] = titles[key]
        ws["A1"].font = _BOLD
        ws["A2"] = "Mỗi dòng một nội dung; cơ quan không có nội dung này để trống sheet."
        for j, f in enumerate(fields, start=1):
            c = ws.cell(o.HEADER_ROW, j, f.header)
            c.font, c.fill, c.border, c.alignment = _BOLD, _HEAD_FILL, _BOX, _CENTER
            ws.column_dimensions[get_column_letter(j)].width = 6 if f.key == "no" else (
                40 if f.kind in ("text", "task", "support", "fund") else 16)
        for i, row in enumerate(tables.get(key, ()), start=1):
            r = o.HEADER_ROW + i
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
        first, end = o.HEADER_ROW + 1, o.HEADER_ROW + rows
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
                _rule(ws, area, DataValidation(
                    type="date", operator="between", formula1="DATE(2000,1,1)", formula2="DATE(2100,12,31)",
                    showErrorMessage=True, errorTitle=f.header[:32], error="Ghi ngày dạng dd/mm/yyyy.",
                    allow_blank=True))
        ws.freeze_panes = ws.cell(o.HEADER_ROW + 1, 1)
    _narrative_sheet(wb, narrative)
    return _save(wb, path)
