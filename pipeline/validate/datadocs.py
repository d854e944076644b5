"""Great Expectations Data Docs: the technical view of a period's validations, for district staff.

One site per period in ``reports/<year>/<6T|9T|CN>/data-docs/`` (open ``index.html``): the expectation
suites, and one validation result per unit and suite for the latest version of each unit's submission.
The site is built from the results GX gave when that version was validated, as kept scrubbed to counts
(:mod:`pipeline.validate.results`): no workbook is read and nothing is validated again. The pages show which
expectations failed and how many rows, never a value — no names, ethnicity or NCC category (Decree
13/2023/NĐ-CP); rows are found through the unit's own feedback (household codes and Excel rows).

Built once per call, in time linear in the units: every result is put in an in-memory GX context, then
GX renders the site once. Rebuilt from scratch on each call (idempotent for the same ledger state and
results) in a temporary folder beside the site, then published at once (``data-docs`` is a link switched
atomically, :func:`pipeline.files.atomic_dir`): a failure or a kill while building leaves the previous
site. District-facing: 0644 / 0755.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pipeline.config import Config, Period
from pipeline.files import atomic_dir
from pipeline.paths import data_docs_dir
from pipeline.validate.results import read_counts, scrub
from pipeline.validate.rules import load_suite

log = logging.getLogger(__name__)
SITE_NAME = "period"




def build_data_docs(period: Period, *, config: Config, ledger: Any, root: Path) -> Path | None:
    """Publish the period's Data Docs from the kept results of each unit's latest version; returns its
    index.html.

    Each configured unit's latest version in the ledger is shown when its scrubbed results are on disk
    (:func:`pipeline.validate.results.read_counts`); a version no suite ran on (unreadable, a system error) or not
    validated yet is left out. Returns None, publishing an empty site, when no unit has results.
    """
    site = data_docs_dir(period, root)
    with atomic_dir(site) as build:
        built = _build_site(build, period, config=config, ledger=ledger, root=root)
    index = site / "index.html"
    return index if built and index.exists() else None


def latest_results(period: Period, *, config: Config, ledger: Any, root: Path
                   ) -> list[tuple[Any, dict[str, Any]]]:
    """``[(version, scrubbed results)]``: for each configured unit, its latest version and that version's
    results scrubbed to counts, when it has any suite result (ledger and ``work/`` only)."""
    out = []
    for unit in config.reporting_units_on(period.cutoff):
        versions = ledger.versions(period.code, unit.code)
        if not versions:
            continue
        counts = read_counts(period, versions[-1].sha256, root)
        if counts is None:
            log.info("Data Docs %s: unit %s version %s has no kept results (not validated yet)", period.code,
                     unit.code, versions[-1].version)
            continue
        if counts["suites"]:
            out.append((versions[-1], counts))
    return out


def _build_site(site: Path, period: Period, *, config: Config, ledger: Any, root: Path) -> bool:
    """Write the GX Data Docs site into ``site``; whether any validation result was put in it."""
    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )


    kept = latest_results(period, config=config, ledger=ledger, root=root)
    if not kept:
        return False
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_data_docs_site(site_name=SITE_NAME, site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    schema = ExpectationSuiteValidationResultSchema()
    store = context.validation_results_store
    suites: set[str] = set()
    for version, counts in kept:
        run_id = RunIdentifier(run_name=f"{period.code}-{version.unit_code}-v{version.version}",
                               run_time=version.found_at)
        for entry in counts["suites"]:
            name = entry["suite"]
            if name not in suites:
                context.suites.add(load_suite(name))
                suites.add(name)
            asset = f"{version.unit_code}_v{version.version}_{name}"
            data = scrub(entry["result"])  # again: a file kept under an older rule shows no more than today's
            data["meta"] = {**data["meta"], "run_id": run_id.to_json_dict(),
                            "validation_time": run_id.run_time.isoformat(),
                            "active_batch_definition": {**data["meta"].get("active_batch_definition", {}),
                                                        "data_asset_name": asset}}
            key = ValidationResultIdentifier(expectation_suite_identifier=ExpectationSuiteIdentifier(name=name),
                                             run_id=run_id, batch_identifier=f"submissions-{asset}")
            store.set(key, schema.load(data))
    context.build_data_docs(site_names=[SITE_NAME])
    return True
