"""A real SMTP server on loopback for the e-mails of this folder's tests (reminders, notices)."""

from __future__ import annotations

import pytest

from tests.mailserver import MailServer


@pytest.fixture(scope="module")
def server():
    with MailServer() as s:
        yield s


@pytest.fixture
def smtp(server, monkeypatch, config):
    """The server, empty, and the configured Airflow connection id pointing at it."""
    server.clear()
    monkeypatch.setenv(f"AIRFLOW_CONN_{config.mail['smtp_conn_id'].upper()}", server.airflow_connection())
    return server
