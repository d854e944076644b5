"""System errors: a fault of the pipeline or of a library while reading or checking one file, never the
fault of the unit that sent it.

Wherever a unit reads about such a file (its findings, the annotated workbook, the status page, the
``validate`` command) it reads :data:`SYSTEM_ERROR` — "lỗi hệ thống — cán bộ huyện đã được báo", in the setup's
words — and that
it need not send the file again. District staff find the file in the status page's section of system
errors (file, unit, time, exception type) and the traceback in the log.

The log keeps the traceback's frames and the exception's type, never its message: a library's message may
quote a cell (a name, an ethnicity: personal data under Decree 13/2023/NĐ-CP), and logs show no cell value
unless it is masked (:meth:`pipeline.findings.Finding.masked`). Real damage to a file (not a zip, truncated,
malformed XML, a damaged .xls) is no system error: it is refused as corrupt and the unit resends it
(:data:`pipeline.read.sources.CORRUPTION_ERRORS`).
"""

from __future__ import annotations

import logging
from typing import Any

from pipeline.config import Config
from pipeline.findings import ERROR, Finding
from pipeline.status import SYSTEM_ERROR_TITLE

SYSTEM_ERROR_FIX = ("Không phải lỗi của đơn vị: đơn vị không cần gửi lại tệp (trừ khi {office_abbr} đề nghị). "
                    "Tệp sẽ được kiểm tra lại sau khi lỗi được khắc phục.")
SYSTEM_ERROR_RULE = "system"
"""The ``rule`` of a system-error finding."""


def error_type(exc: BaseException) -> str:
    """The exception's type as district staff look it up: ``TypeError``, ``zipfile.BadZipFile``,
    ``openpyxl.utils.exceptions.InvalidFileException`` (built-in types without their module)."""
    kind = type(exc)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def system_error_finding(exc: BaseException, config: Config) -> Finding:
    """The one finding of a file whose reading or checking failed inside the pipeline: an error of the file
    as a whole that says so (:data:`SYSTEM_ERROR`, not the unit's fault, no need to resend) and names the
    exception's type only; in the setup's words."""
    return Finding(ERROR, "", None, "", "",
                   config.fill(f"{SYSTEM_ERROR_TITLE} ({type(exc).__name__}). Tệp chưa được kiểm tra."),
                   config.fill(SYSTEM_ERROR_FIX), SYSTEM_ERROR_RULE)


class MessageWithheld(Exception):
    """Stands in for an exception in a log record (it is never raised): the original's type and traceback, not
    its message."""


def withheld(exc: BaseException) -> MessageWithheld:
    """A copy of ``exc`` for a log: its type (qualified) and its traceback frames, with the message, notes
    and arguments left out; the exceptions it was raised from or while handling (``__cause__``,
    ``__context__``) are copied the same way, so the log shows the whole chain."""
    seen: dict[int, MessageWithheld] = {}

    def copy(e: BaseException) -> MessageWithheld:
        if id(e) in seen:  # a cycle in the chain
            return seen[id(e)]
        stand_in = MessageWithheld(f"{error_type(e)} (message not logged: it may quote cell values)")
        seen[id(e)] = stand_in
        stand_in.__traceback__ = e.__traceback__
        stand_in.__suppress_context__ = e.__suppress_context__
        if e.__cause__ is not None:
            stand_in.__cause__ = copy(e.__cause__)
        if e.__context__ is not None:
            stand_in.__context__ = copy(e.__context__)
        return stand_in

    return copy(exc)


def log_system_error(logger: logging.Logger, message: str, *args: Any, exc: BaseException) -> None:
    """Log a system error at ERROR with the traceback of ``exc`` (frames and types, see :func:`withheld`).

    ``message`` and ``args`` must hold no cell value: version ids, hashes, codes, the exception's type.
    """
    stand_in = withheld(exc)
    logger.error(message, *args, exc_info=(MessageWithheld, stand_in, exc.__traceback__))
