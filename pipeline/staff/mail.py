"""E-mail: messages composed from the templates in ``templates/mail/`` and sent through Airflow's SMTP
connection.

Every fixed word of a message (subject, sentences) is in its template; Python gives only data: unit names,
counts, the period, dates, paths. No message carries a household's name, ethnicity or NCC category, and the
code that composes messages has no access to them (it is given unit names and counts only).

Sending goes through a *sender*, a callable taking a :class:`Message`; the logic (pipeline.staff.reminders,
pipeline.staff.delivery) takes it as an argument, so it is testable without a mail server or a scheduler and
``pipeline/`` never imports Airflow. The sender through Airflow's SMTP connection is
:func:`ops.smtp.smtp_sender`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config import PROJECT_ROOT

MAIL_TEMPLATES = PROJECT_ROOT / "templates" / "mail"


@dataclass(frozen=True)
class Message:
    """One e-mail: recipients (addresses), subject and HTML body (NFC), files attached (ASCII names)."""

    to: tuple[str, ...]
    subject: str
    html: str
    attachments: tuple[Path, ...] = ()


Sender = Callable[[Message], None]


class MailError(RuntimeError):
    """A message could not be sent; ``str()`` says why in Vietnamese, for staff (no exception class name).
    The original exception is its ``__cause__``."""


def send_failure_vi(exc: BaseException, conn_id: str = "smtp_default", host: str | None = None,
                    port: int | None = None) -> str | None:
    """Why sending failed, in Vietnamese, from the exception a sender raised; None when it is not a mail fault.

    Recognised (by type and text, so that ``pipeline/`` needs no Airflow import): the SMTP connection
    ``conn_id`` not defined (Airflow's "SMTP connection is not found", ``AirflowNotFoundException``), the
    server unreachable (``OSError`` such as a refused connection or an unknown host, Airflow's "Unable to
    connect to smtp server"), the login refused, the sender address missing, recipients or the message refused
    (``smtplib``). ``host``/``port`` name the server when known.
    """
    import smtplib

    if isinstance(exc, MailError):
        return str(exc)
    text = str(exc)
    server = f"{host}:{port}" if host and port else (host or f"của kết nối {conn_id}")
    if "connection is not found" in text or type(exc).__name__ == "AirflowNotFoundException":
        return (f"chưa cấu hình kết nối thư điện tử {conn_id}: đặt biến môi trường AIRFLOW_CONN_{conn_id.upper()} "
                "hoặc thêm kết nối trong Airflow (Admin → Connections), xem docs/configuration.md, mục E-mail")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"máy chủ thư {server} từ chối đăng nhập: kiểm tra tài khoản và mật khẩu của kết nối {conn_id}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"máy chủ thư {server} từ chối địa chỉ người nhận: {', '.join(exc.recipients)}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"máy chủ thư {server} từ chối địa chỉ người gửi {exc.sender}"
    if isinstance(exc, smtplib.SMTPServerDisconnected) or "Unable to connect to smtp server" in text:
        return f"không kết nối được máy chủ thư {server} (máy chủ ngắt kết nối)"
    if isinstance(exc, smtplib.SMTPException):
        return f"máy chủ thư {server} từ chối thư"
    if "provide `from_email`" in text:
        return ("chưa cấu hình địa chỉ người gửi: đặt mail.from_address trong cấu hình hoặc from_email trong phần "
                f"extra của kết nối {conn_id}")
    if isinstance(exc, TimeoutError):
        return f"không kết nối được máy chủ thư {server} (quá thời gian chờ)"
    if isinstance(exc, OSError):
        return f"không kết nối được máy chủ thư {server}"
    return None


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(MAIL_TEMPLATES)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True,
    )


def compose(name: str, context: dict[str, Any], to: list[str] | tuple[str, ...],
            attachments: tuple[Path, ...] = ()) -> Message:
    """Render ``templates/mail/<name>.subject.txt`` (one line) and ``<name>.html`` (values HTML-escaped) with
    ``context`` into a :class:`Message` to ``to``; texts NFC-normalised.

    Raises:
        jinja2.exceptions.UndefinedError: the template uses a variable the context lacks.
        ValueError: no recipient.
    """
    if not to:
        raise ValueError("an e-mail needs at least one recipient")
    env = _environment()
    subject = " ".join(env.get_template(f"{name}.subject.txt").render(context).split())
    html = env.get_template(f"{name}.html").render(context)
    return Message(tuple(to), unicodedata.normalize("NFC", subject), unicodedata.normalize("NFC", html),
                   tuple(attachments))
