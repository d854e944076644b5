"""The corpus of broken and messy submissions in tests/fixtures/: each is read or refused as written by hand
in tests/fixtures/expected.yaml."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.read.reader import read_submission
from pipeline.validate.rules import validate_submission

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EXPECTED = yaml.safe_load((FIXTURES / "expected.yaml").read_text(encoding="utf-8"))


def test_corpus_is_complete():
    """At least 70 fixtures, each with a written expectation, and no expectation without its file."""
    files = {p.name for p in FIXTURES.iterdir() if p.suffix not in (".py", ".md", ".yaml")}
    assert len(EXPECTED) >= 70
    assert files == set(EXPECTED)


def _config_for(config, spec):
    if "max_file_mb" in spec:
        return dataclasses.replace(config, validation={**config.validation, "max_file_mb": spec["max_file_mb"]})
    return config


def _value(sub, path: str) -> Any:
    if path == "roster.count":
        return len(sub.roster)
    if path.startswith("general."):
        return sub.general[path.split(".", 1)[1]]
    if path.startswith("narrative."):
        return sub.narrative[path.split(".", 1)[1]]
    if path.startswith("summary."):
        frame = sub.summary.set_index("indicator")
        indicator, _, when = path.split(".", 1)[1].partition(".")
        return int(frame.at[indicator, "value_baseline" if when == "baseline" else "value_current"])
    m = re.fullmatch(r"roster\[(\d+)\]\.(\w+)", path)
    assert m, path
    value = sub.roster.iloc[int(m[1])][m[2]]
    return value.item() if hasattr(value, "item") else value


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture(name, config):
    """The fixture gets exactly its expected status and counts, the listed findings, and reads the values."""
    spec = EXPECTED[name]
    cfg = _config_for(config, spec)
    path = FIXTURES / name
    outcome = validate_submission(path, config=cfg, period="2023-6T")
    summary = [f.as_text(name) for f in outcome.findings]
    assert (outcome.status, outcome.errors, outcome.warnings) == (spec["status"], spec["errors"],
                                                                   spec["warnings"]), summary
    for want in spec.get("findings", []):
        hits = [f for f in outcome.findings
                if (f.severity, f.sheet, f.row, f.column) == (want["severity"], want["sheet"], want["row"],
                                                              want["column"])
                and ("value" not in want or f.value == str(want["value"]))
                and ("says" not in want or want["says"] in f"{f.message} {f.fix}")]
        assert hits, (want, summary)
    for key, expected in (spec.get("values") or {}).items():
        sub = read_submission(path, cfg, file_name=name)
        got = _value(sub, key)
        if isinstance(expected, dt.date):
            assert got == expected, key
        else:
            assert got == expected, (key, got)
