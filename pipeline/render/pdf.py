"""PDF copies of the report, converted from the .docx by LibreOffice (headless).

The .docx is the official output; the PDF is derived from it, for reading and printing as laid out. The
render step converts the staged, audited .docx (:func:`stage_pdf`) and publishes the PDF beside the
published .docx under the same name (``bao-cao-<period>.pdf``, owner-only like the report: its annex lists
households). When LibreOffice is missing or the conversion fails, a warning is logged and the report is
published without a PDF; a PDF of an earlier render is removed first, so a PDF beside the report is always
the PDF of that report.

Each conversion runs LibreOffice with its own temporary user profile (``-env:UserInstallation``), so
conversions running at the same time do not share a profile, and within a time limit, after which the whole
process group is killed. Without Times New Roman on the machine LibreOffice substitutes Liberation Serif
(Debian's ``fonts-liberation``), which has the same metrics; line breaks may still differ slightly from
Word's.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from pipeline.files import private_modes

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 180
_NAMES = ("soffice", "libreoffice")


class PdfError(RuntimeError):
    """A report could not be converted to PDF (LibreOffice missing, failed or too slow); Vietnamese message."""


def find_soffice() -> str | None:
    """The path of LibreOffice's ``soffice`` (or ``libreoffice``) on ``PATH``, or None."""
    return next((p for p in map(shutil.which, _NAMES) if p), None)


def to_pdf(docx: Path, out_dir: Path, *, timeout: float = TIMEOUT_SECONDS, soffice: str | None = None) -> Path:
    """Convert ``docx`` to ``out_dir/<its stem>.pdf`` with LibreOffice headless; returns the PDF's path.

    A PDF already at that path is replaced. LibreOffice runs with a temporary user profile of its own and is
    killed, with every process it started, after ``timeout`` seconds.

    Raises:
        PdfError: LibreOffice is not installed (``soffice`` not on ``PATH`` and none given), exited with an
            error, ran out of time, or wrote no PDF. The message is in Vietnamese and ends with the tail of
            LibreOffice's own output, when there is one.
    """
    docx, out_dir = Path(docx), Path(out_dir)
    soffice = soffice or find_soffice()
    if not soffice:
        raise PdfError("Không tạo được bản PDF của báo cáo: máy chưa cài LibreOffice (không tìm thấy lệnh soffice). "
                       "Cài gói libreoffice-writer-nogui (make system-deps) rồi chạy lại bước render.")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{docx.stem}.pdf"
    with tempfile.TemporaryDirectory(prefix="soffice-") as tmp:
        work = Path(tmp)
        command = [soffice, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
                   f"-env:UserInstallation={(work / 'profile').as_uri()}", "--convert-to", "pdf",
                   "--outdir", str(work / "out"), str(docx.resolve())]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise PdfError(f"Không tạo được bản PDF của báo cáo {docx.name}: LibreOffice chạy quá {timeout:g} giây "
                           "nên đã bị dừng.") from None
        text = " ".join(output.decode("utf-8", "replace").split())[-300:]
        made = work / "out" / target.name
        if proc.returncode != 0 or not made.is_file() or not made.read_bytes()[:5] == b"%PDF-":
            said = f" LibreOffice báo: {text}" if text else ""
            raise PdfError(f"Không tạo được bản PDF của báo cáo {docx.name}: LibreOffice kết thúc với mã "
                           f"{proc.returncode} mà không ghi ra tệp PDF.{said}")
        shutil.move(str(made), target)
    return target


def stage_pdf(staged_docx: Path, *, timeout: float = TIMEOUT_SECONDS) -> Path | None:
    """Convert the staged report to PDF beside it (owner-only); returns its path, or None when it could not be
    converted (the reason logged as a warning: the .docx is published without a PDF). A staged PDF of an
    earlier render is removed first."""
    staged_docx = Path(staged_docx)
    staged_docx.with_suffix(".pdf").unlink(missing_ok=True)
    try:
        pdf = to_pdf(staged_docx, staged_docx.parent, timeout=timeout)
    except PdfError as exc:
        log.warning("%s", exc)
        return None
    pdf.chmod(private_modes()[0])
    return pdf
