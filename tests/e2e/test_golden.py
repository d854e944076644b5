"""The report, the findings and the status page on the bundled data sets, compared as text with the
versions kept in ``tests/golden/``: the outputs as they were before each version was staged and read once and
before the status page and Data Docs became their own tasks (identical after both changes).

A deliberate change of wording or layout updates them: ``PIPELINE_UPDATE_GOLDEN=1 pytest tests/e2e/test_golden.py``,
then read the diff before committing it.

Slow by nature: each data set goes through the whole pipeline (eight workbooks validated, aggregated,
rendered), the only way to see every output a user gets.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
from pathlib import Path

import pytest

from pipeline.files import sha256_of
from tests.helpers import docx_text, drop, workspace_at

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
pytestmark = pytest.mark.slow
NOW = dt.datetime(2023, 5, 6, 2, 0, tzinfo=dt.UTC)  # the run's clock: arrival stamps and page times are fixed


def _page_text(page: str) -> str:
    """The status page as the text a reader sees (tags dropped, entities decoded, one line per block)."""
    page = re.sub(r"(?s)<(style|script)\b.*?</\1>", "", page)
    page = re.sub(r"</(p|h\d|tr|li|div|caption|table)>|<br\s*/?>", "\n", page)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip()) + "\n"


def _outputs(files: list[Path], root: Path, config) -> dict[str, str]:
    from pipeline.orchestrator import run_period
    from pipeline.paths import status_page_path, work_dir

    period = config.period("2023-6T")
    drop(files, root / "inbox" / "2023-6T")
    report = Path(run_period(period, config=config, now=NOW, workspace=workspace_at(root)))
    findings = {}
    for path in sorted((work_dir(period, root) / "findings").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        findings[data["file"]] = data
    outputs = {
        "report.txt": docx_text(report) + "\n",
        "status.txt": _page_text(status_page_path(period, root).read_text(encoding="utf-8")),
        "findings.json": json.dumps(dict(sorted(findings.items())), ensure_ascii=False, indent=1) + "\n",
    }
    # a generated workbook's bytes (zip timestamps) change with each generation: its hash is named, not shown
    for path in files:
        digest = sha256_of(path)
        for name, text in outputs.items():
            outputs[name] = re.sub(digest[:8] + r"[0-9a-f]*", f"<sha256 {path.name}>", text)
    return outputs


@pytest.mark.parametrize("data_set", ["samples", "test_set"])
def test_outputs_are_as_kept(data_set, config, tmp_path, request):
    """On the samples and on the test set, the report's text, the status page's text and the findings equal the files
    kept in tests/golden/<data set>/ (rewritten first when PIPELINE_UPDATE_GOLDEN=1)."""
    files = (sorted((ROOT / "samples" / "2023-6T").glob("*.xlsx")) if data_set == "samples"
             else sorted(request.getfixturevalue("test_set").glob("*.xlsx")))
    outputs = _outputs(files, tmp_path, config)
    folder = GOLDEN / data_set
    if os.environ.get("PIPELINE_UPDATE_GOLDEN") == "1":
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in outputs.items():
            (folder / name).write_text(text, encoding="utf-8")
    for name, text in outputs.items():
        assert text == (folder / name).read_text(encoding="utf-8"), f"{data_set}/{name} differs from tests/golden"
