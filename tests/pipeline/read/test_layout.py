"""Layout as communes use it: merged cells inside data rows, hidden rows and columns, formatting far past the
data, and the trimmed copy the reader parses (pipeline/read/sources.py ``trimmed_xlsx``)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from benchmarks.far_formatting import far_formatted
from pipeline import schema
from pipeline.files import sha256_of
from pipeline.findings import ERROR, WARNING
from pipeline.read.reader import read_submission
from pipeline.validate.rules import validate_submission

ROOT = Path(__file__).resolve().parents[3]
MA_NOI = ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx"
ROSTER = schema.SHEET_ROSTER


def _edited(tmp_path: Path, name: str, edit) -> Path:
    wb = load_workbook(MA_NOI)
    edit(wb[ROSTER])
    out = tmp_path / name
    wb.save(out)
    return out


def test_merged_village_and_ethnicity_give_their_value_to_every_household(config, tmp_path):
    """Thôn merged over the two households of Gia Hoa (D7:D8), Dân tộc merged over all six (E5:E10): valid,
    and each household carries the value Excel shows."""
    def edit(ws):
        ws.merge_cells("D7:D8")
        ws.merge_cells("E5:E10")

    path = _edited(tmp_path, "merged.xlsx", edit)
    sub = read_submission(path, config)
    assert sub.roster["village"].tolist() == ["Thôn Tà Nôi", "Thôn Do", "Thôn Gia Hoa", "Thôn Gia Hoa", "Thôn Do",
                                              "Thôn Tà Nôi"]
    assert sub.roster["ethnicity"].tolist() == ["Raglai"] * 6
    outcome = validate_submission(path, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings) == ("valid", 0, 0)


def test_a_merge_reaching_below_the_last_household_adds_no_household(config, tmp_path):
    """Thôn merged from the last household's row down to row 15: rows 11–15 hold nothing of their own, so
    they are not households (no 'missing code' errors)."""
    path = _edited(tmp_path, "merged_down.xlsx", lambda ws: ws.merge_cells("D10:D15"))
    sub = read_submission(path, config)
    assert len(sub.roster) == 6
    assert sub.roster["village"].iloc[-1] == "Thôn Tà Nôi"
    outcome = validate_submission(path, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings) == ("valid", 0, 0)


def test_a_finding_on_a_merge_goes_once_to_its_top_left_cell_and_the_annotated_copy_is_written(config, tmp_path):
    """'xyz' as status at the cut-off, merged over two households (K7:K8): one finding on K7 naming the merge
    (not one per household), and the annotated workbook puts its comment on K7 — a merged cell cannot take one."""
    from pipeline.staff.feedback import write_annotated

    def edit(ws):
        ws["K7"] = "xyz"
        ws.merge_cells("K7:K8")

    path = _edited(tmp_path, "merged_bad.xlsx", edit)
    outcome = validate_submission(path, config=config, period="2023-6T")
    status = [f for f in outcome.findings if f.column == "Phân loại tại ngày chốt"]
    assert [(f.severity, f.row, f.value) for f in status] == [(ERROR, 7, "xyz")]
    assert "(ô gộp K7:K8: giá trị ghi ở ô đầu của vùng gộp)" in status[0].message
    version = SimpleNamespace(unit_code="22828", version=1, sha256=sha256_of(path), archive_path=str(path),
                              original_name=path.name)
    out = write_annotated(version, outcome, period=config.period("2023-6T"), root=tmp_path / "data")
    ws = load_workbook(out)[ROSTER]
    assert ws["K7"].comment is not None and "Phân loại tại ngày chốt không hợp lệ" in ws["K7"].comment.text
    assert ws["K7"].fill.fgColor.rgb.endswith("FFC7CE")


def test_a_hidden_row_is_read_and_its_findings_say_it_is_hidden(config, tmp_path):
    """An old line of household 22828-0001 left in row 11 and hidden: it is read (it is data), its findings
    say 'Dòng 11 đang bị ẩn' with how to unhide it, and one warning says hidden rows are counted."""
    def edit(ws):
        for c in range(1, 38):
            ws.cell(11, c).value = ws.cell(5, c).value
        ws.cell(11, 6).value = 7
        ws.row_dimensions[11].hidden = True

    path = _edited(tmp_path, "hidden_row.xlsx", edit)
    sub = read_submission(path, config)
    assert sub.roster["excel_row"].tolist() == [5, 6, 7, 8, 9, 10, 11]
    outcome = validate_submission(path, config=config, period="2023-6T")
    on_11 = [f for f in outcome.findings if f.sheet == ROSTER and f.row == 11]
    duplicate = next(f for f in on_11 if f.severity == ERROR)
    assert duplicate.message == "Mã hộ bị trùng: một hộ chỉ được ghi một dòng. (Dòng 11 đang bị ẩn.)"
    assert duplicate.fix.endswith("Bỏ ẩn dòng 11 (chọn các dòng, cột liền kề, chuột phải → Bỏ ẩn/Unhide) để xem "
                                  "và sửa.")
    (warning,) = [f for f in outcome.findings if f.severity == WARNING]
    assert (warning.sheet, warning.row) == (ROSTER, 11)
    assert warning.message.startswith("Có 1 dòng đang bị ẩn nhưng có số liệu hộ (dòng 11); số liệu ở dòng ẩn vẫn "
                                      "được đọc và tính")
    assert "xóa hẳn dòng" in warning.fix
    assert all("bị ẩn" not in f.message for f in outcome.findings if f.row != 11)


def test_a_finding_in_a_hidden_column_says_the_column_is_hidden(config, tmp_path):
    """'không rõ' in row 6 of column I (Có khả năng lao động), hidden: the only finding, and its message ends
    with '(Cột I đang bị ẩn.)'."""
    def edit(ws):
        ws["I6"] = "không rõ"
        ws.column_dimensions["I"].hidden = True

    outcome = validate_submission(_edited(tmp_path, "hidden_col.xlsx", edit), config=config, period="2023-6T")
    (finding,) = outcome.findings
    assert (finding.row, finding.column, finding.value) == (6, "Có khả năng lao động", "không rõ")
    assert finding.message == "Cột đánh dấu chỉ nhận x hoặc để trống. (Cột I đang bị ẩn.)"


def test_formatting_down_to_row_50000_is_not_read(config, tmp_path):
    """Borders on every roster column down to row 50,000 (1.8 million formatted cells, 40 MB of sheet XML):
    the copy the reader parses stops at the last household, the file is valid and reads as the plain one."""
    from pipeline.read.sources import trimmed_xlsx

    far = far_formatted(MA_NOI, tmp_path / "far.xlsx")
    with zipfile.ZipFile(far) as z:
        assert z.getinfo("xl/worksheets/sheet3.xml").file_size > 35_000_000
    copy, extents = trimmed_xlsx(far, far.name)
    roster = next(e for e in extents if e.name == ROSTER)
    assert (roster.declared, roster.rows, roster.columns) == ((50_000, 37), 10, 37)
    assert len(copy) < 200_000
    plain, far_sub = read_submission(MA_NOI, config), read_submission(far, config)
    assert far_sub.roster.equals(plain.roster)
    outcome = validate_submission(far, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings) == ("valid", 0, 0)


def _prefixed(xml: bytes) -> bytes:
    """The same sheet XML with the main namespace bound to the prefix x: (as some generators write it)."""
    xml = xml.replace(b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                      b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"', 1)
    return re.sub(rb"<(/?)([A-Za-z]+)([\s>/])", rb"<\1x:\2\3", xml)


def _numbers_as_inline_text(xml: bytes, row: int) -> bytes:
    """Row ``row`` with its numbers written as inline strings too: a row with no <v> element at all."""
    return re.sub(rb'<c r="([A-Z]+%d)"((?: s="\d+")?) t="n"><v>(\d+)</v></c>' % row,
                  rb'<c r="\1"\2 t="inlineStr"><is><t>\3</t></is></c>', xml)


@pytest.mark.parametrize("chunk", [1, 7, 13, 4096, 1 << 16])
def test_trimming_is_the_same_whatever_the_chunk_boundaries(config, tmp_path, monkeypatch, chunk):
    """The trimmed copy does not depend on where the inflated stream is cut into chunks (tags split across
    chunks), for a far-formatted roster whose last household row holds only inline strings (no <v>), in a
    sheet whose tags carry a namespace prefix and whose extension after the rows holds a </x:c> of its own."""
    from pipeline.read import sources

    base = far_formatted(MA_NOI, tmp_path / "far.xlsx", rows=400)
    variant = tmp_path / "variant.xlsx"
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(variant, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet3.xml":
                data = _numbers_as_inline_text(data, 10)
                assert b"<v>" not in data.split(b'<row r="10"')[1].split(b"</row>")[0]
                data = _prefixed(data).replace(  # an extension after the rows holding a </x:c> of its own
                    b"</x:worksheet>", b'<x:extLst><x:ext uri="{0A1B2C3D-test}"><x:c>1</x:c></x:ext></x:extLst>'
                                       b"</x:worksheet>")
            zout.writestr(info, data)
    monkeypatch.setattr(sources, "CHUNK", chunk)
    copy, extents = sources.trimmed_xlsx(variant, variant.name)
    roster = next(e for e in extents if e.name == ROSTER)
    assert (roster.rows, roster.columns) == (10, 37)
    sub = read_submission(variant, config)
    assert sub.roster["household_code"].tolist() == [f"22828-000{i}" for i in range(1, 7)]
    assert sub.roster["head_name"].iloc[-1] == "Pinăng Ngọc Hoa"


def test_borders_written_by_openpyxl_are_not_read(config, tmp_path):
    """Borders drawn with openpyxl on every roster column down to row 2,000: it writes the empty cells as
    <c r="S1500" s="12" t="n"></c> (closed, not self-closed, with column letters such as S and V), which must
    not count as content. The copy parsed stops at the last household; the file is valid."""
    from openpyxl.styles import Border, Side

    from pipeline.read.sources import trimmed_xlsx

    def edit(ws):
        thin = Side(style="thin")
        for row in ws.iter_rows(min_row=11, max_row=2_000, min_col=1, max_col=37):
            for cell in row:
                cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)

    path = _edited(tmp_path, "borders.xlsx", edit)
    with zipfile.ZipFile(path) as z:
        assert b'<c r="S1500" s="' in z.read("xl/worksheets/sheet3.xml")
    copy, extents = trimmed_xlsx(path, path.name)
    roster = next(e for e in extents if e.name == ROSTER)
    assert (roster.declared, roster.rows, roster.columns, roster.cells) == ((2_000, 37), 10, 37, 261)
    outcome = validate_submission(path, config=config, period="2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings) == ("valid", 0, 0)
