"""The technical view (pipeline/validate/datadocs.py): one self-contained page per period with every unit's results,
the suites and the versions' hashes, built once from the results kept when each version was validated, with no
personal data."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pipeline.findings import ERROR, Finding, ValidationOutcome
from pipeline.ledger.store import Ledger
from pipeline.paths import findings_path
from pipeline.validate.datadocs import build_data_docs
from pipeline.validate.results import write_results
from tests.helpers import OFFICE_SUITES, roster_rows, workspace_at

ROOT = Path(__file__).resolve().parents[3]
SUITES = ["general", "summary", "roster", "reconciliation", "members", "narrative", "bounds", "amount_bounds"]
NAME = "Nguyễn Văn Tám"
RECEIVED = dt.datetime(2023, 5, 2, 2, 0, tzinfo=dt.UTC)  # 09:00 in Ninh Sơn
CHECKED = dt.datetime(2023, 5, 2, 2, 5, tzinfo=dt.UTC)


def _roster_result(*, failed: bool) -> dict:
    """GX's result of the suite "roster" as GX gives it (COMPLETE): one expectation on the village, failed on Excel row
    6 whose value is a head of household's name when ``failed``."""
    entry = {
        "success": not failed,
        "expectation_config": {
            "type": "expect_column_values_to_not_be_null", "kwargs": {"column": "village", "batch_id": "b"},
            "description": "Chưa ghi 'Thôn'. Cách sửa: ghi tên thôn của {area}.", "severity": "critical"},
        "result": {"element_count": 3, "unexpected_count": int(failed), "unexpected_list": [NAME] if failed else [],
                   "partial_unexpected_list": [NAME] if failed else []},
        "meta": {"excel_rows": [6] if failed else []},
        "exception_info": {"raised_exception": False, "exception_traceback": None, "exception_message": None},
    }
    return {"success": not failed, "suite_name": "roster", "suite_parameters": {},
            "statistics": {"evaluated_expectations": 1, "successful_expectations": int(not failed),
                           "unsuccessful_expectations": int(failed), "success_percent": 0.0 if failed else 100.0},
            "meta": {"great_expectations_version": "1.24.1"}, "results": [entry]}


def kept_ledger(config, root: Path) -> Ledger:
    """A ledger of 2023-6T at ``root`` whose Ma Nới version 1 (file e.xlsx, hash "e" * 64) failed the roster suite's
    village check on Excel row 6 (its kept results hold a head of household's name, as GX gives it), whose Tân Sơn
    version 1 passed, and whose unattributed file f.xlsx was never checked by a suite."""
    period = config.period("2023-6T")
    ledger = Ledger(f"sqlite:///{root / 'work' / 'ledger.sqlite'}")
    for tag, unit, failed in (("e", "22828", True), ("a", "22810", False), ("f", None, None)):
        v = ledger.register(period="2023-6T", unit_code=unit, original_name=f"{tag}.xlsx", sha256=tag * 64,
                            size_bytes=12345, found_at=RECEIVED, file_mtime=RECEIVED, on_time=True,
                            archive_path=f"/archive/{tag}.xlsx")
        findings = [Finding(ERROR, "Danh sách hộ NCC", 6, "Thôn", NAME, "Chưa ghi 'Thôn'.")] if failed else []
        outcome = ValidationOutcome(v.original_name, v.sha256, unit, "2023-6T", findings, suite_results=(
            [] if failed is None else [{"suite": "roster", "sheet": "Danh sách hộ NCC",
                                        "result": _roster_result(failed=failed)}]))
        write_results(outcome, period=period, root=root)
        path = outcome.write(findings_path(period, v.sha256, root))
        ledger.record_validation(v.id, status=outcome.status, errors=outcome.errors, warnings=outcome.warnings,
                                 findings_path=str(path), fingerprint=None, validated_at=CHECKED)
    return ledger


def test_failed_expectation_is_shown_with_counts_and_rows_never_its_value(config, tmp_path):
    """Ma Nới's failed village check reads its suite, expectation, column, severity, description (setup words filled),
    3 rows checked, 1 found, Excel row 6 — never the name GX quoted; its suite reads 1 evaluated, 0 successful."""
    index = build_data_docs(config.period("2023-6T"), config=config, ledger=kept_ledger(config, tmp_path),
                            root=tmp_path)
    assert index == tmp_path / "reports" / "2023" / "6T" / "data-docs" / "index.html"
    html = index.read_text(encoding="utf-8")
    assert NAME not in html and "{area}" not in html
    assert ('<tr><td><code>roster</code></td><td><code>expect_column_values_to_not_be_null</code></td>'
            '<td><code>village</code></td><td>lỗi</td><td>Chưa ghi &#39;Thôn&#39;. Cách sửa: ghi tên thôn của huyện.'
            '</td><td class="n">3</td><td class="n">1</td><td>6</td></tr>') in html
    assert ('<td><code>roster</code></td><td>Danh sách hộ NCC</td><td class="n">1</td><td class="n">0</td>'
            '<td class="n">1</td><td class="fail">Không đạt</td>') in html
    assert '<h3 id="don-vi-22810">Thị trấn Tân Sơn (22810) — phiên bản 1</h3>\n\n\n<p>Tất cả 1 kỳ vọng đều đạt.</p>' \
        in html


def test_every_version_is_listed_with_its_full_hash_and_times(config, tmp_path):
    """The period's versions, the unattributed one included, each with its whole SHA-256, size, local times and
    verdict; the suites' section lists the village check as failed for 22828."""
    html = build_data_docs(config.period("2023-6T"), config=config, ledger=kept_ledger(config, tmp_path),
                           root=tmp_path).read_text(encoding="utf-8")
    assert ('<tr><td>Xã Ma Nới (22828)</td><td>1</td><td>e.xlsx</td><td><code class="h">' + "e" * 64 + '</code></td>'
            '<td class="n">12.345</td><td>02/05/2023 09:00</td><td>02/05/2023 09:05</td>'
            '<td class="invalid">có lỗi</td><td class="n">1</td><td class="n">0</td></tr>') in html
    assert '<tr><td>Chưa xác định</td><td></td><td>f.xlsx</td><td><code class="h">' + "f" * 64 in html
    assert re.search(r"<td><code>village</code></td><td>lỗi</td><td>[^<]*</td><td>22828</td></tr>", html)


def test_technical_view_loads_nothing_from_elsewhere(config, tmp_path):
    """The page is the folder's only file: style inline, no script, no link, image or font, no http(s) URL."""
    index = build_data_docs(config.period("2023-6T"), config=config, ledger=kept_ledger(config, tmp_path),
                            root=tmp_path)
    assert [p.name for p in index.parent.iterdir()] == ["index.html"]
    html = index.read_text(encoding="utf-8")
    assert "<style>" in html and "<script" not in html and "<link" not in html and "<img" not in html
    assert re.findall(r"https?:", html) == [] and "url(" not in html


def test_no_results_publishes_an_empty_folder(config, tmp_path):
    """With no unit's results on disk the call returns None and the published folder is empty."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'work' / 'ledger.sqlite'}")
    assert build_data_docs(config.period("2023-6T"), config=config, ledger=ledger, root=tmp_path) is None
    assert list((tmp_path / "reports" / "2023" / "6T" / "data-docs").iterdir()) == []


def test_technical_view_per_period(plan_root):
    """On the samples: a section per unit (and office) with every suite it ran, each version's whole hash, and no
    household name."""
    html = (plan_root / "reports" / "2023" / "6T" / "data-docs" / "index.html").read_text(encoding="utf-8")
    units = set(re.findall(r'<h3 id="don-vi-([0-9A-Z]+)">', html))
    assert units == {"22810", "22813", "22816", "22819", "22822", "22825", "22828", "22831", *OFFICE_SUITES}
    assert {s for s in re.findall(r'<h3 id="bo-([a-z_]+)">', html)} == set(SUITES) | {
        s for suites in OFFICE_SUITES.values() for s in suites}
    for sample in (ROOT / "samples" / "2023-6T").glob("*.xlsx"):
        assert f">{sample.name}<" in html
    names = {r["head_name"] for p in (ROOT / "samples" / "2023-6T").glob("[0-9]*.xlsx") for r in roster_rows(p)}
    assert names and not [n for n in names if n in html]


def test_built_once_from_kept_results(plan_root, config, monkeypatch):
    """The 8 units and 6 offices: one row per unit and suite it ran, every one passed, and no suite is validated again
    (Batch.validate is never called)."""
    from great_expectations.datasource.fluent.interfaces import Batch

    from pipeline.orchestrator import data_docs_period

    def no_validate(self, *args, **kwargs):
        raise AssertionError("validated again")

    monkeypatch.setattr(Batch, "validate", no_validate)
    index = data_docs_period(config.period("2023-6T"), config=config, workspace=workspace_at(plan_root))
    assert index == str(plan_root / "reports" / "2023" / "6T" / "data-docs" / "index.html")
    html = Path(index).read_text(encoding="utf-8")
    runs = 8 * len(SUITES) + sum(len(s) for s in OFFICE_SUITES.values())
    assert html.count('<td class="ok">Đạt</td></tr>') == runs and 'class="fail"' not in html
