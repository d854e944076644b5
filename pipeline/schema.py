"""The submission workbook's contract: sheets, Vietnamese headers and the stable English keys behind them.

The blank template (``templates/``), the sample generator (``samples/``), the reader and the validation all
use these definitions; ``docs/submission-format.md`` documents them for data staff. Light module: no pandas.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

SHEET_GENERAL = "Thông tin chung"
SHEET_SUMMARY = "Tổng hợp"
SHEET_ROSTER = "Danh sách hộ NCC"
SHEET_MEMBERS = "Thành viên NCC"
SHEET_NARRATIVE = "Thuyết minh"
SHEETS = {
    "general": SHEET_GENERAL,
    "summary": SHEET_SUMMARY,
    "roster": SHEET_ROSTER,
    "members": SHEET_MEMBERS,
    "narrative": SHEET_NARRATIVE,
}


def normalize_label(text: object) -> str:
    """Canonical form of a header or label for matching: NFC, "Ð"→"Đ", case-folded, single spaces.

    Line breaks, non-breaking and zero-width spaces count as spaces; a trailing colon is dropped; tone
    placement is standardised (:func:`standard_tones`).
    """
    s = unicodedata.normalize("NFC", str(text or "")).replace("\u00d0", "\u0110")
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
    """A unit name reduced for comparison: NFC, case-folded, kind prefix ("xã", "thị trấn", "TT.") removed,
    diacritics removed ("Hòa"/"Hoà"/"Hoa" compare equal)."""
    s = normalize_label(text)
    s = re.sub(r"^(xã|xa|thị trấn|thi tran|tt\.?|phường|phuong)\s+", "", s)
    s = unicodedata.normalize("NFD", s.replace("đ", "d"))
    return "".join(ch for ch in s if not unicodedata.combining(ch)).strip()


@dataclass(frozen=True)
class Field:
    """One field of a sheet: its stable key, the Vietnamese header or label staff see, and its kind.

    Kinds: ``text``, ``code`` (text that keeps leading zeros), ``count`` (whole number ≥ 0), ``vnd``
    (whole đồng ≥ 0), ``flag`` (x = yes, blank = no), ``date`` (dd/mm/yyyy), ``status``, ``change``,
    ``categories`` (Ordinance 02/2020 letters separated by ";").
    """

    key: str
    header: str
    kind: str = "text"
    required: bool = False
    unit: str = ""
    note: str = ""


# Sheet "Thông tin chung": label in column A, value in column B.
GENERAL_FIELDS = (
    Field("unit_code", "Mã đơn vị (mã hành chính)", "code", True, note="5 chữ số, ví dụ 22828"),
    Field("unit_name", "Tên đơn vị", "text", True, note="ví dụ: xã Ma Nới"),
    Field("period", "Kỳ báo cáo", "code", True, note="NNNN-6T, NNNN-9T hoặc NNNN-CN"),
    Field("preparer", "Người lập biểu", "text", True),
    Field("phone", "Số điện thoại", "code", True),
    Field("prepared_on", "Ngày lập", "date", True, note="dd/mm/yyyy"),
)

# Sheet "Tổng hợp": one row per indicator; columns below. ``both`` indicators have a 1 January value and a
# cut-off value; ``cumulative`` ones only a value accumulated from 1 January to the cut-off.
SUMMARY_COLUMNS = (
    Field("no", "STT"),
    Field("label", "Chỉ tiêu", required=True),
    Field("unit", "Đơn vị tính"),
    Field("value_baseline", "Tại ngày 01/01", "count"),
    Field("value_current", "Tại ngày chốt số liệu (hoặc lũy kế từ 01/01)", "count"),
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

# Sheet "Thành viên NCC": one row per household member who is a person with meritorious service or such a
# person's relative (a household can have several), linked to the roster by household code.
MEMBER_FIELDS = (
    Field("no", "TT"),
    Field("household_code", "Mã hộ", "code", True),
    Field("relation", "Quan hệ với chủ hộ", "text", True),
    Field("category", "Diện NCC (Pháp lệnh 02/2020)", "category", True,
          note="một chữ cái: a, b, c, d, đ, e, g, h, i, k, l, m hoặc tn"),
)
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
