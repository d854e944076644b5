"""`make backfill YEAR=2023` on the real DAG: the samples of the year's three periods are registered as received
before each deadline, `airflow dags test` runs each period in order and prints its report's path; the annual
report's movement balances and equals the counts taken straight from the workbooks; running the registration
again adds no version.

Slow by nature: one module-scoped run of the whole year (three DAG runs, 24 workbooks), shared by the tests
here; it is the only test of the year's periods together.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import ROOT, airflow_env
from tests.helpers import docx_tables, docx_text, headings_at_page_foot, workspace_at

pytestmark = pytest.mark.slow

POOR_LABELS = ("Số hộ tại ngày 01/01/2023", "Giảm do thoát nghèo lên cận nghèo",
               "Giảm do thoát nghèo vượt chuẩn cận nghèo", "Giảm khác (chuyển đi, hộ không còn, nhập hộ)",
               "Tăng do từ cận nghèo xuống nghèo", "Tăng do tái nghèo", "Tăng do phát sinh nghèo",
               "Tăng khác (chuyển đến, tách hộ)")
NEAR_LABELS = ("Số hộ tại ngày 01/01/2023", "Giảm do thoát cận nghèo", "Giảm do xuống hộ nghèo",
               "Giảm khác (chuyển đi, hộ không còn, nhập hộ)", "Tăng do thoát nghèo lên cận nghèo",
               "Tăng do tái cận nghèo", "Tăng do phát sinh cận nghèo", "Tăng khác (chuyển đến, tách hộ)")
OTHER_DECREASES = ("Chuyển đi", "Hộ không còn (chết)", "Nhập hộ")
OTHER_INCREASES = ("Chuyển đến", "Tách hộ")


def roster_records(path: Path) -> list[dict[str, object]]:
    """A workbook's "Danh sách hộ NCC" rows read with openpyxl, by header as typed (not the product's reader)."""
    ws = load_workbook(path, read_only=True, data_only=True)["Danh sách hộ NCC"]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:] if r[rows[0].index("Mã hộ")]]


def counted_from_workbooks(folder: Path | list[Path]) -> dict[str, list[tuple[int, int]]]:
    """The identity's terms counted straight from the rosters of ``folder``'s workbooks (or of the given
    workbooks) with openpyxl (labels as typed), in the order of tables 3a and 3b, then the count at the cut-off:
    (households, persons)."""
    poor, near = Counter(), Counter()
    paths = sorted(folder.glob("[0-9]*.xlsx")) if isinstance(folder, Path) else folder
    for path in paths:
        for rec in roster_records(path):
            r, col = list(rec.values()), {h: i for i, h in enumerate(rec)}
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


FORBIDDEN = ("[Chuyên viên bổ sung", "Còn 0 hộ", "0,00%", "100,00%", "SHA-256", "phiên bản")
LISTED = ("Nghèo", "Cận nghèo")
LIVELIHOOD = (("Hỗ trợ: đào tạo nghề", "đào tạo nghề"), ("Hỗ trợ: giới thiệu việc làm", "giới thiệu việc làm"),
              ("Hỗ trợ: con giống", "hỗ trợ con giống, hướng dẫn chăn nuôi"))


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def check_capacity(report: Path, folder: Path, cutoff: str) -> None:
    """§II.4 and §II.5 count supports by the roster's own column "Có khả năng lao động", recomputed here from the
    workbooks with openpyxl."""
    records = [r for p in sorted(folder.glob("[0-9]*.xlsx")) for r in roster_records(p)]
    able = [r for r in records if r["Có khả năng lao động"]]
    unable = [r for r in records if not r["Có khả năng lao động"]]
    text = docx_text(report)
    listed = sum(r["Phân loại tại ngày chốt"] in LISTED for r in able)
    assert f"tại ngày {cutoff} có {listed} hộ nghèo, hộ cận nghèo có người có công có khả năng lao động." in text
    loans = [r["Hỗ trợ: vay vốn ưu đãi (đồng)"] or 0 for r in able]
    sentence = (f"vay vốn ưu đãi của Ngân hàng Chính sách xã hội {sum(v > 0 for v in loans)} hộ, số tiền "
                f"{_n(sum(loans))} đồng; " + "; ".join(f"{label} {sum(bool(r[h]) for r in able)} hộ"
                                                         for h, label in LIVELIHOOD))
    assert sentence in text, sentence
    listed = sum(r["Phân loại tại ngày chốt"] in LISTED for r in unable)
    sponsored = [r["Số tiền đỡ đầu (đồng)"] or 0 for r in unable if r["Số tiền đỡ đầu (đồng)"]]
    start = f"tại ngày {cutoff} có {listed} hộ nghèo, hộ cận nghèo có người có công không có khả năng lao động"
    assert start in text
    if sponsored:
        assert f"{len(sponsored)} hộ được tổ chức, cá nhân nhận đỡ đầu, số tiền {_n(sum(sponsored))} đồng" in text
    else:
        assert start + "; từ ngày 01/01/2023, chưa có hộ nào được nhận đỡ đầu" in text
    able_sponsored = [r["Số tiền đỡ đầu (đồng)"] for r in able if r["Số tiền đỡ đầu (đồng)"]]
    if able_sponsored:
        assert (f"Ngoài ra, {len(able_sponsored)} hộ có khả năng lao động được nhận đỡ đầu, số tiền "
                f"{_n(sum(able_sponsored))} đồng.") in text


def check_movement(report: Path, folder: Path) -> None:
    """Bảng 3 lists every kind of change with each list's net change, recomputed from the workbooks (openpyxl),
    and balances; the annex's Biểu 2a/2b give each unit's movement as counted from its own workbook, and the
    district's as the sum."""
    records = [r for p in sorted(folder.glob("[0-9]*.xlsx")) for r in roster_records(p)]
    tables = docx_tables(report)
    kinds = next(t for t in tables if t[0][1:] == ["Loại biến động", "Hộ nghèo có người có công (hộ)",
                                                   "Hộ cận nghèo có người có công (hộ)"])
    assert [r[1] for r in kinds[2:-1]] == ["Thoát nghèo", "Thoát cận nghèo", "Từ cận nghèo xuống nghèo", "Tái nghèo",
                                          "Phát sinh nghèo", "Tái cận nghèo", "Phát sinh cận nghèo", "Chuyển đi",
                                          "Hộ không còn (chết)", "Nhập hộ", "Chuyển đến", "Tách hộ"]

    def signed(cell: str) -> int:
        return int(cell.replace("\u2212", "-").replace("+", "")) if cell else 0

    for col, label in ((2, "Nghèo"), (3, "Cận nghèo")):
        start = sum(r["Phân loại tại 01/01"] == label for r in records)
        end = sum(r["Phân loại tại ngày chốt"] == label for r in records)
        assert (int(kinds[1][col]), int(kinds[-1][col])) == (start, end)
        for row in kinds[2:-1]:
            mine = [r for r in records if r["Loại biến động"] == row[1]]
            net = (sum(r["Phân loại tại ngày chốt"] == label != r["Phân loại tại 01/01"] for r in mine)
                   - sum(r["Phân loại tại 01/01"] == label != r["Phân loại tại ngày chốt"] for r in mine))
            assert signed(row[col]) == net, (row, label)
        assert start + sum(signed(r[col]) for r in kinds[2:-1]) == end
    # per unit: Biểu 2a / 2b against each unit's own workbook
    by_name = {"22810": "Thị trấn Tân Sơn", "22813": "Xã Lâm Sơn", "22816": "Xã Lương Sơn", "22819": "Xã Quảng Sơn",
               "22822": "Xã Mỹ Sơn", "22825": "Xã Hòa Sơn", "22828": "Xã Ma Nới", "22831": "Xã Nhơn Sơn"}
    annexes = [t for t in tables if len(t[0]) > 5 and t[0][2:6] == ["Tại ngày 01/01", "Tại ngày 01/01",
                                                                   "Giảm trong kỳ", "Giảm trong kỳ"]]
    assert len(annexes) == 2
    total = {"poor": [0] * 11, "near_poor": [0] * 11}
    for path in sorted(folder.glob("[0-9]*.xlsx")):
        counted = counted_from_workbooks([path])
        for name, table in zip(("poor", "near_poor"), annexes, strict=True):
            c = counted[name]
            want = [c[0][0], c[0][1], *(h for h, _ in c[1:8]), c[8][0], c[8][1]]
            row = next(r for r in table if r[1] == by_name[path.name[:5]])
            assert [int(x.replace(".", "")) for x in row[2:]] == want, (path.name, name)
            total[name] = [a + b for a, b in zip(total[name], want, strict=True)]
    for name, table in zip(("poor", "near_poor"), annexes, strict=True):
        row = next(r for r in table if r[1] == "Toàn huyện")
        assert [int(x.replace(".", "")) for x in row[2:]] == total[name], name


def check_estimates(report: Path, workbook: Path) -> None:
    """The annual report says its figures are estimates in its title, every caption of year figures, the chart
    captions, the annexes' titles and the annex workbook's sheet titles (all but 1 January's)."""
    lines = docx_text(report).splitlines()
    est = "(ước thực hiện cả năm)"
    assert lines[lines.index("BÁO CÁO") + 1].endswith(est)
    captions = [x for x in lines if x.startswith(("Bảng ", "Biểu đồ ", "Biểu "))]
    year_captions = [x for x in captions if not x.startswith(("Bảng 1a.", "Biểu 1a.", "Bảng 8a.", "Bảng 8b."))]
    assert len(year_captions) >= 15 and [x for x in year_captions if "ước thực hiện cả năm" not in x] == []
    for title in ("DANH SÁCH HỘ NGHÈO, HỘ CẬN NGHÈO CÓ THÀNH VIÊN", "SỐ LIỆU HỘ NGHÈO, HỘ CẬN NGHÈO THEO ĐƠN VỊ",
                  "BIẾN ĐỘNG VÀ MỨC ĐỘ THIẾU HỤT", "DIỄN BIẾN CỦA TỪNG HỘ"):
        line = next(x for x in lines if x.startswith(title))
        assert line.endswith("(SỐ ƯỚC THỰC HIỆN CẢ NĂM)"), line
    wb = load_workbook(workbook, read_only=True)
    titles = {ws.title: ws["A1"].value for ws in wb.worksheets}
    assert "PL V Diễn biến từng hộ" in titles and "Bảng 4 Hỗ trợ" in titles and "Bảng 7 Kinh phí" in titles
    for sheet, title in titles.items():
        assert title.endswith(est) != (sheet == "1a Số liệu 01-01"), (sheet, title)


def check_year_reports(paths: list[Path]) -> None:
    """The acceptance checks of the year's three reports (6T, 9T, CN in order)."""
    for path, (kind, cutoff) in zip(paths, (("6T", "30/04/2023"), ("9T", "31/07/2023"), ("CN", "31/10/2023")),
                                    strict=True):
        text = docx_text(path)
        assert [f for f in FORBIDDEN if f in text] == [], path.name
        folder = ROOT / "samples" / f"2023-{kind}"
        check_capacity(path, folder, cutoff)
        check_movement(path, folder)
        targets = next(t for t in docx_tables(path) if t[0] == ["TT", "Mục tiêu", "Kết quả", "Đánh giá"])
        if kind != "CN":  # a year-end target mid-year is in progress, not failed
            assert targets[1][3].startswith("Đang thực hiện: còn"), targets[1]
            assert targets[3][3].startswith("Đang thực hiện: còn thiếu hụt"), targets[3]
    check_estimates(paths[-1], paths[-1].with_name("bao-cao-2023-CN-phu-luc.xlsx"))
    for path in paths:  # the PDFs: no heading, caption or annex title left alone at a page's foot
        assert headings_at_page_foot(path.with_suffix(".pdf")) == [], path.name
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
    assert targets[1][2:] == ["2 (đang thực hiện)", "1 (đang thực hiện)", "0 (đạt)"]  # year-end target mid-year
    progress = next(t for t in tables if t[0] == ["TT", "Mục tiêu", "Kết quả", "Đánh giá"])
    assert progress[1][3] == "Ước đạt"  # the annual report's figures are estimates until the year-end review
    # target 3 on the two households poor on 01/01 that left poverty: still lacking adult education, information
    assert progress[3][2:] == ["Còn 2 hộ thiếu hụt: giáo dục, thông tin", "Chưa đạt: còn thiếu hụt giáo dục, thông tin"]
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
        assert "ước thực hiện cả năm" not in text and "Phụ lục V\n" not in text


@pytest.fixture(scope="module")
def backfill(tmp_path_factory, airflow_home):
    """`make backfill YEAR=2023` in a fresh data root with the test's migrated Airflow home: (data root, the
    Airflow environment, the report paths it printed in order)."""
    root = tmp_path_factory.mktemp("backfill") / "data"
    env = airflow_env(airflow_home, root)
    # the Makefile's own AIRFLOW_HOME (.airflow/) is overridden on the command line: the test's migrated home
    cmd = ["make", "--no-print-directory", "backfill", "YEAR=2023", f"AIRFLOW_HOME={airflow_home}"]
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=2400)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root, env, [Path(line) for line in result.stdout.splitlines() if line.endswith(".docx")]


def test_make_backfill_gives_the_years_three_reports(backfill):
    """Three report paths printed, in period order, under the data root; the annual report shows 0 poor NCC
    households and movement tables equal to the counts taken from the CN workbooks (see
    :func:`check_year_reports`)."""
    root, _, paths = backfill
    assert all(p.is_file() and p.is_relative_to(root) for p in paths)
    check_year_reports(paths)


def test_year_aggregates_hold_the_identity_trajectory_and_periods(backfill, config):
    """aggregates.json of 2023-CN holds the district identity (balanced), each unit's, the trajectory of the 27
    NCC households and the figures of the three periods."""
    from pipeline.paths import aggregates_path

    root, _, _ = backfill
    agg = json.loads(aggregates_path(config.period("2023-CN"), root).read_text(encoding="utf-8"))
    assert agg["movement"]["district"]["poor"]["households"]["now"] == 0
    assert all(u["poor"]["balanced"] and u["near_poor"]["balanced"] for u in agg["movement"]["units"])
    assert len(agg["movement"]["units"]) == 8 and len(agg["trajectory"]) == 27
    assert agg["year"]["periods"] == ["2023-6T", "2023-9T", "2023-CN"]
    assert [agg["year"]["by_period"][p]["ncc"]["poor_households_current"] for p in agg["year"]["periods"]] == [2, 1, 0]


def test_registering_the_samples_again_adds_no_version(backfill, airflow_home):
    """`make receive-samples` again says "Không ghi thêm." for each of the 14 files (8 communes, 6 offices); each
    period's 14 files are in the ledger once."""
    from pipeline.ledger.store import open_ledger

    root, env, _ = backfill
    again = subprocess.run(["make", "--no-print-directory", "receive-samples", "PERIOD=2023-CN",
                            f"AIRFLOW_HOME={airflow_home}"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0 and again.stdout.count("Không ghi thêm.") == 8 + 6  # communes and offices
    ledger = open_ledger(workspace_at(root))
    assert [len(ledger.versions(f"2023-{k}")) for k in ("6T", "9T", "CN")] == [14, 14, 14]
