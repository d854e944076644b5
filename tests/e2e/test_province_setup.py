"""The second bundled setup: Khánh Hòa province in 2026, its 65 commune-level units reporting to the Sở Nông nghiệp
và Môi trường, on workbooks generated (seeded) as `make demo SETUP=khanh-hoa-2026` generates them.

Slow by nature: one whole run of the pipeline on 65 generated workbooks (about a minute), shared by the module.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline import fmt, schema
from pipeline.config import load_config
from pipeline.units import official_units
from samples.generate import generate_setup
from tests.conftest import ROOT
from tests.helpers import docx_tables, docx_text, drop, find_row, workspace_at

pytestmark = pytest.mark.slow

SETUP = ROOT / "config" / "khanh_hoa_2026.yaml"


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    """(config, generated workbooks, report path) of one run of 2026-6T on the province setup."""
    from pipeline.orchestrator import run_period

    loaded = load_config(SETUP)
    config = dataclasses.replace(loaded, validation={**loaded.validation, "intake_stable_seconds": 0.0},
                                 intake={**loaded.intake, "incomplete_wait_minutes": 0.0})
    root = tmp_path_factory.mktemp("khanh-hoa")
    workbooks = generate_setup(config, "2026-6T", root / "generated")
    drop(workbooks, root / "inbox" / "2026-6T")
    report = Path(run_period(config.period("2026-6T"), config=config, workspace=workspace_at(root)))
    return config, workbooks, report


def test_the_units_are_the_official_list_of_khanh_hoa(province):
    """The setup's 65 units are the pinned package's list for Khánh Hòa from 01/07/2025; the 64 required send a
    workbook, the island zone Trường Sa (only asked) does not."""
    config, workbooks, _ = province
    official = {u.code for u in official_units(dt.date(2026, 4, 30)).values() if u.province == "Khánh Hòa"}
    assert {u.code for u in config.units_on(dt.date(2026, 4, 30))} == official and len(official) == 65
    assert sorted(official - {p.name[:5] for p in workbooks}) == ["22736"] and len(workbooks) == 64


def test_issuer_recipient_and_level_words_are_the_provinces(province):
    """The report is the department's to the province People's Committee, says "toàn tỉnh" and "các xã, phường,
    đặc khu", marks the plan as sample data, and never says "huyện", "thị trấn" or "Phòng"."""
    _, _, report = province
    text = docx_text(report)
    for words in ("UBND TỈNH KHÁNH HÒA", "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "Khánh Hòa, ngày", "toàn tỉnh có",
                  "Ủy ban nhân dân các xã, phường, đặc khu, Sở Nông nghiệp và Môi trường báo cáo",
                  "(dữ liệu mẫu)", "UBND tỉnh (b/c)", "GIÁM ĐỐC"):
        assert words in text, words
    for word in ("huyện", "thị trấn", "Phòng"):
        assert word not in text, word


def test_province_totals_are_the_workbooks_sums(province):
    """The "Toàn tỉnh" row of the table by unit: households and poor households at the cut-off recomputed from the
    65 generated workbooks with openpyxl."""
    _, workbooks, report = province
    households = poor = 0
    for path in workbooks:
        ws = load_workbook(path, data_only=True)[schema.SHEET_SUMMARY]
        labels = {ws.cell(r, 2).value: ws.cell(r, 5).value for r in range(1, ws.max_row + 1)}
        households += labels[schema.INDICATORS_BY_KEY["households_total"].label]
        poor += labels[schema.INDICATORS_BY_KEY["poor_households"].label]
    by_unit = next(t for t in docx_tables(report) if any("Toàn tỉnh" in row for row in t) and len(t) > 60)
    row = find_row(by_unit, "Toàn tỉnh")
    assert row[2:4] == [fmt.number(households), fmt.number(poor)]
    assert row[4] == fmt.pct(fmt.percent(poor, households))
