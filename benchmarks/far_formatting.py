"""Formatting far past the data: a workbook whose roster sheet has borders down to row 50,000.

``far_formatted(src, dst)`` copies the sample workbook ``src`` to ``dst`` with every cell of the roster sheet's
columns, from the row after the last household down to ``rows``, given the border style of the roster's data
cells but no value — what a commune's file looks like after someone formats a whole block "for later". Written
at the XML level (fast, deterministic) rather than with openpyxl.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from openpyxl.utils import get_column_letter

ROSTER_PART = "xl/worksheets/sheet3.xml"


def far_formatted(src: Path, dst: Path, rows: int = 50_000, part: str = ROSTER_PART) -> Path:
    """Write ``dst``: ``src`` with style-only cells in every column of ``part``'s data area down to ``rows``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                data = _extend(data, rows)
            zout.writestr(info, data)
    return dst


def _extend(xml: bytes, rows: int) -> bytes:
    last = max(int(r) for r in re.findall(rb'<row r="(\d+)"', xml))
    cells = re.findall(rb'<c r="([A-Z]+)%d" s="(\d+)"' % last, xml)
    letters = [get_column_letter(i) for i in range(1, len(cells) + 1)]
    style = cells[0][1].decode()
    block = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{col}{r}" s="{style}"/>' for col in letters) + "</row>"
        for r in range(last + 1, rows + 1)
    ).encode()
    xml = re.sub(rb'<dimension ref="([A-Z]+)1:[A-Z]+\d+"/>', lambda m: b'<dimension ref="A1:%s%d"/>'
                 % (letters[-1].encode(), rows), xml, count=1)
    return xml.replace(b"</sheetData>", block + b"</sheetData>", 1)
