"""E-mail (pipeline/staff/mail.py): messages composed from templates (here small ones written by the tests) and why
sending failed, said in Vietnamese from the exception a sender raised."""

from __future__ import annotations

import smtplib
import unicodedata
from pathlib import Path

import jinja2
import pytest

import pipeline.staff.mail as mail
from pipeline.staff.mail import MailError, Message, compose, send_failure_vi

NOT_CONFIGURED = ("chưa cấu hình kết nối thư điện tử smtp_default: đặt biến môi trường AIRFLOW_CONN_SMTP_DEFAULT "
                  "hoặc thêm kết nối trong Airflow (Admin → Connections), xem docs/configuration.md, mục E-mail")


@pytest.fixture
def templates(tmp_path, monkeypatch) -> Path:
    """A template folder holding ``thu``: a subject over two lines and an HTML list of names."""
    (tmp_path / "thu.subject.txt").write_text("Báo cáo {{ period }}\n   — Phòng {{ office }}\n", encoding="utf-8")
    (tmp_path / "thu.html").write_text("<ul>\n  {% for n in names %}\n<li>{{ n }}</li>\n  {% endfor %}\n</ul>\n",
                                       encoding="utf-8")
    monkeypatch.setattr(mail, "MAIL_TEMPLATES", tmp_path)
    return tmp_path


def test_compose_renders_subject_on_one_line_and_escapes_the_html_body(templates):
    """The subject's whitespace collapses to single spaces and stays unescaped text; values in the body are
    HTML-escaped, block tags leave no blank lines and the final newline is dropped."""
    message = compose("thu", {"period": "6 tháng\n đầu năm", "office": "LĐ-TB&XH", "names": ["xã Ma Nới", "<b>x</b>"]},
                      ["a@ninhson.example.org", "b@ninhson.example.org"], (Path("bao-cao.docx"),))
    assert message == Message(("a@ninhson.example.org", "b@ninhson.example.org"),
                              "Báo cáo 6 tháng đầu năm — Phòng LĐ-TB&XH",
                              "<ul>\n<li>xã Ma Nới</li>\n<li>&lt;b&gt;x&lt;/b&gt;</li>\n</ul>", (Path("bao-cao.docx"),))


def test_compose_normalises_to_nfc(templates):
    """A name given decomposed (NFD) reads composed (NFC) in the subject and the body."""
    nfd = unicodedata.normalize("NFD", "Ma Nới")
    message = compose("thu", {"period": nfd, "office": "x", "names": [nfd]}, ["a@x.org"])
    assert message.subject == "Báo cáo Ma Nới — Phòng x"
    assert message.html == "<ul>\n<li>Ma Nới</li>\n</ul>"
    assert unicodedata.is_normalized("NFC", message.subject + message.html)


def test_compose_refuses_a_missing_variable_and_no_recipient(templates):
    """A variable the template uses but the context lacks raises UndefinedError; no recipient raises ValueError."""
    with pytest.raises(jinja2.exceptions.UndefinedError):
        compose("thu", {"period": "2023-6T", "names": []}, ["a@x.org"])
    with pytest.raises(ValueError, match="at least one recipient"):
        compose("thu", {"period": "2023-6T", "office": "x", "names": []}, [])


class AirflowNotFoundException(Exception):
    """Stands in for Airflow's exception of the same name (pipeline/ never imports Airflow)."""


@pytest.mark.parametrize(("exc", "said"), [
    (AirflowNotFoundException("The conn_id `smtp_default` isn't defined"), NOT_CONFIGURED),
    (RuntimeError("SMTP connection is not found."), NOT_CONFIGURED),
    (smtplib.SMTPAuthenticationError(535, b"bad"),
     "máy chủ thư mail.ninhson.example.org:587 từ chối đăng nhập: kiểm tra tài khoản và mật khẩu của kết nối "
     "smtp_default"),
    (smtplib.SMTPRecipientsRefused({"a@x.org": (550, b"no"), "b@x.org": (550, b"no")}),
     "máy chủ thư mail.ninhson.example.org:587 từ chối địa chỉ người nhận: a@x.org, b@x.org"),
    (smtplib.SMTPSenderRefused(553, b"no", "phong@x.org"),
     "máy chủ thư mail.ninhson.example.org:587 từ chối địa chỉ người gửi phong@x.org"),
    (smtplib.SMTPServerDisconnected("gone"),
     "không kết nối được máy chủ thư mail.ninhson.example.org:587 (máy chủ ngắt kết nối)"),
    (RuntimeError("Unable to connect to smtp server"),
     "không kết nối được máy chủ thư mail.ninhson.example.org:587 (máy chủ ngắt kết nối)"),
    (smtplib.SMTPDataError(554, b"spam"), "máy chủ thư mail.ninhson.example.org:587 từ chối thư"),
    (ValueError("You should provide `from_email` or define it in the connection"),
     "chưa cấu hình địa chỉ người gửi: đặt mail.from_address trong cấu hình hoặc from_email trong phần extra của "
     "kết nối smtp_default"),
    (TimeoutError("timed out"), "không kết nối được máy chủ thư mail.ninhson.example.org:587 (quá thời gian chờ)"),
    (ConnectionRefusedError(111, "Connection refused"), "không kết nối được máy chủ thư mail.ninhson.example.org:587"),
    (MailError("đã nói sẵn"), "đã nói sẵn"),
])
def test_send_failure_says_why_in_vietnamese(exc, said):
    """Each mail fault is worded for staff, naming the server as host:port and the connection."""
    assert send_failure_vi(exc, "smtp_default", "mail.ninhson.example.org", 587) == said


def test_send_failure_names_the_server_as_known():
    """Without a port the host alone is named; without a host, the connection's server; another connection id is
    named in the advice."""
    refused = ConnectionRefusedError(111, "Connection refused")
    assert send_failure_vi(refused, host="mail.example.org") == "không kết nối được máy chủ thư mail.example.org"
    assert send_failure_vi(refused) == "không kết nối được máy chủ thư của kết nối smtp_default"
    assert send_failure_vi(RuntimeError("SMTP connection is not found."), "smtp_huyen").startswith(
        "chưa cấu hình kết nối thư điện tử smtp_huyen: đặt biến môi trường AIRFLOW_CONN_SMTP_HUYEN ")


def test_a_fault_that_is_no_mail_fault_is_not_worded():
    """An exception unrelated to mail gives None (the caller re-raises it)."""
    assert send_failure_vi(KeyError("period")) is None
    assert send_failure_vi(ValueError("bad value")) is None
