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
* "Kinh phí" — amounts by the plan's fund sources (section V; ``fund_sources`` in ``config/reference.yaml``).
* "Văn bản" — documents issued for leadership and direction: number, date, issuer, subject.
* "Vốn vay" — preferential loans by commune (the Ngân hàng Chính sách xã hội branch): borrowers, disbursed,
  outstanding (đồng), of them NCC households.
* "Thuyết minh" — results, difficulties, proposals (free text, as the communes').

The same rules as the communes' workbook hold: counts are whole numbers ≥ 0 (households, persons, sessions),
amounts whole đồng ≥ 0, dates dd/mm/yyyy, a commune by its 5-character code.
"""

from __future__ import annotations

from typing import Any

from pipeline.schema import SHEET_NARRATIVE, Field, normalize_label

SHEET_GENERAL = "Thông tin cơ quan"
SHEET_ACTIVITIES = "Hoạt động"
SHEET_SUPPORTS = "Hỗ trợ theo xã"
SHEET_FUNDS = "Kinh phí"
SHEET_DOCUMENTS = "Văn bản"
SHEET_LOANS = "Vốn vay"

GENERAL_FIELDS = (
    Field("office_code", "Mã cơ quan", "code", True, note="mã trong danh sách, ví dụ VHTT"),
    Field("office_name", "Tên cơ quan", "text", True),
    Field("period", "Kỳ báo cáo", "code", True, note="NNNN-6T, NNNN-9T hoặc NNNN-CN"),
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
    "funds": (SHEET_FUNDS, FUND_FIELDS, "Nguồn kinh phí"),
    "documents": (SHEET_DOCUMENTS, DOCUMENT_FIELDS, "Số, ký hiệu"),
    "loans": (SHEET_LOANS, LOAN_FIELDS, "Mã xã"),
}
"""The tabular sheets, in workbook order after the general sheet; the narrative sheet comes last."""

HEADER_ROW = 4  # headers on row 4 of every tabular sheet, data from row 5 (as the communes' sheets)

SHEETS = (SHEET_GENERAL, *(sheet for sheet, _, _ in TABLES.values()), SHEET_NARRATIVE)

FIELDS_BY_SHEET = {SHEET_GENERAL: GENERAL_FIELDS, **{sheet: fields for sheet, fields, _ in TABLES.values()}}
_SHAPES = {"count": "number", "vnd": "number", "date": "date"}
SHOWN_FIELDS = {
    (SHEET_GENERAL, "office_code"): "office_code", (SHEET_GENERAL, "period"): "period",
    **{(sheet, f.key): _SHAPES[f.kind] for sheet, fields, _ in TABLES.values() for f in fields if f.kind in _SHAPES},
    **{(sheet, "no"): "number" for sheet, _, _ in TABLES.values()},
    (SHEET_SUPPORTS, "commune_code"): "unit_code", (SHEET_LOANS, "commune_code"): "unit_code",
    (SHEET_DOCUMENTS, "number"): "decision_number",
}
"""The offices' values shown on district-facing pages (sheet, key → shape of :data:`pipeline.schema.SHAPES`):
codes, periods, counts, amounts, dates and document numbers. Names, the preparer and phone, and free text (the
office's name as typed, activities, subjects, issuers, the narrative) are never shown, as in the communes'."""
_SHOWN_BY_HEADER = {(normalize_label(sheet), normalize_label(f.header)): SHOWN_FIELDS[(sheet, f.key)]
                    for sheet, fields in FIELDS_BY_SHEET.items() for f in fields if (sheet, f.key) in SHOWN_FIELDS}
KNOWN_LABELS = frozenset({normalize_label(f.header) for fields in FIELDS_BY_SHEET.values() for f in fields}
                         | {normalize_label(s) for s in SHEETS})
"""The offices' headers and sheet names, normalised: never personal, shown as they are."""


def office_sheet(sheet: str) -> bool:
    """Whether ``sheet`` is one of the offices' workbook's own (not the narrative sheet both forms share)."""
    return normalize_label(sheet) in {normalize_label(s) for s in FIELDS_BY_SHEET}


def shape_of(sheet: str, column: str) -> str | None:
    """The shape a value of ``column`` (header as printed) of the offices' ``sheet`` must have to be shown; None
    when it is never shown."""
    return _SHOWN_BY_HEADER.get((normalize_label(sheet), normalize_label(column)))


def task_text(task: dict[str, Any]) -> str:
    """A plan task (``plan.tasks`` in the configuration) as the drop-down list shows it: "IV.1 – label"."""
    return f"{task['code']} – {task['label']}"
