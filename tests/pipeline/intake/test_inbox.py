"""Tests of pipeline/intake/inbox.py: the intake under hostile and broken files, and two intake passes at once.

One file never stops the others, nothing partial becomes a version, links are never followed, and reading stays
within bounded memory. The hostile files are made here, in temporary folders, from the committed samples: a file
still being written, a workbook whose sheet XML holds a raw '&', one that declares and holds a cell at XFD1048576,
a zip bomb, and a legitimate 10,000-household workbook.

Two intake passes at once, as separate processes (the intake DAG and the report's final pass both fire at 00:00 on
a deadline day): no crash, no lost file, versions numbered 1..n per unit in order of arrival. Each repetition uses
a fresh data root and an empty ledger, so the two processes also race to create the schema. SQLite always;
PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from pipeline.ledger.store import Ledger
from tests.helpers import drop, reset_database, workspace_at

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples" / "2023-6T"
HCM = dt.timezone(dt.timedelta(hours=7))
BEFORE_DEADLINE = dt.datetime(2023, 5, 3, 8, 0, tzinfo=HCM)
ROSTER = "Danh sách hộ NCC"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
REPETITIONS = 12  # each race about 3 s per backend: within the suite's time


# --- Hostile and broken files ------------------------------------------------------------------------------

def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sheet_member(path: Path, sheet: str) -> str:
    """The zip member holding ``sheet`` (the samples keep sheets in workbook order)."""
    from openpyxl import load_workbook

    index = load_workbook(path, read_only=True).sheetnames.index(sheet) + 1
    return f"xl/worksheets/sheet{index}.xml"


def rewrite_member(src: Path, dst: Path, member: str, edit) -> Path:
    """Copy the workbook ``src`` to ``dst`` with one zip member's bytes replaced by ``edit(bytes)``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info, edit(data) if info.filename == member else data)
    return dst


def make_malformed_xml(dst: Path) -> Path:
    """Ma Nới's workbook with one raw '&' typed into the roster sheet's XML (as a home-made export writes)."""
    src = SAMPLES / "22828_ma_noi.xlsx"
    member = _sheet_member(src, ROSTER)
    return rewrite_member(src, dst, member, lambda b: b.replace(b"<t>Raglai</t>", b"<t>Raglai & Kinh</t>", 1))


def make_huge_dimension(dst: Path) -> Path:
    """Lâm Sơn's workbook with one stray value at XFD1048576 of the roster sheet (declared and held)."""
    from openpyxl import load_workbook

    wb = load_workbook(SAMPLES / "22813_lam_son.xlsx")
    wb[ROSTER]["XFD1048576"] = "x"
    wb.save(dst)
    return dst


def make_zip_bomb(dst: Path, expanded_mb: int = 512) -> Path:
    """A workbook whose roster sheet XML expands to ``expanded_mb`` MB: one row of empty cells ``<c/>``
    repeated (about 0.5 MB zipped at the default: deflate's best ratio, about 1000)."""
    src = SAMPLES / "22816_luong_son.xlsx"
    member = _sheet_member(src, ROSTER)
    block = b"<c/>" * 262_144  # 1 MB
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for info in zin.infolist():
            if info.filename != member:
                zout.writestr(info, zin.read(info.filename))
                continue
            head, _, tail = zin.read(member).partition(b"<sheetData>")
            big = zipfile.ZipInfo(member, date_time=info.date_time)
            big.compress_type = zipfile.ZIP_DEFLATED
            big._compresslevel = 9
            with zout.open(big, "w", force_zip64=True) as out:
                out.write(head + b"<sheetData><row r=\"5\">")
                for _ in range(expanded_mb):
                    out.write(block)
                out.write(b"</row></sheetData></worksheet>")
    return dst


def make_roster_workbook(dst: Path, households: int) -> Path:
    """Hòa Sơn's workbook with its roster extended to ``households`` rows by repeating its rows under new
    household codes (22825-00001 …), as a large commune would fill it."""
    from openpyxl import load_workbook

    rng = random.Random(households)
    wb = load_workbook(SAMPLES / "22825_hoa_son.xlsx")
    ws = wb[ROSTER]
    first, last = 5, ws.max_row
    template = [[c.value for c in ws[r]] for r in range(first, last + 1)]
    styles = [c._style for c in ws[first]]
    for i in range(households):
        values = list(template[i % len(template)])
        values[0], values[1] = i + 1, f"22825-{i + 1:05d}"
        values[2] = f"{values[2]} {chr(65 + i % 26)}{i}"  # head of household: a distinct name per row
        values[3] = f"Thôn {i % 57 + 1}, tổ {i % 13 + 1}"
        values[14] = 900_000 + (i * 7919) % 600_000  # income, đồng/person/month
        values[28] = f"Cán bộ {i % 97}"
        values[27] = f"{values[27] or 'Thiếu vốn'}; ghi chú {rng.getrandbits(64):x}"  # free text of the clerk
        for c, v in enumerate(values, start=1):
            cell = ws.cell(first + i, c, v)
            cell._style = copy.copy(styles[c - 1])
    wb.save(dst)
    return dst


@pytest.mark.slow
def test_large_legitimate_roster_is_read(config, tmp_path):
    """A real 10,000-household workbook of several MB stays within the limits and is read whole. Slow because
    it must build and read a whole 10,000-household workbook, the size at which the bounded-memory reading still has
    to take a legitimate file whole."""
    from pipeline.read.reader import read_submission
    from pipeline.read.sources import inspect_xlsx

    path = make_roster_workbook(tmp_path / "22825_hoa_son_lon.xlsx", 10_000)
    assert path.stat().st_size > 1_500_000
    with zipfile.ZipFile(path) as z:
        assert sum(i.file_size for i in z.infolist()) > 10_000_000
    extents = {e.name: e for e in inspect_xlsx(path, path.name)}
    assert (extents[ROSTER].rows, extents[ROSTER].columns) == (10_004, 37)
    sub = read_submission(path, config)
    assert len(sub.roster) == 10_000
    last = sub.roster.iloc[-1]
    assert (last["household_code"], int(last["excel_row"])) == ("22825-10000", 10_004)
    assert not [f for f in sub.findings if f.rule == "read" and not f.sheet]


def test_hostile_workbooks_are_refused_with_their_reason(config, tmp_path):
    """Malformed XML, a cell at XFD1048576, a zip bomb and a broken styles part: each is refused with a
    message that says what is wrong and how to fix it; nothing escapes as an exception."""
    from pipeline.validate.rules import validate_submission

    bad_styles = rewrite_member(SAMPLES / "22810_tan_son.xlsx", tmp_path / "styles.xlsx", "xl/styles.xml",
                                lambda b: b.replace(b"<fonts", b"<fonts & ", 1))
    merge_bomb = rewrite_member(  # one merge over 200 columns × 100,000 rows: openpyxl makes 20 million cells
        SAMPLES / "22819_quang_son.xlsx", tmp_path / "merge.xlsx", _sheet_member(SAMPLES / "22819_quang_son.xlsx",
                                                                                 ROSTER),
        lambda b: re.sub(rb"<mergeCells[^>]*>", b'<mergeCells count="2"><mergeCell ref="A20:GR100000"/>', b, count=1)
        if b"<mergeCells" in b else b.replace(b"</sheetData>", b'</sheetData><mergeCells count="1">'
                                              b'<mergeCell ref="A20:GR100000"/></mergeCells>', 1))
    cases = {
        make_malformed_xml(tmp_path / "amp.xlsx"): ("bị hỏng: nội dung sheet 'Danh sách hộ NCC' không đúng "
                                                   "cấu trúc Excel", "'&amp;'"),
        make_huge_dimension(tmp_path / "far.xlsx"): ("sheet 'Danh sách hộ NCC': vùng dữ liệu khai báo đến ô "
                                                     "XFD1048576 (1.048.576 dòng, 16.384 cột), vượt giới hạn "
                                                     "100.000 dòng, 200 cột", "Ctrl+Shift+↓"),
        make_zip_bomb(tmp_path / "bomb.xlsx", 300): ("khi giải nén chiếm 300", "xóa ảnh, sheet thừa"),
        bad_styles: ("bị hỏng hoặc không phải bảng tính Excel", "Save As"),
        merge_bomb: ("các sheet có hơn 1.000.000 ô", "các dòng, cột trống định dạng sẵn"),
    }
    assert (tmp_path / "far.xlsx").stat().st_size < 20_000
    for path, (says, fix) in cases.items():
        outcome = validate_submission(path, config=config, period="2023-6T")
        (finding,) = outcome.findings
        assert (outcome.status, outcome.unit_code, finding.rule) == ("invalid", None, "read")
        assert says in finding.message, (path.name, finding.message)
        assert fix in finding.fix, (path.name, finding.fix)


def test_limits_come_from_configuration(config, tmp_path):
    """The row limit is a setting: a 60-household roster is refused under a 50-row limit."""
    import dataclasses

    from pipeline.read.reader import read_submission
    from pipeline.read.sources import UnreadableSubmission

    path = make_roster_workbook(tmp_path / "lon.xlsx", 60)
    strict = dataclasses.replace(config, validation={**config.validation, "max_sheet_rows": 50})
    with pytest.raises(UnreadableSubmission) as err:
        read_submission(path, strict)
    assert ("sheet 'Danh sách hộ NCC': vùng dữ liệu khai báo đến ô AK64 (64 dòng, 37 cột), vượt giới hạn "
            "50 dòng, 200 cột") in str(err.value)


def _appender(path: Path, data: bytes, seconds: float) -> threading.Thread:
    """Write ``data`` to ``path`` in pieces over ``seconds``: a file still being copied into the inbox."""
    pieces = 30
    step = len(data) // pieces + 1
    path.write_bytes(data[:step])

    def run() -> None:
        for i in range(1, pieces + 1):
            time.sleep(seconds / pieces)
            with path.open("ab") as fh:
                fh.write(data[i * step:(i + 1) * step])

    thread = threading.Thread(target=run)
    thread.start()
    return thread


PASS_SCRIPT = r"""
import datetime as dt, json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from pipeline.config import load_config
from pipeline.intake import inbox as intake
from pipeline import orchestrator
from tests.helpers import workspace_at
from tests.pipeline.intake.test_inbox import _appender

root, growing, final = Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
config = load_config()
thread = _appender(growing, final.read_bytes(), 6.0)
counts = orchestrator.intake_period(config.period("2023-6T"), config=config,
                              now=dt.datetime(2023, 5, 3, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))),
                              workspace=workspace_at(root),
                              stable_seconds=1.0)
thread.join()
# this process's own peak: VmHWM belongs to the memory image made at exec; ru_maxrss would also count the
# parent's (pytest's) size at fork, which Linux carries across exec
hwm = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
           if line.startswith("VmHWM:"))
print(json.dumps({"counts": counts, "maxrss_kb": hwm}))
"""


@pytest.mark.slow
def test_one_file_cannot_stop_the_intake(config, tmp_path, monkeypatch):
    """Beside the 14 samples (8 communes, 6 offices): a file still being written, a malformed-XML workbook, a cell
    at XFD1048576 and a zip bomb. One intake pass, in its own process: the samples registered and valid, the three
    hostile files refused with their reason, the growing file left for later, peak memory under 1 GB. A later pass
    registers the grown file with its final bytes' hash.
    Slow: an intake pass in its own process over the samples and hostile files, one of them a zip bomb."""
    root = tmp_path / "data"
    inbox = root / "inbox" / "2023-6T"
    drop(sorted(SAMPLES.glob("*.xlsx")), inbox)
    bad = {
        "z_amp.xlsx": make_malformed_xml(inbox / "z_amp.xlsx"),
        "z_far.xlsx": make_huge_dimension(inbox / "z_far.xlsx"),
        "z_bomb.xlsx": make_zip_bomb(inbox / "z_bomb.xlsx"),
    }
    assert bad["z_bomb.xlsx"].stat().st_size < 600_000
    final = make_roster_workbook(tmp_path / "final.xlsx", 40)  # Hòa Sơn's corrected, larger roster
    growing = inbox / "22825_hoa_son_bo_sung.xlsx"
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    env = {**os.environ, "PIPELINE_LEDGER_URL": url, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", PASS_SCRIPT, str(ROOT), str(root), str(growing), str(final)],
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    print("peak memory of the pass (MB):", report["maxrss_kb"] // 1024)
    assert report["maxrss_kb"] < 1_048_576, report
    assert time.monotonic() - started < 300
    ledger = Ledger(url)
    versions = ledger.versions("2023-6T")
    by_name = {v.original_name: v for v in versions}
    samples = sorted(p.name for p in SAMPLES.glob("*.xlsx"))
    assert [(by_name[n].unit_code, by_name[n].version, by_name[n].status) for n in samples] == [
        (n.split("_")[0], 1, "valid") for n in samples]  # "22810_tan_son.xlsx", "VHTT_co_quan.xlsx"
    assert growing.name not in by_name  # never a partial version
    assert len(versions) == len(samples) + 3
    for name, says in (("z_amp.xlsx", "không đúng cấu trúc Excel"), ("z_far.xlsx", "XFD1048576"),
                       ("z_bomb.xlsx", "khi giải nén chiếm 512")):
        v = by_name[name]
        assert (v.unit_code, v.status, v.errors) == (None, "invalid", 1), name
        findings = json.loads(Path(v.findings_path).read_text(encoding="utf-8"))["findings"]
        assert says in findings[0]["message"], (name, findings)
        assert Path(v.archive_path).read_bytes() == bad[name].read_bytes()
    assert report["counts"] == {"new_files": len(samples) + 3, "validations": len(samples) + 3,
                                "units_valid": len(samples), "units_invalid": 0, "units_missing": 0}
    from pipeline.intake.inbox import SKIP_GROWING, intake_pass, read_skipped
    from pipeline.staff.feedback import status_page_path

    period = config.period("2023-6T")
    assert read_skipped(period, root) == [{"name": growing.name, "reason": SKIP_GROWING}]
    html = status_page_path(period, root).read_text(encoding="utf-8")
    assert f"<td>{growing.name}</td><td>{SKIP_GROWING}</td>" in html

    assert growing.read_bytes() == final.read_bytes()  # the copy finished after the pass
    (later,) = intake_pass(period, config=config, ledger=ledger, now=BEFORE_DEADLINE + dt.timedelta(minutes=10),
                           root=root, stable_seconds=0.2)
    assert (later.original_name, later.unit_code, later.version) == (growing.name, "22825", 2)
    assert later.sha256 == sha(final) == sha(Path(later.archive_path))
    assert later.size_bytes == final.stat().st_size
    assert read_skipped(period, root) == []


def test_growing_file_waits_for_a_later_pass(config, tmp_path, monkeypatch):
    """A file appended to during the pass is not registered (no partial version, nothing archived for it);
    the next pass after the copy finished registers it with its final hash."""
    from pipeline.intake.inbox import SKIP_GROWING, intake_pass, read_skipped

    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    period = config.period("2023-6T")
    inbox = tmp_path / "inbox" / "2023-6T"
    drop([SAMPLES / "22828_ma_noi.xlsx"], inbox)
    final = SAMPLES / "22831_nhon_son.xlsx"
    growing = inbox / "22831.xlsx"
    thread = _appender(growing, final.read_bytes(), 2.0)
    try:
        new = intake_pass(period, config=config, ledger=ledger, now=BEFORE_DEADLINE, root=tmp_path,
                          stable_seconds=0.5)
    finally:
        thread.join()
    assert [v.original_name for v in new] == ["22828_ma_noi.xlsx"]
    assert read_skipped(period, tmp_path) == [{"name": "22831.xlsx", "reason": SKIP_GROWING}]
    archived = sorted(p.name for p in (tmp_path / "archive" / "2023-6T").iterdir())
    assert archived == [f"{sha(SAMPLES / '22828_ma_noi.xlsx')}.xlsx"]
    (v,) = intake_pass(period, config=config, ledger=ledger, now=BEFORE_DEADLINE, root=tmp_path,
                       stable_seconds=0.2)
    assert (v.original_name, v.unit_code, v.version, v.sha256) == ("22831.xlsx", "22831", 1, sha(final))
    assert read_skipped(period, tmp_path) == []


def test_archive_copy_is_hashed_private_and_read_only(config, tmp_path, monkeypatch):
    """The archive copy is named by the hash of the copy, owner-only read-only (0400, whatever the umask), in
    an owner-only folder; a source that changed since it was judged stable is not archived."""
    from pipeline.ledger.store import SourceChanged, archive_file

    monkeypatch.delenv("PIPELINE_SHARE_GROUP", raising=False)
    period = config.period("2023-6T")
    (src,) = drop([SAMPLES / "22810_tan_son.xlsx"], tmp_path / "inbox" / "2023-6T")
    old = os.umask(0o022)
    try:
        stable = os.lstat(src)
        path, digest, size = archive_file(src, period, tmp_path, expected=stable)
    finally:
        os.umask(old)
    assert (path.name, digest, size) == (f"{sha(src)}.xlsx", sha(src), src.stat().st_size)
    assert (path.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (0o400, 0o700)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    with src.open("ab") as fh:
        fh.write(b"more")
    with pytest.raises(SourceChanged):
        archive_file(src, period, tmp_path, expected=stable)
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_links_and_special_entries_are_refused_not_followed(config, tmp_path, monkeypatch):
    """A link to a file outside the inbox, a folder, a FIFO, hidden and temporary names: none is archived or
    registered, each is listed with its reason on the status page; a linked period folder is not walked."""
    from pipeline import orchestrator
    from pipeline.intake import inbox as intake
    from pipeline.staff.feedback import status_page_path

    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    period = config.period("2023-6T")
    inbox = tmp_path / "inbox" / "2023-6T"
    (sample,) = drop([SAMPLES / "22819_quang_son.xlsx"], inbox)
    outside = tmp_path / "outside" / "bi-mat.xlsx"
    outside.parent.mkdir()
    shutil.copyfile(SAMPLES / "22822_my_son.xlsx", outside)
    os.symlink(outside, inbox / "22822_my_son.xlsx")
    os.symlink("/etc/passwd", inbox / "passwd.csv")
    (inbox / "thu muc con").mkdir()
    shutil.copyfile(SAMPLES / "22831_nhon_son.xlsx", inbox / "thu muc con" / "22831.xlsx")
    os.mkfifo(inbox / "ong.xlsx")
    for name in (".~lock.x.xlsx#", "~$22819_quang_son.xlsx", "22816.xlsx.part", "22816.xlsx.crdownload", "a.tmp"):
        (inbox / name).write_bytes(b"PK\x03\x04 partial")
    linked = tmp_path / "inbox" / "2023-9T"
    os.symlink(tmp_path / "outside", linked)

    counts = orchestrator.intake_period(period, config=config, now=BEFORE_DEADLINE, workspace=workspace_at(tmp_path))
    assert counts["new_files"] == 1
    (v,) = ledger.versions("2023-6T")
    assert (v.original_name, v.unit_code) == (sample.name, "22819")
    assert sorted(p.name for p in (tmp_path / "archive" / "2023-6T").iterdir()) == [f"{sha(sample)}.xlsx"]
    reasons = {s["name"]: s["reason"] for s in intake.read_skipped(period, tmp_path)}
    assert reasons == {
        "22822_my_son.xlsx": intake.SKIP_LINK, "passwd.csv": intake.SKIP_LINK, "thu muc con": intake.SKIP_FOLDER,
        "ong.xlsx": intake.SKIP_SPECIAL, ".~lock.x.xlsx#": intake.SKIP_HIDDEN, "~$22819_quang_son.xlsx":
        intake.SKIP_LOCK, "22816.xlsx.part": intake.SKIP_PARTIAL, "22816.xlsx.crdownload": intake.SKIP_PARTIAL,
        "a.tmp": intake.SKIP_PARTIAL}
    html = status_page_path(period, tmp_path).read_text(encoding="utf-8")
    assert "<td>22822_my_son.xlsx</td><td>Là liên kết (symbolic link), không phải tệp" in html
    assert html.count("<td>Là liên kết") == 2

    assert intake.open_periods(config, tmp_path) == ["2023-6T"]
    nine = config.period("2023-9T")
    assert intake.intake_pass(nine, config=config, ledger=ledger, now=BEFORE_DEADLINE, root=tmp_path) == []
    assert ledger.versions("2023-9T") == []
    assert not (tmp_path / "archive" / "2023-9T").exists()
    assert intake.read_skipped(nine, tmp_path) == [{"name": "2023-9T", "reason": intake.FOLDER_LINK.format(
        folder="inbox/2023-9T", target=os.path.realpath(tmp_path / "outside")) + "."}]


def test_refused_inbox_folders_and_allowed_links(config, tmp_path):
    """A linked or non-folder inbox root or drop folder is refused with the folder, the link's target and the
    fix; a link to a target allowed in configuration is walked, unless that target is gone; nothing there at
    all is no refusal."""
    import dataclasses

    from pipeline.intake import inbox as intake

    def allowing(*paths: Path):
        return dataclasses.replace(config, intake={**config.intake, "allowed_inbox_links": [str(p) for p in paths]})

    period = config.period("2023-6T")
    root = tmp_path / "data"
    share = tmp_path / "share"
    (share / "2023-6T").mkdir(parents=True)
    real_share = os.path.realpath(share)
    assert intake.inbox_refusal(period, config, root) is None  # no inbox/ yet
    (root / "inbox").mkdir(parents=True)
    assert intake.inbox_refusal(period, config, root) is None  # no inbox/2023-6T/ yet: nothing received
    assert intake.open_periods(config, root) == []

    (root / "inbox" / "2023-6T").write_bytes(b"")
    refusal = intake.inbox_refusal(period, config, root)
    assert (refusal.name, refusal.folder, refusal.reason) == ("2023-6T", "inbox/2023-6T", (
        "inbox/2023-6T không phải thư mục (là một tệp hoặc mục đặc biệt): hệ thống không quét được. Cách khắc phục: "
        "đổi tên hoặc chuyển mục đó đi, tạo thư mục inbox/2023-6T thật rồi chép các tệp báo cáo vào"))
    assert intake.open_periods(config, root) == []

    (root / "inbox" / "2023-6T").unlink()
    os.symlink(share / "2023-6T", root / "inbox" / "2023-6T")
    refusal = intake.inbox_refusal(period, config, root)
    assert (refusal.name, refusal.folder, refusal.reason) == ("2023-6T", "inbox/2023-6T", (
        f"Thư mục tiếp nhận inbox/2023-6T là liên kết (symbolic link) trỏ tới {real_share}/2023-6T, không phải thư "
        "mục thật: hệ thống không quét tệp nào trong đó. Cách khắc phục: thay liên kết bằng một thư mục thật rồi "
        "chép các tệp báo cáo vào; nếu đó là thư mục dùng chung được gắn (mount) có chủ đích, ghi "
        f"{real_share}/2023-6T vào intake.allowed_inbox_links trong tệp cấu hình"))
    assert intake.open_periods(config, root) == []
    assert intake.inbox_refusal(period, allowing(share / "2023-6T"), root) is None
    assert intake.open_periods(allowing(share / "2023-6T"), root) == ["2023-6T"]
    assert intake.inbox_refusal(period, allowing(share), root) is not None  # the target itself, not its parent
    mount = tmp_path / "mnt"
    os.symlink(share, mount)  # the configured path is itself a link: compared with links resolved on both sides
    assert intake.inbox_refusal(period, allowing(mount / "2023-6T"), root) is None

    shutil.rmtree(root / "inbox")
    os.symlink(share, root / "inbox")
    refusal = intake.inbox_refusal(period, config, root)
    assert (refusal.name, refusal.folder) == ("inbox", "inbox")
    assert refusal.reason.startswith(f"Thư mục tiếp nhận inbox là liên kết (symbolic link) trỏ tới {real_share}, ")
    assert intake.open_periods(config, root) == []
    assert intake.inbox_refusal(period, allowing(share), root) is None
    assert intake.open_periods(allowing(share), root) == ["2023-6T"]

    share.rename(tmp_path / "unmounted")  # the allowed share is gone (not mounted): refused, never "nothing sent"
    refusal = intake.inbox_refusal(period, allowing(share), root)
    assert (refusal.name, refusal.reason) == ("inbox", (
        "Thư mục tiếp nhận inbox là liên kết được phép trong cấu hình (intake.allowed_inbox_links), nhưng nơi nó "
        f"trỏ tới, {real_share}, không có hoặc không phải thư mục (thư mục dùng chung chưa được gắn?): hệ thống "
        "không quét. Cách khắc phục: gắn lại thư mục dùng chung, hoặc sửa intake.allowed_inbox_links trong tệp cấu "
        "hình"))
    assert intake.open_periods(allowing(share), root) == []


def test_final_pass_raises_on_a_refused_folder_and_follows_an_allowed_link(config, tmp_path):
    """The final pass raises InboxRefused on a linked drop folder, registering nothing and listing it as
    skipped; with the link's target allowed in configuration both passes take its files in."""
    import dataclasses

    from pipeline.intake import inbox as intake

    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    period = config.period("2023-6T")
    root = tmp_path / "data"
    share = tmp_path / "share" / "2023-6T"
    (sample,) = drop([SAMPLES / "22810_tan_son.xlsx"], share)
    (root / "inbox").mkdir(parents=True)
    os.symlink(share, root / "inbox" / "2023-6T")
    with pytest.raises(intake.InboxRefused) as refused:
        intake.intake_pass(period, config=config, ledger=ledger, now=BEFORE_DEADLINE, root=root, final=True)
    reason = intake.FOLDER_LINK.format(folder="inbox/2023-6T", target=os.path.realpath(share))
    assert (refused.value.folder, str(refused.value)) == ("inbox/2023-6T", reason)
    assert ledger.versions("2023-6T") == []
    assert not (root / "archive" / "2023-6T").exists()
    assert intake.read_skipped(period, root) == [{"name": "2023-6T", "reason": reason + "."}]

    allowed = dataclasses.replace(config, intake={**config.intake, "allowed_inbox_links": [str(share)]})
    (v,) = intake.intake_pass(period, config=allowed, ledger=ledger, now=BEFORE_DEADLINE, root=root, final=True)
    assert (v.original_name, v.unit_code, v.version, v.sha256) == (sample.name, "22810", 1, sha(sample))
    assert intake.read_skipped(period, root) == []


def test_failure_on_one_file_is_its_system_error(config, tmp_path, monkeypatch):
    """A library failing on one file while it is checked makes that version a system error (checked again
    next pass); the other units are validated as usual."""
    from pipeline import orchestrator
    from pipeline.validate import rules as validate

    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    inbox = tmp_path / "inbox" / "2023-6T"
    drop([SAMPLES / "22810_tan_son.xlsx", SAMPLES / "22813_lam_son.xlsx"], inbox)
    broken = sha(SAMPLES / "22813_lam_son.xlsx")
    real = validate.validate_submission

    def failing(path, **kw):
        if path.name.startswith(broken):
            raise KeyError("a library fault")
        return real(path, **kw)

    monkeypatch.setattr(validate, "validate_submission", failing)
    period = config.period("2023-6T")
    counts = orchestrator.intake_period(period, config=config, now=BEFORE_DEADLINE,
                                        workspace=workspace_at(tmp_path), stable_seconds=0.1)
    ledger = Ledger(os.environ["PIPELINE_LEDGER_URL"])
    (tan,), (lam,) = ledger.versions("2023-6T", "22810"), ledger.versions("2023-6T", "22813")
    assert (tan.status, lam.status, lam.errors, lam.fingerprint) == ("valid", "error", 1, None)
    (finding,) = json.loads(Path(lam.findings_path).read_text(encoding="utf-8"))["findings"]
    assert finding["message"] == "Lỗi hệ thống — cán bộ huyện đã được báo (KeyError). Tệp chưa được kiểm tra."
    assert (counts["units_valid"], counts["units_invalid"]) == (1, 1)
    monkeypatch.setattr(validate, "validate_submission", real)
    again = orchestrator.intake_period(period, config=config, now=BEFORE_DEADLINE, workspace=workspace_at(tmp_path))
    assert (again["validations"], again["units_valid"]) == (1, 2)


def test_status_page_says_why_a_file_was_not_attributed(config, tmp_path, monkeypatch):
    """Files archived but with no readable unit (empty, not a workbook, malformed XML) are listed on the
    district page with the reason and the fix, values masked; the valid unit beside them is unaffected."""
    from pipeline import orchestrator
    from pipeline.staff.feedback import status_page_path

    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    inbox = tmp_path / "inbox" / "2023-6T"
    drop([SAMPLES / "22810_tan_son.xlsx"], inbox)
    (inbox / "rong.xlsx").write_bytes(b"")
    (inbox / "ghi-chu.xlsx").write_text("Báo cáo gửi sau\n", encoding="utf-8")
    make_malformed_xml(inbox / "22813_lam_son_sua.xlsx")
    period = config.period("2023-6T")
    counts = orchestrator.intake_period(period, config=config, now=BEFORE_DEADLINE,
                                        workspace=workspace_at(tmp_path), stable_seconds=0.1)
    assert (counts["new_files"], counts["units_valid"]) == (4, 1)
    page = status_page_path(period, tmp_path).read_text(encoding="utf-8")
    section = page.split("Tệp không xác định được đơn vị", 1)[1]
    items = re.findall(r"<li>([^<]+?) \(nhận lúc", section)
    assert sorted(items) == ["22813_lam_son_sua.xlsx", "ghi-chu.xlsx", "rong.xlsx"]
    assert "Tệp rong.xlsx rỗng (0 byte). Cách sửa: Gửi lại tệp báo cáo đã lưu đầy đủ." in section
    empty_reason = section.split("ghi-chu.xlsx", 1)[1].split("</ul>", 1)[0]
    assert "Cách sửa:" in empty_reason and "Báo cáo gửi sau" not in page


def test_old_unattributed_partial_does_not_haunt_the_status_page(config, tmp_path, monkeypatch):
    """A partial copy registered by an older ledger as an unattributed version is not listed once the same
    file name was registered complete as a unit's version."""
    from pipeline import orchestrator
    from pipeline.staff.feedback import status_page_path

    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    monkeypatch.setenv("PIPELINE_LEDGER_URL", url)
    ledger = Ledger(url)
    period = config.period("2023-6T")
    full = (SAMPLES / "22828_ma_noi.xlsx").read_bytes()
    partial = tmp_path / "partial.xlsx"
    partial.write_bytes(full[: len(full) // 3])
    ledger.register(period="2023-6T", unit_code=None, original_name="22828_ma_noi.xlsx",
                    sha256=hashlib.sha256(partial.read_bytes()).hexdigest(), size_bytes=partial.stat().st_size,
                    found_at=BEFORE_DEADLINE, file_mtime=BEFORE_DEADLINE, on_time=True, archive_path=str(partial))
    drop([SAMPLES / "22828_ma_noi.xlsx"], tmp_path / "inbox" / "2023-6T")
    lone = tmp_path / "inbox" / "2023-6T" / "khong_ro.csv"
    lone.write_text("Mã hộ;Tên\n1;2\n", encoding="utf-8")
    orchestrator.intake_period(period, config=config, now=BEFORE_DEADLINE, workspace=workspace_at(tmp_path))
    html = status_page_path(period, tmp_path).read_text(encoding="utf-8")
    section = html.split("Tệp không xác định được đơn vị", 1)[1]
    assert "khong_ro.csv" in section
    assert "22828_ma_noi.xlsx" not in section
    assert re.search(r"Xã Ma Nới \(22828\)</td>\s*<td class=\"valid\">Hợp lệ", html)


def test_xls_and_csv_are_held_to_the_same_limits(config, tmp_path):
    """An .xls and a CSV beyond the configured row limit are refused before they become a workbook; within
    the limit they are read."""
    import dataclasses

    from pipeline.read.reader import read_submission
    from pipeline.read.sources import UnreadableSubmission

    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    strict = dataclasses.replace(config, validation={**config.validation, "max_sheet_rows": 6})
    with pytest.raises(UnreadableSubmission) as err:
        read_submission(fixtures / "libreoffice_real.xls", strict)
    assert re.search(r"sheet '[^']+': có dữ liệu đến ô [A-Z]+\d+ \([\d.]+ dòng, \d+ cột\), vượt giới hạn 6 dòng, "
                     r"200 cột", str(err.value)), str(err.value)
    rows = (fixtures / "roster_utf8.csv").read_text(encoding="utf-8").splitlines()
    big = tmp_path / "lon.csv"
    big.write_text("\n".join(rows[:1] + rows[1:2] * 7) + "\n", encoding="utf-8")
    with pytest.raises(UnreadableSubmission) as err:
        read_submission(big, strict)
    assert "bảng CSV có hơn 6 dòng hoặc 200 cột" in str(err.value)
    big.write_text("\n".join(rows[:1] + rows[1:2] * 5) + "\n", encoding="utf-8")
    assert len(read_submission(big, strict).roster) == 5


# --- Two intake passes at once ----------------------------------------------------------------------------

# One intake pass: import, say ready, wait for the common start signal, open the ledger and take in.
PASS = """
import datetime as dt, sys, time
from pathlib import Path
from pipeline.config import load_config
from pipeline.intake.inbox import intake_pass
from pipeline.ledger.store import Ledger
root, url, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
config = load_config()
Path(sys.argv[4]).touch()
while not go.exists():
    time.sleep(0.002)
ledger = Ledger(url)
new = intake_pass(config.period("2023-6T"), config=config, ledger=ledger, now=dt.datetime.now(dt.UTC), root=root,
                  stable_seconds=0)  # the files are complete: no wait, the two passes meet sooner
print(len(new))
"""


def _inbox(root: Path, correction: Path) -> tuple[str, str]:
    """The 8 samples, plus Hòa Sơn's second version modified an hour after them and named to sort first.

    Returns the SHA-256 of Hòa Sơn's first and second versions.
    """
    from pipeline.files import sha256_of

    inbox = root / "inbox" / "2023-6T"
    inbox.mkdir(parents=True)
    t = time.time() - 7200
    for src in sorted(SAMPLES.glob("[0-9]*.xlsx")):  # the communes'
        shutil.copyfile(src, inbox / src.name)
        os.utime(inbox / src.name, (t, t))
    second = inbox / "0 hoa son gui lai.xlsx"
    shutil.copyfile(correction, second)
    os.utime(second, (t + 3600, t + 3600))
    return sha256_of(inbox / "22825_hoa_son.xlsx"), sha256_of(second)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_two_intake_passes_at_once(backend, tmp_path, test_set):
    """Twelve times, two intake processes started together on the 8 samples and Hòa Sơn's correction: both exit 0, one
    takes in all 9 files and the other none, each unit's versions are numbered 1..n, Hòa Sơn's in order of modification
    (not of name), and the archive holds exactly the 9 registered files.
    Slow: twelve races of two intake processes, the only way to meet the race."""
    correction = next(test_set.glob("22825_*.xlsx"))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for i in range(REPETITIONS):
        root = tmp_path / f"run{i}"
        first, second = _inbox(root, correction)
        if backend == "sqlite":
            url = f"sqlite:///{root / 'work' / 'ledger.sqlite'}"
        else:
            url = os.environ["TEST_DATABASE_URL"]
            reset_database(url)
        go = root / "go"
        procs = [subprocess.Popen([sys.executable, "-c", PASS, str(root), url, str(go), str(root / f"ready{n}")],
                                  env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for n in range(2)]
        deadline = time.monotonic() + 120
        while not all((root / f"ready{n}").exists() for n in range(2)):
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "a pass did not start"
            time.sleep(0.01)
        go.touch()
        outs = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], f"run {i}: " + " | ".join(e[-2000:] for _, e in outs)
        assert sorted(int(o.strip()) for o, _ in outs) == [0, 9], f"run {i}: {outs}"
        ledger = Ledger(url)
        rows = ledger.versions("2023-6T")
        assert len(rows) == 9 and len({r.sha256 for r in rows}) == 9
        by_unit: dict[str | None, list] = {}
        for r in rows:
            by_unit.setdefault(r.unit_code, []).append(r)
        assert sorted(by_unit) == ["22810", "22813", "22816", "22819", "22822", "22825", "22828", "22831"]
        for unit, vs in by_unit.items():
            assert [v.version for v in vs] == list(range(1, len(vs) + 1)), (i, unit)
        assert [v.sha256 for v in by_unit["22825"]] == [first, second]
        archived = sorted(p.name for p in (root / "archive" / "2023-6T").iterdir())
        assert archived == sorted(f"{r.sha256}.xlsx" for r in rows)
        ledger.engine.dispose()


def test_a_fault_past_the_general_sheet_still_finds_the_unit(config, tmp_path, monkeypatch):
    """A fault of the pipeline while reading Lâm Sơn's roster (here a TypeError) leaves the file with its unit,
    read from sheet "Thông tin chung" alone: the version is Lâm Sơn's version 1, a system error, never a file
    without a unit while Lâm Sơn reads "Chưa nhận"."""
    from pipeline import orchestrator
    from pipeline.read import reader

    def broken(ws, sub, config):
        raise TypeError("a fault reading the roster")

    monkeypatch.setattr(reader, "_read_roster", broken)
    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    drop([SAMPLES / "22813_lam_son.xlsx"], tmp_path / "inbox" / "2023-6T")
    orchestrator.intake_period(config.period("2023-6T"), config=config, now=BEFORE_DEADLINE,
                               workspace=workspace_at(tmp_path))
    ledger = Ledger(os.environ["PIPELINE_LEDGER_URL"])
    assert ledger.versions("2023-6T", None) == []
    (lam,) = ledger.versions("2023-6T", "22813")
    assert (lam.version, lam.status, lam.errors) == (1, "error", 1)


# --- Files still being written at the deadline ---------------------------------------------------------------

DEADLINE = dt.datetime(2023, 5, 5, 0, 0, tzinfo=HCM)
FIXTURES = ROOT / "tests" / "fixtures"
WRITER = """
import sys, time
src, dst, cuts, pause = sys.argv[1], sys.argv[2], [int(c) for c in sys.argv[3].split(",") if c], float(sys.argv[4])
data = open(src, "rb").read()
with open(dst, "wb", buffering=0) as out:
    start = 0
    for cut in cuts:
        out.write(data[start:cut])
        start = cut
        time.sleep(pause)
    if sys.argv[5] == "finish":
        out.write(data[start:])
"""


def _writer(src: Path, dst: Path, parts: int, pause: float, *, finish: bool = True) -> subprocess.Popen:
    """A process copying ``src`` to ``dst`` in ``parts`` chunks, pausing ``pause`` seconds after each but the
    last (``finish=False``: it stops for good before the last chunk). Returns once the first chunk is on disk."""
    size = src.stat().st_size
    cuts = [size * i // parts for i in range(1, parts)]
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(src), str(dst), ",".join(map(str, cuts)), str(pause),
                             "finish" if finish else "stop"])
    for _ in range(200):
        if dst.exists() and dst.stat().st_size >= cuts[0]:
            return proc
        time.sleep(0.01)
    proc.kill()
    raise AssertionError("the writer did not start")


def _waiting(config, minutes: float):
    import dataclasses

    return dataclasses.replace(config, intake={**config.intake, "incomplete_wait_minutes": minutes})


@pytest.mark.parametrize(("sample", "parts"), [
    (SAMPLES / "22813_lam_son.xlsx", 2),   # one pause, across the deadline
    (SAMPLES / "22813_lam_son.xlsx", 3),   # a writer that pauses twice
    (FIXTURES / "libreoffice_real.xls", 2),  # Excel 97-2003: the OLE header and declared sectors
    (FIXTURES / "libreoffice_real.xls", 4),
])
def test_final_pass_waits_for_a_copy_that_pauses_at_the_deadline(config, tmp_path, sample, parts):
    """Slow-free version of the deadline case of issue 18: a workbook copied in chunks with pauses longer than
    the stability interval, first seen by the final pass 30 s after 00:00 (inside its 2-minute tolerance). The
    pass waits for the rest and takes one version, whole, on time, arrived when first seen; nothing partial is
    archived and nothing is refused."""
    from pipeline.intake.inbox import intake_pass, read_skipped
    from pipeline.validate.rules import validate_submission

    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    period = config.period("2023-6T")
    inbox = tmp_path / "inbox" / "2023-6T"
    inbox.mkdir(parents=True)
    at = DEADLINE + dt.timedelta(seconds=30)
    proc = _writer(sample, inbox / sample.name, parts, pause=0.8)
    try:
        new = intake_pass(period, config=_waiting(config, 1), ledger=ledger, now=at, root=tmp_path,
                          stable_seconds=0.3, final=True)
    finally:
        assert proc.wait(timeout=30) == 0
    unit = "22813" if sample.parent == SAMPLES else "22828"
    assert [(v.unit_code, v.version, v.on_time, v.received_at, v.sha256) for v in new] == [
        (unit, 1, True, at, sha(sample))]
    assert new[0].found_at > at  # taken after waiting, arrived when first seen
    assert [p.name for p in (tmp_path / "archive" / "2023-6T").iterdir()] == [f"{sha(sample)}{sample.suffix}"]
    assert read_skipped(period, tmp_path) == []
    assert ledger.sightings("2023-6T") == {}
    outcome = validate_submission(Path(new[0].archive_path), config=config, period="2023-6T")
    assert not [f.message for f in outcome.findings if f.severity == "lỗi"]


def test_a_copy_first_seen_before_the_deadline_arrived_then(config, tmp_path):
    """The intake pass at 23:58 sees half a workbook (not whole: left, the skipped list says why and until when
    it is waited for); the copy completes after 00:00 and the final pass at 00:01 takes it as arrived at 23:58,
    on time. A later pass sees nothing new."""
    from pipeline.intake.inbox import intake_pass, read_skipped

    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    config = _waiting(config, 10)
    period = config.period("2023-6T")
    inbox = tmp_path / "inbox" / "2023-6T"
    inbox.mkdir(parents=True)
    sample = SAMPLES / "22816_luong_son.xlsx"
    data = sample.read_bytes()
    (inbox / sample.name).write_bytes(data[: len(data) * 2 // 3])
    seen = DEADLINE - dt.timedelta(minutes=2)
    assert intake_pass(period, config=config, ledger=ledger, now=seen, root=tmp_path) == []
    (entry,) = read_skipped(period, tmp_path)
    assert entry["name"] == sample.name
    assert entry["reason"].startswith("Tệp chưa nhận trọn vẹn (thiếu phần cuối của tệp (bản ghi kết thúc của tệp "
                                      "nén .xlsx)): chưa tiếp nhận. Hệ thống thấy tệp lần đầu lúc 23:58:00 "
                                      "04/05/2023 và chờ tệp được chép xong đến 00:08:00 05/05/2023")
    assert ledger.sightings("2023-6T") == {sample.name: seen}
    (inbox / sample.name).write_bytes(data)  # the copy resumes: same file, now whole
    (v,) = intake_pass(period, config=config, ledger=ledger, now=DEADLINE + dt.timedelta(minutes=1), root=tmp_path,
                       final=True)
    assert (v.unit_code, v.received_at, v.on_time, v.sha256) == ("22816", seen, True, sha(sample))
    assert intake_pass(period, config=config, ledger=ledger, now=DEADLINE + dt.timedelta(minutes=5),
                       root=tmp_path) == []
    assert ledger.sightings("2023-6T") == {} and read_skipped(period, tmp_path) == []


def test_a_copy_that_stops_for_good_is_kept_and_refused_as_incomplete(config, tmp_path, monkeypatch):
    """A writer that stops for good half-way: the final pass waits its limit (here 1.2 s), then archives what
    arrived as received — one unattributed version, arrival when first seen — and its validation says "tệp chưa
    nhận trọn vẹn", never "bị hỏng". The .xls alike, and a file whose space was reserved but never written (all
    zeros: never "không phải bảng tính Excel"). A pass after the deadline for a file first seen after the
    tolerance does not wait at all."""
    from pipeline import orchestrator
    from pipeline.intake.inbox import intake_pass, read_skipped
    from pipeline.staff.feedback import status_page_path

    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    config = _waiting(config, 0.02)
    period = config.period("2023-6T")
    inbox = tmp_path / "inbox" / "2023-6T"
    inbox.mkdir(parents=True)
    samples = [SAMPLES / "22819_quang_son.xlsx", FIXTURES / "libreoffice_real.xls"]
    for sample in samples:
        assert _writer(sample, inbox / sample.name, 2, pause=0, finish=False).wait(timeout=30) == 0
    (inbox / "22831_nhon_son.xlsx").write_bytes(bytes(28000))  # space reserved, nothing written: all zeros
    at = DEADLINE + dt.timedelta(seconds=20)
    started = time.monotonic()
    new = intake_pass(period, config=config, ledger=ledger, now=at, root=tmp_path, stable_seconds=0.2, final=True)
    assert time.monotonic() - started >= 1.0  # waited for them
    assert sorted((v.original_name, v.unit_code, v.received_at, v.size_bytes) for v in new) == sorted(
        [(s.name, None, at, s.stat().st_size // 2) for s in samples] + [("22831_nhon_son.xlsx", None, at, 28000)])
    assert read_skipped(period, tmp_path) == [] and ledger.sightings("2023-6T") == {}
    orchestrator.intake_period(period, config=config, now=at, workspace=workspace_at(tmp_path))
    page = status_page_path(period, tmp_path).read_text(encoding="utf-8")
    for sample in samples:
        assert f"Tệp {sample.name} bị từ chối: tệp chưa nhận trọn vẹn — mới nhận được" in page
    assert ("Tệp 22831_nhon_son.xlsx bị từ chối: tệp chưa nhận trọn vẹn — mới nhận được 28.000 byte, 512 byte đầu "
            "của tệp toàn số 0") in page
    assert "bị hỏng" not in page and "không phải bảng tính Excel" not in page

    late = SAMPLES / "22825_hoa_son.xlsx"
    assert _writer(late, inbox / late.name, 2, pause=0, finish=False).wait(timeout=30) == 0
    started = time.monotonic()
    assert intake_pass(period, config=_waiting(config, 10), ledger=ledger, now=DEADLINE + dt.timedelta(minutes=5),
                       root=tmp_path, stable_seconds=0.2, final=True) == []
    assert time.monotonic() - started < 5  # first seen after the tolerance: late whatever happens; not waited for
    assert [e["name"] for e in read_skipped(period, tmp_path)] == [late.name]


def test_a_replaced_file_is_seen_anew(config, tmp_path):
    """A half file seen at 23:50, then replaced (another file under the same name) at 00:05: its first sighting
    is the replacement's, so the whole file taken then is late."""
    from pipeline.intake.inbox import intake_pass

    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    config = _waiting(config, 30)
    period = config.period("2023-6T")
    inbox = tmp_path / "inbox" / "2023-6T"
    inbox.mkdir(parents=True)
    sample = SAMPLES / "22831_nhon_son.xlsx"
    (inbox / sample.name).write_bytes(sample.read_bytes()[:5000])
    assert intake_pass(period, config=config, ledger=ledger, now=DEADLINE - dt.timedelta(minutes=10),
                       root=tmp_path) == []
    replacement = inbox / "moi.tmp"
    replacement.write_bytes(sample.read_bytes())
    os.replace(replacement, inbox / sample.name)
    later = DEADLINE + dt.timedelta(minutes=5)
    (v,) = intake_pass(period, config=config, ledger=ledger, now=later, root=tmp_path)
    assert (v.unit_code, v.received_at, v.on_time) == ("22831", later, False)


def test_the_same_bytes_under_another_name_are_named_not_taken_twice(config, tmp_path):
    """Ma Nới's workbook dropped as two names: one version (the first in order of arrival), and the other name
    is listed with the reason — in the pass that took both and in every later one."""
    from pipeline.intake.inbox import intake_pass, read_skipped

    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    period = config.period("2023-6T")
    inbox = tmp_path / "inbox" / "2023-6T"
    drop([SAMPLES / "22828_ma_noi.xlsx"], inbox, sent_at=dt.datetime(2023, 5, 3, 7, 0, tzinfo=HCM))
    shutil.copyfile(inbox / "22828_ma_noi.xlsx", inbox / "ban_sao.xlsx")
    os.utime(inbox / "ban_sao.xlsx", (BEFORE_DEADLINE.timestamp(),) * 2)
    reason = ("Cùng nội dung (từng byte) với tệp 22828_ma_noi.xlsx đã nhận lúc 03/05/2023 08:00: không tạo phiên "
              "bản mới. Nếu đây là báo cáo đã sửa, hãy lưu lại các thay đổi rồi gửi lại.")
    (v,) = intake_pass(period, config=config, ledger=ledger, now=BEFORE_DEADLINE, root=tmp_path)
    assert (v.original_name, v.unit_code) == ("22828_ma_noi.xlsx", "22828")
    assert read_skipped(period, tmp_path) == [{"name": "ban_sao.xlsx", "reason": reason}]
    assert intake_pass(period, config=config, ledger=ledger, now=BEFORE_DEADLINE + dt.timedelta(hours=1),
                       root=tmp_path) == []
    assert read_skipped(period, tmp_path) == [{"name": "ban_sao.xlsx", "reason": reason}]


def test_an_office_workbook_is_attributed_while_the_office_reports(config, tmp_path):
    """The Labour office's sample is its own (LDTB) for 2023-6T; for 2025-9T, after the district offices ended on
    30/06/2025, it is attributed to no one and its findings say why (validation of unattributed files)."""
    from pipeline.files import sha256_of
    from pipeline.intake.inbox import peek_unit

    path = ROOT / "samples" / "2023-6T" / "LDTB_co_quan.xlsx"
    for period, expected in (("2023-6T", "LDTB"), ("2025-9T", None)):
        assert peek_unit(path, config, sha256=sha256_of(path), period=config.period(period), file_name=path.name,
                         root=tmp_path) == expected
