"""The submission ledger: every file received, stamped, archived byte for byte, versioned and judged.

Storage through SQLAlchemy: a SQLite file by default (``work/ledger.sqlite``), PostgreSQL in production by
URL (``PIPELINE_LEDGER_URL``, e.g. ``postgresql+psycopg://user@host/db``). The archive keeps each distinct
file once, named by its SHA-256, read-only; the original name is recorded, never used as a path.

Grain: one row of ``submission_versions`` per distinct file (period, SHA-256). The same bytes sent twice are
one version; a corrected file is a new version of its unit.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from pipeline.config import Config, Period, data_dir
from pipeline.read import sha256_of

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
    sa.Column("status", sa.String(10), nullable=False, server_default="pending"),  # pending|valid|invalid
    sa.Column("errors", sa.Integer, nullable=True),
    sa.Column("warnings", sa.Integer, nullable=True),
    sa.Column("findings_path", sa.String(500), nullable=True),
    sa.Column("fingerprint", sa.String(64), nullable=True),  # file + suites + config + code at validation
    sa.Column("validated_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("period", "sha256", name="uq_period_sha256"),
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
)  # append-only: a later acceptance of the same indicator supersedes, the earlier ones stay as history


def ledger_url(root: Path | None = None) -> str:
    """The ledger's database URL: ``PIPELINE_LEDGER_URL`` or a SQLite file ``work/ledger.sqlite``."""
    url = os.environ.get("PIPELINE_LEDGER_URL")
    if url:
        return url
    path = (root or data_dir()) / "work" / "ledger.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


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


def _utc(value: dt.datetime) -> dt.datetime:
    """Store times in UTC (SQLite keeps no offset)."""
    if value.tzinfo is None:
        raise ValueError("ledger times must be timezone-aware")
    return value.astimezone(dt.UTC)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite returns naive datetimes; they were stored in UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


class Ledger:
    """Access to the ledger database. Create with a SQLAlchemy URL; tables are created if absent."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url, future=True)
        metadata.create_all(self.engine)

    def _row(self, row: Any) -> Version:
        d = dict(row._mapping)
        for k in ("found_at", "file_mtime", "validated_at"):
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
                 found_at: dt.datetime, file_mtime: dt.datetime, on_time: bool, archive_path: str) -> Version:
        """Record a new distinct file; its version number is one more than the unit's latest.

        Idempotent: registering bytes already in the ledger for the period returns the existing row.
        """
        existing = self.find(period, sha256)
        if existing is not None:
            return existing
        with self.engine.begin() as c:
            number = None
            if unit_code is not None:
                latest = c.execute(
                    sa.select(sa.func.max(versions.c.version)).where(
                        versions.c.period == period, versions.c.unit_code == unit_code)
                ).scalar()
                number = (latest or 0) + 1
            c.execute(versions.insert().values(
                period=period, unit_code=unit_code, version=number, original_name=original_name, sha256=sha256,
                size_bytes=size_bytes, found_at=_utc(found_at), file_mtime=_utc(file_mtime), on_time=on_time,
                archive_path=archive_path, status="pending",
            ))
        found = self.find(period, sha256)
        assert found is not None
        return found

    def record_validation(self, version_id: int, *, status: str, errors: int, warnings: int, findings_path: str,
                          fingerprint: str, validated_at: dt.datetime) -> None:
        """Store a version's validation result."""
        with self.engine.begin() as c:
            c.execute(versions.update().where(versions.c.id == version_id).values(
                status=status, errors=errors, warnings=warnings, findings_path=findings_path,
                fingerprint=fingerprint, validated_at=_utc(validated_at)))

    def versions(self, period: str, unit_code: str | None = ..., ) -> list[Version]:  # type: ignore[assignment]
        """Versions of a period (of one unit when ``unit_code`` is given), oldest first."""
        q = sa.select(versions).where(versions.c.period == period)
        if unit_code is not ...:
            q = q.where(versions.c.unit_code == unit_code) if unit_code is not None else q.where(
                versions.c.unit_code.is_(None))
        with self.engine.connect() as c:
            rows = c.execute(q.order_by(versions.c.version, versions.c.id)).all()
        return [self._row(r) for r in rows]

    def accept_outlier(self, *, period: str, unit_code: str, indicator: str, justification: str,
                       accepted_by: str, accepted_at: dt.datetime) -> None:
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
                accepted_by=accepted_by, accepted_at=_utc(accepted_at)))

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


def archive_dir(root: Path | None = None) -> Path:
    """``archive/``: immutable byte-for-byte copies of every file received."""
    return (root or data_dir()) / "archive"


def archive_file(src: Path, period: Period, sha256: str, root: Path | None = None) -> Path:
    """Copy ``src`` to ``archive/<period>/<sha256><suffix>`` once and make it read-only.

    The suffix is kept (lower-cased, letters and digits only) so the copy opens in its program; the name is
    not used. Idempotent: an existing archive copy is left untouched.
    """
    suffix = "".join(ch for ch in src.suffix.lower() if ch.isalnum() or ch == ".")[:8]
    dst = archive_dir(root) / period.code / f"{sha256}{suffix}"
    if not dst.exists():
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(dst.name + ".part")
        shutil.copyfile(src, tmp)
        if sha256_of(tmp) != sha256:
            tmp.unlink()
            raise OSError(f"Archive copy of {src.name} differs from the file read; try again")
        tmp.replace(dst)
        dst.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    return dst


def is_on_time(found_at: dt.datetime, file_mtime: dt.datetime, period: Period) -> bool:
    """Whether a file counts as on time for ``period``.

    On time when the pipeline found it before the deadline, or — when the final intake pass found it — its
    modification time is before the deadline (it was dropped in time but not yet seen).
    """
    return found_at < period.deadline or file_mtime < period.deadline


def open_ledger(root: Path | None = None) -> Ledger:
    """The ledger at :func:`ledger_url`."""
    return Ledger(ledger_url(root))


def unit_versions_summary(ledger: Ledger, config: Config, period: Period) -> list[dict[str, Any]]:
    """Per configured unit: its versions and which one the report uses.

    One dict per unit: ``unit_code``, ``status`` (valid / invalid / missing), ``used`` (the latest valid
    :class:`Version` or None), ``latest`` (the latest version or None), ``newer_failed`` (True when a version
    newer than the one used failed validation).
    """
    out = []
    for unit in config.units_on(period.cutoff):
        vs = ledger.versions(period.code, unit.code)
        valid = [v for v in vs if v.status == "valid"]
        used = valid[-1] if valid else None
        latest = vs[-1] if vs else None
        newer_failed = used is not None and any(v.status == "invalid" and v.version > used.version for v in vs)
        status = "missing" if not vs else ("valid" if used else "invalid")
        out.append({"unit_code": unit.code, "status": status, "used": used, "latest": latest,
                    "newer_failed": newer_failed})
    return out
