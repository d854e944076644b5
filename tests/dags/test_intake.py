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


def test_take_in_on_a_root_of_another_ledger_fails_without_retry(dagbag, tmp_path, monkeypatch):
    """A pass on a data root that belongs to another ledger fails at once (AirflowFailException: a retry cannot
    help), with the Vietnamese message naming both ledgers; nothing is registered in the other one."""
    import pytest
    from airflow.sdk.exceptions import AirflowFailException

    from pipeline.ledger.store import record_ledger
    from pipeline.workspace import Workspace

    root = tmp_path / "data"
    (root / "inbox" / "2023-6T").mkdir(parents=True)
    record_ledger(Workspace(root=root.resolve()))
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(root))
    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'other.sqlite'}")
    take_in = dagbag.dags["intake"].get_task("take_in").python_callable
    with pytest.raises(AirflowFailException, match=r"Sổ tiếp nhận không khớp: .*ledger\.sqlite.*other\.sqlite"):
        take_in("2023-6T")
    assert not (tmp_path / "other.sqlite").exists()
