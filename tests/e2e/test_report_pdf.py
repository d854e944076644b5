"""The report as a reader gets it: the render step publishes a PDF beside the .docx (LibreOffice), page numbers
at the top of every page but the first, each chart's caption followed by its image, and the charts' figures
equal to figures computed here from the workbooks (openpyxl), not by the pipeline's code.

Seven of the eight sample communes report (xã Lương Sơn sends nothing): the charts show it as such.

Slow by nature: one whole run with LibreOffice's PDF, shared by the module's tests.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from tests.helpers import drop, roster_rows, summary_cells, workspace_at

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "samples" / "2023-6T").glob("*.xlsx"))
ABSENT = "22816"  # xã Lương Sơn
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
# Decree 07/2021/NĐ-CP, Art. 3, clause 1.b: the 6 dimensions and their indicators (workbook columns d01–d12).
DIMENSIONS = {"Việc làm": ("d01", "d02"), "Y tế": ("d03", "d04"), "Giáo dục": ("d05", "d06"),
              "Nhà ở": ("d07", "d08"), "Nước sinh hoạt và vệ sinh": ("d09", "d10"), "Thông tin": ("d11", "d12")}

pytestmark = pytest.mark.slow  # starts LibreOffice


@pytest.fixture(scope="module")
def run(tmp_path_factory, config) -> Path:
    """A data root where 2023-6T was run without Airflow on seven of the eight samples; returns the report."""
    from pipeline.orchestrator import run_period

    root = tmp_path_factory.mktemp("pdf")
    drop([p for p in SAMPLES if not p.name.startswith(ABSENT)], root / "inbox" / "2023-6T")
    return Path(run_period(config.period("2023-6T"), config=config, workspace=workspace_at(root, pdf=True)))


def _page_text(pdf: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True, timeout=60).stdout


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def test_pdf_published_beside_the_report_with_page_numbers_from_page_2(run):
    """bao-cao-2023-6T.pdf beside the .docx, owner-only; page 1 carries no number; the first line of every
    other page is its number alone (centred in the top margin)."""
    pdf = run.with_suffix(".pdf")
    assert pdf.name == "bao-cao-2023-6T.pdf" and pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf.stat().st_mode & 0o077 == 0
    n = _pages(pdf)
    assert n >= 5, n
    first = [line.strip() for line in _page_text(pdf, 1).splitlines() if line.strip()]
    assert first[0].startswith("UBND HUYỆN NINH SƠN")
    assert not any(re.fullmatch(r"\d+", line) for line in first[:5]), first[:5]
    for page in range(2, n + 1):
        lines = [line for line in _page_text(pdf, page).splitlines() if line.strip()]
        assert lines[0].strip() == str(page), (page, lines[:2])
        # centred: the number sits in the middle of the line, not at a margin
        assert len(lines[0]) - len(lines[0].lstrip()) > 20, (page, lines[0])
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout
    for k in (1, 2, 3):
        assert f"Biểu đồ {k}:" in text, k


def _body_paragraphs(docx: Path) -> tuple[list, dict[str, str], zipfile.ZipFile]:
    z = zipfile.ZipFile(docx)
    body = etree.fromstring(z.read("word/document.xml")).find(f"{W}body")
    rels = etree.fromstring(z.read("word/_rels/document.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    return list(body), targets, z


def _text(el) -> str:
    return "".join(t.text or "" for t in el.iter(f"{W}t"))


def _embedded_charts(docx: Path) -> dict[int, tuple[str, bytes]]:
    """Chart number → (caption, PNG bytes of the image in the paragraph right after the caption)."""
    elements, targets, z = _body_paragraphs(docx)
    out = {}
    for i, el in enumerate(elements):
        m = re.match(r"Biểu đồ (\d+): ", _text(el)) if el.tag == f"{W}p" else None
        if not m:
            continue
        after = elements[i + 1]
        assert after.tag == f"{W}p" and after.find(f".//{W}drawing") is not None, _text(el)
        blip = after.find(".//{http://schemas.openxmlformats.org/drawingml/2006/main}blip")
        out[int(m.group(1))] = (_text(el), z.read("word/" + targets[blip.get(f"{R}embed")]))
    return out


def test_each_caption_is_followed_by_its_chart(run):
    """Biểu đồ 1, 2, 3 in that order, each caption immediately followed by a paragraph holding a PNG image
    of plausible size, each after the table it illustrates (Bảng 1, Bảng 3, Bảng 6)."""
    charts = _embedded_charts(run)
    assert sorted(charts) == [1, 2, 3]
    assert charts[1][0] == "Biểu đồ 1: Tỷ lệ hộ nghèo, hộ cận nghèo theo đơn vị tại ngày 30/04/2023"
    assert charts[2][0].startswith("Biểu đồ 2: Hộ nghèo, hộ cận nghèo có thành viên là người có công")
    assert charts[3][0].startswith("Biểu đồ 3: Số hộ nghèo có người có công thiếu hụt theo chiều")
    for _, png in charts.values():
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert 1000 <= width <= 2000 and 400 <= height <= 1600, (width, height)
        assert 15_000 < len(png) < 1_000_000
    from docx import Document

    texts = [p.text for p in Document(str(run)).paragraphs]
    order = [next(i for i, t in enumerate(texts) if t.startswith(s)) for s in (
        "I. TÌNH HÌNH HỘ NGHÈO", "Bảng 1.", "Biểu đồ 1:", "2. Hộ nghèo, hộ cận nghèo có thành viên", "Bảng 3.",
        "Biểu đồ 2:", "II. KẾT QUẢ THỰC HIỆN", "Bảng 5.", "Bảng 6.", "Biểu đồ 3:", "7. Công tác quản lý nhà nước",
        "III. KINH PHÍ")]
    assert order == sorted(order)
    note = texts[texts.index(charts[2][0]) + 2]
    assert note.startswith("Số liệu tại ngày 01/01/2023 và tại ngày cuối các kỳ báo cáo trong năm đã có số liệu: "
                           "kỳ 6 tháng đầu năm (30/04/2023).")
    assert "(*) Số liệu chỉ cộng các đơn vị có báo cáo hợp lệ." in note  # xã Lương Sơn is missing


def test_charts_show_the_workbooks_figures(run, config):
    """The charts' bars equal figures computed here from the workbooks' cells, and the images in the report are
    those charts: rates by unit (Lương Sơn without a bar), NCC households by status, deprivations."""
    from pipeline.paths import aggregates_path
    from pipeline.render.charts import chart_context

    period = config.period("2023-6T")
    root = run.parents[4]
    agg = json.loads(aggregates_path(period, root).read_text(encoding="utf-8"))
    context = chart_context(agg, config=config, period=period)
    drawn = {k: v["image"].draw() for k, v in context.items()}
    embedded = _embedded_charts(run)
    assert [embedded[n][1] for n in (1, 2, 3)] == [drawn[k].png for k in ("poverty", "year", "deprivation")]

    names = {u.code: u.full_name for u in config.units}
    sent = {p.name[:5]: p for p in SAMPLES if p.name[0].isdigit() and not p.name.startswith(ABSENT)}
    expected, totals = [], [0, 0, 0]
    for code in [u["unit_code"] for u in agg["units"]]:
        if code not in sent:
            expected.append((names[code][:1].upper() + names[code][1:], None, None))
            continue
        cells = summary_cells(sent[code])
        total, poor, near = (cells[k][1] for k in ("households_total", "poor_households", "near_poor_households"))
        expected.append((names[code][:1].upper() + names[code][1:], poor / total * 100, near / total * 100))
        totals = [totals[0] + total, totals[1] + poor, totals[2] + near]
    plotted = drawn["poverty"].values
    assert [u["name"] for u in plotted["units"]] == [e[0] for e in expected]
    for u, (name, poor_rate, near_rate) in zip(plotted["units"], expected, strict=True):
        if poor_rate is None:
            assert u["poor_rate"] is None and u["near_poor_rate"] is None and name == "Xã Lương Sơn"
        else:
            assert u["poor_rate"] == pytest.approx(poor_rate) and u["near_poor_rate"] == pytest.approx(near_rate)
            assert u["poor_label"] == f"{poor_rate:.2f}%".replace(".", ",")
    district = plotted["district"]
    assert district["name"] == "Cộng các đơn vị hợp lệ"
    assert district["poor_rate"] == pytest.approx(totals[1] / totals[0] * 100)
    assert district["near_poor_rate"] == pytest.approx(totals[2] / totals[0] * 100)

    rows = [r for p in sent.values() for r in roster_rows(p)]
    count = lambda column, status: sum(r[column] == status for r in rows)  # noqa: E731
    assert drawn["year"].values["points"] == [
        {"label": "Đầu năm", "poor": count("status_baseline", "Nghèo"),
         "near_poor": count("status_baseline", "Cận nghèo")},
        {"label": "6 tháng đầu năm", "poor": count("status_current", "Nghèo"),
         "near_poor": count("status_current", "Cận nghèo")}]
    poor = [r for r in rows if r["status_current"] == "Nghèo"]
    assert poor, "the samples have poor NCC households"
    assert drawn["deprivation"].values["base"] == len(poor)
    assert [(d["label"], d["households"]) for d in drawn["deprivation"].values["dimensions"]] == [
        (label, sum(any(r[k] for k in keys) for r in poor)) for label, keys in DIMENSIONS.items()]


def test_rendering_again_gives_the_same_docx_bytes(run, config, tmp_path):
    """The same aggregates rendered twice, a few seconds apart, give the same .docx bytes (charts included),
    those of the published report."""
    import time

    from pipeline.paths import aggregates_path
    from pipeline.render.report import build_context, document_properties, render_docx

    period = config.period("2023-6T")
    agg = json.loads(aggregates_path(period, run.parents[4]).read_text(encoding="utf-8"))
    out = []
    for i in range(2):
        out.append(render_docx(build_context(agg, config=config, period=period), tmp_path / f"r{i}.docx",
                               properties=document_properties(agg, config=config, period=period)).read_bytes())
        time.sleep(2.1 * (1 - i))  # zip times have a 2-second resolution
    assert out[0] == out[1] == run.read_bytes()  # and the same as the published report


def test_no_heading_ends_a_page(run):
    """No section heading, caption or annex title is the last line of a page (pdftotext page by page): headings
    keep with the text after them."""
    from tests.helpers import headings_at_page_foot

    assert headings_at_page_foot(run.with_suffix(".pdf")) == []
