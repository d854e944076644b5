"""The ledger's Alembic migrations (pipeline/ledger/migrations): run through their env.py on a connection, as
:func:`pipeline.ledger.store.upgrade_schema` runs them, on SQLite files made here — the tables each revision
creates, the data steps of 0002 and 0003, and the way down and up again."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig

from pipeline.ledger.store import MIGRATIONS_DIR

T0 = dt.datetime(2023, 5, 2, 2, 0)
HEAD_TABLES = {"alembic_version", "submission_versions", "outlier_acceptances", "reminders_sent", "report_approvals",
               "report_deliveries", "period_reopenings", "inbox_sightings", "validation_notices"}


@pytest.fixture
def engine(tmp_path):
    """An engine on an empty SQLite file."""
    eng = sa.create_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    yield eng
    eng.dispose()


def _migrate(engine: sa.Engine, direction: str, revision: str) -> None:
    """``alembic upgrade|downgrade <revision>`` through the migrations' env.py, on a connection of ``engine``."""
    with engine.connect() as conn:
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        getattr(command, direction)(cfg, revision)
        conn.commit()


def _schema(engine: sa.Engine) -> dict[str, tuple[dict[str, bool], dict[str, list[str]]]]:
    """Per table: its columns' nullability and its named unique constraints."""
    insp = sa.inspect(engine)
    return {t: ({c["name"]: c["nullable"] for c in insp.get_columns(t)},
                {u["name"]: u["column_names"] for u in insp.get_unique_constraints(t)})
            for t in insp.get_table_names()}


def _revision(engine: sa.Engine) -> list[str]:
    with engine.connect() as c:
        return c.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()


def _insert_version(conn: sa.Connection, row_id: int, unit: str | None, number: int | None, found: dt.datetime) -> None:
    conn.execute(sa.text(
        "INSERT INTO submission_versions (id, period, unit_code, version, original_name, sha256, size_bytes, found_at,"
        " file_mtime, on_time, archive_path, status) VALUES (:id, '2023-6T', :unit, :number, :name, :sha, 10, :found,"
        " :found, 1, '/archive/x.xlsx', 'pending')"),
        {"id": row_id, "unit": unit, "number": number, "name": f"{row_id}.xlsx", "sha": str(row_id) * 64,
         "found": found})


def test_upgrade_head_on_an_empty_file_creates_every_table(engine):
    """An empty SQLite file upgraded to head has the nine tables, stamped 0008_validation_notices, with the arrival
    columns required and versions unique per (period, unit, version)."""
    _migrate(engine, "upgrade", "head")
    schema = _schema(engine)
    assert set(schema) == HEAD_TABLES
    assert _revision(engine) == ["0008_validation_notices"]
    columns, uniques = schema["submission_versions"]
    assert (columns["received_at"], columns["received_via"], columns["received_by"], columns["unit_code"]) == (
        False, False, True, True)
    assert uniques == {"uq_period_sha256": ["period", "sha256"],
                       "uq_period_unit_version": ["period", "unit_code", "version"]}
    assert schema["reminders_sent"][1] == {"uq_reminder": ["period", "unit", "kind"]}
    assert schema["outlier_acceptances"][1] == {}
    assert set(schema["period_reopenings"][0]) == {"id", "period", "unit_code", "reopened_by", "reopened_at", "reason",
                                                   "unit_since"}
    assert columns["unit_since"] is True and schema["outlier_acceptances"][0]["unit_since"] is True
    assert schema["inbox_sightings"] == ({"id": False, "period": False, "name": False, "inode": False,
                                          "first_seen_at": False},
                                         {"uq_inbox_sightings_period_name": ["period", "name"]})
    assert schema["validation_notices"][1] == {"uq_validation_notices_version": ["version_id"]}
    assert schema["validation_notices"][0]["sent_at"] is True and schema["validation_notices"][0]["errors"] is False


@pytest.mark.parametrize(("revision", "tables"), [
    ("0001", {"alembic_version", "submission_versions", "outlier_acceptances"}),
    ("0003", {"alembic_version", "submission_versions", "outlier_acceptances"}),
    ("0004_mail", HEAD_TABLES - {"period_reopenings", "inbox_sightings", "validation_notices"}),
    ("0005_timeliness", HEAD_TABLES - {"inbox_sightings", "validation_notices"}),
    ("0006_inbox_sightings", HEAD_TABLES - {"validation_notices"}),
    ("0008_validation_notices", HEAD_TABLES),
])
def test_each_revision_adds_its_tables(engine, revision, tables):
    """0001 creates versions and acceptances (0002 and 0003 add no table), 0004_mail the reminders, approvals and
    deliveries, 0005 the reopenings, 0006 the inbox sightings, 0008 the validation notices."""
    _migrate(engine, "upgrade", revision)
    assert set(sa.inspect(engine).get_table_names()) == tables
    assert _revision(engine) == [revision]


def test_0002_drops_and_its_downgrade_restores_the_one_acceptance_per_indicator(engine):
    """0001 allows one acceptance per (period, unit, indicator); 0002 drops that constraint; going down again keeps
    only the latest acceptance of each indicator, then restores it."""
    _migrate(engine, "upgrade", "0001")
    assert sa.inspect(engine).get_unique_constraints("outlier_acceptances")[0]["name"] == "uq_acceptance"
    _migrate(engine, "upgrade", "0002")
    assert sa.inspect(engine).get_unique_constraints("outlier_acceptances") == []
    with engine.begin() as c:
        for row_id, indicator, why in ((1, "poor_households", "Sáp nhập thôn"), (2, "poor_households", "Bổ sung"),
                                       (3, "poor_persons", "Tách hộ")):
            c.execute(sa.text(
                "INSERT INTO outlier_acceptances VALUES (:id, '2023-6T', '22828', :ind, :why, 'Trần Thị Hoa', :at)"),
                {"id": row_id, "ind": indicator, "why": why, "at": T0})
    _migrate(engine, "downgrade", "0001")
    with engine.connect() as c:
        kept = c.execute(sa.text("SELECT id, indicator, justification FROM outlier_acceptances ORDER BY id")).all()
    assert [tuple(r) for r in kept] == [(2, "poor_households", "Bổ sung"), (3, "poor_persons", "Tách hộ")]
    assert sa.inspect(engine).get_unique_constraints("outlier_acceptances")[0]["column_names"] == [
        "period", "unit_code", "indicator"]


def test_0003_stamps_arrival_and_renumbers_repeated_versions(engine):
    """Rows from before 0003 get received_at = found_at and received_via "intake"; a unit whose version numbers
    repeat is renumbered 1..n by arrival; other units and unattributed files keep theirs."""
    _migrate(engine, "upgrade", "0002")
    with engine.begin() as c:
        _insert_version(c, 1, "22828", 1, T0 + dt.timedelta(hours=2))
        _insert_version(c, 2, "22828", 1, T0)
        _insert_version(c, 3, "22828", 2, T0 + dt.timedelta(hours=1))
        _insert_version(c, 4, "22810", 1, T0)
        _insert_version(c, 5, None, None, T0)
    _migrate(engine, "upgrade", "0003")
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT id, unit_code, version, received_at = found_at, received_via "
                                 "FROM submission_versions ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, "22828", 3, 1, "intake"), (2, "22828", 1, 1, "intake"),
                                        (3, "22828", 2, 1, "intake"), (4, "22810", 1, 1, "intake"),
                                        (5, None, None, 1, "intake")]


def test_0007_gives_each_unit_row_its_units_first_day(engine):
    """Rows written before 0007 get the first day of the unit their code named in their period: the 2004 list's
    (01/01/2004) up to 2025's 6-month period, the 2025 list's (01/07/2025) from 2025's 9-month period on (22810:
    thị trấn Tân Sơn, then xã Ninh Sơn); an unattributed file gets none; going down drops the column."""
    _migrate(engine, "upgrade", "0006_inbox_sightings")
    with engine.begin() as c:
        for row_id, period, unit in ((1, "2023-6T", "22810"), (2, "2025-6T", "22810"), (3, "2025-9T", "22810"),
                                     (4, "2025-CN", "22810"), (5, "2026-6T", "22810"), (6, "2023-6T", None)):
            c.execute(sa.text(
                "INSERT INTO submission_versions (id, period, unit_code, version, original_name, sha256, size_bytes,"
                " found_at, file_mtime, on_time, archive_path, status, received_at, received_via) VALUES (:id, :p,"
                " :unit, :n, 'a.xlsx', :sha, 10, :at, :at, 1, '/a.xlsx', 'valid', :at, 'intake')"),
                {"id": row_id, "p": period, "unit": unit, "n": 1 if unit else None, "sha": str(row_id) * 64, "at": T0})
        c.execute(sa.text("INSERT INTO outlier_acceptances VALUES (1, '2025-9T', '22828', 'poor_households', "
                          "'Sáp nhập', 'Trần Thị Hoa', :at)"), {"at": T0})
        c.execute(sa.text("INSERT INTO period_reopenings VALUES (1, '2024-CN', '22828', 'Trần Thị Hoa', :at, 'Trễ')"),
                  {"at": T0})
    _migrate(engine, "upgrade", "0007_unit_identity")
    with engine.connect() as c:
        kept = c.execute(sa.text("SELECT id, period, unit_since FROM submission_versions ORDER BY id")).all()
        accepted = c.execute(sa.text("SELECT unit_since FROM outlier_acceptances")).scalar()
        reopened = c.execute(sa.text("SELECT unit_since FROM period_reopenings")).scalar()
    assert [(r[0], r[1], str(r[2]) if r[2] else None) for r in kept] == [
        (1, "2023-6T", "2004-01-01"), (2, "2025-6T", "2004-01-01"), (3, "2025-9T", "2025-07-01"),
        (4, "2025-CN", "2025-07-01"), (5, "2026-6T", "2025-07-01"), (6, "2023-6T", None)]
    assert (str(accepted), str(reopened)) == ("2025-07-01", "2004-01-01")
    _migrate(engine, "downgrade", "0006_inbox_sightings")
    assert "unit_since" not in {c["name"] for c in sa.inspect(engine).get_columns("submission_versions")}


def test_down_to_base_and_up_again_gives_the_same_schema(engine):
    """Every revision can be undone: down to base leaves only Alembic's empty version table, and upgrading again
    builds the same schema as the first time."""
    _migrate(engine, "upgrade", "head")
    first = _schema(engine)
    _migrate(engine, "downgrade", "base")
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    assert _revision(engine) == []
    _migrate(engine, "upgrade", "head")
    assert _schema(engine) == first

