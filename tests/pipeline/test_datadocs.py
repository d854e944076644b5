"""GX Data Docs: the technical view exists for every unit and carries no personal data."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import roster_rows

ROOT = Path(__file__).resolve().parents[2]


def test_data_docs_site_per_period(plan_root):
    """The period's site has an index and a validation page per unit and suite, and no household names."""
    site = plan_root / "reports" / "2023" / "6T" / "data-docs"
    assert (site / "index.html").exists()
    pages = list((site / "validations").rglob("*.html"))
    units = {p.name.split("-", 1)[1].split("_", 1)[0] for p in pages}
    assert units == {"22810", "22813", "22816", "22819", "22822", "22825", "22828", "22831"}
    suites = {p.parent.parent.parent.name for p in pages}
    assert {"general", "summary", "roster", "members", "reconciliation", "narrative"} <= suites
    names = {r["head_name"] for p in (ROOT / "samples" / "2023-6T").glob("*.xlsx") for r in roster_rows(p)}
    text = "\n".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert names and not [n for n in names if n in text]
