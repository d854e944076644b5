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


def test_check_template_passes_the_shipped_template():
    """`check-template` without a file checks templates/bao_cao_ky.docx: it passes (exit 0)."""
    result = run("check-template")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("bao_cao_ky.docx: MẪU HỢP LỆ — các thẻ mẫu đúng cú pháp, chỉ dùng biến có trong "
                                     "dữ liệu báo cáo.")


def test_check_template_names_the_fault(tmp_path):
    """A template with a misspelt variable in a table cell: exit 1, the table, row, cell and the name on stderr;
    a file that is not a .docx: exit 1 too."""
    import zipfile

    broken = tmp_path / "mau.docx"
    with zipfile.ZipFile(ROOT / "templates" / "bao_cao_ky.docx") as src, \
            zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"{{ r.poor_rate }}", b"{{ row.poor_rate }}", 1)
            dst.writestr(item, data)
    result = run("check-template", str(broken))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == (
        "MẪU CÓ LỖI — Mẫu báo cáo mau.docx (word/document.xml), bảng thứ 2 «Bảng 1. Hộ nghèo, hộ cận nghèo theo "
        "đơn vị tại ngày {{ period.cutoff }}», dòng 4, ô 5: dùng biến không có trong dữ liệu báo cáo: row")
    result = run("check-template", "README.md")
    assert result.returncode == 1 and "không phải tệp Word .docx" in result.stderr
