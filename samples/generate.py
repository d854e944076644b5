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

Run: ``python -m samples.generate`` rewrites ``samples/2023-6T/`` (same seed, same content).
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
from pipeline.workbook import write_submission

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
    return {
        "household_code": f"{unit.code}-{seq:04d}",
        "head_name": _name(rng, raglai),
        "village": rng.choice(MA_NOI_VILLAGES if unit.code == "22828" else VILLAGES),
        "ethnicity": "Raglai" if raglai else "Kinh",
        "members_count": members,
        "ncc_members_count": ncc,
        "ncc_categories": rng.choice(["tn", "g;tn", "h", "c;tn", "i", "l"]),
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


def build_units(config: Config, *, seed: int, totals: dict[str, int], ncc_poor_units: dict[str, list[int]],
                period: str, prepared_on: dt.date) -> list[UnitData]:
    """Generate every unit's data with district totals exactly ``totals``.

    Args:
        seed: random seed; the same seed gives the same data.
        totals: district households_total, poor_households, near_poor_households.
        ncc_poor_units: unit code → member counts of its poor NCC households.
        period: period code typed in the workbooks.
        prepared_on: the date typed as "Ngày lập".
    """
    rng = random.Random(seed)
    units = config.units_on(dt.date(int(period[:4]), 1, 1))
    size_w = [UNIT_PROFILE[u.code][0] * rng.uniform(0.9, 1.1) for u in units]
    pov_w = [UNIT_PROFILE[u.code][1] * rng.uniform(0.85, 1.15) for u in units]
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


def write_units(units: Sequence[UnitData], out_dir: Path, title_period: str) -> list[Path]:
    """Write one workbook per unit into ``out_dir``; returns the paths (idempotent)."""
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
            )
        )
    return paths


def generate_plan(out_dir: Path | None = None, config: Config | None = None) -> list[Path]:
    """The ``plan`` data set (see module docstring) in ``out_dir`` (default ``samples/2023-6T``)."""
    config = config or load_config()
    units = build_units(config, seed=PLAN_SEED, totals=PLAN_TOTALS, ncc_poor_units={"22828": [6, 5]},
                        period="2023-6T", prepared_on=dt.date(2023, 5, 3))
    return write_units(units, out_dir or SAMPLES_DIR / "2023-6T", "6 tháng đầu năm 2023")


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


def main() -> None:
    """Command line: regenerate the committed sample set, or write the test set to a folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=["plan", "test"], default="plan")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.variant == "plan":
        paths = generate_plan(args.out)
    else:
        paths = generate_test(args.out or Path("samples-test"))
    for p in paths:
        print(p)


if __name__ == "__main__":
    main()
