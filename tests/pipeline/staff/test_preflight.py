"""The preflight of a period's report: required units and offices without a valid workbook, configuration facts not
set, and the report's own number and date listed apart as filled at issuance."""

from __future__ import annotations

import dataclasses
import datetime as dt

from pipeline.ledger.store import Ledger
from pipeline.staff.preflight import AT_ISSUANCE, CONFIG, UNIT, preflight, preflight_of_aggregates, summary_line

RECEIVED = dt.datetime(2023, 4, 20, 9, 0, tzinfo=dt.UTC)


def _ledger(tmp_path, verdicts: dict[str, tuple[str, int]]) -> Ledger:
    led = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    for unit, (status, errors) in verdicts.items():
        v = led.register(period="2023-6T", unit_code=unit, original_name=f"{unit}.xlsx", sha256=unit.ljust(64, "0"),
                         size_bytes=1, found_at=RECEIVED, file_mtime=RECEIVED, on_time=True,
                         archive_path=f"/archive/{unit}.xlsx")
        findings = tmp_path / f"{unit}.json"  # a checked version has its findings file
        findings.write_text("{}", encoding="utf-8")
        led.record_validation(v.id, status=status, errors=errors, warnings=0, findings_path=str(findings),
                              fingerprint="f", validated_at=RECEIVED)
    return led


def _filled(config):
    """The shipped setup with the plan's number and day and the signer's name set."""
    plan = {**config.plan, "number": "52", "date": "2023-03-14"}
    document = {**config.document, "signer_name": "Nguyễn Văn Minh"}
    return dataclasses.replace(config, plan=plan, document=document)


def test_units_and_offices_lacking_then_the_configuration(config, tmp_path):
    """Every commune valid but Lâm Sơn (2 errors); of the offices only Labour and the bank sent a valid workbook: Lâm
    Sơn, then the three required offices without one (never the Front, only requested), then the plan's number, its
    day and the signer's name, then the report's number and date, filled at issuance."""
    communes = {c: ("valid", 0) for c in ("22810", "22816", "22819", "22822", "22825", "22828", "22831")}
    ledger = _ledger(tmp_path, {**communes, "22813": ("invalid", 2), "LDTB": ("valid", 0), "NHCS": ("valid", 0)})
    items = preflight(config.period("2023-6T"), config=config, ledger=ledger)
    assert [i.kind for i in items] == [UNIT] * 4 + [CONFIG] * 3 + [AT_ISSUANCE] * 2
    assert items[0].text == "Xã Lâm Sơn (22813): chưa có báo cáo hợp lệ — phiên bản 1 không hợp lệ (2 lỗi)."
    assert [i.text.split(" (")[0] for i in items[1:4]] == [config.office(c).name for c in ("VHTT", "NN", "GDNN")]
    assert "plan.number" in items[4].text and "'2023-03'" in items[5].text and "signer_name" in items[6].text
    assert all("điền khi ban hành" in i.text for i in items[7:])
    assert summary_line(items) == ("Kiểm tra trước khi lập báo cáo: 4 đơn vị, cơ quan chưa có báo cáo hợp lệ; 3 thông "
                                   "tin cấu hình chưa ghi (python -m pipeline preflight).")


def test_nothing_left_but_what_is_filled_at_issuance(config, tmp_path):
    """With every required unit and office valid and the facts set, only the report's own number and date are left:
    no fault."""
    valid = {u.code: ("valid", 0) for u in config.reporting_units_on(config.period("2023-6T").cutoff) if u.required}
    items = preflight(config.period("2023-6T"), config=_filled(config), ledger=_ledger(tmp_path, valid))
    assert [i.kind for i in items] == [AT_ISSUANCE, AT_ISSUANCE]
    assert not any(i.fault for i in items)
    assert summary_line(items).startswith("Kiểm tra trước khi lập báo cáo: không có chỗ trống")


def test_the_same_items_from_the_aggregates(config):
    """The render step reads no ledger: the aggregates' units and offices give the same lines (a requested office
    that sent nothing is left out)."""
    agg = {"submissions": [
               {"unit_code": "22819", "unit_name": "xã Quảng Sơn", "required": True, "status": "missing"},
               {"unit_code": "22810", "unit_name": "thị trấn Tân Sơn", "required": True, "status": "valid"}],
           "offices": {"offices": [
               {"unit_code": "MTTQ", "unit_name": config.office("MTTQ").name, "required": False, "status": "missing"},
               {"unit_code": "NN", "unit_name": config.office("NN").name, "required": True, "status": "error",
                "version": 2}]}}
    items = preflight_of_aggregates(agg, config=_filled(config), period=config.period("2023-6T"))
    assert [i.text for i in items if i.kind == UNIT] == [
        "Xã Quảng Sơn (22819): chưa có báo cáo hợp lệ — chưa nhận được tệp nào.",
        f"{config.office('NN').name} (NN): chưa có báo cáo hợp lệ — tệp chưa kiểm tra được (lỗi hệ thống hoặc đang "
        "chờ kiểm tra)."]
    assert [i.kind for i in items if i.kind != UNIT] == [AT_ISSUANCE, AT_ISSUANCE]
