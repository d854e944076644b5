"""GX Data Docs: the technical view exists for every unit and carries no personal data; it is built once per
run from the results kept when each version was validated."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import OFFICE_SUITES, roster_rows, workspace_at

ROOT = Path(__file__).resolve().parents[3]
SUITES = ["general", "summary", "roster", "reconciliation", "members", "narrative", "bounds", "amount_bounds"]


def test_data_docs_site_per_period(plan_root):
    """The period's site has an index and a validation page per unit (and office) and suite, and no household
    names."""
    site = plan_root / "reports" / "2023" / "6T" / "data-docs"
    assert (site / "index.html").exists()
    pages = list((site / "validations").rglob("*.html"))
    units = {p.name.split("-", 1)[1].split("_", 1)[0] for p in pages}
    assert units == {"22810", "22813", "22816", "22819", "22822", "22825", "22828", "22831", *OFFICE_SUITES}
    suites = {p.parent.parent.parent.name for p in pages}
    assert {"general", "summary", "roster", "members", "reconciliation", "narrative"} <= suites
    names = {r["head_name"] for p in (ROOT / "samples" / "2023-6T").glob("[0-9]*.xlsx") for r in roster_rows(p)}
    text = "\n".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert names and not [n for n in names if n in text]


def test_site_rendered_once_from_kept_results(plan_root, config, monkeypatch):
    """Data Docs of the 8 units and 6 offices: GX's site builder runs once, not once per unit and suite, and no suite is
    validated again (Batch.validate is never called)."""
    from great_expectations.datasource.fluent.interfaces import Batch
    from great_expectations.render.renderer.site_builder import SiteBuilder

    from pipeline.orchestrator import data_docs_period

    calls = {"build": 0, "validate": 0}
    real_build = SiteBuilder.build

    def counting_build(self, *args, **kwargs):
        calls["build"] += 1
        return real_build(self, *args, **kwargs)

    def no_validate(self, *args, **kwargs):
        calls["validate"] += 1
        raise AssertionError("validated again")

    monkeypatch.setattr(SiteBuilder, "build", counting_build)
    monkeypatch.setattr(Batch, "validate", no_validate)
    index = data_docs_period(config.period("2023-6T"), config=config, workspace=workspace_at(plan_root))
    assert index == str(plan_root / "reports" / "2023" / "6T" / "data-docs" / "index.html")
    assert calls == {"build": 1, "validate": 0}
    pages = list((plan_root / "reports" / "2023" / "6T" / "data-docs" / "validations").rglob("*.html"))
    assert len(pages) == 8 * len(SUITES) + sum(len(s) for s in OFFICE_SUITES.values())
