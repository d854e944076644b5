"""The unit of validation: a frame one expectation suite checks, with what maps it back to the workbook."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Frame:
    """A frame to validate (``name`` is its suite's, ``expectations/<name>.json``), with what maps its rows and
    columns back to the workbook: ``sheet`` as printed, ``headers`` (frame column → header or label as printed), and
    ``rows`` for one-row frames whose fields sit on different Excel rows (else each row's ``excel_row``)."""

    name: str
    data: pd.DataFrame
    sheet: str
    headers: dict[str, str]
    rows: dict[str, int] | None = None
