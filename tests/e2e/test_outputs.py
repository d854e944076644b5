"""`python -m pipeline run` as staff run it: one line per unit, exit codes, and outputs holding personal data
owner-only under umask 022."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import load_config
from tests.helpers import drop

ROOT = Path(__file__).resolve().parents[2]


def pipeline_cli(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``python -m pipeline ARGS`` on the data root ``root`` under umask 022."""
    full_env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "PIPELINE_DATA_DIR": str(root), **env}
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=900, env=full_env, preexec_fn=lambda: os.umask(0o022))


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """The 8 plan samples run through `python -m pipeline run 2023-6T` in a subprocess under umask 022."""
    root = tmp_path_factory.mktemp("cli")
    drop(sorted((ROOT / "samples" / "2023-6T").glob("*.xlsx")), root / "inbox" / "2023-6T")
    return root, pipeline_cli(root, "run", "2023-6T")


@pytest.mark.slow
def test_run_prints_one_line_per_unit_then_the_report(cli_run):
    """Exit 0; eight lines "… : hợp lệ — phiên bản 1: 0 lỗi, N cảnh báo, trễ hạn", one per office (valid), then
    the report's path.
    Slow: the command line's whole run on the eight samples, in its own process."""
    root, result = cli_run
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == str(root / "reports" / "2023" / "6T" / "v1" / "bao-cao-2023-6T.docx")
    # dropped into the inbox today, long after the deadline: late
    assert lines[0] == "Thị trấn Tân Sơn (22810): hợp lệ — phiên bản 1: 0 lỗi, 0 cảnh báo, trễ hạn"
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "Thị trấn Tân Sơn (22810)", "Xã Lâm Sơn (22813)", "Xã Lương Sơn (22816)", "Xã Quảng Sơn (22819)",
        "Xã Mỹ Sơn (22822)", "Xã Hòa Sơn (22825)", "Xã Ma Nới (22828)", "Xã Nhơn Sơn (22831)",
        *(f"{o.name} ({o.code})" for o in load_config().offices)]
    assert all(": hợp lệ — phiên bản 1: 0 lỗi, " in line for line in lines[:-1])
    # `summary` prints the same lines from the published report's figures
    again = pipeline_cli(root, "summary", "2023-6T")
    assert again.returncode == 0 and again.stdout == result.stdout


def _world_readable(root: Path, top: str, *, skip=lambda p: False) -> list[str]:
    """Paths under ``root/top`` (the folder itself included) with any permission bit for others."""
    base = root / top
    found = [base] + [p for p in base.rglob("*") if not p.is_symlink()]
    return sorted(f"{oct(stat.S_IMODE(p.stat().st_mode))} {p.relative_to(root)}" for p in found
                  if not skip(p) and stat.S_IMODE(p.stat().st_mode) & 0o007)


@pytest.mark.slow
def test_outputs_with_personal_data_are_owner_only(cli_run):
    """Under umask 022: annotated rosters (feedback/), work/ (findings quote cells, aggregates and staging
    hold names) and the report (its annex lists households) have no bit for others, files and folders; the
    status page and the Data Docs site, district-facing and free of personal data, stay 0644 / 0755.
    Slow: a whole run in its own process under another umask."""
    root, result = cli_run
    assert result.returncode == 0, result.stderr[-3000:]
    assert _world_readable(root, "feedback") == []
    assert _world_readable(root, "work", skip=lambda p: p.name.startswith("ledger.sqlite")) == []
    folder = root / "reports" / "2023" / "6T"
    assert stat.S_IMODE((folder / "v1" / "bao-cao-2023-6T.docx").stat().st_mode) == 0o600
    # the version's folder and everything in it but its manifest (hashes, numbers) are owner-only
    assert _world_readable(root, "reports/2023/6T/v1", skip=lambda p: p.name == "phien-ban.json") == []
    public = {folder / "trang-thai-2023-6T.html", folder / "versions.json", folder / "hien-hanh"}
    others = [p for p in folder.iterdir() if p not in public and "data-docs" not in p.name]
    assert sorted(p.name for p in others) == [".versions.lock", "v1"]
    assert stat.S_IMODE((folder / "versions.json").stat().st_mode) == 0o644
    assert sorted(p.name for p in (folder / "v1").iterdir()) == [
        "bao-cao-2023-6T-ky-thuat.docx", "bao-cao-2023-6T-phu-luc.xlsx", "bao-cao-2023-6T.docx", "bao-cao-2023-6T.pdf",
        "phien-ban.json",
        "tong-hop-2023-6T.json"]
    assert stat.S_IMODE((folder / "v1" / "bao-cao-2023-6T-phu-luc.xlsx").stat().st_mode) == 0o600  # households
    assert stat.S_IMODE((folder / "v1" / "bao-cao-2023-6T.pdf").stat().st_mode) == 0o600  # the annex lists households
    assert stat.S_IMODE((folder / "trang-thai-2023-6T.html").stat().st_mode) == 0o644
    assert stat.S_IMODE((folder / "data-docs" / "index.html").stat().st_mode) == 0o644
    # the folder holding the status page stays reachable; the report inside it is protected by its own mode
    assert [oct(stat.S_IMODE(p.stat().st_mode)) for p in (root / "reports", root / "reports" / "2023", folder)] == [
        "0o755"] * 3
    assert len(list((root / "feedback" / "2023-6T").rglob("*-gop-y.xlsx"))) == 8 + 6  # communes and offices


@pytest.mark.slow
def test_archive_and_ledger_are_owner_only(cli_run):
    """Under umask 022 the archive (folders and read-only copies) and the SQLite ledger have no bit for others.
    Slow: a whole run in its own process under another umask."""
    root, _ = cli_run
    assert _world_readable(root, "archive") == []
    assert stat.S_IMODE((root / "work" / "ledger.sqlite").stat().st_mode) & 0o007 == 0


def test_run_without_ledger_prints_the_failed_step_and_exits_1(tmp_path):
    """The ledger database unreachable: no report, exit 1, stderr names the step gather."""
    drop([ROOT / "samples" / "2023-6T" / "22810_tan_son.xlsx"], tmp_path / "inbox" / "2023-6T")
    result = pipeline_cli(tmp_path, "run", "2023-6T",
                          PIPELINE_LEDGER_URL="postgresql+psycopg://postgres@127.0.0.1:1/ledger")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        "KHÔNG CÓ BÁO CÁO — Kỳ 2023-6T: bước gather (tiếp nhận lần cuối) thất bại: OperationalError")
    assert not (tmp_path / "reports").exists()
    missing = pipeline_cli(tmp_path, "summary", "2023-6T")
    assert missing.returncode == 1 and "Chưa có báo cáo kỳ 2023-6T" in missing.stderr


@pytest.mark.parametrize(("period", "message"), [
    ("2026-6T", "Kỳ 2026-6T không có đơn vị báo cáo nào trong cấu hình (không đơn vị nào còn hiệu lực ngày "
                "30/04/2026)"),
    ("2023-7T", "Kỳ báo cáo không hợp lệ: '2023-7T'"),
])
def test_run_usage_errors_exit_2(tmp_path, period, message):
    """A period with no configured unit, or a malformed one: a Vietnamese message and exit 2, nothing written."""
    result = pipeline_cli(tmp_path, "run", period)
    assert result.returncode == 2
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []
