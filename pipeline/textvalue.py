"""Cell text as Excel stores it, made plain: OOXML escapes, line breaks, control characters, spaces.

Rules (ECMA-376 Part 1, §22.9.2.19 ST_Xstring): a character that XML cannot carry is written as
``_xHHHH_`` (four hex digits, the UTF-16 code unit); a literal ``_xHHHH_`` is written with its first
underscore escaped as ``_x005F_``. openpyxl leaves these escapes in the text it reads, so they are
decoded here. XML 1.0 (and so openpyxl's writer) refuses most C0 control characters, while the legacy
.xls format allows them: line-like controls become ``\\n`` and the others are removed.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["decode_ooxml_escapes", "is_space", "plain_text", "strip_spaces"]

_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_LINE_BREAKS = re.compile("\r\n|[\r\v\f\x85\u2028\u2029]")
# C0 controls except TAB and LF, DEL, C1 controls (U+0080–U+009F; U+0085 is a line break, handled above).
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def decode_ooxml_escapes(text: str) -> str:
    """``text`` with every ``_xHHHH_`` escape replaced by its character (``_x005F_`` by "_").

    Scanning is left to right without overlaps, so ``_x005F_x000D_`` reads as the literal ``_x000D_``.
    A UTF-16 surrogate pair written as two escapes is joined; a lone surrogate is dropped.
    """
    if "_x" not in text and "_X" not in text:
        return text
    decoded = _ESCAPE.sub(lambda m: chr(int(m[1], 16)), text)
    if any("\ud800" <= ch <= "\udfff" for ch in decoded):
        decoded = decoded.encode("utf-16", "surrogatepass").decode("utf-16", "ignore")
    return decoded


def plain_text(text: str) -> str:
    """``text`` safe for any workbook: escapes decoded, line-like controls (CR, CRLF, VT, FF, NEL, U+2028,
    U+2029) turned into ``\\n``, other controls (U+0000–U+001F but TAB and LF, U+007F–U+009F) removed.

    The result never makes openpyxl raise ``IllegalCharacterError``.
    """
    text = decode_ooxml_escapes(text)
    text = _LINE_BREAKS.sub("\n", text)
    return _CONTROLS.sub("", text)


def is_space(ch: str) -> bool:
    """True for any Unicode space: ``str.isspace()`` or general category Zs (NBSP U+00A0, narrow NBSP
    U+202F, thin U+2009, figure space U+2007, …), and for the zero-width space U+200B and BOM U+FEFF."""
    return ch.isspace() or unicodedata.category(ch) == "Zs" or ch in "\u200b\ufeff"


def strip_spaces(text: str) -> str:
    """``text`` without any character :func:`is_space` accepts (digit-group separators in "1 138")."""
    return "".join(ch for ch in text if not is_space(ch))
