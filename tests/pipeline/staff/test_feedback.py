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
SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "2023-6T"
MISSPELT = Finding(WARNING, SHEET_GENERAL, 5, "Tên đơn vị", "xã Mạ Nơi",
                   "Tên đơn vị 'xã Mạ Nơi' sai dấu thanh so với mã 22828; đúng là 'xã Ma Nới'.",
                   "Ghi tên đơn vị 'xã Ma Nới'.", "identity")


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


@pytest.fixture
def ma_noi_misspelt(tmp_path) -> Path:
    """Ma Nới's sample workbook (samples/2023-6T) with its unit name typed "xã Mạ Nơi" (wrong tone marks) in B5."""
    path = tmp_path / "22828_ma_noi.xlsx"
    shutil.copyfile(SAMPLES / "22828_ma_noi.xlsx", path)
    wb = load_workbook(path)
    wb[SHEET_GENERAL]["B5"] = "xã Mạ Nơi"
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
        ["Kết quả kiểm tra tệp 22828 ma noi.xlsx (SHA-256 abababababab): 1 lỗi, 1 cảnh báo"] + [None] * 7,
        ["Mức độ", "Sheet", "Dòng", "Cột", "Giá trị", "Vấn đề", "Cách sửa", "Ô cần sửa"],
        ["Lỗi", SHEET_ROSTER, 5, "Số nhân khẩu", "0", "Số nhân khẩu phải từ 1.", "Ghi số người.", "C5"],
        ["Cảnh báo", SHEET_GENERAL, 7, "Người lập biểu", None, "Chưa ghi người lập biểu.", None, "B7"],
    ]
    assert wb["Góp ý"]["A1"].font.b is True
    assert [wb["Góp ý"][c].hyperlink.location for c in ("H3", "H4")] == [
        f"'{SHEET_ROSTER}'!C5", f"'{SHEET_GENERAL}'!B7"]


def test_the_list_of_findings_opens_and_prints_first(config, tmp_path, workbook):
    """A unit's workbook saved with its roster as the active, selected tab: in the annotated copy "Góp ý" is the active
    sheet and the only selected one (no grouped tabs), the tab bar starts at it, and it prints first on A4 landscape,
    one page wide, its header row repeated on each page."""
    wb = load_workbook(workbook)
    wb.active = 1
    wb[SHEET_ROSTER].sheet_view.tabSelected = True
    wb[SHEET_GENERAL].sheet_view.tabSelected = True
    wb.save(workbook)
    out = load_workbook(_annotated(config, tmp_path, workbook,
                                   Finding(ERROR, SHEET_ROSTER, 5, "Số nhân khẩu", "0", "Số nhân khẩu phải từ 1.")))
    assert out.active.title == "Góp ý"
    assert [ws.title for ws in out.worksheets if ws.sheet_view.tabSelected] == ["Góp ý"]
    assert (out.views[0].activeTab, out.views[0].firstSheet) == (0, 0)
    sheet = out["Góp ý"]
    assert (sheet.page_setup.orientation, int(sheet.page_setup.paperSize)) == ("landscape", 9)  # 9: A4
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == "$2:$2"


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
    assert [c.value for c in wb["Góp ý"][3]] == ["Lỗi", None, None, None, None, "Tệp không phải Excel.", "Gửi lại.",
                                                 None]


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


def test_a_misspelt_unit_name_is_marked_on_its_value_not_its_label(config, tmp_path, ma_noi_misspelt):
    """Ma Nới's sample with its name typed "xã Mạ Nơi" in B5, validated as the pipeline does: the warning is marked on
    B5 (yellow, with its fix), the label "Tên đơn vị" in A5 keeps no comment and no fill, and the list names B5."""
    from pipeline.files import sha256_of
    from pipeline.validate.rules import validate_submission

    outcome = validate_submission(ma_noi_misspelt, config=config, period="2023-6T")
    (named,) = [f for f in outcome.findings if f.column == "Tên đơn vị"]
    assert (named.sheet, named.row, named.value) == (SHEET_GENERAL, 5, "xã Mạ Nơi")
    version = SimpleNamespace(unit_code="22828", version=1, sha256=sha256_of(ma_noi_misspelt),
                              archive_path=str(ma_noi_misspelt), original_name=ma_noi_misspelt.name)
    wb = load_workbook(write_annotated(version, outcome, period=config.period("2023-6T"), root=tmp_path / "data",
                                       author=config.words()["office_abbr"]))
    general = wb[SHEET_GENERAL]
    assert _comments(general) == {"B5": (
        "[CẢNH BÁO] Tên đơn vị 'xã Mạ Nơi' sai dấu thanh so với mã 22828; đúng là 'xã Ma Nới'.\n"
        "Cách sửa: Ghi tên đơn vị 'xã Ma Nới'.", YELLOW)}
    assert (general["A5"].value, general["A5"].comment, general["A5"].fill.fill_type) == ("Tên đơn vị", None, None)
    listed = [r for r in wb["Góp ý"].iter_rows(min_row=3, values_only=True) if r[3] == "Tên đơn vị"]
    assert [r[7] for r in listed] == ["B5"]


def test_a_labelled_sheet_marks_column_b_even_when_its_label_is_worded_otherwise(config, tmp_path, workbook):
    """On "Thông tin chung" a finding whose column reads otherwise than the label in A (an older template's wording)
    still marks the value's cell B5, never the label's A5; on a table sheet an unknown header marks nothing."""
    wb = load_workbook(workbook)
    wb[SHEET_GENERAL]["A5"], wb[SHEET_GENERAL]["B5"] = "Tên đơn vị (xã, thị trấn)", "xã Mạ Nơi"
    wb[SHEET_ROSTER]["A1"] = "Tên đơn vị"
    wb.save(workbook)
    out = _annotated(config, tmp_path, workbook,
                     Finding(WARNING, SHEET_GENERAL, 5, "Tên đơn vị", "xã Mạ Nơi", "Sai dấu thanh.", "Ghi lại."),
                     Finding(ERROR, SHEET_ROSTER, 5, "Thôn", "", "Thiếu thôn."))
    wb = load_workbook(out)
    assert list(_comments(wb[SHEET_GENERAL])) == ["B5"]
    assert _comments(wb[SHEET_ROSTER]) == {}


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
    of Ma Nới was accepted and its valid file names the unit "xã Mạ Nơi" (a warning; its annotated copy written), and
    one file could not be attributed; the four others sent nothing."""
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
    ma_noi = _register(ledger, "e", "22828")
    _judge(ledger, ma_noi, tmp_path, period, MISSPELT)
    write_annotated(ma_noi, ValidationOutcome("e.xlsx", ma_noi.sha256, "22828", "2023-6T", [MISSPELT]), period=period,
                    root=tmp_path, author="Phòng LĐ-TB&XH")  # a list only: e.xlsx is no workbook
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
    assert ("<td>d.xlsx</td><td>Xã Lương Sơn (22816)</td><td>1</td>\n"
            "<td>02/05/2023 09:00</td><td>05/05/2023 08:30</td><td>zipfile.BadZipFile</td>") in html
    assert ('Số liệu bất thường của chỉ tiêu “Số hộ nghèo” đã được Trần Thị Hoa chấp nhận lúc 05/05/2023 08:30, '
            "lý do: Sáp nhập thôn") in html
    assert "f.xlsx (nhận lúc 02/05/2023 09:00)" in html
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


def test_status_page_has_one_row_per_unit_without_repeated_columns(page):
    """The units' table has six columns, none repeating another (no verdict beside the status, no version used beside
    the latest, no on-time flag beside the timeliness section): Ma Nới's row reads its status, its latest file, its
    arrival, and its counts linked to its findings."""
    html = page.read_text(encoding="utf-8")
    assert ("<tr><th>Đơn vị</th><th>Tình trạng</th><th>Tệp mới nhất</th><th>Nhận lúc</th><th>Cách nhận</th>"
            "<th>Kết quả kiểm tra</th></tr>") in html
    units = html[html.index('<table id="don-vi">'):html.index("</table>")]
    for gone in ("<th>Phiên bản dùng cho báo cáo</th>", "<th>Đúng hạn</th>", "<th>Lỗi</th>", "<th>Tệp gốc</th>",
                 "<th>Phiên bản mới nhất</th>"):
        assert gone not in units
    row = html[html.index("<td>Xã Ma Nới (22828)</td>"):]
    row = " ".join(row[:row.index("</tr>")].split())
    assert row == (
        '<td>Xã Ma Nới (22828)</td> <td class="valid">Hợp lệ</td> <td>Phiên bản 1: e.xlsx</td> '
        "<td>02/05/2023 09:00<br><small>tệp sửa lần cuối 02/05/2023 09:00 (tham khảo)</small></td> "
        "<td>Hệ thống tìm thấy trong thư mục nhận</td> "
        '<td><a href="#don-vi-22828">0 lỗi, 1 cảnh báo</a><br>'
        '<a href="../../../feedback/2023-6T/22828/v1-eeeeeeee-gop-y.xlsx">Tệp góp ý (Excel)</a></td>')
    assert '<h2 id="don-vi-22828">Xã Ma Nới — phiên bản 1</h2>' in html


def test_status_page_links_each_annotated_workbook_relatively(page):
    """A unit's annotated workbook is linked by a path relative to the page's folder that leads to the file written
    (so it opens from file:// and when served); a version whose copy was not written gets no link."""
    import re

    html = page.read_text(encoding="utf-8")
    links = re.findall(r'href="([^"#]+\.xlsx)"', html)
    assert links and set(links) == {"../../../feedback/2023-6T/22828/v1-eeeeeeee-gop-y.xlsx"}
    target = (page.parent / links[0]).resolve()
    assert target == (page.parents[3] / "feedback" / "2023-6T" / "22828" / "v1-eeeeeeee-gop-y.xlsx").resolve()
    assert load_workbook(target).sheetnames == ["Góp ý"]
    assert '<a href="data-docs/index.html">trang kỹ thuật</a>' in html


def test_status_page_writes_unit_names_capitalised_and_no_hash(page):
    """Unit names start with a capital in every table ("Xã Ma Nới", "Thị trấn Tân Sơn"; never "<td>xã …"), and no
    SHA-256 is on the page: no "SHA-256", no run of 12 hexadecimal digits (the hashes are the technical view's)."""
    import re

    html = page.read_text(encoding="utf-8")
    assert "<td>Xã Ma Nới (22828)</td>" in html and "<td>Xã Ma Nới</td>" in html  # units' and timeliness tables
    assert "<td>Thị trấn Tân Sơn (22810)</td>" in html and "<td>Thị trấn Tân Sơn</td>" in html
    # the one "<td>xã …" left is a value as typed in a finding (the misspelt name), not a unit's name
    assert re.findall(r"<td>(?:<[^>]+>)*(?:xã|thị trấn) [^<]*", html) == ["<td>xã Mạ Nơi"]
    assert "SHA-256" not in html.replace("mã SHA-256 của các tệp", "")
    assert re.findall(r"[0-9a-f]{12}", html) == []


def test_status_page_is_self_contained(page):
    """The page loads nothing: no script, no external style sheet, image or font, no http(s) URL in any src or
    href; its style is inline."""
    import re

    html = page.read_text(encoding="utf-8")
    assert "<style>" in html and "<script" not in html and "<link" not in html and "<img" not in html
    assert re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html) == []
    assert re.findall(r"url\(", html) == []


def test_reconciliation_table_writes_the_unit_capitalised(config, tmp_path):
    """A bank's loans differing from Ma Nới's roster (aggregates.json of the period) read "Xã Ma Nới" in the table for
    staff, as in every other table of the page."""
    import json

    from pipeline.paths import aggregates_path

    period = config.period("2023-6T")
    agg = aggregates_path(period, tmp_path)
    agg.parent.mkdir(parents=True)
    agg.write_text(json.dumps({"offices": {"reconciliation": [
        {"topic": "loans", "office_code": "NHCS", "office": "Ngân hàng", "unit_code": "22828", "unit": "xã Ma Nới",
         "office_value": 5, "unit_value": 4, "difference": 1, "beyond": True}]}}), encoding="utf-8")
    ledger = Ledger(f"sqlite:///{tmp_path / 'work' / 'ledger.sqlite'}")
    html = write_status_page(period, config=config, ledger=ledger, now=NOW, root=tmp_path).read_text(encoding="utf-8")
    assert ('<tr class="invalid"><td>Vay vốn ưu đãi</td><td>Ngân hàng</td><td>Xã Ma Nới</td><td>5</td><td>4</td>'
            "<td>+1</td></tr>") in html


@pytest.mark.parametrize("layout", ["today", "2023"])
def test_a_finding_on_the_offices_stacked_documents_marks_its_own_cell(config, tmp_path, layout):
    """A document dated in the year before, validated as the pipeline does: on today's offices' form it is named on
    "Kinh phí, văn bản", the row under the documents' header (below the fund sources), and marked on its "Ngày ban
    hành" cell there; on a 2023 workbook (a sheet "Văn bản" of its own) the same finding names and marks "Văn bản"."""
    from pipeline import office_schema as o
    from pipeline.files import sha256_of
    from pipeline.staff.form import write_office_workbook
    from pipeline.validate.rules import validate_submission

    path = tmp_path / "LDTB.xlsx"
    if layout == "today":
        write_office_workbook(path, config=config, general={
            "office_code": "LDTB", "office_name": config.office("LDTB").name, "period": "2023-6T"}, tables={
            "funds": [{"source": "fund_5_sponsors_vnd", "amount_vnd": 1_000_000}],
            "documents": [{"number": "1/KH", "date": dt.date(2023, 3, 1), "subject": "Kế hoạch"},
                          {"number": "2/KH", "date": dt.date(2022, 12, 31), "subject": "Kế hoạch"}]})
        sheet, row = o.SHEET_FUNDS_DOCUMENTS, 13  # funds on rows 5-8, the documents' title on 10, headers on 11
    else:
        wb = load_workbook(SAMPLES / "LDTB_co_quan.xlsx")
        wb[o.SHEET_DOCUMENTS]["C6"], wb[o.SHEET_DOCUMENTS]["B6"] = "31/12/2022", "2/KH"
        wb[o.SHEET_DOCUMENTS]["E6"] = "Kế hoạch"
        wb.save(path)
        sheet, row = o.SHEET_DOCUMENTS, 6
    assert load_workbook(path)[sheet].cell(row, 3).value in ("31/12/2022", dt.datetime(2022, 12, 31))
    outcome = validate_submission(path, config=config, period="2023-6T")
    [found] = [f for f in outcome.findings if f.column == "Ngày ban hành"]
    assert (found.sheet, found.row) == (sheet, row)
    version = SimpleNamespace(unit_code="LDTB", version=1, sha256=sha256_of(path), archive_path=str(path),
                              original_name=path.name)
    wb = load_workbook(write_annotated(version, outcome, period=config.period("2023-6T"), root=tmp_path / "data",
                                       author=config.words()["office_abbr"]))
    assert list(_comments(wb[sheet])) == [f"C{row}"]
