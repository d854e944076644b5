"""Configuration: units, period codes, deadlines and dated poverty standards."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.config import ConfigError

HCM = dt.timezone(dt.timedelta(hours=7))


def test_units_of_2023(config):
    """Thị trấn Tân Sơn and the 7 communes, with 5-digit GSO codes; Tân Sơn is urban."""
    units = config.units_on(dt.date(2023, 4, 30))
    assert [u.code for u in units] == ["22810", "22813", "22816", "22819", "22822", "22825", "22828", "22831"]
    assert config.unit("22810").area == "urban"
    assert config.unit("22828").full_name == "xã Ma Nới"
    assert config.units_on(dt.date(2025, 7, 1)) == []


def test_period_deadline_and_cutoff(config):
    """2023-6T is due before 00:00 of 05/5/2023 (+07:00); data cut-off 30/4."""
    p = config.period("2023-6T")
    assert p.deadline == dt.datetime(2023, 5, 5, tzinfo=config.timezone)
    assert p.deadline.utcoffset() == dt.timedelta(hours=7)
    assert p.cutoff == dt.date(2023, 4, 30)
    assert config.period("2023-CN").deadline.date() == dt.date(2023, 11, 5)
    assert config.period("2024-9T").folder == "9T"


@pytest.mark.parametrize("code", ["2023-6t", "2023-12T", "23-6T", "", "2023/6T"])
def test_bad_period_codes(config, code):
    """A malformed period code is refused with the expected form in the message."""
    with pytest.raises(ConfigError, match="2023-6T"):
        config.period(code)


def test_latest_period_due(config):
    """With no Param, a run takes the latest period whose deadline has passed at run_after."""
    assert config.latest_period_due(dt.datetime(2024, 5, 5, 0, 0, tzinfo=HCM)).code == "2024-6T"
    assert config.latest_period_due(dt.datetime(2024, 5, 4, 23, 59, tzinfo=HCM)).code == "2023-CN"
    # 17:00 UTC on 4 May is already 00:00 of 5 May in Vietnam
    assert config.latest_period_due(dt.datetime(2024, 5, 4, 17, 0, tzinfo=dt.UTC)).code == "2024-6T"
    assert config.latest_period_due(dt.datetime(2024, 12, 31, tzinfo=HCM)).code == "2024-CN"


def test_standards_are_dated(config):
    """2023 uses Decree 07/2021 (rural 1.500.000, urban 2.000.000 đ); 2021 still the 2016–2020 standard."""
    s = config.standard_on(dt.date(2023, 4, 30))
    assert s.id == "07/2021/NĐ-CP"
    assert s.poor_income_max_vnd == {"rural": 1_500_000, "urban": 2_000_000}
    assert s.min_deprivations_poor == 3
    assert config.standard_on(dt.date(2021, 6, 30)).id == "59/2015/QĐ-TTg"
    with pytest.raises(ConfigError):
        config.standard_on(dt.date(2026, 6, 30))


def test_schedule_cron(config):
    """The deadlines of the config make one cron line at 00:00 on the 5th of May, August, November."""
    assert config.schedule_cron() == "0 0 5 5,8,11 *"
