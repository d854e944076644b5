"""Word back to the units: once a version is validated, its unit gets one e-mail with the verdict.

Validation (:func:`pipeline.validate.run.validate_unit`, whatever brought the file: the upload page, the drop folder
or ``python -m pipeline receive``) queues a notice per version in the ledger (``validation_notices``, unique per
version). The DAG ``notices`` calls :func:`send_pending_notices`, which claims each waiting notice before sending
it (a rerun, or a second run at once, never sends one twice) and releases the claim when sending fails (the next
run tries again). A unit without a configured address (``mail.unit_addresses``) is recorded as such, not retried.

Messages (``templates/mail/ket_qua_kiem_tra``) carry the unit's name, the period, the version's number, its
arrival time and verdict, counts and the path of the annotated copy: never a finding's text or value, nor a
household's name, ethnicity or NCC category. Logs carry codes and counts.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from pipeline import fmt
from pipeline.config import Config
from pipeline.ledger.store import Ledger
from pipeline.paths import feedback_path, shown_path
from pipeline.staff.mail import Message, Sender, compose
from pipeline.status import VersionStatus
from pipeline.synthesis import capitalise

log = logging.getLogger(__name__)


class NoticesFailed(RuntimeError):
    """Some notices could not be sent (their claims were released: the next run sends them)."""


def notice_message(notice: dict[str, Any], addresses: list[str], *, config: Config, ledger: Ledger,
                   root: Path) -> Message:
    """The e-mail of one queued notice (a row of :meth:`pipeline.ledger.store.Ledger.pending_notices`).

    Raises:
        LookupError: the notice's version is no longer in the ledger.
    """
    version = ledger.version_by_id(notice["version_id"])
    if version is None:
        raise LookupError(f"version {notice['version_id']} of notice {notice['id']} is not in the ledger")
    period = config.period(notice["period"])
    unit = config.unit_on(notice["unit_code"], period.cutoff) or config.unit(notice["unit_code"])
    received = version.received_at.astimezone(config.timezone)
    context = {
        "words": config.words(period.cutoff),
        "unit_name": capitalise(unit.full_name), "unit_full_name": unit.full_name, "office": unit.is_office,
        "period_label": f"{period.label} {period.year}", "deadline": fmt.date_admin(period.deadline.date()),
        "version": version.version, "received": f"{received:%H:%M} ngày {fmt.date_admin(received.date())}",
        "on_time": version.on_time, "late": not version.on_time,
        "passed": notice["status"] == VersionStatus.VALID,  # valid: no error (warnings allowed)
        "errors": notice["errors"], "warnings": notice["warnings"],
        "feedback_file": shown_path(feedback_path(version, period, root), root),
        "portal_url": config.portal.get("public_url", ""),
        "feedback_location": config.mail.get("feedback_location", ""),
    }
    return compose("ket_qua_kiem_tra", context, addresses)


def send_pending_notices(*, config: Config, ledger: Ledger, send: Sender, now: dt.datetime,
                         root: Path) -> dict[str, list[int]]:
    """Send every waiting notice, oldest first; each at most once (see the module).

    Returns:
        Notice ids only: ``{"sent", "no_address", "already_sent", "failed"}``.

    Raises:
        NoticesFailed: some notices failed (the others were sent); the next run sends the failed ones.
    """
    addresses: dict[str, list[str]] = config.mail.get("unit_addresses", {})
    result: dict[str, list[int]] = {"sent": [], "no_address": [], "already_sent": [], "failed": []}
    for notice in ledger.pending_notices():
        to = addresses.get(notice["unit_code"], [])
        if not to:
            ledger.claim_notice(notice["id"], recipients=0, outcome="no_address", at=now)
            result["no_address"].append(notice["id"])
            continue
        try:
            message = notice_message(notice, to, config=config, ledger=ledger, root=root)
        except Exception as exc:  # noqa: BLE001 - one notice that cannot be written must not stop the others
            log.error("Notice %s (unit %s, %s) not composed (%s)", notice["id"], notice["unit_code"],
                      notice["period"], type(exc).__name__)
            result["failed"].append(notice["id"])
            continue
        if not ledger.claim_notice(notice["id"], recipients=len(to), outcome="sent", at=now):
            result["already_sent"].append(notice["id"])
            continue
        try:
            send(message)
        except Exception as exc:  # noqa: BLE001 - one unit's failed e-mail must not stop the others
            ledger.release_notice(notice["id"])
            log.error("Notice %s to unit %s not sent (%s); it will be tried again", notice["id"], notice["unit_code"],
                      type(exc).__name__)
            result["failed"].append(notice["id"])
            continue
        result["sent"].append(notice["id"])
    log.info("Notices: sent %d, no address %d, already sent %d, failed %d", len(result["sent"]),
             len(result["no_address"]), len(result["already_sent"]), len(result["failed"]))
    if result["failed"]:
        raise NoticesFailed(f"Chưa gửi được {len(result['failed'])} thư báo kết quả kiểm tra; lần chạy sau sẽ gửi lại.")
    return result
