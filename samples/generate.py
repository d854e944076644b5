"""Seeded generator of sample submissions.

Two data sets:

* ``plan`` (``samples/2023-6T/``): the 8 units of Ninh Sơn for the 6-month 2023 report, whose district
  totals are the plan's real baseline figures — 1.551 poor households (6,39 % of 24.272 households),
  1.381 near-poor (5,69 %), 2 poor households with an NCC member (11 persons, 0,13 % of poor households), both
  in xã Ma Nới, Raglai, deprived in employment, education, housing, water & sanitation and information but
  not health. The distribution over units is generated; counts at the cut-off equal those at 1 January
  (the lists stay fixed between reviews).
* ``test``: a different distribution (another seed, other totals), with one unit missing and one unit's
  workbook invalid (a household with more NCC members than members, and summary counts that disagree with
  the roster). Tests build it in a temporary folder.

* ``year`` (``samples/2023-9T/``, ``samples/2023-CN/``): the same households through the rest of 2023
  (:func:`generate_year`): the 2 poor NCC households of Ma Nới escape poverty by commune decisions, other
  households move away, move in, rise above or fall to the near-poor line.

Run: ``python -m samples.generate`` rewrites ``samples/2023-6T/`` (same seed, same content);
``python -m samples.generate --variant year`` writes ``samples/2023-9T/`` and ``samples/2023-CN/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline import schema
from pipeline.config import Config, Unit, load_config
from pipeline.staff.form import write_submission
from samples.offices import generate_offices

PLAN_SEED = 20230505
TEST_SEED = 7
SAMPLES_DIR = Path(__file__).resolve().parent

# Plan baseline (end-2022 review, i.e. status on 1 January 2023): district totals.
PLAN_TOTALS = {"households_total": 24272, "poor_households": 1551, "near_poor_households": 1381}
# Rough relative size and poverty weight per unit (the mountainous Raglai commune Ma Nới is poorest).
UNIT_PROFILE = {
    "22810": (5.2, 0.35),
    "22813": (3.9, 1.0),
    "22816": (3.3, 1.1),
    "22819": (4.3, 0.8),
    "22822": (2.4, 1.3),
    "22825": (1.5, 1.2),
    "22828": (1.1, 3.6),
    "22831": (2.6, 0.9),
}
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Huỳnh"]
RAGLAI_SURNAMES = ["Pinăng", "Katơr", "Chamaléa", "Mấu", "Bo Bo", "Pupăng"]
MIDDLE = ["Văn", "Thị", "Hữu", "Ngọc", "Minh", "Thanh"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hoa", "Lan", "Mai", "Nam", "Phúc", "Sơn", "Tâm", "Vân", "Hùng", "Lệ"]
VILLAGES = ["Thôn 1", "Thôn 2", "Thôn 3", "Thôn 4", "Thôn 5"]
MA_NOI_VILLAGES = ["Thôn Tà Nôi", "Thôn Gia Hoa", "Thôn Do", "Thôn Hà Dài"]
CAUSES = ["Thiếu vốn sản xuất", "Thiếu đất sản xuất", "Thiếu lao động", "Ốm đau, bệnh nặng", "Không có việc làm"]
SPONSORS = ["Hội Cựu chiến binh xã", "Đoàn Thanh niên xã", "Hội Liên hiệp Phụ nữ xã", "Doanh nghiệp tư nhân Phước An"]


@dataclass
class UnitData:
    """Everything one unit's workbook holds (values in the units of :mod:`pipeline.schema`)."""

    unit: Unit
    general: dict[str, Any]
    summary: dict[str, tuple[int | None, int | None]]
    roster: list[dict[str, Any]]
    narrative: dict[str, str]
    members: list[dict[str, Any]]


def allocate(total: int, weights: Sequence[float], caps: Sequence[int] | None = None) -> list[int]:
    """Split ``total`` into whole parts proportional to ``weights`` (largest remainder), each ≤ its cap."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    parts = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    if caps is not None:
        for i, cap in enumerate(caps):
            if parts[i] > cap:
                raise ValueError("allocation exceeds cap")
    return parts


def _name(rng: random.Random, raglai: bool) -> str:
    surname = rng.choice(RAGLAI_SURNAMES if raglai else SURNAMES)
    return f"{surname} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _flags(rng: random.Random, deprived: Sequence[str]) -> dict[str, bool]:
    return {k: k in deprived for k in schema.DEPRIVATION_KEYS}


def _household(
    rng: random.Random, unit: Unit, seq: int, status: str, members: int, deprived: Sequence[str], raglai: bool
) -> dict[str, Any]:
    ncc = rng.randint(1, min(2, members))
    income_cap = 2_000_000 if unit.area == "urban" else 1_500_000
    household = {
        "household_code": f"{unit.code}-{seq:04d}",
        "head_name": _name(rng, raglai),
        "village": rng.choice(MA_NOI_VILLAGES if unit.code == "22828" else VILLAGES),
        "ethnicity": "Raglai" if raglai else "Kinh",
        "members_count": members,
        "ncc_members_count": ncc,
        # "c" (a martyr) is never a living member: the martyr's relatives are "tn" (Ordinance 02/2020, Art. 3)
        "ncc_categories": rng.choice(["tn", "g;tn", "h", "e;tn", "i", "l"]),
        "working_capacity": rng.random() < 0.8,
        "status_baseline": "Nghèo" if status == "poor" else "Cận nghèo",
        "status_current": "Nghèo" if status == "poor" else "Cận nghèo",
        "change_kind": "Không thay đổi",
        "income_vnd_per_person_month": rng.randrange(income_cap // 2, income_cap, 10_000),
        **_flags(rng, deprived),
        "poverty_causes": rng.choice(CAUSES),
        "assigned_official": _name(rng, False),
        "support_loan_vnd": rng.choice([None, None, 30_000_000, 50_000_000]),
        "support_vocational_training": rng.random() < 0.2,
        "support_job_placement": rng.random() < 0.15,
        "support_livestock": rng.random() < 0.3,
        "support_housing_vnd": None,
        "support_health_insurance": status == "poor" or rng.random() < 0.5,
        "sponsor": None,
        "sponsor_amount_vnd": None,
    }
    if not household["working_capacity"]:  # jobs and livestock go to households able to work (plan, IV.4)
        household.update(support_job_placement=False, support_livestock=False)
    return household


def build_units(config: Config, *, seed: int, totals: dict[str, int], ncc_poor_units: dict[str, list[int]],
                period: str, prepared_on: dt.date,
                profiles: dict[str, tuple[float, float]] | None = None,
                only: frozenset[str] | None = None, on: dt.date | None = None) -> list[UnitData]:
    """Generate every unit's data with district totals exactly ``totals``.

    Args:
        seed: random seed; the same seed gives the same data.
        totals: district households_total, poor_households, near_poor_households.
        ncc_poor_units: unit code → member counts of its poor NCC households.
        period: period code typed in the workbooks.
        prepared_on: the date typed as "Ngày lập".
        profiles: unit code → (relative size, poverty weight); default :data:`UNIT_PROFILE` (Ninh Sơn 2023).
        only: the codes of the units that send a workbook (default: every unit valid on ``on``).
        on: the day the units are taken on (default 1 January of the period's year; a period after a
            reorganisation takes those of its cut-off: the successors, which report their own 01/01 figures).
    """
    rng = random.Random(seed)
    profiles = profiles or UNIT_PROFILE
    units = [u for u in config.units_on(on or dt.date(int(period[:4]), 1, 1)) if only is None or u.code in only]
    size_w = [profiles[u.code][0] * rng.uniform(0.9, 1.1) for u in units]
    pov_w = [profiles[u.code][1] * rng.uniform(0.85, 1.15) for u in units]
    households = allocate(totals["households_total"], size_w)
    poor = allocate(totals["poor_households"], [s * p for s, p in zip(size_w, pov_w, strict=True)], households)
    near_w = [s * (0.5 + p / 2) for s, p in zip(size_w, pov_w, strict=True)]
    near = allocate(totals["near_poor_households"], near_w, households)
    out = []
    for i, unit in enumerate(units):
        raglai = unit.code == "22828"
        roster: list[dict[str, Any]] = []
        seq = 1
        for members in ncc_poor_units.get(unit.code, []):
            hh = _household(rng, unit, seq, "poor", members, ["d01", "d05", "d07", "d09", "d10", "d12"], raglai)
            hh.update(support_health_insurance=True, support_livestock=True, working_capacity=True,
                      sponsor=SPONSORS[0], sponsor_amount_vnd=2_000_000)
            roster.append(hh)
            seq += 1
        for _ in range(rng.randint(1, 4)):
            deprived = rng.sample(list(schema.DEPRIVATION_KEYS), rng.randint(0, 2))
            roster.append(_household(rng, unit, seq, "near_poor", rng.randint(2, 6), deprived, raglai))
            seq += 1
        ncc_poor = [h for h in roster if h["status_current"] == "Nghèo"]
        ncc_near = [h for h in roster if h["status_current"] == "Cận nghèo"]
        poor_persons = round(poor[i] * rng.uniform(3.2, 4.4))
        near_persons = round(near[i] * rng.uniform(3.0, 4.0))
        loan_households = rng.randint(5, 40)
        counts = {
            "households_total": households[i],
            "poor_households": poor[i],
            "poor_persons": poor_persons,
            "near_poor_households": near[i],
            "near_poor_persons": near_persons,
            "ncc_poor_households": len(ncc_poor),
            "ncc_poor_persons": sum(h["members_count"] for h in ncc_poor),
            "ncc_near_poor_households": len(ncc_near),
            "ncc_near_poor_persons": sum(h["members_count"] for h in ncc_near),
        }
        cumulative = {
            "outreach_sessions": rng.randint(2, 12),
            "outreach_participants": rng.randint(80, 600),
            "fund_1_national_programmes_vnd": rng.randrange(50_000_000, 900_000_000, 100_000),
            "fund_3_contributions_vnd": rng.randrange(5_000_000, 80_000_000, 100_000),
            "fund_4_gratitude_poor_funds_vnd": rng.randrange(10_000_000, 120_000_000, 100_000),
            "fund_5_sponsors_vnd": rng.randrange(2_000_000, 30_000_000, 100_000),
            "loan_2_households": loan_households,
            "loan_2_disbursed_vnd": loan_households * rng.choice([30_000_000, 40_000_000, 50_000_000]),
        }
        summary: dict[str, tuple[int | None, int | None]] = {k: (v, v) for k, v in counts.items()}
        summary.update({k: (None, v) for k, v in cumulative.items()})
        general = {
            "unit_code": unit.code,
            "unit_name": unit.full_name,
            "period": period,
            "preparer": _name(rng, False),
            "phone": f"0259{rng.randrange(10**6, 10**7)}",
            "prepared_on": prepared_on,
        }
        narrative = {
            "results": (
                f"Đã rà soát, cập nhật danh sách hộ có người có công trên địa bàn {unit.full_name}.\n"
                f"Tổ chức {cumulative['outreach_sessions']} buổi tuyên truyền về chính sách giảm nghèo."
            ),
            "difficulties": "Một số hộ thiếu đất sản xuất, thiếu lao động.\nNguồn lực hỗ trợ còn hạn chế.",
            "proposals": "Đề nghị tiếp tục phân bổ vốn vay ưu đãi và hỗ trợ con giống cho hộ có người có công.",
        }
        out.append(UnitData(unit, general, summary, roster, narrative, members_of(roster, rng)))
    return out


def members_of(roster: Sequence[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """One row per NCC member of each household: as many as its NCC member count, categories from its list."""
    out = []
    for hh in roster:
        categories = hh["ncc_categories"].split(";")
        for i in range(hh["ncc_members_count"]):
            category = categories[i % len(categories)]
            relation = "Chủ hộ" if i == 0 and category != "tn" else rng.choice(["Vợ/Chồng", "Con", "Cha/Mẹ"])
            out.append({"household_code": hh["household_code"], "relation": relation, "category": category})
    return out


def write_units(units: Sequence[UnitData], out_dir: Path, title_period: str, config: Config | None = None
                ) -> list[Path]:
    """Write one workbook per unit into ``out_dir``, with ``config``'s units in its drop-down list of codes
    (default: the project's configuration); returns the paths (idempotent)."""
    paths = []
    for d in units:
        ascii_name = unicodedata.normalize("NFD", d.unit.name.replace("đ", "d").replace("Đ", "D"))
        slug = "".join(ch for ch in ascii_name if not unicodedata.combining(ch)).lower().replace(" ", "_")
        paths.append(
            write_submission(
                out_dir / f"{d.unit.code}_{slug}.xlsx",
                general=d.general,
                summary=d.summary,
                roster=d.roster,
                narrative=d.narrative,
                members=d.members,
                title_period=title_period,
                config=config,
            )
        )
    return paths


def generate_plan(out_dir: Path | None = None, config: Config | None = None) -> list[Path]:
    """The ``plan`` data set (see module docstring) in ``out_dir`` (default ``samples/2023-6T``)."""
    config = config or load_config()
    units = build_units(config, seed=PLAN_SEED, totals=PLAN_TOTALS, ncc_poor_units={"22828": [6, 5]},
                        period="2023-6T", prepared_on=dt.date(2023, 5, 3))
    return write_units(units, out_dir or SAMPLES_DIR / "2023-6T", "6 tháng đầu năm 2023")


# The rest of the year (samples/2023-9T, samples/2023-CN): the same households as the 6-month set (same seed),
# with the changes the communes decided between the reports. Each change: unit, household (by position in the
# unit's 6-month roster, or "new" for a household that joins), the period from which it shows, and the
# roster values it sets (statuses and kinds as staff type them, the commune decision behind it).
YEAR_PERIODS = {"2023-9T": ("9 tháng đầu năm 2023", dt.date(2023, 8, 2)),
                "2023-CN": ("năm 2023", dt.date(2023, 11, 2))}
YEAR_CHANGES: tuple[tuple[str, int | str, str, dict[str, Any]], ...] = (
    # Ma Nới: the first poor NCC household escapes to near-poor (housing built, one member placed in a job)…
    ("22828", 0, "2023-9T", {
        "status_current": "Cận nghèo", "change_kind": "Thoát nghèo", "decision_number": "45/QĐ-UBND",
        "decision_date": dt.date(2023, 7, 14), **{k: k in ("d05", "d12") for k in schema.DEPRIVATION_KEYS},
        "support_housing_vnd": 40_000_000, "support_job_placement": True}),
    # … and the second one above the near-poor line by the annual report.
    ("22828", 1, "2023-CN", {
        "status_current": "Mức sống trung bình", "change_kind": "Thoát nghèo", "decision_number": "78/QĐ-UBND",
        "decision_date": dt.date(2023, 10, 16), "income_vnd_per_person_month": 1_650_000,
        **{k: k == "d12" for k in schema.DEPRIVATION_KEYS}, "support_housing_vnd": 40_000_000,
        "support_vocational_training": True}),
    # Lâm Sơn: a near-poor NCC household moves to another province.
    ("22813", 0, "2023-9T", {
        "status_current": "Không có trên địa bàn", "change_kind": "Chuyển đi", "decision_number": "28/QĐ-UBND",
        "decision_date": dt.date(2023, 6, 20)}),
    # Tân Sơn: a near-poor NCC household rises above the urban near-poor line.
    ("22810", 0, "2023-CN", {
        "status_current": "Mức sống trung bình", "change_kind": "Thoát cận nghèo", "decision_number": "61/QĐ-UBND",
        "decision_date": dt.date(2023, 9, 25), "income_vnd_per_person_month": 2_300_000,
        **dict.fromkeys(schema.DEPRIVATION_KEYS, False)}),
    # Mỹ Sơn: a near-poor NCC household moves in from another commune.
    ("22822", "new", "2023-CN", {
        "status_baseline": "Không có trên địa bàn", "status_current": "Cận nghèo", "change_kind": "Chuyển đến",
        "decision_number": "33/QĐ-UBND", "decision_date": dt.date(2023, 8, 21)}),
    # Quảng Sơn: a household of average living standard with a war invalid becomes near-poor (illness).
    ("22819", "new", "2023-CN", {
        "status_baseline": "Mức sống trung bình", "status_current": "Cận nghèo", "change_kind": "Phát sinh cận nghèo",
        "decision_number": "40/QĐ-UBND", "decision_date": dt.date(2023, 9, 12), "ncc_categories": "g",
        "poverty_causes": "Ốm đau, bệnh nặng"}),
)
# District-wide poor and near-poor households at each cut-off, as a share of 1 January (monthly reviews).
YEAR_SHARES = {"2023-9T": (0.98, 0.99, 1.5), "2023-CN": (0.93, 0.97, 2.0)}  # poor, near-poor, cumulative ×


def _year_unit(d: UnitData, code: str, rng: random.Random) -> UnitData:
    """The 6-month ``d`` as at ``code``'s cut-off: the changes of :data:`YEAR_CHANGES` due by then, summary
    counts recounted from the roster, other households' counts scaled by :data:`YEAR_SHARES`, cumulative
    activities and funds grown."""
    order = list(YEAR_PERIODS)
    roster = [dict(h) for h in d.roster]
    members = list(d.members)
    for unit_code, which, since, values in YEAR_CHANGES:
        if unit_code != d.unit.code or order.index(since) > order.index(code):
            continue
        if which == "new":
            hh = _household(rng, d.unit, len(roster) + 1, "near_poor", 4, ["d04", "d08"], False)
            hh.update(values)
            roster.append(hh)
            members += members_of([hh], rng)
        else:
            roster[int(which)].update(values)
    poor_share, near_share, grow = YEAR_SHARES[code]
    summary = dict(d.summary)

    def scaled(key: str, share: float, floor: int = 0) -> None:
        base = summary[key][0] or 0
        summary[key] = (base, max(round(base * share), floor))

    ncc = {s: [h for h in roster if h["status_current"] == label]
           for s, label in (("ncc_poor", "Nghèo"), ("ncc_near_poor", "Cận nghèo"))}
    for prefix, hh in ncc.items():
        summary[f"{prefix}_households"] = (summary[f"{prefix}_households"][0], len(hh))
        summary[f"{prefix}_persons"] = (summary[f"{prefix}_persons"][0], sum(h["members_count"] for h in hh))
    scaled("poor_households", poor_share, len(ncc["ncc_poor"]))
    scaled("poor_persons", poor_share, summary["ncc_poor_persons"][1])
    scaled("near_poor_households", near_share, len(ncc["ncc_near_poor"]))
    scaled("near_poor_persons", near_share, summary["ncc_near_poor_persons"][1])
    for key, (base, value) in d.summary.items():
        if base is None and value is not None:
            step = 100_000 if key.endswith("_vnd") else 1
            summary[key] = (None, round(value * grow / step) * step)
    per_loan = d.summary["loan_2_disbursed_vnd"][1] // d.summary["loan_2_households"][1]
    summary["loan_2_disbursed_vnd"] = (None, summary["loan_2_households"][1] * per_loan)
    general = {**d.general, "period": code, "prepared_on": YEAR_PERIODS[code][1]}
    narrative = dict(d.narrative)
    narrative["results"] = (f"Đã rà soát, cập nhật danh sách hộ có người có công trên địa bàn {d.unit.full_name}.\n"
                            f"Tổ chức {summary['outreach_sessions'][1]} buổi tuyên truyền về chính sách giảm nghèo "
                            "(lũy kế từ đầu năm).")
    return UnitData(d.unit, general, summary, roster, narrative, members)


def generate_year(periods: Sequence[str] = tuple(YEAR_PERIODS), out_root: Path | None = None,
                  config: Config | None = None) -> list[Path]:
    """The 9-month and annual 2023 samples (``samples/2023-9T``, ``samples/2023-CN``): the households of the
    6-month set with the changes of :data:`YEAR_CHANGES` due by each cut-off — the 2 poor NCC households of
    Ma Nới escape poverty by commune decisions (one by the 9-month report, the other by the annual one), a
    household moves away, one moves in, one rises above the near-poor line, one becomes near-poor — and
    cumulative activities and funds grown. The 6-month samples are not rewritten."""
    config = config or load_config()
    paths = []
    for code in periods:
        units = build_units(config, seed=PLAN_SEED, totals=PLAN_TOTALS, ncc_poor_units={"22828": [6, 5]},
                            period=code, prepared_on=YEAR_PERIODS[code][1])
        rng = random.Random(f"{PLAN_SEED}-{code}")
        year_units = [_year_unit(d, code, rng) for d in units]
        paths += write_units(year_units, (out_root or SAMPLES_DIR) / code, YEAR_PERIODS[code][0])
    return paths


MISSING_UNIT = "22816"  # Lương Sơn sends nothing in the test set
INVALID_UNIT = "22825"  # Hòa Sơn's workbook is invalid in the test set


def generate_test(out_dir: Path, config: Config | None = None) -> list[Path]:
    """The ``test`` data set: other seed and totals, :data:`MISSING_UNIT` absent, :data:`INVALID_UNIT` invalid.

    The invalid workbook has a household whose NCC members exceed its members, and a summary NCC count that
    disagrees with its roster.
    """
    config = config or load_config()
    totals = {"households_total": 24410, "poor_households": 1490, "near_poor_households": 1402}
    units = build_units(config, seed=TEST_SEED, totals=totals, ncc_poor_units={"22828": [4, 7], "22813": [3]},
                        period="2023-6T", prepared_on=dt.date(2023, 5, 2))
    units = [u for u in units if u.unit.code != MISSING_UNIT]
    for u in units:
        if u.unit.code == INVALID_UNIT:
            u.roster[0]["ncc_members_count"] = u.roster[0]["members_count"] + 2
            u.members = members_of(u.roster, random.Random(TEST_SEED))
            b, c = u.summary["ncc_near_poor_households"]
            u.summary["ncc_near_poor_households"] = (b, (c or 0) + 1)
    return write_units(units, out_dir, "6 tháng đầu năm 2023")


SETUP_SEED = 20260505
SETUP_HOUSEHOLDS_PER_SIZE = 4_000  # households of a unit of relative size 1
SETUP_RATES = (0.028, 0.031)  # the setup's poor and near-poor shares of households (a sample, not a statistic)


def setup_profiles(config: Config, on: dt.date, *, seed: int) -> dict[str, tuple[float, float]]:
    """(relative size, poverty weight) of each unit of ``config`` valid on ``on``: one of Ninh Sơn's communes
    before 01/07/2025 keeps its 2023 profile; a unit that succeeded them (:func:`pipeline.units.successor`) is
    sized by their 2023 households (the plan's
    24.272 shared as in 2023; size 1 is :data:`SETUP_HOUSEHOLDS_PER_SIZE` households) with their mean poverty
    weight; any other unit gets a seeded profile."""
    from pipeline.units import REFORM_DAY, successor

    rng = random.Random(seed)
    per_2023_size = PLAN_TOTALS["households_total"] / sum(s for s, _ in UNIT_PROFILE.values())
    carried: dict[str, list[tuple[float, float]]] = {}
    for old, profile in UNIT_PROFILE.items():
        new = successor(old)
        if new is not None:
            carried.setdefault(new.code, []).append(profile)
    out = {}
    for unit in config.units_on(on):
        drawn = (rng.uniform(0.8, 3.5), rng.uniform(0.3, 2.0))
        if on < REFORM_DAY and unit.code in UNIT_PROFILE:  # one of Ninh Sơn's communes before the reform
            size, weight = UNIT_PROFILE[unit.code]
            out[unit.code] = (size * per_2023_size / SETUP_HOUSEHOLDS_PER_SIZE, weight)
        elif unit.code in carried:
            sizes = [s for s, _ in carried[unit.code]]
            out[unit.code] = (sum(sizes) * per_2023_size / SETUP_HOUSEHOLDS_PER_SIZE,
                              sum(p for _, p in carried[unit.code]) / len(sizes))
        else:
            out[unit.code] = drawn
    return out


def generate_setup(config: Config, period_code: str, out_dir: Path, *, seed: int = SETUP_SEED) -> list[Path]:
    """Seeded sample workbooks of every unit of ``config`` valid at ``period_code``'s cut-off, for a setup's
    demo (generated at demo time, not committed): sizes from :func:`setup_profiles`, the setup's totals from
    :data:`SETUP_HOUSEHOLDS_PER_SIZE` and :data:`SETUP_RATES`, two poor households with an NCC member in xã Anh
    Dũng (Ma Nới's successor, 22828) when the setup has it, else in its first rural unit. A unit only asked to
    report (``required: false``, e.g. an island zone) sends nothing. Same seed, same files."""
    period = config.period(period_code)
    profiles = setup_profiles(config, period.cutoff, seed=seed)
    units = [u for u in config.units_on(period.cutoff) if u.required]
    households = sum(round(profiles[u.code][0] * SETUP_HOUSEHOLDS_PER_SIZE) for u in units)
    totals = {"households_total": households, "poor_households": round(households * SETUP_RATES[0]),
              "near_poor_households": round(households * SETUP_RATES[1])}
    ncc_unit = "22828" if any(u.code == "22828" for u in units) else next(u.code for u in units if u.area == "rural")
    data = build_units(config, seed=seed, totals=totals, ncc_poor_units={ncc_unit: [5, 4]}, period=period_code,
                       prepared_on=period.deadline.date() - dt.timedelta(days=2), profiles=profiles,
                       only=frozenset(u.code for u in units), on=period.cutoff)
    return write_units(data, out_dir, f"{period.label} {period.year}", config)


def main() -> None:
    """Command line: regenerate the committed sample set, write the test set to a folder, or write a setup's
    demo workbooks (``--setup CONFIG --period P --out DIR``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=["plan", "year", "offices", "test"], default="plan")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--setup", type=Path, help="a setup's configuration file: its units' demo workbooks")
    parser.add_argument("--period", help="with --setup: the period, e.g. 2026-6T")
    args = parser.parse_args()
    if args.setup is not None:
        if not args.period or args.out is None:
            parser.error("--setup needs --period and --out")
        for p in generate_setup(load_config(args.setup), args.period, args.out):
            print(p)
        return
    if args.variant == "plan":
        paths = generate_plan(args.out)
    elif args.variant == "year":
        paths = generate_year(out_root=args.out)
    elif args.variant == "offices":  # beside the communes' workbooks of each period, from them
        config = load_config()
        paths = [p for code in ("2023-6T", *YEAR_PERIODS) for p in generate_offices(
            config, code, (args.out or SAMPLES_DIR) / code, (args.out or SAMPLES_DIR) / code)]
    else:
        paths = generate_test(args.out or Path("samples-test"))
    for p in paths:
        print(p)


if __name__ == "__main__":
    main()
