"""Tests of pipeline/read/container.py: a workbook cut anywhere is not whole; a whole one is.

The cuts are made here from committed files: every 97th byte of an .xlsx sample, every 61st of an .xls fixture
(LibreOffice's Excel 97-2003), and the shapes a stalled copy leaves (nothing yet, the first bytes of the
signature, space reserved and still all zeros)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from pipeline.read.container import container_gap, stream_gap

ROOT = Path(__file__).resolve().parents[3]
XLSX = ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx"
XLS = ROOT / "tests" / "fixtures" / "libreoffice_real.xls"


@pytest.mark.parametrize(("path", "step"), [(XLSX, 97), (XLS, 61)])
def test_every_cut_is_a_gap_and_the_whole_file_is_none(path, step):
    data = path.read_bytes()
    assert container_gap(path) is None
    whole = [cut for cut in range(0, len(data), step) if stream_gap(io.BytesIO(data[:cut])) is None]
    assert whole == []
    assert stream_gap(io.BytesIO(data[:-1])) is not None  # one byte short


def test_the_gap_says_what_is_missing():
    data = XLSX.read_bytes()
    gap = stream_gap(io.BytesIO(data[:7000]))
    assert (gap.kind, gap.size, gap.expected, gap.what) == (
        "xlsx", 7000, None, "thiếu phần cuối của tệp (bản ghi kết thúc của tệp nén .xlsx)")
    xls = XLS.read_bytes()
    gap = stream_gap(io.BytesIO(xls[:20480]))
    assert (gap.kind, gap.size, gap.what) == ("xls", 20480, "thiếu phần cuối của tệp .xls")
    assert gap.expected is not None and 20480 < gap.expected <= len(xls)
    assert stream_gap(io.BytesIO(xls[:300])).what == "thiếu phần đầu của tệp .xls (chưa đủ 512 byte)"


@pytest.mark.parametrize(("data", "what"), [
    (b"", "tệp rỗng (0 byte)"),
    (b"PK\x03", "mới có 3 byte đầu của tệp"),
    (b"\xd0\xcf", "mới có 2 byte đầu của tệp"),
    (b"\x00" * 14000, "512 byte đầu của tệp toàn số 0 (chỗ đã dành sẵn nhưng chưa chép nội dung vào)"),
    (b"\x00" * 100, "100 byte đầu của tệp toàn số 0 (chỗ đã dành sẵn nhưng chưa chép nội dung vào)"),
])
def test_shapes_of_a_copy_that_has_not_started(data, what):
    assert stream_gap(io.BytesIO(data)).what == what


def test_space_reserved_then_partly_written_is_a_gap():
    """A copy that reserved the whole size (zeros) and wrote the first half: the zip's end record is not there."""
    data = XLSX.read_bytes()
    assert stream_gap(io.BytesIO(data[: len(data) // 2] + b"\x00" * (len(data) - len(data) // 2))).kind == "xlsx"


def test_files_with_no_end_record_and_zips_with_a_comment():
    """A CSV or a PDF has no end record: whole whatever its bytes (stability alone decides). A zip whose
    comment follows the end record, and an empty zip, are whole."""
    assert stream_gap(io.BytesIO("Mã hộ;Tên\n1;2\n".encode())) is None
    assert stream_gap(io.BytesIO(b"%PDF-1.4\n%%EOF\n")) is None
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "x" * 1000)
        z.comment = b"PK\x05\x06 looks like an end record"
    assert stream_gap(io.BytesIO(buf.getvalue())) is None
    assert stream_gap(io.BytesIO(buf.getvalue()[:-5])) is not None
    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    assert stream_gap(io.BytesIO(empty.getvalue())) is None
