"""The orchestrator: which period a run compiles, when the targets can be assessed, what each step reads and
how a failed step is named (the rules that need all eight communes run whole in tests/e2e/test_run_period.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers import docx_text, drop, workspace_at

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


# --- Refused inbox folders stop the run ---------------------------------------------------------------------

TAN_SON = ROOT / "samples" / "2023-6T" / "22810_tan_son.xlsx"
LAM_SON = ROOT / "samples" / "2023-6T" / "22813_lam_son.xlsx"
UNIT_CODES = ["22810", "22813", "22816", "22819", "22822", "22825", "22828", "22831"]


def tree(folder: Path) -> dict[str, bytes | str]:
    """Every file of ``folder`` by relative path with its bytes (a link: its target), links not followed."""
    out: dict[str, bytes | str] = {}
    for top, dirs, files in os.walk(folder):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(top, d))]:
            path = Path(top) / name
            out[str(path.relative_to(folder))] = os.readlink(path) if path.is_symlink() else path.read_bytes()
    return out


@pytest.mark.parametrize("linked", ["inbox/2023-6T", "inbox"])
def test_a_linked_inbox_folder_stops_the_run(config, tmp_path, linked):
    """A drop folder or inbox root that is a link to elsewhere fails gather with a message naming the folder,
    its target and the fix: nothing is registered or aggregated, and the report published before stays."""
    from pipeline.ledger.store import open_ledger
    from pipeline.orchestrator import StepFailed, run_period

    period = config.period("2023-6T")
    root = tmp_path / "data"
    drop([TAN_SON], root / "inbox" / "2023-6T")
    earlier = run_period(period, config=config, workspace=workspace_at(root))
    assert earlier == str(root / "reports" / "2023" / "6T" / "v1" / "bao-cao-2023-6T.docx")
    reports, aggregates = tree(root / "reports"), (root / "work" / "2023-6T" / "aggregates.json").read_bytes()
    shutil.rmtree(root / "inbox")
    share = tmp_path / "share"
    drop([TAN_SON, LAM_SON], share / "2023-6T")  # Lâm Sơn's file is there, but never read
    target = share if linked == "inbox" else share / "2023-6T"
    if linked == "inbox/2023-6T":
        (root / "inbox").mkdir()
    os.symlink(target, root / linked)
    with pytest.raises(StepFailed) as failed:
        run_period(period, config=config, workspace=workspace_at(root))
    where = os.path.realpath(target)
    assert (failed.value.step, failed.value.file) == ("gather", None)
    assert str(failed.value) == (
        f"Kỳ 2023-6T: bước gather (tiếp nhận lần cuối) thất bại: Thư mục tiếp nhận {linked} là liên kết (symbolic "
        f"link) trỏ tới {where}, không phải thư mục thật: hệ thống không quét tệp nào trong đó. Cách khắc phục: thay "
        "liên kết bằng một thư mục thật rồi chép các tệp báo cáo vào; nếu đó là thư mục dùng chung được gắn (mount) "
        f"có chủ đích, ghi {where} vào intake.allowed_inbox_links trong tệp cấu hình. Báo cáo chưa được lập hay "
        "công bố lại; báo cáo đã công bố trước đó (nếu có) giữ nguyên.")
    assert tree(root / "reports") == reports
    assert (root / "work" / "2023-6T" / "aggregates.json").read_bytes() == aggregates
    versions = open_ledger(workspace_at(root)).versions("2023-6T")
    assert [(v.unit_code, v.version) for v in versions] == [("22810", 1)]


def test_a_drop_folder_that_is_a_file_stops_gather(config, tmp_path):
    """An inbox/<period> that is a file, not a folder, fails gather with a message saying how to fix it."""
    from pipeline.orchestrator import StepFailed, gather

    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "2023-6T").write_bytes(b"")
    with pytest.raises(StepFailed) as failed:
        gather(config.period("2023-6T"), config=config, now=dt.datetime(2023, 5, 5, tzinfo=HCM),
               workspace=workspace_at(tmp_path))
    assert failed.value.step == "gather"
    assert str(failed.value).startswith(
        "Kỳ 2023-6T: bước gather (tiếp nhận lần cuối) thất bại: inbox/2023-6T không phải thư mục (là một tệp hoặc mục "
        "đặc biệt): hệ thống không quét được. Cách khắc phục: đổi tên hoặc chuyển mục đó đi, tạo thư mục "
        "inbox/2023-6T thật rồi chép các tệp báo cáo vào. Báo cáo chưa được lập")
    assert not (tmp_path / "reports").exists()


def test_an_inbox_link_allowed_in_configuration_is_followed(tmp_path):
    """With the share's path in intake.allowed_inbox_links, an inbox root linked to it is walked: its file is
    taken in and the report made from it."""
    from pipeline.ledger.store import open_ledger
    from pipeline.orchestrator import run_period
    from pipeline.paths import version_aggregates_path

    share = tmp_path / "share"
    drop([TAN_SON], share / "2023-6T")
    root = tmp_path / "data"
    root.mkdir()
    os.symlink(share, root / "inbox")
    allowed = config_with(tmp_path, lambda raw: raw["intake"].update(allowed_inbox_links=[str(share)]))
    assert allowed.intake["allowed_inbox_links"] == [str(share)]
    period = allowed.period("2023-6T")
    report = Path(run_period(period, config=allowed, workspace=workspace_at(root)))
    assert report == root / "reports" / "2023" / "6T" / "v1" / "bao-cao-2023-6T.docx"
    versions = open_ledger(workspace_at(root)).versions("2023-6T")
    assert [(v.original_name, v.unit_code, v.version, v.status) for v in versions] == [
        ("22810_tan_son.xlsx", "22810", 1, "valid")]
    coverage = json.loads(version_aggregates_path(period, 1, root).read_text(encoding="utf-8"))["coverage"]
    assert coverage["covered"] == ["22810"]
    assert [u["unit_code"] for u in coverage["left_out"]] == UNIT_CODES[1:]
    assert "Tân Sơn" in docx_text(report)


def test_a_period_folder_not_yet_made_is_no_refusal(config, tmp_path):
    """No inbox/<period>/ at all (nothing received yet) is not a refusal: the report is published with every
    unit not received."""
    from pipeline.orchestrator import run_period
    from pipeline.paths import version_aggregates_path

    (tmp_path / "inbox").mkdir()
    period = config.period("2023-6T")
    report = Path(run_period(period, config=config, workspace=workspace_at(tmp_path)))
    assert report == tmp_path / "reports" / "2023" / "6T" / "v1" / "bao-cao-2023-6T.docx"
    coverage = json.loads(version_aggregates_path(period, 1, tmp_path).read_text(encoding="utf-8"))["coverage"]
    assert coverage["covered"] == []
    assert [(u["unit_code"], u["status"]) for u in coverage["left_out"]] == [(c, "missing") for c in UNIT_CODES]
