"""Poverty standards: only an implemented rule is applied, and a period without one says so."""

from __future__ import annotations

import shutil
from pathlib import Path

from openpyxl import load_workbook

from pipeline import schema
from pipeline.findings import ERROR, WARNING
from pipeline.read.reader import read_submission
from pipeline.validate.rules import STANDARD_RULES, History, validate_submission

ROOT = Path(__file__).resolve().parents[3]
MA_NOI = ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx"


def _as_period(tmp_path: Path, code: str) -> Path:
    """The Ma Nới sample relabelled as period ``code`` (field "Kỳ báo cáo")."""
    path = tmp_path / f"22828_{code}.xlsx"
    shutil.copyfile(MA_NOI, path)
    wb = load_workbook(path)
    ws = wb[schema.SHEET_GENERAL]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Kỳ báo cáo")
    ws.cell(row, 2, code)
    wb.save(path)
    return path


def test_every_configurable_rule_is_implemented():
    """The rules configuration may name are exactly those validation implements."""
    assert set(STANDARD_RULES) == set(schema.POVERTY_RULES) == {"decree-07-2021"}
    assert schema.POVERTY_RULES["decree-07-2021"].indicators == schema.DEPRIVATION_KEYS
    assert len(schema.DEPRIVATION_KEYS) == 12


def test_period_without_standard_says_so(config, tmp_path):
    """2021-CN has no standard the workbook can be checked against: one Vietnamese warning, no comparison."""
    outcome = validate_submission(_as_period(tmp_path, "2021-CN"), config=config, period="2021-CN")
    standard = [f for f in outcome.findings if f.rule == "standard"]
    assert len(standard) == 1
    f = standard[0]
    assert (f.severity, f.sheet, f.row, f.column, f.value) == (WARNING, schema.SHEET_ROSTER, None,
                                                               "Phân loại tại ngày chốt", "")
    assert f.message.startswith("Kỳ 2021-CN (ngày chốt 31/10/2021): chưa đối chiếu phân loại hộ với chuẩn nghèo. "
                                "Không có chuẩn nghèo nào được cấu hình cho ngày 31/10/2021.")
    assert "Quyết định 59/2015/QĐ-TTg, 10 chỉ số thiếu hụt" in f.message
    assert not [x for x in outcome.findings if "theo chuẩn" in x.message]


def test_period_with_standard_has_no_such_warning(config, tmp_path):
    """2023-6T is checked against Decree 07/2021: no 'no standard' warning."""
    outcome = validate_submission(MA_NOI, config=config, period="2023-6T")
    assert outcome.errors == 0
    assert not [f for f in outcome.findings if f.rule == "standard"]


def test_first_period_of_2022_compares_with_2021(config, tmp_path):
    """2022-6T is checked against Decree 07/2021 and compared with a 2021-CN submission (outliers) without
    needing a 2021 standard; continuity applies only within a year."""
    previous = read_submission(_as_period(tmp_path, "2021-CN"), config)
    history = History(previous=previous, previous_period="2021-CN", same_year=False, accepted={})
    outcome = validate_submission(_as_period(tmp_path, "2022-6T"), config=config, period="2022-6T",
                                  history=history)
    assert not [f for f in outcome.findings if f.rule == "standard"]
    assert not [f for f in outcome.findings if f.severity == ERROR and f.sheet == schema.SHEET_GENERAL]
    assert config.standard_on(config.period("2022-6T").cutoff).id == "07/2021/NĐ-CP"
