"""Versioned reports: new valid data makes v2 beside v1, the same inputs re-use the latest version, and the
same inputs and history give byte-identical reports in a fresh data root."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import stat
import time
import zipfile
from pathlib import Path

import pytest

from tests.helpers import (
    docx_tables,
    docx_text,
    edit_roster,
    edit_summary,
    find_row,
    roster_rows,
    summary_cells,
    workspace_at,
)

ROOT = Path(__file__).resolve().parents[3]
# two units are enough for versions: Ma Nới (whose correction makes v2) and Hòa Sơn (unchanged)
SAMPLES = [ROOT / "samples" / "2023-6T" / name for name in ("22825_hoa_son.xlsx", "22828_ma_noi.xlsx")]
HCM = dt.timezone(dt.timedelta(hours=7))
FIRST_RECEIPT = dt.datetime(2023, 5, 3, 9, 0, tzinfo=HCM)
LATE_RECEIPT = dt.datetime(2023, 5, 10, 14, 30, tzinfo=HCM)
CHANGES = "Những thay đổi so với phiên bản trước"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def corrected_ma_noi(folder: Path) -> tuple[Path, int]:
    """Ma Nới's workbook corrected as its clerk would: one NCC household escaped poverty (with its decision),
    the summary sheet updated to match. Returns the file and the household's members."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "22828_ma_noi_bo_sung.xlsx"
    shutil.copyfile(ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx", path)
    household = next(r for r in roster_rows(path) if r["status_current"] == "Nghèo")
    members = household["members_count"]
    edit_roster(path, household["household_code"], status_current="Cận nghèo", change_kind="Thoát nghèo",
                decision_number="45/QĐ-UBND", decision_date="20/04/2023")
    s = summary_cells(path)
    for key, delta in (("poor_households", -1), ("poor_persons", -members), ("near_poor_households", 1),
                       ("near_poor_persons", members), ("ncc_poor_households", -1),
                       ("ncc_poor_persons", -members), ("ncc_near_poor_households", 1),
                       ("ncc_near_poor_persons", members)):
        edit_summary(path, key, current=int(s[key][1]) + delta)
    return path, members


def receive(root: Path, config, files: list[Path], at: dt.datetime) -> None:
    from pipeline.intake.receive import receive_file
    from pipeline.ledger.store import open_ledger

    ledger = open_ledger(workspace_at(root))
    for f in files:
        receive_file(f, config.period("2023-6T"), config=config, ledger=ledger, received_at=at,
                     received_by="Cán bộ tiếp nhận", note="nhận qua thư điện tử", now=at + dt.timedelta(hours=1),
                     root=root)


def run(root: Path, config, now: dt.datetime) -> Path:
    from pipeline.orchestrator import run_period

    return Path(run_period(config.period("2023-6T"), config=config, now=now, workspace=workspace_at(root)))


def make_history(root: Path, config, corrected: Path) -> dict[str, object]:
    """v1 from the two units' samples received on 03/05/2023, a rerun with nothing new, then Ma Nới's corrected
    workbook received late on 10/05/2023 and v2."""
    receive(root, config, SAMPLES, FIRST_RECEIPT)
    v1 = run(root, config, FIRST_RECEIPT + dt.timedelta(days=2))
    v1_sha = sha256(v1)
    again = run(root, config, FIRST_RECEIPT + dt.timedelta(days=3))
    from pipeline.publish.versions import version_numbers

    after_rerun = version_numbers(config.period("2023-6T"), root)
    receive(root, config, [corrected], LATE_RECEIPT)
    v2 = run(root, config, LATE_RECEIPT + dt.timedelta(hours=2))
    return {"v1": v1, "v1_sha": v1_sha, "again": again, "after_rerun": after_rerun, "v2": v2}


@pytest.fixture(scope="module")
def history(tmp_path_factory, config):
    base = tmp_path_factory.mktemp("versions")
    corrected, members = corrected_ma_noi(base / "received")
    root = base / "data"
    out = make_history(root, config, corrected)
    return {**out, "root": root, "members": members, "corrected": corrected}


def test_same_inputs_reuse_the_latest_version(history):
    """Rendering v1's inputs again makes no v2: the same path, the same bytes, one version folder."""
    folder = history["root"] / "reports" / "2023" / "6T"
    assert history["v1"] == folder / "v1" / "bao-cao-2023-6T.docx"
    assert history["again"] == history["v1"]
    assert history["after_rerun"] == [1]


def test_late_valid_submission_makes_v2_beside_v1(history):
    """v2 sits beside v1, which keeps its bytes; the index and the hien-hanh link name v2."""
    root = history["root"]
    folder = root / "reports" / "2023" / "6T"
    assert history["v2"] == folder / "v2" / "bao-cao-2023-6T.docx"
    assert sha256(history["v1"]) == history["v1_sha"]
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "data-docs", "hien-hanh", "trang-thai-2023-6T.html", "v1", "v2", "versions.json"]
    assert os.readlink(folder / "hien-hanh") == "v2"
    index = json.loads((folder / "versions.json").read_text(encoding="utf-8"))
    assert index["latest"] == 2 and index["current"] == "v2"
    assert [(v["number"], v["created_from"], v["report"]) for v in index["versions"]] == [
        (1, None, "v1/bao-cao-2023-6T.docx"), (2, 1, "v2/bao-cao-2023-6T.docx")]
    assert index["versions"][0]["report_sha256"] == history["v1_sha"]
    assert index["versions"][1]["report_sha256"] == sha256(history["v2"])
    ma_noi = [(i["unit_code"], i["version"], i["sha256"]) for v in index["versions"] for i in v["inputs"]
              if i["unit_code"] == "22828"]
    assert ma_noi == [("22828", 1, sha256(ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx")),
                      ("22828", 2, sha256(history["corrected"]))]
    assert index["versions"][0]["fingerprint"] != index["versions"][1]["fingerprint"]
    # each version keeps the aggregates it was rendered from, owner-only, like the report
    for n in (1, 2):
        for name in ("bao-cao-2023-6T.docx", "tong-hop-2023-6T.json"):
            assert stat.S_IMODE((folder / f"v{n}" / name).stat().st_mode) == 0o600, (n, name)
        assert stat.S_IMODE((folder / f"v{n}").stat().st_mode) == 0o700
    agg1 = json.loads((folder / "v1" / "tong-hop-2023-6T.json").read_text(encoding="utf-8"))
    agg2 = json.loads((folder / "v2" / "tong-hop-2023-6T.json").read_text(encoding="utf-8"))
    assert (agg1["district"]["poor_households_current"], agg2["district"]["poor_households_current"]) == (366, 365)
    assert json.loads((root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8")) == agg2


def test_v2_names_the_unit_and_the_figures_that_changed(history):
    """v2's section "Những thay đổi so với phiên bản trước" names Ma Nới's new version and lists each figure
    that changed, district-wide and for Ma Nới, old → new; v1 has no such section."""
    members = history["members"]
    assert CHANGES not in docx_text(history["v1"])
    text = docx_text(history["v2"])
    lines = text.splitlines()
    start = lines.index(CHANGES)
    assert lines[start + 1:start + 4] == [
        "Báo cáo này là phiên bản 2, thay thế phiên bản 1 của báo cáo kỳ 6 tháng đầu năm 2023.",
        "Đơn vị có số liệu thay đổi:",
        "- Xã Ma Nới: phiên bản 1 (hợp lệ) → phiên bản 2 nhận lúc 10/05/2023 14:30 (hợp lệ).",
    ]
    assert lines.index(CHANGES) < lines.index(
        "I. TÌNH HÌNH HỘ NGHÈO, HỘ CẬN NGHÈO VÀ HỘ CÓ THÀNH VIÊN LÀ NGƯỜI CÓ CÔNG")
    assert members == 6  # the household that escaped poverty (first poor NCC household of Ma Nới's roster)
    assert lines[start + 4:start + 7] == [
        "Số liệu thay đổi (phiên bản 1 → phiên bản 2):",
        # Hòa Sơn (109 poor of 351 persons, 87 near-poor of 311, 0 poor NCC, 3 near-poor NCC of 13) + Ma Nới;
        # six units sent nothing, so the sum is not called the district's
        "- Cộng các đơn vị hợp lệ: số hộ nghèo 366 → 365; số nhân khẩu hộ nghèo 1.354 → 1.348; số hộ cận nghèo 234 → "
        "235; số nhân khẩu hộ cận nghèo 765 → 771; số hộ nghèo có người có công 2 → 1; số nhân khẩu hộ "
        "nghèo có người có công 11 → 5; số hộ cận nghèo có người có công 7 → 8; số nhân khẩu hộ cận nghèo có "
        "người có công 29 → 35.",
        "- Xã Ma Nới: số hộ nghèo 257 → 256; số nhân khẩu hộ nghèo 1.003 → 997; số hộ cận nghèo 147 → 148; số "
        "nhân khẩu hộ cận nghèo 454 → 460; số hộ nghèo có người có công 2 → 1; số nhân khẩu hộ nghèo có người "
        "có công 11 → 5; số hộ cận nghèo có người có công 4 → 5; số nhân khẩu hộ cận nghèo có người có công "
        "16 → 22.",
    ]
    # the section adds no table: the report's tables keep their ranks
    assert len(docx_tables(history["v2"])) == len(docx_tables(history["v1"]))
    # the report's own tables agree with the new figures
    by_unit = next(t for t in docx_tables(history["v2"]) if any("Cộng các đơn vị hợp lệ" in r for r in t[-2:]))
    assert find_row(by_unit, "Cộng các đơn vị hợp lệ")[3] == "365"


def test_same_inputs_in_a_fresh_root_give_byte_identical_versions(history, tmp_path, config):
    """The same files received at the same times, in a fresh data root, rendered another day: v1 and v2 have
    the same SHA-256 and the same fingerprints as the first root's."""
    root = tmp_path / "data"
    out = make_history(root, config, history["corrected"])
    assert out["after_rerun"] == [1]
    assert sha256(out["v1"]) == history["v1_sha"]
    assert sha256(out["v2"]) == sha256(history["v2"])
    manifests = [json.loads((r / "reports" / "2023" / "6T" / "v2" / "phien-ban.json").read_text(encoding="utf-8"))
                 for r in (root, history["root"])]
    assert manifests[0]["fingerprint"] == manifests[1]["fingerprint"]
    assert manifests[0]["created_from"] == manifests[1]["created_from"]


def test_rerun_after_v2_makes_no_v3(history, config):
    """Nothing new since v2: the run re-uses it."""
    from pipeline.publish.versions import latest_report, version_numbers

    period = config.period("2023-6T")
    before = sha256(history["v2"])
    assert run(history["root"], config, LATE_RECEIPT + dt.timedelta(days=1)) == history["v2"]
    assert version_numbers(period, history["root"]) == [1, 2]
    assert latest_report(period, history["root"]) == history["v2"]
    assert sha256(history["v2"]) == before


def test_rendering_is_normalised_and_adds_nothing_random(plan_root, config, tmp_path, monkeypatch):
    """The same context rendered at two different times gives the same bytes: every zip entry is stamped
    1980-01-01, [Content_Types].xml first then sorted; the rendered parts hold no rsid or uuid that the
    template does not (docxtpl and python-docx generate none)."""
    from pipeline.render.report import TEMPLATE, build_context, document_properties, render_docx

    period = config.period("2023-6T")
    agg = json.loads((plan_root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    context = build_context(agg, config=config, period=period)
    props = document_properties(agg, config=config, period=period)
    first = render_docx(context, tmp_path / "a.docx", properties=props)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 3 * 86400 + 7)  # another day, another second
    second = render_docx(build_context(agg, config=config, period=period), tmp_path / "b.docx",
                         properties=document_properties(agg, config=config, period=period))
    monkeypatch.undo()
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as z:
        infos = z.infolist()
        names = [i.filename for i in infos]
        parts = {n: z.read(n).decode("utf-8", "replace") for n in names if n.endswith((".xml", ".rels"))}
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert names[:2] == ["[Content_Types].xml", "_rels/.rels"] and names[2:] == sorted(names[2:])
    with zipfile.ZipFile(TEMPLATE) as z:
        template_xml = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                               if n.endswith((".xml", ".rels")))
    rendered = "".join(parts.values())
    rsid = re.compile(r'w:rsid\w*="([0-9A-Fa-f]{8})"')
    uuid = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
    assert set(rsid.findall(rendered)) <= set(rsid.findall(template_xml))
    assert set(uuid.findall(rendered)) <= set(uuid.findall(template_xml))
    # python-docx alone stamps the time of saving: without normalising, the bytes would follow the clock
    from docx import Document

    Document(str(first)).save(str(tmp_path / "raw.docx"))
    with zipfile.ZipFile(tmp_path / "raw.docx") as z:
        assert {i.date_time for i in z.infolist()} != {(1980, 1, 1, 0, 0, 0)}


def test_a_version_with_no_new_data_says_why(plan_root, config, tmp_path):
    """A configuration change alone makes a new version: its section says the units' data did not change and
    the configuration did, with no list of units or figures."""
    from pipeline.orchestrator import fingerprint_components
    from pipeline.render.changes import version_context
    from pipeline.render.report import build_context, render_docx

    period = config.period("2023-6T")
    agg = json.loads((plan_root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    components = fingerprint_components(agg, config=config, period=period)
    previous = {"number": 1, "components": {**components, "config_sha256": "0" * 64}}
    version = version_context(2, agg, components, config=config, previous=previous, previous_agg=agg)
    assert (version["data_changed"], version["config_changed"], version["template_changed"],
            version["code_changed"]) == (False, True, False, False)
    text = docx_text(render_docx(build_context(agg, config=config, period=period, version=version),
                                 tmp_path / "r.docx"))
    assert ("Số liệu của các đơn vị không thay đổi; phiên bản này lập lại do thay đổi cấu hình."
            in text.splitlines())
    assert "Đơn vị có số liệu thay đổi:" not in text and "Số liệu thay đổi (phiên bản" not in text


def test_a_version_made_by_another_ledgers_receipts_names_them_not_the_method(plan_root, config, tmp_path):
    """The year's receipts changed and nothing else (another ledger behind the root, say): the section names the
    receipts' timeliness, never "cách tổng hợp số liệu", a cause nobody checked."""
    from pipeline.orchestrator import fingerprint_components
    from pipeline.render.changes import version_context
    from pipeline.render.report import build_context, render_docx

    period = config.period("2023-6T")
    agg = json.loads((plan_root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
    components = fingerprint_components(agg, config=config, period=period)
    before = {**agg, "timeliness": {**agg["timeliness"], "note": "nửa số biên nhận"}}
    version = version_context(2, agg, components, config=config, previous={"number": 1, "components": components},
                              previous_agg=before)
    text = docx_text(render_docx(build_context(agg, config=config, period=period, version=version),
                                 tmp_path / "r.docx"))
    assert ("Số liệu của các đơn vị không thay đổi; phiên bản này lập lại do thay đổi tình hình nhận báo cáo đúng "
            "hạn, trễ hạn." in text.splitlines())
    assert "cách tổng hợp số liệu" not in text


def test_publish_is_all_or_nothing(config, tmp_path, monkeypatch):
    """A failure while the version's folder is being built leaves no v<N> and no build folder; a number
    already taken is refused and the version there is left as it was."""
    import pipeline.publish.versions as versions

    period = config.period("2023-6T")
    staged = tmp_path / "staged.docx"
    staged.write_bytes(b"PK report")
    annex = tmp_path / "annex.xlsx"
    annex.write_bytes(b"PK annex")
    agg = {"period": "2023-6T"}
    real_copy = versions._copy_synced
    calls = []

    def failing_copy(src, dst, mode):
        calls.append(dst.name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_copy(src, dst, mode)

    monkeypatch.setattr(versions, "_copy_synced", failing_copy)
    with pytest.raises(OSError):
        versions.publish_version(period, 1, {"bao-cao-2023-6T.docx": staged, "phu-luc-2023-6T.xlsx": annex},
                                 aggregates=agg, manifest={"fingerprint": "f1"}, root=tmp_path)
    folder = tmp_path / "reports" / "2023" / "6T"
    assert list(folder.iterdir()) == []
    monkeypatch.undo()
    out = versions.publish_version(period, 1, {"bao-cao-2023-6T.docx": staged, "phu-luc-2023-6T.xlsx": annex},
                                   aggregates=agg, manifest={"fingerprint": "f1"}, root=tmp_path)
    assert sorted(p.name for p in out.iterdir()) == [
        "bao-cao-2023-6T.docx", "phien-ban.json", "phu-luc-2023-6T.xlsx", "tong-hop-2023-6T.json"]
    manifest = json.loads((out / "phien-ban.json").read_text(encoding="utf-8"))
    assert manifest["files"] == {"bao-cao-2023-6T.docx": sha256(staged), "phu-luc-2023-6T.xlsx": sha256(annex)}
    with pytest.raises(versions.VersionError):
        versions.publish_version(period, 1, {"bao-cao-2023-6T.docx": annex}, aggregates=agg,
                                 manifest={"fingerprint": "f2"}, root=tmp_path)
    assert (out / "bao-cao-2023-6T.docx").read_bytes() == b"PK report"
    assert [p.name for p in folder.iterdir() if p.name.startswith(".v")] == []
    assert versions.latest_version(period, tmp_path) == 1
    assert versions.version_path(period, 1, tmp_path) == out
    assert versions.latest_version(config.period("2023-9T"), tmp_path) is None


def test_an_equivalent_fingerprint_is_recorded_without_changing_the_version(config, tmp_path):
    """A fingerprint recorded as rendering the same files as version 1 makes it re-usable for those inputs;
    the version's files, own fingerprint and index entry are unchanged, and recording twice adds nothing."""
    import pipeline.publish.versions as versions

    period = config.period("2023-6T")
    staged = tmp_path / "staged.docx"
    staged.write_bytes(b"PK report")
    versions.publish_version(period, 1, {"bao-cao-2023-6T.docx": staged}, aggregates={"period": "2023-6T"},
                             manifest={"fingerprint": "f1"}, root=tmp_path)
    before = versions.read_manifest(period, 1, tmp_path)
    assert versions.reusable(before, "f1") and not versions.reusable(before, "f2")
    assert not versions.reusable(None, "f1")
    versions.record_equivalent(period, 1, "f2", tmp_path)
    versions.record_equivalent(period, 1, "f2", tmp_path)
    after = versions.read_manifest(period, 1, tmp_path)
    assert after["equivalent_fingerprints"] == ["f2"]
    assert versions.reusable(after, "f2") and not versions.reusable(after, "f3")
    assert {k: v for k, v in after.items() if k != "equivalent_fingerprints"} == before
    index = versions.index(period, tmp_path)
    assert [v["fingerprint"] for v in index["versions"]] == ["f1"]
    assert (tmp_path / "reports" / "2023" / "6T" / "v1" / "bao-cao-2023-6T.docx").read_bytes() == b"PK report"
    with pytest.raises(versions.VersionError):
        versions.record_equivalent(period, 2, "f2", tmp_path)
