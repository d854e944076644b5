"""Great Expectations Data Docs: the technical view of a period's validations, for district staff.

One site per period in ``reports/<year>/<6T|9T|CN>/data-docs/`` (open ``index.html``): the expectation
suites, and one validation result per unit and suite for the latest version of each unit's submission.
Results are kept at GX's ``BASIC`` format with no unexpected values, so the pages show which expectations
failed and how many rows, never a value — no names, ethnicity or NCC category (Decree 13/2023/NĐ-CP);
rows are found through the unit's own feedback (household codes and Excel rows).

Rebuilt from scratch on each call (is idempotent for the same ledger state) in a temporary folder beside
the site, then published at once (``data-docs`` is a link switched atomically, :func:`pipeline.publish.atomic_dir`):
a failure or a kill while building leaves the previous site. District-facing: 0644 / 0755.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.config import Config, Period, data_dir
from pipeline.publish import atomic_dir

RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0, "include_unexpected_rows": False}


def data_docs_dir(period: Period, root: Path | None = None) -> Path:
    """``reports/<year>/<folder>/data-docs/``."""
    return (root or data_dir()) / "reports" / str(period.year) / period.folder / "data-docs"


def build_data_docs(period: Period, *, config: Config, ledger: Any, root: Path | None = None) -> Path | None:
    """Validate each unit's latest readable version again into a GX Data Docs site; returns its index.html.

    Returns None when no unit has a readable workbook.
    """
    site = data_docs_dir(period, root)
    with atomic_dir(site) as build:
        built = _build_site(build, period, config=config, ledger=ledger, root=root)
    index = site / "index.html"
    return index if built and index.exists() else None


def _build_site(site: Path, period: Period, *, config: Config, ledger: Any, root: Path | None = None) -> bool:
    """Write the GX Data Docs site into ``site``; whether any validation result was written."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from pipeline.intake import history_for
    from pipeline.read import UnreadableSubmission
    from pipeline.staging import staged_submission
    from pipeline.validate import build_frames, load_suite

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.add_data_docs_site(site_name="period", site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    source = context.data_sources.add_pandas("submissions")
    suites: dict[str, Any] = {}
    parameters = {"unit_codes": [u.code for u in config.units_on(period.cutoff)], "periods": [period.code]}
    built = False
    for unit in config.units_on(period.cutoff):
        versions = ledger.versions(period.code, unit.code)
        if not versions:
            continue
        version = versions[-1]
        try:
            sub = staged_submission(Path(version.archive_path), sha256=version.sha256, period=period, config=config,
                                    file_name=version.original_name, root=root)
        except UnreadableSubmission:
            continue
        history = history_for(version, config=config, ledger=ledger, period=period, root=root)
        for frame in build_frames(sub, config, period, history):
            if frame.name not in suites:
                suites[frame.name] = context.suites.add(load_suite(frame.name))
            name = f"{unit.code}_v{version.version}_{frame.name}"
            batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("whole")
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=suites[frame.name]))
            checkpoint = context.checkpoints.add(gx.Checkpoint(
                name=name, validation_definitions=[definition], result_format=RESULT_FORMAT,
                actions=[UpdateDataDocsAction(name="docs", site_names=["period"])]))
            data = frame.data.reset_index(drop=True)
            checkpoint.run(batch_parameters={"dataframe": data}, expectation_parameters=parameters,
                           run_id=RunIdentifier(run_name=f"{period.code}-{unit.code}-v{version.version}",
                                                run_time=version.found_at))
            built = True
    return built
