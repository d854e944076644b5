"""`make backfill YEAR=2023` on the real DAG: the samples of the year's three periods are registered as received
before each deadline, `airflow dags test` runs each period in order and prints its report's path; running the
registration again adds no version."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, airflow_env
from tests.helpers import workspace_at
from tests.pipeline.aggregate.test_movement import check_year_reports


@pytest.mark.slow
def test_make_backfill_gives_the_years_three_reports(tmp_path, airflow_home, config):
    """Three report paths printed, in period order; the annual report shows 0 poor NCC households and movement
    tables equal to the counts taken from the CN workbooks (see :func:`check_year_reports`); each period's 8
    files are in the ledger once, also after `make receive-samples` again."""
    from pipeline.ledger.store import open_ledger

    root = tmp_path / "data"
    env = airflow_env(airflow_home, root)
    # the Makefile's own AIRFLOW_HOME (.airflow/) is overridden on the command line: the test's migrated home
    cmd = ["make", "--no-print-directory", "backfill", "YEAR=2023", f"AIRFLOW_HOME={airflow_home}"]
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=2400)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    paths = [Path(line) for line in result.stdout.splitlines() if line.endswith(".docx")]
    assert all(p.is_file() and p.is_relative_to(root) for p in paths)
    check_year_reports(paths)
    again = subprocess.run(["make", "--no-print-directory", "receive-samples", "PERIOD=2023-CN",
                            f"AIRFLOW_HOME={airflow_home}"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0 and again.stdout.count("Không ghi thêm.") == 8
    ledger = open_ledger(workspace_at(root))
    assert [len(ledger.versions(f"2023-{k}")) for k in ("6T", "9T", "CN")] == [8, 8, 8]
