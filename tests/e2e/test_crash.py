"""A real process killed (SIGKILL) at named points of `python -m pipeline run 2023-6T`, then run again: the
ledger and the archive agree, no published path holds a partial file, the report reads as a clean run's, and
the report's versions are whole folders: no half-written version, no duplicate after the rerun."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import docx_text, drop, set_narrative

ROOT = Path(__file__).resolve().parents[2]
# three units: what a crash may break is the same for three as for eight, and each run costs less
SAMPLES = sorted((ROOT / "samples" / "2023-6T").glob("*.xlsx"))[:3]
CODES = [p.name[:5] for p in SAMPLES]
FOLDER = Path("reports") / "2023" / "6T"
REPORT = FOLDER / "v1" / "bao-cao-2023-6T.docx"
STATUS_PAGE = Path("reports") / "2023" / "6T" / "trang-thai-2023-6T.html"


def run_pipeline(root: Path, crash_at: str | None = None) -> subprocess.CompletedProcess:
    # no PDF: it is published as the other files are, and LibreOffice would double each run's time
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "PIPELINE_DATA_DIR": str(root), "PIPELINE_PDF": "0"}
    if crash_at:
        env["PIPELINE_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, "-m", "pipeline", "run", "2023-6T"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)


def fresh_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    drop(SAMPLES, root / "inbox" / "2023-6T")
    return root


def partial_files(root: Path) -> list[str]:
    """Files at published (not hidden) names that are empty or not complete for their type."""
    bad = []
    for p in root.rglob("*"):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not p.is_file() or rel.parts[0] == "inbox":
            continue  # temporary names are hidden; the inbox is the communes' own
        if p.name.endswith(("ledger.sqlite.schema-lock", "ledger.sqlite.intake-lock")):
            continue  # the ledger's lock files are empty by design (flock)
        try:
            if p.stat().st_size == 0:
                raise ValueError("empty")
            if p.suffix in (".docx", ".xlsx"):
                with zipfile.ZipFile(p) as z:
                    if z.testzip() is not None:
                        raise ValueError("corrupt member")
            elif p.suffix == ".json":
                json.loads(p.read_text(encoding="utf-8"))
            elif p.suffix == ".html" and "</html>" not in p.read_text(encoding="utf-8"):
                raise ValueError("truncated page")
        except (ValueError, zipfile.BadZipFile) as exc:
            bad.append(f"{rel}: {exc}")
    return bad


def ledger_vs_archive(root: Path) -> tuple[list, set[str]]:
    """(ledger rows whose archive copy is missing or has other bytes, archive files with no ledger row)."""
    from pipeline.files import sha256_of
    from pipeline.ledger.store import Ledger

    db = root / "work" / "ledger.sqlite"
    rows = Ledger(f"sqlite:///{db}").versions("2023-6T") if db.exists() else []
    wrong = [(v.original_name, v.archive_path) for v in rows
             if not Path(v.archive_path).is_file() or sha256_of(Path(v.archive_path)) != v.sha256]
    archived = {p.name for p in (root / "archive" / "2023-6T").glob("*")
                if p.is_file() and not p.name.startswith(".")} if (root / "archive").exists() else set()
    return wrong, archived - {Path(v.archive_path).name for v in rows}


def report_text(path: Path) -> str:
    """The report's text with the arrival times of annex III masked: two runs receive the files at their own
    times (the system stamps arrival), everything else must be equal."""
    return re.sub(r"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}\b", "<arrival>", docx_text(path))


@pytest.fixture(scope="module")
def clean_text(tmp_path_factory) -> str:
    """The report's text after a clean run of the samples (arrival times masked)."""
    root = fresh_root(tmp_path_factory.mktemp("clean"))
    result = run_pipeline(root)
    assert result.returncode == 0, result.stderr[-3000:]
    return report_text(root / REPORT)


@pytest.mark.slow
@pytest.mark.parametrize("point", [
    "publish-before-rename",  # the first atomic write of the run: a version's kept GX results
    "publish-before-rename@trang-thai-*.html",  # the status page
    "publish-before-rename@data-docs",  # the Data Docs site's link switch
    "publish-before-rename@v[0-9]*",  # the report's version folder (built under a hidden name)
    "version-published",  # the version folder renamed into place, its index and link not yet written
    "publish-before-rename@versions.json",  # the index of versions
    "publish-before-rename@hien-hanh",  # the link to the latest version
    "intake-after-archive",  # archive copy made, ledger row not yet inserted
    "validate",  # a version validated, its findings not yet written
    "render",  # report rendered and audited, not yet published
])
def test_kill_then_rerun(tmp_path, clean_text, point):
    """Killed at each point: no partial published file, the ledger and the archive agree (one unregistered archive copy
    only when killed before the ledger insert), and a v1 present is whole. The rerun exits 0 with the 3 units valid at
    version 1, one version v1, and the report reads as a clean run's.
    Slow: kills a whole run at each crash point and reruns it."""
    root = fresh_root(tmp_path)
    crashed = run_pipeline(root, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, (crashed.returncode, crashed.stderr[-2000:])

    assert partial_files(root) == []
    wrong, orphans = ledger_vs_archive(root)
    assert wrong == []
    # only a kill between the archive copy and the ledger insert leaves an archived file without its row
    assert len(orphans) == (1 if point == "intake-after-archive" else 0)
    if (root / REPORT).exists():
        assert point != "render" and not point.endswith("@v[0-9]*")
        names = {p.name for p in (root / REPORT).parent.iterdir()}
        assert names - {"bao-cao-2023-6T.pdf"} == {  # the PDF when LibreOffice could make it
            "bao-cao-2023-6T.docx", "bao-cao-2023-6T-phu-luc.xlsx", "bao-cao-2023-6T-ky-thuat.docx", "phien-ban.json",
            "tong-hop-2023-6T.json"}
    assert versions_on_disk(root) == ([1] if (root / REPORT).exists() else [])

    again = run_pipeline(root)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.strip().splitlines()[-1] == str(root / REPORT)
    assert partial_files(root) == []
    assert ledger_vs_archive(root) == ([], set())
    from pipeline.ledger.store import Ledger

    rows = Ledger(f"sqlite:///{root / 'work' / 'ledger.sqlite'}").versions("2023-6T")
    assert sorted((v.unit_code, v.version, v.status) for v in rows) == [(code, 1, "valid") for code in CODES]
    assert (root / STATUS_PAGE).stat().st_size > 0
    assert report_text(root / REPORT) == clean_text
    assert os.path.islink(root / "reports" / "2023" / "6T" / "data-docs")
    assert_versions(root, [1])


def versions_on_disk(root: Path) -> list[int]:
    folder = root / FOLDER
    if not folder.exists():
        return []
    return sorted(int(p.name[1:]) for p in folder.iterdir() if re.fullmatch(r"v\d+", p.name))


def assert_versions(root: Path, numbers: list[int]) -> None:
    """Exactly these version folders; the index lists them with their reports' SHA-256, the link names the last."""
    import hashlib

    assert versions_on_disk(root) == numbers
    index = json.loads((root / FOLDER / "versions.json").read_text(encoding="utf-8"))
    assert [v["number"] for v in index["versions"]] == numbers and index["latest"] == numbers[-1]
    for v in index["versions"]:
        report = root / FOLDER / v["report"]
        assert hashlib.sha256(report.read_bytes()).hexdigest() == v["report_sha256"]
    assert os.readlink(root / FOLDER / "hien-hanh") == f"v{numbers[-1]}"


@pytest.mark.slow
@pytest.mark.parametrize("point", ["publish-before-rename@v2", "render"])
def test_kill_while_publishing_v2_then_rerun(tmp_path, point):
    """A corrected workbook after v1: the run making v2 is killed before v2's folder is in place; v1 keeps its
    bytes, no v2 (nor a half of one) is visible; the rerun makes v2 once, naming the unit that changed.
    Slow: kills a whole run and reruns it."""
    root = fresh_root(tmp_path)
    assert run_pipeline(root).returncode == 0
    v1 = (root / REPORT).read_bytes()
    corrected = drop([root / "inbox" / "2023-6T" / "22813_lam_son.xlsx"], tmp_path / "sua")[0]
    set_narrative(corrected, "results", "Bản sửa gửi sau: đã rà soát lại danh sách hộ.")
    corrected.rename(root / "inbox" / "2023-6T" / "22813_lam_son_sua.xlsx")

    crashed = run_pipeline(root, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, (crashed.returncode, crashed.stderr[-2000:])
    assert partial_files(root) == []
    assert_versions(root, [1])
    assert (root / REPORT).read_bytes() == v1

    again = run_pipeline(root)
    assert again.returncode == 0, again.stderr[-3000:]
    v2 = root / FOLDER / "v2" / "bao-cao-2023-6T.docx"
    assert again.stdout.strip().splitlines()[-1] == str(v2)
    assert partial_files(root) == []
    assert_versions(root, [1, 2])
    assert (root / REPORT).read_bytes() == v1
    text = docx_text(v2)
    assert "- Xã Lâm Sơn: phiên bản 1 (hợp lệ) → phiên bản 2 nhận lúc " in text
    assert "Bản sửa gửi sau: đã rà soát lại danh sách hộ." in text
