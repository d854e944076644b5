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

from pipeline.ledger import Ledger, metadata
from tests.helpers import SENT_AT, drop, edit_roster, roster_rows

ROOT = Path(__file__).resolve().parents[2]
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
        import sqlalchemy as sa

        metadata.drop_all(sa.create_engine(url))
    monkeypatch.setenv("PIPELINE_LEDGER_URL", url)
    return tmp_path, Ledger(url)


def test_same_bytes_twice_are_one_version(ledger_env, config):
    """The same file dropped twice, even under another name, is one version; the archive copy is identical."""
    root, ledger = ledger_env
    from pipeline.intake import intake_pass

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
    from pipeline.periodic import run_period

    period = config.period("2023-6T")
    inbox = root / "inbox" / "2023-6T"
    drop([p for p in SAMPLES.glob("*.xlsx") if not p.name.startswith("22825")], inbox)
    (bad,) = drop([next(test_set.glob("22825_*.xlsx"))], inbox)
    bad_bytes = bad.read_bytes()
    run_period(period, config=config, now=BEFORE_DEADLINE, root=root)
    (v1,) = ledger.versions("2023-6T", "22825")
    assert (v1.status, v1.errors) == ("invalid", 2)
    bad.unlink()  # the clerk replaces the file with the corrected one
    (good,) = drop([SAMPLES / "22825_hoa_son.xlsx"], inbox, sent_at=BEFORE_DEADLINE + dt.timedelta(hours=3))
    report = Path(run_period(period, config=config, now=BEFORE_DEADLINE + dt.timedelta(hours=4), root=root))
    v1, v2 = ledger.versions("2023-6T", "22825")
    assert (v1.version, v1.status, v2.version, v2.status) == (1, "invalid", 2, "valid")
    assert v1.sha256 != v2.sha256
    assert Path(v1.archive_path).read_bytes() == bad_bytes
    assert Path(v2.archive_path).read_bytes() == good.read_bytes()
    from pipeline.feedback import feedback_path

    annotated = feedback_path(v1, period, root)
    assert annotated.exists()
    from openpyxl import load_workbook

    wb = load_workbook(annotated)
    assert wb.sheetnames[0] == "Góp ý"
    cell = wb["Danh sách hộ NCC"]["G5"]
    assert cell.comment is not None and "vượt quá" in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    from tests.helpers import docx_tables, find_row

    status = next(t for t in docx_tables(report) if any("Tệp số liệu đã dùng" in r for r in t))
    row = find_row(status, "xã Hòa Sơn")
    assert row[2] == "Hợp lệ"
    assert row[3] == f"22825_hoa_son.xlsx (phiên bản 2, mã {v2.sha256[:8]})"


def test_valid_version_then_failing_one(ledger_env, config, test_set):
    """A valid version followed by a failing one: the report uses the valid one and notes the failure."""
    root, ledger = ledger_env
    from pipeline.periodic import run_period

    period = config.period("2023-6T")
    inbox = root / "inbox" / "2023-6T"
    drop(sorted(SAMPLES.glob("*.xlsx")), inbox)
    run_period(period, config=config, now=BEFORE_DEADLINE, root=root)
    drop([next(test_set.glob("22825_*.xlsx"))], inbox, sent_at=BEFORE_DEADLINE + dt.timedelta(hours=1))
    report = Path(run_period(period, config=config, now=BEFORE_DEADLINE + dt.timedelta(hours=2), root=root))
    agg = json.loads((root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    hoa = next(s for s in agg["submissions"] if s["unit_code"] == "22825")
    assert (hoa["status"], hoa["version"], hoa["newer_failed"]) == ("valid", 1, {"version": 2, "errors": 2})
    from tests.helpers import docx_tables, find_row

    status = next(t for t in docx_tables(report) if any("Tệp số liệu đã dùng" in r for r in t))
    assert find_row(status, "xã Hòa Sơn")[2] == "Hợp lệ; phiên bản 2 gửi sau có 2 lỗi, chưa dùng"
    assert agg["district"]["poor_households_current"] == 1551


def test_timeliness(ledger_env, config):
    """Dropped before the deadline but first seen by the final pass: on time; dropped after: late."""
    root, ledger = ledger_env
    from pipeline.intake import intake_pass

    period = config.period("2023-6T")
    inbox = root / "inbox" / "2023-6T"
    drop([SAMPLES / "22810_tan_son.xlsx"], inbox, sent_at=dt.datetime(2023, 5, 4, 23, 59, tzinfo=HCM))
    drop([SAMPLES / "22813_lam_son.xlsx"], inbox, sent_at=dt.datetime(2023, 5, 5, 0, 1, tzinfo=HCM))
    final_pass = dt.datetime(2023, 5, 5, 0, 0, 30, tzinfo=HCM)
    intake_pass(period, config=config, ledger=ledger, now=final_pass, root=root)
    (tan_son,) = ledger.versions("2023-6T", "22810")
    (lam_son,) = ledger.versions("2023-6T", "22813")
    assert tan_son.found_at == final_pass and tan_son.on_time is True
    assert lam_son.on_time is False


def test_rerun_revalidates_only_what_changed(ledger_env, config, monkeypatch):
    """A rerun with no changed input validates nothing; a changed rule set re-validates every version."""
    root, ledger = ledger_env
    from pipeline import intake

    period = config.period("2023-6T")
    drop(sorted(SAMPLES.glob("*.xlsx")), root / "inbox" / "2023-6T")
    first = intake.intake_period(period, config=config, now=BEFORE_DEADLINE, root=root)
    assert (first["new_files"], first["validations"], first["units_valid"]) == (8, 8, 8)
    again = intake.intake_period(period, config=config, now=BEFORE_DEADLINE, root=root)
    assert (again["new_files"], again["validations"]) == (0, 0)
    monkeypatch.setattr(intake, "rules_hash", lambda: "changed-suite")
    changed = intake.intake_period(period, config=config, now=BEFORE_DEADLINE, root=root)
    assert changed["validations"] == 8


def test_warning_only_submission_is_accepted_and_shown(ledger_env, config, tmp_path):
    """An income outlier is a warning: the unit stays valid and the status page lists the warning."""
    root, ledger = ledger_env
    from pipeline import intake

    period = config.period("2023-6T")
    work = tmp_path / "edit"
    work.mkdir()
    path = work / "22828_ma_noi.xlsx"
    shutil.copyfile(SAMPLES / path.name, path)
    rows = roster_rows(path)
    row = edit_roster(path, rows[0]["household_code"], income_vnd_per_person_month=1200)
    drop([path], root / "inbox" / "2023-6T")
    counts = intake.intake_period(period, config=config, now=BEFORE_DEADLINE, root=root)
    assert counts["units_valid"] == 1
    from pipeline.feedback import status_page_path

    html = status_page_path(period, root).read_text(encoding="utf-8")
    assert "cảnh báo" in html and f"<td>{row}</td>" in html and "Thu nhập bình quân bất thường" in html
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

    from pipeline import intake

    drop([SAMPLES / "22828_ma_noi.xlsx"], root / "inbox" / "2023-6T")
    intake.intake_period(config.period("2023-6T"), config=config, now=BEFORE_DEADLINE, root=root)
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
    counts = intake.intake_period(config.period("2023-9T"), config=config,
                                  now=dt.datetime(2023, 8, 1, 9, tzinfo=HCM), root=root)
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
    from pipeline import intake
    from pipeline.feedback import status_page_path
    from tests.helpers import edit_summary, summary_cells

    drop([SAMPLES / "22828_ma_noi.xlsx"], root / "inbox" / "2023-6T")
    intake.intake_period(config.period("2023-6T"), config=config, now=BEFORE_DEADLINE, root=root)
    nine = _as_9t(SAMPLES / "22828_ma_noi.xlsx", tmp_path / "22828_ma_noi_9T.xlsx")
    poor = summary_cells(nine)["poor_households"][1]
    edit_summary(nine, "poor_households", current=poor + poor // 2)
    drop([nine], root / "inbox" / "2023-9T", sent_at=dt.datetime(2023, 8, 1, tzinfo=HCM))
    period = config.period("2023-9T")
    later = dt.datetime(2023, 8, 1, 9, tzinfo=HCM)
    counts = intake.intake_period(period, config=config, now=later, root=root)
    assert counts["units_valid"] == 1
    (v,) = ledger.versions("2023-9T", "22828")
    assert v.warnings == 1
    html = status_page_path(period, root).read_text(encoding="utf-8")
    assert "thay đổi bất thường" in html and f"Kỳ 2023-6T: {poor:,}".replace(",", ".") in html
    ledger.accept_outlier(period="2023-9T", unit_code="22828", indicator="poor_households",
                          justification="Sáp nhập thôn Tà Nôi mới, bổ sung 129 hộ nghèo theo QĐ 77/QĐ-UBND",
                          accepted_by="Chuyên viên Phòng LĐ-TB&XH", accepted_at=later)
    again = intake.intake_period(period, config=config, now=later, root=root)
    assert again["validations"] == 1  # the acceptance changed the fingerprint
    (v,) = ledger.versions("2023-9T", "22828")
    assert v.warnings == 0
    html = status_page_path(period, root).read_text(encoding="utf-8")
    assert "Sáp nhập thôn Tà Nôi mới" in html
