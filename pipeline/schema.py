"""The submission workbook's contract: sheets, Vietnamese headers and the stable English keys behind them.

The blank template (``templates/``), the sample generator (``samples/``), the reader and the validation all
use these definitions; ``docs/submission-format.md`` documents them for data staff. Light module: no pandas.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Protocol

from pipeline.synthesis import capitalise
from pipeline.textvalue import plain_text

SHEET_GENERAL = "Thông tin chung"
SHEET_SUMMARY = "Tổng hợp"
SHEET_ROSTER = "Danh sách hộ NCC"
SHEET_MEMBERS = "Thành viên NCC"
SHEET_NARRATIVE = "Thuyết minh"
SHEET_GUIDE = "Hướng dẫn"  # the form's first sheet: the guide it prints (pipeline.staff.form), never data
SHEETS = {
    "general": SHEET_GENERAL,
    "summary": SHEET_SUMMARY,
    "roster": SHEET_ROSTER,
    "members": SHEET_MEMBERS,
    "narrative": SHEET_NARRATIVE,
}


def normalize_label(text: object) -> str:
    """Canonical form of a header or label for matching: NFC, "Ð"→"Đ", case-folded, single spaces.

    OOXML ``_xHHHH_`` escapes are decoded and control characters made plain first
    (:func:`pipeline.textvalue.plain_text`). Line breaks, non-breaking and zero-width spaces count as
    spaces; a trailing colon is dropped; tone placement is standardised (:func:`standard_tones`).
    """
    s = unicodedata.normalize("NFC", plain_text(str(text or ""))).replace("\u00d0", "\u0110")
    s = s.replace("\u200b", "").replace("\ufeff", "")
    s = re.sub(r"\s+", " ", s.replace("\u00a0", " ")).strip().rstrip(":").strip()
    return standard_tones(s).casefold()


_OLD_TONE = re.compile(r"([oOuU])([\u0300\u0301\u0303\u0309\u0323])([aAeEyY])(?![\w\u0300-\u036f])")


def standard_tones(text: str) -> str:
    """Put tone marks of open "oa", "oe", "uy" syllables on the second vowel: "Hòa" → "Hoà", "thủy" → "thuỷ".

    Both placements are in use; NFC keeps them different, so labels are compared in one placement.
    """
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _OLD_TONE.sub(r"\1\3\2", decomposed))


def canonical_unit_name(text: object) -> str:
    """A unit name reduced for comparison: NFC, case-folded, tone placement standardised, the prefix of a
    commune-level kind of the national law ("xã", "phường", "thị trấn", "TT.", and since 2025 "đặc khu")
    removed. Diacritics are kept: "Hòa Sơn" = "Hoà Sơn" but "Mà Nơi" ≠ "Ma Nới"
    (a name is never matched by dropping its marks; plain spellings such as "Ma Noi" are configured aliases)."""
    s = normalize_label(text)
    return re.sub(r"^(xã|xa|thị trấn|thi tran|tt\.?|phường|phuong|đặc khu|dac khu)\s+", "", s).strip()


_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng


def toneless_unit_name(text: object) -> str:
    """:func:`canonical_unit_name` without tone marks, other marks kept ("Mạ Nới" → "ma nơi", "Ma Nối" →
    "ma nôi"): two names equal in this form differ only in their tones."""
    s = unicodedata.normalize("NFD", canonical_unit_name(text))
    return unicodedata.normalize("NFC", "".join(ch for ch in s if ch not in _TONE_MARKS))


def loose_unit_name(text: object) -> str:
    """:func:`canonical_unit_name` with every diacritic removed and "đ" → "d"; only for ranking suggestions,
    never for deciding which unit a name is."""
    s = unicodedata.normalize("NFD", canonical_unit_name(text).replace("đ", "d"))
    return "".join(ch for ch in s if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Field:
    """One field of a sheet: its stable key, the Vietnamese header or label staff see, and its kind.

    Kinds: ``text``, ``code`` (text that keeps leading zeros), ``count`` (whole number ≥ 0), ``vnd``
    (whole đồng ≥ 0), ``flag`` (x = yes, blank = no), ``date`` (dd/mm/yyyy), ``status``, ``change``,
    ``categories`` (Ordinance 02/2020 letters separated by ";").

    ``required``: the field is mandatory — a blank value is an error (a not-null expectation of severity
    ``critical`` in the sheet's suite under ``expectations/``, whose ``meta.field`` is this key; a test holds
    every suite to this) and, in the roster and members sheets, a missing column is an error too. Optional
    fields (free text, supports, contact details) may be blank; some of them warn when blank.
    """

    key: str
    header: str
    kind: str = "text"
    required: bool = False
    unit: str = ""
    note: str = ""


# Sheet "Thông tin chung": label in column A, value in column B.
GENERAL_FIELDS = (
    Field("unit_code", "Mã đơn vị (mã hành chính)", "code", True,
          note="chọn trong danh sách, ví dụ 22828 – Xã Ma Nới (hoặc gõ mã 5 chữ số)"),
    Field("unit_name", "Tên đơn vị", "text", True, note="ví dụ: xã Ma Nới"),
    Field("period", "Kỳ báo cáo", "code", True, note="chọn trong danh sách, ví dụ 6 tháng đầu năm 2023"),
    Field("preparer", "Người lập biểu", "text"),  # contact details: a blank warns, the data still count
    Field("phone", "Số điện thoại", "code"),
    Field("prepared_on", "Ngày lập", "date", note="dd/mm/yyyy"),
)

# Sheet "Tổng hợp": one row per indicator; columns below. ``both`` indicators have a 1 January value and a
# cut-off value; ``cumulative`` ones only a value accumulated from 1 January to the cut-off.
SUMMARY_COLUMNS = (
    Field("no", "STT"),
    Field("label", "Chỉ tiêu", required=True),
    Field("unit", "Đơn vị tính"),
    Field("value_baseline", "Tại ngày 01/01", "count"),
    Field("value_current", "Tại ngày chốt số liệu (hoặc lũy kế từ 01/01)", "count", True),
)


@dataclass(frozen=True)
class Indicator:
    """A row of the summary sheet. ``parent`` is an indicator this one can never exceed."""

    key: str
    label: str
    unit: str
    timing: str  # "both" or "cumulative"
    parent: str | None = None


SUMMARY_INDICATORS = (
    Indicator("households_total", "Tổng số hộ dân cư trên địa bàn", "hộ", "both"),
    Indicator("poor_households", "Số hộ nghèo", "hộ", "both", "households_total"),
    Indicator("poor_persons", "Số nhân khẩu của hộ nghèo", "người", "both"),
    Indicator("near_poor_households", "Số hộ cận nghèo", "hộ", "both", "households_total"),
    Indicator("near_poor_persons", "Số nhân khẩu của hộ cận nghèo", "người", "both"),
    Indicator("ncc_poor_households", "Số hộ nghèo có thành viên là người có công", "hộ", "both", "poor_households"),
    Indicator("ncc_poor_persons", "Số nhân khẩu của hộ nghèo có người có công", "người", "both", "poor_persons"),
    Indicator(
        "ncc_near_poor_households",
        "Số hộ cận nghèo có thành viên là người có công",
        "hộ",
        "both",
        "near_poor_households",
    ),
    Indicator(
        "ncc_near_poor_persons", "Số nhân khẩu của hộ cận nghèo có người có công", "người", "both", "near_poor_persons"
    ),
    Indicator("outreach_sessions", "Số buổi tuyên truyền, vận động", "buổi", "cumulative"),
    Indicator("outreach_participants", "Số lượt người tham dự tuyên truyền, vận động", "lượt người", "cumulative"),
    Indicator(
        "fund_1_national_programmes_vnd", "Kinh phí nguồn (1): các Chương trình mục tiêu quốc gia", "đồng", "cumulative"
    ),
    Indicator(
        "fund_3_contributions_vnd", "Kinh phí nguồn (3): huy động cơ quan, doanh nghiệp, cá nhân", "đồng", "cumulative"
    ),
    Indicator(
        "fund_4_gratitude_poor_funds_vnd",
        "Kinh phí nguồn (4): Quỹ Đền ơn đáp nghĩa, Quỹ Vì người nghèo",
        "đồng",
        "cumulative",
    ),
    Indicator("fund_5_sponsors_vnd", "Kinh phí nguồn (5): tổ chức, cá nhân nhận đỡ đầu", "đồng", "cumulative"),
    Indicator("loan_2_households", "Nguồn (2) vay vốn ưu đãi: số hộ được vay", "hộ", "cumulative"),
    Indicator("loan_2_disbursed_vnd", "Nguồn (2) vay vốn ưu đãi: số tiền đã giải ngân", "đồng", "cumulative"),
)
INDICATORS_BY_KEY = {i.key: i for i in SUMMARY_INDICATORS}

# The 12 deprivation indicators of Decree 07/2021/NĐ-CP, Art. 3 (keys d01…d12; labels in config/reference.yaml).
DEPRIVATION_KEYS = tuple(f"d{i:02d}" for i in range(1, 13))
DEPRIVATION_HEADERS = (
    "Thiếu hụt: Việc làm",
    "Thiếu hụt: Người phụ thuộc",
    "Thiếu hụt: Dinh dưỡng",
    "Thiếu hụt: Bảo hiểm y tế",
    "Thiếu hụt: Trình độ giáo dục người lớn",
    "Thiếu hụt: Tình trạng đi học của trẻ em",
    "Thiếu hụt: Chất lượng nhà ở",
    "Thiếu hụt: Diện tích nhà ở bình quân",
    "Thiếu hụt: Nguồn nước sinh hoạt",
    "Thiếu hụt: Nhà tiêu hợp vệ sinh",
    "Thiếu hụt: Sử dụng dịch vụ viễn thông",
    "Thiếu hụt: Phương tiện tiếp cận thông tin",
)


@dataclass(frozen=True)
class PovertyRule:
    """A poverty-classification rule the validation implements (see ``pipeline.validate.rules.STANDARD_RULES``).

    ``indicators`` are the deprivation indicators the rule counts, as roster keys; ``dimensions`` how many
    dimensions group them in ``config/reference.yaml``.
    """

    id: str
    source: str
    indicators: tuple[str, ...]
    dimensions: int


POVERTY_RULES = {
    "decree-07-2021": PovertyRule("decree-07-2021", "Nghị định 07/2021/NĐ-CP, Điều 3", DEPRIVATION_KEYS, 6),
}
"""Rules a standard in ``config/thresholds.yaml`` may name: only those the workbook carries the data for."""

UNSUPPORTED_POVERTY_RULES = {
    "decision-59-2015": (
        "Quyết định 59/2015/QĐ-TTg (chuẩn nghèo 2016–2020, kéo dài đến hết năm 2021) đo 10 chỉ số thiếu hụt ở 5 "
        "chiều (y tế, giáo dục, nhà ở, nước sạch và vệ sinh, tiếp cận thông tin) với chuẩn thu nhập hộ nghèo "
        "700.000 đ (nông thôn) / 900.000 đ (thành thị) và hộ cận nghèo 1.000.000 đ / 1.300.000 đ một người một "
        "tháng; mẫu báo cáo chỉ ghi 12 chỉ số của Nghị định 07/2021/NĐ-CP nên không kiểm tra được theo chuẩn này"
    ),
}
"""Rules known but not implemented, with why (in Vietnamese): naming one in configuration is refused."""

# Sheet "Danh sách hộ NCC": one row per household that has a member with meritorious service (or such a
# person's relative, Ordinance 02/2020/UBTVQH14 Art. 3) and was poor or near-poor on 1 January or is now.
ROSTER_FIELDS = (
    Field("no", "STT"),
    Field("household_code", "Mã hộ", "code", True),
    Field("head_name", "Họ và tên chủ hộ", "text", True),
    Field("village", "Thôn", "text", True),
    Field("ethnicity", "Dân tộc", "text", True),
    Field("members_count", "Số nhân khẩu", "count", True, "người"),
    Field("ncc_members_count", "Số thành viên là NCC hoặc thân nhân", "count", True, "người"),
    Field("ncc_categories", "Diện NCC (Pháp lệnh 02/2020)", "categories", True, note="chữ cái, cách nhau bởi ;"),
    Field("working_capacity", "Có khả năng lao động", "flag"),
    Field("status_baseline", "Phân loại tại 01/01", "status", True),
    Field("status_current", "Phân loại tại ngày chốt", "status", True),
    Field("change_kind", "Loại biến động", "change", True),
    Field("decision_number", "Số quyết định của UBND xã", "code"),
    Field("decision_date", "Ngày quyết định", "date"),
    Field("income_vnd_per_person_month", "Thu nhập bình quân (đồng/người/tháng)", "vnd", True, "đồng/người/tháng"),
    *(Field(k, h, "flag") for k, h in zip(DEPRIVATION_KEYS, DEPRIVATION_HEADERS, strict=True)),
    Field("poverty_causes", "Nguyên nhân nghèo"),
    Field("assigned_official", "Cán bộ phụ trách hộ"),
    Field("support_loan_vnd", "Hỗ trợ: vay vốn ưu đãi (đồng)", "vnd", unit="đồng"),
    Field("support_vocational_training", "Hỗ trợ: đào tạo nghề", "flag"),
    Field("support_job_placement", "Hỗ trợ: giới thiệu việc làm", "flag"),
    Field("support_livestock", "Hỗ trợ: con giống", "flag"),
    Field("support_housing_vnd", "Hỗ trợ: nhà ở (đồng)", "vnd", unit="đồng"),
    Field("support_health_insurance", "Hỗ trợ: thẻ BHYT", "flag"),
    Field("sponsor", "Tổ chức, cá nhân nhận đỡ đầu"),
    Field("sponsor_amount_vnd", "Số tiền đỡ đầu (đồng)", "vnd", unit="đồng"),
)
ROSTER_FIELDS_BY_KEY = {f.key: f for f in ROSTER_FIELDS}

# Sheet "Thành viên NCC": one row per household member who is a person with meritorious service or such a
# person's relative (a household can have several), linked to the roster by household code.
MEMBER_FIELDS = (
    Field("no", "TT"),
    Field("household_code", "Mã hộ", "code", True),
    Field("relation", "Quan hệ với chủ hộ", "text", True),
    Field("category", "Diện NCC (Pháp lệnh 02/2020)", "category", True,
          note="một chữ cái: a, b, c, d, đ, e, g, h, i, k, l, m hoặc tn"),
)
# The leader's confirmation under the general fields (label in A, value in B): optional, never read as data
# (the signed and stamped paper copy is the confirmation); its labels differ from every field's so that the
# reader never takes one of its rows for a field.
CONFIRMATION_TITLE = "XÁC NHẬN CỦA LÃNH ĐẠO ĐƠN VỊ"
CONFIRMATION_FIELDS = (
    Field("leader_name", "Họ và tên lãnh đạo đơn vị", "text"),
    Field("leader_title", "Chức vụ", "text", note="ví dụ: Chủ tịch, Phó Chủ tịch Ủy ban nhân dân"),
    Field("leader_signature", "Chữ ký, đóng dấu", "text", note="ký, đóng dấu trên bản in"),
    Field("confirmed_on", "Ngày ký xác nhận", "date", note="dd/mm/yyyy"),
)

CHOICE_SEPARATOR = " – "
"""Between a code and its name in a drop-down value: "22828 – Xã Ma Nới", "c – Liệt sĩ" (an en dash)."""
_CHOICE = re.compile(r"\s*(\S+?)\s+[–—-]\s+\S.*", re.DOTALL)


def choice(code: str, name: str) -> str:
    """A drop-down value that carries its meaning: the code, " – ", the name ("22828 – Xã Ma Nới")."""
    return f"{code}{CHOICE_SEPARATOR}{name}"


def choice_code(text: str) -> str:
    """The code of a drop-down value written by :func:`choice` (the text before " – "; a hyphen or an em dash
    between spaces is taken too); any other text as it is ("22828", "c;tn", "22828-0001")."""
    m = _CHOICE.fullmatch(text)
    return m.group(1) if m else text


def period_name(label: str, year: int) -> str:
    """A period as the drop-down list names it: the kind's label (``periods:`` in the configuration) and the
    year, capitalised: "6 tháng đầu năm 2023", "Năm 2023"."""
    return capitalise(f"{label} {year}")


RELATIONS = ("Chủ hộ", "Vợ/Chồng", "Con", "Cha/Mẹ", "Ông/Bà", "Cháu", "Khác")
ROSTER_HEADER_ROW = 4  # headers on row 4 of the blank template; data from row 5
MEMBERS_HEADER_ROW = 4
SUMMARY_HEADER_ROW = 4

NARRATIVE_FIELDS = (
    Field("results", "Kết quả đạt được"),
    Field("difficulties", "Khó khăn, vướng mắc"),
    Field("proposals", "Đề xuất, kiến nghị"),
)

# Roster columns carrying personal data (Decree 13/2023/NĐ-CP): never logged, never in XCom or Data Docs.
PERSONAL_KEYS = frozenset({"head_name", "ethnicity", "ncc_categories", "assigned_official", "sponsor"})
PERSONAL_HEADERS = frozenset(
    {normalize_label(f.header) for f in ROSTER_FIELDS if f.key in PERSONAL_KEYS}
    | {normalize_label(f.header) for f in MEMBER_FIELDS if f.key == "category"}
    | {normalize_label("Người lập biểu"), normalize_label("Số điện thoại")}
)

# --- What district-facing outputs may show of a cell (Decree 13/2023/NĐ-CP) -------------------------------
# The status page, Data Docs, task logs and XCom show a value only when its column is on this allow-list of
# non-personal columns AND the value has the column's shape; anything else reads MASK. The shape, not the
# column alone, decides: a name typed into "Mã hộ" or "Số nhân khẩu" is hidden like one typed into
# "Họ và tên chủ hộ". The unit's own annotated workbook and the `validate` command show everything.
MASK = "(ẩn)"

_NUMBER = re.compile(
    r"-?(0|[1-9]\d{0,2}(?:[.,\s]\d{3})+|[1-9]\d*)(?:[.,]\d+)?(?:\s*(?:đồng|đ|vnđ|vnd|hộ|người|%))?", re.IGNORECASE)
_DATE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")
SHAPES = {
    "number": _NUMBER,  # a count or an amount, plain or Vietnamese ("1.500.000 đ"); no leading zero (phones)
    "date": _DATE,
    "unit_code": re.compile(r"\d{1,6}"),
    "household_code": re.compile(r"\d{5}[-./]\d{1,6}|[A-Z]{0,4}[-./]?\d{1,8}"),  # "22810-0001", "HN-012"
    "period": re.compile(r"\d{4}\s*[-/]?\s*(?:6T|9T|CN)", re.IGNORECASE),
    "decision_number": re.compile(r"\d{1,6}(?:/[0-9A-Za-zĐđ.-]+)*"),  # "15/QĐ-UBND", "123/2023/QĐ-UBND"
    "office_code": re.compile(r"[A-Z][A-Z0-9]{1,4}"),  # an office's code in `offices:` ("VHTT")
}
"""Pattern of each shape (the whole value must match)."""

FLAG_WORDS = frozenset({"x", "✓", "✔", "1", "có", "co", "yes", "true", "v", "0", "không", "khong", "no", "false",
                        "-"})
MEASURES = ("hộ", "người", "buổi", "lượt người", "đồng")
LISTED_SHAPES = ("flag", "status", "change", "relation", "indicator", "measure", "unit_name")
"""Shapes that are membership of a list: fixed here, or from configuration (statuses, change kinds and unit
names; see :func:`shown_lists`). NCC categories and ethnicity are personal and are no list here."""

_KIND_SHAPES = {"count": "number", "vnd": "number", "flag": "flag", "date": "date", "status": "status",
                "change": "change"}
_SHAPE_OF = {  # every field not named here and not of a kind in _KIND_SHAPES is hidden
    (SHEET_GENERAL, "unit_code"): "unit_code",
    (SHEET_GENERAL, "unit_name"): "unit_name",
    (SHEET_GENERAL, "period"): "period",
    (SHEET_SUMMARY, "no"): "number",
    (SHEET_SUMMARY, "label"): "indicator",
    (SHEET_SUMMARY, "unit"): "measure",
    (SHEET_ROSTER, "no"): "number",
    (SHEET_ROSTER, "household_code"): "household_code",
    (SHEET_ROSTER, "decision_number"): "decision_number",
    (SHEET_MEMBERS, "no"): "number",
    (SHEET_MEMBERS, "household_code"): "household_code",
    (SHEET_MEMBERS, "relation"): "relation",
}
HIDDEN_FIELDS = frozenset({
    (SHEET_GENERAL, "preparer"), (SHEET_GENERAL, "phone"),
    *((SHEET_ROSTER, k) for k in PERSONAL_KEYS), (SHEET_ROSTER, "village"), (SHEET_ROSTER, "poverty_causes"),
    (SHEET_MEMBERS, "category"),
    *((SHEET_NARRATIVE, f.key) for f in NARRATIVE_FIELDS),
})
"""Fields whose values are never shown: personal data and free text."""

FIELDS_BY_SHEET = {SHEET_GENERAL: GENERAL_FIELDS, SHEET_SUMMARY: SUMMARY_COLUMNS, SHEET_ROSTER: ROSTER_FIELDS,
                   SHEET_MEMBERS: MEMBER_FIELDS, SHEET_NARRATIVE: NARRATIVE_FIELDS}


def _allow_list() -> dict[tuple[str, str], str]:
    out = {}
    for sheet, fields in FIELDS_BY_SHEET.items():
        for f in fields:
            if (sheet, f.key) in HIDDEN_FIELDS:
                continue
            shape = _SHAPE_OF.get((sheet, f.key)) or _KIND_SHAPES.get(f.kind)
            if shape is not None:
                out[(sheet, f.key)] = shape
    return out


SHOWN_FIELDS = _allow_list()
"""The allow-list: (sheet, field key) → shape its values must have to be shown."""
_SHOWN_BY_HEADER = {(normalize_label(sheet), normalize_label(f.header)): SHOWN_FIELDS[(sheet, f.key)]
                    for sheet, fields in FIELDS_BY_SHEET.items() for f in fields if (sheet, f.key) in SHOWN_FIELDS}
KNOWN_COLUMNS = frozenset(normalize_label(f.header) for fields in FIELDS_BY_SHEET.values() for f in fields)
_LETTER_COLUMN = re.compile(r"cột [A-Z]{1,3}")


def shape_of(sheet: str, column: str) -> str | None:
    """The shape a value of ``column`` (header as printed) of ``sheet`` must have to be shown; None when the
    column is not on the allow-list (personal, free text or unknown)."""
    return _SHOWN_BY_HEADER.get((normalize_label(sheet), normalize_label(column)))


class ListsSource(Protocol):
    """What :func:`shown_lists` reads of a configuration (:class:`pipeline.config.Config` has both)."""

    @property
    def reference(self) -> dict[str, Any]: ...
    @property
    def units(self) -> Any: ...


def shown_lists(config: ListsSource | None) -> dict[str, frozenset[str]]:
    """The allowed values of each listed shape, in :func:`normalize_label` form (``unit_name`` in
    :func:`canonical_unit_name` form): statuses and change kinds (codes and labels) from
    ``config/reference.yaml``, unit names from the configured units (and, as ``unit_name_toneless``, in
    :func:`toneless_unit_name` form: a unit's name misspelt in its tone marks is still a place name),
    relations, indicator labels, measures and flag words from this module.

    Args:
        config: the configuration in use (:class:`pipeline.config.Config`); None when there is none, and then
            statuses, change kinds and unit names are all hidden.
    """
    ref = config.reference if config is not None else {"statuses": [], "change_kinds": []}
    units = config.units if config is not None else ()

    def coded(items: list[dict[str, str]]) -> frozenset[str]:
        return frozenset(normalize_label(i[k]) for i in items for k in ("code", "label"))

    return {
        "flag": FLAG_WORDS,
        "status": coded(ref["statuses"]),
        "change": coded(ref["change_kinds"]),
        "relation": frozenset(normalize_label(r) for r in RELATIONS),
        "indicator": frozenset(normalize_label(i.label) for i in SUMMARY_INDICATORS),
        "measure": frozenset(normalize_label(m) for m in MEASURES),
        "unit_name": frozenset(n for u in units for n in u.canonical_names),
        "unit_name_toneless": frozenset(toneless_unit_name(n) for u in units
                                        for n in u.canonical_names),
    }


def has_shape(shape: str, value: str, lists: dict[str, frozenset[str]]) -> bool:
    """Whether ``value`` (as text) has ``shape``: matches its pattern, or is on its list."""
    text = unicodedata.normalize("NFC", value).strip()
    if shape in SHAPES:
        return SHAPES[shape].fullmatch(text) is not None
    if shape == "unit_name":  # a unit's name, also misspelt in its tone marks: a place, not a person
        return (canonical_unit_name(text) in lists["unit_name"]
                or toneless_unit_name(text) in lists.get("unit_name_toneless", frozenset()))
    return normalize_label(text) in lists.get(shape, frozenset())


def shown_value(sheet: str, column: str, value: str, lists: dict[str, frozenset[str]]) -> str:
    """``value`` when ``column`` of ``sheet`` is on the allow-list and the value has its shape, else
    :data:`MASK` ("" stays ""). ``lists`` from :func:`shown_lists`."""
    if value == "":
        return ""
    shape = shape_of(sheet, column)
    if shape is None:
        return MASK
    return value if has_shape(shape, value, lists) else MASK


def shown_column(column: str) -> str:
    """A column header as printed, when it is a header of the template (or "cột X"); else :data:`MASK`
    (a label taken from column A of an arbitrary row could be anything)."""
    if column == "" or normalize_label(column) in KNOWN_COLUMNS or _LETTER_COLUMN.fullmatch(column.strip()):
        return column
    return MASK


_QUOTED = re.compile(r"'([^'\n]{1,200})'")


def shown_message(text: str, lists: dict[str, frozenset[str]], known: frozenset[str] = frozenset()) -> str:
    """A finding's message with every quoted part ('…') that is not a sheet name, a template header or
    label, a listed value or a number, date or code replaced by :data:`MASK`. Messages are built from
    fixed text, labels and numbers; this catches the few that quote a cell (a sample of legacy-encoded
    text) or a name typed by the unit. ``known``: more labels to keep (normalised; the offices' headers and sheet
    names, :data:`pipeline.office_schema.KNOWN_LABELS`)."""
    known = known | KNOWN_COLUMNS | {normalize_label(s) for s in SHEETS.values()} | {
        n for name in ("status", "change", "relation", "indicator", "measure") for n in lists[name]}

    def keep(m: re.Match[str]) -> str:
        inner = m.group(1)
        if normalize_label(inner) in known or has_shape("unit_name", inner, lists) or any(
                SHAPES[s].fullmatch(inner.strip()) for s in ("number", "date", "period", "decision_number")):
            return m.group(0)
        return f"'{MASK}'"

    return _QUOTED.sub(keep, text)
