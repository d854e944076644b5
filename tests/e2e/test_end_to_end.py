"""End to end: the DAG on the generator's test set, and a consistent status change flowing to the report.

Slow by nature: each test runs the whole pipeline (the DAG under ``airflow dags test``, or ``run_period``) on
eight workbooks, which is what they pin.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline import fmt
from samples.generate import INVALID_UNIT, MISSING_UNIT
from tests.conftest import BIN, ROOT, airflow_env
from tests.helpers import (
    docx_tables,
    docx_text,
    drop,
    edit_roster,
    edit_summary,
    find_row,
    roster_rows,
    summary_cells,
    technical_annex,
    workspace_at,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dag_run(tmp_path_factory, airflow_home, test_set):
    """Run the DAG with `airflow dags test` on the test set; returns (data root, task states, report path)."""
    root = tmp_path_factory.mktemp("e2e")
    drop(sorted(test_set.glob("*.xlsx")), root / "inbox" / "2023-6T")
    result = subprocess.run(
        [str(BIN / "airflow"), "dags", "test", "periodic_report", "-c", json.dumps({"period": "2023-6T"})],
        env=airflow_env(airflow_home, root), capture_output=True, text=True, timeout=900,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    with sqlite3.connect(airflow_home / "airflow.db") as db:
        run_id = db.execute(
            "select run_id from dag_run where dag_id='periodic_report' order by id desc limit 1").fetchone()[0]
        rows = db.execute(
            "select task_id, map_index, rendered_map_index, state from task_instance "
            "where dag_id='periodic_report' and run_id=?", (run_id,)).fetchall()
    states = {(t, r if m >= 0 else None): s for t, m, r, s in rows}
    return root, states, root / "reports" / "2023" / "6T" / "v1" / "bao-cao-2023-6T.docx", log


def test_task_states(dag_run):
    """The invalid unit's mapped validate task failed; the other units', the status page, the Data Docs,
    aggregate and render succeeded."""
    _, states, _, _ = dag_run
    validate = {k[1]: v for k, v in states.items() if k[0] == "validate"}
    assert validate.pop(INVALID_UNIT) == "failed"
    assert MISSING_UNIT not in validate
    assert set(validate.values()) == {"success"} and len(validate) == 6
    for task_id in ("status_page", "data_docs", "aggregate", "render"):
        assert states[(task_id, None)] == "success", task_id


def test_report_totals_equal_raw_cells(dag_run, test_set):
    """The report's district row equals sums the test computes from the valid workbooks' raw cells."""
    _, _, report, _ = dag_run
    valid = [p for p in sorted(test_set.glob("*.xlsx")) if not p.name.startswith(INVALID_UNIT)]
    assert len(valid) == 6
    cells = [summary_cells(p) for p in valid]

    def total(key):
        return sum(int(c[key][1]) for c in cells)

    hh, poor, near = total("households_total"), total("poor_households"), total("near_poor_households")
    ncc_poor, ncc_persons = total("ncc_poor_households"), total("ncc_poor_persons")
    table = next(t for t in docx_tables(report) if any("Cộng các đơn vị hợp lệ" in r for r in t))
    row = find_row(table, "Cộng các đơn vị hợp lệ")
    assert row[2:9] == [
        fmt.number(hh), fmt.number(poor), fmt.rate(poor, hh), fmt.number(near), fmt.rate(near, hh),
        fmt.number(ncc_poor), fmt.number(ncc_persons),
    ]
    # and per unit, Lâm Sơn's row equals its own cells
    lam_son = summary_cells(next(test_set.glob("22813_*.xlsx")))
    row = find_row(table, "Xã Lâm Sơn")
    assert row[2:4] == [fmt.number(int(lam_son["households_total"][1])), fmt.number(int(lam_son["poor_households"][1]))]


def test_missing_and_invalid_units_shown(dag_run):
    """Both units without a valid report have no figures in Bảng 1; the report's one receipt sentence names the
    missing one and the invalid one; the technical annex beside it reads "Chưa nhận" for the missing unit and
    "Không hợp lệ (2 lỗi)" for the invalid one."""
    _, _, report, _ = dag_run
    table = next(t for t in docx_tables(report) if any("Cộng các đơn vị hợp lệ" in r for r in t))
    assert find_row(table, "Xã Lương Sơn")[2:] == ["-"] * 7
    assert find_row(table, "Xã Hòa Sơn")[2:] == ["-"] * 7
    assert "chưa gửi: xã Lương Sơn" in docx_text(report) and "báo cáo chưa hợp lệ: xã Hòa Sơn" in docx_text(report)
    report = technical_annex(report)
    status = next(t for t in docx_tables(report) if any("Kết quả kiểm tra" in r for r in t))
    assert find_row(status, "Xã Lương Sơn")[2:] == ["Chưa nhận", "-", "-"]
    hoa_son = find_row(status, "Xã Hòa Sơn")
    # dropped into the inbox today, long after the deadline: late (arrival is stamped by the system)
    assert hoa_son[2:] == ["Đã nhận", "Trễ hạn", "Không hợp lệ (2 lỗi)"]
    sources = next(t for t in docx_tables(report) if any("Mã SHA-256" in r for r in t))
    assert find_row(sources, "Xã Hòa Sơn")[7] == "2 lỗi, 0 cảnh báo"
    text = docx_text(dag_run[2])
    assert "Số liệu cộng chưa gồm: xã Lương Sơn, xã Hòa Sơn" in text
    # rates are of the valid units, not of the whole district
    assert "* Tỷ lệ so với tổng số hộ nghèo (hoặc cận nghèo) của 6 đơn vị có báo cáo hợp lệ cùng thời điểm." in text


def test_targets_wait_for_every_required_unit(dag_run):
    """With Lương Sơn missing and Hòa Sơn invalid, no target is judged: each names the two units."""
    _, _, report, _ = dag_run
    targets = next(t for t in docx_tables(report) if any("Mục tiêu" in c for c in t[0]))
    assert [row[3] for row in targets[1:]] == [
        "Chưa đủ số liệu để đánh giá (chưa có báo cáo hợp lệ của: xã Lương Sơn, xã Hòa Sơn)"] * 3
    assert targets[1][2].endswith("(tính trên 6 đơn vị có báo cáo hợp lệ)")


def test_no_personal_data_in_logs_or_xcom(dag_run, test_set):
    """The run's log (XCom values included) holds no head-of-household name of the test set."""
    _, _, _, log = dag_run
    names = {r["head_name"] for p in test_set.glob("*.xlsx") for r in roster_rows(p)}
    assert names and not [n for n in names if n in log]


def test_consistent_status_change(tmp_path, config):
    """One Ma Nới NCC household moves from poor to near-poor with a decision: district NCC poor −1, near-poor +1."""
    from pipeline.orchestrator import run_period

    inbox = tmp_path / "inbox" / "2023-6T"
    drop(sorted((ROOT / "samples" / "2023-6T").glob("*.xlsx")), inbox)
    wb_path = inbox / "22828_ma_noi.xlsx"
    household = next(r for r in roster_rows(wb_path) if r["status_current"] == "Nghèo")
    members = household["members_count"]
    edit_roster(wb_path, household["household_code"], status_current="Cận nghèo", change_kind="Thoát nghèo",
                decision_number="45/QĐ-UBND", decision_date="20/04/2023")
    s = summary_cells(wb_path)
    for key, delta in (("poor_households", -1), ("poor_persons", -members), ("near_poor_households", 1),
                       ("near_poor_persons", members), ("ncc_poor_households", -1),
                       ("ncc_poor_persons", -members), ("ncc_near_poor_households", 1),
                       ("ncc_near_poor_persons", members)):
        edit_summary(wb_path, key, current=int(s[key][1]) + delta)
    report = Path(run_period(config.period("2023-6T"), config=config, workspace=workspace_at(tmp_path)))
    agg = json.loads((tmp_path / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    assert [x["status"] for x in agg["submissions"]] == ["valid"] * 8
    d = agg["district"]
    assert (d["ncc_poor_households_baseline"], d["ncc_poor_households_current"]) == (2, 1)
    assert d["ncc_poor_persons_current"] == 11 - members
    assert d["ncc_near_poor_households_current"] == d["ncc_near_poor_households_baseline"] + 1
    assert d["ncc_near_poor_persons_current"] == d["ncc_near_poor_persons_baseline"] + members
    assert d["poor_households_current"] == 1550
    assert agg["ncc"]["change_escaped_poverty"] == 1
    movements = next(t for t in docx_tables(report) if any("Loại biến động" in r for r in t))
    assert find_row(movements, "Thoát nghèo")[2:] == ["\u22121", "+1"]  # poor list −1, near-poor list +1


def test_rerun_gives_the_same_report_figures(plan_root, config):
    """Rerunning a period with the same inbox rewrites the same aggregates (idempotent)."""
    from pipeline.orchestrator import run_period

    path = plan_root / "work" / "2023-6T" / "aggregates.json"
    before = path.read_text(encoding="utf-8")
    run_period(config.period("2023-6T"), config=config, workspace=workspace_at(plan_root))
    assert path.read_text(encoding="utf-8") == before
    wb = load_workbook(ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx")
    assert wb.sheetnames == ["Thông tin chung", "Tổng hợp", "Danh sách hộ NCC", "Thành viên NCC", "Thuyết minh"]


def test_intake_dag_registers_and_validates(tmp_path, airflow_home, test_set):
    """`airflow dags test intake` registers every dropped file, validates it and writes the status page."""
    drop(sorted(test_set.glob("*.xlsx")), tmp_path / "inbox" / "2023-6T")
    (tmp_path / "inbox" / "ghi-chu").mkdir()  # not a period: ignored
    result = subprocess.run([str(BIN / "airflow"), "dags", "test", "intake"], env=airflow_env(airflow_home, tmp_path),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    from pipeline.ledger.store import Ledger

    ledger = Ledger(f"sqlite:///{tmp_path / 'work' / 'ledger.sqlite'}")
    versions = ledger.versions("2023-6T")
    assert len(versions) == 7
    assert {v.status for v in versions if v.unit_code != INVALID_UNIT} == {"valid"}
    assert [v.status for v in versions if v.unit_code == INVALID_UNIT] == ["invalid"]
    page = tmp_path / "reports" / "2023" / "6T" / "trang-thai-2023-6T.html"
    assert "Chưa nhận" in page.read_text(encoding="utf-8")
