"""Tests of pipeline/units.py: the official lists from the pinned package, the 2025 successions, the help for a
closed code, and the check of a setup's units against the lists (on configurations built inline)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from pipeline.config import Unit
from pipeline.units import (
    REFORM_DAY,
    check_units,
    closed_code_help,
    configured_predecessors,
    official_unit,
    official_units,
    successor,
)

BEFORE, AFTER = dt.date(2025, 4, 30), dt.date(2026, 4, 30)


def test_one_code_names_two_units_across_the_reform():
    """22810 is thị trấn Tân Sơn (Ninh Thuận) on the old list and xã Ninh Sơn (Khánh Hòa) on the new one; the new
    Khánh Hòa has 65 commune-level units, the country 3,321."""
    old, new = official_unit("22810", BEFORE), official_unit("22810", AFTER)
    assert (old.full_name, old.district, old.province) == ("thị trấn Tân Sơn", "Ninh Sơn", "Ninh Thuận")
    assert (new.full_name, new.district, new.province, new.valid_from) == ("xã Ninh Sơn", None, "Khánh Hòa",
                                                                           REFORM_DAY)
    assert len([u for u in official_units(AFTER).values() if u.province == "Khánh Hòa"]) == 65
    assert len(official_units(AFTER)) == 3321
    assert official_unit("22825", AFTER) is None and official_unit("22825", BEFORE).name == "Hòa Sơn"


def test_successors_of_the_old_communes():
    """Hòa Sơn and Ma Nới became xã Anh Dũng (22828, Ma Nới's code); Lâm Sơn and Lương Sơn xã Lâm Sơn; a code
    never on the old list has no successor."""
    assert successor("22825").full_name == successor("22828").full_name == "xã Anh Dũng"
    assert successor("22825").code == "22828"
    assert (successor("22816").code, successor("22816").name) == ("22813", "Lâm Sơn")
    assert successor("99999") is None


def test_a_closed_code_names_its_successor():
    assert closed_code_help("22825", AFTER) == ("Mã 22825 (xã Hòa Sơn) đã thôi hiệu lực từ 01/07/2025; nay là xã "
                                                "Anh Dũng, mã 22828")
    assert closed_code_help("22825", BEFORE) is None  # in force then
    assert closed_code_help("22828", AFTER) is None  # kept by the merged unit
    assert closed_code_help("99999", AFTER) is None  # never a unit


def _unit(**kwargs) -> Unit:
    base = dict(code="22813", name="Lâm Sơn", kind="xã", area="rural", valid_from=dt.date(2004, 1, 1),
                valid_to=dt.date(2025, 6, 30))
    return Unit(**{**base, **kwargs})


def test_the_shipped_setup_agrees_with_the_lists(config):
    assert check_units(config) == []


def test_every_difference_is_reported_never_resolved(config):
    """A wrong name, a wrong kind and the area it implies, a unit running across 01/07/2025, a closed code kept
    after it: each is one line naming the unit, the list's date and what the list says."""
    units = (
        _unit(),  # agrees
        _unit(code="22816", name="Lương Sơn Mới"),
        _unit(code="22810", name="Tân Sơn", kind="xã", area="rural"),
        _unit(code="22822", name="Mỹ Sơn", valid_to=dt.date(2026, 12, 31)),
        _unit(code="22825", name="Hòa Sơn", valid_from=dt.date(2025, 7, 1), valid_to=dt.date(2026, 12, 31)),
    )
    found = check_units(dataclasses.replace(config, units=units))
    assert found == [
        "Đơn vị 22816 (xã Lương Sơn Mới, từ 01/01/2004 đến 30/06/2025), danh mục ngày 01/01/2004: tên trong danh "
        "mục là 'xã Lương Sơn'",
        "Đơn vị 22810 (xã Tân Sơn, từ 01/01/2004 đến 30/06/2025), danh mục ngày 01/01/2004: loại đơn vị trong danh "
        "mục là 'thị trấn', cấu hình ghi 'xã'; khu vực phải là urban theo loại đơn vị 'thị trấn', cấu hình ghi rural",
        "Đơn vị 22822 (xã Mỹ Sơn, từ 01/01/2004 đến 31/12/2026): hiệu lực kéo dài qua ngày 01/07/2025, khi danh mục "
        "đơn vị hành chính đổi; tách thành hai đơn vị, một đến 30/06/2025 và một từ 01/07/2025",
        "Đơn vị 22825 (xã Hòa Sơn, từ 01/07/2025 đến 31/12/2026): mã 22825 không có trong danh mục ngày 01/07/2025 (Mã "
        "22825 (xã Hòa Sơn) đã thôi hiệu lực từ 01/07/2025; nay là xã Anh Dũng, mã 22828)",
    ]


def test_a_unit_still_in_force_reads_until_now(config):
    """A unit with no end date is shown "đến nay", never with the placeholder 31/12/9999."""
    found = check_units(dataclasses.replace(config, units=(_unit(code="22828", name="Ma Nới Mới",
                                                                valid_from=dt.date(2025, 7, 1),
                                                                valid_to=dt.date(9999, 12, 31)),)))
    assert found == ["Đơn vị 22828 (xã Ma Nới Mới, từ 01/07/2025 đến nay), danh mục ngày 01/07/2025: tên trong danh "
                     "mục là 'xã Anh Dũng'"]


def test_a_successors_predecessors_in_the_setup(config):
    """In the 2023 setup with the 2025 units added: xã Ninh Sơn (22810 from 01/07/2025) took over thị trấn Tân Sơn
    and xã Quảng Sơn, both configured (complete); xã Mỹ Sơn also took over Phước Trung, of another district (not
    complete); a unit active on the day asked has none."""
    new = tuple(Unit(code=c, name=n, kind="xã", area="rural", valid_from=REFORM_DAY)
                for c, n in (("22810", "Ninh Sơn"), ("22822", "Mỹ Sơn")))
    setup = dataclasses.replace(config, units=config.units + new)
    april = dt.date(2025, 4, 30)
    before, complete = configured_predecessors(setup, new[0], april)
    assert ([u.full_name for u in before], complete) == (["thị trấn Tân Sơn", "xã Quảng Sơn"], True)
    before, complete = configured_predecessors(setup, new[1], april)
    assert ([u.full_name for u in before], complete) == (["xã Mỹ Sơn"], False)
    assert configured_predecessors(setup, setup.unit("22813", april), april) == ([], False)
