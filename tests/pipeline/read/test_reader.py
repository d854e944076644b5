"""Tests of pipeline/read/reader.py: how a commune's workbook is read.

The corpus of broken and messy submissions in tests/fixtures/, each read or refused as written by hand in
tests/fixtures/expected.yaml; identity never guessed (a typed code decides the unit, names compared after NFC and
tone-placement standardisation, never by dropping diacritics, the identity finding first, as the intake's
``peek_unit`` sees it too); layout as communes use it (merged cells inside data rows, hidden rows and columns);
text as Excel stores it (OOXML escapes, control characters, Unicode spaces) and numbers as formulas leave them
(floating-point error, real fractions of a đồng). The trimmed copy the reader parses is tested in test_sources.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook

from pipeline import office_schema as o
from pipeline import schema
from pipeline.aggregate.tables import UnitInput, unit_table
from pipeline.files import sha256_of
from pipeline.findings import ERROR, WARNING, Finding, ValidationOutcome
from pipeline.intake.inbox import peek_unit
from pipeline.ledger.state import UnitState
from pipeline.read.office import read_office_submission
from pipeline.read.reader import (
    chosen_code,
    clean_text,
    ncc_categories,
    parse_dong,
    parse_whole_number,
    period_code,
    read_submission,
)
from pipeline.staff.form import write_office_workbook, write_submission
from pipeline.status import UnitStatus
from pipeline.textvalue import plain_text
from pipeline.validate.rules import validate_submission
from tests.helpers import edit_roster, edit_summary, edited_sheet, roster_rows, set_narrative, summary_cells

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx"
FIXTURES = ROOT / "tests" / "fixtures"
EXPECTED = yaml.safe_load((FIXTURES / "expected.yaml").read_text(encoding="utf-8"))
ROSTER = schema.SHEET_ROSTER


@pytest.fixture
def ma_noi(tmp_path) -> Path:
    """A private copy of xã Ma Nới's sample workbook."""
    dst = tmp_path / "22828_ma_noi.xlsx"
    shutil.copyfile(SAMPLE, dst)
    return dst


# --- The corpus of tests/fixtures/ --------------------------------------------------------------------------

def test_corpus_is_complete():
    """At least 70 fixtures, each with a written expectation, and no expectation without its file."""
    files = {p.name for p in FIXTURES.iterdir() if p.suffix not in (".py", ".md", ".yaml")}
    assert len(EXPECTED) >= 70
    assert files == set(EXPECTED)


def _config_for(config, spec):
    if "max_file_mb" in spec:
        return dataclasses.replace(config, validation={**config.validation, "max_file_mb": spec["max_file_mb"]})
    return config


def _value(sub, path: str) -> Any:
    if path == "roster.count":
        return len(sub.roster)
    if path.startswith("general."):
        return sub.general[path.split(".", 1)[1]]
    if path.startswith("narrative."):
        return sub.narrative[path.split(".", 1)[1]]
    if path.startswith("summary."):
        frame = sub.summary.set_index("indicator")
        indicator, _, when = path.split(".", 1)[1].partition(".")
        return int(frame.at[indicator, "value_baseline" if when == "baseline" else "value_current"])
    m = re.fullmatch(r"roster\[(\d+)\]\.(\w+)", path)
    assert m, path
    value = sub.roster.iloc[int(m[1])][m[2]]
    return value.item() if hasattr(value, "item") else value


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture(name, config):
    """The fixture gets exactly its expected status and counts, the listed findings, and reads the values."""
    spec = EXPECTED[name]
    cfg = _config_for(config, spec)
    path = FIXTURES / name
    outcome = validate_submission(path, config=cfg, period="2023-6T")
    summary = [f.as_text(name) for f in outcome.findings]
    assert (outcome.status, outcome.errors, outcome.warnings) == (spec["status"], spec["errors"],
                                                                   spec["warnings"]), summary
    for want in spec.get("findings", []):
        hits = [f for f in outcome.findings
                if (f.severity, f.sheet, f.row, f.column) == (want["severity"], want["sheet"], want["row"],
                                                              want["column"])
                and ("value" not in want or f.value == str(want["value"]))
                and ("says" not in want or want["says"] in f"{f.message} {f.fix}")]
        assert hits, (want, summary)
    for key, expected in (spec.get("values") or {}).items():
        sub = read_submission(path, cfg, file_name=name)
        got = _value(sub, key)
        if isinstance(expected, dt.date):
            assert got == expected, key
        else:
            assert got == expected, (key, got)


# --- Identity ---------------------------------------------------------------------------------------------

def _peek(path, config, root):
    """The intake's look at the unit of an archived file (it reads and stages the file)."""
    return peek_unit(path, config, sha256=sha256_of(path), period=config.period("2023-6T"), file_name=path.name,
                      root=root / "data")


def _variant(tmp_path: Path, code: str | None, name: str | None) -> Path:
    path = tmp_path / "bao_cao.xlsx"
    shutil.copy(SAMPLE, path)
    wb = load_workbook(path)
    ws = wb[schema.SHEET_GENERAL]
    labels = {f.key: schema.normalize_label(f.header) for f in schema.GENERAL_FIELDS}
    for row in range(1, ws.max_row + 1):
        label = schema.normalize_label(ws.cell(row, 1).value)
        if label == labels["unit_code"]:
            ws.cell(row, 2).value = code
        elif label == labels["unit_name"]:
            ws.cell(row, 2).value = name
    wb.save(path)
    return path


def _identity(outcome) -> list:
    return [f for f in outcome.findings if f.sheet == schema.SHEET_GENERAL and f.column in (
        "Mã đơn vị (mã hành chính)", "Tên đơn vị") or f.rule == "identity"]


def test_unknown_code_is_an_error_naming_the_closest_unit_and_not_attributed(tmp_path, config):
    """Code 22899 (no such unit) with the name 'Ma Nối': the code read stays 22899, the file is not attributed and is
    invalid, and its first finding is one identity error naming the closest unit, 22828 (xã Ma Nới), and how to fix the
    code."""
    path = _variant(tmp_path, "22899", "Ma Nối")
    assert read_submission(path, config).unit_code == "22899"  # the name does not override the code
    assert _peek(path, config, tmp_path) is None
    outcome = validate_submission(path, config=config, period="2023-6T")
    assert outcome.unit_code is None and outcome.status == "invalid"
    first = outcome.findings[0]
    assert first.severity == "lỗi" and first.rule == "identity" and first.value == "22899"
    assert first.message.startswith("Mã đơn vị 22899 không có trong danh sách đơn vị của huyện")
    assert "Đơn vị gần nhất: 22828 (xã Ma Nới)" in first.message
    assert "Ghi đúng mã hành chính 5 chữ số" in first.fix
    assert len(_identity(outcome)) == 1  # the in-set expectation does not repeat it


def test_closest_by_code_digits_when_the_name_says_nothing(tmp_path, config):
    """Code 22827 with the name 'Không rõ': the identity error first names 22828 (xã Ma Nới), one digit away."""
    outcome = validate_submission(_variant(tmp_path, "22827", "Không rõ"), config=config, period="2023-6T")
    first = outcome.findings[0]
    assert first.rule == "identity"
    assert "Đơn vị gần nhất: 22828 (xã Ma Nới)" in first.message  # one digit away


@pytest.mark.parametrize("name", ["xã Mạ Nới", "xã Mà Nơi"])
def test_tone_misspelling_with_right_code_is_one_warning_with_the_right_spelling(tmp_path, config, name):
    """'xã Mạ Nới' or 'xã Mà Nơi' with the right code 22828: attributed to 22828, with one identity warning, first,
    saying the tones are wrong and giving 'xã Ma Nới'."""
    outcome = validate_submission(_variant(tmp_path, "22828", name), config=config, period="2023-6T")
    assert outcome.unit_code == "22828"
    found = _identity(outcome)
    assert len(found) == 1
    assert found[0].severity == "cảnh báo" and found[0].value == name
    assert found[0].message == f"Tên đơn vị '{name}' sai dấu thanh so với mã 22828; đúng là 'xã Ma Nới'."
    assert outcome.findings[0] == found[0]


def test_alias_with_right_code_is_a_warning_giving_the_right_spelling(tmp_path, config):
    """The configured alias 'xã Ma Nối' with code 22828: attributed to 22828, with one warning, first, calling it
    another spelling of xã Ma Nới and giving the right one."""
    outcome = validate_submission(_variant(tmp_path, "22828", "xã Ma Nối"), config=config, period="2023-6T")
    found = _identity(outcome)
    assert [f.message for f in found] == [
        "Tên đơn vị 'xã Ma Nối' là cách viết khác của xã Ma Nới (mã 22828); đúng là 'xã Ma Nới'."]
    assert outcome.findings[0] == found[0] and outcome.unit_code == "22828"


@pytest.mark.parametrize("name", ["Xã Hoà Sơn", "xã Hòa Sơn", "XÃ HÒA SƠN"])
def test_tone_placement_and_case_give_no_finding(tmp_path, config, name):
    """'Xã Hoà Sơn', 'xã Hòa Sơn' and 'XÃ HÒA SƠN' with code 22825 (old or new tone placement, any case): attributed, no
    identity finding."""
    outcome = validate_submission(_variant(tmp_path, "22825", name), config=config, period="2023-6T")
    assert _identity(outcome) == [] and outcome.unit_code == "22825"


def test_no_code_and_a_name_that_differs_in_tones_is_never_attributed(tmp_path, config):
    """No code and 'xã Mà Nơi' (Ma Nới with other tones): neither the reader nor the intake attributes it, and it is
    invalid with an error on the missing code first."""
    path = _variant(tmp_path, None, "xã Mà Nơi")
    assert read_submission(path, config).unit_code is None
    assert _peek(path, config, tmp_path) is None
    outcome = validate_submission(path, config=config, period="2023-6T")
    assert outcome.unit_code is None and outcome.status == "invalid"
    assert outcome.findings[0].column == "Mã đơn vị (mã hành chính)" and outcome.findings[0].severity == "lỗi"


def test_no_code_and_an_exact_name_is_attributed_with_a_warning(tmp_path, config):
    """No code and the exact name 'Xã Ma Nới': the intake and the validation attribute it to 22828, the first finding a
    warning saying the unit was identified by its name."""
    path = _variant(tmp_path, None, "Xã Ma Nới")
    assert _peek(path, config, tmp_path) == "22828"
    outcome = validate_submission(path, config=config, period="2023-6T")
    assert outcome.unit_code == "22828"
    first = outcome.findings[0]
    assert (first.severity, first.rule) == ("cảnh báo", "identity")
    assert first.message == "Mã đơn vị trống; đã xác định đơn vị theo tên 'Xã Ma Nới' là xã Ma Nới (mã 22828)."


def test_other_units_name_with_a_code_is_an_error_first(tmp_path, config):
    """Code 22828 with another unit's name, 'xã Hòa Sơn': invalid, the first finding an error on Tên đơn vị."""
    outcome = validate_submission(_variant(tmp_path, "22828", "xã Hòa Sơn"), config=config, period="2023-6T")
    first = outcome.findings[0]
    assert first.severity == "lỗi" and first.column == "Tên đơn vị" and outcome.status == "invalid"


# --- Layout: merged cells, hidden rows and columns --------------------------------------------------------

def _edited(tmp_path: Path, name: str, edit) -> Path:
    """Ma Nới's sample with ``edit(roster worksheet)`` applied, saved as ``name``."""
    return edited_sheet(SAMPLE, ROSTER, tmp_path / name, edit)


def test_merged_village_and_ethnicity_give_their_value_to_every_household(config, tmp_path):
    """Thôn merged over the two households of Gia Hoa (D7:D8), Dân tộc merged over all six (E5:E10): valid,
    and each household carries the value Excel shows."""
    def edit(ws):
        ws.merge_cells("D7:D8")
        ws.merge_cells("E5:E10")

    path = _edited(tmp_path, "merged.xlsx", edit)
    sub = read_submission(path, config)
    assert sub.roster["village"].tolist() == ["Thôn Tà Nôi", "Thôn Do", "Thôn Gia Hoa", "Thôn Gia Hoa", "Thôn Do",
                                              "Thôn Tà Nôi"]
    assert sub.roster["ethnicity"].tolist() == ["Raglai"] * 6
    outcome = validate_submission(path, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings) == ("valid", 0, 0)


def test_a_merge_reaching_below_the_last_household_adds_no_household(config, tmp_path):
    """Thôn merged from the last household's row down to row 15: rows 11–15 hold nothing of their own, so
    they are not households (no 'missing code' errors)."""
    path = _edited(tmp_path, "merged_down.xlsx", lambda ws: ws.merge_cells("D10:D15"))
    sub = read_submission(path, config)
    assert len(sub.roster) == 6
    assert sub.roster["village"].iloc[-1] == "Thôn Tà Nôi"
    outcome = validate_submission(path, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings) == ("valid", 0, 0)


def test_a_finding_on_a_merge_goes_once_to_its_top_left_cell_and_the_annotated_copy_is_written(config, tmp_path):
    """'xyz' as status at the cut-off, merged over two households (K7:K8): one finding on K7 naming the merge
    (not one per household), and the annotated workbook puts its comment on K7 — a merged cell cannot take one."""
    from pipeline.staff.feedback import write_annotated

    def edit(ws):
        ws["K7"] = "xyz"
        ws.merge_cells("K7:K8")

    path = _edited(tmp_path, "merged_bad.xlsx", edit)
    outcome = validate_submission(path, config=config, period="2023-6T")
    status = [f for f in outcome.findings if f.column == "Phân loại tại ngày chốt"]
    assert [(f.severity, f.row, f.value) for f in status] == [(ERROR, 7, "xyz")]
    assert "(ô gộp K7:K8: giá trị ghi ở ô đầu của vùng gộp)" in status[0].message
    version = SimpleNamespace(unit_code="22828", version=1, sha256=sha256_of(path), archive_path=str(path),
                              original_name=path.name)
    out = write_annotated(version, outcome, period=config.period("2023-6T"), root=tmp_path / "data",
                          author=config.words()["office_abbr"])
    ws = load_workbook(out)[ROSTER]
    assert ws["K7"].comment is not None and "Phân loại tại ngày chốt không hợp lệ" in ws["K7"].comment.text
    assert ws["K7"].fill.fgColor.rgb.endswith("FFC7CE")


def test_a_hidden_row_is_read_and_its_findings_say_it_is_hidden(config, tmp_path):
    """An old line of household 22828-0001 left in row 11 and hidden: it is read (it is data), its findings
    say 'Dòng 11 đang bị ẩn' with how to unhide it, and one warning says hidden rows are counted."""
    def edit(ws):
        for c in range(1, 38):
            ws.cell(11, c).value = ws.cell(5, c).value
        ws.cell(11, 6).value = 7
        ws.row_dimensions[11].hidden = True

    path = _edited(tmp_path, "hidden_row.xlsx", edit)
    sub = read_submission(path, config)
    assert sub.roster["excel_row"].tolist() == [5, 6, 7, 8, 9, 10, 11]
    outcome = validate_submission(path, config=config, period="2023-6T")
    on_11 = [f for f in outcome.findings if f.sheet == ROSTER and f.row == 11]
    duplicate = next(f for f in on_11 if f.severity == ERROR)
    assert duplicate.message == "Mã hộ bị trùng: một hộ chỉ được ghi một dòng. (Dòng 11 đang bị ẩn.)"
    assert duplicate.fix.endswith("Bỏ ẩn dòng 11 (chọn các dòng, cột liền kề, chuột phải → Bỏ ẩn/Unhide) để xem "
                                  "và sửa.")
    (warning,) = [f for f in outcome.findings if f.severity == WARNING]
    assert (warning.sheet, warning.row) == (ROSTER, 11)
    assert warning.message.startswith("Có 1 dòng đang bị ẩn nhưng có số liệu hộ (dòng 11); số liệu ở dòng ẩn vẫn "
                                      "được đọc và tính")
    assert "xóa hẳn dòng" in warning.fix
    assert all("bị ẩn" not in f.message for f in outcome.findings if f.row != 11)


def test_a_finding_in_a_hidden_column_says_the_column_is_hidden(config, tmp_path):
    """'không rõ' in row 6 of column I (Có khả năng lao động), hidden: the only finding, and its message ends
    with '(Cột I đang bị ẩn.)'."""
    def edit(ws):
        ws["I6"] = "không rõ"
        ws.column_dimensions["I"].hidden = True

    outcome = validate_submission(_edited(tmp_path, "hidden_col.xlsx", edit), config=config, period="2023-6T")
    (finding,) = outcome.findings
    assert (finding.row, finding.column, finding.value) == (6, "Có khả năng lao động", "không rõ")
    assert finding.message == "Cột đánh dấu chỉ nhận x hoặc để trống. (Cột I đang bị ẩn.)"


# --- Text as stored, numbers as formulas leave them -------------------------------------------------------

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
    from pipeline.staff.feedback import write_annotated

    version = SimpleNamespace(unit_code="22828", version=1, sha256=sha256_of(ma_noi), archive_path=str(ma_noi),
                              original_name="22828\v_ma_noi.xlsx")
    finding = Finding(ERROR, schema.SHEET_NARRATIVE, 4, "Khó khăn, vướng mắc", "dòng một\vdòng hai\x01_x000D_",
                      "Giá trị\fkhông đọc được.", "Sửa lại.", "read")
    outcome = ValidationOutcome(file=version.original_name, sha256=version.sha256, unit_code="22828",
                                period="2023-6T", findings=[finding])
    out = write_annotated(version, outcome, period=config.period("2023-6T"), root=tmp_path / "data",
                          author=config.words()["office_abbr"])
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


# --- Numbers no cell can hold exactly --------------------------------------------------------------------------

TOO_LARGE = ("Số quá lớn ({} chữ số), không thể là số liệu thật: không đơn vị nào có số hộ, số người hay số tiền "
             "lớn đến vậy.")


@pytest.mark.parametrize(("where", "value", "shown", "digits"), [
    (("roster", "members_count"), 10**20, "1E+20", 21),  # persons, beyond int64 too; kept as a float
    (("roster", "income_vnd_per_person_month"), 10**30, "1E+30", 31),  # stored as a float: shown as Excel does
    (("roster", "support_loan_vnd"), 1.5e16, "1.5E+16", 17),
    (("roster", "ncc_members_count"), "9.007.199.254.740.993", "9.007.199.254.740.993", 16),  # just beyond exact
    (("summary", "households_total"), 10**18, "1E+18", 19),  # within int64, beyond exact
    (("summary", "fund_1_national_programmes_vnd"), "100.000.000.000.000.000.000 đồng",
     "100.000.000.000.000.000.000 đồng", 21),
    (("summary", "poor_persons"), -(10**20), "-1E+20", 21),
], ids=["roster-count", "roster-income", "roster-float-amount", "just-beyond", "summary-count", "summary-text",
        "negative"])
def test_a_number_beyond_exact_is_its_cells_error(config, ma_noi, where, value, shown, digits):
    """A count or an amount beyond ±2⁵³ (any sheet, as a number, a float or text) is one error on its cell
    saying how many digits it has, never a system fault: the unit's other cells read as before."""
    sheet, key = where
    if sheet == "roster":
        row = edit_roster(ma_noi, roster_rows(ma_noi)[0]["household_code"], **{key: value})
        sheet_name, header = schema.SHEET_ROSTER, next(f.header for f in schema.ROSTER_FIELDS if f.key == key)
    else:
        edit_summary(ma_noi, key, current=value)
        sheet_name, header = schema.SHEET_SUMMARY, "Tại ngày chốt số liệu (hoặc lũy kế từ 01/01)"
        row = next(r for r in range(1, 40) if load_workbook(ma_noi)[sheet_name].cell(r, 2).value
                   == schema.INDICATORS_BY_KEY[key].label)
    sub = read_submission(ma_noi, config)
    mine = [f for f in sub.findings if (f.sheet, f.row, f.column) == (sheet_name, row, header)]
    assert [(f.severity, f.value, f.message) for f in mine] == [(ERROR, shown, TOO_LARGE.format(digits))]
    assert "gõ thừa chữ số" in mine[0].fix
    assert sub.unit_code == "22828"


def test_the_largest_exact_number_is_read():
    """2⁵³ itself is a number (the bound is inclusive); one more is refused before any cast."""
    from pipeline.read.reader import NumberTooLarge

    assert parse_whole_number(2**53) == 9_007_199_254_740_992
    assert parse_whole_number("9.007.199.254.740.992") == 2**53
    with pytest.raises(NumberTooLarge):
        parse_whole_number("9.007.199.254.740.993")
    with pytest.raises(NumberTooLarge):
        parse_dong(1e16)


def test_a_name_close_to_a_unit_is_suggested_never_matched(config, ma_noi):
    """No unit code and the name "xã Mà Nơi" (not Ma Nới's name nor an alias): the file stays without a unit, and
    the name's cell carries the suggestion "Có phải xã Ma Nới, mã 22828?"."""
    wb = load_workbook(ma_noi)
    ws = wb[schema.SHEET_GENERAL]
    rows = {str(ws.cell(r, 1).value).split(" (")[0]: r for r in range(1, 20)}
    ws.cell(rows["Mã đơn vị"], 2).value = None
    ws.cell(rows["Tên đơn vị"], 2).value = "xã Mà Nơi"
    wb.save(ma_noi)
    sub = read_submission(ma_noi, config)
    assert sub.unit_code is None
    [hint] = [f for f in sub.findings if f.rule == "identity"]
    assert (hint.sheet, hint.row, hint.column, hint.value) == (schema.SHEET_GENERAL, rows["Tên đơn vị"],
                                                              "Tên đơn vị", "xã Mà Nơi")
    assert hint.message.endswith("Có phải xã Ma Nới, mã 22828?") and "ghi mã đơn vị 22828" in hint.fix


# Drop-down values that carry their meaning (pipeline/staff/form.py) read back as codes (reader and office reader):
# "22828 – Xã Ma Nới" → 22828, "6 tháng đầu năm 2023" → 2023-6T, "c – Liệt sĩ" → c; the 2023 form (bare codes,
# "2023-6T", "c;tn") still reads; the leader's confirmation rows are never taken for data.

def _choice_cell(value, number_format="General"):
    return SimpleNamespace(value=value, number_format=number_format)


@pytest.mark.parametrize(("typed", "code"), [
    ("6 tháng đầu năm 2023", "2023-6T"), ("9 tháng đầu năm 2024", "2024-9T"), ("Năm 2023", "2023-CN"),
    ("năm 2023", "2023-CN"), ("2023-6T", "2023-6T"), ("6 tháng 2023", "6 tháng 2023"), ("", "")])
def test_a_period_is_read_by_its_name_or_its_code(config, typed, code):
    """A period's name in the list becomes its code; a code stays; anything else stays as typed for validation."""
    assert period_code(typed, config) == code


@pytest.mark.parametrize(("value", "code"), [
    ("22828 – Xã Ma Nới", "22828"), ("22828 - Xã Ma Nới", "22828"), ("2828 – Xã Ma Nới", "02828"),
    ("22828", "22828"), (22828, "22828"), ("Xã Ma Nới", "Xã Ma Nới")])
def test_a_unit_code_is_read_before_the_dash(value, code):
    """The code before " – " (or " - ") is the unit's, padded to 5 digits; a bare code or number stays a code."""
    assert chosen_code(_choice_cell(value), 5) == code


def test_ncc_categories_by_letter_name_or_drop_down_value(config):
    """A household's categories as chosen or typed: "c – Liệt sĩ", "c;tn", "c tn", names, mixed → codes with ";"."""
    lookup = {schema.normalize_label(x[k]): x["code"] for x in config.reference["ncc_categories"]
              for k in ("code", "label")}
    assert ncc_categories("c – Liệt sĩ", lookup) == "c"
    assert ncc_categories("c – Liệt sĩ; tn", lookup) == "c;tn"
    assert ncc_categories("c;tn", lookup) == "c;tn"
    assert ncc_categories("c tn", lookup) == "c;tn"
    assert ncc_categories("Bà mẹ Việt Nam anh hùng, g", lookup) == "d;g"
    assert ncc_categories("z", lookup) == "z"  # unknown: kept for validation to name
    assert ncc_categories("", lookup) is None


def test_the_new_form_filled_in_reads_back_as_codes_without_a_finding(config, tmp_path):
    """A workbook the writer fills (unit, period and member categories as drop-down values; the roster's categories
    chosen as "g – …"; the leader's confirmation filled in) reads as codes, with no reader finding."""
    path = write_submission(
        tmp_path / "moi.xlsx", config=config,
        general={"unit_code": "22828", "unit_name": "xã Ma Nới", "period": "2023-6T",
                 "prepared_on": dt.date(2023, 5, 3)},
        roster=[{"household_code": "22828-0001", "head_name": "Pinăng A", "village": "Thôn Gia Rót",
                 "ethnicity": "Raglai", "members_count": 5, "ncc_members_count": 2,
                 "ncc_categories": "g – Thương binh, người hưởng chính sách như thương binh;tn",
                 "status_baseline": "Nghèo", "status_current": "Nghèo", "change_kind": "Không thay đổi",
                 "income_vnd_per_person_month": 900_000}],
        members=[{"household_code": "22828-0001", "relation": "Chủ hộ", "category": "g"},
                 {"household_code": "22828-0001", "relation": "Con", "category": "tn"}])
    wb = load_workbook(path)
    ws = wb[schema.SHEET_GENERAL]
    assert (ws["B4"].value, ws["B6"].value) == ("22828 – Xã Ma Nới", "6 tháng đầu năm 2023")
    for row, value in zip(range(12, 16), ("Pinăng B", "Chủ tịch UBND xã", "(đã ký)", "04/05/2023"), strict=True):
        ws.cell(row, 2, value)
    wb.save(path)
    sub = read_submission(path, config)
    assert (sub.general["unit_code"], sub.general["period"], sub.general["unit_name"]) == (
        "22828", "2023-6T", "xã Ma Nới")
    assert sub.general["prepared_on"] == dt.date(2023, 5, 3)
    assert sub.general["preparer"] is None  # the leader's rows are not the preparer's
    assert sub.roster.iloc[0]["ncc_categories"] == "g;tn"
    assert list(sub.members["category"]) == ["g", "tn"]
    assert sub.findings == []


def test_the_2023_form_still_reads(config, tmp_path):
    """The bundled 2023 sample (bare code, "2023-6T", categories "c;tn", no guide, no confirmation) reads as before."""
    path = tmp_path / "cu.xlsx"
    shutil.copyfile(SAMPLE, path)
    assert load_workbook(path)[schema.SHEET_GENERAL]["B6"].value == "2023-6T"
    sub = read_submission(path, config)
    assert (sub.general["unit_code"], sub.general["period"]) == ("22828", "2023-6T")
    codes = {c["code"] for c in config.reference["ncc_categories"]}
    assert all(set(v.split(";")) <= codes for v in sub.roster["ncc_categories"])
    assert not [f for f in sub.findings if f.severity == "lỗi"]


def test_the_offices_drop_down_values_read_as_codes(config, tmp_path):
    """The office's "NHCS – …" and period name written by the form, and a commune chosen as "22828 – Xã Ma Nới" in a
    table, read as NHCS, 2023-6T and 22828."""
    path = write_office_workbook(
        tmp_path / "NHCS.xlsx", config=config,
        general={"office_code": "NHCS", "office_name": "Phòng giao dịch Ngân hàng Chính sách xã hội huyện",
                 "period": "2023-6T"},
        tables={"loans": [{"commune_code": "22810", "borrowers": 3}]})
    wb = load_workbook(path)
    assert wb[o.SHEET_GENERAL]["B4"].value.startswith("NHCS – ")
    wb[o.SHEET_LOANS]["B6"], wb[o.SHEET_LOANS]["C6"] = "22828 – Xã Ma Nới", 2
    wb.save(path)
    sub = read_office_submission(path, config)
    assert (sub.general["office_code"], sub.general["period"]) == ("NHCS", "2023-6T")
    assert list(sub.tables["loans"]["commune_code"]) == ["22810", "22828"]
    assert sub.findings == []
