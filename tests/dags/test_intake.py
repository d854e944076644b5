"""DAG integrity of dags/intake.py: its schedule, tags and tasks, and the one-slot pool its passes share."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_intake_dag_settings(dagbag):
    """The intake DAG runs every 10 minutes, without catch-up, mapped over the periods with a drop folder."""
    dag = dagbag.dags["intake"]
    assert dag.catchup is False
    assert dag.timetable.expression == "*/10 * * * *"
    assert set(dag.tags) == {"giam-ngheo", "tiep-nhan"}
    assert "Rerun" in dag.doc_md
    assert [t.task_id for t in dag.topological_sort()] == ["periods", "take_in"]


def test_intake_passes_share_a_one_slot_pool(dagbag):
    """The intake DAG's take_in and the periodic report's final pass gather run in the pool `intake`."""
    assert dagbag.dags["intake"].get_task("take_in").pool == "intake"
    assert dagbag.dags["periodic_report"].get_task("gather").pool == "intake"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert '$(BIN)/airflow pools set intake 1 "Tiếp nhận báo cáo: mỗi lúc chỉ một lượt quét thư mục nhận"' in makefile
