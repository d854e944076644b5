"""Publish only from a complete pipeline, on the real DAG: a failed final intake pass publishes nothing and
fails the run naming the step; an empty Param with no due period that has units falls back; no file
received gives a report whose targets are "chưa đủ số liệu để đánh giá"."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BIN, ROOT, airflow_env
from tests.helpers import docx_tables, docx_text, drop, find_row, set_narrative, technical_annex, workspace_at

UNITS_2023 = ["thị trấn Tân Sơn", "xã Lâm Sơn", "xã Lương Sơn", "xã Quảng Sơn", "xã Mỹ Sơn", "xã Hòa Sơn",
              "xã Ma Nới", "xã Nhơn Sơn"]


def dags_test(airflow_home: Path, root: Path, conf: dict | None, **extra_env: str) -> tuple[str, dict, str]:
    """Run `airflow dags test periodic_report`; returns (log, task states by (task, map index), run state)."""
    env = airflow_env(airflow_home, root)
    env.update(extra_env)
    cmd = [str(BIN / "airflow"), "dags", "test", "periodic_report"]
    if conf is not None:
        cmd += ["-c", json.dumps(conf)]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    with sqlite3.connect(airflow_home / "airflow.db") as db:
        run_id, run_state = db.execute(
            "select run_id, state from dag_run where dag_id='periodic_report' order by id desc limit 1").fetchone()
        rows = db.execute("select task_id, map_index, state from task_instance "
                          "where dag_id='periodic_report' and run_id=?", (run_id,)).fetchall()
    return result.stdout + result.stderr, {(t, m): s for t, m, s in rows}, run_state


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["ledger unreachable", "ledger read-only"])
def test_failed_gather_publishes_nothing_and_names_the_step(tmp_path, airflow_home, config, fault):
    """The final pass fails on a real fault — the ledger database unreachable, or readable but not writable
    (a read-only replica) when a corrected file has arrived: gather fails (after its one retry), status_page,
    data_docs, aggregate and render are upstream_failed although the first three's trigger rule is all_done
    (with the read-only ledger they could have run on the old ledger), the run fails saying "bước gather",
    and the previous report, status page, Data Docs and aggregates keep their bytes.
    Slow: runs the DAG under `airflow dags test`."""
    import dataclasses

    from pipeline.ledger.store import record_ledger
    from pipeline.orchestrator import run_period

    root = tmp_path / "data"
    inbox = root / "inbox" / "2023-6T"
    drop(sorted((ROOT / "samples" / "2023-6T").glob("*.xlsx")), inbox)
    run_period(config.period("2023-6T"), config=config, workspace=workspace_at(root))
    folder = root / "reports" / "2023" / "6T"
    published = [folder / "v1" / "bao-cao-2023-6T.docx", folder / "trang-thai-2023-6T.html",
                 folder / "data-docs" / "index.html", root / "work" / "2023-6T" / "aggregates.json"]
    before = {p: p.read_bytes() for p in published}
    if fault == "ledger unreachable":
        url = "postgresql+psycopg://postgres@127.0.0.1:1/ledger"
        # the root's ledger is that database (as if moved there), now down — not another ledger on this root, which
        # would be refused before any connection (pipeline.ledger.store.check_ledger)
        record_ledger(dataclasses.replace(workspace_at(root), ledger_url=url), replace=True)
    else:
        url = f"sqlite:///file:{root / 'work' / 'ledger.sqlite'}?mode=ro&uri=true"
        corrected = drop([inbox / "22813_lam_son.xlsx"], tmp_path / "sua")[0]
        set_narrative(corrected, "results", "Bản sửa gửi sau.")
        corrected.rename(inbox / "22813_lam_son_sua.xlsx")

    log, states, run_state = dags_test(airflow_home, root, {"period": "2023-6T"}, PIPELINE_LEDGER_URL=url)

    assert run_state == "failed"
    assert states[("resolve_period", -1)] == "success"
    assert states[("gather", -1)] == "failed"
    assert states[("validate", -1)] == "upstream_failed"
    # every task after the setup gather, whatever its trigger rule (status_page, data_docs and aggregate: all_done)
    for task_id in ("status_page", "data_docs", "aggregate", "render"):
        assert states[(task_id, -1)] == "upstream_failed", task_id
    assert "Kỳ 2023-6T: bước gather (tiếp nhận lần cuối) thất bại: OperationalError" in log
    assert "Báo cáo chưa được lập hay công bố lại" in log
    assert {p: p.read_bytes() for p in published} == before


@pytest.mark.slow
def test_empty_param_today_falls_back_and_nothing_received_is_not_assessed(tmp_path, airflow_home):
    """A manual run today with the Param empty: the configured communes end on 30/06/2025, so the run compiles
    2025-6T, the latest due period that has units; with no file received every unit is "Chưa nhận" and each
    target reads "Chưa đủ số liệu để đánh giá" naming the eight units — never "Còn 0 hộ … Đã đạt".
    Slow: runs the DAG under `airflow dags test`."""
    log, states, run_state = dags_test(airflow_home, tmp_path, {"period": ""})
    assert run_state == "success", log[-4000:]
    assert states[("validate", -1)] == "skipped"
    assert {t: states[(t, -1)] for t in ("status_page", "data_docs", "aggregate", "render")} == dict.fromkeys(
        ("status_page", "data_docs", "aggregate", "render"), "success")
    report = tmp_path / "reports" / "2025" / "6T" / "v1" / "bao-cao-2025-6T.docx"
    tables = docx_tables(report)
    targets = next(t for t in tables if any("Mục tiêu" in c for c in t[0]))
    why = "Chưa đủ số liệu để đánh giá (chưa có báo cáo hợp lệ của: " + ", ".join(UNITS_2023) + ")"
    assert [row[3] for row in targets[1:]] == [why] * 3
    assert [row[2] for row in targets[1:]] == ["Chưa có số liệu"] * 3
    units = next(t for t in tables if any("Cộng các đơn vị hợp lệ" in r for r in t))
    assert set(find_row(units, "Xã Ma Nới")[2:]) == {"-"}  # no figures; "Chưa nhận" is in the technical annex
    text = docx_text(report)
    assert "Đã nhận 0/8 báo cáo (0 đúng hạn); 0 báo cáo hợp lệ; chưa nhận: " + ", ".join(UNITS_2023) + "." in docx_text(
        technical_annex(report))
    assert "Đã đạt" not in text and "Chưa có báo cáo hợp lệ nào nên chưa phân tích thiếu hụt." in text
