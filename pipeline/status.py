"""Every status code of the pipeline, with the Vietnamese words people read, in one place.

* :class:`VersionStatus`: the verdict on one version of a unit's file, as the ledger keeps it.
* :class:`UnitStatus`: the state of a unit's submission for a period (decided once, by
  :func:`pipeline.ledger.state.unit_states`), which aggregation, the report, the annexes, the charts, the
  status page, the reminders, the command line and the DAG all read.
* :class:`Timeliness`: a unit's timeliness for a period (rules in :mod:`pipeline.ledger.timeliness`).
* :class:`Arrival`: how a file reached the ledger.

The codes are :class:`enum.StrEnum` members: they equal their text, so ``aggregates.json``, the ledger's
columns and the templates keep reading and writing the same strings ("valid", "on_time", …).
"""

from __future__ import annotations

import enum

SYSTEM_ERROR = "lỗi hệ thống — {staff} đã được báo"
"""What a unit reads where its file could not be read or checked because of a system error; ``{staff}`` is the
setup's word (:meth:`pipeline.config.Config.fill`)."""
SYSTEM_ERROR_TITLE = SYSTEM_ERROR[0].upper() + SYSTEM_ERROR[1:]
"""The same at the start of a sentence or a table cell."""


class VersionStatus(enum.StrEnum):
    """One version's verdict in the ledger (column ``submission_versions.status``)."""

    PENDING = "pending"  # registered, not validated yet
    VALID = "valid"  # validated: no error
    INVALID = "invalid"  # validated: errors the unit must fix
    ERROR = "error"  # validation crashed inside the pipeline: a system error, checked again by the next pass

    @property
    def checked(self) -> bool:
        """Whether validation gave a verdict on the unit's data (valid or invalid)."""
        return self in (VersionStatus.VALID, VersionStatus.INVALID)


VERSION_LABELS: dict[VersionStatus, str] = {
    VersionStatus.PENDING: "chưa kiểm tra",
    VersionStatus.VALID: "hợp lệ",
    VersionStatus.INVALID: "có lỗi",
    VersionStatus.ERROR: SYSTEM_ERROR,
}
"""A version's verdict as the status page words it (lower case: it follows "phiên bản N")."""


class UnitStatus(enum.StrEnum):
    """A unit's submission for one period (see :class:`pipeline.ledger.state.UnitState`)."""

    VALID = "valid"  # a usable version is valid: the report uses the latest such
    INVALID = "invalid"  # usable versions, none valid, the one shown checked with errors
    ERROR = "error"  # no valid usable version and the one shown could not be checked (crashed or pending)
    LOCKED = "locked"  # only versions received after the period's lock date, not reopened: archived, not used
    MISSING = "missing"  # nothing received


UNIT_LABELS: dict[UnitStatus, str] = {
    UnitStatus.VALID: "Hợp lệ",
    UnitStatus.INVALID: "Không hợp lệ",
    UnitStatus.ERROR: SYSTEM_ERROR_TITLE,
    UnitStatus.LOCKED: "Nhận sau ngày khóa sổ, chưa được mở lại",
    UnitStatus.MISSING: "Chưa nhận",
}
"""A unit's status as the status page's and the report's tables word it."""

UNIT_LINE_LABELS: dict[UnitStatus, str] = {
    UnitStatus.VALID: "hợp lệ",
    UnitStatus.INVALID: "không hợp lệ",
    UnitStatus.ERROR: "lỗi hệ thống",
    UnitStatus.LOCKED: "nhận sau ngày khóa sổ",
    UnitStatus.MISSING: "chưa nhận",
}
"""A unit's status as the command line's one line per unit words it (after the unit's name, or, for
``locked``, after the version: "phiên bản 2 nhận sau ngày khóa sổ, chưa được mở lại")."""


def left_out(status: str, required: bool) -> bool:
    """Whether district totals over valid units leave out a unit of this status: every unit without a valid
    version, except a unit the plan only asks to report (``required`` False) that sent nothing. The one rule
    behind ``coverage.left_out`` of ``aggregates.json`` (:func:`pipeline.aggregate.tables.coverage`)."""
    return status != UnitStatus.VALID and not (status == UnitStatus.MISSING and not required)


class Timeliness(enum.StrEnum):
    """A unit's timeliness for one period."""

    ON_TIME = "on_time"
    ON_TIME_CORRECTED = "on_time_corrected"
    LATE = "late"
    MISSING = "missing"
    NOT_EXPECTED = "not_expected"


ON_TIME_STATUSES = frozenset({Timeliness.ON_TIME, Timeliness.ON_TIME_CORRECTED})


class Arrival(enum.StrEnum):
    """How a file reached the ledger (column ``submission_versions.received_via``)."""

    INTAKE = "intake"  # an intake pass found it in the drop folder: stamped with the pass's time
    STAFF = "staff"  # district staff registered it with the time they received it (python -m pipeline receive)
    UPLOAD = "upload"  # the unit sent it from the upload page (pipeline.portal): stamped when the upload ended
