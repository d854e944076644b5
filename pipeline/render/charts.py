"""The periodic report's charts: PNG images drawn with matplotlib (Agg), embedded with docxtpl's InlineImage.

Three charts, numbered in the order they appear in the report (captions and notes are in the template):

1. ``poverty`` — poverty and near-poverty rates (% of all households) by unit at the cut-off, then the
   district (or the sum of the units with a valid report); a unit without a valid report shows why, never a
   bar of 0;
2. ``year`` — NCC households poor and near-poor (by their status in the roster) at 1 January and at the
   cut-off of each period of the year so far, from the aggregates' ``year`` entry (the same figures as the
   report's table comparing the periods); an earlier period without any valid report is left out, the
   current period is always shown, and the template's note names the periods shown and missing;
3. ``deprivation`` — poor NCC households deprived in each of the 6 dimensions of Decree 07/2021/NĐ-CP
   (Art. 3, clause 1.b; ``dimensions`` in ``config/reference.yaml``); shown only when there is a poor NCC
   household (it is last, so leaving it out renumbers nothing).

The template context (:func:`chart_context`) carries :class:`ChartSpec` objects: data only, cheap to build.
:func:`embed` draws them and turns them into ``InlineImage`` objects once the ``DocxTemplate`` exists
(:func:`pipeline.render.report.render_docx`). Drawing is deterministic: the font is DejaVu Sans as bundled with
matplotlib (every machine with the virtualenv has it, with every Vietnamese letter), fixed size and dpi, no
"Software" or date metadata — the same data give the same PNG bytes. Numbers are in Vietnamese format
(:mod:`pipeline.fmt`); labels are NFC. matplotlib is imported inside the functions that draw.

The words inside the images (legends, axis titles, "chưa nhận báo cáo") are in :data:`LABELS`, read from
``templates/bieu_do.yaml``: an image
cannot take them from the template.
"""

from __future__ import annotations

import io
import logging
import textwrap
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pipeline import fmt
from pipeline.config import PROJECT_ROOT, Config, Period
from pipeline.render.changes import left_out_units
from pipeline.status import UnitStatus
from pipeline.synthesis import capitalise

log = logging.getLogger(__name__)

DPI = 200
FONT_FAMILY = "DejaVu Sans"  # bundled with matplotlib (mpl-data/fonts/ttf); has every Vietnamese letter
FONT_SIZE = 10.5
WIDTH_MM = 160.0  # the body is 165 mm wide (A4, margins 30/15 mm)
NAME_WIDTH = 24  # characters of a unit name on one line of chart 1 (longer names wrap)
PANEL_ROWS = 34  # rows of chart 1 (units and the total) in one panel; more are drawn in side-by-side panels
PANEL_ROW_MM = 6.0  # the height of a row of chart 1 when drawn in panels
COLOURS = {"poor": "#1f4e79", "near_poor": "#e0953a", "deprived": "#1f4e79", "empty": "#808080"}

# The words drawn inside the images.
LABELS_FILE = PROJECT_ROOT / "templates" / "bieu_do.yaml"


def _labels() -> dict[str, str]:
    """The words drawn inside the charts, from ``templates/bieu_do.yaml`` (key → text, NFC)."""
    import yaml

    return {k: unicodedata.normalize("NFC", str(v))
            for k, v in yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8")).items()}


LABELS = _labels()


def nfc(text: str) -> str:
    """``text`` in Unicode NFC (precomposed Vietnamese letters, as the font has them)."""
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class Drawn:
    """A drawn chart: ``png`` (bytes) and ``values``, what was plotted, read back from the drawn bars (bar
    lengths in the chart's unit — % or households — with the labels shown), for checks."""

    png: bytes
    values: dict[str, Any]


@dataclass(frozen=True)
class ChartSpec:
    """A chart to embed: ``kind`` (``poverty``, ``year`` or ``deprivation``), its ``data`` (built by
    :func:`poverty_data`, :func:`year_data`, :func:`deprivation_data`) and its printed size in mm."""

    kind: str
    data: dict[str, Any] = field(hash=False)
    width_mm: float = WIDTH_MM
    height_mm: float = 100.0

    def draw(self) -> Drawn:
        """Draw the chart (PNG). Raises KeyError for an unknown kind."""
        return _DRAWERS[self.kind](self.data, self.width_mm, self.height_mm)


# ---------------------------------------------------------------------------------------------------- data


def poverty_data(agg: dict[str, Any], words: dict[str, str]) -> dict[str, Any]:
    """Data of chart 1 from the aggregates.

    Returns ``{"units": [{"name", "status", "poor_rate", "near_poor_rate"}], "district": {...}}``: names
    capitalised (NFC), rates in % as exact :class:`~decimal.Decimal` (poor or near-poor households at the
    cut-off over all households, from the units' summary sheets), None for a unit without a valid report
    (its ``status`` says why: ``missing``, ``missing_optional``, ``invalid``, ``error``) or with no household
    (``no_households``).
    The district row is named by ``district`` or, when a unit is left out, ``district_partial`` (LABELS).
    """
    required = {s["unit_code"]: s.get("required", True) for s in agg["submissions"]}
    units = []
    for u in agg["units"]:
        valid = u["status"] == UnitStatus.VALID and bool(u["households_total_current"])
        status = u["status"]
        if status == UnitStatus.MISSING and required.get(u["unit_code"]) is False:
            status = "missing_optional"
        elif status == UnitStatus.VALID and not valid:
            status = "no_households"  # a valid report of a unit without households (no rate to draw)
        units.append({
            "name": nfc(capitalise(u["unit_name"])),
            "status": status,
            "poor_rate": fmt.percent(u["poor_households_current"], u["households_total_current"]) if valid else None,
            "near_poor_rate": fmt.percent(u["near_poor_households_current"], u["households_total_current"])
            if valid else None,
        })
    d = agg["district"]
    any_valid = any(u["status"] == UnitStatus.VALID for u in agg["units"]) and bool(d["households_total_current"])
    district = {
        "name": LABELS["district_partial"] if left_out_units(agg) else LABELS["district"].format(**words),
        "status": UnitStatus.VALID if any_valid else "no_data",
        "poor_rate": fmt.percent(d["poor_households_current"], d["households_total_current"]) if any_valid else None,
        "near_poor_rate": fmt.percent(d["near_poor_households_current"], d["households_total_current"])
        if any_valid else None,
    }
    return {"units": units, "district": district}


def deprivation_data(agg: dict[str, Any]) -> dict[str, Any]:
    """Data of chart 3: ``{"base": poor NCC households at the cut-off, "dimensions": [{"label",
    "households"}]}`` in the order of ``dimensions`` in ``config/reference.yaml`` (Decree 07/2021/NĐ-CP); a
    household is deprived in a dimension when it is in any of its indicators (:func:`pipeline.aggregate.tables.
    deprivations`)."""
    depr = agg["deprivations"]
    return {"base": int(depr["base"]),
            "dimensions": [{"label": nfc(x["label"]), "households": int(x["households"])} for x in depr["dimensions"]]}


def _ncc_point(label: str, date: str, figures: dict[str, Any], when: str) -> dict[str, Any]:
    has = bool(figures["has_data"])
    ncc = figures["ncc"]
    return {"label": nfc(label), "date": date, "partial": has and bool(figures.get("left_out")),
            "poor": int(ncc[f"poor_households_{when}"]) if has else None,
            "near_poor": int(ncc[f"near_poor_households_{when}"]) if has else None}


def year_data(agg: dict[str, Any], *, config: Config, period: Period) -> dict[str, Any]:
    """Data of chart 2: NCC households poor and near-poor (roster statuses, :func:`pipeline.aggregate.tables.
    ncc_status`) at 1 January and at the cut-off of each period of the year up to ``period``, from the
    aggregates' ``year`` entry (:func:`pipeline.aggregate.movement.year_figures`) — the same figures as the
    report's table comparing the year's periods. 1 January is taken from the current period, or, when it has
    no valid report, from the latest earlier period that has one. An earlier period without a valid report is
    left out; the current period is always shown (without bars when it has no valid report).

    Returns:
        ``{"points": [{"label", "date", "poor", "near_poor", "partial"}], "shown": [period codes],
        "missing": [period codes of the year before ``period`` left out]}``: counts in households (None: no
        valid report), ``partial`` True when the counts leave out a unit without a valid report.
    """
    by_period = agg["year"]["by_period"]
    kinds = sorted(config.period_kinds, key=lambda k: config.period_kinds[k]["deadline"])
    codes = [f"{period.year}-{k}" for k in kinds[:kinds.index(period.kind) + 1]]
    with_data = [c for c in reversed(codes) if c in by_period and by_period[c]["has_data"]]
    points = [_ncc_point(LABELS["baseline"], fmt.date_vn(period.baseline),
                         by_period[(with_data or [period.code])[0]], "baseline")]
    shown, missing = [], []
    for code in codes:
        p = config.period(code)
        figures = by_period.get(code)
        if code != period.code and (figures is None or not figures["has_data"]):
            missing.append(code)
            continue
        label = capitalise(p.label)
        if p.kind == "CN":  # the annual report's figures are estimates for the full year
            label = LABELS["estimate"].format(label=label)
        points.append(_ncc_point(label, fmt.date_vn(p.cutoff), figures, "current"))
        shown.append(code)
    return {"points": points, "shown": shown, "missing": missing}


def chart_context(agg: dict[str, Any], *, config: Config, period: Period) -> dict[str, Any]:
    """The template variable ``charts`` (see ``templates/README.md``).

    ``{"poverty": {"image"}, "year": {"image", "periods", "missing", "partial"}, "deprivation": {"image",
    "shown"}}``: ``image`` a :class:`ChartSpec` (turned into an image by :func:`embed`); ``periods`` the
    periods shown in chart 2 and ``missing`` the year's earlier periods left out (no valid report), each
    ``[{"label": "6 tháng đầu năm", "cutoff": "30/04/2023"}]``; ``partial`` (bool) whether a
    point of chart 2 leaves out a unit without a valid report (its label is marked "(*)"); ``shown`` (bool)
    whether chart 3 is drawn (some NCC household is poor at the cut-off).
    """
    year = year_data(agg, config=config, period=period)

    def rows(codes: list[str]) -> list[dict[str, str]]:
        return [{"label": p.label, "cutoff": fmt.date_vn(p.cutoff)} for p in map(config.period, codes)]

    n_units = len(agg["units"]) + 1
    depr = deprivation_data(agg)
    return {
        "poverty": {"image": ChartSpec("poverty", poverty_data(agg, config.words(period.cutoff)),
                                       height_mm=poverty_layout(n_units)[1])},
        "year": {"image": ChartSpec("year", year, height_mm=80), "periods": rows(year["shown"]),
                 "missing": rows(year["missing"]), "partial": any(p["partial"] for p in year["points"])},
        "deprivation": {"image": ChartSpec("deprivation", depr, height_mm=72), "shown": depr["base"] > 0},
    }


def embed(tpl: Any, context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with each :class:`ChartSpec` under ``context["charts"]`` drawn and replaced by a docxtpl
    ``InlineImage`` of ``tpl`` (a ``DocxTemplate``) at the chart's width. Other values are left as they are;
    a context without ``charts`` is returned unchanged."""
    charts = context.get("charts")
    if not isinstance(charts, dict):
        return context
    from docx.shared import Mm
    from docxtpl import InlineImage

    def convert(value: Any) -> Any:
        if isinstance(value, ChartSpec):
            return InlineImage(tpl, io.BytesIO(value.draw().png), width=Mm(value.width_mm))
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value

    return {**context, "charts": convert(charts)}


# ------------------------------------------------------------------------------------------------- drawing


def _figure(width_mm: float, height_mm: float):
    """A figure of the printed size (1 pt on the figure = 1 pt on paper), constrained layout, Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _rc():
    import matplotlib

    return matplotlib.rc_context({
        "font.family": FONT_FAMILY, "font.size": FONT_SIZE, "axes.titlesize": FONT_SIZE,
        "axes.labelsize": FONT_SIZE, "xtick.labelsize": FONT_SIZE, "ytick.labelsize": FONT_SIZE,
        "legend.fontsize": FONT_SIZE, "axes.spines.top": False, "axes.spines.right": False,
        "svg.hashsalt": "charts", "axes.unicode_minus": False,
    })


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _pct_tick(value: float, _pos: Any = None) -> str:
    """An axis tick in %: 2 → "2%", 2.5 → "2,5%" (Vietnamese decimal comma)."""
    d = Decimal(str(round(float(value), 6))).normalize()
    exponent = d.as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    return fmt.number(d, places) + "%"


def _int_tick(value: float, _pos: Any = None) -> str:
    return fmt.number(int(round(value)))


def poverty_layout(rows: int) -> tuple[int, float]:
    """(panels, height in mm) of chart 1 for ``rows`` rows (the units and the total): up to
    :data:`PANEL_ROWS` rows one panel, 10 mm a row (at most 200 mm); more (a province's 65 units) side-by-side
    panels of at most :data:`PANEL_ROWS` rows each, :data:`PANEL_ROW_MM` a row in a smaller type, so that the
    chart stays on one page and every name and value is readable."""
    if rows <= PANEL_ROWS:
        return 1, min(28 + 10 * rows, 200)
    panels = -(-rows // PANEL_ROWS)
    return panels, 28 + PANEL_ROW_MM * -(-rows // panels)


def _draw_poverty(data: dict[str, Any], width_mm: float, height_mm: float) -> Drawn:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    rows = [*data["units"], data["district"]]
    panels, _ = poverty_layout(len(rows))
    per = -(-len(rows) // panels)
    small = panels > 1
    size = FONT_SIZE - 3.5 if small else FONT_SIZE
    with _rc():
        fig = _figure(width_mm, height_mm)
        axes = fig.subplots(1, panels, sharex=True, squeeze=False)[0]
        h = 0.36
        top = max([float(r[k]) for r in rows for k in ("poor_rate", "near_poor_rate") if r[k] is not None] or [1])
        values: dict[str, Any] = {"units": [], "district": None}
        bars: dict[str, list[Any]] = {"poor": [], "near_poor": []}
        for p, ax in enumerate(axes):
            chunk = rows[p * per:(p + 1) * per]
            last = p == panels - 1
            # top to bottom; the total apart, under a line, in the last panel
            ys = [per - 1 - i + (-0.35 if last and i == len(chunk) - 1 else 0) for i in range(len(chunk))]
            for y, r in zip(ys, chunk, strict=True):
                if r["poor_rate"] is None:
                    ax.text(top * 0.01, y, LABELS.get(r["status"], LABELS["no_data"]), va="center", ha="left",
                            style="italic", color=COLOURS["empty"], fontsize=size)
                    drawn: dict[str, Any] = {"name": r["name"], "poor_rate": None, "near_poor_rate": None}
                else:
                    drawn = {"name": r["name"]}
                    for key, dy in (("poor", h / 2), ("near_poor", -h / 2)):
                        rate = r[f"{key}_rate"]
                        (bar,) = ax.barh(y + dy, float(rate), height=h, color=COLOURS[key])
                        bars[key].append(bar)
                        ax.text(float(rate) + top * 0.01, y + dy, fmt.pct(rate), va="center", ha="left",
                                fontsize=size - (0.5 if small else 1))
                        drawn[f"{key}_rate"] = float(bar.get_width())
                        drawn[f"{key}_label"] = fmt.pct(rate)
                if r is data["district"]:
                    values["district"] = drawn
                else:
                    values["units"].append(drawn)
            ax.set_yticks(ys, [r["name"] if small else textwrap.fill(r["name"], NAME_WIDTH) for r in chunk],
                          fontsize=size)
            if last:
                ax.get_yticklabels()[-1].set_fontweight("bold")
                ax.axhline(ys[-1] + 0.6, color="#b0b0b0", linewidth=0.6)
            ax.set_ylim(per - 1 - (len(chunk) if last else per) + 0.3 - (0.35 if last else 0), per - 1 + 0.7)
            ax.set_xlim(0, top * (1.3 if small else 1.16))
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4 if small else 6, steps=[1, 2, 2.5, 5, 10]))
            ax.xaxis.set_major_formatter(FuncFormatter(_pct_tick))
            ax.tick_params(axis="y", length=0)
            ax.tick_params(axis="x", labelsize=size)
            ax.grid(axis="x", color="#e0e0e0", linewidth=0.5)
            ax.set_axisbelow(True)
            if not bars["poor"]:
                ax.set_xticks([])  # nothing drawn: no scale
        if small:
            fig.supxlabel(LABELS["rate_axis"], fontsize=FONT_SIZE)
        else:
            axes[0].set_xlabel(LABELS["rate_axis"])
        if bars["poor"]:
            fig.legend([bars["poor"][0], bars["near_poor"][0]], [LABELS["poor_rate"], LABELS["near_poor_rate"]],
                       loc="outside upper center", ncols=2, frameon=False)
        return Drawn(_png(fig), values)


def _draw_year(data: dict[str, Any], width_mm: float, height_mm: float) -> Drawn:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    points = data["points"]
    with _rc():
        fig = _figure(width_mm, height_mm)
        ax = fig.add_subplot()
        w = 0.36
        top = max([p[k] for p in points for k in ("poor", "near_poor") if p[k] is not None] or [1]) or 1
        values = []
        handles = {}
        for x, p in enumerate(points):
            if p["poor"] is None:
                ax.text(x, top * 0.05, LABELS["no_data"], ha="center", va="bottom", style="italic",
                        color=COLOURS["empty"])
                values.append({"label": p["label"], "poor": None, "near_poor": None})
                continue
            drawn = {"label": p["label"]}
            for key, dx in (("poor", -w / 2), ("near_poor", w / 2)):
                (bar,) = ax.bar(x + dx, p[key], width=w, color=COLOURS[key])
                handles[key] = bar
                ax.text(x + dx, p[key] + top * 0.02, fmt.number(p[key]), ha="center", va="bottom")
                drawn[key] = int(bar.get_height())
            values.append(drawn)
        ax.set_xticks(range(len(points)),
                      [f"{p['label']}{' (*)' if p['partial'] else ''}\n({p['date']})" for p in points])
        ax.set_xlim(-0.6, max(len(points), 2) - 0.4)
        ax.set_ylim(0, top * 1.18)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(_int_tick))
        ax.set_ylabel(LABELS["households_axis"])
        ax.tick_params(axis="x", length=0)
        ax.grid(axis="y", color="#e0e0e0", linewidth=0.5)
        ax.set_axisbelow(True)
        keys = [k for k in ("poor", "near_poor") if k in handles]
        if keys:
            fig.legend([handles[k] for k in keys], [LABELS[f"ncc_{k}"] for k in keys], loc="outside upper center",
                       ncols=2, frameon=False)
        return Drawn(_png(fig), {"points": values})


def _draw_deprivation(data: dict[str, Any], width_mm: float, height_mm: float) -> Drawn:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    dims, base = data["dimensions"], data["base"]
    with _rc():
        fig = _figure(width_mm, height_mm)
        ax = fig.add_subplot()
        n = len(dims)
        top = max([base] + [d["households"] for d in dims]) or 1
        values = []
        for i, d in enumerate(dims):
            y = n - 1 - i
            (bar,) = ax.barh(y, d["households"], height=0.6, color=COLOURS["deprived"])
            label = f"{fmt.number(d['households'])} hộ ({fmt.rate(d['households'], base)})" if base else "0"
            ax.text(d["households"] + top * 0.02, y, label, va="center", ha="left", fontsize=FONT_SIZE - 1)
            values.append({"label": d["label"], "households": int(bar.get_width()), "text": label})
        ax.set_yticks([n - 1 - i for i in range(n)], [d["label"] for d in dims])
        ax.axvline(base, color="#808080", linewidth=0.8, linestyle="--")
        ax.set_xlim(0, top * 1.3)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(_int_tick))
        ax.set_xlabel(LABELS["deprived_axis"])
        ax.set_title(LABELS["deprivation_base"].format(n=fmt.number(base)), loc="left", fontsize=FONT_SIZE - 0.5,
                     style="italic", color="#404040")
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x", color="#e0e0e0", linewidth=0.5)
        ax.set_axisbelow(True)
        return Drawn(_png(fig), {"base": base, "dimensions": values})


_DRAWERS = {"poverty": _draw_poverty, "year": _draw_year, "deprivation": _draw_deprivation}
