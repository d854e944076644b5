"""Synthesis of the units' free texts (difficulties, proposals): each point once, with the units that raised it.

The report's part IV does not paste the units' texts one after another: it lists each point once, followed by
the units that raised it. The units' texts themselves go, verbatim, to an annex.

Rule for splitting a text into points (:func:`split_points`): a point is a line (line breaks ``\\n``,
``\\r\\n``, ``\\r``, U+2028, U+2029) or a part of a line separated by ``;``. Sentences ending in ``.`` are not
split: dots also occur inside numbers ("1.500.000") and abbreviations ("TT.", "v.v."). A leading bullet
(``- – — • + * ·`` …) or list number ("1.", "2)", "a)") is removed; empty points are dropped.

Rule for comparing points (:func:`point_key`): Unicode NFC, case-folded, whitespace (non-breaking and
zero-width spaces included) collapsed to one space, trailing punctuation ``. , ; : ! ? …`` removed. Points with
equal keys are one point; nothing else is merged: two points that share words but say different things stay
apart. The text shown is the first spelling seen (NFC, without its bullet and trailing ``; ,``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# line breaks a cell may hold (Excel's Alt+Enter is "\n"; pasted text may bring the others)
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\u2028\u2029\u0085]")
_BULLET = re.compile(r"^(?:[-\u2010-\u2015\u2212•·∙◦▪▫●○■□►▸❖✓✔+*>]+\s*|\(?(?:\d{1,2}|[a-zđ])[.)]\s+)",
                     re.IGNORECASE)
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
_TRAILING = ".,;:!?…"


@dataclass
class Point:
    """One point of a synthesis: its ``text`` (first spelling seen) and the ``units`` that raised it, in the
    order of the units given (each once)."""

    text: str
    units: list[str] = field(default_factory=list)


def _clean(text: str) -> str:
    """NFC, zero-width characters removed, runs of whitespace (NBSP included) made one space, stripped."""
    text = _ZERO_WIDTH.sub("", unicodedata.normalize("NFC", text))
    return " ".join(text.split())


def _strip_bullet(text: str) -> str:
    """The text without its leading bullets or list numbers (several, e.g. "- 1. …")."""
    while True:
        stripped = _BULLET.sub("", text, count=1).lstrip()
        if stripped == text:
            return text
        text = stripped


def split_points(text: str | None) -> list[str]:
    """The points of a free text, in order (see the module's rule), each cleaned and without its bullet.

    Returns:
        A list of non-empty strings (NFC, single spaces, no leading bullet, no trailing ``;`` or ``,``);
        empty for None or a blank text.
    """
    if not text:
        return []
    out = []
    for line in _LINE_BREAKS.split(text):
        for part in line.split(";"):
            point = _strip_bullet(_clean(part)).rstrip(";, ")
            if point.strip(_TRAILING + " "):
                out.append(point)
    return out


def point_key(point: str) -> str:
    """The comparison key of a point: NFC, case-folded, bullet removed, whitespace collapsed, trailing
    punctuation removed. Two points are the same point when their keys are equal."""
    key = _strip_bullet(_clean(point)).casefold()
    return unicodedata.normalize("NFC", key).rstrip(_TRAILING + " ")


def group_points(texts: list[tuple[str, str | None]]) -> list[Point]:
    """Group the points of several units' texts: each distinct point once, with the units that raised it.

    Args:
        texts: ``(unit_name, text)`` pairs in the report's unit order; ``text`` may be None or blank.

    Returns:
        The points in order of first appearance (by unit, then within the unit's text); each point's
        ``units`` in the order of ``texts``, a unit listed once even when it repeats the point.
    """
    groups: dict[str, Point] = {}
    for unit, text in texts:
        for point in split_points(text):
            group = groups.setdefault(point_key(point), Point(point))
            if unit not in group.units:
                group.units.append(unit)
    return list(groups.values())


NAMES_AT_MOST = 10
"""Units named before a point at most; beyond, they are counted (their texts are in the annex, verbatim)."""


def who(units: list[str], everyone: list[str], kinds: str, complete: bool = True) -> str:
    """Who raised a point, for the start of its line: every unit of ``everyone`` (the units whose texts were
    read, more than one) as "8/8 xã, thị trấn" (``kinds``: the setup's words for the units' kinds without
    "các"; "6/6 xã, thị trấn có báo cáo" when not every unit expected reported, ``complete`` False); at most
    :data:`NAMES_AT_MOST` units by name ("xã A, xã B"); more as "61/64 xã, phường, đặc khu", with the few left
    out named ("trừ xã C, xã D", up to 5)."""
    n, total = len(units), len(everyone)
    counted = f"{n}/{total} {kinds}" + ("" if complete else " có báo cáo")
    if total > 1 and n == total:
        return counted
    if n <= NAMES_AT_MOST:
        return ", ".join(units)
    others = [u for u in everyone if u not in units]
    return counted + (f" (trừ {', '.join(others)})" if len(others) <= 5 else "")


def sentence(point: Point, everyone: list[str] | None = None, kinds: str = "", complete: bool = True) -> str:
    """A point as a line of the report: "Xã A, xã B: text." or "8/8 xã, thị trấn: text." (:func:`who`, when
    ``everyone`` is given) — the first letter capitalised (it starts the line), the text ending with a full stop
    unless it already ends with ``. ! ? …``."""
    text = point.text if point.text.endswith((".", "!", "?", "…")) else point.text.rstrip(_TRAILING) + "."
    named = who(point.units, everyone, kinds, complete) if everyone is not None else ", ".join(point.units)
    return capitalise(f"{named}: {text}")


def capitalise(text: str) -> str:
    """``text`` with its first letter upper-cased, the rest as it is: a unit name at the start of a line or in
    a table cell ("xã Ma Nới" → "Xã Ma Nới"; "thị trấn Tân Sơn" → "Thị trấn Tân Sơn"). Inside a sentence
    unit names stay lower case, as stored."""
    return text[:1].upper() + text[1:]
