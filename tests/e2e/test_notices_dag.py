"""The notices DAG through Airflow: `airflow dags test notices <time>` sends each waiting notice of validation,
through the configured SMTP connection (a real SMTP server on loopback), to its unit once."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from pipeline.ledger.store import Ledger
from tests.conftest import BIN, airflow_env
from tests.mailserver import MailServer, parts_text

VN = dt.timezone(dt.timedelta(hours=7))


@pytest.mark.slow
def test_notices_dag_sends_each_notice_once(airflow_home, tmp_path, config):
    """Ma Nới's version 1 with 3 errors and Lâm Sơn's valid version 1 are queued; two runs of the DAG send one
    e-mail to each unit's addresses and record them sent; the second run sends nothing.
    Slow: runs the notices DAG twice under `airflow dags test` with a mail server."""
    at = dt.datetime(2023, 5, 3, 9, 0, tzinfo=VN)
    ledger = Ledger(f"sqlite:///{tmp_path / 'work' / 'ledger.sqlite'}")
    for unit, tag, status, errors in (("22828", "a", "invalid", 3), ("22813", "b", "valid", 0)):
        v = ledger.register(period="2023-6T", unit_code=unit, original_name=f"{tag}.xlsx", sha256=tag * 64,
                            size_bytes=1, found_at=at, file_mtime=at, on_time=True, archive_path=f"/archive/{tag}.xlsx")
        ledger.record_validation(v.id, status=status, errors=errors, warnings=0, findings_path="", fingerprint="f",
                                 validated_at=at)
        assert ledger.queue_notice(v, status=status, errors=errors, warnings=0, at=at)
    ledger.engine.dispose()
    with MailServer() as server:
        env = airflow_env(airflow_home, tmp_path)
        env.pop("PIPELINE_LEDGER_URL", None)
        env[f"AIRFLOW_CONN_{config.mail['smtp_conn_id'].upper()}"] = server.airflow_connection()
        for _ in range(2):
            result = subprocess.run([str(BIN / "airflow"), "dags", "test", "notices", "2023-05-03T09:05:00+07:00"],
                                    env=env, capture_output=True, text=True, timeout=600)
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        got = {tuple(sorted(r.rcpt_tos)): parts_text(r.message) for r in server.received}
    addresses = config.mail["unit_addresses"]
    assert sorted(got) == sorted([tuple(sorted(addresses["22828"])), tuple(sorted(addresses["22813"]))])
    assert "Báo cáo chưa hợp lệ (3 lỗi) — Xã Ma Nới" in got[tuple(sorted(addresses["22828"]))]
    assert "Đã nhận báo cáo hợp lệ — Xã Lâm Sơn" in got[tuple(sorted(addresses["22813"]))]
    sent = Ledger(f"sqlite:///{tmp_path / 'work' / 'ledger.sqlite'}").notices("2023-6T")
    assert [(n["unit_code"], n["outcome"], n["recipients"]) for n in sent] == [
        ("22828", "sent", len(addresses["22828"])), ("22813", "sent", len(addresses["22813"]))]
