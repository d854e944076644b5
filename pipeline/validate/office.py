"""The frames the offices' suites check (``expectations/office_*.json``), built from an office's workbook read
(:class:`pipeline.read.office.OfficeSubmission`), with the derived columns for rules that need the configuration.

Frames and derived columns (every frame of a table keeps its ``excel_row``):

* ``office_general`` (one row): the general fields, ``office_active`` (bool: the office is configured and reports
  on the period's cut-off; ``offices:`` in the configuration) and ``office_detail``, ``period_detail``;
* ``office_activities``: ``task_known`` (bool: the task is one of ``plan.tasks``, the plan's section IV) and
  ``result_given`` (bool: at least one of sessions, participants, news items, broadcasts, households);
* ``office_supports``: ``support_known`` (bool: ``office_supports`` in ``config/reference.yaml``) and
  ``commune_support`` ("<commune code>|<kind>", None when either is blank: one row per commune and kind);
* ``office_funds``: ``source_known`` (bool: ``fund_sources``, the plan's section V);
* ``office_documents``: ``date_in_period`` (bool: from 01/01 of the period's year to its cut-off; a blank date is
  the not-null rule's) and ``date_detail``;
* ``office_loans``: ``lender`` (bool: the office carries ``loans`` in ``offices[].parts``; only the lender's loans
  are the district's).

A sheet the office left empty or omitted gives no frame: each office fills what concerns it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline import fmt
from pipeline import office_schema as o
from pipeline.config import Config, Period, Unit
from pipeline.read.office import OfficeSubmission
from pipeline.validate.frame import Frame

RESULT_COLUMNS = ("sessions", "participants", "news_items", "broadcasts", "households")


def _general(sub: OfficeSubmission, office: Unit | None, config: Config, period: Period) -> Frame:
    """The general sheet's frame; ``office``: the office its code names on the period's cut-off, or None."""
    code = sub.general.get("office_code")
    configured = config.office(code) if code else None
    detail = ""
    if office is None and configured is not None:
        detail = (f"{configured.name} báo cáo từ {fmt.date_vn(configured.valid_from)} đến "
                  f"{fmt.date_vn(configured.valid_to)}; kỳ {period.code} chốt số liệu ngày "
                  f"{fmt.date_vn(period.cutoff)}.")
    data = pd.DataFrame([{f.key: sub.general.get(f.key) for f in o.GENERAL_FIELDS}], dtype="object")
    data["office_active"] = [office is not None or not code or configured is None]  # unknown code: the reader's
    data["office_detail"] = [detail]
    data["period_detail"] = [f"Kỳ đang tổng hợp: {period.code}."]
    headers = {f.key: sub.headers.get((o.SHEET_GENERAL, f.key), f.header) for f in o.GENERAL_FIELDS}
    return Frame("office_general", data, o.SHEET_GENERAL, headers, rows=sub.general_rows)


def _known(values: pd.Series, codes: set[str]) -> list[bool]:
    """Whether each value is a listed code (a blank is the not-null rule's, not this one's)."""
    return [v is None or (isinstance(v, float) and v != v) or v in codes for v in values]


def _table(sub: OfficeSubmission, key: str) -> tuple[pd.DataFrame, str, dict[str, str]]:
    sheet, fields, _ = o.TABLES[key]
    return sub.tables[key].copy(), sheet, {f.key: sub.headers.get((sheet, f.key), f.header) for f in fields}


def build_office_frames(sub: OfficeSubmission, config: Config, period: Period) -> list[Frame]:
    """The frames of one office's workbook for its suites (see the module's docstring); tables with no row are left
    out."""
    code = sub.general.get("office_code")
    office = config.office(code, period.cutoff) if code else None
    frames = [_general(sub, office, config, period)]
    derive: dict[str, Any] = {
        "activities": lambda d: d.assign(
            task_known=_known(d["task"], {t["code"] for t in config.plan.get("tasks", [])}),
            result_given=d[list(RESULT_COLUMNS)].notna().any(axis=1).astype(bool)),
        "supports": lambda d: d.assign(
            support_known=_known(d["support"], {s["code"] for s in config.reference.get("office_supports", [])}),
            commune_support=[None if c is None or k is None else f"{c}|{k}"
                             for c, k in zip(d["commune_code"], d["support"], strict=True)]),
        "funds": lambda d: d.assign(
            source_known=_known(d["source"], {s["code"] for s in config.reference["fund_sources"]})),
        "documents": lambda d: d.assign(
            date_in_period=[v is None or period.cutoff.replace(month=1, day=1) <= v <= period.cutoff
                            for v in d["date"]],
            date_detail=f"Kỳ {period.code}: từ 01/01/{period.year} đến {fmt.date_vn(period.cutoff)}."),
        "loans": lambda d: d.assign(lender=office is not None and "loans" in office.parts),
    }
    for key, add in derive.items():
        data, sheet, headers = _table(sub, key)
        if not data.empty:
            frames.append(Frame(f"office_{key}", add(data), sheet, headers))
    return frames
