"""Approval, then delivery of the report: archived, e-mailed without the household annex through Airflow's SMTP
connection to a real SMTP server on loopback, recorded; refused when not approved or changed since."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from pipeline.__main__ import EXIT_CHANGED, EXIT_NOT_APPROVED, main
from tests.helpers import docx_text, roster_rows, workspace_at
from tests.mailserver import MailServer, parts_text

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def head_names() -> list[str]:
    """Every head of household named in the sample rosters."""
    names = {str(r["head_name"]).strip() for f in sorted((ROOT / "samples" / "2023-6T").glob("[0-9]*.xlsx"))
             for r in roster_rows(f) if r.get("head_name")}
    assert len(names) >= 20
    return sorted(names)


@pytest.fixture
def root(plan_root, tmp_path, monkeypatch) -> Path:
    """A copy of the plan samples' data root (report published), the CLI pointed at it."""
    copy = tmp_path / "data"
    shutil.copytree(plan_root, copy, symlinks=True)
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(copy))
    monkeypatch.delenv("PIPELINE_LEDGER_URL", raising=False)
    return copy


@pytest.fixture
def smtp(monkeypatch, config):
    with MailServer() as server:
        monkeypatch.setenv(f"AIRFLOW_CONN_{config.mail['smtp_conn_id'].upper()}", server.airflow_connection())
        yield server


def _report(root: Path) -> Path:
    return root / "reports" / "2023" / "6T" / "v1" / "bao-cao-2023-6T.docx"


def test_the_email_copy_has_no_household_annex(root, tmp_path, head_names):
    """The e-mail copy drops the household annex (one section fewer, its title gone, no head of household named) and
    keeps the rest: annexes II and III, the units, the document number line."""
    from pipeline.render.report import document_text
    from pipeline.staff.delivery import email_copy

    full = document_text(_report(root))
    in_report = [n for n in head_names if n in full]
    assert in_report  # the annex of the full report names households: the check below can fail
    copy = email_copy(_report(root), tmp_path / "copy.docx")
    text = docx_text(copy) + document_text(copy)
    assert [n for n in head_names if n in text] == []
    assert "DANH SÁCH HỘ NGHÈO CÓ THÀNH VIÊN LÀ NGƯỜI CÓ CÔNG VỚI CÁCH MẠNG" not in text
    assert "Phụ lục II" in text and "Phụ lục III" in text and "SỐ LIỆU HỘ NGHÈO, HỘ CẬN NGHÈO THEO ĐƠN VỊ" in text
    assert "Xã Ma Nới" in text and "Số:" in text
    import docx

    assert len(docx.Document(str(copy)).sections) == len(docx.Document(str(_report(root))).sections) - 1


def test_deliver_refuses_an_unapproved_report(root, smtp, capsys):
    """`deliver` with no approved version: EXIT_NOT_APPROVED, a Vietnamese message giving the approve command, no e-mail
    sent and no delivered/ folder."""
    assert main(["deliver", "2023-6T"]) == EXIT_NOT_APPROVED
    err = capsys.readouterr().err
    assert "Báo cáo kỳ 2023-6T chưa có phiên bản nào được phê duyệt: không gửi." in err
    assert "python -m pipeline approve 2023-6T --version N" in err
    assert smtp.received == []
    assert not (root / "delivered").exists()


def test_approve_needs_an_existing_version(root, capsys):
    """Approving version 2 when only version 1 exists: exit 2, "Không có báo cáo kỳ 2023-6T phiên bản 2"."""
    assert main(["approve", "2023-6T", "--version", "2", "--by", "Trần Thị Hoa"]) == 2
    assert "Không có báo cáo kỳ 2023-6T phiên bản 2" in capsys.readouterr().err


def test_deliver_refuses_a_report_changed_since_approval(root, smtp, capsys):
    """Approval records version 1, its SHA-256 and the approver; one byte appended to the report afterwards: `deliver`
    exits EXIT_CHANGED naming the approved hash, sends nothing and records no delivery."""
    from pipeline.files import sha256_of
    from pipeline.ledger.store import open_ledger

    before = sha256_of(_report(root))
    assert main(["approve", "2023-6T", "--version", "1", "--by", "Trần Thị Hoa"]) == 0
    approval = open_ledger(workspace_at(root)).approval("2023-6T", 1)
    assert (approval["version"], approval["sha256"], approval["approved_by"]) == (1, before, "Trần Thị Hoa")
    assert f"mã SHA-256 {before}" in capsys.readouterr().out
    report = _report(root)
    report.write_bytes(report.read_bytes() + b"\0")  # edited after it was read and approved
    assert main(["deliver", "2023-6T"]) == EXIT_CHANGED
    err = capsys.readouterr().err
    assert "đã thay đổi sau khi phê duyệt" in err and before[:12] in err
    assert smtp.received == []
    assert open_ledger(workspace_at(root)).deliveries("2023-6T") == []


@pytest.mark.slow
def test_approved_report_is_archived_and_emailed_without_household_names(root, smtp, config, capsys, tmp_path,
                                                                         head_names):
    """The approved version is archived owner-only (full report, with its annex, byte for byte), and the
    configured recipients get one e-mail with the copy without the household annex as .docx and PDF; no
    household name in the message or its attachments; a second deliver sends nothing.
    Slow: starts LibreOffice for the PDF copy."""
    from pipeline.files import sha256_of
    from pipeline.ledger.store import open_ledger

    digest = sha256_of(_report(root))
    assert main(["approve", "2023-6T", "--version", "1", "--by", "Trần Thị Hoa"]) == 0
    assert main(["deliver", "2023-6T"]) == 0
    out = capsys.readouterr().out
    assert "Đã gửi báo cáo kỳ 2023-6T phiên bản 1 (không kèm Phụ lục I)" in out

    [received] = smtp.received
    recipients = config.mail["report_recipients"]
    assert received.rcpt_tos == recipients
    message = received.message
    assert [a.addr_spec for a in message["To"].addresses] == recipients
    assert str(message["Subject"]) == ("Báo cáo kết quả thực hiện 6 tháng đầu năm 2023 — Phòng LĐ-TB&XH huyện Ninh Sơn "
                                       "(phiên bản 1)")
    text = parts_text(message)
    assert unicodedata.is_normalized("NFC", text)
    assert "không kèm Phụ lục I (danh sách hộ nghèo có thành viên là người có công với cách mạng)" in text
    assert digest in text and "số văn bản và ngày ký do văn thư điền" in text
    attachments = {p.get_filename(): p.get_content() for p in message.iter_attachments()}
    assert sorted(attachments) == ["bao-cao-2023-6T-ban-gui.docx", "bao-cao-2023-6T-ban-gui.pdf"]
    docx_file = tmp_path / "attached.docx"
    docx_file.write_bytes(attachments["bao-cao-2023-6T-ban-gui.docx"])
    pdf_file = tmp_path / "attached.pdf"
    pdf_file.write_bytes(attachments["bao-cao-2023-6T-ban-gui.pdf"])
    attached_text = docx_text(docx_file)
    assert "BÁO CÁO" in attached_text and "Xã Ma Nới" in attached_text
    assert "Số:" in attached_text and "ngày      tháng 5 năm 2023" in attached_text  # still a draft for the clerk
    pdf_text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf_file), "-"], capture_output=True,
                              check=True).stdout.decode()
    assert attachments["bao-cao-2023-6T-ban-gui.pdf"][:5] == b"%PDF-"
    assert "SỐ LIỆU HỘ NGHÈO, HỘ CẬN NGHÈO THEO ĐƠN VỊ" in pdf_text
    for content in (text, attached_text, pdf_text):
        assert [n for n in head_names if n in content] == []

    archive = root / "delivered" / "2023-6T" / "v1"
    assert sorted(p.name for p in archive.iterdir()) == [
        "bao-cao-2023-6T-ban-gui.docx", "bao-cao-2023-6T-ban-gui.pdf", "bao-cao-2023-6T.docx"]
    assert sha256_of(archive / "bao-cao-2023-6T.docx") == digest
    assert oct(archive.stat().st_mode & 0o777) == "0o700"
    assert {oct(p.stat().st_mode & 0o777) for p in archive.iterdir()} == {"0o600"}
    assert sha256_of(archive / "bao-cao-2023-6T-ban-gui.docx") == sha256_of(docx_file)

    [record] = open_ledger(workspace_at(root)).deliveries("2023-6T")
    assert (record["version"], record["sha256"], record["recipients"]) == (1, digest, recipients)
    assert record["archive_path"] == str(archive)

    smtp.clear()
    assert main(["deliver", "2023-6T"]) == 0
    assert "đã được gửi trước đây; không gửi lại" in capsys.readouterr().out
    assert smtp.received == []
    assert len(open_ledger(workspace_at(root)).deliveries("2023-6T")) == 1
