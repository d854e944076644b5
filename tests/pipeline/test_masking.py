"""Personal data by value: district-facing outputs show a cell only when its column is allowed and the value
has that column's shape; a name typed into any column of any sheet never reaches them."""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import shutil
import unicodedata
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline import schema
from pipeline.findings import ERROR, Finding, read_outcome
from tests.helpers import workspace_at

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "2023-6T"
HCM = dt.timezone(dt.timedelta(hours=7))
NAME = "Nguyễn Thị Hồng Nhung"


@pytest.fixture(scope="module")
def lists(config):
    """The listed values of the project's configuration."""
    return schema.shown_lists(config)


@pytest.mark.parametrize(("sheet", "column", "value", "shown"), [
    (schema.SHEET_ROSTER, "Mã hộ", "22828-0003", True),
    (schema.SHEET_ROSTER, "Mã hộ", NAME, False),
    (schema.SHEET_ROSTER, "Mã hộ", "0912345678", False),  # a phone number is no household code
    (schema.SHEET_MEMBERS, "Mã hộ", "22828-0003", True),
    (schema.SHEET_ROSTER, "Số nhân khẩu", "-3", True),
    (schema.SHEET_ROSTER, "Số nhân khẩu", "bốn", False),
    (schema.SHEET_ROSTER, "Thu nhập bình quân (đồng/người/tháng)", "1.500.000 đ", True),
    (schema.SHEET_ROSTER, "Thu nhập bình quân (đồng/người/tháng)", "1500000", True),
    (schema.SHEET_ROSTER, "Thu nhập bình quân (đồng/người/tháng)", "1,5 triệu", False),
    (schema.SHEET_ROSTER, "Ngày quyết định", "31/02/2023", True),
    (schema.SHEET_ROSTER, "Ngày quyết định", "tháng 3", False),
    (schema.SHEET_ROSTER, "Số quyết định của UBND xã", "15/QĐ-UBND", True),
    (schema.SHEET_ROSTER, "Số quyết định của UBND xã", "Ông Ba ký", False),
    (schema.SHEET_ROSTER, "Thiếu hụt: Việc làm", "x", True),
    (schema.SHEET_ROSTER, "Thiếu hụt: Việc làm", "xx", False),
    (schema.SHEET_ROSTER, "Phân loại tại ngày chốt", "Cận nghèo", True),
    (schema.SHEET_ROSTER, "Phân loại tại ngày chốt", "nghèo lắm", False),
    (schema.SHEET_ROSTER, "Loại biến động", "Thoát nghèo", True),
    (schema.SHEET_ROSTER, "Dân tộc", "Kinh", False),  # personal whatever the value
    (schema.SHEET_ROSTER, "Diện NCC (Pháp lệnh 02/2020)", "g", False),
    (schema.SHEET_MEMBERS, "Diện NCC (Pháp lệnh 02/2020)", "tn", False),
    (schema.SHEET_ROSTER, "Họ và tên chủ hộ", "Huỳnh Văn Lan", False),
    (schema.SHEET_ROSTER, "Thôn", "Thôn 5", False),  # free text
    (schema.SHEET_MEMBERS, "Quan hệ với chủ hộ", "Con", True),
    (schema.SHEET_GENERAL, "Mã đơn vị (mã hành chính)", "22828", True),
    (schema.SHEET_GENERAL, "MÃ ĐƠN VỊ (mã hành chính):", "22828", True),  # header as printed, other case
    (schema.SHEET_GENERAL, "Tên đơn vị", "Xã Ma Nối", True),  # a configured alias
    (schema.SHEET_GENERAL, "Tên đơn vị", NAME, False),
    (schema.SHEET_GENERAL, "Kỳ báo cáo", "2023-9T", True),
    (schema.SHEET_GENERAL, "Người lập biểu", "Đỗ Ngọc An", False),
    (schema.SHEET_GENERAL, "Số điện thoại", "02599914412", False),
    (schema.SHEET_GENERAL, "Ngày lập", "03/05/2023", True),
    (schema.SHEET_SUMMARY, "Tại ngày 01/01", "1.551", True),
    (schema.SHEET_SUMMARY, "Chỉ tiêu", "Số hộ nghèo", True),
    (schema.SHEET_NARRATIVE, "Kết quả đạt được", "12", False),
    ("", "", "bao-cao.xlsx", False),  # a finding about the whole file
])
def test_value_shown_only_with_allowed_column_and_shape(lists, sheet, column, value, shown):
    """Each column shows only values of its own shape; personal and free-text columns show nothing."""
    assert schema.shown_value(sheet, column, value, lists) == (value if shown else "(ẩn)")
    finding = Finding(ERROR, sheet, 5, column, value, "Giá trị không đọc được.")
    assert finding.masked(lists).value == (value if shown else "(ẩn)")


def test_every_field_is_classified():
    """Every field of every sheet is on the allow-list with a shape or hidden on purpose: none by accident."""
    fields = {(sheet, f.key) for sheet, fs in schema.FIELDS_BY_SHEET.items() for f in fs}
    assert not schema.HIDDEN_FIELDS & set(schema.SHOWN_FIELDS)
    assert fields == schema.HIDDEN_FIELDS | set(schema.SHOWN_FIELDS)
    assert schema.SHOWN_FIELDS[(schema.SHEET_ROSTER, "household_code")] == "household_code"
    assert (schema.SHEET_ROSTER, "ethnicity") in schema.HIDDEN_FIELDS
    assert (schema.SHEET_MEMBERS, "category") in schema.HIDDEN_FIELDS
    assert (schema.SHEET_GENERAL, "preparer") in schema.HIDDEN_FIELDS
    assert schema.SHOWN_FIELDS[(schema.SHEET_GENERAL, "unit_code")] == "unit_code"
    assert len(schema.SHOWN_FIELDS) == 42 and len(schema.HIDDEN_FIELDS) == 13


def test_message_and_column_are_masked_too(lists):
    """A quoted sample of legacy-encoded text and a label taken from an arbitrary row are hidden; sheet
    names, template headers, indicator labels and unit names stay."""
    f = Finding(ERROR, schema.SHEET_GENERAL, 12, "Nguyễn Văn Ba", "=A1",
                "Tệp a.xlsx, sheet 'Danh sách hộ NCC' (dòng 5, ví dụ 'NguyÔn ThÞ Hång') được gõ bằng bảng mã "
                "TCVN3 cũ; thiếu cột 'Mã hộ'; chỉ tiêu 'Số hộ nghèo'; theo tên 'Ma Nới'.", "Sửa 'cột B'.")
    m = f.masked(lists)
    assert m.column == "(ẩn)" and m.value == "(ẩn)"
    assert m.message == ("Tệp a.xlsx, sheet 'Danh sách hộ NCC' (dòng 5, ví dụ '(ẩn)') được gõ bằng bảng mã TCVN3 "
                         "cũ; thiếu cột 'Mã hộ'; chỉ tiêu 'Số hộ nghèo'; theo tên 'Ma Nới'.")
    assert m.fix == "Sửa 'cột B'."
    assert Finding(ERROR, schema.SHEET_ROSTER, 9, "cột AK", "1", "x").masked(lists).column == "cột AK"


# --- A name in every column of every sheet -------------------------------------------------------------

def _poison_targets() -> list[tuple[str, schema.Field]]:
    return [(sheet, f) for sheet, fields in schema.FIELDS_BY_SHEET.items() for f in fields]


def _poison(path: Path, targets: list[tuple[str, schema.Field]], value: str) -> dict[tuple[str, str], int]:
    """Type ``value`` into a data cell of each target column (label/value sheets: the value cell of the
    label); returns the Excel row used per (sheet, key)."""
    wb = load_workbook(path)
    used = {}
    for i, (sheet, f) in enumerate(targets):
        ws = wb[sheet]
        if sheet in (schema.SHEET_GENERAL, schema.SHEET_NARRATIVE):
            row = next(r for r in range(1, ws.max_row + 1)
                       if schema.normalize_label(ws.cell(r, 1).value) == schema.normalize_label(f.header))
            ws.cell(row, 2, value)
        else:
            header_row = schema.SUMMARY_HEADER_ROW if sheet == schema.SHEET_SUMMARY else schema.ROSTER_HEADER_ROW
            col = next(c.column for c in ws[header_row] if c.value == f.header)
            rows = [r for r in range(header_row + 1, ws.max_row + 1) if ws.cell(r, 2).value not in (None, "")]
            row = rows[i % len(rows)]
            ws.cell(row, col, value)
        used[(sheet, f.key)] = row
    wb.save(path)
    return used


def _submission_holds(sub, sheet: str, key: str, part: str) -> bool:
    """Whether the read submission carries text containing ``part`` in field ``key`` of ``sheet``."""
    if sheet == schema.SHEET_GENERAL:
        return part in str(sub.general.get(key))
    if sheet == schema.SHEET_NARRATIVE:
        return part in str(sub.narrative.get(key))
    frame = {schema.SHEET_ROSTER: sub.roster, schema.SHEET_MEMBERS: sub.members,
             schema.SHEET_SUMMARY: sub.summary}[sheet]
    return key in frame.columns and frame[key].astype(str).str.contains(part).any()


NOT_READ = {(schema.SHEET_SUMMARY, "no"), (schema.SHEET_SUMMARY, "unit"), (schema.SHEET_SUMMARY, "label"),
            (schema.SHEET_MEMBERS, "no")}
"""Columns the reader does not take values from (an unrecognised indicator label leaves its row unread)."""


def test_name_in_every_column_never_reaches_district_outputs(config, tmp_path, monkeypatch, caplog):
    """A name typed into each of the 55 columns and fields (spread over the 8 units' workbooks, each column
    proven read or flagged) is absent from the status page, the Data Docs site, the logs and every dict the
    steps return — in NFC, NFD, escaped or partial form."""
    from pipeline.ledger.store import open_ledger
    from pipeline.orchestrator import gather, intake_period, validate_one
    from pipeline.read.reader import read_submission
    from pipeline.validate.datadocs import build_data_docs

    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    period = config.period("2023-6T")
    inbox = tmp_path / "inbox" / period.code
    inbox.mkdir(parents=True)
    samples = sorted(SAMPLES.glob("*.xlsx"))
    targets = _poison_targets()
    assert len(targets) == 55
    placed: dict[str, list[tuple[str, schema.Field]]] = {}
    for i, target in enumerate(targets):
        placed.setdefault(samples[i % len(samples)].name, []).append(target)
    for src in samples:
        dst = inbox / src.name
        shutil.copyfile(src, dst)
        _poison(dst, placed[src.name], NAME)

    caplog.set_level(logging.INFO)
    now = dt.datetime(2023, 5, 3, 8, 0, tzinfo=HCM)
    returned = [intake_period(period, config=config, now=now, workspace=workspace_at(tmp_path))]
    items = gather(period, config=config, now=now, workspace=workspace_at(tmp_path))
    returned.append(items)
    returned += [validate_one(item, config=config, period=period, now=now,
                              workspace=workspace_at(tmp_path)) for item in items]
    ledger = open_ledger(workspace_at(tmp_path))
    index = build_data_docs(period, config=config, ledger=ledger, root=tmp_path)
    assert index is not None and index.is_file()

    # every poisoned column was exercised: flagged by a finding that holds the name, or read as data
    flagged, read_as_data, not_read = set(), set(), set()
    versions = {Path(v.archive_path).read_bytes(): v for code in [u.code for u in config.units] + [None]
                for v in ledger.versions(period.code, code)}
    assert len(versions) == 8
    for src in samples:
        version = versions[(inbox / src.name).read_bytes()]
        findings = read_outcome(Path(version.findings_path)).findings
        sub = read_submission(Path(version.archive_path), config)
        for sheet, f in placed[src.name]:
            if any(x.sheet == sheet and schema.normalize_label(x.column) == schema.normalize_label(f.header)
                   and "Nhung" in x.value for x in findings):
                flagged.add((sheet, f.key))
            elif _submission_holds(sub, sheet, f.key, "Nhung"):
                read_as_data.add((sheet, f.key))
            else:
                not_read.add((sheet, f.key))
    assert not_read == NOT_READ
    assert flagged | read_as_data | not_read == {(s, f.key) for s, f in targets}
    # columns of numbers, flags, dates, statuses, codes checked against the configuration refuse a name;
    # household codes, decision numbers and relations are not checked for form, so the name is data there
    checked = {k for k, shape in schema.SHOWN_FIELDS.items()
               if shape in ("number", "flag", "date", "status", "change", "unit_code", "period", "unit_name")}
    assert checked - NOT_READ - {(schema.SHEET_ROSTER, "no")} <= flagged
    assert {(schema.SHEET_ROSTER, "household_code"), (schema.SHEET_ROSTER, "decision_number"),
            (schema.SHEET_MEMBERS, "relation")} <= read_as_data
    assert {(schema.SHEET_ROSTER, "head_name"), (schema.SHEET_ROSTER, "village"),
            (schema.SHEET_GENERAL, "preparer"), (schema.SHEET_NARRATIVE, "results")} <= read_as_data

    # nothing district-facing holds the name
    status_page = tmp_path / "reports" / "2023" / "6T" / f"trang-thai-{period.code}.html"
    outputs = {"status page": status_page.read_bytes().decode("utf-8")}
    for p in sorted(index.parent.rglob("*")):
        if p.is_file():
            outputs[f"data docs {p.relative_to(index.parent)}"] = p.read_bytes().decode("utf-8", "replace")
    outputs["logs"] = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    outputs["returned"] = json.dumps(returned, ensure_ascii=False, default=str) + json.dumps(returned, default=str)
    needles = {NAME, unicodedata.normalize("NFD", NAME), html.escape(NAME), json.dumps(NAME)[1:-1], "Nhung",
               "Hồng", unicodedata.normalize("NFD", "Hồng"), "&#7891;ng", "H\\u1ed3ng"}
    leaks = {(where, n) for where, text in outputs.items() for n in needles if n in text}
    assert not leaks
    assert "(ẩn)" in outputs["status page"] and "(ẩn)" in outputs["logs"]
    assert "22828" in outputs["status page"]  # codes stay readable


def test_a_unit_name_misspelt_in_its_tones_is_shown_a_person_s_name_is_not(config):
    """The identity warning's typed name "xã Mà Nơi" differs from xã Ma Nới only in its tone marks: a place,
    shown on the status page so staff see what was typed; a person's name typed there stays hidden."""
    from pipeline.findings import Finding

    typed = Finding("cảnh báo", "Thông tin chung", 4, "Tên đơn vị", "xã Mà Nơi",
                    "Tên đơn vị 'xã Mà Nơi' sai dấu thanh so với mã 22828; đúng là 'xã Ma Nới'.", "", "identity")
    lists = schema.shown_lists(config)
    assert typed.masked(lists).value == "xã Mà Nơi"
    assert typed.masked(lists).message == typed.message
    person = Finding("lỗi", "Thông tin chung", 4, "Tên đơn vị", "Nguyễn Văn Hùng",
                     "Tên đơn vị 'Nguyễn Văn Hùng' không khớp với mã 22828.", "", "identity")
    assert (person.masked(lists).value, person.masked(lists).message) == (
        "(ẩn)", "Tên đơn vị '(ẩn)' không khớp với mã 22828.")
