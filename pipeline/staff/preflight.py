"""The preflight of a period's report: what would leave a blank or a one-line gap in it if it were rendered now.

Three kinds of item, each one line of Vietnamese for district staff:

* ``unit`` — a required unit or office without a valid workbook (its state: nothing received, not valid with its
  count of errors, not checked yet, received after the lock); its parts of the report would say so in one line;
* ``config`` — a fact of the configuration the report prints and that is not set: the plan's number, the day of
  its adoption (``plan.date`` with a day, YYYY-MM-DD), the signer's name (``document.signer_name``);
* ``at_issuance`` — what the clerk fills when the report is issued, blank by Decree 30/2020/NĐ-CP practice: the
  report's own number and date (and so the "Kèm theo Báo cáo số … ngày …" lines of the annexes). These are
  listed, never counted as faults.

Units only requested to report (``required: false``) never appear. Reads the ledger and the configuration only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pipeline.config import Config, Period
from pipeline.ledger.state import UnitState, unit_states
from pipeline.status import UnitStatus
from pipeline.synthesis import capitalise

UNIT, CONFIG, AT_ISSUANCE = "unit", "config", "at_issuance"
FAULTS = (UNIT, CONFIG)
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Item:
    """One line of the preflight: its ``kind`` (:data:`UNIT`, :data:`CONFIG`, :data:`AT_ISSUANCE`) and its
    Vietnamese ``text``."""

    kind: str
    text: str

    @property
    def fault(self) -> bool:
        """Whether the item would leave a gap (not a fact filled at issuance)."""
        return self.kind in FAULTS


def _unit_line(name: str, code: str, status: str, version: int | None, errors: int | None) -> str:
    """One unit's line: its capitalised name, code and why it has no valid workbook."""
    if status == UnitStatus.MISSING:
        why = "chưa nhận được tệp nào"
    elif status == UnitStatus.INVALID:
        why = f"phiên bản {version} không hợp lệ ({errors} lỗi)"
    elif status == UnitStatus.LOCKED:
        why = "tệp nhận sau ngày khóa sổ, chưa được mở lại"
    else:
        why = "tệp chưa kiểm tra được (lỗi hệ thống hoặc đang chờ kiểm tra)"
    return f"{capitalise(name)} ({code}): chưa có báo cáo hợp lệ — {why}."


def _state_line(state: UnitState) -> str:
    shown = state.shown
    return _unit_line(state.unit.full_name, state.unit.code, state.status, shown.version if shown else None,
                      shown.errors if shown else None)


def _config_lines(config: Config, period: Period) -> list[Item]:
    plan: dict[str, Any] = config.plan
    document: dict[str, Any] = config.document_on(period.cutoff)
    items = []
    if not str(plan.get("number") or "").strip():
        items.append(Item(CONFIG, f"Chưa ghi số của Kế hoạch ({plan.get('issuer', '')}): mục plan.number của tệp "
                                  "cấu hình; báo cáo để trống số Kế hoạch."))
    if not _FULL_DATE.match(str(plan.get("date") or "")):
        items.append(Item(CONFIG, "Chưa ghi ngày ban hành Kế hoạch (mục plan.date dạng YYYY-MM-DD, hiện là "
                                  f"'{plan.get('date') or ''}'); báo cáo để trống ngày."))
    if not str(document.get("signer_name") or "").strip():
        items.append(Item(CONFIG, "Chưa ghi họ tên người ký báo cáo (mục document.signer_name); báo cáo để trống "
                                  "họ tên dưới chữ ký."))
    if not str(document.get("number") or "").strip():
        items.append(Item(AT_ISSUANCE, "Số của báo cáo (và dòng \"Kèm theo Báo cáo số …\" của các phụ lục): điền khi "
                                       "ban hành."))
    if not str(document.get("issue_date") or "").strip():
        items.append(Item(AT_ISSUANCE, "Ngày của báo cáo (và ngày ở dòng \"Kèm theo Báo cáo số … ngày …\"): điền khi "
                                       "ban hành."))
    return items


def preflight(period: Period, *, config: Config, ledger: Any) -> list[Item]:
    """The preflight items of ``period`` (see the module's docstring), units first (in configuration order: the
    communes, then the offices), then the configuration, then what is filled at issuance.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the ledger cannot be read.
    """
    return preflight_of_states(unit_states(ledger, config, period, offices=True), config=config, period=period)


def preflight_of_states(states: list[UnitState], *, config: Config, period: Period) -> list[Item]:
    """The same items from the units' and offices' states already decided (the status page's)."""
    return [Item(UNIT, _state_line(s)) for s in states if s.lacking] + _config_lines(config, period)


def preflight_of_aggregates(agg: dict[str, Any], *, config: Config, period: Period) -> list[Item]:
    """The same items from a period's ``aggregates.json`` (its units' ``submissions`` and its ``offices``), for the
    render step, which reads no ledger: a required unit or office whose status is not ``valid``."""
    listed = [*agg.get("submissions", []), *(agg.get("offices") or {}).get("offices", [])]
    items = [Item(UNIT, _unit_line(u["unit_name"], u["unit_code"], u["status"], u.get("version"), u.get("errors")))
             for u in listed if u.get("required", True) and u["status"] != UnitStatus.VALID]
    return items + _config_lines(config, period)


def summary_line(items: list[Item]) -> str:
    """One line for the status page and the render log: how many gaps, or none."""
    faults = [i for i in items if i.fault]
    if not faults:
        return "Kiểm tra trước khi lập báo cáo: không có chỗ trống (chỉ còn số, ngày của báo cáo điền khi ban hành)."
    units = sum(i.kind == UNIT for i in faults)
    facts = len(faults) - units
    parts = [f"{units} đơn vị, cơ quan chưa có báo cáo hợp lệ" if units else "",
             f"{facts} thông tin cấu hình chưa ghi" if facts else ""]
    return f"Kiểm tra trước khi lập báo cáo: {'; '.join(p for p in parts if p)} (python -m pipeline preflight)."
