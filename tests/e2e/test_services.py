"""Acceptance of `make up`'s services: the scheduler, the DAG processor, the API server and one Celery worker,
on fresh PostgreSQL databases (metadata and ledger) and the services' own Redis (on a free port, append-only),
run the periodic report for 2023-6T triggered through the REST API by the generated admin user; the report has
the samples' figures, every task ran on the Celery worker, a task queued while Redis is killed and started
again still runs, and a screenshot of the DAG's grid is taken with headless Chromium (in the test's folder;
docs/airflow-grid.png by `make screenshots`).

Slow by nature: starts the services (scheduler, API server, worker) once for the module, and a browser."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import time

import httpx
import psycopg
import pytest

from ops.services import BIN, Settings, drop_database, environment, stop, up
from tests.browser import chromium, free_port, publish_screenshot, screenshot
from tests.conftest import ROOT
from tests.helpers import docx_tables, find_row

pytestmark = pytest.mark.slow

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "worker", "portal")


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """The services running on temporary databases, a temporary AIRFLOW_HOME, their own Redis and free ports;
    all stopped (Redis too) and the databases removed at the end whatever happened."""
    tag = secrets.token_hex(4)
    settings = Settings(
        run_dir=tmp_path_factory.mktemp("services"),
        data_dir=tmp_path_factory.mktemp("services-data"),
        metadata_url=f"{PG}/airflow_svc_{tag}",
        ledger_url=f"{PG}/ledger_svc_{tag}",
        redis_port=free_port(),
        api_port=free_port(),
        portal_port=free_port(),
        queue=f"svc-test-{tag}",
        worker_name=f"svc-test-{tag}@%h",
        worker_concurrency=2,
    )
    try:
        up(settings, COMPONENTS, timeout=240)
        yield settings
    finally:
        stop(settings, timeout=30)
        for url in (settings.metadata_url, settings.ledger_url):
            drop_database(url)


@pytest.fixture(scope="module")
def api(services):
    """An HTTP client logged in as the generated admin user (JWT from /auth/token)."""
    passwords = json.loads(services.passwords_file.read_text(encoding="utf-8"))
    with httpx.Client(base_url=services.api_url, timeout=30) as client:
        reply = client.post("/auth/token", json={"username": "admin", "password": passwords["admin"]})
        assert reply.status_code == 201, reply.text
        client.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"
        yield client


@pytest.fixture(scope="module")
def dag_run(services, api):
    """Register the samples as received, unpause the DAG, trigger it for 2023-6T and wait for the end.

    Returns (run, task instances of the run) as the REST API gives them.
    """
    env = environment(services)
    for sample in sorted((ROOT / "samples" / "2023-6T").glob("*.xlsx")):
        result = subprocess.run(
            [str(BIN / "python"), "-m", "pipeline", "receive", str(sample), "--period", "2023-6T",
             "--received-at", "2023-05-03T09:00:00+07:00", "--by", "Cán bộ mẫu (dữ liệu minh họa)"],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "phiên bản 1" in result.stdout and "đúng hạn" in result.stdout, result.stdout
    (services.data_dir / "inbox" / "2023-6T").mkdir(parents=True, exist_ok=True)

    end = time.monotonic() + 180  # the DAG processor's first parse
    while api.get("/api/v2/dags/periodic_report").status_code != 200:
        assert time.monotonic() < end, "periodic_report was not parsed in 3 minutes"
        time.sleep(2)
    reply = api.patch("/api/v2/dags/periodic_report", json={"is_paused": False})
    assert reply.status_code == 200 and reply.json()["is_paused"] is False, reply.text
    reply = api.post("/api/v2/dags/periodic_report/dagRuns", json={"logical_date": None, "conf": {"period": "2023-6T"}})
    assert reply.status_code == 200, reply.text
    run_id = reply.json()["dag_run_id"]

    end = time.monotonic() + 480
    while True:
        run = api.get(f"/api/v2/dags/periodic_report/dagRuns/{run_id}").json()
        if run["state"] in ("success", "failed") or time.monotonic() > end:
            break
        time.sleep(3)
    tis = api.get(f"/api/v2/dags/periodic_report/dagRuns/{run_id}/taskInstances", params={"limit": 100}).json()
    assert run["state"] == "success", (run, [(t["task_id"], t["map_index"], t["state"]) for t in tis["task_instances"]],
                                       (services.logs_dir / "worker.log").read_text(encoding="utf-8")[-4000:])
    return run, tis["task_instances"]


def test_report_has_the_samples_figures(services, dag_run):
    """The report published by the services' run has the district figures of the eight valid samples; the six
    offices' workbooks were validated in mapped tasks of their own."""
    run, tis = dag_run
    assert run["conf"] == {"period": "2023-6T"} and run["triggered_by"] == "rest_api"
    assert run["triggering_user_name"] == "admin"
    states = {(t["task_id"], t["rendered_map_index"]): t["state"] for t in tis}
    assert {k: v for k, v in states.items() if k[0] != "validate"} == {
        ("resolve_period", None): "success", ("gather", None): "success", ("status_page", None): "success",
        ("data_docs", None): "success", ("aggregate", None): "success", ("render", None): "success"}
    assert sorted(k[1] for k in states if k[0] == "validate") == [
        "22810", "22813", "22816", "22819", "22822", "22825", "22828", "22831", "GDNN", "LDTB", "MTTQ", "NHCS", "NN",
        "VHTT"]
    assert {v for k, v in states.items() if k[0] == "validate"} == {"success"}
    assert {t["pool"] for t in tis if t["task_id"] == "validate"} == {"validation"}
    report = services.data_dir / "reports" / "2023" / "6T" / "v1" / "bao-cao-2023-6T.docx"
    by_unit = next(t for t in docx_tables(report) if any("Toàn huyện" in r for r in t))
    assert find_row(by_unit, "Toàn huyện")[3:9] == ["1.551", "6,39%", "1.381", "5,69%", "2", "11"]
    assert find_row(by_unit, "Xã Ma Nới")[7:9] == ["2", "11"]
    agg = json.loads((services.data_dir / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    assert [x["status"] for x in agg["submissions"]] == ["valid"] * 8


def test_tasks_ran_on_the_celery_worker_with_postgresql_metadata(services, dag_run):
    """Every task instance went through the Celery queue of this run's worker and was executed by it (its log
    names each task instance), on the worker's host; Celery's results and Airflow's runs are in the PostgreSQL
    metadata database."""
    run, tis = dag_run
    worker_log = ""
    end = time.monotonic() + 60  # the worker logs a workload's end just after reporting its state
    while time.monotonic() < end:
        worker_log = (services.logs_dir / "worker.log").read_text(encoding="utf-8")
        if all(f"workload_id={t['id']}" in worker_log for t in tis):
            break
        time.sleep(1)
    host = re.search(rf"{re.escape(services.queue)}@(\S+) ready\.", worker_log).group(1)
    assert {t["queue"] for t in tis} == {services.queue}
    assert {t["hostname"] for t in tis} == {host}
    # the executor field names a task's own executor; None is the default one, CeleryExecutor here
    assert {t["executor"] for t in tis} <= {None, "CeleryExecutor"}
    assert environment(services)["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    for t in tis:
        assert re.search(rf"Workload finished .*final_state=success .*workload_id={t['id']}", worker_log), t
    with psycopg.connect(services.metadata_url.replace("+psycopg", "")) as conn:
        assert conn.execute("SELECT version()").fetchone()[0].startswith("PostgreSQL")
        assert conn.execute("SELECT state, conf IS NOT NULL FROM dag_run WHERE run_id = %s",
                            (run["dag_run_id"],)).fetchone() == ("success", True)
        rows = conn.execute("SELECT count(*) FROM task_instance WHERE run_id = %s AND state = 'success'",
                            (run["dag_run_id"],)).fetchone()[0]
        assert rows == len(tis) == 20  # 6 tasks and 14 mapped validations (8 communes, 6 offices)
        assert conn.execute("SELECT count(*) FROM celery_taskmeta WHERE status = 'SUCCESS'").fetchone()[0] >= 14
    with psycopg.connect(services.ledger_url.replace("+psycopg", "")) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT unit_code) FROM submission_versions "
                            "WHERE period = '2023-6T' AND status = 'valid'").fetchone() == (14, 14)  # 8 + 6 offices


def test_everything_listens_on_loopback_only_and_logs_are_readable(services, api, dag_run):
    """Every listening socket of the started processes (and their children) is on 127.0.0.1 or ::1, the API
    server's among them; a task's log is served by the API server from the shared AIRFLOW_HOME."""
    import psutil

    listening = set()
    for name in COMPONENTS:
        leader = psutil.Process(int((services.pids_dir / f"{name}.pid").read_text()))
        for proc in [leader, *leader.children(recursive=True)]:
            listening |= {(c.laddr.ip, c.laddr.port) for c in proc.net_connections(kind="inet")
                          if c.status == psutil.CONN_LISTEN}
    assert ("127.0.0.1", services.api_port) in listening
    assert ("127.0.0.1", services.portal_port) in listening  # the upload page, a process of its own
    page = httpx.get(f"{services.portal_url}/dang-nhap", timeout=30)
    assert page.status_code == 200 and "Đăng nhập" in page.text
    assert {ip for ip, _ in listening} <= {"127.0.0.1", "::1"}, listening
    run, _ = dag_run
    reply = api.get(f"/api/v2/dags/periodic_report/dagRuns/{run['dag_run_id']}/taskInstances/render/logs/1",
                    headers={"Accept": "application/json"})
    assert reply.status_code == 200, reply.text
    assert "bao-cao-2023-6T.docx" in reply.text, reply.text[-3000:]


def test_login_uses_the_generated_owner_only_password(services, api):
    """The admin's password was generated (24 URL-safe characters) into a 0600 file, never logged; a wrong
    password is refused and an unauthenticated API call too."""
    import stat

    from ops.services import ensure_passwords

    passwords = json.loads(services.passwords_file.read_text(encoding="utf-8"))
    assert list(passwords) == ["admin"] and re.fullmatch(r"[A-Za-z0-9_-]{24}", passwords["admin"])
    for path in (services.passwords_file, services.secrets_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert ensure_passwords(services) == passwords  # written once: a second `make up` keeps it
    for log in [*services.logs_dir.glob("*.log"), *services.home.rglob("*.log")]:
        assert passwords["admin"] not in log.read_text(encoding="utf-8", errors="replace"), log
    with httpx.Client(base_url=services.api_url, timeout=30) as anonymous:
        assert anonymous.post("/auth/token", json={"username": "admin", "password": "admin"}).status_code == 401
        assert anonymous.get("/api/v2/dags").status_code == 401


def test_grid_view_screenshot(services, api, dag_run, tmp_path):
    """A logged-in page of the DAG (its grid at the left) shows the run's tasks; saved in the test's folder, and as
    docs/airflow-grid.png by `make screenshots`."""
    if chromium() is None:
        pytest.skip("Chromium is not installed: `make system-deps` installs Debian's package")
    token = api.headers["Authorization"].removeprefix("Bearer ")
    shot = tmp_path / "airflow-grid.png"
    text = screenshot(f"{services.api_url}/dags/periodic_report", token, shot,
                      wait_for=["resolve_period", "gather", "validate", "aggregate", "render", "Failed Runs"])
    assert "periodic_report" in text and "Sign into Airflow" not in text
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    publish_screenshot(shot, "airflow-grid.png")


def test_a_queued_task_survives_a_broker_restart(services, api, dag_run):
    """With the worker stopped, a new run's first task is queued: its message waits in the own Redis. Redis is
    killed (SIGKILL, as a crash) and started again by `make up`'s own code, the worker comes back, and the run
    finishes from that same message — once, well before Airflow's queued-task timeout (10 minutes)."""
    import signal

    import redis

    from ops.services import _running, ensure_redis, start

    assert stop(services, timeout=30, names=["worker"]) == ["worker"]
    reply = api.post("/api/v2/dags/periodic_report/dagRuns", json={"logical_date": None, "conf": {"period": "2023-6T"}})
    assert reply.status_code == 200, reply.text
    run_id = reply.json()["dag_run_id"]
    broker = redis.Redis.from_url(services.broker)
    end = time.monotonic() + 180
    while broker.llen(services.queue) < 1:
        assert time.monotonic() < end, "no task message was queued in 3 minutes"
        time.sleep(1)
    pid = int((services.pids_dir / "redis.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    while _running(pid):
        time.sleep(0.1)
    restarted = time.monotonic()
    ensure_redis(services)
    assert redis.Redis.from_url(services.broker).llen(services.queue) >= 1  # the message is still there
    start(services, ["worker"])

    while True:
        run = api.get(f"/api/v2/dags/periodic_report/dagRuns/{run_id}").json()
        if run["state"] in ("success", "failed") or time.monotonic() - restarted > 480:
            break
        time.sleep(3)
    finished = time.monotonic() - restarted
    tis = api.get(f"/api/v2/dags/periodic_report/dagRuns/{run_id}/taskInstances", params={"limit": 100}).json()
    assert run["state"] == "success", [(t["task_id"], t["state"], t["try_number"]) for t in tis["task_instances"]]
    assert finished < 300, finished
    assert {t["try_number"] for t in tis["task_instances"]} == {1}  # nothing re-queued by a timeout or retried
