"""Timeliness of the units' reports, DHIS2-style: per period and unit, expected / on time / late / missing.

Pure functions of the ledger's rows (arrival stamps, validation status), the configured units and a
:class:`Policy`; nothing here opens a file or the database, except :func:`from_ledger`, which only reads the
rows of a ledger object it is given.

Arrival is the system's stamp ``received_at`` (an intake pass first listing the file, or the receipt time
district staff registered), never the file's modification time. Rules, in the order they are applied to one
unit of one period:

1. **Lock** (``timeliness.lock_after_days``, off when empty): versions received at or after
   :func:`lock_at` (the deadline plus that many days) are not used — in the report, the status page's "used"
   column or the counts here — unless district staff reopened the period for that unit
   (``python -m pipeline reopen``, kept in the ledger). They stay archived byte for byte. A unit whose only
   versions are locked out is ``late`` by rule ``after_lock``.
2. **Nothing received**: a required unit (``units[].required``, the default) is ``missing``; a unit the plan
   only asks to report is ``not_expected`` and never counts as missing.
3. **First version late**: the first usable version arrived at or after the deadline → ``late``.
4. **First version on time**: ``on_time``, unless the version the report uses (the latest valid one) is a
   later correction that arrived after the deadline: within ``timeliness.correction_grace_days`` days
   after the deadline it is ``on_time_corrected`` ("đúng hạn (có bổ sung, sửa đổi)"), later ``late``.

The deadline is :attr:`pipeline.config.Period.deadline` (00:00 of 05/5, 05/8, 05/11: the plan, section
VII, "trước ngày 05/5"), moved to 00:00 of the next working day when ``move_deadline_off_non_working_days``
is on and that day is a Saturday, a Sunday (Decision 188/1999/QĐ-TTg: state offices work Monday to Friday) or
a configured public holiday (Labour Code 2019, Art. 112). Files first listed by an intake pass within the
intake tolerance after the deadline count as on time (:func:`arrived_on_time`, the one on-time rule: intake
and the receipt of files by staff stamp each version with it); a receipt time given by staff gets no tolerance.

Statuses and rules are short codes (:class:`pipeline.status.Timeliness`, :class:`Rule`); the report's template
and the status page's template turn them into Vietnamese.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from pipeline.config import Config, Period, Unit
from pipeline.status import ON_TIME_STATUSES, Arrival, Timeliness, VersionStatus

DEFAULT_TOLERANCE = dt.timedelta(minutes=2)


class Rule(enum.StrEnum):
    """Which rule decided a unit's :class:`Status` (see the module's docstring)."""

    FIRST_ON_TIME = "first_on_time"  # the first version arrived before the deadline and is the one used
    CORRECTED_BEFORE_DEADLINE = "corrected_before_deadline"  # the correction used also arrived before it
    CORRECTED_WITHIN_GRACE = "corrected_within_grace"  # on-time first version, correction within the grace days
    CORRECTED_AFTER_GRACE = "corrected_after_grace"  # on-time first version, correction after the grace days
    FIRST_LATE = "first_late"  # the first version arrived at or after the deadline
    AFTER_LOCK = "after_lock"  # only versions received after the lock date, period not reopened for the unit
    NO_FILE = "no_file"  # a required unit sent nothing
    NOT_REQUIRED = "not_required"  # a unit the plan only asks to report sent nothing




class LedgerRow(Protocol):
    """What this module reads of a ledger row (:class:`pipeline.ledger.store.Version`)."""

    @property
    def id(self) -> int: ...
    @property
    def unit_code(self) -> str | None: ...
    @property
    def version(self) -> int | None: ...
    @property
    def received_at(self) -> dt.datetime: ...
    @property
    def received_via(self) -> str: ...
    @property
    def status(self) -> str: ...


class ReopeningRow(Protocol):
    """What this module reads of a reopening (:class:`pipeline.ledger.store.Reopening`)."""

    @property
    def unit_code(self) -> str: ...
    @property
    def reopened_by(self) -> str: ...
    @property
    def reopened_at(self) -> dt.datetime: ...
    @property
    def reason(self) -> str: ...


@dataclass(frozen=True)
class Policy:
    """The timeliness policy of ``timeliness:`` (and ``intake.final_pass_tolerance_minutes``) in the
    configuration. Days are calendar days; ``holidays`` are local dates."""

    intake_tolerance: dt.timedelta = DEFAULT_TOLERANCE
    correction_grace_days: int = 0
    move_deadline_off_non_working_days: bool = False
    holidays: frozenset[dt.date] = frozenset()
    lock_after_days: int | None = None


def policy_from_config(config: Config) -> Policy:
    """The :class:`Policy` configured in ``config`` (defaults: no grace, deadline not moved, no lock)."""
    t = config.timeliness
    minutes = config.intake.get("final_pass_tolerance_minutes")
    return Policy(
        intake_tolerance=DEFAULT_TOLERANCE if minutes is None else dt.timedelta(minutes=float(minutes)),
        correction_grace_days=int(t.get("correction_grace_days") or 0),
        move_deadline_off_non_working_days=bool(t.get("move_deadline_off_non_working_days", False)),
        holidays=frozenset(t.get("holidays") or ()),
        lock_after_days=t.get("lock_after_days"),
    )


def is_working_day(day: dt.date, policy: Policy) -> bool:
    """Monday to Friday (Decision 188/1999/QĐ-TTg) and not a configured public holiday."""
    return day.weekday() < 5 and day not in policy.holidays


def deadline(period: Period, policy: Policy) -> dt.datetime:
    """The instant from which a report of ``period`` is late (aware, in the configured time zone).

    ``period.deadline`` (00:00 of the deadline day), or — with ``move_deadline_off_non_working_days`` on and
    that day not a working day — 00:00 of the next working day: 05/8/2023 (Saturday) → 07/8/2023 00:00.
    Only timeliness moves; the DAG's schedule does not.
    """
    scheduled = period.deadline
    if not policy.move_deadline_off_non_working_days:
        return scheduled
    day = scheduled.date()
    while not is_working_day(day, policy):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, scheduled.timetz())


def lock_at(period: Period, policy: Policy) -> dt.datetime | None:
    """The instant the period is locked: :func:`deadline` plus ``lock_after_days`` days; None when no lock."""
    if policy.lock_after_days is None:
        return None
    return deadline(period, policy) + dt.timedelta(days=policy.lock_after_days)


def arrived_on_time(received_at: dt.datetime, via: str, period: Period, policy: Policy) -> bool:
    """Whether a file received at ``received_at`` (aware) beats :func:`deadline`.

    A file an intake pass first listed (``via`` :attr:`pipeline.status.Arrival.INTAKE`) within
    ``policy.intake_tolerance`` after the deadline counts as on time (the pass at the deadline may start a
    little late); a receipt time registered by staff gets no tolerance. The one on-time rule: intake and
    ``python -m pipeline receive`` stamp each version with it, and :func:`unit_timeliness` applies it.
    """
    limit = deadline(period, policy)
    if via == Arrival.INTAKE:
        limit += policy.intake_tolerance
    return received_at < limit


def locked_out(rows: Iterable[LedgerRow], period: Period, policy: Policy,
               reopenings: Iterable[ReopeningRow] = ()) -> set[int]:
    """Ids of the rows received at or after :func:`lock_at` whose unit has no reopening for the period.

    Such versions are archived but not used. A reopening opens the period again for its unit: every version
    of the unit, received before or after the reopening, is used. Empty when no lock is configured.
    Unattributed rows (no unit) are never locked out here: they are not used anyway.
    """
    lock = lock_at(period, policy)
    if lock is None:
        return set()
    reopened = {r.unit_code for r in reopenings}
    return {r.id for r in rows if r.unit_code is not None and r.unit_code not in reopened and r.received_at >= lock}


@dataclass(frozen=True)
class UnitTimeliness:
    """One unit's timeliness for one period.

    ``expected`` is the unit's ``required`` flag; ``received``: it sent any version (locked-out ones
    included); ``valid``: a usable version is valid; ``version`` and ``received_at``: the version that
    decided the status (the correction used for the ``corrected_*`` rules, else the first usable version,
    else the latest locked-out one); ``locked_versions``: version numbers not used because of the lock;
    ``reopening``: the latest reopening of the period for the unit, or None.
    """

    unit: Unit
    status: Timeliness
    rule: Rule
    expected: bool
    received: bool
    valid: bool
    version: int | None = None
    received_at: dt.datetime | None = None
    locked_versions: tuple[int, ...] = ()
    reopening: ReopeningRow | None = None

    @property
    def on_time(self) -> bool | None:
        """True for ``on_time`` and ``on_time_corrected``, False for ``late``, None when nothing was received."""
        if not self.received:
            return None
        return self.status in ON_TIME_STATUSES


def _order(rows: Iterable[LedgerRow]) -> list[LedgerRow]:
    return sorted(rows, key=lambda r: (r.version or 0, r.received_at, r.id))


def unit_timeliness(unit: Unit, rows: Sequence[LedgerRow], period: Period, policy: Policy,
                    reopenings: Sequence[ReopeningRow] = ()) -> UnitTimeliness:
    """The timeliness of ``unit`` for ``period`` from its ledger rows (any order), by the module's rules.

    Raises:
        ValueError: a row belongs to another unit.
    """
    if any(r.unit_code != unit.code for r in rows):
        raise ValueError(f"rows of another unit given for {unit.code}")
    # a reopening matters only under a lock: without one it changes nothing (nor a report version's inputs)
    mine = [r for r in reopenings if r.unit_code == unit.code] if lock_at(period, policy) is not None else []
    reopening = max(mine, key=lambda r: r.reopened_at) if mine else None
    locked = locked_out(rows, period, policy, mine)
    usable = _order(r for r in rows if r.id not in locked)
    locked_rows = _order(r for r in rows if r.id in locked)
    base = UnitTimeliness(unit=unit, status=Timeliness.MISSING, rule=Rule.NO_FILE, expected=unit.required,
                          received=bool(rows), valid=any(r.status == VersionStatus.VALID for r in usable),
                          locked_versions=tuple(r.version for r in locked_rows if r.version is not None),
                          reopening=reopening)
    if not rows:
        if unit.required:
            return base
        return replace(base, status=Timeliness.NOT_EXPECTED, rule=Rule.NOT_REQUIRED)
    if not usable:
        last = locked_rows[-1]
        return replace(base, status=Timeliness.LATE, rule=Rule.AFTER_LOCK, version=last.version,
                       received_at=last.received_at)
    first = usable[0]
    if not arrived_on_time(first.received_at, first.received_via, period, policy):
        return replace(base, status=Timeliness.LATE, rule=Rule.FIRST_LATE, version=first.version,
                       received_at=first.received_at)
    valid = [r for r in usable if r.status == VersionStatus.VALID]
    used = valid[-1] if valid else first
    if used.id == first.id:
        return replace(base, status=Timeliness.ON_TIME, rule=Rule.FIRST_ON_TIME, version=first.version,
                       received_at=first.received_at)
    corrected = replace(base, version=used.version, received_at=used.received_at)
    if arrived_on_time(used.received_at, used.received_via, period, policy):
        return replace(corrected, status=Timeliness.ON_TIME, rule=Rule.CORRECTED_BEFORE_DEADLINE)
    grace_end = deadline(period, policy) + dt.timedelta(days=policy.correction_grace_days)
    if used.received_at < grace_end:
        return replace(corrected, status=Timeliness.ON_TIME_CORRECTED, rule=Rule.CORRECTED_WITHIN_GRACE)
    return replace(corrected, status=Timeliness.LATE, rule=Rule.CORRECTED_AFTER_GRACE)


def period_timeliness(period: Period, *, units: Sequence[Unit], rows: Iterable[LedgerRow], policy: Policy,
                      reopenings: Sequence[ReopeningRow] = ()) -> list[UnitTimeliness]:
    """:func:`unit_timeliness` of each of ``units`` (in their order) from the period's ledger rows; rows of
    other units and unattributed rows are ignored."""
    by_unit: dict[str, list[LedgerRow]] = {u.code: [] for u in units}
    for r in rows:
        if r.unit_code in by_unit:
            by_unit[r.unit_code].append(r)
    return [unit_timeliness(u, by_unit[u.code], period, policy, reopenings) for u in units]


def year_periods(config: Config, period: Period) -> list[Period]:
    """The periods of ``period``'s year up to and including it, in order of deadline (6T, 9T, CN)."""
    kinds = sorted(config.period_kinds, key=lambda k: config.period_kinds[k]["deadline"])
    out = [config.period(f"{period.year}-{k}") for k in kinds]
    return [p for p in out if p.deadline <= period.deadline]


def _counts(items: Iterable[UnitTimeliness]) -> dict[str, int]:
    """Counts over units expected to report (required): expected, received, on time (corrected included),
    on time with corrections, late, missing, valid."""
    exp = [t for t in items if t.expected]
    return {
        "expected": len(exp),
        "received": sum(t.received for t in exp),
        "on_time": sum(t.status in ON_TIME_STATUSES for t in exp),
        "on_time_corrected": sum(t.status == Timeliness.ON_TIME_CORRECTED for t in exp),
        "late": sum(t.status == Timeliness.LATE for t in exp),
        "missing": sum(t.status == Timeliness.MISSING for t in exp),
        "valid": sum(t.valid for t in exp),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def summary(period: Period, *, config: Config, rows_by_period: dict[str, Sequence[LedgerRow]],
            reopenings_by_period: dict[str, Sequence[ReopeningRow]] | None = None,
            policy: Policy | None = None, offices: bool = False) -> dict[str, Any]:
    """The ``timeliness`` entry of ``aggregates.json``: JSON-ready, times ISO 8601 in UTC. Over the units active at
    each period's cut-off, and with ``offices`` the offices too (:meth:`pipeline.config.Config.reporting_units_on`).

    Args:
        rows_by_period: ledger rows per period code, for ``period`` and the earlier periods of its year
            (:func:`year_periods`); a period absent is taken as having received nothing.
        reopenings_by_period: reopenings per period code.

    Returns:
        ``{"deadline", "scheduled_deadline", "deadline_moved" (bool), "correction_grace_days",
        "lock_at" (or None), "periods" (codes of the year up to ``period``), "units": [...], "totals",
        "year_totals"}``. Each unit: ``unit_code``, ``unit_name``, ``required``, ``status``, ``rule``,
        ``version``, ``received_at``, ``valid``, ``locked_versions``, ``reopened`` (bool) and ``year``
        (``expected``, ``received``, ``on_time``, ``valid``: how many periods of the year so far; expected
        counts the periods the unit was required and active). ``totals`` (this period) and ``year_totals``
        (periods of the year so far) count units expected to report only: ``expected``, ``received``,
        ``on_time`` (corrected included), ``on_time_corrected``, ``late``, ``missing``, ``valid``.
    """
    policy = policy or policy_from_config(config)
    reopenings_by_period = reopenings_by_period or {}
    periods = year_periods(config, period)
    units_on = config.reporting_units_on if offices else config.units_on
    per_period = {
        p.code: period_timeliness(p, units=units_on(p.cutoff), rows=rows_by_period.get(p.code, ()),
                                  policy=policy, reopenings=reopenings_by_period.get(p.code, ()))
        for p in periods
    }
    current = per_period[period.code]
    units = []
    for t in current:
        history = [x for p in periods for x in per_period[p.code] if x.unit.code == t.unit.code]
        units.append({
            "unit_code": t.unit.code,
            "unit_name": t.unit.full_name,
            "required": t.unit.required,
            "status": str(t.status),
            "rule": str(t.rule),
            "version": t.version,
            "received_at": _iso(t.received_at),
            "valid": t.valid,
            "locked_versions": list(t.locked_versions),
            "reopened": t.reopening is not None,
            "year": {
                "expected": sum(x.expected for x in history),
                "received": sum(x.received for x in history if x.expected),
                "on_time": sum(x.status in ON_TIME_STATUSES for x in history if x.expected),
                "valid": sum(x.valid for x in history if x.expected),
            },
        })
    scheduled, effective = period.deadline, deadline(period, policy)
    return {
        "deadline": _iso(effective),
        "scheduled_deadline": _iso(scheduled),
        "deadline_moved": effective != scheduled,
        "correction_grace_days": policy.correction_grace_days,
        "lock_at": _iso(lock_at(period, policy)),
        "periods": [p.code for p in periods],
        "units": units,
        "totals": _counts(current),
        "year_totals": _counts(t for p in periods for t in per_period[p.code]),
    }


def from_ledger(ledger: Any, config: Config, period: Period, policy: Policy | None = None, *,
                offices: bool = False) -> dict[str, Any]:
    """:func:`summary` of ``period`` from a :class:`pipeline.ledger.store.Ledger`: reads the rows and reopenings of
    the year's periods up to ``period`` (nothing else). The units only (the report, beside its units' table), or
    with ``offices`` the offices too (the status page)."""
    periods = year_periods(config, period)
    return summary(period, config=config, policy=policy, offices=offices,
                   rows_by_period={p.code: ledger.versions(p.code) for p in periods},
                   reopenings_by_period={p.code: ledger.reopenings(p.code) for p in periods})
