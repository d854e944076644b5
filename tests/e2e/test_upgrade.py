"""A data root made by an earlier release, rerun by today's code: no new report version while what the report
says is the same, and the year's chart never reads the earlier periods' files on disk.

The earlier release is the commit before the code was cut into one folder per step (its own tree, taken from
git, run with its own ``python -m pipeline``): the ledger, the archive, ``work/`` and the published versions
are exactly what that release left.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from pipeline.render.changes import first_version
from pipeline.render.report import stage_report
from tests.conftest import ROOT
from tests.helpers import docx_tables, docx_text

UNITS = ("Thị trấn Tân Sơn", "xã Lâm Sơn", "xã Lương Sơn", "xã Quảng Sơn", "xã Mỹ Sơn", "xã Hòa Sơn", "xã Ma Nới",
         "xã Nhơn Sơn")

BEFORE_THE_MOVE = "5f9631aa17c44ccace9a27b6a74b76039ca2d5e2"
"""The last commit with the flat ``pipeline/`` folder (before the step packages)."""
RECEIVED = {"6T": "2023-05-03T09:00:00+07:00", "9T": "2023-08-03T09:00:00+07:00"}


def _release(commit: str, dest: Path) -> Path:
    """The tree of ``commit`` (``git archive``) in ``dest``."""
    archive = dest.with_suffix(".tar")
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", "--format=tar", commit], cwd=ROOT, stdout=out, check=True, timeout=120)
    dest.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    return dest


def _cli(tree: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m pipeline ARGS`` of the code in ``tree`` on the data root ``data`` (SQLite ledger in it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    env.update(PYTHONPATH=str(tree), PIPELINE_DATA_DIR=str(data))
    result = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=tree, env=env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result


def _files(data: Path) -> dict[str, bytes]:
    """Every published version's files, by path under ``reports/``: the report, its annex workbook and the
    aggregates it was rendered from (derived PDFs and the manifests, which gain equivalent fingerprints, left
    out)."""
    return {p.relative_to(data / "reports").as_posix(): p.read_bytes()
            for p in sorted((data / "reports").glob("*/*/v*/*")) if p.suffix != ".pdf" and p.name != "phien-ban.json"}


@pytest.mark.slow
def test_a_data_root_from_before_the_move_gets_no_new_version(tmp_path, config):
    """2023-6T and 2023-9T compiled by the release before the move; today's code reruns both. Today's report
    counts a point every commune raised ("8/8 xã, thị trấn") where that release listed the eight names, and
    compiles the offices' parts where that release had placeholders, and words whole percentages, year-end targets
    mid-year and the synthesis' heading as an official text does, so each period gets one v2 differing in those
    lines alone (v1 kept byte for byte), and a second rerun re-uses v2. Then
    2023-6T's ``aggregates.json`` on disk is replaced by figures of nothing — the 9-month report's chart 2 and year
    table read only the 9-month aggregates — and the 9-month rerun still makes no new version; rendered again, the
    9-month report says nothing v2 does not. Slow: compiles two periods with the old release (git archive) and
    again with today's code."""
    old = _release(BEFORE_THE_MOVE, tmp_path / "release")
    data = tmp_path / "data"
    for kind, received in RECEIVED.items():
        for workbook in sorted((ROOT / "samples" / f"2023-{kind}").glob("[0-9]*.xlsx")):  # that release's: communes
            _cli(old, data, "receive", str(workbook), "--period", f"2023-{kind}", "--received-at", received,
                 "--by", "Cán bộ kiểm thử")
        _cli(old, data, "run", f"2023-{kind}")
    before = _files(data)
    assert sorted({k.rsplit("/", 1)[0] for k in before}) == ["2023/6T/v1", "2023/9T/v1"]
    assert len(before) == 6

    # today's report words what that release wrote as a draft (the offices' parts and other placeholders compiled,
    # "8/8 xã, thị trấn", whole percentages, targets in progress mid-year, receipt details moved to the technical
    # annex): what the report says changed, so each period gets one v2 beside its v1; its figures are v1's
    for kind in RECEIVED:
        out = _cli(ROOT, data, "run", f"2023-{kind}").stdout
        assert out.strip().splitlines()[-1].endswith(f"reports/2023/{kind}/v2/bao-cao-2023-{kind}.docx")
        v1, v2 = (data / "reports" / "2023" / kind / v / f"bao-cao-2023-{kind}.docx" for v in ("v1", "v2"))
        old_tables, new_tables = docx_tables(v1), docx_tables(v2)
        for caption_cell in ("Toàn huyện", "Hộ nghèo có thành viên là người có công"):
            before_rows = next(t for t in old_tables if any(caption_cell in r for r in t))
            after_rows = next(t for t in new_tables if any(caption_cell in r for r in t))
            assert [r[:9] for r in before_rows] == [r[:9] for r in after_rows], caption_cell
        text = docx_text(v2)
        assert "[Chuyên viên bổ sung" in docx_text(v1) and "[Chuyên viên bổ sung" not in text
        assert "+ 8/8 xã, thị trấn: " in text and "SHA-256" not in text
        assert sum(line.startswith("Chưa có báo cáo hợp lệ của ") for line in text.splitlines()) == 5
        assert (v2.parent / f"bao-cao-2023-{kind}-ky-thuat.docx").is_file()
    after = _files(data)
    assert {k: v for k, v in after.items() if "/v1/" in k} == before
    for kind in RECEIVED:
        assert _cli(ROOT, data, "run", f"2023-{kind}").stdout.strip().splitlines()[-1].endswith(
            f"reports/2023/{kind}/v2/bao-cao-2023-{kind}.docx")
    assert _files(data) == after

    six = data / "work" / "2023-6T" / "aggregates.json"
    agg = json.loads(six.read_text(encoding="utf-8"))
    agg["ncc"] = {k: 0 for k in agg["ncc"]}
    agg["units"], agg["submissions"] = [], []
    six.write_text(json.dumps(agg), encoding="utf-8")
    _cli(ROOT, data, "run", "2023-9T")
    assert _files(data) == after
    # rendered again (not re-used by its fingerprint, as version 1 with no note of changes): every line it says is
    # a line of the published v2 — the year's table and chart 2 read the 9-month aggregates alone
    nine = config.period("2023-9T")
    staged = stage_report(json.loads((data / "work" / "2023-9T" / "aggregates.json").read_text("utf-8")),
                          config=config, period=nine, root=data, version=first_version())
    published = docx_text(data / "reports" / "2023" / "9T" / "v2" / "bao-cao-2023-9T.docx").splitlines()
    assert [line for line in docx_text(staged).splitlines() if line not in published] == []
