"""The offices' part of the aggregates: which office carries which part (a required one without a valid workbook is
named there, a requested one never), and the reconciliation of NCC households an office and a commune both count."""

from __future__ import annotations

import dataclasses

import pandas as pd

from pipeline import office_schema as o
from pipeline.aggregate.offices import OfficeInput, offices_section, reconciliation
from pipeline.ledger.state import UnitState
from pipeline.read.office import OfficeSubmission
from pipeline.read.reader import Submission
from pipeline.status import UnitStatus
from tests.conftest import ROOT


def _office(config, code: str, status: UnitStatus = UnitStatus.VALID, **tables: list[dict]) -> OfficeInput:
    sub = None
    if status == UnitStatus.VALID:
        sub = OfficeSubmission(path=ROOT / "x.xlsx", sha256="0" * 64)
        for key, (_sheet, fields, _h) in o.TABLES.items():
            sub.tables[key] = pd.DataFrame(tables.get(key, []), columns=[f.key for f in fields] + ["excel_row"])
        sub.narrative = {"results": "Đã làm.", "difficulties": "", "proposals": "Đề nghị thêm vốn."}
    return OfficeInput(UnitState(unit=config.office(code), status=status), sub)


def _commune(config, code: str, loans: int, sponsored: int) -> tuple:
    """A commune whose roster has ``loans`` households with a loan and ``sponsored`` with a sponsor."""
    n = max(loans, sponsored, 1)
    roster = pd.DataFrame({"support_loan_vnd": pd.array([10_000_000] * loans + [None] * (n - loans), dtype="Int64"),
                           "sponsor": [" Hội Nông dân "] * sponsored + [None] * (n - sponsored),
                           "support_vocational_training": [False] * n})
    return config.unit(code), dataclasses.replace(Submission(path=ROOT / "y.xlsx", sha256=""), roster=roster)


def test_loans_beyond_the_tolerance_are_flagged_per_commune(config):
    """The bank says 3 NCC borrowers in Ma Nới and lists no row for Lâm Sơn; the rosters have 2 and 1: both differ by
    one household. With the shipped tolerance (0) both are beyond it; with a tolerance of 1 neither is."""
    bank = _office(config, "NHCS", loans=[{"commune_code": "22828", "borrowers": 9, "ncc_borrowers": 3}])
    communes = [_commune(config, "22828", 2, 0), _commune(config, "22813", 1, 0)]
    rows = reconciliation([bank], communes, config)
    assert [(r["topic"], r["unit_code"], r["office_value"], r["unit_value"], r["difference"], r["beyond"])
            for r in rows] == [("loans", "22828", 3, 2, 1, True), ("loans", "22813", 0, 1, -1, True)]
    lenient = dataclasses.replace(config, validation={**config.validation, "reconciliation_tolerance_households": 1})
    assert [r["beyond"] for r in reconciliation([bank], communes, lenient)] == [False, False]


def test_sponsorship_compares_only_the_fronts_sponsorship_rows(config):
    """The Front's sponsorship rows by commune against the roster's sponsored households; its other kinds of support
    and an office that sent no such table are not compared."""
    front = _office(config, "MTTQ", supports=[
        {"commune_code": "22828", "support": "sponsorship", "households": 2, "ncc_households": 2},
        {"commune_code": "22828", "support": "living", "households": 5, "ncc_households": 5}])
    culture = _office(config, "VHTT", activities=[{"task": "IV.1", "activity": "Tuyên truyền", "sessions": 1}])
    rows = reconciliation([front, culture], [_commune(config, "22828", 0, 2)], config)
    assert [(r["topic"], r["office_code"], r["difference"], r["beyond"]) for r in rows] == [
        ("sponsorship", "MTTQ", 0, False)]


def test_a_required_office_without_a_valid_workbook_is_named_in_its_parts(config):
    """Culture and Information sent nothing (required: named under outreach); the bank sent nothing (requested: named
    nowhere); Labour's valid workbook carries direction, state management and assessment."""
    section = offices_section([_office(config, "VHTT", UnitStatus.MISSING), _office(config, "NHCS", UnitStatus.MISSING),
                               _office(config, "LDTB")], [], config)
    culture = config.office("VHTT").name
    assert section["parts"]["outreach"] == {"offices": [], "lacking": [culture]}
    assert section["parts"]["livelihood"] == {"offices": [], "lacking": []}
    assert section["parts"]["direction"]["offices"] == [config.office("LDTB").name]
    assert [(x["code"], x["status"], x["valid"]) for x in section["offices"]] == [
        ("VHTT", "missing", False), ("NHCS", "missing", False), ("LDTB", "valid", True)]
    assert [n["office_code"] for n in section["narratives"]] == ["LDTB"]
    assert section["loan_totals"] is None


def test_only_the_lenders_loans_are_the_districts(config):
    """Agriculture fills "Vốn vay" too (its validation warns): its rows are neither added to the loan totals nor
    reconciled; the bank's are."""
    row = {"commune_code": "22828", "borrowers": 9, "disbursed_vnd": 100, "outstanding_vnd": 200, "ncc_borrowers": 2}
    bank = _office(config, "NHCS", loans=[row])
    agri = _office(config, "NN", loans=[{**row, "borrowers": 50, "ncc_borrowers": 7}])
    section = offices_section([agri, bank], [_commune(config, "22828", 2, 0)], config)
    assert [r["office_code"] for r in section["loans"]] == ["NHCS"]
    assert (section["loan_totals"]["borrowers"], section["loan_totals"]["ncc_borrowers"]) == (9, 2)
    compared = [(r["topic"], r["office_code"], r["difference"]) for r in section["reconciliation"]]
    assert compared == [("loans", "NHCS", 0)]
