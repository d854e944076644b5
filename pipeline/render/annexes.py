"""The report's annex tables by unit and the annex listing NCC households, for the report and as a workbook.

From ``aggregates.json`` alone (:func:`pipeline.aggregate.tables.aggregate`'s ``units``, ``district``,
``submissions``, ``ncc_by_unit`` and ``ncc_households``), this module builds:

* the template context of the annexes (:func:`annex_context`, the report's ``annexes`` variable): rows of
  formatted figures (Babel ``vi``, half-up, :mod:`pipeline.fmt`) for
  - Biểu 1a / 1b: households, poor and near-poor households (households, persons, rates), NCC poor and
    near-poor households, per unit and for the district, at 1 January and at the cut-off;
  - Biểu 2a / 2b: movement of poor / near-poor NCC households per unit (start − decreases + increases =
    end, households; start and end also in persons), in the shape of the movement table of Circular
    07/2021/TT-BLĐTBXH's appendix of report forms;
  - Biểu 3a / 3b: poor / near-poor NCC households deprived in each of the 12 indicators of Decree
    07/2021/NĐ-CP per unit, with the district's total and its rate;
  - the list of poor and near-poor NCC households (personal data, Decree 13/2023/NĐ-CP: the annex can be
    left out of a copy with ``include_household_annex=False``);
* the same tables as an .xlsx workbook beside the report (:func:`write_workbook`): one sheet per table,
  numbers as numbers, deterministic bytes for the same aggregates.

Fixed wording (annex and table titles, sheet names, column headers, support labels) is read from
``templates/phu_luc.yaml``, which the report template's builder also writes into the template; this module
holds none.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline import fmt, schema
from pipeline.aggregate.movement import TERMS as MOVEMENT_TERMS
from pipeline.config import PROJECT_ROOT, Config, Period
from pipeline.files import ensure_dir, private_modes
from pipeline.paths import annex_workbook_staging_path
from pipeline.render.changes import left_out_units
from pipeline.status import UnitStatus
from pipeline.synthesis import capitalise

LABELS = PROJECT_ROOT / "templates" / "phu_luc.yaml"
UNIT_TABLES = ("units_baseline", "units_current")
MOVEMENT_TABLES = ("movement_poor", "movement_near_poor")
DEPRIVATION_TABLES = ("deprivation_poor", "deprivation_near_poor")
# the movement columns of Biểu 2a / 2b (templates/phu_luc.yaml): decreases then increases, in the order of
# pipeline.aggregate.tables.MOVEMENT_TERMS
MOVEMENT_COLUMNS = ("out_1", "out_2", "out_3", "in_1", "in_2", "in_3", "in_4")


class Rate:
    """A share kept as its numerator and denominator, so that it is rounded once (half-up) when shown."""

    def __init__(self, numerator: int | None, denominator: int | None) -> None:
        self.numerator, self.denominator = numerator, denominator

    def value(self) -> float | None:
        """The share as a fraction (0.0639 for 6,39%), rounded half-up to 6 decimals; None without data."""
        if self.numerator is None or not self.denominator:
            return None
        return float(fmt.half_up(Decimal(self.numerator) / Decimal(self.denominator), 6))

    def text(self) -> str:
        """The share as report text, "6,39%" (``-`` without data)."""
        return fmt.rate(self.numerator, self.denominator)


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Any]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    tables = {t["id"]: dict(t) for t in data["tables"]}
    for t in tables.values():
        if "same_as" in t:
            base = tables[t["same_as"]]
            t.setdefault("header", base["header"])
            t.setdefault("columns", base["columns"])
        if "same_columns" in t:
            t["columns"] = tables[t["same_columns"]]["columns"]
    data["tables"] = tables
    return data


def labels(path: Path = LABELS) -> dict[str, Any]:
    """The annexes' fixed wording from ``templates/phu_luc.yaml``: ``annexes`` (label and title of each
    annex), ``tables`` (id → ``sheet``, ``title``, ``header`` rows of [text, span], ``columns`` of
    {key, kind, width cm}), ``supports`` (key, label, kind), and the total, rate-row and note texts.

    Raises:
        FileNotFoundError, yaml.YAMLError, KeyError: the file is missing or malformed.
    """
    return _load(Path(path))


def setup_labels(config: Config, on: dt.date | None, path: Path = LABELS) -> dict[str, Any]:
    """:func:`labels` with the setup's words on the day ``on`` (a period's cut-off) put into the total row's
    text (``{whole_area_start}``: "Toàn huyện" or "Toàn tỉnh", from ``wording:`` in the configuration)."""
    words = labels(path)
    return {**words, "total": words["total"].format(**config.words(on))}


def left_out(agg: dict[str, Any]) -> list[str]:
    """Names of the units the district totals leave out (``coverage`` of the aggregates,
    :func:`pipeline.render.changes.left_out_units`), in configuration order."""
    return [u["unit_name"] for u in left_out_units(agg)]


def _unit_rows(agg: dict[str, Any], when: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    def figures(u: dict[str, Any]) -> dict[str, Any]:
        total = u[f"households_total_{when}"]
        return {
            "households": total,
            "poor": u[f"poor_households_{when}"], "poor_persons": u[f"poor_persons_{when}"],
            "poor_rate": Rate(u[f"poor_households_{when}"], total),
            "near_poor": u[f"near_poor_households_{when}"], "near_poor_persons": u[f"near_poor_persons_{when}"],
            "near_poor_rate": Rate(u[f"near_poor_households_{when}"], total),
            "ncc_poor": u[f"ncc_poor_households_{when}"], "ncc_poor_persons": u[f"ncc_poor_persons_{when}"],
            "ncc_near_poor": u[f"ncc_near_poor_households_{when}"],
            "ncc_near_poor_persons": u[f"ncc_near_poor_persons_{when}"],
        }

    rows = []
    for i, u in enumerate(agg["units"], start=1):
        valid = u["status"] == UnitStatus.VALID
        row = figures(u) if valid else dict.fromkeys(figures(u))  # no figures for a unit without a valid version
        rows.append({"no": str(i), "name": capitalise(u["unit_name"]), **row})
    return rows, figures(agg["district"])


def _sum(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, int]:
    return {k: sum(r[k] for r in rows if r[k] is not None) for k in keys}


def _movement_rows(agg: dict[str, Any], table: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    status = table.removeprefix("movement_")
    keys = MOVEMENT_TERMS[status]
    columns = ("start", "start_persons", *MOVEMENT_COLUMNS, "end", "end_persons")
    rows = []
    for i, u in enumerate(agg["ncc_by_unit"], start=1):
        m = u.get(status)
        values = dict.fromkeys(columns) if m is None else {
            "start": m["start"], "start_persons": m["start_persons"],
            **{col: m[key] for col, key in zip(MOVEMENT_COLUMNS, keys, strict=True)},
            "end": m["end"], "end_persons": m["end_persons"],
        }
        rows.append({"no": str(i), "name": capitalise(u["unit_name"]), **values})
    return rows, _sum(rows, columns)


def _deprivation_rows(agg: dict[str, Any], table: str) -> tuple[list[dict[str, Any]], dict[str, Any],
                                                                  dict[str, Any]]:
    status = "poor" if table == "deprivation_poor" else "near_poor"
    columns = ("base", *schema.DEPRIVATION_KEYS)
    rows = []
    for i, u in enumerate(agg["ncc_by_unit"], start=1):
        m = u.get(status)
        values = dict.fromkeys(columns) if m is None else {"base": m["end"], **m["deprivations"]}
        rows.append({"no": str(i), "name": capitalise(u["unit_name"]), **values})
    total = _sum(rows, columns)
    rate = {"base": None, **{k: Rate(total[k], total["base"]) for k in schema.DEPRIVATION_KEYS}}
    return rows, total, rate


def _household_rows(agg: dict[str, Any], config: Config, words: dict[str, Any]) -> list[dict[str, Any]]:
    statuses = {k["code"]: k["label"] for k in config.reference["statuses"]}
    changes = {k["code"]: k["label"] for k in config.reference["change_kinds"]}
    rows = []
    for i, h in enumerate(agg.get("ncc_households", []), start=1):
        got = h["supports"]
        rows.append({
            "no": str(i), "unit_name": capitalise(h["unit_name"]), "household_code": h["household_code"],
            "head_name": h["head_name"], "village": h["village"], "members": h.get("members", 0),
            "ncc_categories": ", ".join(h.get("ncc_categories", [])),
            "status_baseline": statuses.get(h["status_baseline"], h["status_baseline"] or ""),
            "status_current": statuses.get(h["status_current"], h["status_current"] or ""),
            "change": changes.get(h["change_kind"], h["change_kind"]),
            "deprived": ", ".join(str(int(k[1:])) for k in h["deprived"]),
            **{s["key"]: (got.get(s["key"]) or 0) if s["kind"] == "vnd" else bool(got.get(s["key"]))
               for s in words["supports"]},
        })
    return rows


def _support_rows(agg: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"no": str(i), "name": s["label"], "households": s["households"], "amount": s["amount_vnd"]}
            for i, s in enumerate(agg.get("supports", []), start=1)]


def _fund_rows(agg: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    funds = agg.get("funds") or {"sources": [], "total_vnd": 0}
    rows = [{"number": f"({s['number']})", "name": s["label"], "amount": s["amount_vnd"]} for s in funds["sources"]]
    return rows, {"number": None, "amount": funds["total_vnd"]}


def _trajectory_rows(agg: dict[str, Any], config: Config, period: Period) -> list[dict[str, Any]]:
    from pipeline.aggregate.movement import context as movement_context

    out = []
    for r in movement_context(agg, config=config, period=period)["trajectory"]:
        statuses = list(r["statuses"]) + ["-"] * (3 - len(r["statuses"]))
        out.append({
            "no": r["no"], "unit_name": r["unit_name"], "household_code": r["household_code"],
            "head_name": r["head_name"], "baseline": r["baseline"],
            "status_1": statuses[0], "status_2": statuses[1], "status_3": statuses[2],
            "deprived": r["deprived"], "supports": r["supports"],
            "decisions": "; ".join(f"{d['kind']} (kỳ {d['period']}): Quyết định số {d['number']} ngày {d['date']}"
                                   for d in r["decisions"]),
        })
    return out


def annex_tables(agg: dict[str, Any], *, config: Config, on: dt.date | None = None,
                 period: Period | None = None) -> dict[str, Any]:
    """The annexes' tables with raw values (ints, :class:`Rate`, text; None where a unit has no valid version).

    Returns ``{table id: {"rows": [dict], "total": dict | None, "rate": dict | None}}`` for the ids of
    ``templates/phu_luc.yaml`` (``units_baseline``, ``units_current``, ``movement_poor``,
    ``movement_near_poor``, ``deprivation_poor``, ``deprivation_near_poor``, ``households``, and the body's
    ``supports`` (Bảng 4) and ``funds`` (Bảng 7); with ``period``, ``trajectory``: each NCC household through
    the year's periods, annex V). Row keys are
    the table's column keys; household rows carry one key per support instead of ``supports`` (đồng for
    amounts, bool for the others). Totals are the district's (the sums over valid units), named in the setup's
    words on ``on`` (the period's cut-off).
    """
    words = setup_labels(config, on)
    out: dict[str, Any] = {}
    for table, when in zip(UNIT_TABLES, ("baseline", "current"), strict=True):
        rows, total = _unit_rows(agg, when)
        out[table] = {"rows": rows, "total": total, "rate": None}
    for table in MOVEMENT_TABLES:
        rows, total = _movement_rows(agg, table)
        out[table] = {"rows": rows, "total": total, "rate": None}
    for table in DEPRIVATION_TABLES:
        rows, total, rate = _deprivation_rows(agg, table)
        out[table] = {"rows": rows, "total": total, "rate": rate}
    out["households"] = {"rows": _household_rows(agg, config, words), "total": None, "rate": None}
    out["supports"] = {"rows": _support_rows(agg), "total": None, "rate": None}
    rows, total = _fund_rows(agg)
    out["funds"] = {"rows": rows, "total": total, "rate": None}
    if period is not None:
        out["trajectory"] = {"rows": _trajectory_rows(agg, config, period), "total": None, "rate": None}
    return out


def _shown(value: Any) -> str:
    if isinstance(value, Rate):
        return value.text()
    if isinstance(value, bool):
        return "x" if value else ""
    if isinstance(value, int):
        return fmt.number(value)
    return "-" if value is None else str(value)


def _supports_text(row: dict[str, Any], words: dict[str, Any]) -> str:
    parts = []
    for s in words["supports"]:
        value = row[s["key"]]
        if s["kind"] == "vnd" and value:
            parts.append(f"{s['label']}: {fmt.number(value)}")
        elif s["kind"] == "flag" and value:
            parts.append(s["label"])
    return "; ".join(parts)


def legends(agg: dict[str, Any], *, config: Config, period: Period) -> dict[str, str]:
    """The keys of Phụ lục I's columns of codes: ``legend_standard`` (the source of the period's poverty
    standard, "Nghị định 07/2021/NĐ-CP, Điều 3"), ``legend_indicators`` ("1. Việc làm; 2. Người phụ thuộc
    trong hộ gia đình; …": the deprivation indicators by number) and ``legend_categories`` (the NCC
    categories the listed households have, by letter: "g: Thương binh, …; tn: Thân nhân …"; "" when none)."""
    try:
        source = config.standard_on(period.cutoff).source.split(" (", 1)[0]  # the decree and article alone
    except Exception:  # a period no standard covers: the indicators are still decree 07's (the form's columns)
        source = ""
    indicators = "; ".join(f"{int(i['code'][1:])}. {i['label']}" for i in config.reference["indicators"])
    present = {c for h in agg.get("ncc_households", []) for c in h.get("ncc_categories", [])}
    categories = "; ".join(f"{c['code']}: {c['label']}" for c in config.reference["ncc_categories"]
                           if c["code"] in present)
    return {"legend_standard": source, "legend_indicators": indicators, "legend_categories": categories}


def annex_context(agg: dict[str, Any], *, config: Config, period: Period,
                  include_household_annex: bool = True) -> dict[str, Any]:
    """The report template's ``annexes`` variable.

    Keys: ``include_household_annex`` (bool: the annex listing households is rendered; False for a copy
    without personal data), ``left_out`` (the names of the units the totals leave out, joined by ", "; ""
    when none), one entry per table of :func:`annex_tables` with ``rows`` (dicts of formatted strings:
    "1.551", "6,39%", "-" without data), ``total`` and ``rate`` (dicts or None); and ``households``, the
    rows of the household list (with ``supports`` as one text, "Vay vốn ưu đãi: 30.000.000; Đào tạo nghề";
    empty when ``include_household_annex`` is False, so that no name reaches the template).
    """
    words = setup_labels(config, period.cutoff)
    tables = annex_tables(agg, config=config, on=period.cutoff)
    out: dict[str, Any] = {"include_household_annex": include_household_annex,
                           "left_out": ", ".join(left_out(agg)),
                           **legends(agg, config=config, period=period)}
    for table, data in tables.items():
        if table in ("households", "supports", "funds", "trajectory"):  # the body's tables and annex V: elsewhere
            continue
        out[table] = {
            "rows": [{k: _shown(v) for k, v in r.items()} for r in data["rows"]],
            "total": {k: _shown(v) for k, v in data["total"].items()} if data["total"] else None,
            "rate": {k: ("" if v is None else _shown(v)) for k, v in data["rate"].items()} if data["rate"] else None,
        }
    out["households"] = [
        {**{k: v for k, v in r.items() if k not in {s["key"] for s in words["supports"]}},
         "supports": _supports_text(r, words)}
        for r in tables["households"]["rows"]
    ] if include_household_annex else []
    return out


# --- The workbook ----------------------------------------------------------------------------------------

_NUMBER_FORMATS = {"count": "#,##0", "vnd": "#,##0", "rate": "0.00%"}


def _title(text: str, period: Period, estimate: str = "") -> str:
    """A sheet's title with its year and cut-off; ``estimate`` appended in the annual report (its figures
    are estimates for the full year)."""
    title = " ".join(text.split()).format(year=period.year, cutoff=fmt.date_vn(period.cutoff))
    return title + estimate if period.kind == "CN" else title


def _workbook_columns(table: dict[str, Any], words: dict[str, Any]) -> tuple[list[list[tuple[str, int]]],
                                                                           list[dict[str, Any]]]:
    """Header rows and columns of a sheet: the report's, except that the household list's one "supports"
    column becomes one column per support (amounts in đồng, flags as "x")."""
    header = [[(str(text), int(span)) for text, span in row] for row in table["header"]]
    columns = list(table["columns"])
    if table["id"] != "households":
        return header, columns
    at = next(i for i, c in enumerate(columns) if c["key"] == "supports")
    extra = [{"key": s["key"], "kind": s["kind"], "width": 2.6} for s in words["supports"]]
    columns[at:at + 1] = extra
    top, bottom = header
    col = 0
    for i, (_, span) in enumerate(top):
        if col == at:
            top[i:i + 1] = [(top[i][0], len(extra))]
            break
        col += span
    bottom[at:at + 1] = [(s["label"] + (" (đồng)" if s["kind"] == "vnd" else ""), 1) for s in words["supports"]]
    return header, columns


def _cell_value(key: str, value: Any, kind: str) -> Any:
    if isinstance(value, Rate):
        return value.value()
    if kind == "flag":
        return "x" if value else None
    if kind in ("count", "vnd") or value is None:
        return value  # int or None
    return int(value) if key == "no" else (str(value) or None)  # the row number as a number; codes stay text


def _write_sheet(ws: Any, table: dict[str, Any], data: dict[str, Any], words: dict[str, Any], period: Period,
                 note: str) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    header, columns = _workbook_columns(table, words)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    bold = Font(bold=True)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    estimate = "" if table.get("baseline_only") else words.get("estimate", "")
    ws.cell(1, 1, _title(table["title"], period, estimate)).font = Font(bold=True, size=12)
    first = 2
    for r, spec in enumerate(header):
        col = 1
        for text, span in spec:
            if text:
                ws.cell(first + r, col, text)
            if span > 1:
                ws.merge_cells(start_row=first + r, start_column=col, end_row=first + r, end_column=col + span - 1)
            col += span
    if len(header) == 2:  # one cell over both header rows where the second row is blank
        for j, (text, _) in enumerate(header[1], start=1):
            if not text and ws.cell(first, j).value:
                ws.merge_cells(start_row=first, start_column=j, end_row=first + 1, end_column=j)
    for r in range(first, first + len(header)):
        for j in range(1, len(columns) + 1):
            cell = ws.cell(r, j)
            cell.font, cell.alignment, cell.border = bold, centre, box
    row_no = first + len(header)
    ws.freeze_panes = ws.cell(row_no, 3)
    extra_rows = []
    if data["total"] is not None:
        label = table.get("total") or (words["total_partial"] if note else words["total"])
        extra_rows.append({**data["total"], "no": None, "name": label})
    if data["rate"] is not None:
        extra_rows.append({**data["rate"], "no": None, "name": words["rate_row"]})
    for k, record in enumerate([*data["rows"], *extra_rows]):
        is_extra = k >= len(data["rows"])
        for j, c in enumerate(columns, start=1):
            kind = "rate" if isinstance(record.get(c["key"]), Rate) else c["kind"]
            cell = ws.cell(row_no, j, _cell_value(c["key"], record.get(c["key"]), kind))
            cell.border = box
            if kind in _NUMBER_FORMATS:
                cell.number_format = _NUMBER_FORMATS[kind]
            if is_extra:
                cell.font = bold
            if kind == "flag":
                cell.alignment = Alignment(horizontal="center")
        row_no += 1
    if note:
        ws.cell(row_no + 1, 1, note).font = Font(italic=True)
    for j, c in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(6.0, round(float(c["width"]) * 5.0, 1))
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{first}:{first + len(header) - 1}"


def build_workbook(agg: dict[str, Any], *, config: Config, period: Period, properties: dict[str, Any],
                   include_households: bool = True) -> bytes:
    """The annex tables as .xlsx bytes: one sheet per table of ``templates/phu_luc.yaml`` (its sheet name),
    a title row, bold header rows frozen with the unit column, counts and amounts as numbers (``#,##0``),
    rates as fractions shown ``0.00%``, a bold total row (and the rate row of Biểu 3a/3b), column widths
    set, A4 landscape.

    ``properties`` are :func:`pipeline.render.report.document_properties` (author, title, created = modified):
    the same aggregates give the same bytes (the zip entries are stamped with ``created`` too).
    ``include_households`` False leaves out the sheet listing households (names: personal data).
    """
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    words = setup_labels(config, period.cutoff)
    tables = annex_tables(agg, config=config, on=period.cutoff, period=period)
    names = left_out(agg)
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    for table_id, table in words["tables"].items():
        if (table_id == "households" or table.get("personal")) and not include_households:
            continue
        if table.get("annual_only") and period.kind != "CN":
            continue
        data = tables[table_id]
        if table_id == "households":
            note = "" if data["rows"] else " ".join((words["empty_households_partial"] if names
                                                    else words["empty_households"]).split())
            note = note.format(units=", ".join(names))
        else:
            note = words["partial_note"].format(units=", ".join(names)) if names else ""
        _write_sheet(wb.create_sheet(table["sheet"]), table, data, words, period, note)
    stamp = properties["created"].astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    p = wb.properties
    p.creator = properties.get("author") or ""
    p.lastModifiedBy = properties.get("last_modified_by") or ""
    p.title = properties.get("title") or ""
    p.subject = properties.get("subject") or ""
    p.keywords = properties.get("keywords") or ""
    p.language = properties.get("language") or None
    p.created = p.modified = stamp
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()  # not save_workbook: it stamps "modified" with the clock
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():  # the zip entries' times from the stamp, not the clock
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def stage_workbook(agg: dict[str, Any], *, config: Config, period: Period, properties: dict[str, Any],
                   root: Path) -> Path:
    """Write the annex workbook to ``work/<period>/staging/`` (owner-only: it lists households); returns its
    path. Nothing is published."""
    staged = annex_workbook_staging_path(period, root)
    ensure_dir(staged.parent, private=True)
    staged.unlink(missing_ok=True)
    staged.write_bytes(build_workbook(agg, config=config, period=period, properties=properties))
    staged.chmod(private_modes()[0])
    return staged
