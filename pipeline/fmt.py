"""Vietnamese number and date formatting for reports (Babel ``vi`` locale, rounding half-up).

"1.551 hộ", "6,39%", "1.500.000 đồng", "ngày 05 tháng 5 năm 2023". Babel rounds half-even; Vietnamese
reports round half-up, so values are quantized with ``ROUND_HALF_UP`` before Babel formats them.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

LOCALE = "vi"


def half_up(value: Decimal | int | float | str, places: int = 2) -> Decimal:
    """Round to ``places`` decimals, halves away from zero (1,005 → 1,01)."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def percent(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator × 100`` as an exact Decimal (%), or None when the denominator is 0."""
    if not denominator:
        return None
    return Decimal(numerator) * 100 / Decimal(denominator)


def number(value: int | float | Decimal | None, places: int = 0) -> str:
    """A count or amount: ``1551`` → ``"1.551"``, ``12.34`` with ``places=1`` → ``"12,3"`` (half-up);
    ``None`` → ``"-"`` (no data)."""
    if value is None:
        return "-"
    if places:
        fmt = "#,##0." + "0" * places
        return format_decimal(half_up(value, places), format=fmt, locale=LOCALE)
    return format_decimal(half_up(value, 0), format="#,##0", locale=LOCALE)


def pct(value: Decimal | None, places: int = 2) -> str:
    """A percentage given in % units: ``Decimal("6.3901")`` → ``"6,39%"``; a whole one after rounding without
    decimals, as an official text writes it (``100`` → ``"100%"``, ``Decimal("0.001")`` → ``"0%"``); None → ``"-"``."""
    if value is None:
        return "-"
    rounded = half_up(value, places)
    if rounded == rounded.to_integral_value():
        return format_decimal(rounded, format="#,##0", locale=LOCALE) + "%"
    return format_decimal(rounded, format="#,##0." + "0" * places, locale=LOCALE) + "%"


def rate(numerator: int | None, denominator: int | None, places: int = 2) -> str:
    """``numerator / denominator`` as a Vietnamese percentage: ``rate(1551, 24272)`` → ``"6,39%"``."""
    if numerator is None or not denominator:
        return "-"
    return pct(percent(numerator, denominator), places)


def local_time(value: dt.datetime | str | None, tz: dt.tzinfo) -> str:
    """An instant (aware datetime, or ISO 8601 text with an offset) as local "dd/mm/yyyy HH:MM" in ``tz``;
    "" for None or ""."""
    if not value:
        return ""
    when = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def date_vn(day: dt.date) -> str:
    """A date in dd/mm/yyyy form: ``05/05/2023``."""
    return format_date(day, "dd/MM/y", locale=LOCALE)


def dateline(place: str, day: dt.date | None, *, month: int | None = None, year: int | None = None) -> str:
    """The place-and-date line of Decree 30/2020/NĐ-CP (Appendix I).

    Days below 10 and months 1–2 take a leading zero: "Ninh Sơn, ngày 05 tháng 02 năm 2023". With ``day``
    None it is a draft's line with the day (and, if ``month`` is None, the month) left blank for the clerk:
    "Ninh Sơn, ngày      tháng 5 năm 2023".
    """
    if day is not None:
        pattern = "'ngày' dd 'tháng' MM 'năm' y" if day.month <= 2 else "'ngày' dd 'tháng' M 'năm' y"
        return f"{place}, {format_date(day, pattern, locale=LOCALE)}"
    month_text = "     " if month is None else (f"{month:02d}" if month <= 2 else str(month))
    year_text = str(year) if year is not None else "     "
    return f"{place}, ngày      tháng {month_text} năm {year_text}"


def date_admin(day: dt.date) -> str:
    """A date as administrative letters write it (Decree 30/2020/NĐ-CP, Appendix I: days below 10 and months
    1–2 take a leading zero): ``05/5/2023``, ``05/02/2024``, ``31/10/2023``."""
    return f"{day.day:02d}/{day.month:02d}/{day.year}" if day.month <= 2 else f"{day.day:02d}/{day.month}/{day.year}"
