"""Timeliness, DHIS2-style: on time, on time with corrections, late, missing, not expected; the deadline moved
off a weekend; the lock date and reopenings kept in the ledger; reporting rates over the year.

Every time is given explicitly (a fixed clock): nothing here depends on when the tests run. The ledger tests
run against SQLite, and against PostgreSQL when TEST_DATABASE_URL names a server.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from pipeline.config import Unit
from pipeline.ledger import timeliness as tl
from pipeline.ledger.store import Ledger
from pipeline.render.timeliness import report_context
from tests.helpers import (
    docx_tables,
    drop,
    find_row,
    reset_database,
    set_narrative,
    technical_annex,
    workspace_at,
)

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples" / "2023-6T"
HCM = dt.timezone(dt.timedelta(hours=7))
DEADLINE_6T = dt.datetime(2023, 5, 5, tzinfo=HCM)
MINUTE = dt.timedelta(minutes=1)
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
A = Unit(code="22828", name="Ma Nới", kind="xã", area="rural")
FRONT = Unit(code="22899", name="Mặt trận Tổ quốc huyện", kind="Ủy ban", area="urban", required=False)


@dataclass(frozen=True)
class Row:
    """A ledger row as the timeliness rules read it."""

    id: int
    unit_code: str | None
    version: int | None
    received_at: dt.datetime
    received_via: str = "staff"
    status: str = "valid"


@dataclass(frozen=True)
class Reopened:
    unit_code: str
    reopened_by: str = "Nguyễn Văn A"
    reopened_at: dt.datetime = dt.datetime(2023, 6, 1, 9, tzinfo=HCM)
    reason: str = "Xã gửi bổ sung theo chỉ đạo của UBND huyện"


def config_with(tmp_path: Path, **timeliness):
    """The project's configuration with ``timeliness:`` keys replaced, loaded from a temporary file
    (without intake's stability wait, as the session's ``config`` fixture)."""
    from pipeline.config import load_config

    raw = yaml.safe_load((ROOT / "config" / "ninh_son.yaml").read_text(encoding="utf-8"))
    raw["timeliness"].update(timeliness)
    raw["validation"]["intake_stable_seconds"] = 0  # as the session's `config` fixture: files are complete
    path = tmp_path / f"cau-hinh-{len(list(tmp_path.glob('cau-hinh-*')))}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_config(path)


def test_one_minute_either_side_of_the_deadline(config):
    """A receipt one minute before 00:00 of 05/5/2023 is on time, one minute after it late (staff receipts get
    no tolerance); a file an intake pass first lists one minute after the 2-minute tolerance is late."""
    period = config.period("2023-6T")
    policy = tl.policy_from_config(config)
    assert tl.deadline(period, policy) == DEADLINE_6T
    before = tl.unit_timeliness(A, [Row(1, A.code, 1, DEADLINE_6T - MINUTE)], period, policy)
    after = tl.unit_timeliness(A, [Row(1, A.code, 1, DEADLINE_6T + MINUTE)], period, policy)
    assert (before.status, before.rule, before.on_time) == ("on_time", "first_on_time", True)
    assert (after.status, after.rule, after.on_time) == ("late", "first_late", False)
    listed = tl.unit_timeliness(A, [Row(1, A.code, 1, DEADLINE_6T + MINUTE, "intake")], period, policy)
    listed_late = tl.unit_timeliness(A, [Row(1, A.code, 1, DEADLINE_6T + 3 * MINUTE, "intake")], period, policy)
    assert (listed.status, listed_late.status) == ("on_time", "late")


def test_correction_within_the_grace_days_stays_on_time(config):
    """First version on time (with errors), valid correction 4 days 23 hours after the deadline: "on time
    (corrected)"; the same correction at the fifth day's end: late, by the rule on corrections."""
    period = config.period("2023-6T")
    policy = tl.policy_from_config(config)
    assert policy.correction_grace_days == 5
    first = Row(1, A.code, 1, DEADLINE_6T - dt.timedelta(hours=8), status="invalid")
    within = tl.unit_timeliness(A, [first, Row(2, A.code, 2, DEADLINE_6T + dt.timedelta(days=4, hours=23))],
                                period, policy)
    assert (within.status, within.rule, within.version, within.on_time) == (
        "on_time_corrected", "corrected_within_grace", 2, True)
    after = tl.unit_timeliness(A, [first, Row(2, A.code, 2, DEADLINE_6T + dt.timedelta(days=5))], period, policy)
    assert (after.status, after.rule, after.version, after.on_time) == ("late", "corrected_after_grace", 2, False)
    before = tl.unit_timeliness(A, [first, Row(2, A.code, 2, DEADLINE_6T - MINUTE)], period, policy)
    assert (before.status, before.rule) == ("on_time", "corrected_before_deadline")
    # a failed correction after the deadline: the on-time first version is still the one used
    kept = tl.unit_timeliness(A, [Row(1, A.code, 1, DEADLINE_6T - MINUTE),
                                  Row(2, A.code, 2, DEADLINE_6T + dt.timedelta(days=9), status="invalid")],
                              period, policy)
    assert (kept.status, kept.rule, kept.version, kept.valid) == ("on_time", "first_on_time", 1, True)


def test_required_unit_missing_requested_unit_not(config):
    """Nothing from a required unit: missing; nothing from a unit only requested: not expected, never counted
    as missing."""
    period = config.period("2023-6T")
    policy = tl.policy_from_config(config)
    missing = tl.unit_timeliness(A, [], period, policy)
    front = tl.unit_timeliness(FRONT, [], period, policy)
    assert (missing.status, missing.rule, missing.expected, missing.on_time) == ("missing", "no_file", True, None)
    assert (front.status, front.rule, front.expected) == ("not_expected", "not_required", False)
    counts = tl._counts([missing, front])
    assert (counts["expected"], counts["missing"], counts["received"]) == (1, 1, 0)


def test_weekend_rule_moves_the_timeliness_deadline_to_monday(config, tmp_path):
    """05/8/2023 is a Saturday: with the rule off the deadline stays 00:00 of 05/8 and a receipt on Sunday is
    late; with it on the deadline is 00:00 of Monday 07/8 and that receipt is on time. A holiday on the Monday
    moves it to Tuesday; 05/11/2023 (Sunday) moves to Monday 06/11; 05/5/2023 (Friday) does not move."""
    nine = config.period("2023-9T")
    off = tl.policy_from_config(config)
    assert off.move_deadline_off_non_working_days is False
    assert tl.deadline(nine, off) == nine.deadline == dt.datetime(2023, 8, 5, tzinfo=HCM)
    on_config = config_with(tmp_path, move_deadline_off_non_working_days=True)
    on = tl.policy_from_config(on_config)
    assert tl.deadline(nine, on) == dt.datetime(2023, 8, 7, tzinfo=HCM)
    assert on_config.period("2023-9T").deadline == dt.datetime(2023, 8, 5, tzinfo=HCM)  # the schedule stays
    sunday = [Row(1, A.code, 1, dt.datetime(2023, 8, 6, 10, tzinfo=HCM))]
    assert tl.unit_timeliness(A, sunday, nine, off).status == "late"
    assert tl.unit_timeliness(A, sunday, nine, on).status == "on_time"
    holiday = tl.policy_from_config(config_with(tmp_path, move_deadline_off_non_working_days=True,
                                                holidays=[dt.date(2023, 8, 7)]))
    assert tl.deadline(nine, holiday) == dt.datetime(2023, 8, 8, tzinfo=HCM)
    assert tl.deadline(config.period("2023-CN"), on) == dt.datetime(2023, 11, 6, tzinfo=HCM)
    assert tl.deadline(config.period("2023-6T"), on) == DEADLINE_6T
    summary = tl.summary(nine, config=on_config, rows_by_period={"2023-9T": sunday}, policy=on)
    assert (summary["deadline_moved"], summary["deadline"], summary["scheduled_deadline"]) == (
        True, "2023-08-06T17:00:00+00:00", "2023-08-04T17:00:00+00:00")


def test_lock_leaves_late_versions_unused_until_reopened(config, tmp_path):
    """Locked 10 days after the deadline: a correction received on day 10 is not used (the on-time first version
    is) and is listed as locked; a unit with only such a version is late by the lock rule, with no valid version;
    a reopening for the unit makes its versions count again."""
    period = config.period("2023-6T")
    policy = tl.policy_from_config(config_with(tmp_path, lock_after_days=10))
    lock = tl.lock_at(period, policy)
    assert lock == dt.datetime(2023, 5, 15, tzinfo=HCM)
    assert tl.lock_at(period, tl.policy_from_config(config)) is None  # no lock configured
    rows = [Row(1, A.code, 1, DEADLINE_6T - MINUTE, status="invalid"), Row(2, A.code, 2, lock)]
    assert tl.locked_out(rows, period, policy) == {2}
    shut = tl.unit_timeliness(A, rows, period, policy)
    assert (shut.status, shut.rule, shut.valid, shut.locked_versions) == ("on_time", "first_on_time", False, (2,))
    only = tl.unit_timeliness(A, [Row(3, A.code, 1, lock + dt.timedelta(days=2))], period, policy)
    assert (only.status, only.rule, only.received, only.valid) == ("late", "after_lock", True, False)
    opened = tl.unit_timeliness(A, rows, period, policy, [Reopened(A.code)])
    assert (opened.status, opened.rule, opened.valid, opened.locked_versions) == (
        "late", "corrected_after_grace", True, ())
    assert opened.reopening.reopened_by == "Nguyễn Văn A"
    assert tl.locked_out(rows, period, policy, [Reopened("22810")]) == {2}  # another unit's reopening
    # without a lock a reopening changes nothing: the same verdict, no reopening recorded on it (so a report
    # rendered after it has the same inputs as before)
    free = tl.policy_from_config(config)
    assert tl.unit_timeliness(A, rows, period, free, [Reopened(A.code)]) == tl.unit_timeliness(A, rows, period, free)


def test_reporting_rates_over_the_years_periods(config):
    """2023-9T with the 6-month period before it: per unit how many of the year's periods were expected,
    received, on time, valid; totals and rates over required units, formatted for the report."""
    units = config.units_on(dt.date(2023, 7, 31))
    d6, d9 = DEADLINE_6T, dt.datetime(2023, 8, 5, tzinfo=HCM)
    six = [Row(i, u.code, 1, d6 - dt.timedelta(days=1)) for i, u in enumerate(units, start=1)]
    six[1] = Row(2, units[1].code, 1, d6 + dt.timedelta(days=1))  # Lâm Sơn late in 6T
    nine = [Row(100 + i, u.code, 1, d9 - dt.timedelta(days=1)) for i, u in enumerate(units[:6], start=1)]
    nine[0] = Row(101, units[0].code, 1, d9 - dt.timedelta(days=1), status="invalid")  # Tân Sơn invalid
    out = tl.summary(config.period("2023-9T"), config=config, rows_by_period={"2023-6T": six, "2023-9T": nine})
    assert out["periods"] == ["2023-6T", "2023-9T"]
    assert out["totals"] == {"expected": 8, "received": 6, "on_time": 6, "on_time_corrected": 0, "late": 0,
                             "missing": 2, "valid": 5}
    assert out["year_totals"] == {"expected": 16, "received": 14, "on_time": 13, "on_time_corrected": 0,
                                  "late": 1, "missing": 2, "valid": 13}
    by_code = {u["unit_code"]: u for u in out["units"]}
    assert by_code["22813"]["year"] == {"expected": 2, "received": 2, "on_time": 1, "valid": 2}
    assert by_code["22831"]["status"] == "missing" and by_code["22831"]["year"]["received"] == 1
    ctx = report_context(json.loads(json.dumps(out)), config=config)
    assert ctx["totals"] == {"expected": "8", "received": "6", "on_time": "6", "valid": "5",
                             "received_rate": "75%", "on_time_rate": "75%", "valid_rate": "62,50%"}
    assert ctx["year_totals"]["on_time_rate"] == "81,25%"
    assert (ctx["year"], ctx["periods"], ctx["period_count"], ctx["deadline"]) == (
        "2023", "2023-6T, 2023-9T", "2", "05/08/2023 00:00")
    # sentences name the periods, never their codes
    assert ctx["period_labels"] == "6 tháng đầu năm, 9 tháng đầu năm"
    assert ctx["rows"][1] == {"no": "2", "name": "Xã Lâm Sơn", "status": "on_time", "rule": "first_on_time",
                              "required": True, "locked": False, "reopened": False, "grace_days": "5",
                              "expected": "2", "received": "2", "on_time": "1", "valid": "2",
                              "on_time_rate": "50%"}


def test_timeliness_settings_are_checked(tmp_path):
    """A negative number of days or an unknown key under timeliness: is refused with its key path."""
    from pipeline.config import ConfigError

    with pytest.raises(ConfigError, match=r"timeliness\.lock_after_days: Input should be greater than or equal to 0"):
        config_with(tmp_path, lock_after_days=-1)
    with pytest.raises(ConfigError, match=r"timeliness\.grace: Extra inputs are not permitted"):
        config_with(tmp_path, grace=5)


@pytest.fixture(params=BACKENDS)
def ledger_url(request, tmp_path, monkeypatch):
    """An empty ledger's URL on each backend, also given to the pipeline through PIPELINE_LEDGER_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    else:
        url = os.environ["TEST_DATABASE_URL"]
        reset_database(url)
    monkeypatch.setenv("PIPELINE_LEDGER_URL", url)
    return url


def test_upgrade_from_0003_adds_reopenings(ledger_url):
    """A ledger at revision 0003 holding a version is upgraded to the head when opened: the version is
    kept, reopenings can be recorded and read back with who, when and why."""
    import sqlalchemy as sa
    from alembic import command

    from pipeline.ledger.store import _alembic_config, versions

    engine = sa.create_engine(ledger_url)
    with engine.connect() as conn:
        command.upgrade(_alembic_config(conn), "0003")
        conn.commit()
    at = dt.datetime(2023, 5, 3, 2, tzinfo=dt.UTC)
    with engine.begin() as c:
        assert not sa.inspect(c).has_table("period_reopenings")
        c.execute(versions.insert().values(
            period="2023-6T", unit_code="22828", version=1, original_name="a.xlsx", sha256="a" * 64, size_bytes=1,
            found_at=at, file_mtime=at, on_time=True, archive_path="/archive/a.xlsx", received_at=at))
    engine.dispose()
    ledger = Ledger(ledger_url)
    with ledger.engine.connect() as c:
        assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0008_validation_notices"
    assert [(v.version, v.received_at) for v in ledger.versions("2023-6T", "22828")] == [(1, at)]
    when = dt.datetime(2023, 6, 1, 9, tzinfo=HCM)
    record = ledger.reopen(period="2023-6T", unit_code="22828", reopened_by=" Nguyễn Văn A ",
                           reason="Xã gửi bổ sung", reopened_at=when)
    assert (record.period, record.unit_code, record.reopened_by, record.reopened_at, record.reason) == (
        "2023-6T", "22828", "Nguyễn Văn A", when, "Xã gửi bổ sung")
    assert ledger.reopenings("2023-6T") == [record] and ledger.reopenings("2023-9T") == []
    with pytest.raises(ValueError, match="lý do"):
        ledger.reopen(period="2023-6T", unit_code="22828", reopened_by="A", reason=" ", reopened_at=when)


def test_version_after_the_lock_is_used_only_once_reopened(ledger_url, tmp_path, monkeypatch, capsys):
    """Ma Nới's on-time version is used; its correction received after the lock is archived byte for byte but
    not used (report, aggregates, status page "nhận sau ngày khóa sổ, chưa được mở lại"); `reopen` records who,
    when and why, and the next run uses the correction."""
    from pipeline.__main__ import main
    from pipeline.intake.receive import receive_file
    from pipeline.orchestrator import run_period
    from pipeline.staff.feedback import status_page_path

    config = config_with(tmp_path, lock_after_days=10)
    monkeypatch.setenv("PIPELINE_CONFIG", str(next(tmp_path.glob("cau-hinh-*.yaml"))))
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path))
    root = tmp_path
    period = config.period("2023-6T")
    drop([SAMPLES / "22828_ma_noi.xlsx"], root / "inbox" / "2023-6T")
    run_period(period, config=config, now=DEADLINE_6T - dt.timedelta(days=2), workspace=workspace_at(root))
    corrected = tmp_path / "sent" / "22828_ma_noi_bo_sung.xlsx"
    corrected.parent.mkdir()
    shutil.copyfile(SAMPLES / "22828_ma_noi.xlsx", corrected)
    set_narrative(corrected, "results", "Bản bổ sung sau ngày khóa sổ.")
    ledger = Ledger(ledger_url)
    late_at = dt.datetime(2023, 5, 16, 9, tzinfo=HCM)
    receipt = receive_file(corrected, period, config=config, ledger=ledger, received_at=late_at,
                           received_by="Trần Thị B", note="nhận qua Zalo", now=late_at, root=root)
    assert (receipt.version.version, receipt.version.on_time) == (2, False)
    assert Path(receipt.version.archive_path).read_bytes() == corrected.read_bytes()
    report = Path(run_period(period, config=config, now=late_at + dt.timedelta(hours=1), workspace=workspace_at(root)))
    agg = json.loads((root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    ma_noi = next(s for s in agg["submissions"] if s["unit_code"] == "22828")
    assert (ma_noi["status"], ma_noi["version"], ma_noi["on_time"], ma_noi["newer_failed"]) == ("valid", 1, True, None)
    unit = next(u for u in agg["timeliness"]["units"] if u["unit_code"] == "22828")
    assert (unit["status"], unit["rule"], unit["locked_versions"]) == ("on_time", "first_on_time", [2])
    assert agg["timeliness"]["lock_at"] == "2023-05-14T17:00:00+00:00"
    html = " ".join(status_page_path(period, root).read_text(encoding="utf-8").split())
    assert "phiên bản 2: nhận sau ngày khóa sổ, chưa được mở lại — đã lưu trữ, chưa dùng cho báo cáo" in html
    assert "Kỳ báo cáo khóa sổ lúc 15/05/2023 00:00" in html
    rates = next(t for t in docx_tables(technical_annex(report)) if any("Căn cứ" in r for r in t))
    assert find_row(rates, "Xã Ma Nới")[2:] == ["Đúng hạn", "Phiên bản đầu tiên nhận trước hạn", "1", "1", "1", "1",
                                               "100%"]

    assert main(["reopen", "2023-6T", "22828", "--by", "Nguyễn Văn A",
                 "--reason", "UBND huyện cho phép bổ sung"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Đã mở lại kỳ 2023-6T cho xã Ma Nới (22828): Nguyễn Văn A, lúc ")
    assert "lý do: UBND huyện cho phép bổ sung." in out and "15/05/2023 00:00 (ngày khóa sổ)" in out
    (record,) = ledger.reopenings("2023-6T")
    assert (record.unit_code, record.reopened_by, record.reason) == ("22828", "Nguyễn Văn A",
                                                                     "UBND huyện cho phép bổ sung")
    assert abs(record.reopened_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    run_period(period, config=config, now=late_at + dt.timedelta(hours=2), workspace=workspace_at(root))
    agg = json.loads((root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    ma_noi = next(s for s in agg["submissions"] if s["unit_code"] == "22828")
    assert (ma_noi["status"], ma_noi["version"], ma_noi["on_time"]) == ("valid", 2, False)
    unit = next(u for u in agg["timeliness"]["units"] if u["unit_code"] == "22828")
    assert (unit["status"], unit["rule"], unit["locked_versions"], unit["reopened"]) == (
        "late", "corrected_after_grace", [], True)
    narrative = next(n for n in agg["narratives"] if n["unit_name"] == "xã Ma Nới")
    assert narrative["results"] == "Bản bổ sung sau ngày khóa sổ."
    html = " ".join(status_page_path(period, root).read_text(encoding="utf-8").split())
    assert "Kỳ đã được mở lại cho đơn vị: Nguyễn Văn A" in html and "UBND huyện cho phép bổ sung" in html


def test_reopen_refuses_unknown_unit_and_empty_reason(ledger_url, tmp_path, monkeypatch, capsys):
    """`reopen` with an unknown unit or a blank reason: a Vietnamese message, exit 2, nothing recorded."""
    from pipeline.__main__ import main

    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path))
    assert main(["reopen", "2023-6T", "99999", "--by", "A", "--reason", "x"]) == 2
    assert capsys.readouterr().err == "Không có đơn vị mã 99999 trong cấu hình.\n"
    assert main(["reopen", "2023-6T", "22828", "--by", "A", "--reason", "  "]) == 2
    assert capsys.readouterr().err == "Cần ghi tên người mở lại (--by) và lý do (--reason).\n"
    assert Ledger(ledger_url).reopenings("2023-6T") == []


def test_report_rates_table_on_the_plan_samples(plan_root):
    """The plan samples (found by intake long after the deadline): the technical annex's rates table says each
    unit is late by its first version, 1 period expected, received, none on time, valid; the district line sums
    them."""
    report = plan_root / "reports" / "2023" / "6T" / "v1" / "bao-cao-2023-6T.docx"
    rates = next(t for t in docx_tables(technical_annex(report)) if any("Căn cứ" in r for r in t))
    assert rates[1] == ["TT", "Đơn vị", "Thời hạn", "Căn cứ", "Phải báo cáo", "Đã nhận", "Đúng hạn", "Hợp lệ",
                        "Tỷ lệ đúng hạn"]
    assert rates[2] == ["1", "Thị trấn Tân Sơn", "Trễ hạn", "Phiên bản đầu tiên nhận sau hạn", "1", "1", "0", "1",
                        "0%"]
    assert find_row(rates, "Toàn huyện")[4:] == ["8", "8", "0", "8", "0%"]
    assert len(rates) == 11
    from tests.helpers import docx_text

    assert ("Kỳ này có 8 đơn vị phải báo cáo: đã nhận 8 báo cáo (tỷ lệ 100%), đúng hạn 0 (tỷ lệ 0%), hợp lệ 8 "
            "(tỷ lệ 100%).") in docx_text(technical_annex(report))


def test_moved_deadline_is_stamped_by_intake_and_receive(ledger_url, tmp_path):
    """With the weekend rule on, a file an intake pass first lists on Sunday 06/8/2023 and one staff received
    on Sunday are stamped on time for 2023-9T; with the rule off the same receipt is late."""
    from pipeline.intake.inbox import intake_pass
    from pipeline.intake.receive import receive_file

    on = config_with(tmp_path, move_deadline_off_non_working_days=True)
    period = on.period("2023-9T")
    ledger = Ledger(ledger_url)
    sunday = dt.datetime(2023, 8, 6, 10, tzinfo=HCM)
    drop([SAMPLES / "22828_ma_noi.xlsx"], tmp_path / "inbox" / "2023-9T")
    (found,) = intake_pass(period, config=on, ledger=ledger, now=sunday, root=tmp_path, stable_seconds=0)
    assert (found.unit_code, found.received_at, found.on_time) == ("22828", sunday, True)
    received = receive_file(SAMPLES / "22810_tan_son.xlsx", period, config=on, ledger=ledger, received_at=sunday,
                            received_by="Nguyễn Văn A", note=None, now=sunday, root=tmp_path).version
    assert (received.unit_code, received.on_time) == ("22810", True)
    off_root = tmp_path / "off"
    off = receive_file(SAMPLES / "22810_tan_son.xlsx", period, config=config_with(tmp_path),
                       ledger=Ledger(f"sqlite:///{off_root / 'ledger.sqlite'}"), received_at=sunday,
                       received_by="Nguyễn Văn A", note=None, now=sunday, root=off_root).version
    assert off.on_time is False


def test_receive_after_the_lock_says_it_is_not_used(ledger_url, tmp_path, monkeypatch, capsys):
    """`receive` of a file received after the lock date prints that it is archived but not used until the
    period is reopened for the unit, with the command to do so."""
    from pipeline.__main__ import main

    config_with(tmp_path, lock_after_days=10)
    monkeypatch.setenv("PIPELINE_CONFIG", str(next(tmp_path.glob("cau-hinh-*.yaml"))))
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path))
    assert main(["receive", str(SAMPLES / "22810_tan_son.xlsx"), "--period", "2023-6T", "--received-at",
                 "2023-05-15T00:00:00+07:00", "--by", "Nguyễn Văn A"]) == 0
    assert capsys.readouterr().out == (
        "Đã ghi nhận 22810_tan_son.xlsx kỳ 2023-6T: thị trấn Tân Sơn (22810), phiên bản 1, nhận lúc 15/05/2023 00:00 "
        "— trễ hạn (hạn nộp trước 05/05/2023 00:00).\nTệp nhận sau ngày khóa sổ, chưa được mở lại: đã lưu trữ nhưng "
        "chưa dùng cho báo cáo. Mở lại kỳ cho đơn vị: python -m pipeline reopen 2023-6T 22810 --by … --reason …\n")
    assert [v.version for v in Ledger(ledger_url).versions("2023-6T", "22810")] == [1]
