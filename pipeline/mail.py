"""E-mail: messages composed from the templates in ``templates/mail/`` and sent through Airflow's SMTP
connection.

Every fixed word of a message (subject, sentences) is in its template; Python gives only data: unit names,
counts, the period, dates, paths. No message carries a household's name, ethnicity or NCC category, and the
code that composes messages has no access to them (it is given unit names and counts only).

Sending goes through a *sender*, a callable taking a :class:`Message`; the logic (pipeline.reminders,
pipeline.delivery) takes it as an argument, so it is testable without a mail server or a scheduler and
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
