"""The report's charts alone: every Vietnamese letter drawn (no glyph missing), the same data give the same PNG
bytes, a unit without a valid report drawn as such (no bar), the year chart's periods, Vietnamese numbers."""

from __future__ import annotations

import copy
import struct
import unicodedata
import warnings
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.render import charts

# Every Vietnamese letter: the 12 vowels with the 6 tones, and đ, in both cases (NFC).
_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
ALPHABET = unicodedata.normalize("NFC", "".join(v + t for v in _VOWELS for t in _TONES) + "đ")
ALPHABET += ALPHABET.upper()


def _unit(code, name, status, total=None, poor=None, near=None):
    has = status == "valid"
    return {"unit_code": code, "unit_name": name, "status": status,
            "households_total_current": total if has else None, "poor_households_current": poor if has else None,
            "near_poor_households_current": near if has else None}


def _agg(statuses=("valid", "valid", "missing"), period: str = "2023-6T") -> dict:
    """Aggregates of three units (figures typed here; the third has no valid report by default)."""
    rows = [("22810", "thị trấn Tân Sơn", 5272, 112, 200), ("22828", "xã Ma Nới", 1138, 257, 147),
            ("22816", "xã Lương Sơn", 3144, 240, 196)]
    units = [_unit(c, n, s, t, p, q) for (c, n, t, p, q), s in zip(rows, statuses, strict=True)]
    valid = [u for u in units if u["status"] == "valid"]
    ncc = {"poor_households_baseline": 3, "near_poor_households_baseline": 20, "poor_households_current": 2,
           "near_poor_households_current": 23}
    return {
        "units": units,
        "submissions": [{"unit_code": u["unit_code"], "unit_name": u["unit_name"], "status": u["status"],
                         "required": True} for u in units],
        "district": {k: sum(u[k] for u in valid) for k in
                     ("households_total_current", "poor_households_current", "near_poor_households_current")},
        "ncc": ncc,
        "deprivations": {"base": 2, "dimensions": [
            {"code": c, "label": lab, "households": n} for c, lab, n in (
                ("employment", "Việc làm", 2), ("health", "Y tế", 0), ("education", "Giáo dục", 1),
                ("housing", "Nhà ở", 2), ("water_sanitation", "Nước sinh hoạt và vệ sinh", 2),
                ("information", "Thông tin", 1))]},
        "year": {"periods": [period], "by_period": {period: _figures(units, ncc)}},
    }


def _figures(units: list[dict], ncc: dict, left_out: list[str] | None = None) -> dict:
    """One period's entry of the aggregates' year series (:func:`pipeline.aggregate.tables.period_figures`, the
    fields chart 2 reads): whether a unit has a valid report, the units left out, the NCC households."""
    return {"has_data": any(u["status"] == "valid" for u in units),
            "left_out": [u["unit_code"] for u in units if u["status"] != "valid"] if left_out is None else left_out,
            "ncc": dict(ncc)}


def _draw_all(context: dict) -> dict[str, charts.Drawn]:
    return {k: v["image"].draw() for k, v in context.items()}


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


@pytest.mark.filterwarnings("error")
def test_every_vietnamese_letter_is_drawn_without_a_missing_glyph(config):
    """Unit names holding every Vietnamese letter with every tone: drawing raises on any warning, such as
    matplotlib's "Glyph … missing from font(s)"; the font is the one bundled with matplotlib."""
    import matplotlib
    from matplotlib.font_manager import FontProperties, findfont

    agg = _agg()
    chunks = [ALPHABET[i:i + 20] for i in range(0, len(ALPHABET), 20)]
    template = agg["units"][0]
    agg["units"] = [{**template, "unit_code": str(i), "unit_name": "xã " + c} for i, c in enumerate(chunks)]
    agg["submissions"] = [{"unit_code": str(i), "status": "valid", "required": True} for i in range(len(chunks))]
    agg["units"][-1]["status"] = agg["submissions"][-1]["status"] = "missing"
    context = charts.chart_context(agg, config=config, period=config.period("2023-6T"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        drawn = _draw_all(context)
    names = [u["name"] for u in drawn["poverty"].values["units"]]
    assert "".join(n.removeprefix("Xã ") for n in names) == ALPHABET
    assert all(unicodedata.is_normalized("NFC", n) for n in names)
    with charts._rc():
        font = findfont(FontProperties(family=charts.FONT_FAMILY))
    bundled = Path(matplotlib.get_data_path()).resolve() / "fonts" / "ttf" / "DejaVuSans.ttf"
    assert Path(font).resolve() == bundled


def test_a_missing_glyph_is_caught(config):
    """The check above can fail: a letter the font lacks (a CJK ideograph) raises under the same filter."""
    agg = _agg()
    agg["units"][0]["unit_name"] = "xã \u4e00"
    spec = charts.chart_context(agg, config=config, period=config.period("2023-6T"))["poverty"]["image"]
    with warnings.catch_warnings(), pytest.raises(UserWarning, match="missing from font"):
        warnings.simplefilter("error")
        spec.draw()


def test_same_data_same_png_bytes(config):
    """Drawing twice gives the same bytes, with no software or time metadata; other data, other bytes."""
    period = config.period("2023-6T")
    first = _draw_all(charts.chart_context(_agg(), config=config, period=period))
    again = _draw_all(charts.chart_context(copy.deepcopy(_agg()), config=config, period=period))
    for key in ("poverty", "year", "deprivation"):
        assert first[key].png == again[key].png, key
        assert b"Software" not in first[key].png and b"matplotlib" not in first[key].png.lower()
        width, height = _png_size(first[key].png)
        assert width == int(charts.WIDTH_MM / 25.4 * charts.DPI), (key, width)  # printed at 160 mm, 200 dpi
    other = _agg()
    other["units"][1]["poor_households_current"] = 250
    changed = charts.chart_context(other, config=config, period=period)["poverty"]["image"].draw()
    assert changed.png != first["poverty"].png


def test_unit_without_valid_report_has_no_bar(config):
    """A missing unit and an invalid one are drawn without bars (their reason written instead), never as 0;
    the district's bars are the sum of the valid units, named as in Bảng 1."""
    agg = _agg(("valid", "invalid", "missing"))
    spec = charts.chart_context(agg, config=config, period=config.period("2023-6T"))["poverty"]["image"]
    assert [u["status"] for u in spec.data["units"]] == ["valid", "invalid", "missing"]
    values = spec.draw().values
    tan_son, ma_noi, luong_son = values["units"]
    assert tan_son["poor_rate"] == pytest.approx(112 / 5272 * 100) and tan_son["poor_label"] == "2,12%"
    assert tan_son["near_poor_rate"] == pytest.approx(200 / 5272 * 100) and tan_son["near_poor_label"] == "3,79%"
    assert ma_noi == {"name": "Xã Ma Nới", "poor_rate": None, "near_poor_rate": None}
    assert luong_son == {"name": "Xã Lương Sơn", "poor_rate": None, "near_poor_rate": None}
    assert values["district"]["name"] == "Cộng các đơn vị hợp lệ"
    assert values["district"]["poor_label"] == "2,12%"

    everyone = charts.chart_context(_agg(("valid", "valid", "valid")), config=config,
                                    period=config.period("2023-6T"))["poverty"]["image"].draw().values
    assert everyone["district"]["name"] == "Toàn huyện"
    assert everyone["district"]["poor_rate"] == pytest.approx((112 + 257 + 240) / (5272 + 1138 + 3144) * 100)
    assert everyone["units"][1]["poor_label"] == "22,58%"


def test_valid_report_without_households_draws_no_rate(config):
    """A valid report whose unit has no household (a body the plan only asks to report): no bar, no division
    by zero, said in the chart."""
    agg = _agg(("valid", "valid", "valid"))
    agg["units"][1].update(households_total_current=0, poor_households_current=0, near_poor_households_current=0)
    spec = charts.chart_context(agg, config=config, period=config.period("2023-6T"))["poverty"]["image"]
    assert spec.data["units"][1]["status"] == "no_households"
    assert spec.draw().values["units"][1] == {"name": "Xã Ma Nới", "poor_rate": None, "near_poor_rate": None}


def test_no_valid_report_at_all(config):
    """No valid report: no bar anywhere, the deprivation chart is not shown, nothing divides by zero."""
    agg = _agg(("missing", "invalid", "error"))
    agg["deprivations"]["base"] = 0
    for d in agg["deprivations"]["dimensions"]:
        d["households"] = 0
    context = charts.chart_context(agg, config=config, period=config.period("2023-6T"))
    drawn = _draw_all(context)
    assert all(u["poor_rate"] is None for u in drawn["poverty"].values["units"])
    assert drawn["poverty"].values["district"]["poor_rate"] is None
    assert [p["poor"] for p in drawn["year"].values["points"]] == [None, None]
    assert context["deprivation"]["shown"] is False


def _with_year(agg: dict, period: str, earlier: dict[str, dict]) -> dict:
    """``agg`` of ``period`` with the year series holding ``earlier`` (period code → figures) before it."""
    out = copy.deepcopy(agg)
    own = out["year"]["by_period"].pop(next(iter(out["year"]["by_period"])))
    out["year"] = {"periods": [*earlier, period], "by_period": {**earlier, period: own}}
    return out


def test_year_chart_reads_the_years_series(config):
    """The annual report's year chart comes from the aggregates' year series alone: 1 January and 6T from
    2023-6T's figures, CN from the current ones; 9T, without any valid report that period, is left out and
    named; a period of another year in the series is never shown."""
    six = _agg(("valid", "valid", "valid"))
    six_figures = _figures(six["units"], {**six["ncc"], "poor_households_current": 3,
                                          "near_poor_households_current": 21})
    nine_figures = _figures([{"status": "missing", "unit_code": "22810"}], six["ncc"])
    earlier = {"2022-CN": _figures(six["units"], {**six["ncc"], "poor_households_current": 99}),
               "2023-6T": six_figures, "2023-9T": nine_figures}
    context = charts.chart_context(_with_year(_agg(period="2023-CN"), "2023-CN", earlier), config=config,
                                   period=config.period("2023-CN"))
    year = context["year"]
    assert year["periods"] == [{"label": "6 tháng đầu năm", "cutoff": "30/04/2023"},
                               {"label": "năm", "cutoff": "31/10/2023"}]
    assert year["missing"] == [{"label": "9 tháng đầu năm", "cutoff": "31/07/2023"}]
    assert year["partial"] is True  # the current period lacks a unit
    points = year["image"].draw().values["points"]
    assert points == [{"label": "Đầu năm", "poor": 3, "near_poor": 20},
                      {"label": "6 tháng đầu năm", "poor": 3, "near_poor": 21},
                      {"label": "Năm (ước)", "poor": 2, "near_poor": 23}]  # the annual point: an estimate
    # the 6-month report itself shows 1 January and its own cut-off only
    first = charts.chart_context(six, config=config, period=config.period("2023-6T"))["year"]
    assert [p["label"] for p in first["periods"]] == ["6 tháng đầu năm"] and first["missing"] == []
    assert first["partial"] is False
    # the 9-month report without any valid report: 1 January from the 6-month figures, 9T without bars
    nothing = charts.chart_context(
        _with_year(_agg(("missing", "invalid", "error"), period="2023-9T"), "2023-9T", {"2023-6T": six_figures}),
        config=config, period=config.period("2023-9T"))["year"]
    assert nothing["image"].draw().values["points"] == [
        {"label": "Đầu năm", "poor": 3, "near_poor": 20}, {"label": "6 tháng đầu năm", "poor": 3, "near_poor": 21},
        {"label": "9 tháng đầu năm", "poor": None, "near_poor": None}]


def test_year_chart_and_the_year_table_share_one_field(config):
    """Chart 2 and the report's table comparing the year's periods read the same ``year.by_period`` entry: a
    change of an earlier period's figures there changes both, and nothing else is read (the files of earlier
    periods on disk play no part: :func:`pipeline.render.charts.year_data` takes no path)."""
    from pipeline.aggregate.movement import context as year_table

    six = _agg(("valid", "valid", "valid"))
    figures = _figures(six["units"], {**six["ncc"], "poor_households_current": 3, "near_poor_households_current": 21,
                                      "poor_persons_current": 9, "near_poor_persons_current": 63})
    figures.update(baseline={"poor_households": 3, "poor_persons": 9, "near_poor_households": 20,
                             "near_poor_persons": 60}, escaped_poverty=0, fell_back_or_new=0, funds_total_vnd=0,
                   targets=[{"code": "no_ncc_poor", "value": 3, "met": False}])
    nine = _with_year(_agg(period="2023-9T"), "2023-9T", {"2023-6T": figures})
    nine["year"]["by_period"]["2023-9T"] = copy.deepcopy(figures)
    changed = copy.deepcopy(nine)
    changed["year"]["by_period"]["2023-6T"]["ncc"]["poor_households_current"] = 7
    point = [charts.year_data(a, config=config, period=config.period("2023-9T"))["points"][1]["poor"]
             for a in (nine, changed)]
    assert point == [3, 7]
    assert "earlier" not in charts.year_data.__code__.co_varnames
    table = [year_table(a, config=config, period=config.period("2023-9T")) for a in (nine, changed)]
    assert table[0]["columns"][:2] == ["2023-6T", "2023-9T"]
    assert [t["compare"]["poor_households"][1] for t in table] == ["3", "7"]  # 6T's column, as chart 2's point


def test_deprivation_chart_counts_and_labels(config):
    """One bar per dimension of Decree 07/2021, in households, labelled with the count and the share."""
    values = charts.chart_context(_agg(), config=config, period=config.period("2023-6T"))["deprivation"][
        "image"].draw().values
    assert values["base"] == 2
    assert [(d["label"], d["households"], d["text"]) for d in values["dimensions"]] == [
        ("Việc làm", 2, "2 hộ (100%)"), ("Y tế", 0, "0 hộ (0%)"), ("Giáo dục", 1, "1 hộ (50%)"),
        ("Nhà ở", 2, "2 hộ (100%)"), ("Nước sinh hoạt và vệ sinh", 2, "2 hộ (100%)"),
        ("Thông tin", 1, "1 hộ (50%)")]


def test_axis_ticks_in_vietnamese_format():
    """Axis ticks and percentages in Vietnamese format: 2.5 → "2,5%", 10.0 → "10%", 0 → "0%", 1500 → "1.500", 6.385 →
    "6,39%"."""
    assert charts._pct_tick(2.5) == "2,5%" and charts._pct_tick(10.0) == "10%" and charts._pct_tick(0) == "0%"
    assert charts._int_tick(1500.0) == "1.500"
    assert charts.fmt.pct(Decimal("6.385")) == "6,39%"


def test_embed_turns_specs_into_images(config):
    """embed replaces each chart spec by an InlineImage of the template, leaves everything else as it is and
    does not change the caller's context."""
    from docxtpl import DocxTemplate, InlineImage

    from pipeline.render.report import TEMPLATE

    context = {"charts": charts.chart_context(_agg(), config=config, period=config.period("2023-6T")),
               "other": 1}
    tpl = DocxTemplate(str(TEMPLATE))
    embedded = charts.embed(tpl, context)
    assert embedded["other"] == 1 and isinstance(embedded["charts"]["poverty"]["image"], InlineImage)
    assert embedded["charts"]["year"]["periods"] == context["charts"]["year"]["periods"]
    assert isinstance(context["charts"]["poverty"]["image"], charts.ChartSpec)  # the caller's context is kept
    assert charts.embed(tpl, {"x": 1}) == {"x": 1}


@pytest.mark.filterwarnings("error")
def test_a_provinces_units_are_drawn_in_panels_on_one_page(config):
    """65 units and the total (a province): two side-by-side panels of 33 rows, 6 mm a row, so the chart is at most
    235 mm high (one A4 page with its caption) where one panel of 10 mm a row would need 688 mm; every unit is
    drawn with its own rate, in order, and the total last. Nine rows (the district) stay one panel of 10 mm a row."""
    assert charts.poverty_layout(9) == (1, 118)
    assert charts.poverty_layout(34) == (1, 200)
    assert charts.poverty_layout(66) == (2, 28 + 6.0 * 33)
    agg = _agg(("valid", "valid", "valid"))
    agg["units"] = [_unit(f"{22000 + i:05d}", f"xã Thử Nghiệm {i}", "valid", 1000 + i, 10 + i % 40, 30)
                    for i in range(65)]
    agg["submissions"] = [{"unit_code": u["unit_code"], "unit_name": u["unit_name"], "status": "valid",
                           "required": True} for u in agg["units"]]
    agg["district"] = {k: sum(u[k] for u in agg["units"]) for k in
                       ("households_total_current", "poor_households_current", "near_poor_households_current")}
    spec = charts.chart_context(agg, config=config, period=config.period("2023-6T"))["poverty"]["image"]
    assert spec.height_mm == 226.0 <= 235
    drawn = spec.draw()
    assert [u["name"] for u in drawn.values["units"]] == [f"Xã Thử Nghiệm {i}" for i in range(65)]
    assert [u["poor_label"] for u in drawn.values["units"][:3]] == ["1%", "1,10%", "1,20%"]
    assert drawn.values["district"]["name"] == "Toàn huyện"
    width, height = _png_size(drawn.png)
    assert height / width == pytest.approx(226 / charts.WIDTH_MM, rel=0.01)
