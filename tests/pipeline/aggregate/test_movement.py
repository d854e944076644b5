"""The year's movement of NCC households: the identity per unit and district, its validation, each household's
trajectory and the annual report's tables, on small frames and on the 2023 samples of the three periods."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.helpers import docx_tables, docx_text, workspace_at

ROOT = Path(__file__).resolve().parents[3]
RECEIVED = {"6T": "2023-05-03T09:00:00+07:00", "9T": "2023-08-03T09:00:00+07:00", "CN": "2023-11-03T09:00:00+07:00"}


def _roster(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """A roster frame of (status on 1 January, status now, change kind, members) rows."""
    return pd.DataFrame({
        "household_code": [f"22828-{i:04d}" for i in range(1, len(rows) + 1)],
        "status_baseline": [r[0] for r in rows], "status_current": [r[1] for r in rows],
        "change_kind": [r[2] for r in rows], "members_count": pd.array([r[3] for r in rows], dtype="Int64"),
    })


def test_identity_terms_from_kinds_of_change(config):
    """Each kind of change counts in its own term, persons by member count, and the identity balances:
    2 poor − 1 escaped to near-poor − 1 moved away + 1 newly poor + 1 moved in = 2 now (5 − 4 − 3 + 2 + 6 = 6
    persons); near-poor 1 + 1 risen from poor − 0 = 2."""
    from pipeline.aggregate.movement import identity

    roster = _roster([("poor", "near_poor", "escaped_poverty", 4), ("poor", "not_listed", "moved_away", 3),
                      ("none", "poor", "new_poor", 2), ("not_listed", "poor", "moved_in", 6),
                      ("near_poor", "near_poor", "unchanged", 5)])
    result = identity(roster, config)
    poor = result["poor"]
    assert poor["households"] == {"baseline": 2, "escaped_to_near_poor": 1, "escaped_above": 0, "other_decrease": 1,
                                  "from_near_poor": 0, "fell_back": 0, "new": 1, "other_increase": 1, "now": 2,
                                  "computed": 2}
    assert (poor["persons"]["baseline"], poor["persons"]["computed"], poor["persons"]["now"]) == (7, 8, 8)
    assert poor["balanced"] is True
    near = result["near_poor"]["households"]
    assert (near["baseline"], near["from_poor"], near["now"], near["computed"]) == (1, 1, 2, 2)


def test_identity_does_not_balance_when_a_kind_contradicts_the_statuses(config):
    """A household recorded as moved away yet still poor now: the movements leave 1 poor household, the
    statuses count 2 — unbalanced in households (2 − 1 ≠ 2) and persons (9 − 6 ≠ 9)."""
    from pipeline.aggregate.movement import identity

    roster = _roster([("poor", "poor", "moved_away", 6), ("poor", "poor", "unchanged", 3)])
    poor = identity(roster, config)["poor"]
    assert (poor["households"]["computed"], poor["households"]["now"]) == (1, 2)
    assert (poor["persons"]["computed"], poor["persons"]["now"]) == (3, 9)
    assert poor["balanced"] is False


def test_identity_rows_unknown_when_a_status_is_not_configured(config):
    """A status that is no configured one (its own error) leaves the identity unknown (NA), so that the
    roster's own error is the only one; the detail names the unit and both figures."""
    from pipeline.aggregate.movement import identity_rows

    rows = identity_rows(_roster([("poor", "xyz", "escaped_poverty", 4)]), config, "xã Ma Nới", "Phân loại")
    assert [r["identity_value"] for r in rows] == [None] * 4
    rows = identity_rows(_roster([("poor", "poor", "moved_away", 4)]), config, "xã Ma Nới", "Phân loại")
    assert [(r["indicator"], r["identity_value"], r["counted_value"]) for r in rows[:2]] == [
        ("movement_poor_households", 0, 1), ("movement_poor_persons", 0, 4)]
    assert rows[0]["detail"].startswith("Xã Ma Nới, hộ nghèo có thành viên là người có công (số hộ): tại 01/01: 1;")
    assert rows[0]["detail"].endswith("theo biến động còn 0 hộ; đếm theo cột 'Phân loại' có 1 hộ.")


def test_district_movement_sums_the_units(config):
    """The district identity is the sum of the units' identities, households and persons."""
    from pipeline.aggregate.movement import movement

    a = _roster([("poor", "near_poor", "escaped_poverty", 6), ("poor", "poor", "unchanged", 5)])
    b = _roster([("near_poor", "not_listed", "moved_away", 4)])
    result = movement([({"unit_code": "22828", "unit_name": "xã Ma Nới"}, a),
                       ({"unit_code": "22813", "unit_name": "xã Lâm Sơn"}, b)], config)
    assert [u["unit_code"] for u in result["units"]] == ["22828", "22813"]
    near = result["district"]["near_poor"]["persons"]
    assert (near["baseline"], near["other_decrease"], near["from_poor"], near["now"]) == (4, 4, 6, 6)
    assert result["district"]["poor"]["households"]["now"] == 1 and result["district"]["poor"]["balanced"]


def test_trajectory_records_each_change_with_its_decision(config):
    """A household poor on 1 January, still poor at 6T, near-poor at 9T by decision 45/QĐ-UBND of 14/07/2023:
    one decision, at 9T; the latest period's supports are listed."""
    from pipeline.aggregate.movement import trajectory

    def frame(status: str, kind: str, number: str | None, date: dt.date | None, housing: int | None):
        return pd.DataFrame({
            "unit_code": ["22828"], "unit_name": ["xã Ma Nới"], "household_code": ["22828-0001"],
            "head_name": ["Pinăng Thị Sơn"], "status_baseline": ["poor"], "status_current": [status],
            "change_kind": [kind], "decision_number": [number], "decision_date": [date],
            "support_housing_vnd": pd.array([housing], dtype="Int64"), "support_livestock": [True],
            **{f"d{i:02d}": [i <= (6 if status == "poor" else 2)] for i in range(1, 13)},
        })

    periods = [(config.period("2023-6T"), frame("poor", "unchanged", None, None, None)),
               (config.period("2023-9T"), frame("near_poor", "escaped_poverty", "45/QĐ-UBND",
                                                dt.date(2023, 7, 14), 40_000_000))]
    [hh] = trajectory(periods, config, [("support_housing_vnd", "Hỗ trợ nhà ở"), ("support_livestock", "Con giống")])
    assert hh["statuses"] == {"2023-6T": "poor", "2023-9T": "near_poor"}
    assert hh["deprived"] == {"2023-6T": 6, "2023-9T": 2}
    assert hh["decisions"] == [{"period": "2023-9T", "kind": "escaped_poverty", "from": "poor", "to": "near_poor",
                                "number": "45/QĐ-UBND", "date": "2023-07-14"}]
    assert hh["supports"] == ["Hỗ trợ nhà ở", "Con giống"]


def test_year_periods_are_those_due_before():
    """The annual report's earlier periods are the 6- and 9-month ones of its year, in order; the 6-month
    report has none."""
    from pipeline.aggregate.movement import year_periods
    from pipeline.config import load_config

    config = load_config()
    assert [p.code for p in year_periods(config.period("2023-CN"), config)] == ["2023-6T", "2023-9T"]
    assert year_periods(config.period("2023-6T"), config) == []


def test_context_marks_the_annual_report_and_periods_without_data(config):
    """Only the annual report is marked as estimates; aggregates without the year's figures give "-" in every
    period's column and targets that are not known, and a zero, balanced identity."""
    from pipeline.aggregate.movement import context

    annual = context({}, config=config, period=config.period("2023-CN"))
    assert annual["annual"] is True and context({}, config=config, period=config.period("2023-9T"))["annual"] is False
    assert annual["compare"]["poor_households"] == ["-", "-", "-", "-"]
    assert annual["targets"]["no_ncc_poor"] == [{"value": "-", "met": None, "known": False}] * 3
    assert annual["poor"]["households"]["now"] == "0" and annual["poor"]["balanced"] is True
    assert annual["trajectory"] == [] and annual["has_trajectory"] is False


# --- The 2023 samples through the three periods ---------------------------------------------------------------
POOR_LABELS = ("Số hộ tại ngày 01/01/2023", "Giảm do thoát nghèo lên cận nghèo",
               "Giảm do thoát nghèo vượt chuẩn cận nghèo", "Giảm khác (chuyển đi, hộ không còn, nhập hộ)",
               "Tăng do từ cận nghèo xuống nghèo", "Tăng do tái nghèo", "Tăng do phát sinh nghèo",
               "Tăng khác (chuyển đến, tách hộ)")
NEAR_LABELS = ("Số hộ tại ngày 01/01/2023", "Giảm do thoát cận nghèo", "Giảm do xuống hộ nghèo",
               "Giảm khác (chuyển đi, hộ không còn, nhập hộ)", "Tăng do thoát nghèo lên cận nghèo",
               "Tăng do tái cận nghèo", "Tăng do phát sinh cận nghèo", "Tăng khác (chuyển đến, tách hộ)")
OTHER_DECREASES = ("Chuyển đi", "Hộ không còn (chết)", "Nhập hộ")
OTHER_INCREASES = ("Chuyển đến", "Tách hộ")


def counted_from_workbooks(folder: Path) -> dict[str, list[tuple[int, int]]]:
    """The identity's terms counted straight from the rosters of ``folder``'s workbooks with openpyxl (labels
    as typed), in the order of tables 3a and 3b, then the count at the cut-off: (households, persons)."""
    poor, near = Counter(), Counter()
    for path in sorted(folder.glob("*.xlsx")):
        ws = load_workbook(path, read_only=True, data_only=True)["Danh sách hộ NCC"]
        rows = list(ws.iter_rows(min_row=4, values_only=True))
        col = {h: i for i, h in enumerate(rows[0]) if h}
        for r in rows[1:]:
            if not r[col["Mã hộ"]]:
                continue
            base, now, kind = r[col["Phân loại tại 01/01"]], r[col["Phân loại tại ngày chốt"]], r[col["Loại biến động"]]
            n = int(r[col["Số nhân khẩu"]])
            for counter, terms in (
                (poor, [base == "Nghèo", kind == "Thoát nghèo" and now == "Cận nghèo",
                        kind == "Thoát nghèo" and now != "Cận nghèo", kind in OTHER_DECREASES and base == "Nghèo",
                        kind == "Từ cận nghèo xuống nghèo", kind == "Tái nghèo", kind == "Phát sinh nghèo",
                        kind in OTHER_INCREASES and now == "Nghèo", now == "Nghèo"]),
                (near, [base == "Cận nghèo", kind == "Thoát cận nghèo", kind == "Từ cận nghèo xuống nghèo",
                        kind in OTHER_DECREASES and base == "Cận nghèo", kind == "Thoát nghèo" and now == "Cận nghèo",
                        kind == "Tái cận nghèo", kind == "Phát sinh cận nghèo",
                        kind in OTHER_INCREASES and now == "Cận nghèo", now == "Cận nghèo"]),
            ):
                for i, hit in enumerate(terms):
                    if hit:
                        counter[(i, "households")] += 1
                        counter[(i, "persons")] += n
    return {name: [(c[(i, "households")], c[(i, "persons")]) for i in range(9)]
            for name, c in (("poor", poor), ("near_poor", near))}


def identity_table(tables: list[list[list[str]]], labels: tuple[str, ...]) -> list[tuple[int, int]]:
    """Rows (households, persons) of the report's identity table whose rows carry ``labels``, then its last
    row (the count at the cut-off)."""
    table = next(t for t in tables if [r[1] for r in t[1:len(labels) + 1]] == list(labels))
    return [(int(r[2].replace(".", "")), int(r[3].replace(".", ""))) for r in table[1:len(labels) + 2]]


def check_year_reports(paths: list[Path]) -> None:
    """The acceptance checks of the year's three reports (6T, 9T, CN in order)."""
    assert [p.name for p in paths] == ["bao-cao-2023-6T.docx", "bao-cao-2023-9T.docx", "bao-cao-2023-CN.docx"]
    annual = paths[-1]
    tables = docx_tables(annual)
    counted = counted_from_workbooks(ROOT / "samples" / "2023-CN")
    for name, labels in (("poor", POOR_LABELS), ("near_poor", NEAR_LABELS)):
        shown = identity_table(tables, labels)
        assert shown == counted[name], name
        (hh0, p0), *terms, (hh_now, p_now) = shown
        assert hh0 - sum(h for h, _ in terms[:3]) + sum(h for h, _ in terms[3:]) == hh_now, name
        assert p0 - sum(p for _, p in terms[:3]) + sum(p for _, p in terms[3:]) == p_now, name
    poor = identity_table(tables, POOR_LABELS)
    assert poor == [(2, 11), (1, 6), (1, 5), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0)]  # 0 poor NCC now
    text = docx_text(annual)
    assert "số liệu trong báo cáo là số ước thực hiện cả năm 2023" in text
    compare = next(t for t in tables if t[0][2:] == ["01/01/2023", "6 tháng", "9 tháng", "Ước thực hiện cả năm"])
    rows = {r[1]: r[2:] for r in compare[1:]}
    assert rows["Hộ nghèo có thành viên là người có công (hộ)"] == ["2", "2", "1", "0"]
    assert rows["Nhân khẩu của hộ nghèo có người có công (người)"] == ["11", "11", "5", "0"]
    assert rows["Hộ có người có công thoát nghèo, lũy kế từ 01/01 (hộ)"] == ["", "0", "1", "2"]
    targets = next(t for t in tables if t[0][1] == "Mục tiêu (kết quả đo bằng)")
    assert targets[1][2:] == ["2 (chưa đạt)", "1 (chưa đạt)", "0 (đạt)"]
    annex = next(t for t in tables if "Quyết định của UBND xã về thay đổi phân loại" in t[0])
    by_code = {r[2]: r for r in annex[2:]}
    assert by_code["22828-0001"][4:8] == ["Nghèo", "Nghèo", "Cận nghèo", "Cận nghèo"]
    assert by_code["22828-0001"][10] == ("Thoát nghèo (kỳ 9 tháng đầu năm): Quyết định số 45/QĐ-UBND ngày "
                                         "14/07/2023")
    assert by_code["22828-0002"][4:8] == ["Nghèo", "Nghèo", "Nghèo", "Mức sống trung bình"]
    assert "78/QĐ-UBND ngày 16/10/2023" in by_code["22828-0002"][10]
    assert by_code["22822-0002"][4:8] == ["Không có trên địa bàn", "-", "-", "Cận nghèo"]
    for earlier in paths[:-1]:
        text = docx_text(earlier)
        assert "ước thực hiện cả năm" not in text and "Phụ lục VI" not in text


@pytest.fixture(scope="module")
def year_root(tmp_path_factory, config):
    """A data root where the samples of 2023-6T, 2023-9T and 2023-CN were registered as received two days
    before each deadline and each period was run in order (the steps `make backfill` runs, without Airflow)."""
    from pipeline.intake.receive import receive_file
    from pipeline.ledger.store import open_ledger
    from pipeline.orchestrator import run_period

    root = tmp_path_factory.mktemp("year")
    ledger = open_ledger(workspace_at(root))
    paths = []
    for kind, at in RECEIVED.items():
        period = config.period(f"2023-{kind}")
        for f in sorted((ROOT / "samples" / period.code).glob("*.xlsx")):
            receive_file(f, period, config=config, ledger=ledger, received_at=dt.datetime.fromisoformat(at),
                         received_by="Cán bộ mẫu", note=None, now=dt.datetime.now(dt.UTC), root=root)
        paths.append(Path(run_period(period, config=config, workspace=workspace_at(root))))
    return root, paths


def test_year_of_samples_gives_three_reports_and_a_balanced_movement(year_root):
    """The year's three periods give three reports; the annual one shows 0 poor NCC households, its movement
    tables equal the identity's terms counted straight from the CN workbooks and balance, it compares the 6-,
    9-month and annual figures and the targets per period, and lists each household's trajectory."""
    check_year_reports(year_root[1])


def test_year_aggregates_and_receipts_are_not_duplicated(year_root, config):
    """aggregates.json of 2023-CN holds the district identity (balanced), each unit's, the trajectory of the 27
    NCC households and the figures of the three periods; registering the samples again adds no version."""
    import json

    from pipeline.intake.receive import receive_file
    from pipeline.ledger.store import open_ledger
    from pipeline.paths import aggregates_path

    root, _ = year_root
    agg = json.loads(aggregates_path(config.period("2023-CN"), root).read_text(encoding="utf-8"))
    assert agg["movement"]["district"]["poor"]["households"]["now"] == 0
    assert all(u["poor"]["balanced"] and u["near_poor"]["balanced"] for u in agg["movement"]["units"])
    assert len(agg["movement"]["units"]) == 8 and len(agg["trajectory"]) == 27
    assert agg["year"]["periods"] == ["2023-6T", "2023-9T", "2023-CN"]
    assert [agg["year"]["by_period"][p]["ncc"]["poor_households_current"] for p in agg["year"]["periods"]] == [2, 1, 0]
    ledger = open_ledger(workspace_at(root))
    period = config.period("2023-9T")
    before = len(ledger.versions(period.code))
    for f in sorted((ROOT / "samples" / period.code).glob("*.xlsx")):
        receive_file(f, period, config=config, ledger=ledger, received_at=dt.datetime.fromisoformat(RECEIVED["9T"]),
                     received_by="Cán bộ mẫu", note=None, now=dt.datetime.now(dt.UTC), root=root)
    assert before == len(ledger.versions(period.code)) == 8
