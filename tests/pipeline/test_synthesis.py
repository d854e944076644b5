"""Part IV synthesises the units' difficulties and proposals: each point once with the units that raised it;
points equal after normalisation (NFC, case, trailing punctuation, whitespace, bullets) are one point, points
that only share words stay apart."""

from __future__ import annotations

import json
import unicodedata

from pipeline.synthesis import Point, capitalise, group_points, point_key, sentence, split_points
from tests.helpers import docx_text

UNITS = ["thị trấn Tân Sơn", "xã Lâm Sơn", "xã Lương Sơn", "xã Quảng Sơn", "xã Mỹ Sơn", "xã Hòa Sơn", "xã Ma Nới",
         "xã Nhơn Sơn"]
SAME = [
    "Thiếu vốn sản xuất.",
    "thiếu vốn sản xuất",
    "THIẾU VỐN SẢN XUẤT;",
    unicodedata.normalize("NFD", "Thiếu vốn sản xuất."),
    "- Thiếu vốn sản xuất",
    "  Thiếu\u00a0vốn   sản xuất .",
    "• thiếu vốn sản xuất!",
    "1. Thiếu vốn sản xuất\u200b",
]


def test_split_points_by_lines_and_semicolons():
    """A point is a line or a part of a line between ";"; bullets and list numbers go, dots inside numbers
    and sentences stay, blank parts are dropped."""
    text = "- Thiếu đất sản xuất; thiếu lao động\r\n\n2) Hỗ trợ 1.500.000 đồng/hộ. Chưa đủ.\u2028• ;"
    assert split_points(text) == ["Thiếu đất sản xuất", "thiếu lao động", "Hỗ trợ 1.500.000 đồng/hộ. Chưa đủ."]
    assert split_points(None) == [] and split_points("  \n ") == []


def test_point_key_normalises_case_form_punctuation_and_bullets():
    """Every spelling of SAME has one key; a different point has another."""
    assert {point_key(x) for x in SAME} == {"thiếu vốn sản xuất"}
    assert point_key("Thiếu vốn sản xuất kinh doanh") != point_key("Thiếu vốn sản xuất")


def test_eight_units_with_the_same_difficulty_give_it_once():
    """Eight units typing the same difficulty in eight spellings (case, trailing period, NFD, bullets,
    spaces): one point, the first spelling seen (NFC), with the eight units in order."""
    points = group_points(list(zip(UNITS, SAME, strict=True)))
    assert points == [Point("Thiếu vốn sản xuất.", UNITS)]
    assert unicodedata.is_normalized("NFC", points[0].text)
    assert sentence(points[0]) == ("Thị trấn Tân Sơn, xã Lâm Sơn, xã Lương Sơn, xã Quảng Sơn, xã Mỹ Sơn, xã Hòa Sơn, "
                                   "xã Ma Nới, xã Nhơn Sơn: Thiếu vốn sản xuất.")


def test_points_sharing_words_stay_apart():
    """"Thiếu vốn sản xuất" and "Thiếu đất sản xuất" share words but say different things: two points; a
    unit repeating a point is listed once."""
    points = group_points([("xã Ma Nới", "Thiếu vốn sản xuất\nThiếu đất sản xuất; thiếu vốn sản xuất."),
                           ("xã Lâm Sơn", "Thiếu đất sản xuất.")])
    assert [(p.text, p.units) for p in points] == [("Thiếu vốn sản xuất", ["xã Ma Nới"]),
                                                  ("Thiếu đất sản xuất", ["xã Ma Nới", "xã Lâm Sơn"])]
    assert [sentence(p) for p in points] == ["Xã Ma Nới: Thiếu vốn sản xuất.",
                                             "Xã Ma Nới, xã Lâm Sơn: Thiếu đất sản xuất."]


def test_capitalise_only_the_first_letter():
    """capitalise upper-cases the first letter only ("thị trấn Tân Sơn" → "Thị trấn Tân Sơn"); an empty text stays
    empty."""
    assert capitalise("thị trấn Tân Sơn") == "Thị trấn Tân Sơn"
    assert capitalise("xã Ma Nới") == "Xã Ma Nới" and capitalise("") == ""


def test_report_groups_varied_spellings_and_keeps_texts_in_the_annex(config, plan_root, tmp_path):
    """Rendered: the eight units' difficulty in eight spellings is one line, "8/8 xã, thị trấn"; Ma Nới's second,
    different point has its own line; units that raised no proposal are named; annex II keeps each text as
    typed (line breaks, braces and "<&>" literal)."""
    from pipeline.render.report import build_context, render_docx

    agg = json.loads((plan_root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    for n, text in zip(agg["narratives"], SAME, strict=True):
        n["difficulties"] = text
        n["proposals"] = None
    agg["narratives"][6]["difficulties"] = "Thiếu vốn sản xuất.\nThiếu đất sản xuất {{ 7*7 }} <&>"
    agg["narratives"][0]["proposals"] = "Đề nghị hỗ trợ vốn"
    context = build_context(agg, config=config, period=config.period("2023-6T"))
    out = render_docx(context, tmp_path / "r.docx")
    lines = docx_text(out).splitlines()
    start = lines.index("- Khó khăn, vướng mắc các đơn vị nêu (nguyên văn thuyết minh của từng đơn vị tại Phụ lục "
                        "II):")
    assert lines[start + 1:start + 3] == [
        "+ 8/8 xã, thị trấn: Thiếu vốn sản xuất.",  # every unit raised it: counted, not listed
        "+ Xã Ma Nới: Thiếu đất sản xuất {{ 7*7 }} <&>.",
    ]
    start = lines.index("Đề xuất, kiến nghị của các đơn vị:")
    assert lines[start + 1:start + 3] == [
        "+ Thị trấn Tân Sơn: Đề nghị hỗ trợ vốn.",
        "+ Xã Lâm Sơn, xã Lương Sơn, xã Quảng Sơn, xã Mỹ Sơn, xã Hòa Sơn, xã Ma Nới, xã Nhơn Sơn: không nêu đề "
        "xuất, kiến nghị.",
    ]
    text = docx_text(out)
    assert "7. Xã Ma Nới\n" in text
    assert "- Khó khăn, vướng mắc: Thiếu vốn sản xuất.\nThiếu đất sản xuất {{ 7*7 }} <&>\n" in text
    assert "- Đề xuất, kiến nghị: (không có)" in text


def test_no_point_at_all(config, plan_root, tmp_path):
    """No unit raised a difficulty: one line says so; no valid report: one line says that, in both parts."""
    from pipeline.render.report import build_context, render_docx

    agg = json.loads((plan_root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    for n in agg["narratives"]:
        n["difficulties"] = "  "
    context = build_context(agg, config=config, period=config.period("2023-6T"))
    assert context["synthesis"]["difficulties"] == {"points": [], "silent": (
        "Thị trấn Tân Sơn, xã Lâm Sơn, xã Lương Sơn, xã Quảng Sơn, xã Mỹ Sơn, xã Hòa Sơn, xã Ma Nới, xã Nhơn Sơn")}
    lines = docx_text(render_docx(context, tmp_path / "a.docx")).splitlines()
    assert "+ Các đơn vị có báo cáo hợp lệ không nêu khó khăn, vướng mắc." in lines
    agg["narratives"] = []
    for s in agg["submissions"]:
        s["status"] = "missing"
    context = build_context(agg, config=config, period=config.period("2023-6T"))
    assert context["synthesis"]["proposals"] == {"points": [], "silent": ""}
    lines = docx_text(render_docx(context, tmp_path / "b.docx")).splitlines()
    assert lines.count("+ Chưa có báo cáo hợp lệ nào.") == 2


def test_a_point_every_unit_raised_is_counted_not_listed():
    """Raised by all eight communes: "8/8 xã, thị trấn"; by three of them: their names; by 61 of a province's 64:
    counted, the three others named; by 20 of 64: counted only."""
    from pipeline.synthesis import who

    point = group_points(list(zip(UNITS, SAME, strict=True)))[0]
    assert sentence(point, UNITS, "xã, thị trấn") == "8/8 xã, thị trấn: Thiếu vốn sản xuất."
    assert who(UNITS[:3], UNITS, "xã, thị trấn") == "thị trấn Tân Sơn, xã Lâm Sơn, xã Lương Sơn"
    province = [f"xã X{i}" for i in range(64)]
    kinds = "xã, phường, đặc khu"
    assert who(province[:61], province, kinds) == "61/64 xã, phường, đặc khu (trừ xã X61, xã X62, xã X63)"
    assert who(province[:20], province, kinds) == "20/64 xã, phường, đặc khu"
    assert who(["xã Ma Nới"], ["xã Ma Nới"], "xã, thị trấn") == "xã Ma Nới"  # one unit: its name
    assert who(UNITS[:6], UNITS[:6], "xã, thị trấn", complete=False) == "6/6 xã, thị trấn có báo cáo"
