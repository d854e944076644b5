"""DAG integrity of dags/reminders.py: a daily run at the configured hour that imports no mail code at parse time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HCM = dt.timezone(dt.timedelta(hours=7))


def test_reminders_dag_runs_daily_and_sends_through_the_smtp_provider_at_run_time(dagbag):
    """The reminders DAG runs every day at reminders.send_hour (08:00 +07:00), without catch-up; its file
    imports neither the SMTP provider nor the pipeline's logic at parse time."""
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    dag = dagbag.dags["reminders"]
    assert dag.catchup is False and "Rerun" in dag.doc_md
    assert set(dag.tags) == {"giam-ngheo", "nhac-han"}
    assert list(dag.task_dict) == ["send_reminders"]
    timetable = coerce_to_core_timetable(dag.timetable)
    restriction = TimeRestriction(earliest=dt.datetime(2023, 4, 27, tzinfo=dt.UTC), latest=None, catchup=True)
    info = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert info.run_after.astimezone(HCM) == dt.datetime(2023, 4, 27, 8, 0, tzinfo=HCM)
    source = (ROOT / "dags" / "reminders.py").read_text(encoding="utf-8")
    top_level = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert top_level == ["from __future__ import annotations", "import datetime as dt",
                         "from airflow.sdk import CronTriggerTimetable, dag, get_current_context, task",
                         "from pipeline.workspace import Workspace"]
