"""Findings (pipeline/findings.py): one line per finding, the split of a description, an outcome's counts and verdict,
masking for district-facing pages and the findings file's round trip."""

from __future__ import annotations

import json
import stat

import pytest

from pipeline.findings import (
    ERROR,
    WARNING,
    Finding,
    ValidationOutcome,
    read_outcome,
    split_description,
)
from pipeline.schema import MASK, SHEET_GENERAL, SHEET_ROSTER, shown_lists
from pipeline.status import VersionStatus

SHA = "ab" * 32


def _outcome(*findings: Finding, system_error: str | None = None) -> ValidationOutcome:
    return ValidationOutcome(file="22828_ma_noi.xlsx", sha256=SHA, unit_code="22828", period="2023-6T",
                             findings=list(findings), system_error=system_error)


def test_a_cell_finding_reads_as_one_line_naming_file_sheet_row_column_and_value():
    """A finding on a cell names the file, sheet, row, column and value, then the message and how to fix it."""
    f = Finding(ERROR, SHEET_ROSTER, 7, "Số nhân khẩu", "0", "Số nhân khẩu phải từ 1 đến 30.", "Ghi số người.")
    assert f.as_text("22828_ma_noi.xlsx") == (
        "[LỖI] tệp 22828_ma_noi.xlsx, sheet 'Danh sách hộ NCC', dòng 7, cột 'Số nhân khẩu' — giá trị: '0'. "
        "Số nhân khẩu phải từ 1 đến 30. Cách sửa: Ghi số người.")


def test_an_empty_cell_reads_trong_and_a_warning_is_upper_cased():
    """A blank value in a row reads "(trống)"; a warning's severity is written "CẢNH BÁO"; no fix, no "Cách sửa"."""
    f = Finding(WARNING, SHEET_GENERAL, 7, "Người lập biểu", "", "Chưa ghi người lập biểu.")
    assert f.as_text() == ("[CẢNH BÁO] sheet 'Thông tin chung', dòng 7, cột 'Người lập biểu' — giá trị: (trống). "
                           "Chưa ghi người lập biểu.")


def test_a_whole_file_or_whole_sheet_finding_shows_no_value():
    """Without a sheet, or without a row and a value, no "giá trị" part is written; a sheet-level value is."""
    whole_file = Finding(ERROR, "", None, "", "bao_cao.xlsx", "Không đọc được tệp.", "Lưu lại dạng .xlsx.")
    assert whole_file.as_text("bao_cao.xlsx") == ("[LỖI] tệp bao_cao.xlsx. Không đọc được tệp. "
                                                  "Cách sửa: Lưu lại dạng .xlsx.")
    whole_sheet = Finding(ERROR, SHEET_ROSTER, None, "Mã hộ", "", "Thiếu cột 'Mã hộ'.")
    assert whole_sheet.as_text() == "[LỖI] sheet 'Danh sách hộ NCC', cột 'Mã hộ'. Thiếu cột 'Mã hộ'."
    sheet_value = Finding(WARNING, SHEET_ROSTER, None, "Thôn", "Thôn 5", "Thôn không có trong danh sách.")
    assert sheet_value.as_text() == ("[CẢNH BÁO] sheet 'Danh sách hộ NCC', cột 'Thôn' — giá trị: 'Thôn 5'. "
                                     "Thôn không có trong danh sách.")


@pytest.mark.parametrize(("description", "parts"), [
    ("Mã hộ bị trùng. Cách sửa: Mỗi hộ một dòng.", ("Mã hộ bị trùng.", "Mỗi hộ một dòng.")),
    ("  Số hộ nghèo vượt tổng số hộ.  ", ("Số hộ nghèo vượt tổng số hộ.", "")),
    ("A. Cách sửa: B. Cách sửa: C.", ("A.", "B. Cách sửa: C.")),
])
def test_split_description_at_the_first_cach_sua(description, parts):
    """An expectation's description splits at its first " Cách sửa: " into (what is wrong, how to fix it), trimmed."""
    assert split_description(description) == parts


def test_counts_and_verdict_of_an_outcome():
    """Errors and warnings are counted by severity; any error is ``invalid``, warnings alone are ``valid``, and a
    system error is ``error`` whatever the findings."""
    err = Finding(ERROR, SHEET_ROSTER, 5, "Mã hộ", "", "Thiếu mã hộ.")
    warn = Finding(WARNING, SHEET_GENERAL, 7, "Người lập biểu", "", "Chưa ghi.")
    assert (_outcome().errors, _outcome().warnings, _outcome().status) == (0, 0, VersionStatus.VALID)
    assert (_outcome(warn, warn).warnings, _outcome(warn, warn).status) == (2, VersionStatus.VALID)
    mixed = _outcome(err, warn, err)
    assert (mixed.errors, mixed.warnings, mixed.status) == (2, 1, VersionStatus.INVALID)
    assert _outcome(system_error="zipfile.BadZipFile").status == VersionStatus.ERROR
    assert _outcome(warn, system_error="TypeError").status == VersionStatus.ERROR


def test_masked_hides_personal_values_and_unknown_columns(config):
    """A name in "Họ và tên chủ hộ" and a name quoted in the message read "(ẩn)"; a number in "Số nhân khẩu"
    stays, a name typed there does not; a column label that is no template header is hidden too."""
    lists = shown_lists(config)
    name = Finding(ERROR, SHEET_ROSTER, 7, "Họ và tên chủ hộ", "Nguyễn Văn A", "Tên 'Nguyễn Văn A' bị trùng.",
                   "Sửa.", "duplicate")
    assert name.masked(lists) == Finding(ERROR, SHEET_ROSTER, 7, "Họ và tên chủ hộ", MASK, "Tên '(ẩn)' bị trùng.",
                                         "Sửa.", "duplicate")
    count = Finding(ERROR, SHEET_ROSTER, 7, "Số nhân khẩu", "5", "Số nhân khẩu của xã 'Ma Nới' sai.")
    assert count.masked(lists) == count
    assert Finding(ERROR, SHEET_ROSTER, 7, "Số nhân khẩu", "Nguyễn", "m").masked(lists).value == MASK
    assert Finding(ERROR, SHEET_ROSTER, 7, "Ghi chú riêng", "", "m").masked(lists).column == MASK


def test_outcome_json_round_trip_and_older_files():
    """to_json gives the verdict and counts beside the findings; from_json reads it back, and a file written before
    ``system_error`` existed reads as no system error."""
    err = Finding(ERROR, SHEET_ROSTER, 5, "Mã hộ", "", "Thiếu mã hộ.", "Ghi mã hộ.", "not_null")
    data = _outcome(err).to_json()
    assert data == {"file": "22828_ma_noi.xlsx", "sha256": SHA, "unit_code": "22828", "period": "2023-6T",
                    "status": "invalid", "errors": 1, "warnings": 0,
                    "findings": [{"severity": "lỗi", "sheet": "Danh sách hộ NCC", "row": 5, "column": "Mã hộ",
                                  "value": "", "message": "Thiếu mã hộ.", "fix": "Ghi mã hộ.", "rule": "not_null"}],
                    "system_error": None}
    assert ValidationOutcome.from_json(data) == _outcome(err)
    del data["system_error"]
    assert ValidationOutcome.from_json(data).system_error is None


def test_findings_file_is_private_utf8_without_suite_results(tmp_path, monkeypatch):
    """The findings file is UTF-8 JSON (Vietnamese unescaped), owner-only, the same bytes when written again, and
    keeps no Great Expectations results; read_outcome gives the outcome back."""
    monkeypatch.delenv("PIPELINE_SHARE_GROUP", raising=False)
    outcome = _outcome(Finding(WARNING, SHEET_GENERAL, 7, "Người lập biểu", "", "Chưa ghi người lập biểu."))
    outcome.suite_results = [{"suite": "general", "sheet": SHEET_GENERAL, "result": {"success": False}}]
    path = outcome.write(tmp_path / "findings" / f"{SHA}.json")
    first = path.read_bytes()
    assert "Chưa ghi người lập biểu." in first.decode("utf-8")
    assert set(json.loads(first)) == {"file", "sha256", "unit_code", "period", "status", "errors", "warnings",
                                      "findings", "system_error"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert outcome.write(path).read_bytes() == first
    back = read_outcome(path)
    assert back == outcome and back.suite_results == []


def test_an_offices_finding_shows_its_codes_and_figures_not_its_people(config):
    """On the offices' sheets a commune code, an amount and a document number are shown; the preparer's name and an
    activity's free text are not; the column header stays."""
    from pipeline import schema
    from pipeline.findings import ERROR, Finding

    lists = schema.shown_lists(config)

    def shown(sheet, column, value):
        f = Finding(ERROR, sheet, 5, column, value, "Sai.", "Sửa.", "rule").masked(lists)
        return f.column, f.value

    assert shown("Hỗ trợ theo xã", "Mã xã", "22899") == ("Mã xã", "22899")
    assert shown("Vốn vay", "Dư nợ (đồng)", "28.150.000.000") == ("Dư nợ (đồng)", "28.150.000.000")
    assert shown("Văn bản", "Số, ký hiệu", "382/LĐTBXH") == ("Số, ký hiệu", "382/LĐTBXH")
    assert shown("Thông tin cơ quan", "Người lập biểu", "Trần Văn Hùng") == ("Người lập biểu", "(ẩn)")
    assert shown("Hoạt động", "Nội dung hoạt động", "Thăm hộ ông Nguyễn Văn Bảy") == ("Nội dung hoạt động", "(ẩn)")
    assert shown("Vốn vay", "Ô lạ", "1") == ("(ẩn)", "(ẩn)")
