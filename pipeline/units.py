"""The official list of administrative units, from a maintained package, and the check of a setup against it.

Source: the package ``vietnamadminunits`` (pinned in requirements.txt), which carries both national lists — the
63-province, three-tier list in force until 30/06/2025 (communes, wards and townships under districts) and the
34-province, two-tier list in force from 01/07/2025 (Resolution 202/2025/QH15 and the Standing Committee's
resolutions on each province's communes; Decision 19/2025/QĐ-TTg on the codes) — and the 2025 conversion of
each old unit to the new one that took it over. Codes are the 5-character strings of the national list; a
closed code is never reused for another place, and a merged unit keeps the code of the unit that hosts its
People's Committee, so one code may name two units: 22810 is thị trấn Tân Sơn until 30/06/2025 and xã Ninh Sơn
from 01/07/2025. A unit is therefore (code, list), never a code alone.

Nothing here is typed by hand: the configuration names which units report in a setup, and
:func:`check_units` reports every difference between it and the package (``python -m pipeline check-units``);
nothing is silently resolved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from pipeline.config import Config, Unit

REFORM_DAY = dt.date(2025, 7, 1)
"""The first day of the two-tier list (no district level; Law on Organisation of Local Government 2025,
Resolution 202/2025/QH15): the package's two lists meet here."""

LEGACY, CURRENT = "admin_units_legacy", "admin_units"
KIND_AREA = {"phường": "urban", "thị trấn": "urban", "xã": "rural"}
"""The area a kind of unit implies for the poverty line (Decree 07/2021/NĐ-CP, Art. 3: urban for wards and
townships, rural for communes). A special zone (đặc khu) has no fixed area: its configuration says."""


@dataclass(frozen=True)
class OfficialUnit:
    """A commune-level unit of one national list: ``code`` (5 characters), ``name`` without its kind ("Ma
    Nới"), ``kind`` in lower case ("xã", "phường", "thị trấn", "đặc khu"), ``province`` and ``province_code``,
    ``district`` (the old list only; None after the reform), and the list's validity."""

    code: str
    name: str
    kind: str
    province: str
    province_code: str
    district: str | None
    valid_from: dt.date
    valid_to: dt.date

    @property
    def full_name(self) -> str:
        """"xã Ma Nới", "thị trấn Tân Sơn"."""
        return f"{self.kind} {self.name}"


def _rows(table: str) -> list[dict[str, Any]]:
    from vietnamadminunits.database import query

    district = ", districtShort" if table == LEGACY else ""
    return list(query(f"SELECT DISTINCT wardShort, wardType, wardCode, provinceShort, provinceCode{district} "
                      f"FROM [{table}] WHERE wardCode IS NOT NULL"))


@cache
def _list(table: str) -> dict[str, OfficialUnit]:
    legacy = table == LEGACY
    out: dict[str, OfficialUnit] = {}
    for r in _rows(table):
        code = str(r["wardCode"]).zfill(5)
        out[code] = OfficialUnit(
            code=code, name=r["wardShort"], kind=str(r["wardType"] or "").lower(), province=r["provinceShort"],
            province_code=str(r["provinceCode"]), district=r.get("districtShort") if legacy else None,
            valid_from=dt.date(1900, 1, 1) if legacy else REFORM_DAY,
            valid_to=REFORM_DAY - dt.timedelta(days=1) if legacy else dt.date(9999, 12, 31))
    return out


def official_units(on: dt.date) -> dict[str, OfficialUnit]:
    """The national list in force on ``on``: code → unit (about 10,000 before the reform, 3,321 after)."""
    return _list(LEGACY if on < REFORM_DAY else CURRENT)


def official_unit(code: str, on: dt.date) -> OfficialUnit | None:
    """The unit ``code`` names on ``on``, or None when the list in force then has no such code."""
    return official_units(on).get(code)


@cache
def successor(code: str) -> OfficialUnit | None:
    """The unit of the 2025 list that took over the old unit ``code`` (for a divided unit, the one the
    package names as its main successor), or None when ``code`` is not in the old list or has no successor."""
    from vietnamadminunits import convert_address

    old = _list(LEGACY).get(code)
    if old is None:
        return None
    address = f"{old.kind[:1].upper()}{old.kind[1:]} {old.name}, {old.district or ''}, {old.province}"
    try:
        new = convert_address(address)
    except Exception:  # noqa: BLE001 - the package's parser found no match: no successor known
        return None
    return _list(CURRENT).get(str(new.ward_code).zfill(5)) if new.ward_code else None


def predecessors(code: str, provinces: frozenset[str]) -> list[OfficialUnit]:
    """The units of the old list, in ``provinces`` (their names, e.g. "Ninh Thuận"), that the 2025 unit ``code``
    took over (:func:`successor`), by code."""
    return sorted((u for u in _list(LEGACY).values() if u.province in provinces
                   and (after := successor(u.code)) is not None and after.code == code), key=lambda u: u.code)


def configured_predecessors(config: Config, unit: Unit, on: dt.date) -> tuple[list[Unit], bool]:
    """The units of ``config`` active on ``on`` (an earlier period's cut-off) that ``unit`` took over in the 2025
    conversion (:func:`successor`), in configuration order, and whether they are all the official predecessors
    in their provinces (xã Mỹ Sơn took over Phước Trung of another district too: a district setup has only
    part of it). ``unit`` itself active on ``on`` has none: it is the same unit, not a successor."""
    if unit.active_on(on):
        return [], False
    before = [u for u in config.units_on(on)
              if u is not unit and (after := successor(u.code)) is not None and after.code == unit.code]
    if not before:
        return [], False
    provinces = frozenset(o.province for u in before if (o := official_unit(u.code, on)) is not None)
    official = {u.code for u in predecessors(unit.code, provinces)}
    return before, official <= {u.code for u in before}


def closed_code_help(code: str, on: dt.date) -> str | None:
    """When ``code`` names a unit closed before ``on`` (Vietnamese, no final stop): "Mã 22825 (xã Hòa Sơn) đã
    thôi hiệu lực từ 01/07/2025; nay là xã Anh Dũng, mã 22828"; None when ``code`` is in force on ``on`` or
    was never a unit."""
    if on < REFORM_DAY or code in _list(CURRENT):
        return None
    old = _list(LEGACY).get(code)
    if old is None:
        return None
    after = successor(code)
    now = f"; nay là {after.full_name}, mã {after.code}" if after is not None else ""
    return f"Mã {code} ({old.full_name}) đã thôi hiệu lực từ {REFORM_DAY:%d/%m/%Y}{now}"


def check_units(config: Config) -> list[str]:
    """Every difference between the setup's units and the official lists (Vietnamese sentences, no final
    stop), in configuration order; empty when they agree.

    For each configured unit, on the first and the last day of its validity: its code is in the list in
    force, with the same name (or an alias) and kind; its area is the one its kind implies; its validity does
    not run across 01/07/2025 (the code names two units then). Nothing is changed.
    """
    out: list[str] = []
    for unit in config.units:
        out += _unit_differences(unit)
    return out


def _unit_differences(unit: Unit) -> list[str]:
    out: list[str] = []
    until = "nay" if unit.valid_to.year >= 9999 else f"{unit.valid_to:%d/%m/%Y}"
    label = f"Đơn vị {unit.code} ({unit.full_name}, từ {unit.valid_from:%d/%m/%Y} đến {until})"
    if unit.valid_from < REFORM_DAY <= unit.valid_to:
        out.append(f"{label}: hiệu lực kéo dài qua ngày {REFORM_DAY:%d/%m/%Y}, khi danh mục đơn vị hành chính đổi; "
                   f"tách thành hai đơn vị, một đến 30/06/2025 và một từ {REFORM_DAY:%d/%m/%Y}")
    first_days: dict[bool, dt.date] = {}  # one look per list the unit's validity touches: its first day in it
    for day in (unit.valid_from, unit.valid_to):
        first_days.setdefault(day < REFORM_DAY, unit.valid_from if day < REFORM_DAY else max(REFORM_DAY,
                                                                                             unit.valid_from))
    seen: set[str] = set()
    for day in sorted(first_days.values()):
        official = official_unit(unit.code, day)
        if official is None:
            help_text = closed_code_help(unit.code, day)
            text = (f"{label}: mã {unit.code} không có trong danh mục ngày {day:%d/%m/%Y}"
                    + (f" ({help_text})" if help_text else ""))
        else:
            problems = []
            if not unit.matches_name(official.name) and not unit.matches_name(official.full_name):
                problems.append(f"tên trong danh mục là '{official.full_name}'")
            if official.kind != unit.kind.lower():
                problems.append(f"loại đơn vị trong danh mục là '{official.kind}', cấu hình ghi '{unit.kind}'")
            area = KIND_AREA.get(official.kind)
            if area is not None and area != unit.area:
                problems.append(f"khu vực phải là {area} theo loại đơn vị '{official.kind}', cấu hình ghi {unit.area}")
            text = f"{label}, danh mục ngày {day:%d/%m/%Y}: " + "; ".join(problems) if problems else ""
        if text and text not in seen:
            seen.add(text)
            out.append(text)
    return out
