"""A frame maps its findings back to the workbook: a one-row frame by its fields' own rows, a table by each row's
``excel_row``."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.validate.frame import Frame
from pipeline.validate.rules import check_frames, findings_of


def test_a_one_row_frame_places_each_finding_on_its_fields_row(config):
    """The offices' general sheet: a blank office name is found on row 5, where "Tên cơ quan" is, not on row 4."""
    data = pd.DataFrame([{"office_code": "VHTT", "office_name": None, "period": "2023-6T", "preparer": "An",
                          "phone": None, "prepared_on": dt.date(2023, 5, 2), "office_active": True, "office_detail": "",
                          "period_detail": ""}], dtype="object").astype({"office_active": bool})
    frame = Frame("office_general", data, "Thông tin cơ quan", {"office_name": "Tên cơ quan"},
                  rows={"office_code": 4, "office_name": 5})
    findings = findings_of(check_frames([frame], {"unit_codes": [], "periods": ["2023-6T"]}))
    assert [(f.sheet, f.row, f.column) for f in findings] == [("Thông tin cơ quan", 5, "Tên cơ quan")]
