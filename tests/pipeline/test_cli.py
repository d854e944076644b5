"""The staff command `python -m pipeline validate`, as data staff run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_validate_prints_every_field_and_fails():
    """On a broken workbook every finding shows severity, sheet, row, column, value, problem and fix; exit 1."""
    result = run("validate", "tests/fixtures/ncc_more_than_members.xlsx")
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "ncc_more_than_members.xlsx: KHÔNG HỢP LỆ — 2 lỗi, 0 cảnh báo (kỳ 2023-6T)."
    first = lines[0]
    for part in ("[LỖI]", "tệp ncc_more_than_members.xlsx", "sheet 'Danh sách hộ NCC'", "dòng 5",
                 "cột 'Số thành viên là NCC hoặc thân nhân'", "giá trị: '9'",
                 "Số thành viên là người có công lớn hơn số nhân khẩu của hộ", "Cách sửa:"):
        assert part in first, part


def test_validate_valid_file_exits_zero():
    """A valid sample prints its verdict and exits 0."""
    result = run("validate", "samples/2023-6T/22810_tan_son.xlsx")
    assert result.returncode == 0
    assert result.stdout.strip() == "22810_tan_son.xlsx: HỢP LỆ — 0 lỗi, 0 cảnh báo (kỳ 2023-6T)."


def test_validate_missing_file():
    """A path that does not exist is a usage error (exit 2) in Vietnamese."""
    result = run("validate", "khong-co.xlsx")
    assert result.returncode == 2 and "Không tìm thấy tệp" in result.stderr
