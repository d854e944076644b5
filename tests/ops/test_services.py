"""Airflow's services on this machine (ops/services.py), unit by unit and without starting any service: settings from
the environment, the secrets and passwords files, the processes' environment and command lines, pid files, and the
command line's answers when nothing runs. The one process started is a ``sleep`` the test stops itself."""

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
    monkeypatch.setenv("AIRFLOW_BROKER_URL", "redis://127.0.0.1:6380/1")
    s = Settings.from_env()
    assert (s.run_dir, s.data_dir, s.api_port, s.broker_url) == (
        tmp_path.resolve() / "run", tmp_path.resolve() / "data", 9090, "redis://127.0.0.1:6380/1")
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
