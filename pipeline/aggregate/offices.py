"""The offices' part of the report (``offices`` in ``aggregates.json``): what each office sent, compiled by the
report's parts, and the reconciliation of the figures an office and the communes both carry.

Sources (``templates/README.md``, "Which source counts where"): the bank's loan figures are the district's loan
figures; the Front's sponsorships, the centre's training and Agriculture's support are the offices' own account of
their work, beside the communes' rosters, which give each NCC household's support. Where both give the NCC
households of one commune, :func:`reconciliation` compares them (a warning for district staff on the status page;
neither workbook is refused for it). The communes' figures in the report's tables stay the communes'.

Counts are households (hộ), persons (người), sessions (buổi) or participants (lượt người); amounts are đồng.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.config import Config, Unit
from pipeline.ledger.state import UnitState
from pipeline.read.office import OfficeSubmission
from pipeline.read.reader import Submission
from pipeline.status import ON_TIME_STATUSES, UnitStatus

# What an office's workbook and a commune's roster both count, per commune: (topic, office table, how the office's
# rows are picked, the office's column, the roster's rule). The roster holds the commune's NCC households, so the
# office's NCC column is compared.
RECONCILED = (
    ("loans", "loans", None, "ncc_borrowers", "support_loan_vnd"),
    ("sponsorship", "supports", "sponsorship", "ncc_households", "sponsor"),
    ("training", "supports", "vocational_training", "ncc_households", "support_vocational_training"),
)
PARTS = ("direction", "outreach", "mobilisation", "livelihood", "loans", "sponsorship", "state_management",
         "assessment")
"""The report's parts an office may carry (``offices[].parts`` in the configuration): II.1 leadership and
direction, II.2 outreach, II.3 mobilisation, II.4 livelihoods and the district's loans (``loans``: the lender, the
Ngân hàng Chính sách xã hội branch; only its sheet "Vốn vay" counts), II.5 sponsorship, II.7 state management, and
the assessment and proposals of sections V–VI."""


@dataclass
class OfficeInput:
    """One configured office's input: its :class:`pipeline.ledger.state.UnitState` and, when valid, its workbook
    read (:class:`pipeline.read.office.OfficeSubmission`, from the staged frames)."""

    state: UnitState
    submission: OfficeSubmission | None = None

    @property
    def unit(self) -> Unit:
        return self.state.unit


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): (None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else
                 int(v) if hasattr(v, "item") and not isinstance(v, str) else v)
             for k, v in row.items() if k not in ("no", "excel_row")}
            for row in frame.to_dict(orient="records")]


def _counted(office: OfficeInput, key: str) -> pd.DataFrame | None:
    """The office's table ``key`` (:data:`pipeline.office_schema.TABLES`) when it counts: read from a valid workbook
    and not empty; loans only from the lender (``loans`` in its parts: its validation warned the others)."""
    sub = office.submission
    frame = sub.tables.get(key) if sub is not None else None
    if frame is None or frame.empty or (key == "loans" and "loans" not in office.unit.parts):
        return None
    return frame


def _roster_count(sub: Submission, rule: str) -> int:
    """NCC households of a commune's roster with the support ``rule`` names (an amount > 0, a yes, a sponsor)."""
    column = sub.roster.get(rule)
    if column is None:
        return 0
    if rule.endswith("_vnd"):
        return int((column.fillna(0) > 0).sum())
    if column.dtype == bool or str(column.dtype) == "boolean":
        return int(column.fillna(False).sum())
    return int(column.astype("string").str.strip().fillna("").ne("").sum())


def reconciliation(offices: Sequence[OfficeInput], communes: Sequence[tuple[Unit, Submission]], config: Config
                   ) -> list[dict[str, Any]]:
    """Per topic of :data:`RECONCILED` whose office sent a valid workbook holding that table, and per commune with a
    valid workbook: the office's NCC households and the roster's. A commune the office does not list counts 0 on the
    office's side. Rows beyond ``validation.reconciliation_tolerance_households`` (default 0) are the warnings.

    Returns:
        ``[{"topic", "office_code", "office", "unit_code", "unit", "office_value", "unit_value", "difference"
        (int, households: office − commune), "beyond" (bool)}]``, by topic then commune order.
    """
    tolerance = config.validation.get("reconciliation_tolerance_households") or 0
    rows = []
    for topic, table, kind, column, rule in RECONCILED:
        for office in offices:
            frame = _counted(office, table)
            if frame is None:
                continue
            if kind is not None:
                frame = frame[frame["support"] == kind]
                if frame.empty:
                    continue
            by_commune = frame.groupby("commune_code")[column].sum(min_count=1)
            for unit, commune in communes:
                office_value = by_commune.get(unit.code)
                office_value = 0 if office_value is None or pd.isna(office_value) else int(office_value)
                unit_value = _roster_count(commune, rule)
                diff = office_value - unit_value
                rows.append({"topic": topic, "office_code": office.unit.code, "office": office.unit.name,
                             "unit_code": unit.code, "unit": unit.full_name, "office_value": office_value,
                             "unit_value": unit_value, "difference": diff, "beyond": abs(diff) > tolerance})
    return rows


def offices_section(offices: Sequence[OfficeInput], communes: Sequence[tuple[Unit, Submission]], config: Config
                    ) -> dict[str, Any]:
    """The ``offices`` entry of ``aggregates.json``.

    Returns:
        ``{"offices": [{"code", "name", "unit_code", "unit_name" (the same two, for the units' summary lines),
        "required", "status", "valid", "parts", "version", "errors", "warnings" (of the version shown, or None),
        "on_time" (its timeliness verdict, None when it sent nothing)}],
        "parts": {part: {"offices":
        [names of the valid offices carrying it], "lacking": [names of the required offices carrying it without
        a valid workbook]}}, "documents", "activities", "supports", "funds", "loans" (rows of each valid office's
        tables, with ``office`` its name; codes as read), "loan_totals" ({"communes", "borrowers",
        "disbursed_vnd", "outstanding_vnd", "ncc_borrowers", "roster_ncc_borrowers" (the rosters' households with a
        loan in the communes compared, or None)} or None), "narratives" ([{"office", "parts",
        "results", "difficulties", "proposals"}]), "reconciliation" (:func:`reconciliation`)}``.
    """
    listed = []
    parts: dict[str, dict[str, list[str]]] = {p: {"offices": [], "lacking": []} for p in PARTS}
    tables: dict[str, list[dict[str, Any]]] = {k: [] for k in ("documents", "activities", "supports", "funds",
                                                                 "loans")}
    narratives = []
    for office in offices:
        unit, sub = office.unit, office.submission
        valid = office.state.status == UnitStatus.VALID and sub is not None
        shown = office.state.shown
        listed.append({"code": unit.code, "name": unit.name, "unit_code": unit.code, "unit_name": unit.name,
                       "required": unit.required, "status": str(office.state.status), "valid": valid,
                       "parts": list(unit.parts), "version": shown.version if shown is not None else None,
                       "errors": shown.errors if shown is not None else None,
                       "warnings": shown.warnings if shown is not None else None,
                       "on_time": (None if office.state.timeliness is None or shown is None
                                   else office.state.timeliness.status in ON_TIME_STATUSES)})
        for part in unit.parts:
            if valid:
                parts[part]["offices"].append(unit.name)
            elif unit.required:
                parts[part]["lacking"].append(unit.name)
        if not valid:
            continue
        assert sub is not None
        for key, rows in tables.items():
            frame = _counted(office, key)
            if frame is not None:
                rows.extend({"office_code": unit.code, "office": unit.name, **r} for r in _records(frame))
        narratives.append({"office_code": unit.code, "office": unit.name, "parts": list(unit.parts),
                           **{k: (sub.narrative.get(k) or "").strip() for k in ("results", "difficulties",
                                                                                 "proposals")}})
    loans = tables["loans"]
    compared = reconciliation(offices, communes, config)
    loan_totals: dict[str, int | None] | None = None
    if loans:
        loan_totals = {"communes": len({r["commune_code"] for r in loans})}
        for key in ("borrowers", "disbursed_vnd", "outstanding_vnd", "ncc_borrowers"):
            loan_totals[key] = sum(r.get(key) or 0 for r in loans)
        # the communes' rosters' households with a loan, where they are compared (None: no commune to compare)
        rostered = [r for r in compared if r["topic"] == "loans"]
        loan_totals["roster_ncc_borrowers"] = sum(r["unit_value"] for r in rostered) if rostered else None
    return {"offices": listed, "parts": parts, **tables, "loan_totals": loan_totals, "narratives": narratives,
            "reconciliation": compared}
