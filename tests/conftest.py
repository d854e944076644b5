"""Shared fixtures: sample data sets in temporary data roots, an Airflow home with a migrated SQLite DB."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import workspace_at

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def pytest_configure(config):
    """Import Airflow once, before any test: importing it configures logging with handlers on the streams of
    that moment. Imported first inside a test using ``capsys`` (the SMTP connection of delivery and reminder
    tests), its handlers would keep that test's stream, closed afterwards, and every later log line would
    print a logging error into the next test's captured output.

    Under pytest-xdist (``-n``, on by default: pyproject's addopts), each worker gets its own PostgreSQL test
    database (``<TEST_DATABASE_URL's database>_<worker>``, created when missing): the ledger tests drop and
    create tables, and two workers must never do it in the same database."""
    import airflow  # noqa: F401

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and os.environ.get("TEST_DATABASE_URL"):
        os.environ["TEST_DATABASE_URL"] = _worker_database(os.environ["TEST_DATABASE_URL"], worker)


def _worker_database(url: str, worker: str) -> str:
    """The URL of ``url``'s server with the database ``<its name>_<worker>``, created if it does not exist."""
    import sqlalchemy as sa

    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        if c.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar() is None:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def config():
    """The project's configuration (config/ninh_son.yaml), with intake's stability wait
    (``validation.intake_stable_seconds``, 2 s) and its wait for files not yet whole
    (``intake.incomplete_wait_minutes``, 10) at 0: a test's files are complete before a pass looks at them, a
    truncated or empty one is archived and refused at once, and the tests of a file still being written give
    their own waits. Code that loads the file itself (the command line, the DAGs) waits as configured."""
    import dataclasses

    from pipeline.config import load_config

    loaded = load_config()
    return dataclasses.replace(loaded, validation={**loaded.validation, "intake_stable_seconds": 0.0},
                               intake={**loaded.intake, "incomplete_wait_minutes": 0.0})


@pytest.fixture(scope="session")
def plan_root(tmp_path_factory, config) -> Path:
    """A data root whose inbox/2023-6T holds the committed plan samples, run once through the pipeline."""
    from pipeline.orchestrator import run_period
    from tests.helpers import drop

    root = tmp_path_factory.mktemp("plan")
    drop(sorted((ROOT / "samples" / "2023-6T").glob("*.xlsx")), root / "inbox" / "2023-6T")
    run_period(config.period("2023-6T"), config=config, workspace=workspace_at(root))
    return root


@pytest.fixture(scope="session")
def test_set(tmp_path_factory, config) -> Path:
    """The generator's second data set (one unit missing, one invalid), written once per session."""
    from samples.generate import generate_test

    out = tmp_path_factory.mktemp("testset")
    generate_test(out, config)
    return out


def airflow_env(home: Path, data_root: Path) -> dict[str, str]:
    """Environment for an Airflow CLI subprocess with its own home and the pipeline's data root."""
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        PYTHONPATH=str(ROOT),
        PIPELINE_DATA_DIR=str(data_root),
    )
    return env


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory) -> Path:
    """An AIRFLOW_HOME with a freshly migrated SQLite metadata database."""
    home = tmp_path_factory.mktemp("airflow_home")
    result = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"], env=airflow_env(home, home), capture_output=True, text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    result = subprocess.run(
        [str(BIN / "airflow"), "pools", "set", "intake", "1", "Tiếp nhận báo cáo: mỗi lúc chỉ một lượt quét"],
        env=airflow_env(home, home), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    result = subprocess.run(
        [str(BIN / "airflow"), "pools", "set", "validation", "2", "Kiểm tra báo cáo của các đơn vị"],
        env=airflow_env(home, home), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return home
