"""Approval, then delivery of a period's report.

District staff read the rendered report, then approve one version of it
(``python -m pipeline approve PERIOD --version N --by NAME``): the ledger keeps who, when, the version and
the SHA-256 of the report file (``report_approvals``). ``python -m pipeline deliver PERIOD`` delivers only an
approved version whose file still has the approved hash:

1. archives it under ``delivered/<period>/v<N>/`` (:func:`pipeline.paths.delivered_dir`, owner-only, each file
   written atomically): the full report as approved — with annex I, the list of households, for authorised
   staff — and the copy e-mailed, without that annex, as .docx and .pdf;
2. e-mails the configured recipients (``mail.report_recipients``) the copy without the household annex, .docx
   and PDF, through Airflow's SMTP connection (:mod:`pipeline.staff.mail`); no household name is in any e-mail:
   before sending, the copy's text (and the PDF's) is checked against the household names of the period's
   ``aggregates.json`` and the list's heading, and the delivery is refused if one is found;
3. records the delivery (when, to whom, version, hash: ``report_deliveries``).

The report stays the draft that was approved: its number and day are left blank for the clerk.

Seams for work in progress, each ONE function: :func:`report_file` (which file is version N of a period's
report) and :func:`email_copy` (the report without the household annex). The PDF is made by
:func:`pipeline.render.pdf.to_pdf`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import fmt
from pipeline.config import Config, Period
from pipeline.files import copy_file, ensure_dir, private_modes, sha256_of
from pipeline.ledger.store import Ledger
from pipeline.paths import aggregates_path, delivered_dir, report_path
from pipeline.render.annexes import labels
from pipeline.render.pdf import to_pdf
from pipeline.render.report import document_text
from pipeline.staff.mail import Sender, compose

log = logging.getLogger(__name__)

NOT_FOUND, NOT_APPROVED, CHANGED = "not-found", "not-approved", "changed"
ANNEX_HEADER = "chủ hộ"  # in a column header of the annex's table (names of heads of households), any case


def _annex_wording() -> tuple[str, str]:
    """The household annex's label ("Phụ lục I") and title, as the template and the workbook word them
    (``annexes.households`` in ``templates/phu_luc.yaml``)."""
    annex = labels()["annexes"]["households"]
    return annex["label"], annex["title"]


class DeliveryRefused(Exception):
    """The report cannot be approved or delivered; the message (Vietnamese) says why and what to do.

    ``reason``: :data:`NOT_FOUND` (no such report version), :data:`NOT_APPROVED` (no approval) or
    :data:`CHANGED` (the file's SHA-256 differs from the approved one).
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class AnnexError(RuntimeError):
    """The household annex could not be removed, or household data remains in the copy to e-mail."""


def report_file(period: Period, version: int, root: Path) -> Path:
    """The file of version ``version`` of ``period``'s report: ``reports/<year>/<6T|9T|CN>/v<N>/…``
    (:func:`pipeline.paths.report_path`).

    Raises:
        DeliveryRefused: no such version (reason :data:`NOT_FOUND`).
    """
    path = report_path(period, root, version=version) if version >= 1 else None
    if path is None or not path.is_file():
        raise DeliveryRefused(f"Không có báo cáo kỳ {period.code} phiên bản {version}. Lập báo cáo trước "
                              "(python -m pipeline run), đọc rồi phê duyệt phiên bản đó.", NOT_FOUND)
    return path


def email_copy(report: Path, out: Path) -> Path:
    """Write to ``out`` a copy of ``report`` without annex I, the list of households (names, ethnicity,
    NCC status): the section from its label "Phụ lục I" to its section break is removed with python-docx,
    the rest (body, annexes II and III, properties) unchanged. Returns ``out``.

    Raises:
        AnnexError: the annex is not where the template puts it (label, then the table with a "… chủ hộ" column).
    """
    import docx

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    document = docx.Document(str(report))
    body = document.element.body

    def text(el: Any) -> str:
        return "".join(t.text or "" for t in el.iter(f"{w}t"))

    label, _ = _annex_wording()
    elements = list(body)
    starts = [i for i, el in enumerate(elements) if el.tag == f"{w}p" and text(el).strip() == label]
    if len(starts) != 1:
        raise AnnexError(f"{report.name}: annex I's label found {len(starts)} times")
    end = next((i for i in range(starts[0], len(elements))
                if elements[i].tag == f"{w}p" and elements[i].find(f"{w}pPr/{w}sectPr") is not None), None)
    if end is None:
        raise AnnexError(f"{report.name}: annex I has no section break after it")
    section = elements[starts[0]:end + 1]
    if not any(el.tag == f"{w}tbl" and ANNEX_HEADER in text(el).casefold() for el in section):
        raise AnnexError(f"{report.name}: annex I's table of households not found in its section")
    for el in section:
        body.remove(el)
    document.save(str(out))
    return out


def household_names(period: Period, root: Path) -> list[str]:
    """Names of heads of the households the period's report lists (``aggregates.json``'s annex); empty when
    the period has not been aggregated. Used only to check that no e-mail carries one."""
    path = aggregates_path(period, root)
    if not path.is_file():
        return []
    agg = json.loads(path.read_text(encoding="utf-8"))
    listed = (agg.get("ncc_households") or []) + (agg.get("annex") or [])
    return sorted({a["head_name"] for a in listed if a.get("head_name")})


def _check_no_household_data(texts: dict[str, str], names: list[str]) -> None:
    for file, content in texts.items():
        if _annex_wording()[1] in content or any(name in content for name in names):
            raise AnnexError(f"{file}: household data found in the copy to e-mail; not sent")


def _pdf_text(pdf: Path) -> str | None:
    """The PDF's text (``pdftotext``), or None when the tool is missing."""
    if shutil.which("pdftotext") is None:
        return None
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, timeout=120,
                          check=False)
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


def approve(period: Period, version: int, approved_by: str, *, ledger: Ledger, now: dt.datetime,
            root: Path) -> dict[str, Any]:
    """Record district staff's approval of version ``version`` of ``period``'s report, after reading it: who,
    when, the version and the SHA-256 of its file.

    Returns:
        ``{"version", "sha256", "path"}``.

    Raises:
        DeliveryRefused: no such report version.
        ValueError: the approver's name is empty.
    """
    path = report_file(period, version, root)
    digest = sha256_of(path)
    ledger.approve(period=period.code, version=version, sha256=digest, approved_by=approved_by, approved_at=now)
    log.info("Report %s version %d approved (SHA-256 %s)", period.code, version, digest)
    return {"version": version, "sha256": digest, "path": str(path)}


@dataclass(frozen=True)
class Delivery:
    """What :func:`deliver` did: ``sent`` False when that version and hash were delivered before (nothing sent
    again); ``archive`` the folder; ``attachments`` the files e-mailed; ``recipients`` the addresses."""

    version: int
    sha256: str
    archive: Path
    attachments: tuple[Path, ...]
    recipients: tuple[str, ...]
    sent: bool


def deliver(period: Period, *, config: Config, ledger: Ledger, send: Sender, now: dt.datetime,
            version: int | None = None, again: bool = False, root: Path) -> Delivery:
    """Deliver the approved version of ``period``'s report (the latest approval, or that of ``version``):
    archive it under ``delivered/<period>/v<N>/``, e-mail its copy without the household annex (.docx and
    PDF) to ``mail.report_recipients``, record the delivery. A version already delivered with the same hash
    is not sent again unless ``again``.

    Raises:
        DeliveryRefused: no approval (:data:`NOT_APPROVED`), the report version is gone (:data:`NOT_FOUND`),
            or its file's SHA-256 differs from the approved one (:data:`CHANGED`); nothing is archived or sent.
        ValueError: no ``mail.report_recipients`` configured.
        AnnexError: the annex could not be removed or household data remains; nothing is sent.
        pipeline.render.pdf.PdfError: the PDF conversion failed; nothing is sent.
        Exception: the SMTP connection or server failed (the archive is written, no delivery recorded).
    """
    approval = ledger.approval(period.code, version)
    which = f"phiên bản {version}" if version is not None else "phiên bản nào"
    if approval is None:
        raise DeliveryRefused(
            f"Báo cáo kỳ {period.code} chưa có {which} được phê duyệt: không gửi. Cán bộ đọc báo cáo rồi phê duyệt "
            f"bằng lệnh: python -m pipeline approve {period.code} --version N --by \"Họ và tên\".", NOT_APPROVED)
    number = approval["version"]
    path = report_file(period, number, root)
    digest = sha256_of(path)
    if digest != approval["sha256"]:
        raise DeliveryRefused(
            f"Tệp báo cáo kỳ {period.code} phiên bản {number} đã thay đổi sau khi phê duyệt (mã SHA-256 hiện tại "
            f"{digest[:12]}…, khi phê duyệt {approval['sha256'][:12]}…): không gửi. Đọc lại báo cáo và phê duyệt "
            "lại nếu nội dung đúng.", CHANGED)
    recipients = tuple(config.mail.get("report_recipients") or ())
    if not recipients:
        raise ValueError("Chưa cấu hình người nhận báo cáo (mail.report_recipients trong config/ninh_son.yaml).")
    folder = delivered_dir(period, number, root)
    full = folder / path.name
    names = (folder / f"{path.stem}-ban-gui.docx", folder / f"{path.stem}-ban-gui.pdf")
    done = [d for d in ledger.deliveries(period.code) if d["version"] == number and d["sha256"] == digest]
    if done and not again:
        log.info("Report %s version %d already delivered; not sent again", period.code, number)
        return Delivery(number, digest, folder, names, recipients, sent=False)

    ensure_dir(folder, private=True)
    with tempfile.TemporaryDirectory(prefix=".build.", dir=folder) as build_dir:
        build = Path(build_dir)
        os.chmod(build, private_modes()[1])
        copy = email_copy(path, build / names[0].name)
        pdf = to_pdf(copy, build)  # LibreOffice headless (pipeline.render.pdf)

        texts = {copy.name: document_text(copy)}
        pdf_text = _pdf_text(pdf)
        if pdf_text is not None:
            texts[pdf.name] = pdf_text
        _check_no_household_data(texts, household_names(period, root))
        copy_file(path, full, private=True)
        if sha256_of(full) != approval["sha256"]:  # the file changed while it was copied
            with contextlib.suppress(FileNotFoundError):
                full.unlink()
            raise DeliveryRefused(f"Tệp báo cáo kỳ {period.code} phiên bản {number} thay đổi trong khi lưu trữ: "
                                  "không gửi. Chạy lại lệnh.", CHANGED)
        for src, dst in zip((copy, pdf), names, strict=True):
            copy_file(src, dst, private=True)
    local = approval["approved_at"].astimezone(config.timezone)
    context = {
        "district": config.locality.get("district") or "",
        "recipient_of_report": (config.document_on(period.cutoff).get("recipient_of_report")
                                or config.words(period.cutoff)["superior"]),
        "words": config.words(period.cutoff),
        "period_title": f"{period.title} {period.year}",
        "cutoff": fmt.date_admin(period.cutoff),
        "version": number,
        "approved_on": fmt.date_admin(local.date()),
        "attachments": [p.name for p in names],
        "sha256": digest,
    }
    send(compose("gui_bao_cao", context, recipients, attachments=names))
    ledger.record_delivery(period=period.code, version=number, sha256=digest, delivered_at=now,
                           recipients=list(recipients), archive_path=str(folder))
    log.info("Report %s version %d delivered to %d address(es)", period.code, number, len(recipients))
    return Delivery(number, digest, folder, names, recipients, sent=True)
