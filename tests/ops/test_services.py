"""Airflow's services on this machine (ops/services.py), unit by unit and without starting Airflow: settings from
the environment, the secrets and passwords files, the processes' environment and command lines, pid files, the
command line's answers when nothing runs, the data root's ledger, and the services' own Redis (started on a free
port, killed and started again: its queue survives; a broker someone else runs is never started). The other
processes started are a ``sleep`` and a throwaway Redis the tests stop themselves."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from ops import services
from ops.services import COMPONENTS, ServiceError, Settings

BIN = os.path.dirname(sys.executable)


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings whose run folder (with logs/ and pids/) and data folder are under the test's folder."""
    s = Settings(run_dir=tmp_path / "run", data_dir=tmp_path / "data", api_port=18080, users="admin:admin,xem:viewer")
    s.logs_dir.mkdir(parents=True)
    s.pids_dir.mkdir()
    return s


def test_settings_name_every_place_under_the_run_folder(tmp_path):
    """The Airflow home, logs, pid files, passwords and secrets sit under the run folder; the API is on loopback."""
    s = Settings(run_dir=tmp_path, data_dir=tmp_path / "data", api_port=8793)
    assert (s.home, s.logs_dir, s.pids_dir, s.passwords_file, s.secrets_file, s.api_url) == (
        tmp_path / "home", tmp_path / "logs", tmp_path / "pids", tmp_path / "passwords.json",
        tmp_path / "secrets.json", "http://127.0.0.1:8793")


def test_settings_from_the_environment(tmp_path, monkeypatch):
    """Each variable replaces its default (paths made absolute, the port a number); unset ones keep the defaults."""
    monkeypatch.chdir(tmp_path)
    for var in ("AIRFLOW_DB_URL", "PIPELINE_LEDGER_URL", "AIRFLOW_BROKER_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AIRFLOW_SERVICES_DIR", "run")
    monkeypatch.setenv("PIPELINE_DATA_DIR", "data")
    monkeypatch.setenv("AIRFLOW_API_PORT", "9090")
    monkeypatch.delenv("AIRFLOW_REDIS_PORT", raising=False)
    s = Settings.from_env()
    assert (s.own_broker, s.broker, s.redis_dir) == (True, "redis://127.0.0.1:6390/0",
                                                     tmp_path.resolve() / "run" / "redis")
    monkeypatch.setenv("AIRFLOW_REDIS_PORT", "6391")
    assert Settings.from_env().broker == "redis://127.0.0.1:6391/0"
    monkeypatch.setenv("AIRFLOW_BROKER_URL", "redis://127.0.0.1:6380/1")
    s = Settings.from_env()
    assert (s.run_dir, s.data_dir, s.api_port, s.broker_url, s.broker, s.own_broker) == (
        tmp_path.resolve() / "run", tmp_path.resolve() / "data", 9090, "redis://127.0.0.1:6380/1",
        "redis://127.0.0.1:6380/1", False)
    assert (s.metadata_url, s.ledger_url) == ("postgresql+psycopg://postgres@127.0.0.1:5432/airflow",
                                              "postgresql+psycopg://postgres@127.0.0.1:5432/ledger")


def test_secrets_are_generated_once_owner_only(settings):
    """secrets.json is written 0600 with a JWT secret, an API key and a Fernet key, and read back unchanged."""
    from cryptography.fernet import Fernet

    keys = services.ensure_secrets(settings)
    assert set(keys) == {"jwt_secret", "api_secret_key", "fernet_key"}
    Fernet(keys["fernet_key"].encode())  # a valid Fernet key
    assert stat.S_IMODE(settings.secrets_file.stat().st_mode) == 0o600
    assert services.ensure_secrets(settings) == keys


def test_passwords_one_per_user_kept_and_added(settings):
    """Each configured user gets 24 random URL-safe characters; existing passwords are kept, a new user gets one, and
    the file ends owner-only even when it was readable by others."""
    first = services.ensure_passwords(settings)
    assert set(first) == {"admin", "xem"}
    assert all(len(p) == 24 and set(p) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
               for p in first.values())
    assert first["admin"] != first["xem"]
    os.chmod(settings.passwords_file, 0o644)
    more = Settings(run_dir=settings.run_dir, data_dir=settings.data_dir, users="admin:admin,xem:viewer,ke:op")
    second = services.ensure_passwords(more)
    assert {k: second[k] for k in first} == first and len(second["ke"]) == 24
    assert json.loads(settings.passwords_file.read_text(encoding="utf-8")) == second
    assert stat.S_IMODE(settings.passwords_file.stat().st_mode) == 0o600


def test_environment_of_every_process(settings):
    """The processes share the home, the DAG folder, the Celery executor with its broker and result backend, the
    async driver of psycopg, the secrets and the pipeline's ledger and data folder; extra_env wins."""
    env = services.environment(settings)
    keys = json.loads(settings.secrets_file.read_text(encoding="utf-8"))
    assert {k: env[k] for k in ("AIRFLOW_HOME", "AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__EXECUTOR",
                                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC", "AIRFLOW__CELERY__RESULT_BACKEND",
                                "AIRFLOW__API__BASE_URL", "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
                                "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS",
                                "PIPELINE_LEDGER_URL", "PIPELINE_DATA_DIR")} == {
        "AIRFLOW_HOME": str(settings.run_dir / "home"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(services.ROOT / "dags"),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": "postgresql+psycopg_async://postgres@127.0.0.1:5432/airflow",
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+postgresql+psycopg://postgres@127.0.0.1:5432/airflow",
        "AIRFLOW__API__BASE_URL": "http://127.0.0.1:18080",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": "http://127.0.0.1:18080/execution/",
        "AIRFLOW__CORE__FERNET_KEY": keys["fernet_key"],
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,xem:viewer",
        "PIPELINE_LEDGER_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/ledger",
        "PIPELINE_DATA_DIR": str(settings.data_dir),
    }
    extra = Settings(run_dir=settings.run_dir, data_dir=settings.data_dir, extra_env={"AIRFLOW__CORE__EXECUTOR": "X"})
    assert services.environment(extra)["AIRFLOW__CORE__EXECUTOR"] == "X"


def test_postgresql_host_and_port_of_a_url():
    """The host and port of a psycopg URL, 127.0.0.1:5432 when it names none."""
    assert services._pg_host_port("postgresql+psycopg://u@db.local:6543/airflow") == ("db.local", 6543)
    assert services._pg_host_port("postgresql+psycopg:///airflow") == ("127.0.0.1", 5432)


def test_command_lines_of_the_components(settings):
    """The API server listens on loopback at its port; the worker takes its queue, name and concurrency; the
    scheduler and triggerer serve no logs; the DAG processor runs as it is."""
    airflow = os.path.join(BIN, "airflow")
    commands = {name: services._command(settings, name) for name in COMPONENTS}
    assert commands == {
        "api-server": [airflow, "api-server", "--host", "127.0.0.1", "--port", "18080"],
        "scheduler": [airflow, "scheduler", "--skip-serve-logs"],
        "dag-processor": [airflow, "dag-processor"],
        "triggerer": [airflow, "triggerer", "--skip-serve-logs"],
        "worker": [airflow, "celery", "worker", "--queues", "default", "--celery-hostname", "worker1@%h",
                   "--concurrency", "2", "--skip-serve-logs"],
        "portal": [os.path.join(BIN, "python"), "-m", "pipeline", "portal", "--host", "127.0.0.1", "--port", "8090"],
    }


def test_pid_files_and_whether_a_process_is_ours(settings):
    """A pid file is read as a number (garbage or none: None); a live pid is ours only with the start time recorded
    beside it."""
    assert services._read_pid(settings, "scheduler") is None
    (settings.pids_dir / "scheduler.pid").write_text("x\n", encoding="ascii")
    assert services._read_pid(settings, "scheduler") is None
    me = os.getpid()
    (settings.pids_dir / "scheduler.pid").write_text(f"{me}\n", encoding="ascii")
    assert services._read_pid(settings, "scheduler") == me
    assert services._running(me) is True
    assert services._ours(settings, "scheduler", me) is False  # no start time recorded
    (settings.pids_dir / "scheduler.start").write_text(f"{services._start_time(me)}\n", encoding="ascii")
    assert services._ours(settings, "scheduler", me) is True
    (settings.pids_dir / "scheduler.start").write_text("1\n", encoding="ascii")
    assert services._ours(settings, "scheduler", me) is False  # a pid reused by another process


def test_stop_ends_its_own_process_group_and_leaves_others(settings):
    """A process recorded with its start time is stopped and reported; a pid file naming a process that is not ours
    (another start time) is only removed."""
    sleeper = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        (settings.pids_dir / "worker.pid").write_text(f"{sleeper.pid}\n", encoding="ascii")
        (settings.pids_dir / "worker.start").write_text(f"{services._start_time(sleeper.pid)}\n", encoding="ascii")
        (settings.pids_dir / "triggerer.pid").write_text(f"{os.getpid()}\n", encoding="ascii")
        (settings.pids_dir / "triggerer.start").write_text("1\n", encoding="ascii")
        assert services.stop(settings, timeout=10) == ["worker"]
        assert sleeper.wait(timeout=10) == -15  # SIGTERM
        assert list(settings.pids_dir.iterdir()) == []
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
            sleeper.wait()


def test_wait_ready_reports_a_component_that_died_with_its_log(settings):
    """A started component whose process is gone stops the wait at once with the tail of its log."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    (settings.pids_dir / "scheduler.pid").write_text(f"{gone.pid}\n", encoding="ascii")
    (settings.logs_dir / "scheduler.log").write_text("".join(f"dòng {i}\n" for i in range(1, 41)), encoding="utf-8")
    with pytest.raises(ServiceError) as info:
        services.wait_ready(settings, ("scheduler",), timeout=30)
    log = settings.logs_dir / "scheduler.log"
    assert str(info.value) == (f"scheduler đã dừng ngay sau khi khởi động; xem {log}:\n"
                               + "\n".join(f"dòng {i}" for i in range(11, 41)))


def test_wait_ready_gives_up_at_its_timeout(settings):
    """With no time to wait the API server is reported not ready, naming its address."""
    with pytest.raises(ServiceError, match=r"^API server http://127\.0\.0\.1:18080 chưa sẵn sàng sau 0 giây \(\)$"):
        services.wait_ready(settings, (), timeout=0)


def test_tail_of_a_missing_log_is_empty(settings):
    """_tail of a file that does not exist is ""."""
    assert services._tail(settings.logs_dir / "none.log") == ""


def test_down_and_status_when_nothing_runs(settings, monkeypatch, capsys):
    """`down` with no pid file says no process was running; `status` lists only the components with a pid file."""
    monkeypatch.setenv("AIRFLOW_SERVICES_DIR", str(settings.run_dir))
    assert services.main(["down"]) == 0
    assert capsys.readouterr().out == "Đã dừng: không có tiến trình nào đang chạy\n"
    (settings.pids_dir / "api-server.pid").write_text(f"{os.getpid()}\n", encoding="ascii")
    assert services.main(["status"]) == 0
    assert capsys.readouterr().out == f"api-server: đã dừng (pid {os.getpid()})\n"


def test_command_line_refuses_what_it_does_not_know(settings, monkeypatch, capsys):
    """An unknown command, and `exec` without the command to run, exit 2 with the reason."""
    monkeypatch.setenv("AIRFLOW_SERVICES_DIR", str(settings.run_dir))
    with pytest.raises(SystemExit) as info:
        services.main(["restart"])
    assert info.value.code == 2 and "invalid choice: 'restart'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        services.main(["exec"])
    assert info.value.code == 2 and "exec: thiếu lệnh cần chạy" in capsys.readouterr().err


# --- The services' own Redis -------------------------------------------------------------------------------------

def _redis_settings(settings: Settings, **kwargs) -> Settings:
    import dataclasses

    from tests.browser import free_port

    return dataclasses.replace(settings, redis_port=free_port(), **kwargs)


def test_own_redis_keeps_its_queue_across_a_crash(settings):
    """The own Redis starts on its port with its append-only file under redis/ (owner-only), answers, is found
    running by a second call; killed with SIGKILL while a message waits in a queue, the next call starts it again
    and the message is still there; stop() ends it and nothing answers on the port after."""
    import signal
    import time

    import redis

    own = _redis_settings(settings)
    services.ensure_redis(own)
    try:
        assert services.redis_command(own)[:4] == ["redis-server", "--daemonize", "yes", "--bind"]
        client = redis.Redis.from_url(own.broker)
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("appendfsync") == {"appendfsync": "always"}
        assert client.config_get("dir") == {"dir": str(own.redis_dir)}
        assert stat.S_IMODE(own.redis_dir.stat().st_mode) == 0o700
        client.lpush("default", "task message")
        pid = int((own.pids_dir / "redis.pid").read_text())
        services.ensure_redis(own)  # running: left alone
        assert int((own.pids_dir / "redis.pid").read_text()) == pid
        os.kill(pid, signal.SIGKILL)
        while services._running(pid):
            time.sleep(0.05)
        services.ensure_redis(own)
        assert int((own.pids_dir / "redis.pid").read_text()) != pid
        assert redis.Redis.from_url(own.broker).lrange("default", 0, -1) == [b"task message"]
    finally:
        stopped = services.stop(own, timeout=10)
    assert stopped == ["redis"]
    assert not services._ping(own.broker)


def test_a_port_held_by_another_program_is_refused(settings):
    """Something else listens on the own Redis's port: make up stops with a message naming the port and
    AIRFLOW_REDIS_PORT; no Redis is started."""
    import socket

    own = _redis_settings(settings)
    with socket.socket() as other:
        other.bind(("127.0.0.1", own.redis_port))
        other.listen()
        with pytest.raises(ServiceError, match=f"Cổng 127.0.0.1:{own.redis_port} đã có một chương trình khác .* "
                                               "AIRFLOW_REDIS_PORT"):
            services.ensure_redis(own)
    assert not (own.pids_dir / "redis.pid").exists()


def test_a_broker_someone_else_runs_is_never_started(settings, capsys):
    """A given broker URL that does not answer stops make up (nothing started on its port); one that answers
    without an append-only file is used, with a warning that queued tasks would be lost, and never stopped."""
    from tests.browser import free_port

    port = free_port()
    given = _redis_settings(settings, broker_url=f"redis://127.0.0.1:{port}/3")
    with pytest.raises(ServiceError, match="không trả lời. Redis này không do make up quản lý"):
        services.ensure_redis(given)
    assert not services._ping(given.broker) and not (given.pids_dir / "redis.pid").exists()
    machine = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(settings.run_dir)], stdout=subprocess.DEVNULL)
    try:
        assert services._wait_ping(given.broker, 10)
        services.ensure_redis(given)
        out = capsys.readouterr().out
        assert "không ghi tệp append-only (appendonly no): task đang chờ trong hàng đợi sẽ mất" in out
        assert services.stop(given, timeout=5) == [] and machine.poll() is None
    finally:
        machine.terminate()
        machine.wait(timeout=10)


def test_a_data_root_of_another_ledger_is_refused_before_anything_starts(settings, tmp_path):
    """The services' data root records another ledger (a SQLite run used it first): up stops with the
    Vietnamese message naming both, before any service or database is touched."""
    from pipeline.ledger.store import record_ledger
    from pipeline.workspace import Workspace

    record_ledger(Workspace(root=settings.data_dir))
    with pytest.raises(ServiceError, match="ledger.sqlite") as caught:
        services.prepare(settings)
    assert "postgresql+psycopg://postgres@127.0.0.1:5432/ledger" in str(caught.value)
    assert not (settings.pids_dir / "redis.pid").exists() and not settings.secrets_file.exists()
