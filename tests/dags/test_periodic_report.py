"""DAG integrity of dags/periodic_report.py, and of the DAG folder as a whole: it imports cleanly, is scheduled on
the deadlines and stays light to parse; pipeline/ never imports Airflow."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HCM = dt.timezone(dt.timedelta(hours=7))


def test_no_import_errors(dagbag):
    """Every file in dags/ imports without error and defines the periodic report DAG."""
    assert dagbag.import_errors == {}
    assert "periodic_report" in dagbag.dags


def test_dag_settings(dagbag):
    """Catch-up is off, the doc is the module docstring, and validation never retries."""
    dag = dagbag.dags["periodic_report"]
    assert dag.catchup is False
    assert dag.doc_md and "Rerun" in dag.doc_md
    assert set(dag.tags) == {"giam-ngheo", "bao-cao-dinh-ky"}
    assert dag.task_dict["validate"].retries == 0
    assert dag.params["period"] == ""
    assert [t for t in dag.topological_sort()][0].task_id == "resolve_period"


def test_each_output_is_its_own_task(dagbag):
    """The status page and the Data Docs are tasks of their own after the validations, run whatever these
    gave (all_done: they report failures), as aggregate is; render waits for aggregate alone (default
    all_success); a failed final intake pass stops all of them whatever their trigger rule (gather is their
    setup)."""
    dag = dagbag.dags["periodic_report"]
    assert set(dag.task_dict) == {"resolve_period", "gather", "validate", "status_page", "data_docs", "aggregate",
                                  "render"}
    assert dag.task_dict["gather"].is_setup is True
    for task_id in ("status_page", "data_docs", "aggregate"):
        task = dag.task_dict[task_id]
        assert str(task.trigger_rule) in ("all_done", "TriggerRule.ALL_DONE"), task_id
        # the status page also waits for aggregate (its check of successors against their predecessors)
        assert task.upstream_task_ids == {"resolve_period", "validate"} | (
            {"aggregate"} if task_id == "status_page" else set()), task_id
        assert [t.task_id for t in task.get_upstreams_only_setups()] == ["gather"], task_id
    render = dag.task_dict["render"]
    assert str(render.trigger_rule) in ("all_success", "TriggerRule.ALL_SUCCESS")
    assert render.upstream_task_ids == {"resolve_period", "aggregate"}
    assert render.downstream_task_ids == set()
    assert [t.task_id for t in render.get_upstreams_only_setups()] == ["gather"]
    assert dag.task_dict["validate"].downstream_task_ids == {"status_page", "data_docs", "aggregate"}


def test_next_three_runs_are_the_deadlines(dagbag):
    """After 2024-01-01 the DAG runs at 00:00 +07:00 on 05/5, 05/8 and 05/11 2024."""
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    timetable = coerce_to_core_timetable(dagbag.dags["periodic_report"].timetable)
    restriction = TimeRestriction(earliest=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), latest=None, catchup=True)
    last, runs = None, []
    for _ in range(3):
        info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
        runs.append(info.run_after.astimezone(HCM))
        last = info.data_interval
    assert runs == [
        dt.datetime(2024, 5, 5, tzinfo=HCM),
        dt.datetime(2024, 8, 5, tzinfo=HCM),
        dt.datetime(2024, 11, 5, tzinfo=HCM),
    ]


def test_dag_module_imports_no_heavy_library():
    """Importing the DAG file loads none of pandas, Great Expectations, docxtpl, openpyxl or matplotlib."""
    code = (
        "import sys, runpy; runpy.run_path('dags/periodic_report.py'); runpy.run_path('dags/intake.py');"
        "runpy.run_path('dags/reminders.py');"
        "heavy = [m for m in ('pandas', 'great_expectations', 'docxtpl', 'openpyxl', 'matplotlib')"
        " if m in sys.modules];"
        "print(','.join(heavy))"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1:] in ([], [""])


def test_pipeline_never_imports_airflow():
    """pipeline/ is plain Python: no module of it imports Airflow."""
    pattern = re.compile(r"^\s*(from|import)\s+airflow\b", re.MULTILINE)
    offenders = [p.name for p in (ROOT / "pipeline").glob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_validation_pool_and_retries_only_for_passing_faults(dagbag):
    """Validation runs in the two-slot pool `validation` (created by the demo and by `make up`) and never
    retries; the final pass retries once with exponential back-off and has the configured wait for files still
    being copied (10 minutes) plus 20 minutes to finish; intake's passes retry twice, 1-2 then 2-4 minutes apart
    (back-off with jitter), within their 10-minute interval."""
    report = dagbag.dags["periodic_report"]
    validate, gather = report.get_task("validate"), report.get_task("gather")
    assert (validate.pool, validate.retries) == ("validation", 0)
    assert (gather.retries, gather.retry_delay, gather.retry_exponential_backoff, gather.max_retry_delay) == (
        1, dt.timedelta(seconds=30), 2.0, dt.timedelta(minutes=10))
    assert gather.execution_timeout == dt.timedelta(minutes=30)
    take_in = dagbag.dags["intake"].get_task("take_in")
    assert (take_in.retries, take_in.retry_delay, take_in.retry_exponential_backoff, take_in.max_retry_delay) == (
        2, dt.timedelta(minutes=1), 2.0, dt.timedelta(minutes=4))
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    pool_line = '$(BIN)/airflow pools set validation 2 "Kiểm tra báo cáo của các đơn vị: tối đa hai tệp cùng lúc"'
    assert pool_line in makefile
    from ops.services import POOLS

    assert POOLS == {"intake": (1, "Tiếp nhận báo cáo: mỗi lúc chỉ một lượt quét thư mục nhận"),
                     "validation": (2, "Kiểm tra báo cáo của các đơn vị: tối đa hai tệp cùng lúc")}


def test_gather_fails_without_retry_when_a_setting_must_change(dagbag, tmp_path, monkeypatch):
    """The final pass on a drop folder that is a link to elsewhere fails `gather` with AirflowFailException
    (no retry: staff must change the folder or the configuration), its message naming the folder, and so does a
    data root run with another ledger; a passing fault (the ledger's database not answering) stays a plain
    failure that Airflow retries."""
    from airflow.sdk.exceptions import AirflowFailException

    from pipeline.orchestrator import StepFailed

    gather = dagbag.dags["periodic_report"].get_task("gather").python_callable
    root = tmp_path / "data"
    (root / "inbox").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (root / "inbox" / "2023-6T").symlink_to(tmp_path / "elsewhere")
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(root))
    monkeypatch.delenv("PIPELINE_LEDGER_URL", raising=False)
    with pytest.raises(AirflowFailException, match=r"bước gather .* Thư mục tiếp nhận inbox/2023-6T là liên kết"):
        gather("2023-6T")
    (root / "inbox" / "2023-6T").unlink()
    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'other.sqlite'}")
    with pytest.raises(AirflowFailException, match=r"bước gather .* Sổ tiếp nhận không khớp"):
        gather("2023-6T")  # the root belongs to its SQLite ledger
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path / "fresh"))
    monkeypatch.setenv("PIPELINE_LEDGER_URL", "postgresql+psycopg://postgres@127.0.0.1:1/ledger?connect_timeout=2")
    with pytest.raises(StepFailed, match=r"bước gather \(tiếp nhận lần cuối\) thất bại: OperationalError") as caught:
        gather("2023-6T")  # nothing answers on port 1: a passing fault, retried
    assert not caught.value.final
