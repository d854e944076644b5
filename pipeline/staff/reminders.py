"""Reminders before each deadline: units without a valid report, and district staff, get an e-mail.

``reminders.days_before`` in the configuration (e.g. ``[7, 2]``) names the days before each deadline day on
which reminders go out. The DAG ``reminders`` calls :func:`send_due_reminders` once a day; on any day before
a deadline the reminder due is the latest stage reached (5 days before with ``[7, 2]``: the 7-day one), so a
day the scheduler missed is made up the next day, and each reminder is sent once: every e-mail is claimed in
the ledger (period, unit, kind) before it is sent (``reminders_sent``), so a rerun of the same day, or a
second run at once, sends nothing twice. A failed send releases its claim: the next run tries again.

Who lacks a valid report comes from :func:`submission_gaps`, from each unit's state
(:func:`pipeline.ledger.state.unit_states`, as the report's aggregation and the status page).

Messages (``templates/mail/nhac_han_*``) carry unit names, counts, the period, the deadline and paths only:
no household's name, ethnicity or NCC category. Logs carry codes and counts.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import fmt
from pipeline.config import Config, Period, Unit
from pipeline.ledger.state import unit_states
from pipeline.ledger.store import DISTRICT, Ledger
from pipeline.paths import feedback_path, shown_path, status_page_path
from pipeline.staff.mail import Sender, compose
from pipeline.status import UnitStatus
from pipeline.synthesis import capitalise

log = logging.getLogger(__name__)


class RemindersFailed(RuntimeError):
    """Some reminders could not be sent (their claims were released: the next run sends them)."""


@dataclass(frozen=True)
class Gap:
    """A required unit without a valid report for a period.

    ``state``: the unit's :class:`pipeline.status.UnitStatus` — ``missing`` (no file received), ``invalid``
    (the version shown has errors) or ``error`` (it could not be validated — a system error or still pending
    — not the unit's fault: the unit is not reminded, district staff are told); ``locked`` cannot occur before
    a deadline. ``version``, ``errors``, ``warnings``: of the version shown (None when missing).
    ``feedback_file``: the annotated copy of that version, relative to the data root (None unless invalid).
    """

    unit: Unit
    state: UnitStatus
    version: int | None = None
    errors: int | None = None
    warnings: int | None = None
    feedback_file: str | None = None


def submission_gaps(ledger: Ledger, config: Config, period: Period, root: Path) -> list[Gap]:
    """Required units of ``period`` (those existing at its cut-off) with no valid version in the ledger, in
    configuration order: the units whose state (:func:`pipeline.ledger.state.unit_states`, the one decider the
    report and the status page use too) is ``lacking``. A unit marked ``required: false`` is never missing
    (plan: units only asked to report)."""
    gaps = []
    for state in unit_states(ledger, config, period, offices=True):
        if not state.lacking:
            continue
        shown = state.shown
        if shown is None:
            gaps.append(Gap(state.unit, UnitStatus.MISSING))
        elif state.status == UnitStatus.INVALID:
            gaps.append(Gap(state.unit, UnitStatus.INVALID, shown.version, shown.errors, shown.warnings,
                            shown_path(feedback_path(shown, period, root), root)))
        else:
            gaps.append(Gap(state.unit, UnitStatus.ERROR, shown.version))
    return gaps


def kind_code(days: int) -> str:
    """The ledger's ``kind`` of the reminder sent ``days`` before the deadline day: ``before-7d``."""
    return f"before-{days}d"


def due_stage(config: Config, period: Period, today: dt.date) -> int | None:
    """Which reminder of ``period`` is due on ``today`` (local date): the smallest configured number of days
    before the deadline day that ``today`` has reached, or None (too early, no reminders configured, or the
    deadline — 00:00 of the deadline day — has passed). With ``[7, 2]`` and a deadline of 05/5: None up to
    27/4, 7 from 28/4 to 02/5, 2 on 03/5 and 04/5, None from 05/5."""
    days_left = (period.deadline.date() - today).days
    if days_left <= 0:
        return None
    reached = [d for d in config.reminders.get("days_before", []) if days_left <= d]
    return min(reached) if reached else None


def periods_due(config: Config, today: dt.date) -> list[tuple[Period, int]]:
    """The periods with a reminder due on ``today`` (local date) and that have units: ``(period, days)``."""
    out = []
    for year in (today.year, today.year + 1):
        for kind in config.period_kinds:
            period = config.period(f"{year}-{kind}")
            days = due_stage(config, period, today)
            if days is not None and config.units_on(period.cutoff):
                out.append((period, days))
    return sorted(out, key=lambda pd: pd[0].deadline)


def _common(config: Config, period: Period, now: dt.datetime, root: Path) -> dict[str, Any]:
    local = now.astimezone(config.timezone)
    return {
        "district": config.locality.get("district") or "",
        "words": config.words(period.cutoff),
        "period_label": f"{period.label} {period.year}",
        "deadline": fmt.date_admin(period.deadline.date()),
        "days_left": (period.deadline.date() - local.date()).days,
        "as_of": f"{local:%H:%M} ngày {fmt.date_admin(local.date())}",
        "status_page": shown_path(status_page_path(period, root), root),
        "feedback_location": config.mail.get("feedback_location", ""),
    }


def unit_message(gap: Gap, addresses: list[str], *, config: Config, period: Period, now: dt.datetime,
                 root: Path) -> Any:
    """The reminder e-mail to a unit (``templates/mail/nhac_han_don_vi``): the period, the deadline, and what
    is missing (no file, or its latest version's error and warning counts and where its feedback is)."""
    context = {**_common(config, period, now, root), "unit_name": capitalise(gap.unit.full_name),
               "unit_full_name": gap.unit.full_name, "office": gap.unit.is_office,
               "state": str(gap.state), "version": gap.version, "errors": gap.errors, "warnings": gap.warnings,
               "feedback_file": gap.feedback_file}
    return compose("nhac_han_don_vi", context, addresses)


def district_message(gaps: list[Gap], reminded: dict[str, int | None], addresses: list[str], *, config: Config,
                     period: Period, now: dt.datetime, root: Path) -> Any:
    """The e-mail to district staff (``templates/mail/nhac_han_huyen``): every unit lacking a valid report,
    its state, and how many addresses its reminder went to (0: none configured, staff call the unit; None:
    sending failed, the next run tries again)."""
    rows = [{"unit_name": capitalise(g.unit.full_name), "state": str(g.state), "version": g.version, "errors": g.errors,
             "addresses": reminded.get(g.unit.code, 0)} for g in gaps]
    total = sum(1 for u in config.reporting_units_on(period.cutoff) if u.required)
    return compose("nhac_han_huyen", {**_common(config, period, now, root), "rows": rows, "total": total},
                   addresses)


def _send_once(ledger: Ledger, send: Sender, message: Any, *, period: Period, unit: str, kind: str,
               now: dt.datetime) -> bool | None:
    """Claim then send; True sent, False already sent, None failed (claim released)."""
    if not ledger.claim_reminder(period=period.code, unit=unit, kind=kind, recipients=len(message.to), at=now):
        return False
    try:
        send(message)
    except Exception as exc:  # noqa: BLE001 - one unit's failed e-mail must not stop the others
        ledger.release_reminder(period=period.code, unit=unit, kind=kind)
        log.error("Reminder %s of %s to %s not sent (%s); it will be tried again", kind, period.code, unit,
                  type(exc).__name__)
        return None
    return True


def send_period_reminders(period: Period, days: int, *, config: Config, ledger: Ledger, send: Sender,
                          now: dt.datetime, root: Path) -> dict[str, Any]:
    """Send reminder ``days`` (days before the deadline day) of ``period``: one e-mail to each unit lacking a
    valid report (``missing`` or ``invalid``; at the addresses of ``mail.unit_addresses``), then one to the
    ``mail.district_staff`` listing every unit lacking one. Each is sent at most once (see the module).

    Returns:
        Codes and counts only: ``{"period", "kind", "gaps" (unit codes), "sent" (unit codes, and
        "district"), "already_sent", "no_address" (unit codes), "failed" (unit codes)}``.
    """
    kind = kind_code(days)
    gaps = submission_gaps(ledger, config, period, root)
    addresses: dict[str, list[str]] = config.mail.get("unit_addresses", {})
    result: dict[str, Any] = {"period": period.code, "kind": kind, "gaps": [g.unit.code for g in gaps], "sent": [],
                              "already_sent": [], "no_address": [], "failed": []}
    reminded: dict[str, int | None] = {}  # unit code → addresses its reminder went to (None: sending failed)
    for gap in gaps:
        if gap.state == UnitStatus.ERROR:
            continue
        to = addresses.get(gap.unit.code, [])
        if not to:
            result["no_address"].append(gap.unit.code)
            continue
        outcome = _send_once(ledger, send, unit_message(gap, to, config=config, period=period, now=now, root=root),
                             period=period, unit=gap.unit.code, kind=kind, now=now)
        reminded[gap.unit.code] = len(to) if outcome is not None else None
        result[{True: "sent", False: "already_sent", None: "failed"}[outcome]].append(gap.unit.code)
    staff = config.mail.get("district_staff", [])
    if gaps and staff:
        message = district_message(gaps, reminded, staff, config=config, period=period, now=now, root=root)
        outcome = _send_once(ledger, send, message, period=period, unit=DISTRICT, kind=kind, now=now)
        result[{True: "sent", False: "already_sent", None: "failed"}[outcome]].append(DISTRICT)
    log.info("Reminders %s of %s: %d unit(s) lacking a valid report; sent %s; already sent %s; no address %s; "
             "failed %s", kind, period.code, len(gaps), result["sent"], result["already_sent"],
             result["no_address"], result["failed"])
    return result


def send_due_reminders(*, config: Config, ledger: Ledger, send: Sender, now: dt.datetime,
                       root: Path) -> list[dict[str, Any]]:
    """Send every reminder due at ``now`` (an aware datetime; its local date decides, :func:`periods_due`).
    Idempotent within a day and across days: each reminder goes out once.

    Returns:
        One :func:`send_period_reminders` result per period due (empty when none is).

    Raises:
        RemindersFailed: some e-mails failed (the others were sent); the next run sends the failed ones.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    results = [send_period_reminders(period, days, config=config, ledger=ledger, send=send, now=now, root=root)
               for period, days in periods_due(config, now.astimezone(config.timezone).date())]
    failed = [f"{r['period']}/{code}" for r in results for code in r["failed"]]
    if failed:
        raise RemindersFailed(f"Chưa gửi được thư nhắc: {', '.join(failed)}; lần chạy sau sẽ gửi lại.")
    return results
