"""Vietnamese formatting: dot thousands, comma decimals, half-up rounding, Decree 30 dateline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pipeline import fmt


def test_thousands_use_dots():
    """Counts and amounts use "." between thousands."""
    assert fmt.number(1551) == "1.551"
    assert fmt.number(24272) == "24.272"
    assert fmt.number(1_500_000) == "1.500.000"
    assert fmt.number(0) == "0"
    assert fmt.number(None) == "-"


def test_rates_of_the_plan():
    """The plan's rates come out as printed in it: 6,39%, 5,69% and 0,13%."""
    assert fmt.rate(1551, 24272) == "6,39%"
    assert fmt.rate(1381, 24272) == "5,69%"
    assert fmt.rate(2, 1551) == "0,13%"
    assert fmt.rate(2, 0) == "-"


def test_rounding_is_half_up_not_half_even():
    """0,125 → 0,13 and 0,135 → 0,14 (Babel alone would give 0,12 and 0,14)."""
    assert fmt.pct(Decimal("0.125")) == "0,13%"
    assert fmt.pct(Decimal("0.135")) == "0,14%"
    assert fmt.pct(Decimal("2.5"), places=0) == "3%"
    assert fmt.number(Decimal("2.5")) == "3"
    assert fmt.half_up("1.005") == Decimal("1.01")


def test_dateline_leading_zeros():
    """Days below 10 and months 1–2 take a leading zero; other months do not."""
    assert fmt.dateline("Ninh Sơn", dt.date(2023, 5, 5)) == "Ninh Sơn, ngày 05 tháng 5 năm 2023"
    assert fmt.dateline("Ninh Sơn", dt.date(2023, 2, 14)) == "Ninh Sơn, ngày 14 tháng 02 năm 2023"
    assert fmt.dateline("Ninh Sơn", dt.date(2023, 11, 30)) == "Ninh Sơn, ngày 30 tháng 11 năm 2023"


def test_draft_dateline_leaves_day_blank():
    """A draft's dateline leaves the day for the clerk."""
    assert fmt.dateline("Ninh Sơn", None, month=5, year=2023) == "Ninh Sơn, ngày      tháng 5 năm 2023"


def test_date_admin():
    """Administrative dates: day with two digits, month with two only for January and February."""
    import datetime as dt

    from pipeline.fmt import date_admin

    assert [date_admin(dt.date(2023, 5, 5)), date_admin(dt.date(2024, 2, 5)), date_admin(dt.date(2023, 10, 31)),
            date_admin(dt.date(2023, 1, 15))] == ["05/5/2023", "05/02/2024", "31/10/2023", "15/01/2023"]


def test_a_whole_percentage_has_no_decimals():
    """An official text writes "100%" and "50%", not "100,00%"; a share that rounds to a whole number too ("0%" for
    0,001%); any other keeps two decimals."""
    assert fmt.rate(8, 8) == "100%" and fmt.rate(1, 2) == "50%" and fmt.rate(0, 8) == "0%"
    assert fmt.pct(Decimal("0.001")) == "0%" and fmt.pct(Decimal("49.999")) == "50%"
    assert fmt.pct(Decimal("12.5")) == "12,50%" and fmt.pct(Decimal("1234.5")) == "1.234,50%"
