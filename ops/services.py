"""Airflow's services on this machine: scheduler, DAG processor, triggerer, API server (with the UI) and Celery
workers, with the metadata database and the pipeline's ledger on PostgreSQL and Redis as Celery's broker, all on
loopback.

``python -m ops.services up`` makes sure PostgreSQL and Redis answer (starting them when they are down), creates
the databases when missing, writes the secrets and the UI users' generated passwords once (owner-only files),
runs ``airflow db migrate``, creates the pools, starts every process in the background with a pid file and a
log under the run folder, and waits until the API server answers. ``python -m ops.services down`` stops exactly
the processes whose pid files it finds there (each process group it started), nothing else.

Run folder (``AIRFLOW_SERVICES_DIR``, default ``.airflow-services/`` beside the project): ``home/`` is the
AIRFLOW_HOME (task logs in ``home/logs/``), ``logs/<process>.log`` each process's own output, ``pids/`` the pid
files, ``passwords.json`` the UI logins (0600), ``secrets.json`` the keys shared by the processes (0600).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# Every long-running process this module starts, in start order (the API server first: the others talk to it).
# The upload page (``python -m pipeline portal``) runs apart from the API server, which never loads the reading and
# validation libraries.
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer", "worker", "portal")

AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
POOLS = {
    "intake": (1, "Tiếp nhận báo cáo: mỗi lúc chỉ một lượt quét thư mục nhận"),
    "validation": (2, "Kiểm tra báo cáo của các đơn vị: tối đa hai tệp cùng lúc"),
}


class ServiceError(RuntimeError):
    """A service could not be prepared or started; the message says which and where its log is."""


@dataclass(frozen=True)
class Settings:
    """Where the services run and what they connect to (every address on loopback).

    ``metadata_url`` and ``ledger_url`` are SQLAlchemy URLs of PostgreSQL databases (created when missing);
    ``broker_url`` a Redis URL someone else runs (used as it is, never started nor restarted here), or empty for
    the services' own Redis on ``redis_port`` (:func:`ensure_redis`); ``users`` the simple auth manager's
    ``name:role`` list; ``queue`` the Celery queue the worker listens on and tasks are sent to; ports are TCP
    ports on 127.0.0.1.
    """

    run_dir: Path
    data_dir: Path
    metadata_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/airflow"
    ledger_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/ledger"
    broker_url: str = ""  # empty: the services' own Redis on ``redis_port`` (started, persisted and stopped here)
    redis_port: int = 6390
    api_port: int = 8080
    portal_port: int = 8090
    queue: str = "default"
    worker_name: str = "worker1@%h"
    worker_concurrency: int = 2
    users: str = "admin:admin"
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        """AIRFLOW_HOME of the services."""
        return self.run_dir / "home"

    @property
    def logs_dir(self) -> Path:
        """Folder of the processes' own logs."""
        return self.run_dir / "logs"

    @property
    def pids_dir(self) -> Path:
        """Folder of the pid files."""
        return self.run_dir / "pids"

    @property
    def passwords_file(self) -> Path:
        """The UI users' passwords (JSON ``{user: password}``, 0600)."""
        return self.run_dir / "passwords.json"

    @property
    def secrets_file(self) -> Path:
        """Keys shared by every process (JWT, API secret, Fernet), 0600."""
        return self.run_dir / "secrets.json"

    @property
    def redis_dir(self) -> Path:
        """The own Redis's folder: its append-only file (the queue survives a restart) and working files."""
        return self.run_dir / "redis"

    @property
    def own_broker(self) -> bool:
        """True when Celery's broker is the services' own Redis (no ``broker_url`` given)."""
        return not self.broker_url

    @property
    def broker(self) -> str:
        """Celery's broker URL: ``broker_url``, or the own Redis's."""
        return self.broker_url or f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.portal_port}"

    @property
    def api_url(self) -> str:
        """Base URL of the API server and the UI."""
        return f"http://127.0.0.1:{self.api_port}"

    @classmethod
    def from_env(cls) -> Settings:
        """Settings from ``AIRFLOW_SERVICES_DIR``, ``AIRFLOW_DB_URL``, ``PIPELINE_LEDGER_URL``,
        ``AIRFLOW_BROKER_URL``, ``AIRFLOW_REDIS_PORT``, ``AIRFLOW_API_PORT``, ``PORTAL_PORT`` and
        ``PIPELINE_DATA_DIR`` (defaults above)."""
        kwargs: dict = {
            "run_dir": Path(os.environ.get("AIRFLOW_SERVICES_DIR", ROOT / ".airflow-services")).resolve(),
            "data_dir": Path(os.environ.get("PIPELINE_DATA_DIR", ROOT)).resolve(),
        }
        for key, var in (("metadata_url", "AIRFLOW_DB_URL"), ("ledger_url", "PIPELINE_LEDGER_URL"),
                         ("broker_url", "AIRFLOW_BROKER_URL")):
            if os.environ.get(var):
                kwargs[key] = os.environ[var]
        for key, var in (("api_port", "AIRFLOW_API_PORT"), ("redis_port", "AIRFLOW_REDIS_PORT"),
                         ("portal_port", "PORTAL_PORT")):
            if os.environ.get(var):
                kwargs[key] = int(os.environ[var])
        return cls(**kwargs)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to a new file readable by its owner only (0600 whatever the umask)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def ensure_secrets(settings: Settings) -> dict[str, str]:
    """The keys shared by every process, generated once into ``secrets.json`` (0600) and kept after."""
    if settings.secrets_file.exists():
        return json.loads(settings.secrets_file.read_text(encoding="utf-8"))
    from cryptography.fernet import Fernet

    keys = {
        "jwt_secret": secrets.token_urlsafe(48),
        "api_secret_key": secrets.token_urlsafe(48),
        "fernet_key": Fernet.generate_key().decode(),
    }
    _write_private(settings.secrets_file, json.dumps(keys, indent=1) + "\n")
    return keys


def ensure_passwords(settings: Settings) -> dict[str, str]:
    """A generated password per configured UI user, written once to ``passwords.json`` (0600).

    Existing passwords are kept; a user added to ``users`` gets one. Returns ``{user: password}``. There is no
    default password: each one is 24 random URL-safe characters.
    """
    path = settings.passwords_file
    passwords = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    users = [u.split(":")[0] for u in settings.users.split(",") if u.strip()]
    missing = [u for u in users if u not in passwords]
    for user in missing:
        passwords[user] = secrets.token_urlsafe(18)
    if missing or not path.exists():
        _write_private(path, json.dumps(passwords) + "\n")
    os.chmod(path, 0o600)
    return passwords


def environment(settings: Settings) -> dict[str, str]:
    """Environment of every Airflow process (and of ``python -m pipeline`` commands against the same ledger)."""
    keys = ensure_secrets(settings)
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(settings.home),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__UNIT_TEST_MODE="False",
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__CORE__FERNET_KEY=keys["fernet_key"],
        AIRFLOW__CORE__AUTH_MANAGER=AUTH_MANAGER,
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=settings.users,
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(settings.passwords_file),
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{settings.api_url}/execution/",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=settings.metadata_url,
        # Airflow would derive asyncpg for its async engine; psycopg 3 (in the lock) does async too
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC=settings.metadata_url.replace("+psycopg:", "+psycopg_async:"),
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(settings.api_port),
        AIRFLOW__API__BASE_URL=settings.api_url,
        AIRFLOW__API__SECRET_KEY=keys["api_secret_key"],
        AIRFLOW__API_AUTH__JWT_SECRET=keys["jwt_secret"],
        AIRFLOW__CELERY__BROKER_URL=settings.broker,
        AIRFLOW__CELERY__RESULT_BACKEND="db+" + settings.metadata_url,
        AIRFLOW__CELERY__WORKER_CONCURRENCY=str(settings.worker_concurrency),
        AIRFLOW__OPERATORS__DEFAULT_QUEUE=settings.queue,
        PIPELINE_LEDGER_URL=settings.ledger_url,
        PIPELINE_DATA_DIR=str(settings.data_dir),
        PYTHONPATH=str(ROOT),
    )
    env.update(settings.extra_env)
    return env


def _pg_host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url.replace("+psycopg", ""))
    return parts.hostname or "127.0.0.1", parts.port or 5432


def ensure_postgresql(settings: Settings) -> None:
    """Start the machine's PostgreSQL cluster when it does not answer on the metadata URL's port."""
    host, port = _pg_host_port(settings.metadata_url)
    ready = ["pg_isready", "-h", host, "-p", str(port), "-q"]
    if subprocess.run(ready).returncode == 0:
        return
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        raise ServiceError(f"PostgreSQL không trả lời ở {host}:{port} và máy không có cụm PostgreSQL nào để khởi động")
    print(f"Khởi động PostgreSQL {versions[0]} ...", flush=True)
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[0], "main", "start"], check=True)
    for _ in range(30):
        if subprocess.run(ready).returncode == 0:
            return
        time.sleep(1)
    raise ServiceError(f"PostgreSQL vẫn không trả lời ở {host}:{port} sau 30 giây")


def redis_command(settings: Settings) -> list[str]:
    """The own Redis's command line: loopback only, on ``redis_port``, its files in :attr:`Settings.redis_dir`,
    every write appended to its append-only file and synced before Redis answers (``appendfsync always``): a
    task message Celery queued is still there after Redis restarts, even after a crash."""
    return ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(settings.redis_port),
            "--protected-mode", "yes", "--dir", str(settings.redis_dir), "--appendonly", "yes",
            "--appendfsync", "always", "--save", "", "--pidfile", str(_pid_file(settings, "redis")),
            "--logfile", str(settings.logs_dir / "redis.log")]


def _ping(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.ping())
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        return False
    finally:
        client.close()


def ensure_redis(settings: Settings) -> None:
    """Make sure Celery's broker answers.

    The services' own Redis (no ``broker_url``): started on 127.0.0.1:``redis_port`` with its append-only file
    in ``redis/`` (:func:`redis_command`; pid file ``pids/redis.pid``, so ``down`` stops it) unless the one
    started here runs already. A ``broker_url`` given by the operator is someone else's Redis (the machine's, a
    shared one): it is used as it is, and never started, stopped nor restarted here; without persistence a
    warning says that queued tasks are lost when it restarts.

    Raises:
        ServiceError: another program holds the own Redis's port, the own Redis does not start (the message
            names its log), or the given broker does not answer.
    """
    url = settings.broker
    where = f"127.0.0.1:{settings.redis_port}"
    if not settings.own_broker:
        if not _ping(url):
            raise ServiceError(
                f"Redis ở {_public(url)} (AIRFLOW_BROKER_URL) không trả lời. Redis này không do make up quản lý nên "
                "không được khởi động ở đây: khởi động nó, hoặc bỏ AIRFLOW_BROKER_URL để make up dùng Redis riêng.")
        if not _persistent(url):
            print(f"Cảnh báo: Redis {_public(url)} không ghi tệp append-only (appendonly no): task đang chờ trong "
                  "hàng đợi sẽ mất nếu Redis khởi động lại.", flush=True)
        return
    pid = _read_pid(settings, "redis")
    if pid is not None and _ours(settings, "redis", pid):
        if _wait_ping(url, 10):
            return
        raise ServiceError(f"Redis riêng (pid {pid}) không trả lời ở {where}; xem {settings.logs_dir / 'redis.log'}")
    if _ping(url) or _port_taken(settings.redis_port):
        raise ServiceError(
            f"Cổng {where} đã có một chương trình khác (không do make up khởi động). Chọn cổng khác cho Redis riêng "
            "của các dịch vụ: đặt AIRFLOW_REDIS_PORT (ví dụ AIRFLOW_REDIS_PORT=6391 make up).")
    settings.redis_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.redis_dir, 0o700)
    print(f"Khởi động Redis riêng ở {where} (hàng đợi ghi vào {settings.redis_dir}) ...", flush=True)
    subprocess.run(redis_command(settings), check=True)
    if not _wait_ping(url, 15):
        raise ServiceError(f"Redis riêng không trả lời ở {where}; xem {settings.logs_dir / 'redis.log'}")


def _wait_ping(url: str, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if _ping(url):
            return True
        time.sleep(0.2)
    return False


def _persistent(url: str) -> bool:
    """True when the Redis at ``url`` keeps an append-only file (or cannot say: CONFIG may be disabled)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        reply: Any = client.config_get("appendonly")
        return reply.get("appendonly", "yes") in ("yes", b"yes")
    except redis.exceptions.RedisError:
        return True
    finally:
        client.close()


def _port_taken(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _public(url: str) -> str:
    """A URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database named in ``url`` when it does not exist; True when it was created."""
    import psycopg

    parts = urlsplit(url.replace("+psycopg", ""))
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def drop_database(url: str) -> None:
    """Drop the PostgreSQL database named in ``url`` (connections to it are closed first)."""
    import psycopg

    parts = urlsplit(url.replace("+psycopg", ""))
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _airflow(settings: Settings, *args: str, log: str) -> None:
    """Run one Airflow CLI command to its end; its output goes to ``logs/<log>.log``."""
    path = settings.logs_dir / f"{log}.log"
    with open(path, "a", encoding="utf-8") as out:
        result = subprocess.run([str(BIN / "airflow"), *args], env=environment(settings), stdout=out,
                                stderr=subprocess.STDOUT, cwd=ROOT, timeout=600)
    if result.returncode != 0:
        raise ServiceError(f"airflow {' '.join(args)} thất bại (mã {result.returncode}); xem {path}:\n"
                           + _tail(path))


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def check_data_root(settings: Settings) -> None:
    """Refuse a data root that belongs to another ledger than the services' (one data root, one ledger:
    :func:`pipeline.ledger.store.check_ledger`), before anything starts.

    Raises:
        ServiceError: the root records another ledger (the Vietnamese message names both and the fix).
    """
    from pipeline.config import ConfigError
    from pipeline.ledger.store import check_ledger
    from pipeline.workspace import Workspace

    try:
        check_ledger(Workspace(root=settings.data_dir, ledger_url=settings.ledger_url))
    except ConfigError as exc:
        raise ServiceError(str(exc)) from exc


def prepare(settings: Settings) -> None:
    """The data root's ledger checked, folders, services, databases, secrets, passwords, ``airflow db migrate``
    and the pools."""
    for folder in (settings.run_dir, settings.home, settings.logs_dir, settings.pids_dir):
        folder.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.run_dir, 0o700)
    check_data_root(settings)
    ensure_postgresql(settings)
    ensure_redis(settings)
    for url in (settings.metadata_url, settings.ledger_url):
        if url.startswith("postgresql") and ensure_database(url):
            print(f"Đã tạo cơ sở dữ liệu {urlsplit(url).path.lstrip('/')}", flush=True)
    ensure_secrets(settings)
    ensure_passwords(settings)
    _airflow(settings, "db", "migrate", log="migrate")
    for name, (slots, description) in POOLS.items():
        _airflow(settings, "pools", "set", name, str(slots), description, log="pools")


def _command(settings: Settings, name: str) -> list[str]:
    airflow = str(BIN / "airflow")
    if name == "portal":
        return [str(BIN / "python"), "-m", "pipeline", "portal", "--host", "127.0.0.1", "--port",
                str(settings.portal_port)]
    if name == "api-server":
        return [airflow, "api-server", "--host", "127.0.0.1", "--port", str(settings.api_port)]
    # Task logs are files under the shared AIRFLOW_HOME, read there by the API server: no log server (it would
    # listen on every interface).
    if name == "worker":
        return [airflow, "celery", "worker", "--queues", settings.queue, "--celery-hostname", settings.worker_name,
                "--concurrency", str(settings.worker_concurrency), "--skip-serve-logs"]
    if name in ("scheduler", "triggerer"):
        return [airflow, name, "--skip-serve-logs"]
    return [airflow, name]


def _pid_file(settings: Settings, name: str) -> Path:
    return settings.pids_dir / f"{name}.pid"


def _read_pid(settings: Settings, name: str) -> int | None:
    try:
        return int(_pid_file(settings, name).read_text().strip())
    except (OSError, ValueError):
        return None


def _running(pid: int) -> bool:
    """True when ``pid`` is a live process (not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), None when gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _ours(settings: Settings, name: str, pid: int) -> bool:
    """True when ``pid`` is alive and still the process we started: same start time as recorded beside its pid
    file (a pid reused by another process has another), or for Redis a ``redis-server`` command line."""
    if not _running(pid):
        return False
    if name == "redis":
        try:
            return b"redis-server" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
    try:
        recorded = (settings.pids_dir / f"{name}.start").read_text().strip()
    except OSError:
        return False
    return _start_time(pid) == recorded


def start(settings: Settings, components: Iterable[str] = COMPONENTS) -> dict[str, int]:
    """Start each component in the background in its own session (process group); returns pid by name.

    A component whose pid file names a live process of ours is left running. Output goes to
    ``logs/<name>.log``; the pid is written to ``pids/<name>.pid``.
    """
    env = environment(settings)
    pids = {}
    for name in components:
        pid = _read_pid(settings, name)
        if pid is not None and _ours(settings, name, pid):
            pids[name] = pid
            print(f"{name}: đang chạy (pid {pids[name]})", flush=True)
            continue
        log = open(settings.logs_dir / f"{name}.log", "a", encoding="utf-8")  # the child keeps it
        proc = subprocess.Popen(_command(settings, name), env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        (settings.pids_dir / f"{name}.start").write_text(f"{_start_time(proc.pid)}\n", encoding="ascii")
        _pid_file(settings, name).write_text(f"{proc.pid}\n", encoding="ascii")
        pids[name] = proc.pid
        print(f"{name}: đã khởi động (pid {proc.pid}, nhật ký {settings.logs_dir / (name + '.log')})", flush=True)
    return pids


def wait_ready(settings: Settings, components: Iterable[str] = COMPONENTS, timeout: float = 180) -> None:
    """Wait until the API server answers ``/api/v2/monitor/health`` and the scheduler reports healthy.

    Raises ServiceError, with the tail of its log, as soon as a started component has exited, or at timeout.
    """
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        for name in components:
            pid_file = _pid_file(settings, name)
            if pid_file.exists() and not _running(int(pid_file.read_text().strip())):
                log = settings.logs_dir / f"{name}.log"
                raise ServiceError(f"{name} đã dừng ngay sau khi khởi động; xem {log}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"{settings.api_url}/api/v2/monitor/health", timeout=5) as r:
                health = json.loads(r.read())
            last = json.dumps(health)
            if "portal" in components:
                with urllib.request.urlopen(f"{settings.portal_url}/suc-khoe", timeout=5) as r:
                    r.read()
            if "scheduler" not in components or health.get("scheduler", {}).get("status") == "healthy":
                return
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = str(exc)
        time.sleep(2)
    raise ServiceError(f"API server {settings.api_url} chưa sẵn sàng sau {timeout:.0f} giây ({last})")


def stop(settings: Settings, timeout: float = 60, names: Iterable[str] | None = None) -> list[str]:
    """Stop every process group whose pid file is in ``pids/`` (SIGTERM, then SIGKILL after ``timeout``
    seconds), or only those of ``names``; pid files are removed. Returns the names stopped. Processes not
    started here are never touched.
    """
    stopped: list[str] = []
    if not settings.pids_dir.is_dir():
        return stopped
    pid_files = sorted(settings.pids_dir.glob("*.pid"), key=lambda p: p.stem == "redis")  # Redis last
    for pid_file in pid_files:
        name = pid_file.stem
        if names is not None and name not in names:
            continue
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            pid_file.unlink(missing_ok=True)
            continue
        if _ours(settings, name, pid):
            _signal(pid, name, signal.SIGTERM)
            end = time.monotonic() + timeout
            while _running(pid) and time.monotonic() < end:
                time.sleep(0.5)
            if _running(pid):
                _signal(pid, name, signal.SIGKILL)
            # children left in the group after the leader exited (a Celery pool process, a gunicorn worker)
            if name != "redis":
                _signal(pid, name, signal.SIGKILL, group_only=True)
            stopped.append(name)
        pid_file.unlink(missing_ok=True)
        (settings.pids_dir / f"{name}.start").unlink(missing_ok=True)
    return stopped


def _signal(pid: int, name: str, sig: int, group_only: bool = False) -> None:
    """Signal the process group ``pid`` leads (processes started here lead their own), or Redis itself."""
    try:
        if name != "redis" and os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        elif not group_only:
            os.kill(pid, sig)
    except ProcessLookupError:
        if name != "redis":
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                pass


def up(settings: Settings, components: Iterable[str] = COMPONENTS, timeout: float = 180) -> None:
    """Prepare, start and wait for the services (see the module's docstring)."""
    components = tuple(components)
    prepare(settings)
    start(settings, components)
    wait_ready(settings, components, timeout=timeout)


def main(argv: list[str] | None = None) -> int:
    """``up`` / ``down`` / ``status`` / ``exec COMMAND…``; exit 1 with a message when a service could not be
    started."""
    parser = argparse.ArgumentParser(prog="python -m ops.services", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("up", "down", "status", "exec"),
                        help="exec: run the rest of the line (e.g. airflow backfill create …, python -m pipeline "
                             "receive …) with the services' environment")
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "exec":
        if not args.rest:
            parser.error("exec: thiếu lệnh cần chạy")
        rest = args.rest[1:] if args.rest[0] == "--" else args.rest
        program = str(BIN / rest[0]) if (BIN / rest[0]).exists() else rest[0]
        os.execvpe(program, [program, *rest[1:]], environment(settings))
    if args.command == "down":
        stopped = stop(settings)
        print("Đã dừng: " + (", ".join(stopped) if stopped else "không có tiến trình nào đang chạy"))
        return 0
    if args.command == "status":
        for name in (*COMPONENTS, "redis"):
            pid = _read_pid(settings, name)
            if pid is not None:
                print(f"{name}: {'đang chạy' if _ours(settings, name, pid) else 'đã dừng'} (pid {pid})")
        return 0
    try:
        up(settings)
    except ServiceError as exc:
        print(f"make up thất bại: {exc}", file=sys.stderr)
        print("Dừng các tiến trình đã khởi động ...", file=sys.stderr)
        stop(settings)
        return 1
    users = ", ".join(u.split(":")[0] for u in settings.users.split(","))
    print(f"Airflow UI: {settings.api_url}  (người dùng: {users}; mật khẩu trong {settings.passwords_file})")
    print(f"Trang gửi báo cáo: {settings.portal_url}  (tài khoản: make services-cmd CMD=\"python -m pipeline accounts "
          "create --all-units <kỳ>\")")
    print(f"Nhật ký: {settings.logs_dir} (tiến trình), {settings.home / 'logs'} (các task); dừng: make down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
