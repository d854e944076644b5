"""The state of each unit's submission for a period, decided once from the ledger and the configuration.

:func:`unit_states` is the one place that says which version of a unit the report uses and what the unit's
:class:`pipeline.status.UnitStatus` is; aggregation, the report (through ``aggregates.json``), the status
page, the reminders, the command line and the DAG's per-unit task read its :class:`UnitState`. Rules, for
one unit of one period:

1. Versions received after the period's lock date without a reopening for the unit
   (:func:`pipeline.ledger.timeliness.locked_out`) are archived but never used.
2. Nothing received: ``missing``. Only locked-out versions: ``locked``.
3. The version used is the latest usable version whose verdict is ``valid`` and whose findings file is on
   disk: the unit is ``valid``; a usable version newer than it (it failed validation, or is not validated
   yet) is named as ``newer`` beside it.
4. Otherwise the version shown is the latest valid one without its findings file, else the latest usable
   one: ``invalid`` when validation gave it a verdict (its findings file on disk), ``error`` when it could not
   be validated (validation crashed inside the pipeline, or is pending) — not the unit's fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.config import Config, Period, Unit
from pipeline.ledger.store import Ledger, Reopening, Version
from pipeline.ledger.timeliness import UnitTimeliness, locked_out, policy_from_config, unit_timeliness
from pipeline.status import UnitStatus, VersionStatus, left_out


def validated(version: Version) -> bool:
    """Whether a version's validation finished: a verdict in the ledger (valid or invalid) and its findings
    file on disk."""
    return (VersionStatus(version.status).checked and bool(version.findings_path)
            and Path(str(version.findings_path)).exists())


@dataclass(frozen=True)
class UnitState:
    """One configured unit's submission for one period.

    ``status``: see the module's rules. ``used``: the version the report uses (valid units only).
    ``shown``: the version whose findings speak for the unit (``used``; for invalid and error units the
    version that decided the status; for locked units the latest locked-out version; None when missing).
    ``latest``: the latest version received, locked out or not. ``newer``: the latest usable version, when
    it is newer than ``used`` and not used (it failed validation or is not validated yet). ``locked``: the
    versions not used because of the lock, oldest first. ``required``: the unit's ``required`` flag (a unit the
    plan only asks to report never counts as missing). ``timeliness``: its verdict under the timeliness
    rules (:func:`pipeline.ledger.timeliness.unit_timeliness`; None only for a state built by hand).
    """

    unit: Unit
    status: UnitStatus
    used: Version | None = None
    shown: Version | None = None
    latest: Version | None = None
    newer: Version | None = None
    locked: tuple[Version, ...] = ()
    timeliness: UnitTimeliness | None = None

    @property
    def required(self) -> bool:
        return self.unit.required

    @property
    def left_out(self) -> bool:
        """Whether district totals over valid units leave this unit out (:func:`pipeline.status.left_out`)."""
        return left_out(self.status, self.required)

    @property
    def lacking(self) -> bool:
        """A required unit without a valid version: the targets cannot be assessed, reminders go to it."""
        return self.required and self.status != UnitStatus.VALID


def decide(unit: Unit, versions: Sequence[Version], period: Period, config: Config,
           reopenings: Sequence[Reopening] = ()) -> UnitState:
    """The :class:`UnitState` of ``unit`` from its versions of ``period`` (oldest first) and the period's
    reopenings, by the module's rules."""
    policy = policy_from_config(config)
    mine = [r for r in reopenings if r.unit_code == unit.code]
    shut = locked_out(versions, period, policy, mine)
    usable = [v for v in versions if v.id not in shut]
    locked = tuple(v for v in versions if v.id in shut)
    timeliness = unit_timeliness(unit, list(versions), period, policy, mine)
    latest = versions[-1] if versions else None
    base = UnitState(unit=unit, status=UnitStatus.MISSING, latest=latest, locked=locked, timeliness=timeliness)
    if latest is None:
        return base
    if not usable:
        return replace(base, status=UnitStatus.LOCKED, shown=locked[-1])
    valid = [v for v in usable if v.status == VersionStatus.VALID]
    last_valid = valid[-1] if valid else None
    if last_valid is not None and validated(last_valid):
        newer = usable[-1] if usable[-1].version != last_valid.version else None
        return replace(base, status=UnitStatus.VALID, used=last_valid, shown=last_valid, newer=newer)
    shown = last_valid or usable[-1]
    return replace(base, status=UnitStatus.INVALID if validated(shown) else UnitStatus.ERROR, shown=shown)


def unit_states(ledger: Ledger, config: Config, period: Period, *, offices: bool = False) -> list[UnitState]:
    """The :class:`UnitState` of every unit configured for ``period`` (active on its cut-off), in
    configuration order, from the period's ledger rows and reopenings; with ``offices`` the offices too, after
    the units (:meth:`pipeline.config.Config.reporting_units_on`: the status page, timeliness, reminders), else the
    units only (aggregation adds up the communes).

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the ledger cannot be read.
    """
    reopenings = ledger.reopenings(period.code)
    return [decide(unit, ledger.versions(period.code, unit.code), period, config, reopenings)
            for unit in (config.reporting_units_on if offices else config.units_on)(period.cutoff)]


def unit_state(ledger: Ledger, config: Config, period: Period, unit_code: str) -> UnitState:
    """The :class:`UnitState` of one configured unit (see :func:`unit_states`).

    Raises:
        KeyError: no such unit in the configuration.
    """
    unit = config.unit(unit_code)
    return decide(unit, ledger.versions(period.code, unit.code), period, config, ledger.reopenings(period.code))
