"""Identity is never guessed: a typed code decides the unit, names are compared after NFC and tone-placement
standardisation (never by dropping diacritics), and the identity finding comes first."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from pipeline import schema
from pipeline.intake.inbox import peek_unit
from pipeline.read.reader import read_submission
from pipeline.validate.rules import validate_submission

SAMPLE = Path("samples/2023-6T/22828_ma_noi.xlsx")



def _peek(path, config, root):
    """The intake's look at the unit of an archived file (it reads and stages the file)."""
    from pipeline.files import sha256_of

    return peek_unit(path, config, sha256=sha256_of(path), period=config.period("2023-6T"), file_name=path.name,
                      root=root / "data")

def _variant(tmp_path: Path, code: str | None, name: str | None) -> Path:
    path = tmp_path / "bao_cao.xlsx"
    shutil.copy(SAMPLE, path)
    wb = openpyxl.load_workbook(path)
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
