"""The status codes and their words (pipeline.status)."""

from __future__ import annotations

import json
import unicodedata

from pipeline.status import (
    SYSTEM_ERROR_TITLE,
    UNIT_LABELS,
    UNIT_LINE_LABELS,
    VERSION_LABELS,
    UnitStatus,
    VersionStatus,
    left_out,
)


def test_every_status_has_its_words_in_nfc():
    """Each unit and version status has a label; every label is Vietnamese in NFC; the system error's names the
    staff by the setup's word (``{staff}``, filled by Config.fill)."""
    assert set(UNIT_LABELS) == set(UnitStatus) == set(UNIT_LINE_LABELS)
    assert set(VERSION_LABELS) == set(VersionStatus)
    for text in [*UNIT_LABELS.values(), *UNIT_LINE_LABELS.values(), *VERSION_LABELS.values()]:
        assert text == unicodedata.normalize("NFC", text)
    assert UNIT_LABELS[UnitStatus.ERROR] == SYSTEM_ERROR_TITLE == "Lỗi hệ thống — {staff} đã được báo"


def test_codes_are_their_text():
    """A status is written and read back as its plain code: JSON, comparison with the text."""
    assert json.dumps({"status": UnitStatus.VALID}) == '{"status": "valid"}'
    assert UnitStatus("locked") is UnitStatus.LOCKED and VersionStatus.PENDING == "pending"
    assert [s for s in VersionStatus if s.checked] == [VersionStatus.VALID, VersionStatus.INVALID]


def test_left_out_rule():
    """Totals leave out every unit without a valid version, except a requested unit that sent nothing."""
    assert not left_out(UnitStatus.VALID, True)
    assert left_out(UnitStatus.MISSING, True) and not left_out(UnitStatus.MISSING, False)
    for status in (UnitStatus.INVALID, UnitStatus.ERROR, UnitStatus.LOCKED):
        assert left_out(status, True) and left_out(status, False)
