"""The one decider of a unit's state (pipeline.ledger.state): each rule on a few versions built inline."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from pipeline.ledger.state import decide, validated
from pipeline.ledger.store import Version
from pipeline.status import UnitStatus, VersionStatus

HCM = dt.timezone(dt.timedelta(hours=7))
BEFORE = dt.datetime(2023, 5, 3, 9, tzinfo=HCM)  # 2023-6T's deadline is 05/05/2023 00:00


def _version(n: int, status: str, tmp_path: Path, *, unit: str = "22828", received: dt.datetime = BEFORE,
             findings: bool = True) -> Version:
    """Version ``n`` of ``unit`` with verdict ``status``; its findings file exists when ``findings``."""
    path = tmp_path / f"findings-{unit}-{n}-{status}-{findings}.json"
    if findings:
        path.write_text("{}", encoding="utf-8")
    return Version(id=n, period="2023-6T", unit_code=unit, version=n, original_name=f"v{n}.xlsx", sha256=f"{n:064x}",
                   size_bytes=1, found_at=received, file_mtime=received, on_time=True, archive_path=f"/a/{n}.xlsx",
                   status=status, errors=0 if status == VersionStatus.VALID else 2, warnings=0,
                   findings_path=str(path), fingerprint=None, validated_at=received, received_at=received,
                   received_via="staff", received_by=None, receipt_note=None)


@pytest.fixture
def six(config):
    return config.period("2023-6T")


def test_nothing_received_is_missing_and_left_out_only_when_required(config, six):
    """No version: missing. A required unit is lacking and left out of the totals; a unit the plan only asks
    to report is neither."""
    unit = config.unit("22828")
    state = decide(unit, [], six, config)
    assert (state.status, state.used, state.shown, state.newer) == (UnitStatus.MISSING, None, None, None)
    assert (state.lacking, state.left_out) == (True, True)
    optional = decide(dataclasses.replace(unit, required=False), [], six, config)
    assert (optional.status, optional.lacking, optional.left_out) == (UnitStatus.MISSING, False, False)


def test_latest_valid_version_is_used_and_a_newer_failed_one_named(config, six, tmp_path):
    """v1 valid, v2 invalid: v1 is used and v2 named as newer; v3 valid after that: v3 used, nothing newer."""
    unit = config.unit("22828")
    v1, v2 = _version(1, "valid", tmp_path), _version(2, "invalid", tmp_path)
    state = decide(unit, [v1, v2], six, config)
    assert (state.status, state.used.version, state.shown.version, state.newer.version) == (UnitStatus.VALID, 1, 1, 2)
    assert (state.lacking, state.left_out, state.latest.version) == (False, False, 2)
    state = decide(unit, [v1, v2, _version(3, "valid", tmp_path)], six, config)
    assert (state.used.version, state.newer) == (3, None)


def test_invalid_and_not_checked_are_told_apart(config, six, tmp_path):
    """Only an invalid version: invalid. Only a pending one, or one whose validation crashed: error (not the
    unit's fault). A valid verdict whose findings file is gone cannot be shown: error too."""
    unit = config.unit("22828")
    assert decide(unit, [_version(1, "invalid", tmp_path)], six, config).status == UnitStatus.INVALID
    for status in ("pending", "error"):
        state = decide(unit, [_version(1, status, tmp_path, findings=False)], six, config)
        assert (state.status, state.shown.version, state.used) == (UnitStatus.ERROR, 1, None)
    gone = _version(1, "valid", tmp_path, findings=False)
    assert not validated(gone)
    assert decide(unit, [gone], six, config).status == UnitStatus.ERROR


def test_versions_after_the_lock_are_not_used(config, six, tmp_path):
    """With a lock 10 days after the deadline, a unit whose only version came after it is locked (shown: that
    version); an earlier valid version stays the one used and the late one is listed as locked."""
    locked_config = dataclasses.replace(config, timeliness={**config.timeliness, "lock_after_days": 10})
    unit = config.unit("22828")
    late = _version(2, "valid", tmp_path, received=dt.datetime(2023, 5, 20, 9, tzinfo=HCM))
    state = decide(unit, [late], six, locked_config)
    assert (state.status, state.shown.version, [v.version for v in state.locked]) == (UnitStatus.LOCKED, 2, [2])
    assert state.left_out and state.lacking
    state = decide(unit, [_version(1, "valid", tmp_path), late], six, locked_config)
    assert (state.status, state.used.version, state.newer, [v.version for v in state.locked]) == (
        UnitStatus.VALID, 1, None, [2])
    assert decide(unit, [late], six, config).status == UnitStatus.VALID  # no lock configured: used


def test_the_state_carries_the_timeliness_verdict(config, six, tmp_path):
    """A first version before the deadline is on time; one after it is late."""
    unit = config.unit("22828")
    assert decide(unit, [_version(1, "valid", tmp_path)], six, config).timeliness.status == "on_time"
    late = _version(1, "valid", tmp_path, received=dt.datetime(2023, 5, 6, 9, tzinfo=HCM))
    assert decide(unit, [late], six, config).timeliness.status == "late"
