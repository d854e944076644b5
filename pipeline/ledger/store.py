"""The submission ledger: every file received, stamped, archived byte for byte, versioned and judged.

Storage through SQLAlchemy: a SQLite file by default (``work/ledger.sqlite``), PostgreSQL in production by
URL (``PIPELINE_LEDGER_URL``, e.g. ``postgresql+psycopg://user@host/db``). The archive keeps each distinct
file once, named by its SHA-256, read-only; the original name is recorded, never used as a path.

Grain: one row of ``submission_versions`` per distinct file (period, SHA-256). The same bytes sent twice are
one version; a corrected file is a new version of its unit. Version numbers are unique per (period, unit) and
given in order of registration, which intake passes make the order of arrival (see
:func:`pipeline.intake.inbox.intake_pass`).

Arrival is stamped by the system, never taken from the file: ``received_at`` is when an intake pass first
saw the file (``inbox_sightings``), when it was taken whole within ``intake.incomplete_wait_minutes`` of that,
else when it was taken; or the receipt time district staff give when they register a file that came by
e-mail, Zalo or on paper (``python -m pipeline receive``). The file's modification time is kept as
information only.

One data root, one ledger: the first ledger opened for a data root (:func:`open_ledger`) is recorded in
``work/so-tiep-nhan.json`` under it, without password; opening another one for that root raises
:class:`LedgerMismatch` (a :class:`pipeline.config.ConfigError`, Vietnamese message naming both) before its
database is touched. :func:`move_ledger` copies a root's ledger to another database and records that one.

Schema: created and upgraded by the Alembic migrations in ``pipeline/ledger/migrations/`` when a ledger is opened,
under a lock so two processes never run DDL at once; a ledger created before migrations existed is
recognised and stamped at its revision first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import EllipsisType
from typing import Any, overload

import sqlalchemy as sa

from pipeline.config import ConfigError, Period
from pipeline.files import atomic_path, ensure_dir, held_lock, private_modes, sha256_of, share_group, write_text
from pipeline.paths import archive_period_dir, ledger_file, ledger_record_path
from pipeline.status import Arrival, VersionStatus
from pipeline.workspace import Workspace

log = logging.getLogger(__name__)

SCHEMA_HEAD = "0008_validation_notices"  # the newest revision in pipeline/ledger/migrations/versions/
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# PostgreSQL advisory lock keys (any two fixed 64-bit numbers; scoped to the ledger's database).
SCHEMA_LOCK_KEY = 0x4C45_4447_0001
INTAKE_LOCK_KEY = 0x4C45_4447_0002

# The schema at SCHEMA_HEAD, for queries; the migrations create it (never ``metadata.create_all``).
metadata = sa.MetaData()

versions = sa.Table(
    "submission_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.String(8), nullable=False),
    sa.Column("unit_code", sa.String(5), nullable=True),  # None: the file could not be attributed to a unit
    sa.Column("version", sa.Integer, nullable=True),  # 1, 2, … per (period, unit); None when unattributed
    sa.Column("original_name", sa.String(255), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("file_mtime", sa.DateTime(timezone=True), nullable=False),
    sa.Column("on_time", sa.Boolean, nullable=False),
    sa.Column("archive_path", sa.String(500), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, server_default=VersionStatus.PENDING.value),  # VersionStatus
    sa.Column("errors", sa.Integer, nullable=True),
    sa.Column("warnings", sa.Integer, nullable=True),
    sa.Column("findings_path", sa.String(500), nullable=True),
    sa.Column("fingerprint", sa.String(64), nullable=True),  # file + suites + config + code at validation
    sa.Column("validated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),  # arrival, stamped by the system
    sa.Column("received_via", sa.String(10), nullable=False, server_default=Arrival.INTAKE.value),  # intake | staff
    sa.Column("received_by", sa.String(120), nullable=True),  # staff registration: who
    sa.Column("receipt_note", sa.Text, nullable=True),  # staff registration: how it came
    sa.Column("unit_since", sa.Date, nullable=True),  # the unit's first day: (unit_code, unit_since) is the unit
    sa.UniqueConstraint("period", "sha256", name="uq_period_sha256"),
    sa.UniqueConstraint("period", "unit_code", "version", name="uq_period_unit_version"),
)

acceptances = sa.Table(
    "outlier_acceptances",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.String(8), nullable=False),
    sa.Column("unit_code", sa.String(5), nullable=False),
    sa.Column("indicator", sa.String(64), nullable=False),
    sa.Column("justification", sa.Text, nullable=False),
    sa.Column("accepted_by", sa.String(120), nullable=False),
    sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("unit_since", sa.Date, nullable=True),
)  # append-only: a later acceptance of the same indicator supersedes, the earlier ones stay as history

DISTRICT = "district"  # the ``unit`` of a reminder sent to district staff (the list of units lacking a report)

reminders_sent = sa.Table(
    "reminders_sent",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.String(8), nullable=False),
    sa.Column("unit", sa.String(8), nullable=False),  # a unit's GSO code, or DISTRICT
    sa.Column("kind", sa.String(32), nullable=False),  # e.g. "before-7d": which reminder of the period
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recipients", sa.Integer, nullable=False),  # how many addresses (never the message itself)
    sa.UniqueConstraint("period", "unit", "kind", name="uq_reminder"),
)  # one row per reminder e-mail: claimed before sending, so a rerun or a second run never sends it twice

approvals = sa.Table(
    "report_approvals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.String(8), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # the report's version
    sa.Column("sha256", sa.String(64), nullable=False),  # of the report file approved
    sa.Column("approved_by", sa.String(120), nullable=False),
    sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
)  # append-only: approving again (e.g. a re-rendered file) adds a row; the latest one of a version is in force

deliveries = sa.Table(
    "report_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.String(8), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),  # of the approved report archived
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recipients", sa.Text, nullable=False),  # addresses, comma-separated
    sa.Column("archive_path", sa.String(500), nullable=False),
)

reopenings = sa.Table(
    "period_reopenings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.String(8), nullable=False),
    sa.Column("unit_code", sa.String(5), nullable=False),
    sa.Column("reopened_by", sa.String(120), nullable=False),
    sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("unit_since", sa.Date, nullable=True),
)  # append-only: who opened a locked period again for a unit, when and why (pipeline.ledger.timeliness)

sightings = sa.Table(
    "inbox_sightings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.String(8), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("inode", sa.BigInteger, nullable=False),
    sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("period", "name", name="uq_inbox_sightings_period_name"),
)  # files of a drop folder listed but not yet taken: when first seen (pipeline.intake.inbox)


notices = sa.Table(
    "validation_notices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("version_id", sa.Integer, nullable=False),  # submission_versions.id
    sa.Column("period", sa.String(8), nullable=False),
    sa.Column("unit_code", sa.String(5), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # VersionStatus announced
    sa.Column("errors", sa.Integer, nullable=False),
    sa.Column("warnings", sa.Integer, nullable=False),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),  # None: waiting (or its sending failed)
    sa.Column("recipients", sa.Integer, nullable=True),  # how many addresses (never the message)
    sa.Column("outcome", sa.String(16), nullable=True),  # "sent" | "no_address"
    sa.UniqueConstraint("version_id", name="uq_validation_notices_version"),
)  # one notice per version validated, queued by validation and sent once by the DAG ``notices``


def _sqlite_file(url: sa.engine.URL) -> Path | None:
    """The database file of a SQLite URL (None for other databases and in-memory SQLite), also in SQLite's URI
    form (``sqlite:///file:/path?mode=ro&uri=true``: a read-only opening of that file)."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        path = database[len("file:"):].split("?", 1)[0]
        path = path[len("//"):] if path.startswith("//") else path  # file:///abs → /abs
        return Path(path).resolve() if path and path != ":memory:" and "mode=memory" not in database else None
    return Path(database).resolve()


def _private_file(path: Path) -> None:
    """Create ``path`` if absent and make it owner-only (0600, or 0640 with the share group)."""
    mode = private_modes()[0]
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, mode))
    os.chmod(path, mode)
    gid = share_group()
    if gid is not None:
        with contextlib.suppress(PermissionError):
            os.chown(path, -1, gid)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created owner-only); released on exit or when the process dies."""
    _private_file(path)
    with held_lock(os.open(path, os.O_RDWR)):
        yield


@contextlib.contextmanager
def _advisory_lock(engine: sa.Engine, key: int) -> Iterator[sa.Connection]:
    """Hold PostgreSQL's session advisory lock ``key`` on a connection of its own (released on exit or when
    the connection drops); yields that connection."""
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key})
        conn.commit()
        try:
            yield conn
        finally:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                conn.rollback()
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()


def _alembic_config(conn: sa.Connection) -> Any:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    cfg.attributes["connection"] = conn
    return cfg


def _current_revision(conn: sa.Connection) -> str | None:
    """The revision stamped in ``alembic_version``, or None when the table is absent or empty."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def legacy_revision(conn: sa.Connection) -> str | None:
    """The revision a ledger created without migrations (``create_all``) is at, or None if it has no tables.

    ``0001`` when outlier acceptances still carry the unique constraint on (period, unit, indicator), ``0002``
    when they do not, ``0003`` when the arrival columns already exist (reopenings never existed without
    migrations).
    """
    insp = sa.inspect(conn)
    tables = set(insp.get_table_names())
    if "submission_versions" not in tables:
        return None
    if "received_at" in {c["name"] for c in insp.get_columns("submission_versions")}:
        return "0003"  # the last revision create_all could have built
    if "outlier_acceptances" in tables:
        uniques = insp.get_unique_constraints("outlier_acceptances")
        if any(u["name"] == "uq_acceptance" or set(u["column_names"]) == {"period", "unit_code", "indicator"}
               for u in uniques):
            return "0001"
    return "0002"


def upgrade_schema(engine: sa.Engine) -> str:
    """Bring the ledger database to :data:`SCHEMA_HEAD` with the Alembic migrations; returns the revision.

    Nothing is done (and no lock taken) when the database is already at the head. Otherwise the upgrade runs
    under an exclusive lock — PostgreSQL's advisory lock :data:`SCHEMA_LOCK_KEY`, or for SQLite an ``flock``
    on ``<database>.schema-lock`` beside the file — so concurrent openings never run DDL at once; the state
    is read again once the lock is held. A ledger without ``alembic_version`` but with tables (created by
    ``create_all`` before migrations) is stamped at :func:`legacy_revision` first, then upgraded.
    """
    with engine.connect() as conn:
        if _current_revision(conn) == SCHEMA_HEAD and sa.inspect(conn).has_table("submission_versions"):
            return SCHEMA_HEAD
    db_file = _sqlite_file(engine.url)
    if engine.dialect.name == "postgresql":
        guard: Any = _advisory_lock(engine, SCHEMA_LOCK_KEY)
    elif db_file is not None:
        guard = _file_lock(db_file.with_name(db_file.name + ".schema-lock"))
    else:
        guard = contextlib.nullcontext()
    from alembic import command

    with guard, engine.connect() as conn:
        current = _current_revision(conn)
        has_tables = sa.inspect(conn).has_table("submission_versions")
        if current is not None and not has_tables:  # the tables were dropped: an empty database again
            conn.execute(sa.text("DELETE FROM alembic_version"))
            current = None
        conn.commit()
        cfg = _alembic_config(conn)
        if current is None and has_tables:
            legacy = legacy_revision(conn)
            conn.commit()
            log.info("Ledger created without migrations: stamped at revision %s", legacy)
            command.stamp(cfg, legacy or "0001")  # has_tables: legacy_revision gives a revision
            conn.commit()
        if current != SCHEMA_HEAD:
            command.upgrade(cfg, "head")
            conn.commit()
        return _current_revision(conn) or ""


@dataclass(frozen=True)
class Version:
    """One ledger row (see the table ``submission_versions``); times are aware datetimes."""

    id: int
    period: str
    unit_code: str | None
    version: int | None
    original_name: str
    sha256: str
    size_bytes: int
    found_at: dt.datetime
    file_mtime: dt.datetime
    on_time: bool
    archive_path: str
    status: str
    errors: int | None
    warnings: int | None
    findings_path: str | None
    fingerprint: str | None
    validated_at: dt.datetime | None
    received_at: dt.datetime
    received_via: str
    received_by: str | None
    receipt_note: str | None
    unit_since: dt.date | None = None  # the unit's first day (None: unattributed, or written before it was kept)


@dataclass(frozen=True)
class Reopening:
    """A period opened again for a unit after its lock date (table ``period_reopenings``); aware time."""

    id: int
    period: str
    unit_code: str
    reopened_by: str
    reopened_at: dt.datetime
    reason: str


def _utc(value: dt.datetime) -> dt.datetime:
    """Store times in UTC (SQLite keeps no offset)."""
    if value.tzinfo is None:
        raise ValueError("ledger times must be timezone-aware")
    return value.astimezone(dt.UTC)


@overload
def _aware(value: dt.datetime) -> dt.datetime: ...
@overload
def _aware(value: None) -> None: ...
def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite returns naive datetimes; they were stored in UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


class Ledger:
    """Access to the ledger database. Create with a SQLAlchemy URL; the schema is created or upgraded to
    :data:`SCHEMA_HEAD` by :func:`upgrade_schema`.

    A SQLite ledger file is owner-only (0600, or 0640 with ``PIPELINE_SHARE_GROUP``): it names every file
    received; a folder created for it is 0700 (0750). SQLite waits up to 60 s for another process's
    write to finish instead of failing at once.
    """

    def __init__(self, url: str) -> None:
        parsed = sa.engine.make_url(url)
        self._db_file = _sqlite_file(parsed)
        connect_args: dict[str, Any] = {}
        if self._db_file is not None:
            if parsed.query.get("mode") != "ro":  # a read-only opening creates and changes nothing
                if not self._db_file.parent.exists():  # an existing folder named by the URL keeps its mode
                    ensure_dir(self._db_file.parent, private=True)
                _private_file(self._db_file)
            connect_args["timeout"] = 60
        self.engine = sa.create_engine(parsed, future=True, connect_args=connect_args)
        self._intake_depth = 0
        upgrade_schema(self.engine)

    @contextlib.contextmanager
    def intake_lock(self) -> Iterator[None]:
        """Hold the ledger's intake lock: one intake pass or staff registration at a time, across processes.

        PostgreSQL: advisory lock :data:`INTAKE_LOCK_KEY` on a connection of its own; SQLite: ``flock`` on
        ``<database>.intake-lock`` beside the file. Blocks until free; released on exit or when the process
        dies. Re-entrant within one :class:`Ledger` object.
        """
        if self._intake_depth:
            self._intake_depth += 1
            try:
                yield
            finally:
                self._intake_depth -= 1
            return
        if self.engine.dialect.name == "postgresql":
            guard: Any = _advisory_lock(self.engine, INTAKE_LOCK_KEY)
        elif self._db_file is not None:
            guard = _file_lock(self._db_file.with_name(self._db_file.name + ".intake-lock"))
        else:
            guard = contextlib.nullcontext()
        with guard:
            self._intake_depth = 1
            try:
                yield
            finally:
                self._intake_depth = 0

    def _row(self, row: Any) -> Version:
        d = dict(row._mapping)
        for k in ("found_at", "file_mtime", "validated_at", "received_at"):
            d[k] = _aware(d[k])
        return Version(**d)

    def find(self, period: str, sha256: str) -> Version | None:
        """The version of ``period`` with these bytes, if already registered."""
        with self.engine.connect() as c:
            row = c.execute(
                sa.select(versions).where(versions.c.period == period, versions.c.sha256 == sha256)
            ).first()
        return self._row(row) if row else None

    def register(self, *, period: str, unit_code: str | None, original_name: str, sha256: str, size_bytes: int,
                 found_at: dt.datetime, file_mtime: dt.datetime, on_time: bool, archive_path: str,
                 received_at: dt.datetime | None = None, received_via: str = Arrival.INTAKE,
                 received_by: str | None = None, receipt_note: str | None = None,
                 unit_since: dt.date | None = None) -> Version:
        """Record a new distinct file; its version number is one more than the unit's latest.

        Callers number in order of arrival by registering under :meth:`intake_lock` in that order. The
        insert is also conflict-safe on its own: (period, unit, version) and (period, SHA-256) are unique, and
        a conflicting insert is retried with the next number (up to 20 times).

        Args:
            received_at: arrival stamped by the system (default ``found_at``); aware.
            received_via: ``intake`` (found by a pass) or ``staff`` (registered by district staff).
            received_by, receipt_note: who registered it and how it came (staff registrations).
            unit_since: the first day of the unit ``unit_code`` names in the period (its identity with the code:
                22810 is two units across 01/07/2025), from the configuration.

        Idempotent: registering bytes already in the ledger for the period returns the existing row.

        Raises:
            ValueError: a naive time or an unknown ``received_via``.
            sqlalchemy.exc.IntegrityError: still conflicting after the retries.
        """
        if received_via not in tuple(Arrival):
            raise ValueError(f"received_via must be one of {[str(a) for a in Arrival]}, not {received_via!r}")
        values = dict(
            period=period, unit_code=unit_code, original_name=original_name, sha256=sha256,
            size_bytes=size_bytes, found_at=_utc(found_at), file_mtime=_utc(file_mtime), on_time=on_time,
            archive_path=archive_path, status=VersionStatus.PENDING, received_at=_utc(received_at or found_at),
            received_via=received_via, received_by=received_by, receipt_note=receipt_note,
            unit_since=unit_since if unit_code is not None else None,
        )
        for attempt in range(20):
            existing = self.find(period, sha256)
            if existing is not None:
                return existing
            try:
                with self.engine.begin() as c:
                    number = None
                    if unit_code is not None:
                        latest = c.execute(
                            sa.select(sa.func.max(versions.c.version)).where(
                                versions.c.period == period, versions.c.unit_code == unit_code)
                        ).scalar()
                        number = (latest or 0) + 1
                    c.execute(versions.insert().values(version=number, **values))
                break
            except sa.exc.IntegrityError:
                if attempt == 19:
                    raise
                log.info("Version number taken by another registration; retrying")
        found = self.find(period, sha256)
        assert found is not None
        return found

    def attribute(self, version_id: int, unit_code: str, unit_since: dt.date | None = None) -> Version | None:
        """Give an unattributed version (its unit could not be read when it was registered: a system error)
        the unit read from it since, numbered one more than the unit's latest version.

        Versions are numbered in order of arrival, so this is done only when no version of the unit arrived
        after this one; otherwise nothing changes and None is returned. Runs under :meth:`intake_lock` (no
        registration takes the number meanwhile). Idempotent: an attributed version is returned unchanged.
        """
        with self.intake_lock(), self.engine.begin() as c:
            row = c.execute(sa.select(versions).where(versions.c.id == version_id)).first()
            if row is None:
                return None
            if row.unit_code is not None:
                return self._row(row)
            mine = sa.and_(versions.c.period == row.period, versions.c.unit_code == unit_code)
            later = c.execute(sa.select(sa.func.count()).select_from(versions).where(
                mine, versions.c.received_at > row.received_at)).scalar()
            if later:
                return None
            latest = c.execute(sa.select(sa.func.max(versions.c.version)).where(mine)).scalar()
            c.execute(versions.update().where(versions.c.id == version_id).values(
                unit_code=unit_code, version=(latest or 0) + 1, unit_since=unit_since))
            return self._row(c.execute(sa.select(versions).where(versions.c.id == version_id)).one())

    def record_validation(self, version_id: int, *, status: str, errors: int, warnings: int, findings_path: str,
                          fingerprint: str | None, validated_at: dt.datetime) -> None:
        """Store a version's validation result (``fingerprint`` None: validated again by the next pass)."""
        with self.engine.begin() as c:
            c.execute(versions.update().where(versions.c.id == version_id).values(
                status=status, errors=errors, warnings=warnings, findings_path=findings_path,
                fingerprint=fingerprint, validated_at=_utc(validated_at)))

    def versions(self, period: str, unit_code: str | None | EllipsisType = ...) -> list[Version]:
        """Versions of a period (of one unit when ``unit_code`` is given; None: the unattributed ones), oldest
        first."""
        q = sa.select(versions).where(versions.c.period == period)
        if not isinstance(unit_code, EllipsisType):
            q = q.where(versions.c.unit_code == unit_code) if unit_code is not None else q.where(
                versions.c.unit_code.is_(None))
        with self.engine.connect() as c:
            rows = c.execute(q.order_by(versions.c.version, versions.c.id)).all()
        return [self._row(r) for r in rows]

    def accept_outlier(self, *, period: str, unit_code: str, indicator: str, justification: str,
                       accepted_by: str, accepted_at: dt.datetime, unit_since: dt.date | None = None) -> None:
        """Keep district staff's written justification for accepting an outlier warning.

        Append-only: accepting the same indicator again adds a row; the latest one is in force.

        Raises:
            ValueError: the justification or the name of who accepts is empty.
        """
        if not justification.strip():
            raise ValueError("Cần ghi lý do chấp nhận số liệu bất thường.")
        if not accepted_by.strip():
            raise ValueError("Cần ghi tên người chấp nhận.")
        with self.engine.begin() as c:
            c.execute(acceptances.insert().values(
                period=period, unit_code=unit_code, indicator=indicator, justification=justification.strip(),
                accepted_by=accepted_by, accepted_at=_utc(accepted_at), unit_since=unit_since))

    def acceptances(self, period: str, unit_code: str) -> dict[str, str]:
        """Accepted outliers of a unit and period in force: indicator key → justification (the latest)."""
        return {k: v["justification"] for k, v in self.acceptance_records(period, unit_code).items()}

    def acceptance_records(self, period: str, unit_code: str) -> dict[str, dict[str, Any]]:
        """The acceptance in force per indicator: ``{"justification", "accepted_by", "accepted_at"}``."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(acceptances).where(
                acceptances.c.period == period, acceptances.c.unit_code == unit_code
            ).order_by(acceptances.c.accepted_at, acceptances.c.id)).all()
        return {r.indicator: {"justification": r.justification, "accepted_by": r.accepted_by,
                              "accepted_at": _aware(r.accepted_at)} for r in rows}

    # --- notices of validation to the units (counts only) ---

    def queue_notice(self, version: Version, *, status: str, errors: int, warnings: int, at: dt.datetime) -> bool:
        """Queue the notice of ``version``'s verdict for its unit; False when it was already queued (a version is
        announced once, even when validated again). Unattributed versions have no unit to tell: False."""
        if version.unit_code is None:
            return False
        try:
            with self.engine.begin() as c:
                c.execute(notices.insert().values(
                    version_id=version.id, period=version.period, unit_code=version.unit_code, status=status,
                    errors=errors, warnings=warnings, queued_at=_utc(at)))
        except sa.exc.IntegrityError:
            return False
        return True

    def _notices(self, where: Any) -> list[dict[str, Any]]:
        """Notices matching ``where``, oldest first: ``{"id", "version_id", "period", "unit_code", "status",
        "errors", "warnings", "queued_at", "sent_at", "recipients", "outcome"}`` (times aware)."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(notices).where(where).order_by(notices.c.queued_at, notices.c.id)).all()
        return [{"id": r.id, "version_id": r.version_id, "period": r.period, "unit_code": r.unit_code,
                 "status": r.status, "errors": r.errors, "warnings": r.warnings, "queued_at": _aware(r.queued_at),
                 "sent_at": _aware(r.sent_at), "recipients": r.recipients, "outcome": r.outcome} for r in rows]

    def pending_notices(self) -> list[dict[str, Any]]:
        """Notices not sent yet, oldest first (rows as :meth:`_notices`)."""
        return self._notices(notices.c.sent_at.is_(None))

    def claim_notice(self, notice_id: int, *, recipients: int, outcome: str, at: dt.datetime) -> bool:
        """Mark a waiting notice as being sent (or as having no address); False when another run claimed it
        first. Call before sending; :meth:`release_notice` if sending fails."""
        with self.engine.begin() as c:
            done = c.execute(notices.update().where(notices.c.id == notice_id, notices.c.sent_at.is_(None)).values(
                sent_at=_utc(at), recipients=recipients, outcome=outcome))
        return done.rowcount == 1

    def release_notice(self, notice_id: int) -> None:
        """A claimed notice whose sending failed waits again: the next run sends it."""
        with self.engine.begin() as c:
            c.execute(notices.update().where(notices.c.id == notice_id).values(sent_at=None, recipients=None,
                                                                                 outcome=None))

    def notices(self, period: str) -> list[dict[str, Any]]:
        """Every notice of ``period``, oldest first, sent or not (rows as :meth:`_notices`)."""
        return self._notices(notices.c.period == period)

    def version_by_id(self, version_id: int) -> Version | None:
        """The ledger row with this id, or None."""
        with self.engine.connect() as c:
            row = c.execute(sa.select(versions).where(versions.c.id == version_id)).one_or_none()
        return self._row(row) if row is not None else None

    # --- reminders, approvals, deliveries (no message body, no personal data) ---

    def claim_reminder(self, *, period: str, unit: str, kind: str, recipients: int, at: dt.datetime) -> bool:
        """Record that reminder ``kind`` of ``period`` is being sent to ``unit`` (a GSO code or
        :data:`DISTRICT`) at ``recipients`` addresses; returns False when it was already recorded (sent by an
        earlier or concurrent run: do not send). Call before sending; :meth:`release_reminder` if sending
        fails. (period, unit, kind) is unique, so two runs never both claim it.
        """
        try:
            with self.engine.begin() as c:
                c.execute(reminders_sent.insert().values(period=period, unit=unit, kind=kind, sent_at=_utc(at),
                                                         recipients=recipients))
        except sa.exc.IntegrityError:
            return False
        return True

    def release_reminder(self, *, period: str, unit: str, kind: str) -> None:
        """Forget a claimed reminder whose sending failed, so the next run sends it."""
        with self.engine.begin() as c:
            c.execute(reminders_sent.delete().where(reminders_sent.c.period == period, reminders_sent.c.unit == unit,
                                                    reminders_sent.c.kind == kind))

    def reminders(self, period: str) -> list[dict[str, Any]]:
        """Reminders recorded for ``period``, oldest first: ``{"unit", "kind", "sent_at", "recipients"}``."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(reminders_sent).where(reminders_sent.c.period == period)
                             .order_by(reminders_sent.c.sent_at, reminders_sent.c.id)).all()
        return [{"unit": r.unit, "kind": r.kind, "sent_at": _aware(r.sent_at), "recipients": r.recipients}
                for r in rows]

    def approve(self, *, period: str, version: int, sha256: str, approved_by: str, approved_at: dt.datetime) -> None:
        """Record that district staff approved version ``version`` of the period's report, whose file has this
        SHA-256. Append-only.

        Raises:
            ValueError: the approver's name is empty or the hash is not 64 hex digits.
        """
        if not approved_by.strip():
            raise ValueError("Cần ghi tên người phê duyệt.")
        if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
            raise ValueError("sha256 must be 64 lower-case hex digits")
        with self.engine.begin() as c:
            c.execute(approvals.insert().values(period=period, version=version, sha256=sha256,
                                                approved_by=approved_by.strip(), approved_at=_utc(approved_at)))

    def approval(self, period: str, version: int | None = None) -> dict[str, Any] | None:
        """The approval in force: the latest one of ``version`` (of any version when None), as
        ``{"version", "sha256", "approved_by", "approved_at"}``, or None when there is none."""
        q = sa.select(approvals).where(approvals.c.period == period)
        if version is not None:
            q = q.where(approvals.c.version == version)
        with self.engine.connect() as c:
            row = c.execute(q.order_by(approvals.c.approved_at.desc(), approvals.c.id.desc())).first()
        if row is None:
            return None
        return {"version": row.version, "sha256": row.sha256, "approved_by": row.approved_by,
                "approved_at": _aware(row.approved_at)}

    def record_delivery(self, *, period: str, version: int, sha256: str, delivered_at: dt.datetime,
                        recipients: list[str], archive_path: str) -> None:
        """Record that the approved report (``version``, file SHA-256) was archived and e-mailed."""
        with self.engine.begin() as c:
            c.execute(deliveries.insert().values(period=period, version=version, sha256=sha256,
                                                 delivered_at=_utc(delivered_at), recipients=", ".join(recipients),
                                                 archive_path=archive_path))

    def deliveries(self, period: str) -> list[dict[str, Any]]:
        """Deliveries of ``period``'s report, oldest first: ``{"version", "sha256", "delivered_at",
        "recipients" (list of addresses), "archive_path"}``."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(deliveries).where(deliveries.c.period == period)
                             .order_by(deliveries.c.delivered_at, deliveries.c.id)).all()
        return [{"version": r.version, "sha256": r.sha256, "delivered_at": _aware(r.delivered_at),
                 "recipients": [a for a in r.recipients.split(", ") if a], "archive_path": r.archive_path}
                for r in rows]

    def reopen(self, *, period: str, unit_code: str, reopened_by: str, reason: str,
               reopened_at: dt.datetime, unit_since: dt.date | None = None) -> Reopening:
        """Record that district staff opened ``period`` again for ``unit_code`` after its lock date: the unit's
        versions received after the lock are used from then on (:func:`pipeline.ledger.timeliness.locked_out`).

        Append-only: reopening again adds a row (the history of who, when and why is kept).

        Raises:
            ValueError: the name or the reason is empty, or ``reopened_at`` is naive.
        """
        if not reopened_by.strip():
            raise ValueError("Cần ghi tên người mở lại kỳ báo cáo (--by).")
        if not reason.strip():
            raise ValueError("Cần ghi lý do mở lại kỳ báo cáo (--reason).")
        with self.engine.begin() as c:
            key = c.execute(reopenings.insert().values(
                period=period, unit_code=unit_code, reopened_by=reopened_by.strip(), reason=reason.strip(),
                reopened_at=_utc(reopened_at), unit_since=unit_since)).inserted_primary_key
        assert key is not None  # an insert returns its key
        new_id = key[0]
        return next(r for r in self.reopenings(period) if r.id == new_id)

    def reopenings(self, period: str) -> list[Reopening]:
        """The reopenings of ``period`` (every unit), oldest first."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(reopenings).where(reopenings.c.period == period)
                             .order_by(reopenings.c.reopened_at, reopenings.c.id)).all()
        return [Reopening(id=r.id, period=r.period, unit_code=r.unit_code, reopened_by=r.reopened_by,
                          reopened_at=_aware(r.reopened_at), reason=r.reason) for r in rows]

    def sight(self, period: str, name: str, inode: int, at: dt.datetime) -> dt.datetime:
        """When the file ``name`` of ``inbox/<period>/`` was first seen: recorded as ``at`` on its first
        sighting, and again when the name now holds another file (another ``inode``: replaced); aware.

        Called by intake passes (under the intake lock) for each file not yet taken as a version;
        :meth:`forget_sighting` ends a sighting once the file is taken.

        Raises:
            ValueError: ``at`` is naive.
        """
        with self.engine.begin() as c:
            row = c.execute(sa.select(sightings).where(sightings.c.period == period,
                                                       sightings.c.name == name)).first()
            if row is not None and row.inode == inode:
                return _aware(row.first_seen_at)
            if row is not None:
                c.execute(sightings.delete().where(sightings.c.id == row.id))
            c.execute(sightings.insert().values(period=period, name=name, inode=inode, first_seen_at=_utc(at)))
        return _utc(at)

    def forget_sighting(self, period: str, name: str) -> None:
        """End the sighting of ``name`` (taken as a version, or gone from the drop folder)."""
        with self.engine.begin() as c:
            c.execute(sightings.delete().where(sightings.c.period == period, sightings.c.name == name))

    def sightings(self, period: str) -> dict[str, dt.datetime]:
        """The files of ``inbox/<period>/`` seen and not yet taken: name → when first seen (aware)."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(sightings).where(sightings.c.period == period)).all()
        return {r.name: _aware(r.first_seen_at) for r in rows}




class NotRegularFile(OSError):
    """The path is a symbolic link, a folder, a FIFO, a device or a socket: never followed nor copied."""


class SourceChanged(OSError):
    """The file changed (size, modification time or identity) while it was being copied: not yet complete."""


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_size, a.st_mtime_ns, a.st_ino, a.st_dev) == (b.st_size, b.st_mtime_ns, b.st_ino, b.st_dev)


def archive_file(src: Path, period: Period, root: Path, *,
                 expected: os.stat_result | None = None) -> tuple[Path, str, int]:
    """Copy ``src`` once into ``archive/<period>/``, hash the copy, publish it read-only under its hash.

    The source is opened without following links (``O_NOFOLLOW``) and must be a regular file. Its bytes
    are copied to a temporary file in the archive folder, the copy is hashed, and published atomically as
    ``archive/<period>/<sha256 of the copy><suffix>`` with its final owner-only read-only mode (0400, or
    0440 with the share group of :func:`pipeline.files.private_modes`); the folder is owner-only. The
    suffix is kept (lower-cased, letters and digits only) so the copy opens in its program; the original
    name is never used as a path. When a copy with that hash already exists it is kept and the new one
    discarded.

    Args:
        src: the file in the drop folder.
        period: its period.
        root: the data root (default :func:`pipeline.config.data_dir`).
        expected: the ``os.lstat`` of ``src`` taken when it was judged stable; the copy is refused when the
            file opened differs from it.

    Returns:
        (archive path, hex SHA-256 of the archived copy, its size in bytes).

    Raises:
        NotRegularFile: ``src`` is a link or not a regular file (nothing is copied).
        SourceChanged: ``src`` changed before or during the copy (the copy is discarded).
        OSError: reading or writing failed.
    """
    suffix = "".join(ch for ch in src.suffix.lower() if ch.isalnum() or ch == ".")[:8]
    folder = ensure_dir(archive_period_dir(period.code, root), private=True)
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if os.path.islink(src):
            raise NotRegularFile(f"{src.name} is a symbolic link") from exc
        raise
    staged: Path | None = None
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise NotRegularFile(f"{src.name} is not a regular file")
        if expected is not None and not _same(before, expected):
            raise SourceChanged(f"{src.name} changed since it was judged stable")
        tmp_fd, tmp_name = tempfile.mkstemp(prefix=".archive.", suffix=".tmp", dir=folder)
        staged = Path(tmp_name)
        copied = 0
        with os.fdopen(tmp_fd, "wb") as out, os.fdopen(os.dup(fd), "rb", buffering=0) as inp:
            for chunk in iter(lambda: inp.read(1 << 20), b""):
                out.write(chunk)
                copied += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        after = os.fstat(fd)
        try:
            now = os.lstat(src)
        except FileNotFoundError as exc:
            raise SourceChanged(f"{src.name} was removed during the copy") from exc
        if not (_same(before, after) and _same(before, now)) or copied != before.st_size:
            raise SourceChanged(f"{src.name} changed during the copy")
        digest = sha256_of(staged)
        dst = folder / f"{digest}{suffix}"
        if dst.exists():
            staged.unlink()
        else:
            with atomic_path(dst, private=True, mode=private_modes()[0] & 0o444) as tmp:
                os.replace(staged, tmp)
        staged = None
        return dst, digest, copied
    finally:
        os.close(fd)
        if staged is not None:
            with contextlib.suppress(FileNotFoundError):
                staged.unlink()


# --- the ledger a data root belongs to (work/so-tiep-nhan.json) ---

_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433, "oracle": 1521}
_MOVE_COMMAND = "python -m pipeline move-ledger --to URL"


class LedgerMismatch(ConfigError):
    """The data root belongs to another ledger than the one this run names (``PIPELINE_LEDGER_URL``, or the
    SQLite default): nothing may be registered, validated or published from it on this root.

    ``root`` the data root; ``recorded`` the root's ledger and ``given`` this run's, both as URLs without
    password. The message (Vietnamese) names both and the fix; its first sentence, with both ledgers, comes first
    so that a message shortened by a step's failure (:class:`pipeline.orchestrator.StepFailed`) still names them.
    """

    def __init__(self, root: Path, recorded: str, given: str, *, recorded_is_default: bool) -> None:
        self.root, self.recorded, self.given = root, recorded, given
        own = ("bỏ biến PIPELINE_LEDGER_URL để dùng tệp SQLite mặc định work/ledger.sqlite của thư mục"
               if recorded_is_default else f"đặt PIPELINE_LEDGER_URL={recorded}, thêm mật khẩu nếu sổ cần")
        super().__init__(
            f"Sổ tiếp nhận không khớp: thư mục dữ liệu này thuộc sổ {recorded}, nhưng lần chạy này dùng sổ {given}. "
            f"Đã dừng, không tiếp nhận, kiểm tra hay công bố gì, để báo cáo không bị lập từ hai sổ khác nhau "
            f"(thư mục dữ liệu: {root}; sổ của thư mục ghi trong {ledger_record_path(root)}). Cách sửa: dùng đúng "
            f"sổ của thư mục ({own}), hoặc dùng một thư mục dữ liệu khác (PIPELINE_DATA_DIR) cho sổ {given}. Muốn "
            f"chuyển sổ của thư mục này sang cơ sở dữ liệu khác (ví dụ PostgreSQL), dùng lệnh {_MOVE_COMMAND}.")


def public_url(url: str) -> str:
    """``url`` without its password (nor query parameters naming one): what may be recorded and shown. A SQLite
    file is named by its absolute path."""
    parsed = sa.engine.make_url(url)
    db_file = _sqlite_file(parsed)
    if db_file is not None:
        return f"sqlite:///{db_file}"
    query = {k: v for k, v in parsed.query.items() if "password" not in k.lower()}
    # URL.set(password=None) keeps the password (None means "unchanged" there): build the URL anew
    bare = sa.engine.URL.create(parsed.drivername, username=parsed.username, host=parsed.host, port=parsed.port,
                                database=parsed.database, query=query)
    return bare.render_as_string(hide_password=False)


def ledger_identity(url: str) -> str:
    """Which database ``url`` names, whatever the spelling: a SQLite file by its absolute path (a relative and an
    absolute URL of the same file are the same ledger); another database by its backend, host (lower case),
    port (the backend's default when none is given) and name — the driver, the user, the password and
    connection options do not change which ledger it is."""
    parsed = sa.engine.make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        db_file = _sqlite_file(parsed)
        return f"sqlite:///{db_file}" if db_file is not None else "sqlite://"
    host: Any = parsed.host or parsed.query.get("host") or ""
    port: Any = parsed.port or parsed.query.get("port") or _DEFAULT_PORTS.get(backend, "")
    if isinstance(host, tuple):
        host = ",".join(host)
    if isinstance(port, tuple):
        port = ",".join(port)
    return f"{backend}://{str(host).lower()}:{port}/{parsed.database or ''}"


def _in_root(url: str, root: Path) -> str | None:
    """The path of ``url``'s SQLite file relative to the data root when the file is under it (the default
    ``work/ledger.sqlite``): such a ledger moves with its root (a root copied or renamed keeps its ledger)."""
    db_file = _sqlite_file(sa.engine.make_url(url))
    if db_file is None:
        return None
    try:
        return db_file.relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def read_ledger_record(root: Path) -> dict[str, Any] | None:
    """The root's ledger record (``work/so-tiep-nhan.json``), or None when no ledger was opened for it yet.

    ``{"ledger": URL without password, "in_data_root": the SQLite file's path under the root or None,
    "recorded_at": ISO 8601 time}``.

    Raises:
        ConfigError: the file exists but cannot be read as a record (Vietnamese message).
    """
    path = ledger_record_path(root)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        record = json.loads(text)
        if not isinstance(record, dict) or not isinstance(record.get("ledger"), str):
            raise ValueError("no ledger")
        sa.engine.make_url(record["ledger"])
    except (ValueError, sa.exc.ArgumentError) as exc:
        raise ConfigError(
            f"Không đọc được tệp ghi sổ tiếp nhận của thư mục dữ liệu: {path} ({type(exc).__name__}). Khôi phục tệp "
            "từ bản sao lưu, hoặc báo quản trị hệ thống ghi lại sổ của thư mục.") from exc
    return record


def check_ledger(workspace: Workspace) -> dict[str, Any] | None:
    """Check that the workspace's ledger is its data root's (:func:`read_ledger_record`); writes nothing.
    Returns the record (None when the root has none yet: any ledger may be the first).

    Raises:
        LedgerMismatch: the root belongs to another ledger.
        ConfigError: the record cannot be read.
    """
    root = workspace.root.resolve()
    record = read_ledger_record(root)
    if record is None:
        return None
    url = workspace.database_url()
    in_root = record.get("in_data_root")
    recorded_file = (root / str(in_root)).resolve() if in_root else None
    if recorded_file is not None:
        same = _sqlite_file(sa.engine.make_url(url)) == recorded_file
        recorded = f"sqlite:///{recorded_file}"
    else:
        same = ledger_identity(url) == ledger_identity(record["ledger"])
        recorded = record["ledger"]
    if not same:
        raise LedgerMismatch(root, recorded, public_url(url),
                             recorded_is_default=recorded_file == ledger_file(root).resolve())
    return record


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the folder itself (no lock file left behind)."""
    with held_lock(os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))):
        yield


def record_ledger(workspace: Workspace, *, replace: bool = False) -> dict[str, Any]:
    """Record the workspace's ledger as its data root's (``work/so-tiep-nhan.json``, owner-only, written
    atomically) when the root has none; returns the record in force.

    Under an exclusive lock on ``work/``, so two first uses at once never both record: the second finds the
    first's record and is checked against it. ``replace`` (the ledger was moved: ``move-ledger``) overwrites a
    record of another ledger.

    Raises:
        LedgerMismatch: the root already belongs to another ledger (and not ``replace``).
    """
    root = workspace.root.resolve()
    if not replace:
        found = check_ledger(workspace)
        if found is not None:
            return found
    path = ledger_record_path(root)
    ensure_dir(path.parent, private=True)
    with _folder_lock(path.parent):
        if not replace:
            found = check_ledger(workspace)
            if found is not None:
                return found
        url = workspace.database_url()
        record = {"ledger": public_url(url), "in_data_root": _in_root(url, root),
                  "recorded_at": workspace.now().astimezone(dt.UTC).isoformat(timespec="seconds"),
                  "note": "Sổ tiếp nhận của thư mục dữ liệu này (không ghi mật khẩu). Mọi lệnh, DAG và dịch vụ "
                             "dùng thư mục này phải dùng đúng sổ này; chuyển sổ bằng lệnh " + _MOVE_COMMAND + "."}
        write_text(path, json.dumps(record, ensure_ascii=False, indent=1) + "\n", private=True)
    log.info("Data root %s recorded as belonging to the ledger %s", root, record["ledger"])
    return record


def open_ledger(workspace: Workspace) -> Ledger:
    """The ledger of ``workspace`` (:meth:`pipeline.workspace.Workspace.database_url`); for the SQLite default,
    ``work/`` under the data root is made first, owner-only (it holds the ledger and staging).

    One data root, one ledger: the root's ledger is checked first (:func:`check_ledger`, before the database is
    touched), and on the root's first use recorded once the ledger has opened (:func:`record_ledger`; a ledger
    that cannot be reached binds nothing).

    Raises:
        LedgerMismatch: the data root belongs to another ledger.
        sqlalchemy.exc.SQLAlchemyError: the database cannot be reached or upgraded.
    """
    recorded = check_ledger(workspace)
    if workspace.ledger_url is None:
        ensure_dir(ledger_file(workspace.root).parent, private=True)
    ledger = Ledger(workspace.database_url())
    if recorded is None:
        record_ledger(workspace)
    return ledger


def _portable(table: sa.Table, row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row read from one database, ready for another: aware times in UTC (SQLite keeps them naive in UTC,
    PostgreSQL gives them in the session's zone)."""
    out = dict(row)
    for column in table.columns:
        if isinstance(column.type, sa.DateTime) and column.type.timezone and out[column.name] is not None:
            out[column.name] = _utc(_aware(out[column.name]))
    return out


def _row_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as c:
        return {t.name: int(c.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0)
                for t in metadata.sorted_tables}


def move_ledger(workspace: Workspace, to_url: str) -> dict[str, int]:
    """Copy the data root's ledger (the workspace's, checked against the root's record) to the database at
    ``to_url`` and record that one as the root's ledger; returns the rows copied per table.

    The target is brought to :data:`SCHEMA_HEAD` by the migrations and must hold no row yet. Every table is
    copied in one transaction with its ids (PostgreSQL's id sequences are moved past them), under the source's
    intake lock; the row counts are compared before the root is recorded anew. The source database is left as
    it was (a backup): runs that still name it are refused from then on.

    Raises:
        LedgerMismatch: the workspace's ledger is not the root's.
        ConfigError: the target is the root's ledger already, or holds rows (Vietnamese messages).
        sqlalchemy.exc.SQLAlchemyError: a database cannot be reached, or the copy failed (nothing recorded).
    """
    import dataclasses

    check_ledger(workspace)
    source_url = workspace.database_url()
    if ledger_identity(to_url) == ledger_identity(source_url):
        raise ConfigError(f"{public_url(to_url)} đã là sổ tiếp nhận của thư mục dữ liệu {workspace.root}: không có gì "
                          "để chuyển.")
    source = open_ledger(workspace)
    target = Ledger(to_url)
    try:
        with source.intake_lock():
            filled = {name: n for name, n in _row_counts(target.engine).items() if n}
            if filled:
                listed = ", ".join(f"{name}: {n} dòng" for name, n in filled.items())
                raise ConfigError(f"Sổ đích {public_url(to_url)} đã có dữ liệu ({listed}): không chuyển sổ vào đó. "
                                  "Dùng một cơ sở dữ liệu mới, trống.")
            copied: dict[str, int] = {}
            with source.engine.connect() as src, target.engine.begin() as dst:
                for table in metadata.sorted_tables:
                    rows = [_portable(table, r._mapping) for r in src.execute(sa.select(table).order_by(table.c.id))]
                    if rows:
                        dst.execute(table.insert(), rows)
                    copied[table.name] = len(rows)
                    if target.engine.dialect.name == "postgresql":
                        dst.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                            f"COALESCE(MAX(id), 0) + 1, false) FROM {table.name}"))
            if _row_counts(target.engine) != copied or _row_counts(source.engine) != copied:
                raise ConfigError(
                    f"Số dòng của sổ đích {public_url(to_url)} khác sổ nguồn sau khi chép (có lượt kiểm tra hay phê "
                    "duyệt đang chạy?): chưa chuyển sổ, thư mục dữ liệu vẫn dùng sổ cũ. Dừng mọi thứ dùng thư mục "
                    "(make down), xoá sổ đích hoặc dùng một cơ sở dữ liệu trống khác, rồi chạy lại lệnh.")
            record_ledger(dataclasses.replace(workspace, ledger_url=to_url), replace=True)
    finally:
        target.engine.dispose()
        source.engine.dispose()
    log.info("Ledger of %s moved from %s to %s: %s", workspace.root, public_url(source_url), public_url(to_url),
             copied)
    return copied
