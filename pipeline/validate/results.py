"""Great Expectations' own validation results of a version, kept once per validation beside its findings.

* ``work/<period>/results/<sha256>.json`` — complete: every suite's ``ExpectationSuiteValidationResult`` as
  GX gives it at its ``COMPLETE`` format, so it quotes cell values (unexpected values, names typed into a
  code column, …): owner-only, like the findings (Decree 13/2023/NĐ-CP);
* ``work/<period>/results/<sha256>.counts.json`` — the same results scrubbed to counts (:func:`scrub`):
  expectations, success, how many rows were checked and found unexpected, and the Excel rows found —
  no value of any cell. The Data Docs are built from these (:mod:`pipeline.validate.datadocs`), never by reading
  the workbook or validating again.

Both are written by :func:`pipeline.intake.inbox.validate_version` each time a version is validated, before its
findings file (a version with findings on disk has its results). Shape of both::

    {"sha256": str, "unit_code": str | None, "period": str,
     "suites": [{"suite": str, "sheet": str, "result": <ExpectationSuiteValidationResult as a dict>}]}

``suites`` is empty for a file no suite ran on (unreadable, a system error).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.config import Period
from pipeline.files import write_text
from pipeline.findings import ValidationOutcome
from pipeline.paths import counts_path, results_path

COUNT_KEYS = ("element_count", "missing_count", "missing_percent", "unexpected_count", "unexpected_percent",
              "unexpected_percent_total", "unexpected_percent_nonmissing")
"""Keys of an expectation's ``result`` that are counts or shares of rows, never a value (all others go)."""
BATCH_KEYS = ("datasource_name", "data_connector_name", "data_asset_name")
"""Keys of ``meta.active_batch_definition`` kept: names the pipeline gives (source, connector, frame)."""






def _scrub_expectation(entry: dict[str, Any]) -> dict[str, Any]:
    """One expectation's result with counts only: its configuration (from the suite file and the suite
    parameters: unit and period codes), success, the counts of :data:`COUNT_KEYS` and the Excel rows."""
    result = entry.get("result") or {}
    rows = (entry.get("meta") or {}).get("excel_rows") or []
    return {
        "success": bool(entry.get("success")),
        "expectation_config": entry.get("expectation_config"),
        "result": {k: result[k] for k in COUNT_KEYS if isinstance(result.get(k), int | float)
                   and not isinstance(result.get(k), bool)},
        "meta": {"excel_rows": [int(r) for r in rows]},
        "exception_info": {"raised_exception": bool((entry.get("exception_info") or {}).get("raised_exception")),
                           "exception_traceback": None, "exception_message": None},
    }


def scrub(result: dict[str, Any]) -> dict[str, Any]:
    """A suite's validation result (``ExpectationSuiteValidationResult.to_json_dict()``) with no cell value.

    Kept: success, suite name and parameters, statistics (counts of expectations), GX's version and the
    names of the batch; per expectation :func:`_scrub_expectation`. Dropped: every unexpected value and
    index (``unexpected_list``, ``partial_unexpected_*``, ``unexpected_index_*``), observed values, details,
    exception texts, the batch markers (a fingerprint of the data) and anything GX may add later.
    """
    meta = result.get("meta") or {}
    batch = meta.get("active_batch_definition") or {}
    spec = meta.get("batch_spec") or {}
    scrubbed_meta: dict[str, Any] = {
        "great_expectations_version": meta.get("great_expectations_version"),
        "active_batch_definition": {k: batch[k] for k in BATCH_KEYS if isinstance(batch.get(k), str)},
    }
    if isinstance(spec.get("batch_data"), str):  # the kind of batch ("PandasDataFrame"), not its data
        scrubbed_meta["batch_spec"] = {"batch_data": spec["batch_data"]}
    return {
        "success": bool(result.get("success")),
        "suite_name": result.get("suite_name"),
        "suite_parameters": result.get("suite_parameters") or {},
        "statistics": result.get("statistics") or {},
        "meta": scrubbed_meta,
        "results": [_scrub_expectation(e) for e in result.get("results") or []],
    }


def _document(outcome: ValidationOutcome, suites: list[dict[str, Any]]) -> str:
    return json.dumps({"sha256": outcome.sha256, "unit_code": outcome.unit_code, "period": outcome.period,
                       "suites": suites}, ensure_ascii=False, indent=1, default=str)


def write_results(outcome: ValidationOutcome, *, period: Period, root: Path) -> tuple[Path, Path]:
    """Write ``outcome.suite_results`` complete and scrubbed (see the module); returns (complete, counts).

    Both files are written atomically and owner-only (the folder too). Idempotent for the same results.
    """
    complete = write_text(results_path(period, outcome.sha256, root), _document(outcome, outcome.suite_results),
                          private=True)
    counted = [{"suite": s["suite"], "sheet": s["sheet"], "result": scrub(s["result"])} for s in outcome.suite_results]
    counts = write_text(counts_path(period, outcome.sha256, root), _document(outcome, counted), private=True)
    return complete, counts


def read_counts(period: Period, sha256: str, root: Path) -> dict[str, Any] | None:
    """The scrubbed results of a version (the module's shape), or None when it has none on disk."""
    try:
        return json.loads(counts_path(period, sha256, root).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
