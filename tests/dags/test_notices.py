"""DAG integrity of dags/notices.py: a run every five minutes, no catch-up, no mail code imported at parse time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HCM = dt.timezone(dt.timedelta(hours=7))


def test_notices_dag_runs_every_five_minutes_and_imports_no_mail_code_at_parse_time(dagbag):
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    dag = dagbag.dags["notices"]
    assert dag.catchup is False and dag.max_active_runs == 1 and "Rerun" in dag.doc_md
    assert list(dag.task_dict) == ["send_notices"]
    timetable = coerce_to_core_timetable(dag.timetable)
    import pendulum

    restriction = TimeRestriction(earliest=pendulum.datetime(2023, 5, 3, 2, 1, tz="UTC"), latest=None, catchup=True)
    info = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert info.run_after.astimezone(HCM) == dt.datetime(2023, 5, 3, 9, 5, tzinfo=HCM)
    source = (ROOT / "dags" / "notices.py").read_text(encoding="utf-8")
    top_level = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert top_level == ["from __future__ import annotations", "import datetime as dt",
                         "from airflow.sdk import CronTriggerTimetable, dag, task",
                         "from pipeline.workspace import Workspace"]
