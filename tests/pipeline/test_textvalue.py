"""Cell text made plain (pipeline/textvalue.py): OOXML escapes decoded, line-like controls turned into line breaks,
other controls removed, and every kind of Unicode space recognised."""

from __future__ import annotations

import pytest

from pipeline.textvalue import decode_ooxml_escapes, is_space, plain_text, strip_spaces


@pytest.mark.parametrize(("stored", "text"), [
    ("_x0041_", "A"),
    ("Ma N_x1edb_i", "Ma Nới"),  # lower-case hex digits
    ("_x005F_x0041_", "_x0041_"),  # an escaped underscore: the literal text, scanned without overlap
    ("_xD83D__xDE00_", "\U0001F600"),  # a UTF-16 surrogate pair written as two escapes
    ("a_xD83D_b", "ab"),  # a lone surrogate is dropped
    ("_x004_", "_x004_"),  # three hex digits: no escape
    ("_X0041_", "_X0041_"),  # upper-case X: no escape
])
def test_decode_ooxml_escapes(stored, text):
    """Each ``_xHHHH_`` becomes its character (pairs of surrogates joined, lone ones dropped); anything else stays."""
    assert decode_ooxml_escapes(stored) == text


def test_text_without_escapes_is_returned_as_is():
    """Text holding no "_x" is returned unchanged, the same object (no regular expression runs)."""
    text = "Thôn Tà Nôi"
    assert decode_ooxml_escapes(text) is text


def test_plain_text_joins_an_escaped_crlf_into_one_line_break_and_drops_escaped_controls():
    """An escaped CR LF is one line break, NEL is a line break, a tab stays and an escaped U+0001 is removed."""
    assert plain_text("12 hộ_x000D__x000A_nghèo") == "12 hộ\nnghèo"
    assert plain_text("a\x85b\tc") == "a\nb\tc"
    assert plain_text("_x0001_Ma Nới\x1f") == "Ma Nới"


def test_plain_text_is_always_writable_by_openpyxl():
    """Every character from U+0000 to U+009F, made plain, can be written into a cell and saved."""
    from io import BytesIO

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for i in range(0xA0):
        ws.cell(i + 1, 1, plain_text(f"a{chr(i)}b"))
    wb.save(BytesIO())
    assert ws.cell(0x0B + 1, 1).value == "a\nb"  # VT is a line break
    assert ws.cell(0x07 + 1, 1).value == "ab"  # BEL is removed
    assert ws.cell(0x09 + 1, 1).value == "a\tb"


@pytest.mark.parametrize("ch", [" ", "\u00a0", "\u202f", "\u2009", "\u2007", "\u3000", "\u200b", "\ufeff", "\t", "\n"])
def test_is_space_accepts_every_kind_of_space(ch):
    """Plain, no-break, narrow, thin, figure and ideographic spaces, zero-width space, BOM, tab and LF are spaces."""
    assert is_space(ch) is True


@pytest.mark.parametrize("ch", ["a", "_", "0", "\u200c", "\u200d", "ơ"])
def test_is_space_refuses_other_characters(ch):
    """Letters, digits, the underscore and the zero-width (non-)joiners are not spaces."""
    assert is_space(ch) is False


def test_strip_spaces_removes_digit_group_separators():
    """"1 500 000 đồng" typed with a BOM, NBSP, narrow NBSP and zero-width space reads "1500000đồng"."""
    assert strip_spaces("\ufeff1\u00a0500\u202f000\u200b đồng") == "1500000đồng"
    assert strip_spaces("Ma Nới") == "MaNới"
