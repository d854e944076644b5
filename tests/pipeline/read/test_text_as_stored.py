"""Text as Excel stores it (OOXML escapes, control characters, Unicode spaces) and numbers as formulas
leave them (floating-point error, real fractions of a đồng)."""

from __future__ import annotations

import re
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline import schema
from pipeline.aggregate.tables import UnitInput, unit_table
from pipeline.findings import ERROR, WARNING
from pipeline.ledger.state import UnitState
from pipeline.read.reader import clean_text, parse_dong, parse_whole_number, read_submission
from pipeline.status import UnitStatus
from pipeline.textvalue import plain_text
from pipeline.validate.rules import validate_submission
from tests.helpers import edit_roster, edit_summary, roster_rows, set_narrative, summary_cells

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def ma_noi(tmp_path) -> Path:
    """A private copy of xã Ma Nới's sample workbook."""
    dst = tmp_path / "22828_ma_noi.xlsx"
    shutil.copyfile(SAMPLE, dst)
    return dst


def test_escapes_and_controls_become_plain_text():
    """_x000D_/_x000B_/_x0009_ decode; CR, CRLF, VT, FF, U+2028/2029 are line breaks; other controls go."""
    assert plain_text("a_x000D_b_x000B_c_x0009_d") == "a\nb\nc\td"
    assert plain_text("a\r\nb\rc\vd\fe\u2028f\u2029g") == "a\nb\nc\nd\ne\nf\ng"
    assert plain_text("x\x00y\x07z\x1b\x7f\x9fw") == "xyzw"
    assert plain_text("_x005F_x000D_") == "_x000D_"  # an escaped escape is the literal text
    assert clean_text("12 hộ_x000D_") == "12 hộ"
    assert clean_text("Thôn\u00a0Xuân\u202fQuang\u2009") == "Thôn Xuân Quang"


@pytest.mark.parametrize("space", ["\u0020", "\u00a0", "\u202f", "\u2009", "\u2007", "\u2002", "\u3000", "\u205f"])
def test_any_unicode_space_groups_digits(space):
    """"1 138" with each kind of space, plain or with a unit, is 1138."""
    assert parse_whole_number(f"1{space}138") == 1138
    assert parse_whole_number(f"1{space}500{space}000{space}đồng") == 1500000
    assert parse_whole_number(f"{space}1{space}138 hộ{space}") == 1138


def test_float_error_is_not_a_fraction():
    """A formula result within floating-point error of a whole đồng is that whole number."""
    assert 700000 * 0.7 == 489999.99999999994
    assert parse_whole_number(700000 * 0.7) == 490000
    assert parse_dong(700000 * 0.7) == (490000, None)
    assert parse_whole_number(0.1 * 3 * 10) == 3
    assert parse_dong(1e12 * 1.1) == (1100000000000, None)
    with pytest.raises(ValueError):
        parse_whole_number(1500.5)
    with pytest.raises(ValueError):
        parse_dong(-5)
    assert parse_dong(1500.5) == (1501, Decimal("1500.5"))
    assert parse_dong(1500.49) == (1500, Decimal("1500.49"))
    assert parse_dong("2.500,5 đ") == (2501, Decimal("2500.5"))


def test_line_break_escape_in_narrative_and_count(config, ma_noi):
    """_x000D_ in a narrative is a line break; "12 hộ_x000D_" in a count is 12 and never reaches aggregates
    as text."""
    poor_base, poor_cur = summary_cells(ma_noi)["poor_households"]
    set_narrative(ma_noi, "difficulties", "Thiếu vốn sản xuất;_x000D_thôn Xuân Quang luôn khó khăn._x000B_Hết.")
    edit_summary(ma_noi, "poor_households", current=f"{poor_cur} hộ_x000D_")
    sub = read_submission(ma_noi, config)
    assert sub.narrative["difficulties"] == "Thiếu vốn sản xuất;\nthôn Xuân Quang luôn khó khăn.\nHết."
    assert int(sub.summary.set_index("indicator").at["poor_households", "value_current"]) == poor_cur
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings) == ("valid", 0, 0)
    state = UnitState(config.unit("22828"), UnitStatus.VALID)
    table = unit_table([UnitInput(state, outcome=outcome, submission=sub)])
    row = table.iloc[0]
    assert (int(row["poor_households_baseline"]), int(row["poor_households_current"])) == (poor_base, poor_cur)
    assert not any("_x000" in str(v) for v in [*row.tolist(), *sub.narrative.values(), *sub.general.values()])


def _set_cached_formula(path: Path, sheet_title: str, formula: str, cached: str) -> None:
    """Give ``formula``'s cell the cached result ``cached`` by editing the sheet XML, as Excel stores it."""
    wb = load_workbook(path)
    index = wb.sheetnames.index(sheet_title) + 1
    member = f"xl/worksheets/sheet{index}.xml"
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == member:
                text, n = re.subn(rf"(<f>{re.escape(formula)}</f>)(<v\s*/>|<v></v>)?",
                                  rf"\g<1><v>{cached}</v>", data.decode("utf-8"))
                assert n == 1
                data = text.encode("utf-8")
            dst.writestr(info, data)
    tmp.replace(path)


def test_formula_result_with_float_error_is_whole(config, ma_noi):
    """=700000*0.7 with cached value 489999.99999999994 in an amount cell is 490.000 with no finding."""
    code = roster_rows(ma_noi)[0]["household_code"]
    row = edit_roster(ma_noi, code, support_loan_vnd="=700000*0.7")
    _set_cached_formula(ma_noi, schema.SHEET_ROSTER, "700000*0.7", "489999.99999999994")
    sub = read_submission(ma_noi, config)
    assert int(sub.roster.set_index("excel_row").at[row, "support_loan_vnd"]) == 490000
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings) == ("valid", 0, 0)


def test_float_value_written_directly_is_whole(config, ma_noi):
    """The same float stored as a plain value (no formula) is 490.000 too."""
    code = roster_rows(ma_noi)[0]["household_code"]
    row = edit_roster(ma_noi, code, support_loan_vnd=700000 * 0.7)
    sub = read_submission(ma_noi, config)
    assert int(sub.roster.set_index("excel_row").at[row, "support_loan_vnd"]) == 490000
    assert sub.findings == []


def test_real_fraction_of_a_dong_is_rounded_with_one_warning(config, ma_noi):
    """1500,5 đồng → 1.501 with one warning naming sheet, row, column and the value typed."""
    code = roster_rows(ma_noi)[0]["household_code"]
    row = edit_roster(ma_noi, code, support_loan_vnd=1500.5)
    sub = read_submission(ma_noi, config)
    assert int(sub.roster.set_index("excel_row").at[row, "support_loan_vnd"]) == 1501
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings) == ("valid", 0, 1)
    (w,) = outcome.findings
    header = next(f.header for f in schema.ROSTER_FIELDS if f.key == "support_loan_vnd")
    assert (w.severity, w.sheet, w.row, w.column, w.value) == (WARNING, schema.SHEET_ROSTER, row, header, "1500.5")
    assert w.message == "Số tiền 1.500,5 đồng có phần lẻ dưới 1 đồng; đã làm tròn thành 1.501 đồng."


def test_fraction_in_a_count_is_still_an_error(config, ma_noi):
    """2,5 households is not rounded: a count with a real fraction stays an error."""
    edit_summary(ma_noi, "poor_households", current=2.5)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert any(f.severity == ERROR and f.sheet == schema.SHEET_SUMMARY and f.value == "2.5"
               for f in outcome.findings)


def _patch_once(data: bytes, old: str, new: str) -> bytes:
    """Replace ``old`` by ``new`` in a BIFF8 string, stored either compressed (Latin-1) or UTF-16LE."""
    for codec in ("utf-16-le", "latin-1"):
        if data.count(old.encode(codec)) == 1:
            return data.replace(old.encode(codec), new.encode(codec))
    raise AssertionError(f"{old!r} not found exactly once")


def test_xls_with_vertical_tab_is_read_and_valid(config, tmp_path):
    """A real .xls (the corpus's LibreOffice Calc save of the sample) whose narrative holds a vertical tab —
    legal in BIFF8, refused by openpyxl — is valid, the tab read as a line break."""
    import xlrd

    xls = tmp_path / "22828_ma_noi.xls"
    data = (FIXTURES / "libreoffice_real.xls").read_bytes()
    xls.write_bytes(_patch_once(data, "Nguồn lực hỗ trợ", "Nguồn lực\vhỗ trợ"))
    sheet = xlrd.open_workbook(str(xls)).sheet_by_name(schema.SHEET_NARRATIVE)
    assert "\v" in sheet.cell_value(3, 1)  # the file really holds the control character
    sub = read_submission(xls, config)
    assert sub.narrative["difficulties"] == (
        "Một số hộ thiếu đất sản xuất, thiếu lao động.\nNguồn lực\nhỗ trợ còn hạn chế.")
    outcome = validate_submission(xls, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings) == ("valid", 0, 0)


def test_annotated_workbook_is_written_when_a_value_holds_controls(config, ma_noi, tmp_path):
    """A finding whose value, file name or message holds control characters or escapes is written into
    the annotated workbook as plain text (line breaks kept), never an openpyxl error."""
    from types import SimpleNamespace

    from pipeline.files import sha256_of
    from pipeline.findings import Finding, ValidationOutcome
    from pipeline.staff.feedback import write_annotated

    version = SimpleNamespace(unit_code="22828", version=1, sha256=sha256_of(ma_noi), archive_path=str(ma_noi),
                              original_name="22828\v_ma_noi.xlsx")
    finding = Finding(ERROR, schema.SHEET_NARRATIVE, 4, "Khó khăn, vướng mắc", "dòng một\vdòng hai\x01_x000D_",
                      "Giá trị\fkhông đọc được.", "Sửa lại.", "read")
    outcome = ValidationOutcome(file=version.original_name, sha256=version.sha256, unit_code="22828",
                                period="2023-6T", findings=[finding])
    out = write_annotated(version, outcome, period=config.period("2023-6T"), root=tmp_path / "data")
    wb = load_workbook(out)
    sheet = wb["Góp ý"]
    assert sheet["A1"].value.startswith("Kết quả kiểm tra tệp 22828\n_ma_noi.xlsx")
    assert [c.value for c in sheet[3]][4:6] == ["dòng một\ndòng hai\n", "Giá trị\nkhông đọc được."]
    comments = [c.comment.text for row in wb[schema.SHEET_NARRATIVE].iter_rows(min_row=4, max_row=4) for c in row
                if c.comment is not None]
    assert comments == ["[LỖI] Giá trị\nkhông đọc được.\nCách sửa: Sửa lại."]


def test_escapes_in_headers_and_labels(config, ma_noi):
    """A roster header and a summary label ending in _x000D_ (a line break typed in the header) still match."""
    wb = load_workbook(ma_noi)
    ws = wb[schema.SHEET_ROSTER]
    header = next(f.header for f in schema.ROSTER_FIELDS if f.key == "support_loan_vnd")
    cell = next(c for c in ws[schema.ROSTER_HEADER_ROW] if c.value == header)
    cell.value = header.replace(" (đồng)", "_x000D_(đồng)")
    summary = wb[schema.SHEET_SUMMARY]
    label = next(c for c in summary["B"] if c.value == "Số hộ nghèo")
    label.value = "Số hộ_x000A_nghèo_x000D_"
    wb.save(ma_noi)
    outcome = validate_submission(ma_noi, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings) == ("valid", 0, 0)
