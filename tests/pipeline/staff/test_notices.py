"""Word back to the units: one notice per version validated, sent once through Airflow's SMTP connection to a
real SMTP server on loopback, with counts only."""

from __future__ import annotations

import datetime as dt
import shutil
import unicodedata
from pathlib import Path

import pytest

from pipeline.intake.receive import receive_file
from pipeline.ledger.store import Ledger
from pipeline.staff.mail import MailError
from pipeline.staff.notices import NoticesFailed, send_pending_notices
from pipeline.validate.run import validate_unit
from tests.helpers import edit_roster, edit_summary, roster_rows
from tests.mailserver import parts_text

ROOT = Path(__file__).resolve().parents[3]
VN = dt.timezone(dt.timedelta(hours=7))
SAMPLE = ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx"


def _send(config, ledger, root, now):
    from ops.smtp import smtp_sender

    return send_pending_notices(config=config, ledger=ledger, send=smtp_sender(config), now=now, root=root)


def _receive(config, ledger, root, path: Path, at: dt.datetime):
    return receive_file(path, config.period("2023-6T"), config=config, ledger=ledger, received_at=at,
                        received_by="Cán bộ thử", note=None, now=at, root=root).version


@pytest.fixture
def two_versions(config, tmp_path):
    """Ma Nới's version 1 with two errors (a household's village left blank, poor households above all households),
    received on time; version 2, the sample as it is, received after the deadline; both validated."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'work' / 'ledger.sqlite'}")
    broken = tmp_path / "sent" / "ma_noi_loi.xlsx"
    broken.parent.mkdir()
    shutil.copy(SAMPLE, broken)
    first = roster_rows(SAMPLE)[0]["household_code"]
    edit_roster(broken, first, village=None)
    edit_summary(broken, "poor_households", current=99999)
    period = config.period("2023-6T")
    _receive(config, ledger, tmp_path, broken, dt.datetime(2023, 5, 3, 9, 0, tzinfo=VN))
    validate_unit("22828", config=config, ledger=ledger, period=period, now=dt.datetime(2023, 5, 3, 9, 5, tzinfo=VN),
                  root=tmp_path)
    _receive(config, ledger, tmp_path, SAMPLE, dt.datetime(2023, 5, 6, 8, 0, tzinfo=VN))
    validate_unit("22828", config=config, ledger=ledger, period=period, now=dt.datetime(2023, 5, 6, 8, 5, tzinfo=VN),
                  root=tmp_path)
    return ledger


def test_each_validated_version_is_announced_once_with_counts_only(config, two_versions, smtp, tmp_path):
    """Two versions validated: two notices queued, two e-mails to Ma Nới's two addresses — the first says
    'chưa hợp lệ' with its error count and annotated copy, the second 'hợp lệ' and late; no household name,
    NCC category text or finding value in either; a second run sends nothing."""
    ledger = two_versions
    queued = ledger.notices("2023-6T")
    assert [(n["unit_code"], n["status"], n["sent_at"]) for n in queued] == [("22828", "invalid", None),
                                                                              ("22828", "valid", None)]
    errors = queued[0]["errors"]
    assert errors >= 2 and queued[1]["errors"] == 0
    now = dt.datetime(2023, 5, 6, 8, 10, tzinfo=VN)
    assert _send(config, ledger, tmp_path, now) == {"sent": [queued[0]["id"], queued[1]["id"]], "no_address": [],
                                                     "already_sent": [], "failed": []}
    got = smtp.received
    assert len(got) == 2
    addresses = config.mail["unit_addresses"]["22828"]
    assert all(sorted(r.rcpt_tos) == sorted(addresses) for r in got)
    first, second = (r.message for r in got)
    assert str(first["Subject"]) == (f"Báo cáo chưa hợp lệ ({errors} lỗi) — Xã Ma Nới, kỳ 6 tháng đầu năm 2023, "
                                     "phiên bản 1")
    assert str(second["Subject"]) == "Đã nhận báo cáo hợp lệ — Xã Ma Nới, kỳ 6 tháng đầu năm 2023, phiên bản 2"
    body1 = first.get_body(("html",)).get_content()
    assert "Kính gửi: Ủy ban nhân dân xã Ma Nới." in body1
    assert "lúc 09:00 ngày 03/5/2023" in body1 and "(đúng hạn; hạn gửi trước 00 giờ ngày 05/5/2023)" in body1
    assert f"<b>{errors} lỗi</b>" in body1 and "feedback/2023-6T/22828/v1-" in body1
    body2 = second.get_body(("html",)).get_content()
    assert "(sau hạn;" in body2 and "<b>hợp lệ</b>" in body2 and "không cần gửi lại" in body2
    names = {str(r[k]).strip() for f in sorted((ROOT / "samples" / "2023-6T").glob("[0-9]*.xlsx"))
             for r in roster_rows(f) for k in ("head_name", "member_name") if r.get(k)}
    assert len(names) >= 20  # every household head and member named in the bundled samples
    for r in got:
        text = parts_text(r.message)
        assert unicodedata.is_normalized("NFC", text)
        assert not [n for n in names if n in text]
        assert "99999" not in text and "99.999" not in text
    assert [(n["outcome"], n["recipients"]) for n in ledger.notices("2023-6T")] == [("sent", 2), ("sent", 2)]
    smtp.clear()
    assert _send(config, ledger, tmp_path, now)["sent"] == []
    assert smtp.received == []
    # validated again (the same verdicts): nothing new is queued
    validate_unit("22828", config=config, ledger=ledger, period=config.period("2023-6T"), now=now, root=tmp_path)
    assert len(ledger.notices("2023-6T")) == 2


def test_a_failed_sending_waits_for_the_next_run_and_a_unit_without_address_is_not_retried(config, two_versions,
                                                                                         smtp, tmp_path, monkeypatch):
    """The server is unreachable: the task fails, both notices wait; without Ma Nới's address they are marked
    'no_address' and not tried again."""
    ledger = two_versions
    now = dt.datetime(2023, 5, 6, 9, 0, tzinfo=VN)

    def refuse(message):
        raise MailError("Không kết nối được máy chủ thư.")

    with pytest.raises(NoticesFailed, match="Chưa gửi được 2 thư báo kết quả kiểm tra"):
        send_pending_notices(config=config, ledger=ledger, send=refuse, now=now, root=tmp_path)
    assert [n["sent_at"] for n in ledger.notices("2023-6T")] == [None, None]
    assert len(_send(config, ledger, tmp_path, now)["sent"]) == 2
    assert len(smtp.received) == 2
    fresh = Ledger(f"sqlite:///{tmp_path / 'other.sqlite'}")
    version = ledger.versions("2023-6T", "22828")[0]
    fresh_version = fresh.register(period="2023-6T", unit_code="22813", original_name="x.xlsx", sha256="c" * 64,
                                   size_bytes=1, found_at=now, file_mtime=now, on_time=True,
                                   archive_path=version.archive_path)
    assert fresh.queue_notice(fresh_version, status="valid", errors=0, warnings=0, at=now) is True
    assert fresh.queue_notice(fresh_version, status="invalid", errors=1, warnings=0, at=now) is False
    monkeypatch.setitem(config.mail, "unit_addresses", {})
    assert send_pending_notices(config=config, ledger=fresh, send=refuse, now=now, root=tmp_path) == {
        "sent": [], "no_address": [1], "already_sent": [], "failed": []}
    assert fresh.pending_notices() == []
