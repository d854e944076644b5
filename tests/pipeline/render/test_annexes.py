"""The annexes by unit (Biểu 1a–3b), the annex listing NCC households and the same tables as a workbook:
figures checked against counts made here from the units' workbooks themselves."""

from __future__ import annotations

import json
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from pipeline import schema
from tests.helpers import (
    docx_tables,
    docx_text,
    drop,
    edit_roster,
    edit_summary,
    roster_rows,
    summary_cells,
    workspace_at,
)

ROOT = Path(__file__).resolve().parents[3]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
POOR, NEAR = "Nghèo", "Cận nghèo"
SHEETS = ["1a Số liệu 01-01", "1b Số liệu ngày chốt", "2a Biến động hộ nghèo", "2b Biến động cận nghèo",
          "3a Thiếu hụt hộ nghèo", "3b Thiếu hụt cận nghèo", "Danh sách hộ", "Bảng 4 Hỗ trợ", "Bảng 7 Kinh phí"]
HOUSEHOLD_TITLE = "DANH SÁCH HỘ NGHÈO, HỘ CẬN NGHÈO CÓ THÀNH VIÊN LÀ NGƯỜI CÓ CÔNG VỚI CÁCH MẠNG"


@pytest.fixture(scope="module")
def moved(tmp_path_factory, config) -> Path:
    """The plan samples with two changes since 1 January, each with its commune decision: a poor NCC household
    of Ma Nới escaped to near-poor, and a near-poor NCC household of Tân Sơn rose above the near-poor line;
    the summary sheets follow. Run once through the pipeline."""
    from pipeline.orchestrator import run_period

    root = tmp_path_factory.mktemp("annexes")
    inbox = root / "inbox" / "2023-6T"
    drop(sorted((ROOT / "samples" / "2023-6T").glob("*.xlsx")), inbox)
    changes = (("22828_ma_noi.xlsx", POOR, NEAR, "Thoát nghèo",
                (("poor", -1), ("near_poor", 1), ("ncc_poor", -1), ("ncc_near_poor", 1))),
               ("22810_tan_son.xlsx", NEAR, "Mức sống trung bình", "Thoát cận nghèo",
                (("near_poor", -1), ("ncc_near_poor", -1))))
    for name, was, now, kind, deltas in changes:
        path = inbox / name
        household = next(r for r in roster_rows(path) if r["status_current"] == was)
        edit_roster(path, household["household_code"], status_current=now, change_kind=kind,
                    decision_number="45/QĐ-UBND", decision_date="20/04/2023")
        s = summary_cells(path)
        for prefix, delta in deltas:
            edit_summary(path, f"{prefix}_households", current=int(s[f"{prefix}_households"][1]) + delta)
            edit_summary(path, f"{prefix}_persons",
                         current=int(s[f"{prefix}_persons"][1]) + delta * household["members_count"])
    run_period(config.period("2023-6T"), config=config, workspace=workspace_at(root))
    return root


def _paths(root: Path) -> tuple[Path, Path, dict]:
    folder = root / "reports" / "2023" / "6T" / "hien-hanh"
    agg = json.loads((root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    return folder / "bao-cao-2023-6T.docx", folder / "bao-cao-2023-6T-phu-luc.xlsx", agg


def _units(config) -> list:
    return config.units_on(config.period("2023-6T").cutoff)


def _unit_code(path: Path) -> str:
    ws = load_workbook(path, data_only=True)[schema.SHEET_GENERAL]
    return next(schema.choice_code(str(ws.cell(r, 2).value)) for r in range(1, ws.max_row + 1)
                if ws.cell(r, 1).value == "Mã đơn vị (mã hành chính)")  # "22828 – Xã Ma Nới" in today's form


def _inputs(root: Path) -> dict[str, tuple[dict, list[dict]]]:
    """Each unit's summary cells and roster rows, read from the workbooks in the inbox with openpyxl."""
    files = sorted((root / "inbox" / "2023-6T").glob("[0-9]*.xlsx"))  # the communes' (offices' are not annexed)
    return {_unit_code(p): (summary_cells(p), roster_rows(p)) for p in files}


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _pct(num: int, den: int) -> str:
    """A share as an official text writes it, computed here: two decimals, none when whole ("100%")."""
    q = (Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return (str(int(q)) if q == q.to_integral_value() else str(q).replace(".", ",")) + "%"


def _x(value) -> bool:
    return str(value or "").strip().lower() == "x"


def _movement(rows: list[dict], config) -> dict[str, list[int]]:
    """Start (households, persons), decreases, increases, end (households, persons) of poor and near-poor
    households, counted from statuses and kinds of change as typed (other decreases / increases: the kinds
    grouped so in config/reference.yaml, if any)."""
    group = {k["label"]: k.get("group") for k in config.reference["change_kinds"]}

    def hh(rs):
        return [len(rs), sum(int(r["members_count"]) for r in rs)]

    def kind(k, to=None):
        return sum(r["change_kind"] == k and (to is None or to(r["status_current"])) for r in rows)

    def other(g, status):
        return sum(group.get(r["change_kind"]) == g and r["status_baseline" if g == "other_decrease"
                                                             else "status_current"] == status for r in rows)

    poor = (hh([r for r in rows if r["status_baseline"] == POOR])
            + [kind("Thoát nghèo", lambda s: s == NEAR), kind("Thoát nghèo", lambda s: s != NEAR),
               other("other_decrease", POOR), kind("Từ cận nghèo xuống nghèo"), kind("Tái nghèo"),
               kind("Phát sinh nghèo"), other("other_increase", POOR)]
            + hh([r for r in rows if r["status_current"] == POOR]))
    near = (hh([r for r in rows if r["status_baseline"] == NEAR])
            + [kind("Thoát cận nghèo"), kind("Từ cận nghèo xuống nghèo"), other("other_decrease", NEAR),
               kind("Thoát nghèo", lambda s: s == NEAR), kind("Tái cận nghèo"), kind("Phát sinh cận nghèo"),
               other("other_increase", NEAR)]
            + hh([r for r in rows if r["status_current"] == NEAR]))
    return {"poor": poor, "near_poor": near}


def _deprived(rows: list[dict], status: str) -> list[int]:
    now = [r for r in rows if r["status_current"] == status]
    return [len(now)] + [sum(_x(r[k]) for r in now) for k in schema.DEPRIVATION_KEYS]


def _annex_tables(report: Path) -> dict[str, list[list[str]]]:
    """The annex tables of a rendered report by their first header cells."""
    tables = docx_tables(report)
    by_unit = [t for t in tables if "Hộ cận nghèo có người có công" in t[0]]
    movement = [t for t in tables if "Giảm trong kỳ" in t[0]]
    deprivation = [t for t in tables if "Nước sinh hoạt và vệ sinh" in t[0] and "Đơn vị" in t[0]]
    households = [t for t in tables if "Họ và tên chủ hộ" in t[0]]
    assert (len(by_unit), len(movement), len(deprivation), len(households)) == (2, 2, 2, 1)
    return {"units_baseline": by_unit[0], "units_current": by_unit[1], "movement_poor": movement[0],
            "movement_near_poor": movement[1], "deprivation_poor": deprivation[0],
            "deprivation_near_poor": deprivation[1], "households": households[0]}


def _sheet_rows(ws, first: int = 4) -> list[list]:
    return [list(r) for r in ws.iter_rows(min_row=first, max_row=ws.max_row, values_only=True)
            if any(v is not None for v in r)]


def test_figures_by_unit_match_the_summary_sheets(moved, config):
    """Biểu 1a / 1b: one row per configured unit with the summary sheet's figures at 1 January and at the
    cut-off (rates half-up), then the district total; the workbook has the same numbers as numbers."""
    report, workbook, _ = _paths(moved)
    inputs = _inputs(moved)
    tables = _annex_tables(report)
    wb = load_workbook(workbook)
    keys = ("households_total", "poor_households", "poor_persons", "near_poor_households", "near_poor_persons",
            "ncc_poor_households", "ncc_poor_persons", "ncc_near_poor_households", "ncc_near_poor_persons")
    for when, (table, sheet) in enumerate((("units_baseline", SHEETS[0]), ("units_current", SHEETS[1]))):
        rows, xrows = tables[table][2:], _sheet_rows(wb[sheet])
        assert len(rows) == len(xrows) == len(_units(config)) + 1
        totals = dict.fromkeys(keys, 0)
        for i, unit in enumerate(_units(config)):
            s = {k: int(inputs[unit.code][0][k][when]) for k in keys}
            for k in keys:
                totals[k] += s[k]
            name = unit.full_name[:1].upper() + unit.full_name[1:]
            assert rows[i] == [
                str(i + 1), name, _n(s["households_total"]), _n(s["poor_households"]), _n(s["poor_persons"]),
                _pct(s["poor_households"], s["households_total"]), _n(s["near_poor_households"]),
                _n(s["near_poor_persons"]), _pct(s["near_poor_households"], s["households_total"]),
                _n(s["ncc_poor_households"]), _n(s["ncc_poor_persons"]), _n(s["ncc_near_poor_households"]),
                _n(s["ncc_near_poor_persons"])]
            x = xrows[i]
            assert x[:5] == [i + 1, name, s["households_total"], s["poor_households"], s["poor_persons"]]
            assert x[5] == pytest.approx(s["poor_households"] / s["households_total"], abs=1e-6)
            assert x[9:] == [s["ncc_poor_households"], s["ncc_poor_persons"], s["ncc_near_poor_households"],
                             s["ncc_near_poor_persons"]]
        assert rows[-1][1:5] == ["Toàn huyện", _n(totals["households_total"]), _n(totals["poor_households"]),
                                 _n(totals["poor_persons"])]
        assert xrows[-1][1:5] == ["Toàn huyện", totals["households_total"], totals["poor_households"],
                                  totals["poor_persons"]]
    # the plan's figures: 1.551 poor households (6,39%) at 1 January, 1.550 at the cut-off after Ma Nới's change
    assert tables["units_baseline"][-1][3] == "1.551" and tables["units_baseline"][-1][5] == "6,39%"
    assert tables["units_current"][-1][3] == "1.550"


def test_movement_by_unit_counts_the_changes(moved, config):
    """Biểu 2a / 2b: per unit, NCC households poor (near-poor) on 1 January, decreases and increases by kind
    of change, and at the cut-off, as counted from the rosters; start − decreases + increases = end."""
    report, workbook, _ = _paths(moved)
    inputs = _inputs(moved)
    tables = _annex_tables(report)
    wb = load_workbook(workbook)
    for status, table, sheet in (("poor", "movement_poor", SHEETS[2]), ("near_poor", "movement_near_poor",
                                                                        SHEETS[3])):
        rows, xrows = tables[table][2:], _sheet_rows(wb[sheet])
        assert len(rows) == len(xrows) == len(_units(config)) + 1
        total = [0] * 11
        for i, unit in enumerate(_units(config)):
            m = _movement(inputs[unit.code][1], config)[status]
            assert m[0] - sum(m[2:5]) + sum(m[5:9]) == m[9]
            total = [a + b for a, b in zip(total, m, strict=True)]
            assert rows[i][2:] == [_n(v) for v in m]
            assert xrows[i][2:] == m and all(isinstance(v, int) for v in xrows[i][2:])
        assert rows[-1][2:] == [_n(v) for v in total] and xrows[-1][2:] == total
    ma_noi = [u.code for u in _units(config)].index("22828")
    tan_son = [u.code for u in _units(config)].index("22810")
    # Ma Nới: 2 poor on 1 January, one escaped to near-poor, 1 poor now; it joins the near-poor households
    assert tables["movement_poor"][2 + ma_noi][2:] == ["2", "11", "1", "0", "0", "0", "0", "0", "0", "1", "5"]
    assert tables["movement_near_poor"][2 + ma_noi][7] == "1"
    # Tân Sơn: one near-poor household rose above the line
    assert tables["movement_near_poor"][2 + tan_son][4] == "1"


def test_deprivations_by_unit_and_indicator(moved, config):
    """Biểu 3a / 3b: per unit, the poor (near-poor) NCC households at the cut-off and how many are deprived in
    each of the 12 indicators; the total row, and the rate row as a share of the households."""
    report, workbook, _ = _paths(moved)
    inputs = _inputs(moved)
    tables = _annex_tables(report)
    wb = load_workbook(workbook)
    for status, table, sheet in ((POOR, "deprivation_poor", SHEETS[4]), (NEAR, "deprivation_near_poor",
                                                                         SHEETS[5])):
        rows, xrows = tables[table][2:], _sheet_rows(wb[sheet])
        assert len(rows) == len(xrows) == len(_units(config)) + 2  # units, total, rate
        total = [0] * 13
        for i, unit in enumerate(_units(config)):
            d = _deprived(inputs[unit.code][1], status)
            total = [a + b for a, b in zip(total, d, strict=True)]
            assert rows[i][2:] == [_n(v) for v in d]
            assert xrows[i][2:] == d
        assert rows[-2][2:] == [_n(v) for v in total] and xrows[-2][2:] == total
        assert rows[-1][3:] == [_pct(v, total[0]) for v in total[1:]]
        assert xrows[-1][3:] == pytest.approx([v / total[0] for v in total[1:]], abs=1e-6)
    # the one poor NCC household left in Ma Nới is deprived in employment, adult education, housing quality,
    # water, sanitation and information devices (Decree 07/2021 indicators 1, 5, 7, 9, 10, 12)
    assert tables["deprivation_poor"][-2][2:] == ["1", "1", "0", "0", "0", "1", "0", "1", "0", "1", "1", "0", "1"]


SUPPORTS = (("support_loan_vnd", "Vay vốn ưu đãi"), ("support_housing_vnd", "Hỗ trợ nhà ở"),
            ("sponsor_amount_vnd", "Nhận đỡ đầu"), ("support_vocational_training", "Đào tạo nghề"),
            ("support_job_placement", "Giới thiệu việc làm"), ("support_livestock", "Con giống"),
            ("support_health_insurance", "Thẻ BHYT"))


def test_household_list_names_every_poor_or_near_poor_ncc_household(moved, config):
    """The household annex: one row per NCC household poor or near-poor on 1 January or at the cut-off,
    ordered by unit and household code, with its head, village, statuses, change, deprivations and supports;
    the workbook's sheet has the same households with one column per support (amounts in đồng as numbers)."""
    report, workbook, _ = _paths(moved)
    inputs = _inputs(moved)
    names = {u.code: u.full_name[:1].upper() + u.full_name[1:] for u in _units(config)}
    expected = []
    for code in sorted(inputs):
        for r in sorted(inputs[code][1], key=lambda r: r["household_code"]):
            if {r["status_baseline"], r["status_current"]} & {POOR, NEAR}:
                expected.append((code, r))
    rows = _annex_tables(report)["households"][2:]
    xrows = _sheet_rows(load_workbook(workbook)[SHEETS[6]])
    assert len(rows) == len(xrows) == len(expected) == 25
    for i, (code, r) in enumerate(expected):
        deprived = ", ".join(str(n) for n, k in enumerate(schema.DEPRIVATION_KEYS, 1) if _x(r[k]))
        supports = "; ".join(
            f"{label}: {_n(int(r[k]))}" if k.endswith("_vnd") else label
            for k, label in SUPPORTS if (k.endswith("_vnd") and r[k]) or (not k.endswith("_vnd") and _x(r[k])))
        categories = ", ".join(c.strip() for c in str(r["ncc_categories"]).split(";"))
        assert rows[i] == [str(i + 1), names[code], r["household_code"], r["head_name"], r["village"],
                           _n(int(r["members_count"])), categories, r["status_baseline"], r["status_current"],
                           r["change_kind"], deprived, supports]
        assert xrows[i][:11] == [i + 1, names[code], r["household_code"], r["head_name"], r["village"],
                                 int(r["members_count"]), categories, r["status_baseline"], r["status_current"],
                                 r["change_kind"], deprived or None]
        assert xrows[i][11:] == [int(r[k] or 0) if k.endswith("_vnd") else ("x" if _x(r[k]) else None)
                                for k, _ in SUPPORTS]
    escaped = next(row for row in rows if row[9] == "Thoát nghèo")
    assert escaped[1] == "Xã Ma Nới" and escaped[7:9] == ["Nghèo", "Cận nghèo"]


def test_workbook_sheets_headers_and_numbers(moved):
    """One sheet per table with Vietnamese names; bold header rows frozen with the unit column; counts,
    amounts and rates are numbers with number formats; columns have widths; the properties name the office."""
    _, workbook, _ = _paths(moved)
    wb = load_workbook(workbook)
    assert wb.sheetnames == SHEETS  # no annex V before the annual report
    for ws in wb.worksheets[:7]:
        assert ws.freeze_panes == "C4"
        assert ws["A2"].value == "TT" and ws["A2"].font.b and ws["B2"].value == "Đơn vị" and ws["B2"].font.b
        assert all(ws.column_dimensions[c].width >= 6 for c in "ABCDE")
    ws = wb[SHEETS[0]]
    assert ws["A1"].value == "Biểu 1a. Hộ nghèo, hộ cận nghèo theo đơn vị tại ngày 01/01/2023"
    assert ws["C4"].data_type == "n" and ws["C4"].number_format == "#,##0"
    assert ws["F4"].data_type == "n" and ws["F4"].number_format == "0.00%"
    assert wb.properties.creator == "PHÒNG LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI, UBND HUYỆN NINH SƠN"


def test_workbook_bytes_depend_on_the_inputs_only(moved, config):
    """The published workbook equals one built again from aggregates.json later (no clock in the bytes:
    docProps/core.xml and the zip entries carry the report's own time)."""
    from pipeline.render.annexes import build_workbook
    from pipeline.render.report import document_properties

    _, workbook, agg = _paths(moved)
    period = config.period("2023-6T")
    props = document_properties(agg, config=config, period=period)
    first = build_workbook(agg, config=config, period=period, properties=props)
    time.sleep(2.1)  # zip times have a 2-second resolution
    second = build_workbook(agg, config=config, period=period, properties=props)
    assert first == second == workbook.read_bytes()
    assert load_workbook(workbook).properties.created == props["created"].replace(tzinfo=None)


def _sections(report: Path) -> list[tuple[str, dict]]:
    """(text, page size attributes and text width) of each section of the body, in order."""
    import zipfile

    from lxml import etree

    with zipfile.ZipFile(report) as z:
        body = etree.fromstring(z.read("word/document.xml")).find(f"{W}body")
    out, text = [], []

    def close(sect):
        size, margins = sect.find(f"{W}pgSz"), sect.find(f"{W}pgMar")
        width = int(size.get(f"{W}w")) - int(margins.get(f"{W}left")) - int(margins.get(f"{W}right"))
        out.append(("\n".join(text), {"orient": size.get(f"{W}orient"), "w": int(size.get(f"{W}w")),
                                      "h": int(size.get(f"{W}h")), "text_width": width, "tables": list(tables)}))
        text.clear()
        tables.clear()

    tables: list[int] = []
    for child in body:
        if child.tag == f"{W}tbl":
            tables.append(sum(int(g.get(f"{W}w")) for g in child.iter(f"{W}gridCol")))
        text.append("".join(t.text or "" for t in child.iter(f"{W}t")))
        sect = child.find(f"{W}pPr/{W}sectPr") if child.tag == f"{W}p" else None
        if sect is not None:
            close(sect)
        elif child.tag == f"{W}sectPr":
            close(child)
    return out


def test_annexes_are_on_landscape_pages_and_tables_fit(moved):
    """Annexes I, III and IV are landscape sections (w:pgSz w:orient="landscape", wider than high); every
    table of them fits between the margins. The body and annex II stay portrait. (Annex V, each household
    through the year, is the annual report's only.)"""
    report, _, _ = _paths(moved)
    sections = _sections(report)
    by_annex = {}
    for text, props in sections:
        for label in ("Phụ lục IV", "Phụ lục V", "Phụ lục III", "Phụ lục II", "Phụ lục I"):
            if f"\n{label}\n" in f"\n{text}\n" and label not in by_annex:
                by_annex[label] = props
                break
    assert sorted(by_annex) == ["Phụ lục I", "Phụ lục II", "Phụ lục III", "Phụ lục IV"]
    for label in ("Phụ lục I", "Phụ lục III", "Phụ lục IV"):
        p = by_annex[label]
        assert p["orient"] == "landscape" and p["w"] > p["h"], label
        assert p["tables"] and all(w <= p["text_width"] for w in p["tables"]), (label, p)
    assert by_annex["Phụ lục II"]["orient"] in (None, "portrait")
    assert sections[0][1]["w"] < sections[0][1]["h"]
    assert [len(by_annex[x]["tables"]) for x in ("Phụ lục I", "Phụ lục III", "Phụ lục IV")] == [1, 2, 4]


def test_copy_without_the_household_annex(moved, config, tmp_path):
    """include_household_annex=False: no household list, title or head's name, no empty page (one section
    fewer), a line saying annex I is left out; the other annexes are there with the same figures."""
    from pipeline.render.report import build_context, render_docx

    report, _, agg = _paths(moved)
    period = config.period("2023-6T")
    context = build_context(agg, config=config, period=period, include_household_annex=False)
    assert context["annexes"]["households"] == []
    copy = render_docx(context, tmp_path / "copy.docx")
    text, full = docx_text(copy), docx_text(report)
    assert HOUSEHOLD_TITLE in full and HOUSEHOLD_TITLE not in text
    heads = [h["head_name"] for h in agg["ncc_households"]]
    assert heads and all(h in full for h in heads) and not [h for h in heads if h in text]
    assert "Phụ lục I có thông tin cá nhân của các hộ (Nghị định 13/2023/NĐ-CP) nên không gửi kèm bản này." in text
    assert "Phụ lục I có thông tin cá nhân" not in full
    assert len(Document(str(copy)).sections) == len(Document(str(report)).sections) - 1
    tables = docx_tables(copy)
    assert not [t for t in tables if "Họ và tên chủ hộ" in t[0]]
    kept = _annex_tables(report)
    assert [t for t in tables if "Giảm trong kỳ" in t[0]] == [kept["movement_poor"], kept["movement_near_poor"]]


def test_units_without_a_valid_report(test_set, config, tmp_path):
    """Missing units and an invalid one keep their rows with "-" (empty cells in the workbook); the total row
    says it adds up the valid units and a note names the others."""
    from pipeline.orchestrator import run_period
    from samples.generate import INVALID_UNIT, MISSING_UNIT

    # the invalid unit's file and two valid ones: the missing unit and the five not sent are left out alike
    invalid, *valid = sorted(test_set.glob("*.xlsx"), key=lambda p: p.name[:5] != INVALID_UNIT)
    drop([invalid, *valid[:2]], tmp_path / "inbox" / "2023-6T")
    run_period(config.period("2023-6T"), config=config, workspace=workspace_at(tmp_path))
    report, workbook, agg = _paths(tmp_path)
    status = {s["unit_code"]: s["status"] for s in agg["submissions"]}
    assert (status[INVALID_UNIT], status[MISSING_UNIT]) == ("invalid", "missing")
    assert sorted(c for c, st in status.items() if st == "valid") == sorted(_unit_code(p) for p in valid[:2])
    codes = [u.code for u in _units(config)]
    tables = _annex_tables(report)
    wb = load_workbook(workbook)
    for table, sheet in (("units_current", SHEETS[1]), ("movement_poor", SHEETS[2]),
                         ("deprivation_near_poor", SHEETS[5])):
        rows, xrows = tables[table][2:], _sheet_rows(wb[sheet])
        for code in (MISSING_UNIT, INVALID_UNIT):
            i = codes.index(code)
            assert set(rows[i][2:]) == {"-"} and set(xrows[i][2:]) == {None}
        total = rows[len(codes)]
        assert total[1] == "Cộng các đơn vị hợp lệ" and xrows[len(codes)][1] == "Cộng các đơn vị hợp lệ"
    lacking = ", ".join(s["unit_name"] for s in agg["submissions"] if s["status"] != "valid")
    assert f"Số liệu cộng chưa gồm: {lacking} (chưa có báo cáo hợp lệ)." in docx_text(report)
    d = agg["district"]
    assert tables["units_current"][len(codes) + 2][3] == _n(d["poor_households_current"])


def test_workbook_wording_is_the_templates():
    """The annexes' titles and column headers the workbook takes from templates/phu_luc.yaml are those of the
    report template (the .docx is edited in Word: a header changed there and not in the YAML, or the reverse,
    fails here)."""
    from pipeline.render.annexes import labels
    from pipeline.render.report import TEMPLATE, document_text

    text = " ".join(document_text(TEMPLATE).split())
    words = labels()
    expected = [a["title"] for a in words["annexes"].values()] + [a["label"] for a in words["annexes"].values()]
    for table in words["tables"].values():
        expected += [cell for row in table["header"] for cell, _span in row if cell]
    expected = [w.replace("{year}", "{{ period.year }}") for w in expected]
    missing = sorted({" ".join(w.split()) for w in expected if " ".join(w.split()) not in text})
    assert missing == []
