"""Ledger and intake: every file kept byte for byte, versioned, stamped, and re-validated only when needed.

Runs against SQLite, and against PostgreSQL when TEST_DATABASE_URL names a server (CI sets it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest

from pipeline.ledger.store import Ledger
from tests.helpers import SENT_AT, drop, edit_roster, reset_database, roster_rows, summary_cells, workspace_at

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples" / "2023-6T"
HCM = dt.timezone(dt.timedelta(hours=7))
BEFORE_DEADLINE = dt.datetime(2023, 5, 3, 8, 0, tzinfo=HCM)
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(params=BACKENDS)
def ledger_env(request, tmp_path, monkeypatch):
    """A data root and an empty ledger on each backend; the pipeline finds it through PIPELINE_LEDGER_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    else:
        url = os.environ["TEST_DATABASE_URL"]
        reset_database(url)
    monkeypatch.setenv("PIPELINE_LEDGER_URL", url)
    return tmp_path, Ledger(url)


def test_same_bytes_twice_are_one_version(ledger_env, config):
    """The same file dropped twice, even under another name, is one version; the archive copy is identical."""
    root, ledger = ledger_env
    from pipeline.intake.inbox import intake_pass

    period = config.period("2023-6T")
    inbox = root / "inbox" / "2023-6T"
    (sent,) = drop([SAMPLES / "22828_ma_noi.xlsx"], inbox)
    shutil.copyfile(sent, inbox / "Ma Noi - gui lai.xlsx")
    new = intake_pass(period, config=config, ledger=ledger, now=BEFORE_DEADLINE, root=root)
    assert len(new) == 1
    assert intake_pass(period, config=config, ledger=ledger, now=BEFORE_DEADLINE, root=root) == []
    (v,) = ledger.versions("2023-6T", "22828")
    assert (v.version, v.original_name, v.size_bytes, v.status) == (1, "22828_ma_noi.xlsx", sent.stat().st_size,
                                                                     "pending")
    assert Path(v.archive_path).read_bytes() == sent.read_bytes()
    assert Path(v.archive_path).name == f"{v.sha256}.xlsx"
    assert not os.access(v.archive_path, os.W_OK) or os.geteuid() == 0
    assert v.file_mtime == SENT_AT


def test_corrected_version_after_failed_one(ledger_env, config, test_set):
    """A failed version then a corrected one: both kept; the report uses and names the corrected one."""
    root, ledger = ledger_env
    from pipeline.orchestrator import run_period

    period = config.period("2023-6T")
    inbox = root / "inbox" / "2023-6T"
    (bad,) = drop([next(test_set.glob("22825_*.xlsx"))], inbox)  # the other units play no part
    bad_bytes = bad.read_bytes()
    run_period(period, config=config, now=BEFORE_DEADLINE, workspace=workspace_at(root))
    (v1,) = ledger.versions("2023-6T", "22825")
    assert (v1.status, v1.errors) == ("invalid", 2)
    bad.unlink()  # the clerk replaces the file with the corrected one
    (good,) = drop([SAMPLES / "22825_hoa_son.xlsx"], inbox, sent_at=BEFORE_DEADLINE + dt.timedelta(hours=3))
    report = Path(run_period(period, config=config, now=BEFORE_DEADLINE + dt.timedelta(hours=4),
                             workspace=workspace_at(root)))
    v1, v2 = ledger.versions("2023-6T", "22825")
    assert (v1.version, v1.status, v2.version, v2.status) == (1, "invalid", 2, "valid")
    assert v1.sha256 != v2.sha256
    assert Path(v1.archive_path).read_bytes() == bad_bytes
    assert Path(v2.archive_path).read_bytes() == good.read_bytes()
    from pipeline.staff.feedback import feedback_path

    annotated = feedback_path(v1, period, root)
    assert annotated.exists()
    from openpyxl import load_workbook

    wb = load_workbook(annotated)
    assert wb.sheetnames[0] == "Góp ý"
    cell = wb["Danh sách hộ NCC"]["G5"]
    assert cell.comment is not None and "vượt quá" in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    from tests.helpers import docx_tables, find_row, technical_annex

    status = next(t for t in docx_tables(technical_annex(report)) if any("Kết quả kiểm tra" in r for r in t))
    assert find_row(status, "Xã Hòa Sơn")[2:] == ["Đã nhận", "Đúng hạn", "Hợp lệ"]
    sources = next(t for t in docx_tables(technical_annex(report)) if any("Mã SHA-256" in r for r in t))
    row = find_row(sources, "Xã Hòa Sơn")
    assert (row[2], row[3], row[6]) == ("22825_hoa_son.xlsx", "2", v2.sha256)


def test_valid_version_then_failing_one(ledger_env, config, test_set):
    """A valid version followed by a failing one: the report uses the valid one and notes the failure."""
    root, ledger = ledger_env
    from pipeline.orchestrator import run_period

    period = config.period("2023-6T")
    inbox = root / "inbox" / "2023-6T"
    drop([SAMPLES / "22825_hoa_son.xlsx", SAMPLES / "22828_ma_noi.xlsx"], inbox)
    run_period(period, config=config, now=BEFORE_DEADLINE, workspace=workspace_at(root))
    drop([next(test_set.glob("22825_*.xlsx"))], inbox, sent_at=BEFORE_DEADLINE + dt.timedelta(hours=1))
    report = Path(run_period(period, config=config, now=BEFORE_DEADLINE + dt.timedelta(hours=2),
                             workspace=workspace_at(root)))
    agg = json.loads((root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    hoa = next(s for s in agg["submissions"] if s["unit_code"] == "22825")
    assert (hoa["status"], hoa["version"], hoa["newer_failed"]) == ("valid", 1, {"version": 2, "errors": 2})
    from tests.helpers import docx_tables, find_row, technical_annex

    status = next(t for t in docx_tables(technical_annex(report)) if any("Kết quả kiểm tra" in r for r in t))
    assert find_row(status, "Xã Hòa Sơn")[4] == "Hợp lệ"
    sources = next(t for t in docx_tables(technical_annex(report)) if any("Mã SHA-256" in r for r in t))
    row = find_row(sources, "Xã Hòa Sơn")
    assert (row[3], row[7]) == ("1", "0 lỗi, 0 cảnh báo; phiên bản 2 gửi sau có 2 lỗi, chưa dùng")
    used = {code: summary_cells(SAMPLES / name)["poor_households"][1]
            for code, name in (("22825", "22825_hoa_son.xlsx"), ("22828", "22828_ma_noi.xlsx"))}
    assert agg["district"]["poor_households_current"] == sum(used.values()) == 109 + 257


def test_timeliness_at_the_final_pass(ledger_env, config):
    """The pass at the deadline counts files it first lists within the configured 2 minutes as on time (here
    at 00:01), not later ones (00:03); the modification time — before the deadline for both — plays no part."""
    root, ledger = ledger_env
    from pipeline.intake.inbox import intake_pass
    from pipeline.ledger.timeliness import policy_from_config

    assert policy_from_config(config).intake_tolerance == dt.timedelta(minutes=2)
    period = config.period("2023-6T")
    inbox = root / "inbox" / "2023-6T"
    drop([SAMPLES / "22810_tan_son.xlsx"], inbox, sent_at=dt.datetime(2023, 5, 4, 23, 59, tzinfo=HCM))
    at_1_min = dt.datetime(2023, 5, 5, 0, 1, tzinfo=HCM)
    intake_pass(period, config=config, ledger=ledger, now=at_1_min, root=root)
    drop([SAMPLES / "22813_lam_son.xlsx"], inbox, sent_at=dt.datetime(2023, 5, 4, 23, 59, tzinfo=HCM))
    at_3_min = dt.datetime(2023, 5, 5, 0, 3, tzinfo=HCM)
    intake_pass(period, config=config, ledger=ledger, now=at_3_min, root=root)
    (tan_son,) = ledger.versions("2023-6T", "22810")
    (lam_son,) = ledger.versions("2023-6T", "22813")
    assert (tan_son.received_at, tan_son.received_via, tan_son.on_time) == (at_1_min, "intake", True)
    assert (lam_son.received_at, lam_son.received_via, lam_son.on_time) == (at_3_min, "intake", False)
    assert lam_son.file_mtime == dt.datetime(2023, 5, 4, 23, 59, tzinfo=HCM)  # kept, as information only


def test_file_dropped_today_is_late_unless_staff_received_it_in_time(ledger_env, config):
    """A file found now (years after the deadline) is late even though its modification time says 02/05/2023;
    the same bytes registered by staff with a receipt time before the deadline are on time."""
    root, ledger = ledger_env
    from pipeline.intake.inbox import intake_pass
    from pipeline.intake.receive import receive_file

    period = config.period("2023-6T")
    now = dt.datetime.now(dt.UTC)
    (dropped,) = drop([SAMPLES / "22816_luong_son.xlsx"], root / "inbox" / "2023-6T")  # mtime 02/05/2023
    intake_pass(period, config=config, ledger=ledger, now=now, root=root)
    (v,) = ledger.versions("2023-6T", "22816")
    assert (v.on_time, v.received_at, v.received_via, v.file_mtime) == (False, now, "intake", SENT_AT)

    other_root = root / "staff"
    other = Ledger(f"sqlite:///{other_root / 'ledger.sqlite'}")
    received_at = dt.datetime(2023, 5, 3, 9, 0, tzinfo=HCM)
    receipt = receive_file(dropped, period, config=config, ledger=other, received_at=received_at,
                           received_by="Nguyễn Văn A", note="nhận qua thư điện tử", now=now, root=other_root)
    r = receipt.version
    assert receipt.created is True
    assert (r.unit_code, r.version, r.on_time, r.received_at, r.received_via, r.received_by, r.receipt_note) == (
        "22816", 1, True, received_at, "staff", "Nguyễn Văn A", "nhận qua thư điện tử")
    assert Path(r.archive_path).read_bytes() == dropped.read_bytes()
    late = receive_file(SAMPLES / "22819_quang_son.xlsx", period, config=config, ledger=other,
                        received_at=period.deadline, received_by="Nguyễn Văn A", note=None, now=now,
                        root=other_root).version
    assert (late.unit_code, late.on_time, late.receipt_note) == ("22819", False, None)  # no tolerance for staff
    again = receive_file(dropped, period, config=config, ledger=other, received_at=received_at,
                         received_by="Trần Thị B", note="gửi lại", now=now, root=other_root)
    assert (again.created, again.version.id, again.version.received_by) == (False, r.id, "Nguyễn Văn A")
    assert len(other.versions("2023-6T")) == 2


def test_one_pass_numbers_by_arrival_not_by_name(ledger_env, config, test_set):
    """Two files of one commune found in one pass: the one modified first is version 1, though its name sorts
    after the correction's; a later pass's file comes after both."""
    root, ledger = ledger_env
    from pipeline.intake.inbox import intake_pass

    period = config.period("2023-6T")
    inbox = root / "inbox" / "2023-6T"
    original = inbox / "hoa_son.xlsx"
    correction = inbox / "hoa_son (ban sua).xlsx"  # sorts before "hoa_son.xlsx"
    inbox.mkdir(parents=True)
    shutil.copyfile(next(test_set.glob("22825_*.xlsx")), original)
    shutil.copyfile(SAMPLES / "22825_hoa_son.xlsx", correction)
    os.utime(original, (BEFORE_DEADLINE.timestamp() - 3600,) * 2)
    os.utime(correction, (BEFORE_DEADLINE.timestamp() - 60,) * 2)
    new = intake_pass(period, config=config, ledger=ledger, now=BEFORE_DEADLINE, root=root)
    assert [(v.original_name, v.version) for v in new] == [("hoa_son.xlsx", 1), ("hoa_son (ban sua).xlsx", 2)]
    (third,) = drop([SAMPLES / "22828_ma_noi.xlsx"], inbox, sent_at=dt.datetime(2020, 1, 1, tzinfo=HCM))
    shutil.copyfile(SAMPLES / "22810_tan_son.xlsx", inbox / "0.xlsx")
    later = intake_pass(period, config=config, ledger=ledger, now=BEFORE_DEADLINE + dt.timedelta(minutes=10),
                        root=root)
    assert [(v.original_name, v.unit_code, v.version) for v in later] == [
        ("22828_ma_noi.xlsx", "22828", 1), ("0.xlsx", "22810", 1)]
    assert [v.original_name for v in ledger.versions("2023-6T", "22825")] == ["hoa_son.xlsx",
                                                                             "hoa_son (ban sua).xlsx"]


def test_version_numbers_are_unique_per_unit(ledger_env, config):
    """The database refuses a second row with a unit's existing version number."""
    import sqlalchemy as sa

    from pipeline.ledger.store import versions

    root, ledger = ledger_env
    v = ledger.register(period="2023-6T", unit_code="22828", original_name="a.xlsx", sha256="a" * 64,
                        size_bytes=1, found_at=BEFORE_DEADLINE, file_mtime=BEFORE_DEADLINE, on_time=True,
                        archive_path="/nowhere/a.xlsx")
    assert (v.version, v.received_at, v.received_via) == (1, BEFORE_DEADLINE, "intake")
    with pytest.raises(sa.exc.IntegrityError), ledger.engine.begin() as c:
        c.execute(versions.insert().values(
            period="2023-6T", unit_code="22828", version=1, original_name="b.xlsx", sha256="b" * 64, size_bytes=1,
            found_at=BEFORE_DEADLINE, file_mtime=BEFORE_DEADLINE, on_time=True, archive_path="/nowhere/b.xlsx",
            received_at=BEFORE_DEADLINE))
    w = ledger.register(period="2023-6T", unit_code="22828", original_name="b.xlsx", sha256="b" * 64,
                        size_bytes=1, found_at=BEFORE_DEADLINE, file_mtime=BEFORE_DEADLINE, on_time=True,
                        archive_path="/nowhere/b.xlsx")
    assert w.version == 2


def test_attribute_keeps_numbering_in_order_of_arrival(ledger_env):
    """An unattributed version gets its unit, numbered after the unit's latest, only when nothing of that unit
    arrived after it; then it is idempotent. One that arrived before a version of the unit stays unattributed."""
    root, ledger = ledger_env

    def register(letter: str, unit: str | None, hours: int):
        at = BEFORE_DEADLINE + dt.timedelta(hours=hours)
        return ledger.register(period="2023-6T", unit_code=unit, original_name=f"{letter}.xlsx", sha256=letter * 64,
                               size_bytes=1, found_at=at, file_mtime=at, on_time=True,
                               archive_path=f"/nowhere/{letter}.xlsx")

    register("a", "22828", 0)
    early, late = register("b", None, 1), register("c", None, 3)
    register("d", "22828", 2)
    assert (early.version, late.version) == (None, None)
    assert ledger.attribute(early.id, "22828") is None  # version 2 ("d") arrived after it
    moved = ledger.attribute(late.id, "22828")
    assert (moved.id, moved.unit_code, moved.version, moved.original_name) == (late.id, "22828", 3, "c.xlsx")
    assert ledger.attribute(late.id, "22828") == moved
    assert [(v.original_name, v.version) for v in ledger.versions("2023-6T", "22828")] == [
        ("a.xlsx", 1), ("d.xlsx", 2), ("c.xlsx", 3)]
    assert [v.original_name for v in ledger.versions("2023-6T", None)] == ["b.xlsx"]


def test_rerun_revalidates_only_what_changed(ledger_env, config, monkeypatch):
    """A rerun with no changed input validates nothing; a changed rule set re-validates every version."""
    root, ledger = ledger_env
    from pipeline import orchestrator
    from pipeline.validate import run

    period = config.period("2023-6T")
    drop([SAMPLES / "22825_hoa_son.xlsx", SAMPLES / "22828_ma_noi.xlsx"], root / "inbox" / "2023-6T")
    first = orchestrator.intake_period(period, config=config, now=BEFORE_DEADLINE, workspace=workspace_at(root))
    assert (first["new_files"], first["validations"], first["units_valid"]) == (2, 2, 2)
    again = orchestrator.intake_period(period, config=config, now=BEFORE_DEADLINE, workspace=workspace_at(root))
    assert (again["new_files"], again["validations"]) == (0, 0)
    monkeypatch.setattr(run, "rules_hash", lambda: "changed-suite")
    changed = orchestrator.intake_period(period, config=config, now=BEFORE_DEADLINE, workspace=workspace_at(root))
    assert changed["validations"] == 2


def test_warning_only_submission_is_accepted_and_shown(ledger_env, config, tmp_path):
    """An income outlier is a warning: the unit stays valid and the status page lists the warning."""
    root, ledger = ledger_env
    from pipeline import orchestrator

    period = config.period("2023-6T")
    work = tmp_path / "edit"
    work.mkdir()
    path = work / "22828_ma_noi.xlsx"
    shutil.copyfile(SAMPLES / path.name, path)
    rows = roster_rows(path)
    row = edit_roster(path, rows[0]["household_code"], income_vnd_per_person_month=1200)
    drop([path], root / "inbox" / "2023-6T")
    counts = orchestrator.intake_period(period, config=config, now=BEFORE_DEADLINE, workspace=workspace_at(root))
    assert counts["units_valid"] == 1
    from pipeline.staff.feedback import status_page_path

    html = status_page_path(period, root).read_text(encoding="utf-8")
    assert "cảnh báo" in html and f"<td>{row}</td>" in html and "Thu nhập bình quân thấp bất thường" in html
    assert not [r["head_name"] for r in rows if r["head_name"] in html]


def _as_9t(src: Path, dst: Path) -> Path:
    """A copy of a 6-month workbook re-labelled for the 9-month period."""
    from openpyxl import load_workbook

    wb = load_workbook(src)
    wb["Thông tin chung"]["B6"] = "2023-9T"
    wb.save(dst)
    return dst


def test_household_cannot_vanish_within_the_year(ledger_env, config, tmp_path):
    """A household of Ma Nới's accepted 6-month roster missing from its 9-month roster is an error."""
    root, ledger = ledger_env
    from openpyxl import load_workbook

    from pipeline import orchestrator

    drop([SAMPLES / "22828_ma_noi.xlsx"], root / "inbox" / "2023-6T")
    orchestrator.intake_period(config.period("2023-6T"), config=config, now=BEFORE_DEADLINE,
                               workspace=workspace_at(root))
    nine = _as_9t(SAMPLES / "22828_ma_noi.xlsx", tmp_path / "22828_ma_noi_9T.xlsx")
    wb = load_workbook(nine)
    ws = wb["Danh sách hộ NCC"]
    gone = ws["B8"].value  # the last household (a near-poor one)
    persons = ws["F8"].value
    ws.delete_rows(8)
    members = wb["Thành viên NCC"]
    for r in range(members.max_row, 4, -1):
        if members.cell(r, 2).value == gone:
            members.delete_rows(r)
    wb.save(nine)
    from tests.helpers import edit_summary, summary_cells

    cells = summary_cells(nine)
    edit_summary(nine, "ncc_near_poor_households", baseline=cells["ncc_near_poor_households"][0] - 1,
                 current=cells["ncc_near_poor_households"][1] - 1)
    edit_summary(nine, "ncc_near_poor_persons", baseline=cells["ncc_near_poor_persons"][0] - persons,
                 current=cells["ncc_near_poor_persons"][1] - persons)
    drop([nine], root / "inbox" / "2023-9T", sent_at=dt.datetime(2023, 8, 1, tzinfo=HCM))
    counts = orchestrator.intake_period(config.period("2023-9T"), config=config,
                                  now=dt.datetime(2023, 8, 1, 9, tzinfo=HCM), workspace=workspace_at(root))
    assert counts["units_invalid"] == 1
    (v,) = ledger.versions("2023-9T", "22828")
    from pipeline.findings import read_outcome

    findings = read_outcome(Path(v.findings_path)).findings
    assert [(f.severity, f.sheet, f.column, f.value) for f in findings] == [
        ("lỗi", "Danh sách hộ NCC", "Mã hộ", gone)]
    assert "kỳ 2023-6T" in findings[0].message


def test_outlier_warns_until_accepted_with_justification(ledger_env, config, tmp_path):
    """Poor households up by half since the last period warn; once accepted, the warning is gone and the
    justification is shown on the status page."""
    root, ledger = ledger_env
    from pipeline import orchestrator
    from pipeline.staff.feedback import status_page_path
    from tests.helpers import edit_summary, summary_cells

    drop([SAMPLES / "22828_ma_noi.xlsx"], root / "inbox" / "2023-6T")
    orchestrator.intake_period(config.period("2023-6T"), config=config, now=BEFORE_DEADLINE,
                               workspace=workspace_at(root))
    nine = _as_9t(SAMPLES / "22828_ma_noi.xlsx", tmp_path / "22828_ma_noi_9T.xlsx")
    poor = summary_cells(nine)["poor_households"][1]
    edit_summary(nine, "poor_households", current=poor + poor // 2)
    drop([nine], root / "inbox" / "2023-9T", sent_at=dt.datetime(2023, 8, 1, tzinfo=HCM))
    period = config.period("2023-9T")
    later = dt.datetime(2023, 8, 1, 9, tzinfo=HCM)
    counts = orchestrator.intake_period(period, config=config, now=later, workspace=workspace_at(root))
    assert counts["units_valid"] == 1
    (v,) = ledger.versions("2023-9T", "22828")
    assert v.warnings == 1
    html = status_page_path(period, root).read_text(encoding="utf-8")
    assert "thay đổi bất thường" in html and f"Kỳ 2023-6T: {poor:,}".replace(",", ".") in html
    ledger.accept_outlier(period="2023-9T", unit_code="22828", indicator="poor_households",
                          justification="Sáp nhập thôn Tà Nôi mới, bổ sung 129 hộ nghèo theo QĐ 77/QĐ-UBND",
                          accepted_by="Chuyên viên Phòng LĐ-TB&XH", accepted_at=later)
    again = orchestrator.intake_period(period, config=config, now=later, workspace=workspace_at(root))
    assert again["validations"] == 1  # the acceptance changed the fingerprint
    (v,) = ledger.versions("2023-9T", "22828")
    assert v.warnings == 0
    html = status_page_path(period, root).read_text(encoding="utf-8")
    assert "Sáp nhập thôn Tà Nôi mới" in html


# The ledger schema before migrations existed (revision 0001: one acceptance per indicator), created by
# ``create_all`` as the previous code did.
def _legacy_metadata(with_acceptance_constraint: bool):
    import sqlalchemy as sa

    md = sa.MetaData()
    sa.Table(
        "submission_versions", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("unit_code", sa.String(5), nullable=True),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("original_name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_mtime", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on_time", sa.Boolean, nullable=False),
        sa.Column("archive_path", sa.String(500), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("errors", sa.Integer, nullable=True),
        sa.Column("warnings", sa.Integer, nullable=True),
        sa.Column("findings_path", sa.String(500), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.Column("validated_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("period", "sha256", name="uq_period_sha256"),
    )
    extra = [sa.UniqueConstraint("period", "unit_code", "indicator", name="uq_acceptance")] \
        if with_acceptance_constraint else []
    sa.Table(
        "outlier_acceptances", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("unit_code", sa.String(5), nullable=False),
        sa.Column("indicator", sa.String(64), nullable=False),
        sa.Column("justification", sa.Text, nullable=False),
        sa.Column("accepted_by", sa.String(120), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        *extra,
    )
    return md


@pytest.mark.parametrize("legacy", ["0001", "0002"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_from_a_ledger_created_without_migrations(backend, legacy, tmp_path):
    """A ledger made by the previous code's create_all (with or without the acceptance constraint), holding
    rows — two of them sharing a version number, as concurrent passes made — is recognised, stamped and
    upgraded: rows kept, arrival = found time, versions renumbered by arrival, constraints as at head."""
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'old.sqlite'}" if backend == "sqlite" else os.environ["TEST_DATABASE_URL"]
    if backend == "postgresql":
        reset_database(url)
    engine = sa.create_engine(url)
    md = _legacy_metadata(legacy == "0001")
    md.create_all(engine)
    t = md.tables["submission_versions"]
    t0 = dt.datetime(2023, 5, 2, 2, 0, tzinfo=dt.UTC)
    rows = [("22828", 1, "a", t0), ("22828", 2, "b", t0 + dt.timedelta(hours=1)),
            ("22828", 2, "c", t0 + dt.timedelta(hours=2)), ("22810", 1, "d", t0), (None, None, "e", t0)]
    with engine.begin() as c:
        for unit, number, h, found in rows:
            c.execute(t.insert().values(period="2023-6T", unit_code=unit, version=number, original_name=f"{h}.xlsx",
                                        sha256=h * 64, size_bytes=10, found_at=found, file_mtime=t0, on_time=True,
                                        archive_path=f"/archive/{h}.xlsx"))
        c.execute(md.tables["outlier_acceptances"].insert().values(
            period="2023-6T", unit_code="22828", indicator="poor_households", justification="Sáp nhập thôn",
            accepted_by="Chuyên viên", accepted_at=t0))
    engine.dispose()

    ledger = Ledger(url)
    insp = sa.inspect(ledger.engine)
    with ledger.engine.connect() as c:
        assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [
            "0008_validation_notices"]
    uniques = {u["name"]: u["column_names"] for u in insp.get_unique_constraints("inbox_sightings")}
    assert uniques == {"uq_inbox_sightings_period_name": ["period", "name"]}
    uniques = {u["name"]: u["column_names"] for u in insp.get_unique_constraints("submission_versions")}
    assert uniques == {"uq_period_sha256": ["period", "sha256"],
                       "uq_period_unit_version": ["period", "unit_code", "version"]}
    assert insp.get_unique_constraints("outlier_acceptances") == []
    assert [(v.original_name, v.version, v.received_at, v.received_via, v.received_by) for v in
            ledger.versions("2023-6T", "22828")] == [
        ("a.xlsx", 1, t0, "intake", None), ("b.xlsx", 2, t0 + dt.timedelta(hours=1), "intake", None),
        ("c.xlsx", 3, t0 + dt.timedelta(hours=2), "intake", None)]
    assert [(v.original_name, v.version) for v in ledger.versions("2023-6T", None)] == [("e.xlsx", None)]
    assert ledger.versions("2023-6T", "22810")[0].version == 1
    ledger.accept_outlier(period="2023-6T", unit_code="22828", indicator="poor_households",
                          justification="Bổ sung 129 hộ", accepted_by="Trưởng phòng", accepted_at=t0 + dt.timedelta(1))
    assert ledger.acceptances("2023-6T", "22828") == {"poor_households": "Bổ sung 129 hộ"}
    with ledger.engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM outlier_acceptances")).scalar() == 2
    again = Ledger(url)  # already at head: nothing to do
    assert len(again.versions("2023-6T")) == 5


def test_sqlite_ledger_is_owner_only(tmp_path, monkeypatch):
    """Under umask 022 the ledger file is created 0600 and its folder 0700 (it names every file received); the
    default location's work/ folder is made owner-only even when it existed before."""
    from pipeline.ledger.store import open_ledger

    monkeypatch.delenv("PIPELINE_LEDGER_URL", raising=False)
    (tmp_path / "default" / "work").mkdir(parents=True, mode=0o755)
    old = os.umask(0o022)
    try:
        open_ledger(workspace_at(tmp_path / "default"))
        ledger = Ledger(f"sqlite:///{tmp_path / 'data' / 'work' / 'ledger.sqlite'}")
        ledger.register(period="2023-6T", unit_code="22828", original_name="a.xlsx", sha256="a" * 64,
                        size_bytes=1, found_at=BEFORE_DEADLINE, file_mtime=BEFORE_DEADLINE, on_time=True,
                        archive_path="/nowhere/a.xlsx")
    finally:
        os.umask(old)
    work = tmp_path / "data" / "work"
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in work.iterdir()}
    assert modes == {"ledger.sqlite": "0o600", "ledger.sqlite.schema-lock": "0o600"}
    assert oct(work.stat().st_mode & 0o777) == "0o700"
    assert oct((tmp_path / "data").stat().st_mode & 0o777) == "0o700"
    default = tmp_path / "default" / "work"
    assert oct(default.stat().st_mode & 0o777) == "0o700"
    assert oct((default / "ledger.sqlite").stat().st_mode & 0o777) == "0o600"


def test_migrations_head_matches_the_code(tmp_path):
    """SCHEMA_HEAD is the newest migration, and the schema the migrations build is the one the code queries:
    same columns, types' nullability and unique constraints."""
    import sqlalchemy as sa
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from pipeline.ledger.store import MIGRATIONS_DIR, SCHEMA_HEAD, metadata

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_current_head() == SCHEMA_HEAD == "0008_validation_notices"
    assert [r.revision for r in script.walk_revisions()] == ["0008_validation_notices", "0007_unit_identity",
                                                             "0006_inbox_sightings",
                                                             "0005_timeliness", "0004_mail", "0003", "0002", "0001"]
    insp = sa.inspect(Ledger(f"sqlite:///{tmp_path / 'l.sqlite'}").engine)
    for table in metadata.sorted_tables:
        built = {c["name"]: c["nullable"] for c in insp.get_columns(table.name)}
        assert built == {c.name: c.nullable for c in table.columns}, table.name
        built_uniques = {u["name"]: u["column_names"] for u in insp.get_unique_constraints(table.name)}
        assert built_uniques == {c.name: [col.name for col in c.columns] for c in table.constraints
                                 if isinstance(c, sa.UniqueConstraint)}, table.name


def test_reminders_approvals_and_deliveries(ledger_env):
    """A reminder is claimed once per (period, unit, kind), released when its sending failed; the approval in
    force is the latest of the version asked (or of any); deliveries keep their recipients in order."""
    _, ledger = ledger_env
    t0 = dt.datetime(2023, 4, 28, 1, 0, tzinfo=dt.UTC)
    assert ledger.claim_reminder(period="2023-6T", unit="22813", kind="before-7d", recipients=2, at=t0) is True
    assert ledger.claim_reminder(period="2023-6T", unit="22813", kind="before-7d", recipients=2, at=t0) is False
    assert ledger.claim_reminder(period="2023-6T", unit="22813", kind="before-2d", recipients=2, at=t0) is True
    ledger.release_reminder(period="2023-6T", unit="22813", kind="before-2d")
    assert [(r["unit"], r["kind"], r["recipients"], r["sent_at"]) for r in ledger.reminders("2023-6T")] == [
        ("22813", "before-7d", 2, t0)]
    assert ledger.approval("2023-6T") is None
    ledger.approve(period="2023-6T", version=1, sha256="a" * 64, approved_by="Trần Thị Hoa", approved_at=t0)
    ledger.approve(period="2023-6T", version=1, sha256="b" * 64, approved_by=" Lê Văn Nam ",
                   approved_at=t0 + dt.timedelta(hours=1))
    assert ledger.approval("2023-6T", 1) == {"version": 1, "sha256": "b" * 64, "approved_by": "Lê Văn Nam",
                                             "approved_at": t0 + dt.timedelta(hours=1)}
    assert ledger.approval("2023-6T", 2) is None
    with pytest.raises(ValueError, match="người phê duyệt"):
        ledger.approve(period="2023-6T", version=1, sha256="a" * 64, approved_by=" ", approved_at=t0)
    ledger.record_delivery(period="2023-6T", version=1, sha256="b" * 64, delivered_at=t0 + dt.timedelta(hours=2),
                           recipients=["b@example.org", "a@example.org"], archive_path="/delivered/2023-6T/v1")
    assert ledger.deliveries("2023-6T") == [{"version": 1, "sha256": "b" * 64,
                                             "delivered_at": t0 + dt.timedelta(hours=2),
                                             "recipients": ["b@example.org", "a@example.org"],
                                             "archive_path": "/delivered/2023-6T/v1"}]
    assert ledger.deliveries("2023-9T") == []


# --- One data root, one ledger (work/so-tiep-nhan.json) ---------------------------------------------------------

RECORDED_AT = dt.datetime(2023, 5, 3, 1, 30, tzinfo=dt.UTC)


def _workspace(root: Path, ledger_url: str | None = None):
    """The workspace of ``root`` with ``ledger_url`` (None: the SQLite default under it) and a fixed clock."""
    from pipeline.workspace import Workspace

    return Workspace(root=root.resolve(), ledger_url=ledger_url, clock=lambda: RECORDED_AT, pdf=False)


def _mismatch(root: Path, recorded: str, given: str, own: str) -> str:
    """The refusal's whole message for a data root ``root`` of ledger ``recorded`` opened with ``given``."""
    return (f"Sổ tiếp nhận không khớp: thư mục dữ liệu này thuộc sổ {recorded}, nhưng lần chạy này dùng sổ {given}. "
            "Đã dừng, không tiếp nhận, kiểm tra hay công bố gì, để báo cáo không bị lập từ hai sổ khác nhau (thư mục "
            f"dữ liệu: {root}; sổ của thư mục ghi trong {root / 'work' / 'so-tiep-nhan.json'}). Cách sửa: dùng đúng "
            f"sổ của thư mục ({own}), hoặc dùng một thư mục dữ liệu khác (PIPELINE_DATA_DIR) cho sổ {given}. Muốn "
            "chuyển sổ của thư mục này sang cơ sở dữ liệu khác (ví dụ PostgreSQL), dùng lệnh python -m pipeline "
            "move-ledger --to URL.")


def test_first_use_records_the_default_ledger_owner_only(tmp_path):
    """Opening the SQLite default for a new data root records it in work/so-tiep-nhan.json (0600): its URL, its
    path under the root and when, by the workspace's clock."""
    from pipeline.ledger.store import open_ledger

    root = (tmp_path / "data").resolve()
    assert not (root / "work" / "so-tiep-nhan.json").exists()
    open_ledger(_workspace(root))
    record_file = root / "work" / "so-tiep-nhan.json"
    assert json.loads(record_file.read_text(encoding="utf-8")) == {
        "ledger": f"sqlite:///{root}/work/ledger.sqlite", "in_data_root": "work/ledger.sqlite",
        "recorded_at": "2023-05-03T01:30:00+00:00",
        "note": "Sổ tiếp nhận của thư mục dữ liệu này (không ghi mật khẩu). Mọi lệnh, DAG và dịch vụ dùng thư mục này "
                "phải dùng đúng sổ này; chuyển sổ bằng lệnh python -m pipeline move-ledger --to URL."}
    assert oct(record_file.stat().st_mode & 0o777) == "0o600"


def test_the_record_of_a_postgresql_ledger_has_no_password(tmp_path):
    """A ledger URL with a password (and a password query parameter) is recorded without either; the user, host,
    database and other options stay."""
    from pipeline.ledger.store import record_ledger

    root = (tmp_path / "data").resolve()
    url = "postgresql+psycopg://pipeline:S3cr%40t-pw@127.0.0.1:5432/ledger?sslmode=require&sslpassword=K3y-pw"
    record_ledger(_workspace(root, url))
    text = (root / "work" / "so-tiep-nhan.json").read_text(encoding="utf-8")
    assert json.loads(text)["ledger"] == "postgresql+psycopg://pipeline@127.0.0.1:5432/ledger?sslmode=require"
    assert json.loads(text)["in_data_root"] is None
    assert "S3cr" not in text and "K3y" not in text and "pw" not in text


def test_the_same_ledger_again_passes_however_written(tmp_path, monkeypatch):
    """The root's own ledger opens again and leaves the record as it was: the default, the same file by a relative or
    absolute URL or in SQLite's read-only URI form; for PostgreSQL another driver, user, password or the default port
    written out."""
    from pipeline.ledger.store import check_ledger, open_ledger, record_ledger

    root = (tmp_path / "data").resolve()
    open_ledger(_workspace(root))
    record_file = root / "work" / "so-tiep-nhan.json"
    recorded = record_file.read_bytes()
    monkeypatch.chdir(tmp_path)
    for url in (None, "sqlite:///data/work/ledger.sqlite", f"sqlite:///{root}/work/ledger.sqlite",
                f"sqlite:///file:{root}/work/ledger.sqlite?mode=ro&uri=true"):
        assert check_ledger(_workspace(root, url))["in_data_root"] == "work/ledger.sqlite"
    open_ledger(_workspace(root, "sqlite:///data/work/ledger.sqlite"))
    assert record_file.read_bytes() == recorded

    pg_root = (tmp_path / "pg").resolve()
    record_ledger(_workspace(pg_root, "postgresql+psycopg://pipeline:one@DB.example.org/ledger"))
    for url in ("postgresql://pipeline@db.example.org:5432/ledger", "postgresql+psycopg2://other:two@db.example.org/"
                "ledger?connect_timeout=5"):
        assert check_ledger(_workspace(pg_root, url))["ledger"] == "postgresql+psycopg://pipeline@DB.example.org/ledger"


def test_another_ledger_is_refused_naming_both(tmp_path):
    """A root recorded with its SQLite default refuses another SQLite file before creating it, and a root of a
    PostgreSQL ledger refuses another database: LedgerMismatch, a ConfigError naming both ledgers (no password) and
    the fix."""
    from pipeline.config import ConfigError
    from pipeline.ledger.store import LedgerMismatch, open_ledger, record_ledger

    root = (tmp_path / "data").resolve()
    open_ledger(_workspace(root))
    other = tmp_path / "other.sqlite"
    with pytest.raises(LedgerMismatch) as caught:
        open_ledger(_workspace(root, f"sqlite:///{other}"))
    assert isinstance(caught.value, ConfigError)
    assert str(caught.value) == _mismatch(
        root, f"sqlite:///{root}/work/ledger.sqlite", f"sqlite:///{other}",
        "bỏ biến PIPELINE_LEDGER_URL để dùng tệp SQLite mặc định work/ledger.sqlite của thư mục")
    assert (caught.value.recorded, caught.value.given) == (f"sqlite:///{root}/work/ledger.sqlite", f"sqlite:///{other}")
    assert not other.exists()

    pg_root = (tmp_path / "pg").resolve()
    record_ledger(_workspace(pg_root, "postgresql+psycopg://pipeline:one@127.0.0.1/ledger"))
    with pytest.raises(LedgerMismatch) as caught:
        open_ledger(_workspace(pg_root, "postgresql+psycopg://pipeline:two@127.0.0.1/ledger_2"))
    assert str(caught.value) == _mismatch(
        pg_root, "postgresql+psycopg://pipeline@127.0.0.1/ledger", "postgresql+psycopg://pipeline@127.0.0.1/ledger_2",
        "đặt PIPELINE_LEDGER_URL=postgresql+psycopg://pipeline@127.0.0.1/ledger, thêm mật khẩu nếu sổ cần")
    with pytest.raises(LedgerMismatch):
        open_ledger(_workspace(pg_root))  # the SQLite default is another ledger too
    assert not (pg_root / "work" / "ledger.sqlite").exists()


def test_a_copied_root_keeps_its_own_default_ledger(tmp_path):
    """A root recorded with its SQLite default, copied elsewhere, opens with the copy's default ledger (the record
    names the file under the root), and refuses the original's file."""
    from pipeline.ledger.store import LedgerMismatch, open_ledger

    root = (tmp_path / "data").resolve()
    open_ledger(_workspace(root))
    copy = (tmp_path / "copy").resolve()
    shutil.copytree(root, copy)
    assert len(open_ledger(_workspace(copy)).versions("2023-6T")) == 0
    with pytest.raises(LedgerMismatch, match="Sổ tiếp nhận không khớp"):
        open_ledger(_workspace(copy, f"sqlite:///{root}/work/ledger.sqlite"))


def test_a_run_on_another_ledgers_root_fails_at_gather_publishing_nothing(tmp_path, config):
    """run_period on a root of another ledger stops at its first step, gather (StepFailed naming the step and both
    ledgers): nothing registered in the other ledger, nothing archived, no report."""
    from pipeline.ledger.store import open_ledger
    from pipeline.orchestrator import StepFailed, run_period

    root = (tmp_path / "data").resolve()
    open_ledger(_workspace(root))
    drop([SAMPLES / "22828_ma_noi.xlsx"], root / "inbox" / "2023-6T")
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    with pytest.raises(StepFailed) as caught:
        run_period(config.period("2023-6T"), config=config, now=BEFORE_DEADLINE, workspace=_workspace(root, other))
    assert caught.value.step == "gather"
    message = str(caught.value)
    assert message.startswith("Kỳ 2023-6T: bước gather (tiếp nhận lần cuối) thất bại: ")
    assert (f"Sổ tiếp nhận không khớp: thư mục dữ liệu này thuộc sổ sqlite:///{root}/work/ledger.sqlite, nhưng lần "
            f"chạy này dùng sổ {other}.") in message
    assert not (tmp_path / "other.sqlite").exists()
    assert not (root / "archive").exists() and not (root / "reports").exists()
