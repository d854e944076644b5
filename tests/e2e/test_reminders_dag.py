"""The reminders DAG through Airflow: `airflow dags test reminders <day>` e-mails, through the configured SMTP
connection (a real SMTP server on loopback), the units lacking a valid report and district staff; a second run
of the same day sends nothing."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from pipeline.ledger.store import Ledger
from tests.conftest import BIN, airflow_env
from tests.mailserver import MailServer

VN = dt.timezone(dt.timedelta(hours=7))


@pytest.mark.slow
def test_reminders_dag_sends_once(airflow_home, tmp_path, config):
    """Two runs of the DAG on 03/5/2023 08:00 with six units and the four required offices valid: Ma Nới, Nhơn Sơn
    and district staff get one e-mail each, recorded as before-2d reminders; the second run sends nothing.
    Slow: runs the reminders DAG twice under `airflow dags test` with a mail server."""
    received = dt.datetime(2023, 4, 20, 9, 0, tzinfo=VN)
    ledger = Ledger(f"sqlite:///{tmp_path / 'work' / 'ledger.sqlite'}")
    for unit, tag in (("22810", "a"), ("22813", "b"), ("22816", "c"), ("22819", "d"), ("22822", "e"),
                      ("22825", "f"), ("VHTT", "g"), ("NN", "h"), ("GDNN", "i"), ("LDTB", "j")):
        v = ledger.register(period="2023-6T", unit_code=unit, original_name=f"{tag}.xlsx", sha256=tag * 64,
                            size_bytes=1, found_at=received, file_mtime=received, on_time=True,
                            archive_path=f"/archive/{tag}.xlsx")
        ledger.record_validation(v.id, status="valid", errors=0, warnings=0, findings_path="", fingerprint="f",
                                 validated_at=received)
    ledger.engine.dispose()
    with MailServer() as server:
        env = airflow_env(airflow_home, tmp_path)
        env.pop("PIPELINE_LEDGER_URL", None)
        env[f"AIRFLOW_CONN_{config.mail['smtp_conn_id'].upper()}"] = server.airflow_connection()
        cmd = [str(BIN / "airflow"), "dags", "test", "reminders", "2023-05-03T08:00:00+07:00"]
        for _ in range(2):
            result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        got = sorted(tuple(r.rcpt_tos) for r in server.received)
    addresses = config.mail["unit_addresses"]
    assert got == sorted([tuple(addresses["22828"]), tuple(addresses["22831"]), tuple(config.mail["district_staff"])])
    assert [(r["unit"], r["kind"]) for r in Ledger(f"sqlite:///{tmp_path / 'work' / 'ledger.sqlite'}")
            .reminders("2023-6T")] == [("22828", "before-2d"), ("22831", "before-2d"), ("district", "before-2d")]
