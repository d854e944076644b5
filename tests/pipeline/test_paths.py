"""One module builds every path under the data root (pipeline/paths.py)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

from pipeline import paths

PACKAGE = Path(paths.__file__).resolve().parent
# a data-root folder name joined onto a path anywhere but in pipeline/paths.py
JOINED = re.compile(r"/\s*\"(inbox|archive|work|reports|feedback|findings|results|frames|staging|data-docs)\"|"
                    r"\"(aggregates\.json|ledger\.sqlite|intake-skipped\.json)\"")


def test_every_output_path_is_built_in_paths():
    """No module directly under pipeline/ other than paths.py joins a data-root folder name (inbox, archive, work, …) or
    a file name (aggregates.json, ledger.sqlite, intake-skipped.json) onto a path, comments aside."""
    offenders = []
    for module in sorted(PACKAGE.glob("*.py")):
        if module.name == "paths.py":
            continue
        for number, line in enumerate(module.read_text(encoding="utf-8").splitlines(), 1):
            if JOINED.search(line) and not line.lstrip().startswith(("#", "*", "``")):
                offenders.append(f"{module.name}:{number}: {line.strip()}")
    assert offenders == []


def test_the_layout(config, tmp_path):
    """Each path builder gives its place under the data root for 2023-6T, e.g. work/2023-6T/frames/<sha256>-<first 16 of
    the reader hash>, reports/2023/6T/v2/… and feedback/2023-6T/khong-xac-dinh/v0-… for an unattributed file."""
    p = config.period("2023-6T")
    sha = "ab" * 32
    rel = {name: str(fn.relative_to(tmp_path)) for name, fn in {
        "inbox": paths.inbox_dir(p, tmp_path),
        "archive": paths.archive_period_dir(p.code, tmp_path),
        "ledger": paths.ledger_file(tmp_path),
        "findings": paths.findings_path(p, sha, tmp_path),
        "results": paths.results_path(p, sha, tmp_path),
        "counts": paths.counts_path(p, sha, tmp_path),
        "frames": paths.frames_path(p, sha, "0123456789abcdef0123", tmp_path),
        "aggregates": paths.aggregates_path(p, tmp_path),
        "report": paths.report_path(p, tmp_path, version=2),
        "version": paths.version_dir(p, 2, tmp_path),
        "version aggregates": paths.version_aggregates_path(p, 2, tmp_path),
        "version manifest": paths.version_manifest_path(p, 2, tmp_path),
        "versions index": paths.versions_index_path(p, tmp_path),
        "latest version link": paths.current_version_link(p, tmp_path),
        "staged report": paths.report_staging_path(p, tmp_path),
        "staged annex workbook": paths.annex_workbook_staging_path(p, tmp_path),
        "status": paths.status_page_path(p, tmp_path),
        "data docs": paths.data_docs_dir(p, tmp_path),
        "feedback": paths.feedback_path(SimpleNamespace(unit_code="22828", version=2, sha256=sha), p, tmp_path),
        "feedback unattributed": paths.feedback_path(SimpleNamespace(unit_code=None, version=None, sha256=sha), p,
                                                     tmp_path),
    }.items()}
    assert rel == {
        "inbox": "inbox/2023-6T",
        "archive": "archive/2023-6T",
        "ledger": "work/ledger.sqlite",
        "findings": f"work/2023-6T/findings/{sha}.json",
        "results": f"work/2023-6T/results/{sha}.json",
        "counts": f"work/2023-6T/results/{sha}.counts.json",
        "frames": f"work/2023-6T/frames/{sha}-0123456789abcdef",
        "aggregates": "work/2023-6T/aggregates.json",
        "report": "reports/2023/6T/v2/bao-cao-2023-6T.docx",
        "version": "reports/2023/6T/v2",
        "version aggregates": "reports/2023/6T/v2/tong-hop-2023-6T.json",
        "version manifest": "reports/2023/6T/v2/phien-ban.json",
        "versions index": "reports/2023/6T/versions.json",
        "latest version link": "reports/2023/6T/hien-hanh",
        "staged report": "work/2023-6T/staging/bao-cao-2023-6T.docx",
        "staged annex workbook": "work/2023-6T/staging/bao-cao-2023-6T-phu-luc.xlsx",
        "status": "reports/2023/6T/trang-thai-2023-6T.html",
        "data docs": "reports/2023/6T/data-docs",
        "feedback": "feedback/2023-6T/22828/v2-abababab-gop-y.xlsx",
        "feedback unattributed": "feedback/2023-6T/khong-xac-dinh/v0-abababab-gop-y.xlsx",
    }


def test_version_numbers_start_at_one(config, tmp_path):
    """A version folder numbered 0 is refused (ValueError)."""
    import pytest

    with pytest.raises(ValueError):
        paths.version_dir(config.period("2023-6T"), 0, tmp_path)


def test_a_path_is_shown_in_mails_relative_to_the_data_root_when_under_it(tmp_path):
    root = tmp_path / "data"
    inside = paths.data_root(root) / "feedback" / "2023-6T" / "22828" / "v1-abababab-gop-y.xlsx"
    assert paths.shown_path(inside, root) == "feedback/2023-6T/22828/v1-abababab-gop-y.xlsx"
    assert paths.shown_path(tmp_path / "elsewhere.xlsx", root) == str(tmp_path / "elsewhere.xlsx")
