"""The offices' sample workbooks of 2023 (samples/offices.py) against the communes' samples of the same period,
both read with openpyxl alone: the figures the two sources share reconcile, and every office workbook reads
without a finding."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from pipeline import office_schema as o
from pipeline import schema
from pipeline.read.office import read_office_submission
from samples.offices import generate_offices
from tests.conftest import ROOT


def _table(path, sheet) -> list[dict]:
    """A table of an office workbook as dicts by header, read with openpyxl."""
    ws = load_workbook(path, data_only=True)[sheet]
    headers = [c.value for c in ws[o.HEADER_ROW]]
    return [dict(zip(headers, (c.value for c in row), strict=True))
            for row in ws.iter_rows(min_row=o.HEADER_ROW + 1) if any(c.value is not None for c in row)]


def _commune(path) -> tuple[str, dict, list[dict]]:
    """(code, summary cut-off values by label, roster rows by header) of a commune workbook, with openpyxl."""
    wb = load_workbook(path, data_only=True)
    code = str(wb[schema.SHEET_GENERAL]["B4"].value)
    ws = wb[schema.SHEET_SUMMARY]
    summary = {ws.cell(r, 2).value: ws.cell(r, 5).value for r in range(1, ws.max_row + 1)}
    ws = wb[schema.SHEET_ROSTER]
    headers = [c.value for c in ws[schema.ROSTER_HEADER_ROW]]
    roster = [dict(zip(headers, (c.value for c in row), strict=True))
              for row in ws.iter_rows(min_row=schema.ROSTER_HEADER_ROW + 1) if row[1].value]
    return code, summary, roster


@pytest.mark.parametrize("period", ["2023-6T", "2023-9T", "2023-CN"])
def test_the_offices_samples_reconcile_with_the_communes(config, tmp_path, period):
    """Six offices' workbooks, read without a finding; the bank's borrowers and disbursements per commune are the
    commune's own summary figures and its NCC borrowers the roster's households with a loan; the Front's sponsored
    households and amounts, the centre's trainees and Agriculture's breeding-stock households are the rosters'."""
    communes = ROOT / "samples" / period
    paths = {p.name.split("_")[0]: p for p in generate_offices(config, period, communes, tmp_path)}
    assert sorted(paths) == ["GDNN", "LDTB", "MTTQ", "NHCS", "NN", "VHTT"]
    for path in paths.values():
        assert read_office_submission(path, config).findings == []
    loans = {r["Mã xã"]: r for r in _table(paths["NHCS"], o.SHEET_LOANS)}
    label = {k: schema.INDICATORS_BY_KEY[k].label for k in ("loan_2_households", "loan_2_disbursed_vnd")}
    supports = {office: _table(paths[office], o.SHEET_SUPPORTS) for office in ("MTTQ", "GDNN", "NN")}
    for workbook in sorted(communes.glob("[0-9]*.xlsx")):
        code, summary, roster = _commune(workbook)
        bank = loans[code]
        assert (bank["Số hộ vay"], bank["Doanh số cho vay (đồng)"]) == (
            summary[label["loan_2_households"]], summary[label["loan_2_disbursed_vnd"]])
        assert bank["Trong đó: hộ có người có công"] == sum(
            1 for r in roster if (r["Hỗ trợ: vay vốn ưu đãi (đồng)"] or 0) > 0)
        for office, header in (("MTTQ", "Tổ chức, cá nhân nhận đỡ đầu"), ("GDNN", "Hỗ trợ: đào tạo nghề"),
                               ("NN", "Hỗ trợ: con giống")):
            mine = [r for r in roster if r[header]]
            rows = [r for r in supports[office] if r["Mã xã"] == code]
            assert sum(r["Số hộ"] for r in rows) == len(mine), (office, code)
            assert sum(r["Số người"] for r in rows) == sum(r["Số nhân khẩu"] for r in mine)
            if office == "MTTQ" and rows:
                assert rows[0]["Số tiền (đồng)"] == sum(r["Số tiền đỡ đầu (đồng)"] or 0 for r in mine)


@pytest.mark.parametrize("period", ["2023-6T", "2023-9T", "2023-CN"])
def test_the_committed_office_samples_are_valid(config, period):
    """The six offices' workbooks in samples/<period>/ pass every office suite with no error and no warning, each
    attributed to its office."""
    from pipeline.validate.rules import validate_submission

    paths = sorted((ROOT / "samples" / period).glob("[A-Z]*_co_quan.xlsx"))
    assert [p.name.split("_")[0] for p in paths] == sorted(o.code for o in config.offices)
    for path in paths:
        outcome = validate_submission(path, config=config, period=period)
        assert (outcome.unit_code, outcome.errors, outcome.warnings) == (path.name.split("_")[0], 0, 0), path.name
