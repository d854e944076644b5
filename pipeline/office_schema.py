"""The offices' workbook: one layout for every district office that reports on the plan (section VI assigns them
tasks, section VII orders them to report three times a year, as the communes do). Each office fills the sheets
that concern it and leaves the others empty; every sheet is optional but the first.

Sheets and columns (keys are stable; headers are what staff see):

* "Thông tin cơ quan" — label in column A, value in column B (as the communes' "Thông tin chung"): the office's
  code from the configuration (``offices:``), its name, the period, who prepared it, a phone, the date.
* "Hoạt động" — one row per activity, by the plan's task (section IV.1–5, ``plan.tasks`` in the configuration):
  sessions, participants (lượt người), news items and broadcasts (outreach by Phòng Văn hóa - Thông tin and the
  Trung tâm Văn hóa - Thể thao và Truyền thanh), households reached and of them households with an NCC member.
* "Hỗ trợ theo xã" — beneficiaries by commune and kind of support (``office_supports`` in
  ``config/reference.yaml``): households, persons, of them NCC households, amount (đồng).
* "Kinh phí, văn bản" — two tables stacked, each under its own title and header row: amounts by the plan's fund
  sources (section V; ``fund_sources`` in ``config/reference.yaml``; headers on row 4, one row a source), then
  the documents issued for leadership and direction: number, date, issuer, subject (the header row found by its
  "Số, ký hiệu", wherever rows were inserted above it).
* "Vốn vay" — preferential loans by commune (the Ngân hàng Chính sách xã hội branch): borrowers, disbursed,
  outstanding (đồng), of them NCC households.

The narrative (results, difficulties, proposals: free text, as the communes' "Thuyết minh") is labelled rows of
"Thông tin cơ quan", between the general fields and the leader's confirmation. Fewer sheets, fewer printed pages:
LibreOffice starts every sheet on a new page.

The 2023 form (the bundled samples, :data:`SHEETS_2023`) had the fund sources on "Kinh phí", the documents on
"Văn bản" and the narrative on "Thuyết minh", one a sheet: the reader reads both layouts. A table's findings name
its sheet in :data:`TABLES` (today's form); :func:`sheet_in` names the sheet a 2023 workbook has it on.

The same rules as the communes' workbook hold: counts are whole numbers ≥ 0 (households, persons, sessions),
amounts whole đồng ≥ 0, dates dd/mm/yyyy, a commune by its 5-character code.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pipeline.schema import SHEET_NARRATIVE, Field, normalize_label

SHEET_GENERAL = "Thông tin cơ quan"
SHEET_ACTIVITIES = "Hoạt động"
SHEET_SUPPORTS = "Hỗ trợ theo xã"
SHEET_FUNDS_DOCUMENTS = "Kinh phí, văn bản"
SHEET_LOANS = "Vốn vay"
SHEET_FUNDS = "Kinh phí"  # the 2023 form's sheets of the fund sources and of the documents
SHEET_DOCUMENTS = "Văn bản"

GENERAL_FIELDS = (
    Field("office_code", "Mã cơ quan", "code", True, note="mã trong danh sách, ví dụ VHTT"),
    Field("office_name", "Tên cơ quan", "text", True),
    Field("period", "Kỳ báo cáo", "code", True, note="chọn trong danh sách, ví dụ 6 tháng đầu năm 2023"),
    Field("preparer", "Người lập biểu", "text"),
    Field("phone", "Số điện thoại", "code"),
    Field("prepared_on", "Ngày lập", "date", note="dd/mm/yyyy"),
)

ACTIVITY_FIELDS = (
    Field("no", "STT"),
    Field("task", "Nhiệm vụ của Kế hoạch", "task", True),
    Field("activity", "Nội dung hoạt động", "text", True),
    Field("sessions", "Số buổi", "count", unit="buổi"),
    Field("participants", "Lượt người tham dự", "count", unit="lượt người"),
    Field("news_items", "Số tin, bài", "count", unit="tin, bài"),
    Field("broadcasts", "Lượt phát sóng", "count", unit="lượt"),
    Field("households", "Số hộ được hỗ trợ", "count", unit="hộ"),
    Field("ncc_households", "Trong đó: hộ có người có công", "count", unit="hộ"),
)

SUPPORT_FIELDS = (
    Field("no", "STT"),
    Field("commune_code", "Mã xã", "code", True),
    Field("support", "Loại hỗ trợ", "support", True),
    Field("households", "Số hộ", "count", True, unit="hộ"),
    Field("persons", "Số người", "count", unit="người"),
    Field("ncc_households", "Trong đó: hộ có người có công", "count", unit="hộ"),
    Field("amount_vnd", "Số tiền (đồng)", "vnd", unit="đồng"),
)

FUND_FIELDS = (
    Field("no", "STT"),
    Field("source", "Nguồn kinh phí", "fund", True),
    Field("amount_vnd", "Số tiền (đồng)", "vnd", True, unit="đồng"),
)

DOCUMENT_FIELDS = (
    Field("no", "STT"),
    Field("number", "Số, ký hiệu", "text", True),
    Field("date", "Ngày ban hành", "date", True),
    Field("issuer", "Cơ quan ban hành", "text"),
    Field("subject", "Trích yếu nội dung", "text", True),
)

LOAN_FIELDS = (
    Field("no", "STT"),
    Field("commune_code", "Mã xã", "code", True),
    Field("borrowers", "Số hộ vay", "count", True, unit="hộ"),
    Field("disbursed_vnd", "Doanh số cho vay (đồng)", "vnd", unit="đồng"),
    Field("outstanding_vnd", "Dư nợ (đồng)", "vnd", unit="đồng"),
    Field("ncc_borrowers", "Trong đó: hộ có người có công", "count", unit="hộ"),
)

TABLES = {  # key: (sheet, fields, the header that finds the header row)
    "activities": (SHEET_ACTIVITIES, ACTIVITY_FIELDS, "Nhiệm vụ của Kế hoạch"),
    "supports": (SHEET_SUPPORTS, SUPPORT_FIELDS, "Mã xã"),
    "funds": (SHEET_FUNDS_DOCUMENTS, FUND_FIELDS, "Nguồn kinh phí"),
    "documents": (SHEET_FUNDS_DOCUMENTS, DOCUMENT_FIELDS, "Số, ký hiệu"),
    "loans": (SHEET_LOANS, LOAN_FIELDS, "Mã xã"),
}
"""The tables of today's form, in workbook order after the general sheet; "funds" and "documents" share a sheet,
the documents under the fund sources."""

HEADER_ROW = 4  # headers on row 4 of every tabular sheet (the first table of a shared one), data from row 5

SHEETS = (SHEET_GENERAL, *dict.fromkeys(sheet for sheet, _, _ in TABLES.values()))
"""Today's form's sheets, in order (the narrative on the general sheet)."""
NARRATIVE_SHEET = SHEET_GENERAL
"""Where today's form has the narrative's labelled rows."""

TABLE_SHEETS_2023 = {"funds": SHEET_FUNDS, "documents": SHEET_DOCUMENTS}
"""The 2023 form's own sheet of the tables that today's form stacks on :data:`SHEET_FUNDS_DOCUMENTS`."""
SHEETS_2023 = (SHEET_GENERAL, SHEET_ACTIVITIES, SHEET_SUPPORTS, SHEET_FUNDS, SHEET_DOCUMENTS, SHEET_LOANS,
               SHEET_NARRATIVE)
"""The 2023 form's sheets (the bundled samples), in order: a table a sheet, the narrative last."""

FIELDS_BY_SHEET: dict[str, tuple[Field, ...]] = {SHEET_GENERAL: GENERAL_FIELDS}
for _sheet, _fields, _ in TABLES.values():
    FIELDS_BY_SHEET[_sheet] = FIELDS_BY_SHEET.get(_sheet, ()) + _fields
FIELDS_BY_SHEET.update({sheet: TABLES[key][1] for key, sheet in TABLE_SHEETS_2023.items()})
"""Every sheet's fields, today's and the 2023 form's (a shared sheet: its tables' fields in order)."""
_SHAPES = {"count": "number", "vnd": "number", "date": "date"}
_TABLE_SHEETS = [(sheet, key) for key, (sheet, _, _) in TABLES.items()] + [
    (sheet, key) for key, sheet in TABLE_SHEETS_2023.items()]
SHOWN_FIELDS = {
    (SHEET_GENERAL, "office_code"): "office_code", (SHEET_GENERAL, "period"): "period",
    **{(sheet, f.key): _SHAPES[f.kind] for sheet, key in _TABLE_SHEETS for f in TABLES[key][1] if f.kind in _SHAPES},
    **{(sheet, "no"): "number" for sheet, _ in _TABLE_SHEETS},
    (SHEET_SUPPORTS, "commune_code"): "unit_code", (SHEET_LOANS, "commune_code"): "unit_code",
    **{(sheet, "number"): "decision_number" for sheet, key in _TABLE_SHEETS if key == "documents"},
}
"""The offices' values shown on district-facing pages (sheet, key → shape of :data:`pipeline.schema.SHAPES`):
codes, periods, counts, amounts, dates and document numbers. Names, the preparer and phone, and free text (the
office's name as typed, activities, subjects, issuers, the narrative) are never shown, as in the communes'."""
_SHOWN_BY_HEADER = {(normalize_label(sheet), normalize_label(f.header)): SHOWN_FIELDS[(sheet, f.key)]
                    for sheet, fields in FIELDS_BY_SHEET.items() for f in fields if (sheet, f.key) in SHOWN_FIELDS}
KNOWN_LABELS = frozenset({normalize_label(f.header) for fields in FIELDS_BY_SHEET.values() for f in fields}
                         | {normalize_label(s) for s in (*SHEETS, *SHEETS_2023)})
"""The offices' headers and sheet names, normalised: never personal, shown as they are."""


def office_sheet(sheet: str) -> bool:
    """Whether ``sheet`` is one of the offices' workbook's own (not the narrative sheet both forms share)."""
    return normalize_label(sheet) in {normalize_label(s) for s in FIELDS_BY_SHEET}


def sheet_in(sheet: str, column: str, sheets: Collection[str]) -> str:
    """The sheet a finding on ``sheet`` (of :data:`TABLES`), column ``column`` (header as printed), is on in a
    workbook whose sheets read are ``sheets``: ``sheet`` itself, or in a 2023 workbook, which has no
    :data:`SHEET_FUNDS_DOCUMENTS`, the sheet of the table with that header (:data:`TABLE_SHEETS_2023`)."""
    if sheet in sheets or normalize_label(sheet) != normalize_label(SHEET_FUNDS_DOCUMENTS):
        return sheet
    wanted = normalize_label(column)
    own = [old for key, old in TABLE_SHEETS_2023.items() if old in sheets
           and any(normalize_label(f.header) == wanted for f in TABLES[key][1])]
    return own[0] if own else sheet


def shape_of(sheet: str, column: str) -> str | None:
    """The shape a value of ``column`` (header as printed) of the offices' ``sheet`` must have to be shown; None
    when it is never shown."""
    return _SHOWN_BY_HEADER.get((normalize_label(sheet), normalize_label(column)))


def task_text(task: dict[str, Any]) -> str:
    """A plan task (``plan.tasks`` in the configuration) as the drop-down list shows it: "IV.1 – label"."""
    return f"{task['code']} – {task['label']}"
