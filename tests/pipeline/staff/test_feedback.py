"""Feedback staff can act on (pipeline/staff/feedback.py): the annotated copy of a unit's workbook and the period's
status page, built from small workbooks and ledgers written here."""

from __future__ import annotations

import datetime as dt
import shutil
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import Workbook, load_workbook

from pipeline.findings import ERROR, WARNING, Finding, ValidationOutcome
from pipeline.ledger.store import Ledger
from pipeline.paths import findings_path
from pipeline.schema import SHEET_GENERAL, SHEET_ROSTER
from pipeline.staff.feedback import RED, YELLOW, write_annotated, write_status_page

SHA = "ab" * 32
RECEIVED = dt.datetime(2023, 5, 2, 2, 0, tzinfo=dt.UTC)  # 09:00 in Ninh Sơn
NOW = dt.datetime(2023, 5, 5, 1, 30, tzinfo=dt.UTC)  # 08:30


@pytest.fixture
def workbook(tmp_path) -> Path:
    """A two-sheet workbook: the unit's code and period on "Thông tin chung", a two-household roster whose B6 holds
    the text "=1+1" (typed as text, not a formula)."""
    wb = Workbook()
    general = wb.active
    general.title = SHEET_GENERAL
    general["A1"] = "BÁO CÁO KẾT QUẢ GIẢM NGHÈO"
    general["A4"], general["B4"] = "Mã đơn vị (mã hành chính)", "22828"
    general["A6"], general["B6"] = "Kỳ báo cáo", "2023-9T"
    roster = wb.create_sheet(SHEET_ROSTER)
    for col, header in enumerate(("STT", "Mã hộ", "Số nhân khẩu"), start=1):
        roster.cell(4, col, header)
    roster.append([1, "22828-0001", 0])
    roster.append([2, "=1+1", 3])
    roster["B6"].data_type = "s"
    path = tmp_path / "22828_ma_noi.xlsx"
    wb.save(path)
    return path


def _version(path: Path, unit: str | None = "22828", version: int | None = 1):
    return SimpleNamespace(unit_code=unit, version=version, sha256=SHA, archive_path=str(path),
                           original_name="22828 ma noi.xlsx")


def _annotated(config, tmp_path, path: Path, *findings: Finding, unit: str | None = "22828"):
    outcome = ValidationOutcome("22828 ma noi.xlsx", SHA, unit, "2023-6T", list(findings))
    return write_annotated(_version(path, unit, 1 if unit else None), outcome, period=config.period("2023-6T"),
                           root=tmp_path / "data", author=config.words()["office_abbr"])


def _comments(ws) -> dict[str, tuple[str, str]]:
    return {c.coordinate: (c.comment.text, c.fill.fgColor.rgb[-6:]) for row in ws.iter_rows() for c in row
            if c.comment is not None}


def test_annotated_copy_is_the_units_workbook_with_a_list_of_findings_first(config, tmp_path, workbook, monkeypatch):
    """The copy is written owner-only at feedback/<period>/<unit>/v<N>-<sha8>-gop-y.xlsx with the sheet "Góp ý"
    first: a title with the counts, the header row and one row per finding."""
    monkeypatch.delenv("PIPELINE_SHARE_GROUP", raising=False)
    out = _annotated(config, tmp_path, workbook,
                     Finding(ERROR, SHEET_ROSTER, 5, "Số nhân khẩu", "0", "Số nhân khẩu phải từ 1.", "Ghi số người."),
                     Finding(WARNING, SHEET_GENERAL, 7, "Người lập biểu", "", "Chưa ghi người lập biểu."))
    assert out == tmp_path / "data" / "feedback" / "2023-6T" / "22828" / "v1-abababab-gop-y.xlsx"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    wb = load_workbook(out)
    assert wb.sheetnames == ["Góp ý", SHEET_GENERAL, SHEET_ROSTER]
    assert [[c.value for c in row] for row in wb["Góp ý"].iter_rows()] == [
        ["Kết quả kiểm tra tệp 22828 ma noi.xlsx (SHA-256 abababababab): 1 lỗi, 1 cảnh báo"] + [None] * 6,
        ["Mức độ", "Sheet", "Dòng", "Cột", "Giá trị", "Vấn đề", "Cách sửa"],
        ["lỗi", SHEET_ROSTER, 5, "Số nhân khẩu", "0", "Số nhân khẩu phải từ 1.", "Ghi số người."],
        ["cảnh báo", SHEET_GENERAL, 7, "Người lập biểu", None, "Chưa ghi người lập biểu.", None],
    ]
    assert wb["Góp ý"]["A1"].font.b is True


def test_a_failing_roster_cell_is_filled_and_commented(config, tmp_path, workbook):
    """A finding on a header's column gets the cell at its row filled red with "[LỖI] message / Cách sửa: fix"; a
    warning alone fills yellow; a finding on no row or on a sheet the file lacks marks no cell."""
    out = _annotated(config, tmp_path, workbook,
                     Finding(ERROR, SHEET_ROSTER, 5, "Số nhân khẩu", "0", "Số nhân khẩu phải từ 1.", "Ghi số người."),
                     Finding(WARNING, SHEET_ROSTER, 6, "Mã hộ", "=1+1", "Mã hộ không đúng dạng."),
                     Finding(ERROR, SHEET_ROSTER, None, "Thôn", "", "Thiếu cột 'Thôn'."),
                     Finding(ERROR, "Thành viên NCC", 5, "Mã hộ", "", "Thiếu mã hộ."))
    wb = load_workbook(out)
    assert _comments(wb[SHEET_ROSTER]) == {
        "C5": ("[LỖI] Số nhân khẩu phải từ 1.\nCách sửa: Ghi số người.", RED),
        "B6": ("[CẢNH BÁO] Mã hộ không đúng dạng.", YELLOW),
    }
    assert wb[SHEET_ROSTER]["C5"].comment.author == "Phòng LĐ-TB&XH"


def test_two_findings_on_one_cell_share_its_comment(config, tmp_path, workbook):
    """A second finding on the same cell is appended to its comment after a blank line."""
    out = _annotated(config, tmp_path, workbook,
                     Finding(ERROR, SHEET_ROSTER, 5, "Số nhân khẩu", "0", "Số nhân khẩu phải từ 1.", "Ghi số người."),
                     Finding(ERROR, SHEET_ROSTER, 5, "Số nhân khẩu", "0", "Số nhân khẩu nhỏ hơn số thành viên NCC."))
    text, _ = _comments(load_workbook(out)[SHEET_ROSTER])["C5"]
    assert text == ("[LỖI] Số nhân khẩu phải từ 1.\nCách sửa: Ghi số người.\n\n"
                    "[LỖI] Số nhân khẩu nhỏ hơn số thành viên NCC.")


def test_text_that_looks_like_a_formula_stays_text(config, tmp_path, workbook):
    """"=1+1" typed as text in the workbook and a finding's value "=HYPERLINK(…)" are written as text, never as
    formulas."""
    out = _annotated(config, tmp_path, workbook,
                     Finding(ERROR, SHEET_ROSTER, 6, "Mã hộ", '=HYPERLINK("http://x")', "Mã hộ không đúng dạng."))
    wb = load_workbook(out)
    assert (wb[SHEET_ROSTER]["B6"].value, wb[SHEET_ROSTER]["B6"].data_type) == ("=1+1", "s")
    assert (wb["Góp ý"]["E3"].value, wb["Góp ý"]["E3"].data_type) == ('=HYPERLINK("http://x")', "s")


def test_a_file_that_is_no_workbook_gets_a_list_only(config, tmp_path):
    """A file openpyxl cannot open gives a workbook of the sheet "Góp ý" alone; an unattributed version goes under
    khong-xac-dinh as v0."""
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    out = _annotated(config, tmp_path, junk, Finding(ERROR, "", None, "", "", "Tệp không phải Excel.", "Gửi lại."),
                     unit=None)
    assert out == tmp_path / "data" / "feedback" / "2023-6T" / "khong-xac-dinh" / "v0-abababab-gop-y.xlsx"
    wb = load_workbook(out)
    assert wb.sheetnames == ["Góp ý"]
    assert [c.value for c in wb["Góp ý"][3]] == ["lỗi", None, None, None, None, "Tệp không phải Excel.", "Gửi lại."]


def test_an_annotated_copy_sent_back_gets_a_fresh_list(config, tmp_path, workbook):
    """A workbook that already holds a "Góp ý" sheet (a unit resent the annotated copy) has it replaced, not
    duplicated."""
    first = _annotated(config, tmp_path, workbook, Finding(ERROR, SHEET_ROSTER, 5, "Số nhân khẩu", "0", "Sai."))
    resent = tmp_path / "resent.xlsx"
    shutil.copyfile(first, resent)
    again = load_workbook(_annotated(config, tmp_path, resent))
    assert again.sheetnames == ["Góp ý", SHEET_GENERAL, SHEET_ROSTER]
    assert again["Góp ý"].max_row == 2


def test_a_label_finding_marks_its_value_cell(config, tmp_path, workbook):
    """On "Thông tin chung" (label in column A, value in B) a finding on the label's row marks the value's cell B."""
    out = _annotated(config, tmp_path, workbook,
                     Finding(ERROR, SHEET_GENERAL, 6, "Kỳ báo cáo", "2023-9T", "Kỳ báo cáo không khớp.", "Ghi lại."))
    assert list(_comments(load_workbook(out)[SHEET_GENERAL])) == ["B6"]


def test_an_error_cell_stays_red_when_a_warning_follows(config, tmp_path, workbook):
    """A cell with an error is filled red even when a warning on the same cell comes after it."""
    out = _annotated(config, tmp_path, workbook,
                     Finding(ERROR, SHEET_ROSTER, 5, "Số nhân khẩu", "0", "Số nhân khẩu phải từ 1."),
                     Finding(WARNING, SHEET_ROSTER, 5, "Số nhân khẩu", "0", "Hộ một người?"))
    assert _comments(load_workbook(out)[SHEET_ROSTER])["C5"][1] == RED


# --- the status page ------------------------------------------------------------------------------------------------


def _register(ledger: Ledger, tag: str, unit: str | None, *, received: dt.datetime = RECEIVED):
    return ledger.register(period="2023-6T", unit_code=unit, original_name=f"{tag}.xlsx", sha256=tag * 64,
                           size_bytes=10, found_at=received, file_mtime=received, on_time=True,
                           archive_path=f"/archive/{tag}.xlsx")


def _judge(ledger: Ledger, v, root: Path, period, *findings: Finding, system_error: str | None = None):
    outcome = ValidationOutcome(v.original_name, v.sha256, v.unit_code, "2023-6T", list(findings), system_error)
    path = outcome.write(findings_path(period, v.sha256, root))
    ledger.record_validation(v.id, status=outcome.status, errors=outcome.errors, warnings=outcome.warnings,
                             findings_path=str(path), fingerprint=None, validated_at=NOW)


@pytest.fixture(scope="module")
def page(config, tmp_path_factory) -> Path:
    """The status page of 2023-6T written from a ledger where Tân Sơn is valid with a warning naming a head of
    household, Lâm Sơn's version 2 failed beside a valid version 1, Lương Sơn's file hit a system error, an outlier
    of Ma Nới was accepted, and one file could not be attributed; the four others sent nothing."""
    period = config.period("2023-6T")
    tmp_path = tmp_path_factory.mktemp("status")
    ledger = Ledger(f"sqlite:///{tmp_path / 'work' / 'ledger.sqlite'}")
    _judge(ledger, _register(ledger, "a", "22810"), tmp_path, period,
           Finding(WARNING, SHEET_ROSTER, 5, "Họ và tên chủ hộ", "Nguyễn Văn Tám", "Tên chủ hộ viết thường."))
    _judge(ledger, _register(ledger, "b", "22813"), tmp_path, period)
    _judge(ledger, _register(ledger, "c", "22813", received=RECEIVED + dt.timedelta(hours=1)), tmp_path, period,
           Finding(ERROR, SHEET_ROSTER, 6, "Số nhân khẩu", "0", "Số nhân khẩu phải từ 1.", "Ghi số người."))
    _judge(ledger, _register(ledger, "d", "22816"), tmp_path, period,
           Finding(ERROR, "", None, "", "", "Lỗi hệ thống."), system_error="zipfile.BadZipFile")
    ledger.accept_outlier(period="2023-6T", unit_code="22828", indicator="poor_households",
                          justification="Sáp nhập thôn", accepted_by="Trần Thị Hoa", accepted_at=NOW)
    _judge(ledger, _register(ledger, "e", "22828"), tmp_path, period)
    _judge(ledger, _register(ledger, "f", None), tmp_path, period,
           *[Finding(ERROR, SHEET_GENERAL, 4, "Mã đơn vị (mã hành chính)", "", f"Lỗi {i}.") for i in range(1, 8)])
    return write_status_page(period, config=config, ledger=ledger, now=NOW, root=tmp_path)


def test_status_page_is_public_html_at_its_place(page):
    """The page is reports/2023/6T/trang-thai-2023-6T.html, readable by all (0644), dated in local time."""
    assert page.parts[-4:] == ("reports", "2023", "6T", "trang-thai-2023-6T.html")
    assert stat.S_IMODE(page.stat().st_mode) == 0o644
    html = page.read_text(encoding="utf-8")
    assert "<title>Tình hình nhận báo cáo kỳ 6 tháng đầu năm 2023</title>" in html
    assert "Hạn nộp: trước 05/05/2023 00:00. Cập nhật lúc 05/05/2023 08:30." in html


def test_status_page_words_each_units_state(page):
    """Valid, a failed newer version beside a valid one, a system error and nothing received each read as such: four
    communes and the six offices sent nothing."""
    html = page.read_text(encoding="utf-8")
    assert '<td class="valid">Hợp lệ</td>' in html
    assert ('<td class="invalid">Phiên bản 2: có lỗi, cần gửi lại; báo cáo tạm dùng phiên bản 1 (hợp lệ)</td>'
            in html)
    assert '<td class="error">Lỗi hệ thống — cán bộ huyện đã được báo</td>' in html
    assert html.count("Chưa nhận được tệp nào.") == 4 + 6
    # the Front and the bank are only requested to report: not missing
    assert html.count('<td class="not-required">Chưa gửi (không bắt buộc)</td>') == 2
    assert html.count("Đơn vị được đề nghị báo cáo, không tính là thiếu.</td>") == 2


def test_status_page_masks_personal_values(page):
    """A head of household's name in a finding reads "(ẩn)"; a number in a non-personal column is shown."""
    html = page.read_text(encoding="utf-8")
    assert "Nguyễn Văn Tám" not in html
    assert "<td>Họ và tên chủ hộ</td>\n<td>(ẩn)</td>" in html
    assert "<td>Số nhân khẩu</td>\n<td>0</td>" in html


def test_status_page_lists_system_errors_acceptances_and_unattributed_files(page):
    """District staff find the crashed file with its unit and exception type, the accepted outlier with who, when
    and why, and the unattributed file with its first five errors and how many more."""
    html = page.read_text(encoding="utf-8")
    assert ("<td>d.xlsx<br><small>SHA-256 dddddddddddd</small></td><td>xã Lương Sơn (22816)</td><td>1</td>\n"
            "<td>02/05/2023 09:00</td><td>05/05/2023 08:30</td><td>zipfile.BadZipFile</td>") in html
    assert ('Số liệu bất thường của chỉ tiêu “Số hộ nghèo” đã được Trần Thị Hoa chấp nhận lúc 05/05/2023 08:30, '
            "lý do: Sáp nhập thôn") in html
    assert "f.xlsx (nhận lúc 02/05/2023 09:00, SHA-256 ffffffffffff)" in html
    assert "Lỗi 5." in html and "Lỗi 6." not in html and "<li>… và 2 lỗi khác.</li>" in html


def test_status_page_says_what_the_report_would_lack(page):
    """The preflight on the page: Lương Sơn (not checked), the four communes and four required offices that sent
    nothing, and the three configuration facts not set; the report's own number and date are not listed there."""
    html = page.read_text(encoding="utf-8")
    assert ("<p>Kiểm tra trước khi lập báo cáo: 9 đơn vị, cơ quan chưa có báo cáo hợp lệ; 3 thông tin cấu hình chưa "
            "ghi (python -m pipeline preflight).</p>") in html
    assert "<li>Xã Lương Sơn (22816): chưa có báo cáo hợp lệ — tệp chưa kiểm tra được" in html
    assert html.count("chưa có báo cáo hợp lệ — chưa nhận được tệp nào.</li>") == 8
    assert "điền khi ban hành" not in html
