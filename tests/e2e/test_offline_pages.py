"""The pages for people and the technical view open fully in Chromium with no network: run in a network namespace
with only loopback up (``unshare -n``), each shows its text, not a blank page, and references no http(s) URL.
Slow: Chromium starts four times. Screenshots go to the test's own folder, never into the tree."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.findings import read_outcome
from pipeline.staff.feedback import write_annotated, write_status_page
from pipeline.validate.datadocs import build_data_docs
from tests.browser import chromium, offline_dom, offline_screenshot
from tests.pipeline.validate.test_datadocs import kept_ledger

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(chromium() is None, reason="Chromium is not installed (make system-deps)")]
NOW = dt.datetime(2023, 5, 5, 1, 30, tzinfo=dt.UTC)
ASSET = re.compile(r"""<(?:script|link|img|iframe|source|video|audio)\b[^>]*\b(?:src|href)\s*=\s*["']?\s*"""
                   r"""(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""", re.IGNORECASE)


def _text(dom: str) -> str:
    """What a reader sees of a DOM: tags and style dropped, entities decoded, spaces collapsed."""
    dom = re.sub(r"(?s)<(style|script)\b.*?</\1>", " ", dom)
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", dom)).split())


@pytest.fixture(scope="module")
def pages(config, tmp_path_factory) -> dict[str, Path]:
    """The status page and the technical view of 2023-6T from a small ledger (Ma Nới failed the village check, Tân Sơn
    passed, an unattributed file; tests/pipeline/validate/test_datadocs.py's :func:`kept_ledger`)."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode:
        pytest.skip("this user may not create a network namespace (unshare -n)")
    root = tmp_path_factory.mktemp("offline")
    period = config.period("2023-6T")
    ledger = kept_ledger(config, root)
    (ma_noi,) = ledger.versions(period.code, "22828")
    write_annotated(ma_noi, read_outcome(Path(ma_noi.findings_path)), period=period, root=root, author="LĐTBXH")
    return {"status": write_status_page(period, config=config, ledger=ledger, now=NOW, root=root),
            "technical": build_data_docs(period, config=config, ledger=ledger, root=root)}


def test_the_namespace_has_no_route_out():
    """Inside the namespace the pages open in, loopback is up and there is no route: any outside request fails."""
    out = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up && ip route && ip -6 route"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.strip() == "", out


def test_status_page_renders_offline(pages):
    """Chromium offline shows the status page's title, Ma Nới capitalised with its counts and the link to its annotated
    workbook, and Ma Nới's finding ("Chưa ghi 'Thôn'."; the name in it masked)."""
    text = _text(offline_dom(pages["status"]))
    assert "Tình hình nhận báo cáo kỳ 6 tháng đầu năm 2023 (2023-6T)" in text
    assert "Xã Ma Nới (22828) Không hợp lệ Phiên bản 1: e.xlsx" in text
    assert "1 lỗi, 0 cảnh báo Tệp góp ý (Excel)" in text
    assert "Chưa ghi 'Thôn'." in text and "Nguyễn Văn Tám" not in text
    assert "Thị trấn Tân Sơn (22810) Hợp lệ" in text


def test_technical_view_renders_offline(pages):
    """Chromium offline shows the technical view: Ma Nới's failed check with its counts and Excel row, and every
    version's whole hash."""
    text = _text(offline_dom(pages["technical"]))
    assert "Kết quả kiểm tra dữ liệu kỳ 6 tháng đầu năm 2023 (2023-6T) — trang kỹ thuật" in text
    assert "Xã Ma Nới (22828) — phiên bản 1" in text
    assert "roster expect_column_values_to_not_be_null village lỗi Chưa ghi 'Thôn'." in text
    assert "e" * 64 in text and "a" * 64 in text and "f" * 64 in text
    assert "Nguyễn Văn Tám" not in text


@pytest.mark.parametrize("name", ["status", "technical"])
def test_pages_reference_no_outside_asset(pages, name):
    """Neither page names an http(s) or protocol-relative URL for a script, style sheet, image or font, and neither
    has a script at all."""
    html = pages[name].read_text(encoding="utf-8")
    assert ASSET.findall(html) == [] and "<script" not in html
    assert re.findall(r"https?://", html) == []


@pytest.mark.parametrize("name", ["status", "technical"])
def test_screenshot_offline_is_not_blank(pages, name, tmp_path):
    """A screenshot taken offline (written to the test's folder) is not a blank page: more than 2 % of its pixels are
    not white."""
    from PIL import Image

    out = offline_screenshot(pages[name], tmp_path / f"{name}.png", height=1000)
    assert out.parent == tmp_path
    image = Image.open(out).convert("L")
    dark = sum(image.histogram()[:200])  # pixels darker than light grey
    assert dark > 0.02 * image.width * image.height, dark
