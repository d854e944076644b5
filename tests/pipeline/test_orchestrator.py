"""The periodic report's rules of completeness: which period a run compiles, when the targets can be assessed,
units the plan only asks to report, and versions that could not be validated."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers import docx_tables, docx_text, drop, find_row, set_narrative, workspace_at

ROOT = Path(__file__).resolve().parents[2]
HCM = dt.timezone(dt.timedelta(hours=7))
SAMPLES = sorted((ROOT / "samples" / "2023-6T").glob("*.xlsx"))


OPENED: list[str] | None = None
"""Paths opened while a test listens (:func:`_record_open`); None: not listening."""


def _record_open(event: str, args: tuple) -> None:
    """Audit hook (never removed once added): records the path of each ``open`` event while OPENED is a list."""
    if OPENED is not None and event == "open" and args and isinstance(args[0], str | bytes | os.PathLike):
        OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_record_open)


def config_with(tmp_path: Path, edit) -> object:
    """The project's configuration with ``edit(raw_yaml_dict)`` applied, loaded from a temporary file
    (without intake's stability wait, as the session's ``config`` fixture)."""
    from pipeline.config import load_config

    raw = yaml.safe_load((ROOT / "config" / "ninh_son.yaml").read_text(encoding="utf-8"))
    edit(raw)
    raw["validation"]["intake_stable_seconds"] = 0  # as the session's `config` fixture: files are complete
    path = tmp_path / "cau-hinh.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_config(path)


def test_resolve_period(config):
    """Empty: the latest due period with units — 2024-6T at 00:00 of 05/5/2024; on 29/11/2026 (the communes
    end on 30/06/2025) 2025-6T, not 2026-CN. A requested period without units is refused in Vietnamese."""
    from pipeline.config import ConfigError
    from pipeline.orchestrator import resolve_period

    assert resolve_period(config, "", dt.datetime(2024, 5, 5, tzinfo=HCM)).code == "2024-6T"
    assert resolve_period(config, None, dt.datetime(2026, 11, 29, 9, tzinfo=HCM)).code == "2025-6T"
    assert resolve_period(config, " 2023-9T ", dt.datetime(2026, 11, 29, tzinfo=HCM)).code == "2023-9T"
    with pytest.raises(ConfigError, match="Kỳ 2025-9T không có đơn vị báo cáo nào trong cấu hình"):
        resolve_period(config, "2025-9T", dt.datetime(2026, 11, 29, tzinfo=HCM))
    # a mistyped year before the plan's: refused, never a report "of 2019" citing the 2023 plan
    for code in ("2019-6T", "2022-CN"):
        with pytest.raises(ConfigError) as refused:
            resolve_period(config, code, dt.datetime(2026, 11, 29, tzinfo=HCM))
        assert str(refused.value).startswith(f"Kỳ {code} có trước năm 2023 của kế hoạch mà báo cáo này phục vụ "
                                             "(UBND huyện Ninh Sơn, năm 2023): không lập báo cáo.")


def test_no_configured_unit_at_all(tmp_path, config):
    """A configuration whose units all ended long ago (one with no unit at all is refused at load): the empty
    Param gets a clear message; aggregation of no unit gives zeros and targets that cannot be assessed (no
    KeyError on an empty unit table)."""
    from pipeline.aggregate.tables import aggregate
    from pipeline.config import ConfigError
    from pipeline.orchestrator import resolve_period

    empty = config_with(tmp_path, lambda raw: raw.update(
        units=[dict(u, valid_from=dt.date(1990, 1, 1), valid_to=dt.date(1990, 12, 31)) for u in raw["units"]]))
    with pytest.raises(ConfigError, match="Không có kỳ báo cáo nào đã đến hạn .* có đơn vị báo cáo"):
        resolve_period(empty, "", dt.datetime(2026, 11, 29, tzinfo=HCM))
    agg = aggregate([], config=config, period=config.period("2023-6T"))
    assert agg["units"] == [] and agg["submissions"] == [] and agg["lacking"] == []
    assert agg["district"]["poor_households_current"] == 0
    assert agg["assessable"] is False and [t["met"] for t in agg["targets"]] == [None, None, None]


@pytest.mark.slow
def test_requested_unit_never_counts_missing(tmp_path):
    """A unit the plan only asks to report (required: false) sends nothing: the 8 communes' report is complete
    ("Toàn huyện", 8/8 received), the targets are assessed as for the plan, and the unit reads "Chưa gửi"."""
    from pipeline.__main__ import unit_line
    from pipeline.orchestrator import run_period

    def add_front(raw):
        raw["units"].append({"code": "22899", "name": "Mặt trận Tổ quốc huyện", "kind": "Ủy ban", "area": "urban",
                             "valid_from": "2004-01-01", "valid_to": "2025-06-30", "required": False})

    config = config_with(tmp_path, add_front)
    assert config.unit("22899").required is False and config.unit("22810").required is True
    drop(SAMPLES, tmp_path / "inbox" / "2023-6T")
    report = Path(run_period(config.period("2023-6T"), config=config, workspace=workspace_at(tmp_path)))
    agg = json.loads((tmp_path / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    assert agg["lacking"] == [] and agg["assessable"] is True
    assert [(t["code"], t["value"], t["met"]) for t in agg["targets"]] == [
        ("no_ncc_poor", 2, False), ("no_fallback", 0, True), ("access", 4, False)]
    front = agg["submissions"][-1]
    assert (front["unit_code"], front["status"], front["required"]) == ("22899", "missing", False)
    assert unit_line(front) == ("Ủy ban Mặt trận Tổ quốc huyện (22899): chưa gửi — đơn vị được đề nghị báo cáo, "
                                "không tính là thiếu")
    tables = docx_tables(report)
    targets = next(t for t in tables if any("Mục tiêu" in c for c in t[0]))
    assert [row[3] for row in targets[1:]] == [
        "Chưa đạt: còn 2 hộ, tiếp tục hỗ trợ để thoát nghèo trước 31/12/2023", "Đạt",
        "Chưa đạt: còn thiếu hụt giáo dục, nhà ở, nước sinh hoạt và vệ sinh, thông tin"]
    assert targets[1][2] == "Còn 2 hộ nghèo có người có công"
    units = next(t for t in tables if any("Toàn huyện" in r for r in t))
    assert find_row(units, "Ủy ban Mặt trận Tổ quốc huyện")[-1] == (
        "Chưa gửi (đơn vị được đề nghị báo cáo, không bắt buộc)")
    # dropped today, long after the deadline: received, late
    assert "Đã nhận 8/8 báo cáo (0 đúng hạn); 8 báo cáo hợp lệ." in docx_text(report)


@pytest.mark.slow
def test_versions_that_could_not_be_validated(tmp_path, config, monkeypatch):
    """Validation crashes on a unit's only version: the unit is a system error, not invalid, and the targets
    wait for it. Later a newer version of Ma Nới crashes: the report uses version 1 and names version 2 as
    not validated beside the unit, as it does for a newer version that failed."""
    import pipeline.validate.rules
    from pipeline.__main__ import unit_line
    from pipeline.orchestrator import run_period

    real = pipeline.validate.rules.validate_submission
    crash_on = {"22831_nhon_son.xlsx"}

    def crashing(path, **kwargs):
        if kwargs.get("file_name") in crash_on:
            raise MemoryError("validation ran out of memory")
        return real(path, **kwargs)

    monkeypatch.setattr(pipeline.validate.rules, "validate_submission", crashing)
    inbox = tmp_path / "inbox" / "2023-6T"
    drop(SAMPLES, inbox)
    period = config.period("2023-6T")
    report = Path(run_period(period, config=config, workspace=workspace_at(tmp_path)))
    agg = json.loads((tmp_path / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    nhon_son = next(s for s in agg["submissions"] if s["unit_code"] == "22831")
    assert (nhon_son["status"], nhon_son["version"], nhon_son["errors"]) == ("error", 1, 1)
    assert unit_line(nhon_son) == "Xã Nhơn Sơn (22831): lỗi hệ thống — phiên bản 1 chưa kiểm tra được, trễ hạn"
    assert agg["lacking"] == ["xã Nhơn Sơn"]
    targets = next(t for t in docx_tables(report) if any("Mục tiêu" in c for c in t[0]))
    assert targets[1][3] == "Chưa đủ số liệu để đánh giá (chưa có báo cáo hợp lệ của: xã Nhơn Sơn)"
    assert targets[1][2] == "Còn 2 hộ nghèo có người có công (tính trên 7 đơn vị có báo cáo hợp lệ)"
    assert "chưa kiểm tra được (lỗi hệ thống): xã Nhơn Sơn." in docx_text(report)

    crash_on.clear()
    crash_on.add("22828_ma_noi_sua.xlsx")
    newer = drop([inbox / "22828_ma_noi.xlsx"], tmp_path / "moi")[0]
    set_narrative(newer, "results", "Bản sửa: bổ sung kết quả hỗ trợ.")
    newer.rename(inbox / "22828_ma_noi_sua.xlsx")
    report = Path(run_period(period, config=config, workspace=workspace_at(tmp_path)))
    agg = json.loads((tmp_path / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    ma_noi = next(s for s in agg["submissions"] if s["unit_code"] == "22828")
    assert (ma_noi["status"], ma_noi["version"], ma_noi["newer_failed"]) == ("valid", 1, {"version": 2, "errors": None})
    assert unit_line(ma_noi) == ("Xã Ma Nới (22828): hợp lệ — phiên bản 1: 0 lỗi, 0 cảnh báo, trễ hạn; phiên bản 2 "
                                 "gửi sau chưa kiểm tra được (lỗi hệ thống), báo cáo chưa dùng")
    assert agg["assessable"] is True  # Nhơn Sơn validated this time
    status = next(t for t in docx_tables(report) if any("Kết quả kiểm tra" in r for r in t))
    assert find_row(status, "Xã Ma Nới")[2:] == ["Đã nhận", "Trễ hạn", "Hợp lệ"]
    sources = next(t for t in docx_tables(report) if any("Mã SHA-256" in r for r in t))
    assert find_row(sources, "Xã Ma Nới")[7] == (
        "0 lỗi, 0 cảnh báo; phiên bản 2 gửi sau chưa kiểm tra được (lỗi hệ thống), chưa dùng")
    units = next(t for t in docx_tables(report) if any("Toàn huyện" in r for r in t))
    assert find_row(units, "Xã Ma Nới")[-1] == "Hợp lệ"

    # the archived copy of a valid version is damaged: its staged frames still give the same report; once
    # they are gone too, aggregate fails naming the file and nothing is published
    import shutil

    from pipeline.ledger.store import open_ledger
    from pipeline.orchestrator import StepFailed
    from pipeline.read.staging import frames_dir

    lam_son = open_ledger(workspace_at(tmp_path)).versions("2023-6T", "22813")[0]
    Path(lam_son.archive_path).chmod(0o600)
    Path(lam_son.archive_path).write_bytes(b"PK\x03\x04 damaged")
    text = docx_text(report)
    assert docx_text(Path(run_period(period, config=config, workspace=workspace_at(tmp_path)))) == text
    published = [report, tmp_path / "work" / "2023-6T" / "aggregates.json"]
    before = [p.read_bytes() for p in published]
    shutil.rmtree(frames_dir(period, lam_son.sha256, tmp_path))
    with pytest.raises(StepFailed) as failed:
        run_period(period, config=config, workspace=workspace_at(tmp_path))
    assert failed.value.step == "aggregate"
    assert str(failed.value).startswith(
        f"Kỳ 2023-6T: bước aggregate (tổng hợp số liệu) thất bại, tệp 22813_lam_son.xlsx (phiên bản 1 của xã Lâm "
        f"Sơn, lưu trữ {lam_son.sha256}.xlsx): ")
    assert [p.read_bytes() for p in published] == before


def test_outputs_after_validation_never_open_a_workbook(plan_root, config):
    """On a gathered and validated period, the status page, the Data Docs and the report are made without
    opening any archived workbook (Python's audit hook sees every open), the report opening nothing in work/
    but aggregates.json (no findings, no results; with nothing new, the published version is re-used: its
    manifest, the index and the versions lock are all it opens); a deliberate read of an archived
    file in the same window is seen. The report takes under 2 s of CPU and the Data Docs of the 8 units
    under 5 s."""
    global OPENED
    from pipeline.ledger.store import open_ledger
    from pipeline.orchestrator import data_docs_period, render_period, status_page_period

    period = config.period("2023-6T")
    archived = Path(open_ledger(workspace_at(plan_root)).versions(period.code)[0].archive_path)
    now = dt.datetime(2023, 5, 5, 8, 0, tzinfo=HCM)
    steps = {
        "status_page": lambda: status_page_period(period, config=config, now=now, workspace=workspace_at(plan_root)),
        "data_docs": lambda: data_docs_period(period, config=config, workspace=workspace_at(plan_root)),
        "render": lambda: render_period(period, config=config, workspace=workspace_at(plan_root)),
        "control": archived.read_bytes,
    }
    opened: dict[str, list[Path]] = {}
    cpu: dict[str, float] = {}
    returned = {}
    OPENED = []
    try:
        for name, step in steps.items():
            before, start = len(OPENED), time.process_time()
            returned[name] = step()
            cpu[name] = time.process_time() - start
            opened[name] = [Path(p).resolve() for p in OPENED[before:]]
    finally:
        OPENED = None

    def under(folder: Path) -> dict[str, list[str]]:
        return {name: sorted({str(p.relative_to(folder)) for p in paths if p.is_relative_to(folder)})
                for name, paths in opened.items()}

    archive = (plan_root / "archive").resolve()
    assert under(archive) == {"status_page": [], "data_docs": [], "render": [],
                              "control": [str(archived.relative_to(archive))]}
    # the report: from aggregates.json; the inputs unchanged since the plan run, version 1 is re-used (its
    # manifest read, nothing staged); no findings or results
    assert under((plan_root / "work").resolve())["render"] == ["2023-6T/aggregates.json"]
    folder = plan_root / "reports" / "2023" / "6T"
    assert under(folder.resolve())["render"] == [".versions.lock", "v1/phien-ban.json", "versions.json"]
    assert [returned[n] for n in ("status_page", "data_docs", "render")] == [
        str(folder / "trang-thai-2023-6T.html"), str(folder / "data-docs" / "index.html"),
        str(folder / "v1" / "bao-cao-2023-6T.docx")]
    assert "05/05/2023 08:00" in (folder / "trang-thai-2023-6T.html").read_text(encoding="utf-8")
    assert cpu["render"] < 2 and cpu["data_docs"] < 5, cpu


def test_a_failed_status_page_or_data_docs_does_not_stop_the_report(config, tmp_path, monkeypatch, caplog):
    """As in the DAG (both are their own tasks): the status page and the Data Docs failing are logged with
    the step's name, and the report is still made from the aggregates."""
    import logging

    import pipeline.orchestrator
    from pipeline.orchestrator import run_period
    from pipeline.paths import data_docs_dir, status_page_path

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline.orchestrator, "write_status_page", broken)
    monkeypatch.setattr(pipeline.orchestrator, "build_data_docs", broken)
    drop([s for s in SAMPLES if s.name.startswith("22810")], tmp_path / "inbox" / "2023-6T")
    period = config.period("2023-6T")
    caplog.set_level(logging.ERROR)
    report = Path(run_period(period, config=config, workspace=workspace_at(tmp_path)))
    assert report.exists() and "Tân Sơn" in docx_text(report)
    assert not status_page_path(period, tmp_path).exists() and not data_docs_dir(period, tmp_path).exists()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(m.startswith("Kỳ 2023-6T: bước status_page (") and "OSError" in m for m in errors), errors
    assert any(m.startswith("Kỳ 2023-6T: bước data_docs (") and "OSError" in m for m in errors), errors
