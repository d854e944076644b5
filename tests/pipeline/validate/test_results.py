"""GX's own validation results kept per version: complete (owner-only) and scrubbed to counts, with no cell
value in the scrubbed copy."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

from tests.helpers import OFFICE_SUITES, edit_roster, workspace_at

ROOT = Path(__file__).resolve().parents[3]
SUITES = ["general", "summary", "roster", "reconciliation", "members", "narrative", "bounds", "amount_bounds"]


def test_results_kept_per_version(plan_root, config):
    """Each validated version keeps GX's results of its suites (an office's: one per sheet it filled) twice in
    work/2023-6T/results/: complete and scrubbed to counts, both owner-only (0600, folder 0700), with the same
    counts; the scrubbed copy has no unexpected value, index or batch fingerprint."""
    from pipeline.ledger.store import open_ledger
    from pipeline.validate.results import counts_path, results_path

    period = config.period("2023-6T")
    versions = open_ledger(workspace_at(plan_root)).versions(period.code)
    assert len(versions) == 8 + len(OFFICE_SUITES)
    folder = plan_root / "work" / "2023-6T" / "results"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{v.sha256}.json" for v in versions] + [f"{v.sha256}.counts.json" for v in versions])
    for v in versions:
        paths = results_path(period, v.sha256, plan_root), counts_path(period, v.sha256, plan_root)
        assert [stat.S_IMODE(p.stat().st_mode) for p in paths] == [0o600, 0o600]
        complete, counts = (json.loads(p.read_text(encoding="utf-8")) for p in paths)
        assert (counts["sha256"], counts["unit_code"], counts["period"]) == (v.sha256, v.unit_code, "2023-6T")
        suites = OFFICE_SUITES.get(v.unit_code, SUITES)
        assert [s["suite"] for s in complete["suites"]] == [s["suite"] for s in counts["suites"]] == suites
        for full, scrubbed in zip(complete["suites"], counts["suites"], strict=True):
            assert "batch_markers" in full["result"]["meta"] and "batch_markers" not in scrubbed["result"]["meta"]
            assert scrubbed["result"]["statistics"] == full["result"]["statistics"]
            for a, b in zip(full["result"]["results"], scrubbed["result"]["results"], strict=True):
                assert "unexpected_list" in a["result"]
                # the counts GX gave (a pair expectation whose rows all lack a value gives its percentages as None)
                assert {"element_count", "unexpected_count"} <= set(b["result"]) == {
                    k for k in ("element_count", "unexpected_count", "unexpected_percent", "missing_count",
                                "missing_percent", "unexpected_percent_total", "unexpected_percent_nonmissing")
                    if a["result"].get(k) is not None}
                assert {k: a["result"][k] for k in b["result"]} == b["result"]
                assert b["expectation_config"] == a["expectation_config"]
    tan_son = json.loads(counts_path(period, versions[0].sha256, plan_root).read_text(encoding="utf-8"))
    roster = next(s for s in tan_son["suites"] if s["suite"] == "roster")
    assert roster["sheet"] == "Danh sách hộ NCC"
    assert roster["result"]["results"][0]["result"] == {"element_count": 2, "unexpected_count": 0,
                                                        "unexpected_percent": 0.0}


def test_scrubbed_results_keep_counts_and_rows_not_values(tmp_path, config):
    """A name typed as a household's status: GX's complete result quotes it (owner-only file); the scrubbed
    copy says one unexpected row of six, on Excel row 5 — the finding's row — and holds no trace of the name."""
    from pipeline.findings import ValidationOutcome
    from pipeline.validate.results import counts_path, results_path, scrub, write_results
    from pipeline.validate.rules import validate_submission

    path = tmp_path / "22828_ma_noi.xlsx"
    shutil.copyfile(ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx", path)
    row = edit_roster(path, "22828-0001", status_current="Nguyễn Thị Nhung")
    outcome = validate_submission(path, config=config, period="2023-6T")
    assert [(f.row, f.value, f.rule) for f in outcome.findings] == [
        (row, "Nguyễn Thị Nhung", "expect_column_values_to_be_in_set")]
    roster = next(s["result"] for s in outcome.suite_results if s["suite"] == "roster")
    failed = [r for r in roster["results"] if not r["success"]]
    assert [(r["expectation_config"]["kwargs"]["column"], r["result"]["unexpected_list"], r["meta"]["excel_rows"])
            for r in failed] == [("status_current", ["Nguyễn Thị Nhung"], [row])]
    scrubbed = [r for r in scrub(roster)["results"] if not r["success"]]
    assert [(r["result"]["element_count"], r["result"]["unexpected_count"], r["meta"]) for r in scrubbed] == [
        (6, 1, {"excel_rows": [row]})]
    assert roster["statistics"]["unsuccessful_expectations"] == scrub(roster)["statistics"][
        "unsuccessful_expectations"] == 1
    assert scrub(scrub(roster)) == scrub(roster)  # the Data Docs scrub kept results again: same counts

    period = config.period("2023-6T")
    write_results(outcome, period=period, root=tmp_path)
    complete = results_path(period, outcome.sha256, tmp_path).read_text(encoding="utf-8")
    counts = counts_path(period, outcome.sha256, tmp_path).read_text(encoding="utf-8")
    assert "Nguyễn Thị Nhung" in complete
    assert not any(part in counts for part in ("Nhung", "Nguy", "\\u1ec5", "partial_unexpected", "unexpected_list",
                                                "unexpected_index"))
    # an unreadable file: no suite ran, both files say so
    empty = ValidationOutcome("x.xlsx", "0" * 64, None, "2023-6T")
    write_results(empty, period=period, root=tmp_path)
    assert json.loads(counts_path(period, "0" * 64, tmp_path).read_text(encoding="utf-8"))["suites"] == []
