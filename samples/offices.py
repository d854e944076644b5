"""Sample workbooks of the district offices for a period, consistent with the communes' samples of that period.

Each office's figures that the communes' workbooks also carry are taken from them, so that the two sources
reconcile (the report's rule of which source counts where):

* the Social Policy Bank branch (NHCS): per commune, borrowers and amount disbursed are the commune's own summary
  figures ("Số hộ được vay vốn ưu đãi", lũy kế), its NCC borrowers the roster's households with a loan;
* the Front (MTTQ): per commune, the sponsored households of the roster (households, persons, amounts);
* the vocational centre (GDNN): the roster's households with vocational training; Agriculture (NN): those with
  breeding stock;
* Culture and Information (VHTT) and the Labour office (LDTB): their own outreach, documents and monitoring
  (seeded: no commune reports them).

Run: ``python -m samples.offices --period 2023-6T --communes samples/2023-6T --out DIR``. Same seed, same files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.config import Config, load_config
from pipeline.read.reader import NoGeneralSheet, Submission, read_submission
from pipeline.staff.form import write_office_workbook

OFFICES_SEED = 20230506


def _summary(sub: Submission, key: str) -> int:
    value = sub.summary.set_index("indicator").at[key, "value_current"]
    return 0 if pd.isna(value) else int(value)


def _households(sub: Submission, mask: pd.Series) -> tuple[int, int]:
    """(households, persons) of the roster rows in ``mask``."""
    rows = sub.roster[mask.fillna(False).astype(bool)]
    return len(rows), int(rows["members_count"].fillna(0).sum())


def office_tables(communes: Sequence[Submission], config: Config, *, period: str, seed: int = OFFICES_SEED
                  ) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The tables of each office's workbook (by office code, then by table key of
    :data:`pipeline.office_schema.TABLES`) for ``period``, from the communes' submissions of that period
    (see the module docstring for which figure comes from where). Counts in households and persons, amounts in
    đồng."""
    rng = random.Random(f"{seed}:{period}")
    year = int(period[:4])
    labour = config.office("LDTB")
    kinds = config.words(config.period(period).cutoff)["unit_kinds"].removeprefix("các ")
    out: dict[str, dict[str, list[dict[str, Any]]]] = {code: {} for code in ("VHTT", "NN", "GDNN", "LDTB", "MTTQ",
                                                                           "NHCS")}
    for sub in communes:
        code, roster = sub.unit_code, sub.roster
        loans = roster["support_loan_vnd"].fillna(0) > 0
        disbursed = _summary(sub, "loan_2_disbursed_vnd")
        out["NHCS"].setdefault("loans", []).append({
            "commune_code": code, "borrowers": _summary(sub, "loan_2_households"), "disbursed_vnd": disbursed,
            "outstanding_vnd": disbursed + rng.randrange(10, 60) * 50_000_000, "ncc_borrowers": int(loans.sum())})
        sponsored = roster["sponsor"].notna() & (roster["sponsor"].astype("string").str.strip() != "")
        households, persons = _households(sub, sponsored)
        if households:
            amount = int(roster.loc[sponsored.fillna(False), "sponsor_amount_vnd"].fillna(0).sum())
            out["MTTQ"].setdefault("supports", []).append({
                "commune_code": code, "support": "sponsorship", "households": households, "persons": persons,
                "ncc_households": households, "amount_vnd": amount})
        for office, flag, kind in (("GDNN", "support_vocational_training", "vocational_training"),
                                   ("NN", "support_livestock", "livestock")):
            households, persons = _households(sub, roster[flag])
            if households:
                out[office].setdefault("supports", []).append({
                    "commune_code": code, "support": kind, "households": households, "persons": persons,
                    "ncc_households": households, "amount_vnd": households * rng.choice([5, 8, 10]) * 1_000_000})
    out["MTTQ"]["funds"] = [{"source": "fund_4_gratitude_poor_funds_vnd",
                             "amount_vnd": sum(_summary(s, "fund_4_gratitude_poor_funds_vnd") for s in communes)}]
    sessions = rng.randint(4, 10)
    out["VHTT"]["activities"] = [
        {"task": "IV.1", "activity": "Tuyên truyền chính sách giảm nghèo trên hệ thống truyền thanh",
         "sessions": sessions, "participants": sessions * rng.randint(40, 90), "news_items": rng.randint(3, 12),
         "broadcasts": rng.randint(20, 60)},
        {"task": "IV.1", "activity": "Đưa tin gương hộ nghèo có người có công vươn lên thoát nghèo",
         "news_items": rng.randint(1, 4)}]
    out["LDTB"]["documents"] = [
        {"number": f"{rng.randint(100, 400)}/LĐTBXH", "date": dt.date(year, 3, rng.randint(20, 30)),
         "issuer": labour.name if labour is not None else "",
         "subject": "Hướng dẫn rà soát, lập kế hoạch hỗ trợ từng hộ nghèo có người có công"}]
    out["LDTB"]["activities"] = [
        {"task": "IV.2", "activity": f"Kiểm tra, giám sát việc thực hiện Kế hoạch tại các {kinds}",
         "sessions": len(communes), "households": sum(len(s.roster) for s in communes)}]
    out["NN"]["activities"] = [
        {"task": "IV.4", "activity": "Hướng dẫn kỹ thuật chăn nuôi cho hộ nhận con giống",
         "sessions": rng.randint(2, 5), "participants": rng.randint(20, 60)}]
    out["GDNN"]["activities"] = [
        {"task": "IV.4", "activity": "Mở lớp đào tạo nghề ngắn hạn cho lao động hộ nghèo",
         "sessions": rng.randint(1, 3), "participants": rng.randint(20, 40)}]
    return out


NARRATIVES = {  # each office's own assessment, as its staff would write it (sheet "Thuyết minh")
    "VHTT": {"results": "Nội dung tuyên truyền được phát đều trên sóng truyền thanh huyện và các xã, thị trấn",
             "difficulties": "Một số thôn vùng cao loa truyền thanh hư hỏng, chưa được sửa chữa kịp thời.",
             "proposals": "Đề nghị bố trí kinh phí sửa chữa cụm loa truyền thanh các thôn vùng cao."},
    "NN": {"results": "Các hộ nhận con giống được hướng dẫn kỹ thuật, vật nuôi phát triển tốt",
           "difficulties": "Giá con giống tăng; một số hộ thiếu chuồng trại, thiếu kinh nghiệm chăn nuôi.",
           "proposals": "Đề nghị lồng ghép vốn Chương trình mục tiêu quốc gia để hỗ trợ làm chuồng trại."},
    "GDNN": {"results": "Lao động hộ có người có công học nghề ngắn hạn đều hoàn thành khóa học",
             "difficulties": "Lao động hộ nghèo khó tham gia lớp học tập trung dài ngày vì phải lo sinh kế.",
             "proposals": "Đề nghị mở lớp ngắn hạn tại thôn, vào thời gian nông nhàn."},
    "LDTB": {"results": "Danh sách hộ nghèo có người có công được rà soát, lập kế hoạch hỗ trợ từng hộ",
             "difficulties": "Một số xã cập nhật biến động hộ nghèo chậm, hồ sơ quyết định chưa đầy đủ.",
             "proposals": "Đề nghị Ủy ban nhân dân các xã chỉ đạo rà soát, cập nhật biến động hằng tháng."},
    "MTTQ": {"results": "Các tổ chức, cá nhân nhận đỡ đầu thăm hỏi, hỗ trợ hộ hằng tháng",
             "difficulties": "Nguồn vận động Quỹ \"Vì người nghèo\" giảm so với cùng kỳ.",
             "proposals": "Đề nghị các cơ quan, doanh nghiệp tiếp tục nhận đỡ đầu hộ nghèo có người có công."},
    "NHCS": {"results": "Giải ngân kịp thời cho hộ nghèo, hộ cận nghèo đủ điều kiện vay",
             "difficulties": "Nguồn vốn cho vay hộ cận nghèo chưa đáp ứng đủ nhu cầu.",
             "proposals": "Đề nghị bổ sung nguồn vốn ủy thác từ ngân sách địa phương."},
}


def _communes(communes_dir: Path, config: Config) -> list[Submission]:
    """The communes' sample submissions of a folder (the offices' workbooks beside them are skipped)."""
    out = []
    for path in sorted(communes_dir.glob("*.xlsx")):
        try:
            out.append(read_submission(path, config))
        except NoGeneralSheet:
            continue
    return out


def generate_offices(config: Config, period_code: str, communes_dir: Path, out_dir: Path,
                     *, seed: int = OFFICES_SEED) -> list[Path]:
    """The offices' workbooks of ``period_code`` in ``out_dir`` (one per office valid at its cut-off), from the
    communes' sample workbooks in ``communes_dir``; returns their paths (idempotent)."""
    period = config.period(period_code)
    communes = _communes(communes_dir, config)
    tables = office_tables(communes, config, period=period_code, seed=seed)
    rng = random.Random(f"{seed}:{period_code}:names")
    paths = []
    for office in config.offices_on(period.cutoff):
        general = {"office_code": office.code, "office_name": office.name, "period": period_code,
                   "preparer": rng.choice(["Nguyễn Thị Lan", "Trần Văn Hùng", "Lê Thị Mai", "Phạm Văn Nam"]),
                   "phone": f"0259{rng.randrange(10**6, 10**7)}",
                   "prepared_on": period.deadline.date() - dt.timedelta(days=3)}
        narrative = {"results": f"{office.name} đã thực hiện các nhiệm vụ được giao trong Kế hoạch.",
                     **NARRATIVES.get(office.code, {})}
        paths.append(write_office_workbook(out_dir / f"{office.code}_co_quan.xlsx", general=general,
                                           tables=tables[office.code], narrative=narrative,
                                           title_period=f"{period.label} {period.year}", config=config))
    return paths


def main() -> None:
    """Command line: ``--period P --communes DIR --out DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", required=True)
    parser.add_argument("--communes", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    for path in generate_offices(load_config(), args.period, args.communes, args.out):
        print(path)


if __name__ == "__main__":
    main()
