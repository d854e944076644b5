"""Sending e-mail through Airflow's SMTP connection: the sender that :mod:`pipeline.staff.reminders` and
:mod:`pipeline.staff.delivery` are given (by the DAG ``reminders`` and by ``python -m pipeline deliver``).

The connection is Airflow's (Admin → Connections, or an ``AIRFLOW_CONN_<ID>`` environment variable), named by
``mail.smtp_conn_id`` in the configuration (default ``smtp_default``); host, port, login, TLS and the default
sender are set there, never in the code or the configuration files.
"""

from __future__ import annotations

import logging
from email.utils import make_msgid

from airflow.providers.smtp.hooks.smtp import SmtpHook

from pipeline.config import Config
from pipeline.staff.mail import MailError, Message, Sender, send_failure_vi

log = logging.getLogger(__name__)


def smtp_sender(config: Config) -> Sender:
    """A sender through Airflow's SMTP connection ``mail.smtp_conn_id`` (default ``smtp_default``; defined in
    Airflow's connections or an ``AIRFLOW_CONN_<ID>`` environment variable), from ``mail.from_address`` or
    else the connection's extra ``from_email``. Each call opens one SMTP session and sends one message.

    Raises (when called):
        pipeline.staff.mail.MailError: the connection is not defined, the server cannot be reached or refused the
            login or the message — said in Vietnamese (:func:`pipeline.staff.mail.send_failure_vi`, with the server's
            host and port); the original exception is its cause.
    """
    conn_id = config.mail.get("smtp_conn_id") or "smtp_default"
    from_address = config.mail.get("from_address") or None
    domain = (from_address or "localhost").rpartition("@")[2]

    def send(message: Message) -> None:
        hook = SmtpHook(smtp_conn_id=conn_id)
        try:
            with hook:
                hook.send_email_smtp(to=list(message.to), subject=message.subject, html_content=message.html,
                                     from_email=from_address, files=[str(p) for p in message.attachments],
                                     custom_headers={"Message-ID": make_msgid(domain=domain)})
        except Exception as exc:
            conn = getattr(hook, "smtp_connection", None)
            host = getattr(conn, "host", None)
            port = getattr(conn, "port", None)
            said = send_failure_vi(exc, conn_id, host, port)
            if said is None:
                raise
            log.warning("E-mail not sent through connection %s: %s", conn_id, type(exc).__name__)
            raise MailError(said) from exc
        log.info("E-mail sent to %d address(es) through connection %s", len(message.to), conn_id)

    return send
