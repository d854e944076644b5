"""The sender through Airflow's SMTP connection (ops/smtp.py), with Airflow's hook replaced by a stand-in: what each
message is sent with, and how a failure is turned into a Vietnamese MailError."""

from __future__ import annotations

import dataclasses
import logging
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

import ops.smtp
from ops.smtp import smtp_sender
from pipeline.staff.mail import MailError, Message

MESSAGE = Message(("vanhoa.manoi@example.invalid", "chutich.manoi@example.invalid"), "Nhắc hạn báo cáo",
                  "<p>Kính gửi</p>", (Path("/data/a.pdf"),))


class FakeHook:
    """Stands in for SmtpHook: records its connection id and each send; raises ``error`` when set."""

    made: list[FakeHook] = []
    error: BaseException | None = None

    def __init__(self, smtp_conn_id: str) -> None:
        self.conn_id = smtp_conn_id
        self.sent: list[dict] = []
        self.smtp_connection = SimpleNamespace(host="mail.ninhson.example.org", port=587)
        FakeHook.made.append(self)

    def __enter__(self) -> FakeHook:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def send_email_smtp(self, **kwargs) -> None:
        if FakeHook.error is not None:
            raise FakeHook.error
        self.sent.append(kwargs)


@pytest.fixture
def hook(monkeypatch):
    """The stand-in hook, fresh for the test."""
    monkeypatch.setattr(FakeHook, "made", [])
    monkeypatch.setattr(FakeHook, "error", None)
    monkeypatch.setattr(ops.smtp, "SmtpHook", FakeHook)
    return FakeHook


def test_each_message_is_sent_through_the_configured_connection(config, hook):
    """One hook per message on ``mail.smtp_conn_id``, from ``mail.from_address``, with the recipients as a list, the
    attachments as text paths and a Message-ID of the sender's domain."""
    send = smtp_sender(config)
    send(MESSAGE)
    send(MESSAGE)
    assert [h.conn_id for h in hook.made] == ["smtp_default", "smtp_default"]
    sent = hook.made[0].sent[0]
    headers = sent.pop("custom_headers")
    assert sent == {"to": ["vanhoa.manoi@example.invalid", "chutich.manoi@example.invalid"],
                    "subject": "Nhắc hạn báo cáo", "html_content": "<p>Kính gửi</p>",
                    "from_email": "phong.ldtbxh@ninhson.example.org", "files": ["/data/a.pdf"]}
    assert re.fullmatch(r"<[^@<>]+@ninhson\.example\.org>", headers["Message-ID"])
    assert hook.made[1].sent[0]["custom_headers"]["Message-ID"] != headers["Message-ID"]


def test_without_mail_settings_the_default_connection_and_its_sender(config, hook):
    """No ``mail`` settings: connection ``smtp_default``, the sender left to the connection (None), Message-ID of
    localhost."""
    smtp_sender(dataclasses.replace(config, mail={}))(MESSAGE)
    sent = hook.made[0].sent[0]
    assert (hook.made[0].conn_id, sent["from_email"]) == ("smtp_default", None)
    assert sent["custom_headers"]["Message-ID"].endswith("@localhost>")


def test_a_mail_fault_becomes_a_vietnamese_mail_error(config, hook, caplog):
    """A refused connection raises MailError naming the connection's host and port, the original as its cause; the
    log names the exception's type only."""
    refused = ConnectionRefusedError(111, "Connection refused")
    hook.error = refused
    send = smtp_sender(dataclasses.replace(config, mail={"smtp_conn_id": "smtp_huyen"}))
    with caplog.at_level(logging.WARNING, logger="ops.smtp"), pytest.raises(MailError) as info:
        send(MESSAGE)
    assert str(info.value) == "không kết nối được máy chủ thư mail.ninhson.example.org:587"
    assert info.value.__cause__ is refused
    assert caplog.messages == ["E-mail not sent through connection smtp_huyen: ConnectionRefusedError"]


def test_a_fault_that_is_no_mail_fault_is_raised_as_it_is(config, hook):
    """An exception send_failure_vi does not recognise leaves the sender unchanged."""
    hook.error = KeyError("extra")
    with pytest.raises(KeyError):
        smtp_sender(config)(MESSAGE)
