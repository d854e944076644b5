"""The offices' frames and their validation: derived columns from the configuration, and a broken office workbook
refused with findings naming sheet, row, column, value and fix, as a commune's."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
from openpyxl import load_workbook

from pipeline import office_schema as o
from pipeline.findings import ERROR
from pipeline.read.office import OfficeSubmission
from pipeline.validate.office import build_office_frames
from pipeline.validate.rules import validate_submission
from tests.conftest import ROOT


def _sub(**tables: list[dict]) -> OfficeSubmission:
    sub = OfficeSubmission(path=ROOT / "x.xlsx", sha256="0" * 64)
    sub.general = {"office_code": "LDTB", "office_name": "Phòng Lao động - Thương binh và Xã hội",
                   "period": "2023-6T", "preparer": "An", "phone": None, "prepared_on": None}
    sub.general_rows = {"office_code": 4, "office_name": 5, "period": 6}
    for key, (_sheet, fields, _h) in o.TABLES.items():
        rows = [{"no": i, **{f.key: None for f in fields if f.key != "no"}, **r, "excel_row": 5 + i}
                for i, r in enumerate(tables.get(key, []))]
        sub.tables[key] = pd.DataFrame(rows, columns=[f.key for f in fields] + ["excel_row"])
    return sub


def test_derived_columns_follow_the_configuration(config):
    """Tasks of plan.tasks, the fund sources and the kinds of support are known by code; an activity with no figure
    has no result; a document dated after the cut-off or in another year is out of the period; empty sheets give
    no frame."""
    sub = _sub(activities=[{"task": "IV.1", "activity": "Hội nghị", "sessions": 2},
                           {"task": "IV.7", "activity": "Khác"}],
               documents=[{"number": "1/KH", "date": dt.date(2023, 4, 30), "subject": "Kế hoạch"},
                          {"number": "2/KH", "date": dt.date(2023, 5, 1), "subject": "Kế hoạch"},
                          {"number": "3/KH", "date": dt.date(2022, 12, 31), "subject": "Kế hoạch"}],
               funds=[{"source": "fund_5_sponsors_vnd", "amount_vnd": 1}, {"source": "Ngân sách", "amount_vnd": 2}])
    frames = {f.name: f for f in build_office_frames(sub, config, config.period("2023-6T"))}
    assert sorted(frames) == ["office_activities", "office_documents", "office_funds", "office_general"]
    assert frames["office_activities"].data["task_known"].tolist() == [True, False]
    assert frames["office_activities"].data["result_given"].tolist() == [True, False]
    assert frames["office_documents"].data["date_in_period"].tolist() == [True, False, False]
    assert frames["office_funds"].data["source_known"].tolist() == [True, False]
    assert frames["office_general"].data["office_active"].tolist() == [True]


def test_an_office_past_its_valid_to_is_not_active(config):
    """The district offices end on 30/06/2025: an LDTB workbook for 2025-9T is not of an office that reports then,
    and the finding says when it reported."""
    general = build_office_frames(_sub(), config, config.period("2025-9T"))[0]
    assert general.data["office_active"].tolist() == [False]
    assert "đến 30/06/2025" in general.data["office_detail"][0]


def test_a_broken_office_workbook_is_refused_with_located_findings(config, tmp_path):
    """The bank's sample with an unknown commune code and more NCC borrowers than borrowers: not valid, attributed to
    the bank, each error on its cell with the value as typed and the fix."""
    path = tmp_path / "NHCS.xlsx"
    wb = load_workbook(ROOT / "samples" / "2023-6T" / "NHCS_co_quan.xlsx")
    ws = wb[o.SHEET_LOANS]
    ws["B5"], ws["F6"] = "22899", 999
    wb.save(path)
    outcome = validate_submission(path, config=config, period="2023-6T")
    assert (outcome.status, outcome.unit_code) == ("invalid", "NHCS")
    errors = [dataclasses.astuple(f)[:5] for f in outcome.findings if f.severity == ERROR]
    assert errors == [(ERROR, o.SHEET_LOANS, 5, "Mã xã", "22899"),
                      (ERROR, o.SHEET_LOANS, 6, "Trong đó: hộ có người có công", "999")]
    assert all(f.fix for f in outcome.findings)
