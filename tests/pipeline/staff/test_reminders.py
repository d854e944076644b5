"""Reminders before a deadline, sent through Airflow's SMTP connection to a real SMTP server on loopback."""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from pathlib import Path

import pytest

from pipeline.ledger.store import DISTRICT, Ledger
from tests.helpers import roster_rows
from tests.mailserver import parts_text

ROOT = Path(__file__).resolve().parents[3]
VN = dt.timezone(dt.timedelta(hours=7))
RECEIVED = dt.datetime(2023, 4, 20, 9, 0, tzinfo=VN)


@pytest.fixture(scope="module")
def sample_head_names() -> list[str]:
    names = {str(r["head_name"]).strip() for f in sorted((ROOT / "samples" / "2023-6T").glob("[0-9]*.xlsx"))
             for r in roster_rows(f) if r.get("head_name")}
    assert len(names) >= 20
    return sorted(names)


def _version(ledger: Ledger, unit: str, tag: str, status: str, errors: int | None = None, warnings: int = 0,
             folder: Path | None = None):
    """A version of ``unit`` with verdict ``status``; a validated one has its findings file in ``folder``."""
    findings = (folder or Path("/findings")) / f"{tag}.json"
    if folder is not None and status in ("valid", "invalid"):
        findings.write_text("{}", encoding="utf-8")
    v = ledger.register(period="2023-6T", unit_code=unit, original_name=f"{tag}.xlsx", sha256=tag * 64,
                        size_bytes=10, found_at=RECEIVED, file_mtime=RECEIVED, on_time=True,
                        archive_path=f"/archive/{tag}.xlsx")
    if status in ("valid", "invalid"):
        ledger.record_validation(v.id, status=status, errors=errors or 0, warnings=warnings,
                                 findings_path=str(findings), fingerprint="f", validated_at=RECEIVED)
    elif status == "error":
        ledger.record_validation(v.id, status="error", errors=0, warnings=0, findings_path="", fingerprint="f",
                                 validated_at=RECEIVED)
    return v


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    """2023-6T: Tân Sơn valid; Lâm Sơn invalid (3 errors, 1 warning); Lương Sơn's file hit a system error; Ma Nới
    sent an invalid version 1 then a valid version 2; the four others sent nothing."""
    led = Ledger(f"sqlite:///{tmp_path / 'work' / 'ledger.sqlite'}")
    _version(led, "22810", "a", "valid", folder=tmp_path)
    _version(led, "22813", "b", "invalid", errors=3, warnings=1, folder=tmp_path)
    _version(led, "22816", "c", "error", folder=tmp_path)
    _version(led, "22828", "d", "invalid", errors=5, folder=tmp_path)
    _version(led, "22828", "e", "valid", folder=tmp_path)
    return led


def _send(config, ledger, now, root):
    from ops.smtp import smtp_sender
    from pipeline.staff.reminders import send_due_reminders

    return send_due_reminders(config=config, ledger=ledger, send=smtp_sender(config), now=now, root=root)


def _by_recipients(received):
    return {tuple(r.rcpt_tos): r for r in received}


def test_gaps_from_the_ledger(config, ledger, tmp_path):
    """The gaps in unit order: Lâm Sơn invalid (version 1, 3 errors, with its feedback file), Lương Sơn's system error
    and the four units that sent nothing, then the four required offices (not the Front nor the bank, only requested to
    report); not Tân Sơn nor Ma Nới, whose latest version is valid."""
    from pipeline.staff.reminders import submission_gaps

    gaps = submission_gaps(ledger, config, config.period("2023-6T"), tmp_path)
    assert [(g.unit.code, g.state, g.version, g.errors) for g in gaps] == [
        ("22813", "invalid", 1, 3), ("22816", "error", 1, None), ("22819", "missing", None, None),
        ("22822", "missing", None, None), ("22825", "missing", None, None), ("22831", "missing", None, None),
        *((code, "missing", None, None) for code in ("VHTT", "NN", "GDNN", "LDTB"))]
    assert gaps[0].feedback_file == f"feedback/2023-6T/22813/v1-{'b' * 8}-gop-y.xlsx"


@pytest.mark.parametrize(("day", "expected"), [
    (dt.date(2023, 4, 27), None), (dt.date(2023, 4, 28), 7), (dt.date(2023, 5, 2), 7), (dt.date(2023, 5, 3), 2),
    (dt.date(2023, 5, 4), 2), (dt.date(2023, 5, 5), None), (dt.date(2023, 7, 29), 7)])
def test_which_reminder_is_due(config, day, expected):
    """Reminders 7 and 2 days before 05/5/2023: none on 27/4, the 7-day one on 28/4 and 2/5, the 2-day one on 3/5 and
    4/5, none on the deadline day; on 29/7 the 7-day one (2023-9T, due 05/8)."""
    from pipeline.staff.reminders import periods_due

    due = periods_due(config, day)
    assert [d for _, d in due] == ([] if expected is None else [expected])


OFFICES = ["VHTT", "NN", "GDNN", "LDTB"]  # the required offices, none of which sent anything


@pytest.mark.slow
def test_reminders_through_airflow_smtp(config, ledger, smtp, tmp_path, sample_head_names):
    """7 days before 05/5/2023: each unit lacking a valid report gets one e-mail at its configured addresses
    (not Tân Sơn nor Ma Nới, valid; not Lương Sơn, whose file is not checked yet; the required offices too, at
    their addresses); district staff get the list.
    Subjects and bodies decode to NFC Vietnamese naming the period, the deadline and what is missing.
    Slow: sends through Airflow's SMTP provider to a local mail server."""
    now = dt.datetime(2023, 4, 28, 8, 0, tzinfo=VN)
    results = _send(config, ledger, now, tmp_path)
    assert results == [{"period": "2023-6T", "kind": "before-7d",
                        "gaps": ["22813", "22816", "22819", "22822", "22825", "22831", *OFFICES],
                        "sent": ["22813", "22819", "22822", "22825", "22831", *OFFICES, DISTRICT],
                        "already_sent": [],
                        "no_address": [], "failed": []}]
    addresses = config.mail["unit_addresses"]
    got = _by_recipients(smtp.received)
    assert sorted(got) == sorted([tuple(addresses[c]) for c in ("22813", "22819", "22822", "22825", "22831", *OFFICES)]
                                 + [tuple(config.mail["district_staff"])])
    for rcpts, r in got.items():
        assert r.mail_from == config.mail["from_address"]
        assert tuple(a.addr_spec for a in r.message["To"].addresses) == rcpts
        text = parts_text(r.message)
        assert unicodedata.is_normalized("NFC", text)
        assert "6 tháng đầu năm 2023" in str(r.message["Subject"])
        assert "trước 00 giờ ngày 05/5/2023" in text
        assert not [n for n in sample_head_names if n in text]

    invalid = got[tuple(addresses["22813"])].message
    assert str(invalid["Subject"]) == ("Nhắc hạn báo cáo 6 tháng đầu năm 2023 — Xã Lâm Sơn: hạn gửi trước 00 giờ "
                                       "ngày 05/5/2023")
    body = invalid.get_body(("html",)).get_content()
    assert "Kính gửi: Ủy ban nhân dân xã Lâm Sơn." in body
    assert "(còn 7 ngày)" in body and "Đến 08:00 ngày 28/4/2023" in body
    assert "phiên bản 1 báo cáo của đơn vị nhưng tệp chưa hợp lệ" in body and "<b>3 lỗi</b> và 1 cảnh báo" in body
    assert f"feedback/2023-6T/22813/v1-{'b' * 8}-gop-y.xlsx" in body
    assert "reports/2023/6T/trang-thai-2023-6T.html" in body

    missing = got[tuple(addresses["22819"])].message.get_body(("html",)).get_content()
    assert "chưa nhận được tệp báo cáo nào của đơn vị" in missing and "lỗi" not in missing

    staff = got[tuple(config.mail["district_staff"])].message
    assert str(staff["Subject"]) == ("Nhắc hạn báo cáo 6 tháng đầu năm 2023: 10/12 đơn vị chưa có báo cáo hợp lệ "
                                     "(hạn trước 00 giờ ngày 05/5/2023)")
    staff_body = staff.get_body(("html",)).get_content()
    for line in ("<td>Xã Lâm Sơn</td>", "Phiên bản 1 không hợp lệ: 3 lỗi", "Xã Lương Sơn",
                 "Phiên bản 1 chưa kiểm tra được", "<td>Xã Quảng Sơn</td>", "Chưa nhận tệp"):
        assert line in staff_body
    assert "Tân Sơn" not in staff_body and "Ma Nới" not in staff_body
    assert staff_body.count("Đã gửi đến 1 địa chỉ") == 5 + len(OFFICES)

    assert [(r["unit"], r["kind"], r["recipients"]) for r in ledger.reminders("2023-6T")] == [
        ("22813", "before-7d", 1), ("22819", "before-7d", 1), ("22822", "before-7d", 1), ("22825", "before-7d", 1),
        ("22831", "before-7d", 1), *((code, "before-7d", 1) for code in OFFICES), (DISTRICT, "before-7d", 1)]

    # a rerun the same day, and a run two days later (still the 7-day stage): nothing is sent again
    smtp.clear()
    again = _send(config, ledger, now + dt.timedelta(hours=3), tmp_path)
    later = _send(config, ledger, now + dt.timedelta(days=2), tmp_path)
    assert smtp.received == []
    assert again[0]["sent"] == [] and later[0]["sent"] == []
    assert again[0]["already_sent"] == ["22813", "22819", "22822", "22825", "22831", *OFFICES, DISTRICT]

    # Quảng Sơn sends a valid report; 2 days before the deadline the others get their second reminder
    _version(ledger, "22819", "f", "valid", folder=tmp_path)
    _send(config, ledger, dt.datetime(2023, 5, 3, 8, 0, tzinfo=VN), tmp_path)
    got = _by_recipients(smtp.received)
    assert tuple(addresses["22819"]) not in got
    assert sorted(got) == sorted([tuple(addresses[c]) for c in ("22813", "22822", "22825", "22831", *OFFICES)]
                                 + [tuple(config.mail["district_staff"])])
    assert "(còn 2 ngày)" in got[tuple(addresses["22813"])].message.get_body(("html",)).get_content()


@pytest.mark.slow
def test_units_without_address_are_listed_for_staff_and_failures_are_retried(config, ledger, smtp, tmp_path,
                                                                              monkeypatch):
    """A unit with no configured address gets no e-mail and district staff are told to call it; an e-mail the
    server refuses is not recorded, so the next run sends it.
    Slow: sends through Airflow's SMTP provider to a local mail server."""
    mail = {**config.mail, "unit_addresses": {k: v for k, v in config.mail["unit_addresses"].items()
                                              if k != "22822"}}
    cfg = dataclasses.replace(config, mail=mail)
    now = dt.datetime(2023, 5, 4, 8, 0, tzinfo=VN)
    from ops.smtp import smtp_sender
    from pipeline.staff.reminders import RemindersFailed, send_due_reminders

    real = smtp_sender(cfg)

    def flaky(message):
        if message.to == tuple(cfg.mail["unit_addresses"]["22825"]):
            raise ConnectionRefusedError("down")
        real(message)

    with pytest.raises(RemindersFailed, match="2023-6T/22825"):
        send_due_reminders(config=cfg, ledger=ledger, send=flaky, now=now, root=tmp_path)
    assert "22825" not in {r["unit"] for r in ledger.reminders("2023-6T")}
    staff = _by_recipients(smtp.received)[tuple(cfg.mail["district_staff"])].message.get_body(("html",)).get_content()
    assert "Xã Mỹ Sơn</td>" in staff and "Chưa có địa chỉ thư điện tử: cần liên hệ trực tiếp" in staff
    assert "(còn 1 ngày)" in staff
    assert "Xã Hòa Sơn</td>" in staff and "Chưa gửi được (lỗi gửi thư), hệ thống sẽ gửi lại" in staff

    smtp.clear()
    result = send_due_reminders(config=cfg, ledger=ledger, send=real, now=now + dt.timedelta(hours=1), root=tmp_path)
    assert result[0]["sent"] == ["22825"] and result[0]["no_address"] == ["22822"]
    assert [r.rcpt_tos for r in smtp.received] == [cfg.mail["unit_addresses"]["22825"]]


def test_no_reminder_after_the_deadline_or_without_configuration(config, ledger, tmp_path):
    """Nothing is sent on the deadline day (05/5/2023 08:00), nor on 04/5 when no reminder days are configured."""
    from pipeline.staff.reminders import send_due_reminders

    sent = []
    assert send_due_reminders(config=config, ledger=ledger, send=sent.append,
                              now=dt.datetime(2023, 5, 5, 8, 0, tzinfo=VN), root=tmp_path) == []
    quiet = dataclasses.replace(config, reminders={"days_before": [], "send_hour": 8})
    assert send_due_reminders(config=quiet, ledger=ledger, send=sent.append,
                              now=dt.datetime(2023, 5, 4, 8, 0, tzinfo=VN), root=tmp_path) == []
    assert sent == []


def test_an_office_is_reminded_by_its_own_name(config, tmp_path):
    """A required office that sent nothing is addressed by its name ("Kính gửi: Phòng Văn hóa - Thông tin …"), a
    commune by its People's Committee; both subjects start with the name, capitalised."""
    from pipeline.staff.reminders import Gap, unit_message
    from pipeline.status import UnitStatus

    now = dt.datetime(2023, 4, 28, 8, 0, tzinfo=VN)
    period = config.period("2023-6T")
    office = unit_message(Gap(config.office("VHTT"), UnitStatus.MISSING), ["a@example.invalid"], config=config,
                          period=period, now=now, root=tmp_path)
    commune = unit_message(Gap(config.unit("22819"), UnitStatus.MISSING), ["b@example.invalid"], config=config,
                           period=period, now=now, root=tmp_path)
    assert office.html.startswith(f"<p>Kính gửi: {config.office('VHTT').name}.</p>")
    assert commune.html.startswith("<p>Kính gửi: Ủy ban nhân dân xã Quảng Sơn.</p>")
    assert office.subject.startswith(f"Nhắc hạn báo cáo 6 tháng đầu năm 2023 — {config.office('VHTT').name}:")
