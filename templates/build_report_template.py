"""Build ``templates/bao_cao_ky.docx``, the docxtpl template of the periodic report.

The template is committed; this script is its source, so that its layout can be reviewed and rebuilt:
``python templates/build_report_template.py``. Layout per Decree 30/2020/NĐ-CP, Appendix I: A4, margins
20/20/30/15 mm, Times New Roman, body 14 pt, two-column borderless header, page numbers centred in the top
margin and hidden on the first page, Roman-numbered parts, "Nơi nhận" and signature block.

Every figure is a template variable filled from the aggregates; none is typed here. The annexes by unit and the
household list take their wording from ``templates/phu_luc.yaml``, which the annex workbook also reads.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

OUT = Path(__file__).resolve().parent / "bao_cao_ky.docx"
FONT = "Times New Roman"


def _font(run, size=14, bold=False, italic=False):
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    return run


def para(container, text="", size=14, bold=False, italic=False, align=None, indent=True, after=6, before=0):
    p = container.add_paragraph()
    if text:
        _font(p.add_run(text), size, bold, italic)
    fmt = p.paragraph_format
    fmt.space_after = Pt(after)
    fmt.space_before = Pt(before)
    fmt.line_spacing = 1.0
    if align is not None:
        p.alignment = align
    elif indent:
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        fmt.first_line_indent = Cm(1)
    return p


def caption(doc, text):
    """A table caption, centred and italic, kept on the same page as its table."""
    p = para(doc, text, 13, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    p.paragraph_format.keep_with_next = True
    return p


def annex_heading(doc, label, title):
    """An annex's heading: its label ("Phụ lục II"), its title in capitals, and the report it goes with."""
    para(doc, label, 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    para(doc, title, 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    para(doc, "(Kèm theo Báo cáo số {{ doc.number }}{{ doc.number_suffix }} của {{ doc.issuer_short }})", 13,
         italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)


def rule(container, indent_cm):
    """A short centred horizontal rule: a paragraph bottom border narrowed by indents."""
    p = container.add_paragraph()
    fmt = p.paragraph_format
    fmt.left_indent = Cm(indent_cm)
    fmt.right_indent = Cm(indent_cm)
    fmt.space_after = Pt(6)
    fmt.space_before = Pt(0)
    fmt.line_spacing = Pt(2)
    ppr = p._element.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(k), v)
    border.append(bottom)
    ppr.append(border)
    return p


def _no_borders(table):
    tbl_pr = table._element.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        e = OxmlElement(f"w:{edge}")
        e.set(qn("w:val"), "nil")
        borders.append(e)
    tbl_pr.append(borders)


def set_widths(table, widths_cm):
    """Fix column widths in the grid and in every cell (LibreOffice reads the grid, Word the cells)."""
    table.autofit = False
    grid = table._element.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths_cm, strict=True):
        col.set(qn("w:w"), str(int(Cm(w).twips)))
    for row in table.rows:
        for j, w in enumerate(widths_cm):
            row.cells[j].width = Cm(w)


def cell_text(cell, text, size=12, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.CENTER):
    p = cell.paragraphs[0]
    p.text = ""
    _font(p.add_run(text), size, bold, italic)
    p.alignment = align
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.space_before = Pt(0)
    return p


def data_table(doc, headers, loop, cells, total=None, widths=None, size=12, header_rows=None):
    """A bordered table: header row(s), a docxtpl row loop ``{%tr for … %}`` and an optional total row.

    ``header_rows`` is a list of rows of (text, span) for merged multi-row headers; otherwise ``headers``.
    ``cells`` holds one Jinja expression per column (or a cell's Jinja text, when it starts with "{"); the
    second column is left-aligned.
    """
    ncols = len(cells)
    hdr = header_rows or [[(h, 1) for h in headers]]
    table = doc.add_table(rows=0, cols=ncols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for spec in hdr:
        row = table.add_row()
        col = 0
        for text, span in spec:
            c = row.cells[col]
            if span > 1:
                c = c.merge(row.cells[col + span - 1])
            cell_text(c, text, size, bold=True)
            col += span
    for spec_index in range(len(hdr) - 1):
        # merge vertically the header cells that span both rows (marked by an empty text below)
        top, bottom = table.rows[spec_index], table.rows[spec_index + 1]
        for j in range(ncols):
            if bottom.cells[j].text == "" and top.cells[j].text:
                text = top.cells[j].text
                merged = top.cells[j].merge(bottom.cells[j])
                for extra in merged.paragraphs[1:]:
                    extra._element.getparent().remove(extra._element)
                cell_text(merged, text, size, bold=True)
    for row in table.rows:  # header rows repeat on every page
        tr_pr = row._tr.get_or_add_trPr()
        head = OxmlElement("w:tblHeader")
        head.set(qn("w:val"), "true")
        tr_pr.append(head)
    start = table.add_row()
    cell_text(start.cells[0], "{%tr for r in " + loop + " %}", size)
    body = table.add_row()
    body._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for j, expr in enumerate(cells):
        align = WD_ALIGN_PARAGRAPH.LEFT if j == 1 else WD_ALIGN_PARAGRAPH.CENTER
        cell_text(body.cells[j], expr if expr.startswith("{") else "{{ " + expr + " }}", size, align=align)
    end = table.add_row()
    cell_text(end.cells[0], "{%tr endfor %}", size)
    if total is not None:
        row = table.add_row()
        for j, expr in enumerate(total):
            align = WD_ALIGN_PARAGRAPH.LEFT if j == 1 else WD_ALIGN_PARAGRAPH.CENTER
            cell_text(row.cells[j], expr if not expr or expr.startswith("{") else expr, size, bold=True, align=align)
    if widths:
        set_widths(table, widths)
    para(doc, "", after=0)
    return table


FIGURE_LABELS = {
    "households_total": "tổng số hộ",
    "poor_households": "số hộ nghèo",
    "poor_persons": "số nhân khẩu hộ nghèo",
    "near_poor_households": "số hộ cận nghèo",
    "near_poor_persons": "số nhân khẩu hộ cận nghèo",
    "ncc_poor_households": "số hộ nghèo có người có công",
    "ncc_poor_persons": "số nhân khẩu hộ nghèo có người có công",
    "ncc_near_poor_households": "số hộ cận nghèo có người có công",
    "ncc_near_poor_persons": "số nhân khẩu hộ cận nghèo có người có công",
    "funds_total": "tổng kinh phí huy động (đồng)",
}
"""Names of the figures compared between versions, inside a sentence (codes of
pipeline.versions.DISTRICT_FIGURE_KEYS)."""
STATUS_WORDS = {"valid": "hợp lệ", "invalid": "không hợp lệ", "error": "chưa kiểm tra được (lỗi hệ thống)",
                "missing": "chưa nhận"}
"""How a unit's state reads in the changes since the previous version."""


def _words(mapping, code):
    """A Jinja expression giving the words for ``code`` (an expression) from ``mapping``: a dict literal
    subscripted in place (no {% set %}: a name set inside the section's {% if %} is not seen by check_template
    as declared)."""
    return "{" + ", ".join(f'"{k}": "{v}"' for k, v in mapping.items()) + "}[" + code + "]"


def version_changes(doc):
    """"Những thay đổi so với phiên bản trước", from version 2 on: the version replaced, the units whose
    version or state changed, the figures that changed (old → new), or, with no new data, why the version was
    made (template, configuration, programme). Version 1 has no such section."""
    para(doc, "{%p if not version.first %}", indent=False)
    para(doc, "Những thay đổi so với phiên bản trước", bold=True, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT,
         before=6)
    para(doc, "Báo cáo này là phiên bản {{ version.number }}, thay thế phiên bản {{ version.previous }} của báo cáo "
              "kỳ {{ period.label }}.")
    para(doc, "{%p if version.unit_changes %}", indent=False)
    para(doc, "Đơn vị có số liệu thay đổi:")
    para(doc, "{%p for u in version.unit_changes %}", indent=False)
    before = "{{ " + _words(STATUS_WORDS, "u.before_status") + " }}"
    now = "{{ " + _words(STATUS_WORDS, "u.now_status") + " }}"
    para(doc, "- {{ u.name }}: {% if u.before_version %}phiên bản {{ u.before_version }} (" + before + ")"
              "{% else %}" + before + "{% endif %} → {% if u.now_version %}phiên bản {{ u.now_version }}"
              "{% if u.received_at %} nhận lúc {{ u.received_at }}{% endif %} (" + now + "){% else %}" + now
              + "{% endif %}{% if u.newer %}; phiên bản {{ u.newer }} gửi sau chưa dùng{% endif %}.")
    para(doc, "{%p endfor %}", indent=False)
    para(doc, "{%p endif %}", indent=False)
    para(doc, "{%p if version.figure_changes %}", indent=False)
    para(doc, "Số liệu thay đổi (phiên bản {{ version.previous }} → phiên bản {{ version.number }}):")
    para(doc, "{%p for g in version.figure_changes %}", indent=False)
    para(doc, "- {% if g.district %}{% if version.partial %}Cộng các đơn vị hợp lệ{% else %}Toàn huyện{% endif %}"
              "{% else %}{{ g.name }}{% endif %}: {% for f in g.figures %}{{ " + _words(FIGURE_LABELS, "f.code")
              + " }} {{ f.before }} → {{ f.now }}{% if not loop.last %}; {% endif %}{% endfor %}.")
    para(doc, "{%p endfor %}", indent=False)
    para(doc, "{%p endif %}", indent=False)
    para(doc, "{%p if not version.data_changed %}", indent=False)
    para(doc, "Số liệu của các đơn vị không thay đổi; phiên bản này lập lại do thay đổi "
              "{% if version.template_changed %}mẫu báo cáo{% endif %}"
              "{% if version.template_changed and (version.config_changed or version.code_changed) %}, {% endif %}"
              "{% if version.config_changed %}cấu hình{% endif %}"
              "{% if version.config_changed and version.code_changed %}, {% endif %}"
              "{% if version.code_changed %}chương trình lập báo cáo{% endif %}"
              "{% if not (version.template_changed or version.config_changed or version.code_changed) %}"
              "cách tổng hợp số liệu{% endif %}.")
    para(doc, "{%p endif %}", indent=False)
    para(doc, "{%p endif %}", indent=False)


# Wording shared by several sentences of the body (Jinja; the context's fields: templates/README.md).
SCOPE = ("{% if scope.complete %}toàn huyện{% else %}{{ scope.valid_units }} đơn vị có báo cáo hợp lệ"
         "{% endif %}")
CUTOFF = "ngày {{ period.cutoff }}"
BASELINE = "ngày {{ period.baseline }}"
# A unit's submission, as the tables of units and of receipt say it.
STATUS = ("{% if r.status == 'valid' %}Hợp lệ{% elif r.status == 'invalid' %}Không hợp lệ ({{ r.errors }} lỗi)"
          "{% elif r.status == 'error' %}Chưa kiểm tra được (lỗi hệ thống){% elif r.status == 'locked' %}Nhận sau "
          "ngày khóa sổ, chưa được mở lại{% elif r.required %}Chưa nhận"
          "{% else %}Chưa gửi (đơn vị được đề nghị báo cáo, không bắt buộc){% endif %}")
ON_TIME = "{% if r.on_time == 'yes' %}Đúng hạn{% elif r.on_time == 'no' %}Trễ hạn{% else %}-{% endif %}"
NOT_ASSESSABLE = ("Chưa đủ số liệu để đánh giá{% if targets.lacking %} (chưa có báo cáo hợp lệ của: "
                  "{{ targets.lacking }}){% else %} (chưa có báo cáo hợp lệ nào){% endif %}")


def change_words(var: str, unit: str = "hộ") -> str:
    """How a count moved since 1 January: "không thay đổi", "giảm 2 hộ", "tăng 3 hộ" (rule: templates/README.md)."""
    return (f"{{% if {var}.change == 'same' %}}không thay đổi{{% elif {var}.change == 'down' %}}giảm "
            f"{{{{ {var}.amount }}}} {unit}{{% else %}}tăng {{{{ {var}.amount }}}} {unit}{{% endif %}}")


def heading(doc, text, before=0):
    """A part's or item's heading, kept on the page of the paragraph that follows it."""
    p = para(doc, text, bold=True, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT, before=before)
    p.paragraph_format.keep_with_next = True
    return p


def placeholder(doc, text):
    """A place for a paragraph the specialist writes: bracketed, italic and highlighted so that it is seen and
    filled (or deleted) before the report is signed; the pipeline has no data for it."""
    p = para(doc, "")
    run = _font(p.add_run(f"[Chuyên viên bổ sung: {text}]"), 14, italic=True)
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    return p


def when(doc, condition, text, **kwargs):
    """A paragraph shown only when ``condition`` (Jinja) holds: ``{%p if %}`` … ``{%p endif %}``."""
    para(doc, "{%p if " + condition + " %}", indent=False)
    p = para(doc, text, **kwargs)
    para(doc, "{%p endif %}", indent=False)
    return p


def fixed_table(doc, headers, rows, widths, size=12):
    """A bordered table of fixed rows (no loop): header row, then one row of cell texts (Jinja) per item."""
    table = doc.add_table(rows=0, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head = table.add_row()
    for j, text in enumerate(headers):
        cell_text(head.cells[j], text, size, bold=True)
    head._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for cells in rows:
        row = table.add_row()
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for j, text in enumerate(cells):
            cell_text(row.cells[j], text, size, align=WD_ALIGN_PARAGRAPH.CENTER if j == 0 else WD_ALIGN_PARAGRAPH.LEFT)
    set_widths(table, widths)
    para(doc, "", after=0)
    return table


def report_body(doc):
    """Parts I-VI of the report, following the plan: the situation, the results by the tasks of its section IV,
    funds (section V), the targets (section III), the assessment and the proposals; then the closing sentence."""
    para(doc, "Thực hiện Kế hoạch số {{ doc.plan.number }}{{ doc.plan.number_suffix }} ngày      tháng "
              "{{ doc.plan.month }} năm {{ doc.plan.year }} của {{ doc.plan.issuer }} về "
              "{{ doc.plan.title_in_sentence }}; "
              "trên cơ sở báo cáo của Ủy ban nhân dân các xã, thị trấn, {{ doc.issuer_short }} báo cáo kết quả thực "
              "hiện {{ period.label }} (số liệu đến " + CUTOFF + ") như sau:")
    version_changes(doc)

    heading(doc, "I. TÌNH HÌNH HỘ NGHÈO, HỘ CẬN NGHÈO VÀ HỘ CÓ THÀNH VIÊN LÀ NGƯỜI CÓ CÔNG", before=6)
    heading(doc, "1. Hộ nghèo, hộ cận nghèo trên địa bàn huyện")
    para(doc, "Tại thời điểm {{ period.baseline }} (kết quả rà soát cuối năm {{ period.previous_year }}), "
         + SCOPE
         + " có {{ district.baseline.poor }} hộ nghèo, chiếm tỷ lệ {{ district.baseline.poor_rate }} tổng số hộ; "
           "{{ district.baseline.near_poor }} hộ cận nghèo, chiếm tỷ lệ {{ district.baseline.near_poor_rate }}.")
    para(doc, "Đến " + CUTOFF + ", " + SCOPE + " có {{ district.poor }} hộ nghèo ({{ district.poor_persons }} nhân "
              "khẩu), chiếm tỷ lệ {{ district.poor_rate }}, số hộ " + change_words("district.change.poor")
         + " so với " + BASELINE + "; {{ district.near_poor }} hộ cận nghèo ({{ district.near_poor_persons }} nhân "
           "khẩu), chiếm tỷ lệ {{ district.near_poor_rate }}, số hộ " + change_words("district.change.near_poor")
         + ".")
    movement_note(doc)
    caption(doc, "Bảng 1. Hộ nghèo, hộ cận nghèo theo đơn vị tại " + CUTOFF)
    data_table(
        doc, None, "units",
        ["r.no", "r.name", "r.households", "r.poor", "r.poor_rate", "r.near_poor", "r.near_poor_rate",
         "r.ncc_poor", "r.ncc_poor_persons", STATUS],
        total=["", "{% if scope.complete %}Toàn huyện{% else %}Cộng các đơn vị hợp lệ{% endif %}",
               "{{ district.households }}", "{{ district.poor }}", "{{ district.poor_rate }}",
               "{{ district.near_poor }}", "{{ district.near_poor_rate }}", "{{ district.ncc_poor }}",
               "{{ district.ncc_poor_persons }}", ""],
        header_rows=[
            [("TT", 1), ("Đơn vị", 1), ("Tổng số hộ", 1), ("Hộ nghèo", 2), ("Hộ cận nghèo", 2),
             ("Hộ nghèo có người có công", 2), ("Báo cáo", 1)],
            [("", 1), ("", 1), ("", 1), ("Số hộ", 1), ("Tỷ lệ", 1), ("Số hộ", 1), ("Tỷ lệ", 1), ("Số hộ", 1),
             ("Số khẩu", 1), ("", 1)],
        ],
        widths=[1.0, 2.7, 1.6, 1.3, 1.7, 1.3, 1.7, 1.4, 1.5, 2.3], size=11,
    )
    when(doc, "scope.left_out", "Số liệu cộng chưa gồm: {{ scope.left_out }} (chưa có báo cáo hợp lệ).", size=12,
         italic=True)

    heading(doc, "2. Hộ nghèo, hộ cận nghèo có thành viên là người có công với cách mạng")
    para(doc, "Tại thời điểm {{ period.baseline }}, " + SCOPE + " có {{ district.baseline.ncc_poor }} hộ nghèo có "
              "thành viên là người có công với cách mạng ({{ district.baseline.ncc_poor_persons }} nhân khẩu), "
              "chiếm tỷ lệ {{ district.baseline.ncc_poor_share }} tổng số hộ nghèo; "
              "{{ district.baseline.ncc_near_poor }} hộ cận nghèo có thành viên là người có công.")
    para(doc, "Đến " + CUTOFF + ", " + SCOPE + " có {{ district.ncc_poor }} hộ nghèo có thành viên là người có công "
              "với cách mạng ({{ district.ncc_poor_persons }} nhân khẩu), chiếm tỷ lệ {{ district.ncc_poor_share }} "
              "tổng số hộ nghèo{% if district.ncc_units %} ({{ district.ncc_units }}){% endif %}, số hộ "
         + change_words("district.change.ncc_poor") + " so với " + BASELINE + "; {{ district.ncc_near_poor }} hộ "
           "cận nghèo có thành viên là người có công, số hộ " + change_words("district.change.ncc_near_poor") + ".")
    caption(doc, "Bảng 2. Hộ có thành viên là người có công theo phân loại")
    data_table(
        doc, None, "ncc_rows",
        ["r.no", "{% if r.code == 'poor' %}Hộ nghèo có thành viên là người có công{% else %}Hộ cận nghèo có thành "
                 "viên là người có công{% endif %}",
         "r.hh_baseline", "r.persons_baseline", "r.share_baseline", "r.hh_current", "r.persons_current",
         "r.share_current"],
        header_rows=[
            [("TT", 1), ("Phân loại", 1), ("Tại ngày {{ period.baseline }}", 3), ("Tại ngày {{ period.cutoff }}", 3)],
            [("", 1), ("", 1), ("Số hộ", 1), ("Số khẩu", 1), ("Tỷ lệ*", 1), ("Số hộ", 1), ("Số khẩu", 1),
             ("Tỷ lệ*", 1)],
        ],
        widths=[1.2, 5.3, 1.6, 1.6, 1.6, 1.6, 1.6, 1.6], size=12,
    )
    para(doc, "* Tỷ lệ so với tổng số hộ nghèo (hoặc cận nghèo) của " + SCOPE + " cùng thời điểm.", 12, italic=True)
    caption(doc, "Bảng 3. Biến động hộ có thành viên là người có công từ {{ period.baseline }} đến {{ period.cutoff }}")
    data_table(doc, ["TT", "Loại biến động", "Số hộ"], "movements", ["r.no", "r.label", "r.households"],
               widths=[1.2, 10, 3], size=12)
    movement_tables(doc)

    heading(doc, "II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ, GIẢI PHÁP (Mục IV Kế hoạch)", before=6)
    heading(doc, "1. Công tác lãnh đạo, chỉ đạo, triển khai thực hiện Kế hoạch")
    placeholder(doc, "văn bản chỉ đạo, hướng dẫn của Phòng và của Ủy ban nhân dân các xã, thị trấn triển khai "
                     "Kế hoạch (số, ngày, trích yếu); công tác kiểm tra, giám sát.")
    heading(doc, "2. Công tác tuyên truyền")
    para(doc, "{% if not scope.has_data %}Chưa có báo cáo hợp lệ nào nên chưa có số liệu tuyên truyền."
              "{% elif activities.outreach %}Từ " + BASELINE + " đến " + CUTOFF + ", " + SCOPE + " tổ chức "
              "{{ activities.outreach_sessions }} buổi tuyên truyền, vận động về chính sách giảm nghèo, chính sách "
              "ưu đãi người có công với {{ activities.outreach_participants }} lượt người tham dự."
              "{% else %}Từ " + BASELINE + " đến " + CUTOFF + ", các đơn vị có báo cáo hợp lệ chưa tổ chức buổi "
              "tuyên truyền, vận động nào.{% endif %}")
    placeholder(doc, "hình thức, nội dung tuyên truyền nổi bật (nếu có).")
    heading(doc, "3. Công tác vận động, huy động nguồn lực")
    para(doc, "Kết quả huy động kinh phí theo từng nguồn tại Mục III; vận động tổ chức, cá nhân nhận đỡ đầu hộ "
              "không có khả năng lao động tại điểm 5 dưới đây.")
    placeholder(doc, "các cơ quan, đơn vị, doanh nghiệp, cá nhân đã vận động (nếu có).")
    heading(doc, "4. Hỗ trợ hộ có người có công có khả năng lao động")
    para(doc, "{% if supports.livelihood %}Hỗ trợ phát triển sản xuất, đa dạng hóa sinh kế (lũy kế từ "
              + BASELINE + "): vay vốn ưu đãi của Ngân hàng Chính sách xã hội "
              "{{ supports.support_loan_vnd.households }} hộ, số tiền {{ supports.support_loan_vnd.amount }} đồng; "
              "đào tạo nghề "
              "{{ supports.support_vocational_training.households }} hộ; giới thiệu việc làm "
              "{{ supports.support_job_placement.households }} hộ; hỗ trợ con giống, hướng dẫn chăn nuôi "
              "{{ supports.support_livestock.households }} hộ (chi tiết tại Bảng 4).{% else %}Từ " + BASELINE
         + " đến " + CUTOFF + ", các đơn vị có báo cáo hợp lệ chưa báo cáo hỗ trợ sinh kế (vay vốn, đào tạo nghề, "
           "việc làm, con giống) cho hộ có người có công.{% endif %}")
    caption(doc, "Bảng 4. Hỗ trợ hộ có thành viên là người có công từ {{ period.baseline }} đến {{ period.cutoff }}")
    data_table(doc, ["TT", "Nội dung hỗ trợ", "Số hộ", "Số tiền (đồng)"], "support_rows",
               ["r.no", "r.label", "r.households", "r.amount"], widths=[1.2, 8.3, 2.5, 3.5], size=12)
    placeholder(doc, "mô hình giảm nghèo, kết quả sinh kế của các hộ được hỗ trợ.")
    heading(doc, "5. Hỗ trợ hộ có người có công không có khả năng lao động")
    para(doc, "{% if supports.sponsorship %}Vận động tổ chức, cá nhân nhận đỡ đầu: "
              "{{ supports.sponsor_amount_vnd.households }} hộ được nhận đỡ đầu, số tiền "
              "{{ supports.sponsor_amount_vnd.amount }} đồng.{% else %}Từ " + BASELINE + " đến " + CUTOFF
         + ", các đơn vị có báo cáo hợp lệ chưa báo cáo hộ nào được nhận đỡ đầu.{% endif %}")
    placeholder(doc, "số hộ không có khả năng lao động và hình thức trợ giúp thường xuyên của cộng đồng (báo cáo "
                     "của các đơn vị không ghi khả năng lao động của hộ).")
    heading(doc, "6. Hỗ trợ tiếp cận các dịch vụ xã hội cơ bản")
    para(doc, "{% if deprivation.has_poor %}Trong {{ deprivation.base }} hộ nghèo có người có công, "
              "{% if deprivation.deprived %}các chiều còn thiếu hụt: {{ deprivation.deprived }}"
              "{% if deprivation.clean %}; không thiếu hụt: {{ deprivation.clean }}{% endif %}.{% else %}không hộ "
              "nào thiếu hụt.{% endif %}{% elif scope.has_data %}Không còn hộ nghèo có người có công nên không phân "
              "tích thiếu hụt.{% else %}Chưa có báo cáo hợp lệ nào nên chưa phân tích thiếu hụt.{% endif %}")
    para(doc, "{% if supports.services %}Đã hỗ trợ (lũy kế từ " + BASELINE + "): cấp thẻ bảo hiểm y tế "
              "{{ supports.support_health_insurance.households }} hộ; {% if supports.support_housing_vnd.any %}hỗ "
              "trợ nhà ở {{ supports.support_housing_vnd.households }} hộ, số tiền "
              "{{ supports.support_housing_vnd.amount }} đồng{% else %}chưa có hộ được hỗ trợ nhà ở{% endif %}."
              "{% else %}Chưa có hộ nào được cấp thẻ bảo hiểm y tế hoặc hỗ trợ nhà ở từ " + BASELINE
         + ".{% endif %}")
    caption(doc, "Bảng 5. Chỉ số thiếu hụt của hộ nghèo có người có công tại " + CUTOFF
            + " (Nghị định 07/2021/NĐ-CP)")
    data_table(doc, ["TT", "Chỉ số thiếu hụt", "Chiều", "Số hộ thiếu hụt", "Tỷ lệ"], "deprivation_rows",
               ["r.no", "r.label", "r.dimension", "r.households", "r.rate"], widths=[1.2, 6.3, 4.0, 2.2, 2.0],
               size=12)
    caption(doc, "Bảng 6. Số hộ nghèo có người có công thiếu hụt theo chiều")
    data_table(doc, ["TT", "Chiều thiếu hụt", "Số hộ thiếu hụt", "Tỷ lệ"], "dimension_rows",
               ["r.no", "r.label", "r.households", "r.rate"], widths=[1.2, 8.3, 3.0, 2.5], size=12)
    placeholder(doc, "giải pháp hỗ trợ từng chiều còn thiếu hụt (học tập, nhà ở, nước sạch, thông tin …).")
    heading(doc, "7. Công tác quản lý nhà nước, chế độ báo cáo")
    para(doc, "Đã nhận {{ submissions.received }}/{{ submissions.expected }} báo cáo ({{ submissions.on_time }} "
              "đúng hạn); {{ submissions.valid }} báo cáo hợp lệ"
              "{% if submissions.invalid %}; không hợp lệ: {{ submissions.invalid }}{% endif %}"
              "{% if submissions.error %}; chưa kiểm tra được (lỗi hệ thống): {{ submissions.error }}{% endif %}"
              "{% if submissions.missing %}; chưa nhận: {{ submissions.missing }}{% endif %}.")
    caption(doc, "Bảng 7. Tình hình tiếp nhận báo cáo kỳ {{ period.label }} (tệp, phiên bản, thời điểm nhận: "
                 "Phụ lục III)")
    data_table(doc, ["TT", "Đơn vị", "Tiếp nhận", "Thời hạn", "Kết quả kiểm tra"],
               "submission_rows",
               ["r.no", "r.name",
                "{% if r.status != 'missing' %}Đã nhận{% elif r.required %}Chưa nhận{% else %}Chưa gửi (không bắt "
                "buộc){% endif %}",
                "{% if r.status == 'missing' %}-{% else %}" + ON_TIME + "{% endif %}",
                "{% if r.status == 'missing' %}-{% else %}" + STATUS + "{% endif %}"],
               widths=[1.0, 4.0, 3.5, 2.5, 5.5], size=12)
    placeholder(doc, "rà soát, cập nhật danh sách hộ, kiểm tra, giám sát việc thực hiện chính sách.")

    heading(doc, "III. KINH PHÍ THỰC HIỆN (Mục V Kế hoạch)", before=6)
    para(doc, "Số liệu kinh phí là tổng các nguồn các đơn vị huy động cho công tác giảm nghèo trên địa bàn (cho mọi "
              "hộ nghèo, hộ cận nghèo), không riêng hộ có người có công; phần hỗ trợ trực tiếp hộ có người có công "
              "nêu tại Bảng 4.")
    caption(doc, "Bảng 8. Kinh phí huy động theo nguồn từ {{ period.baseline }} đến {{ period.cutoff }}")
    data_table(doc, ["Nguồn", "Nội dung", "Số tiền (đồng)"], "fund_rows", ["r.number", "r.label", "r.amount"],
               total=["", "Tổng cộng (không kể vốn vay)", "{{ funds.total }}"], widths=[1.8, 9.7, 3.5], size=12)
    para(doc, "Ngoài ra, nguồn (2) vốn vay ưu đãi của Ngân hàng Chính sách xã hội cho hộ nghèo, cận nghèo trên địa "
              "bàn (có hoàn trả, không cộng vào tổng kinh phí): {{ funds.loan_households }} hộ được vay, số tiền giải "
              "ngân {{ funds.loan_disbursed }} đồng.")

    heading(doc, "IV. KẾT QUẢ THỰC HIỆN CÁC MỤC TIÊU (Mục III Kế hoạch)", before=6)
    partial = "{% if targets.partial %} (tính trên {{ targets.valid_units }} đơn vị có báo cáo hợp lệ){% endif %}"
    caption(doc, "Bảng 9. Tiến độ thực hiện các mục tiêu đến " + CUTOFF)
    fixed_table(doc, ["TT", "Mục tiêu", "Kết quả", "Đánh giá"], [
        ["1", "Đến cuối năm {{ period.year }} không còn hộ nghèo có thành viên là người có công",
         "{% if targets.has_data %}Còn {{ targets.no_ncc_poor.value }} hộ nghèo có người có công" + partial
         + "{% else %}Chưa có số liệu{% endif %}",
         "{% if targets.no_ncc_poor.outcome == 'met' %}Đạt{% elif targets.no_ncc_poor.outcome == 'not_met' %}Chưa "
         "đạt: còn {{ targets.no_ncc_poor.gap }} hộ{% if period.kind != 'CN' %}, tiếp tục hỗ trợ để thoát nghèo "
         "trước 31/12/{{ period.year }}{% endif %}{% else %}" + NOT_ASSESSABLE + "{% endif %}"],
        ["2", "Không để hộ có người có công tái nghèo, phát sinh nghèo",
         "{% if targets.has_data %}{{ targets.no_fallback.value }} hộ tái nghèo, phát sinh nghèo" + partial
         + "{% else %}Chưa có số liệu{% endif %}",
         "{% if targets.no_fallback.outcome == 'met' %}Đạt{% elif targets.no_fallback.outcome == 'not_met' %}Không "
         "đạt: {{ targets.no_fallback.gap }} hộ tái nghèo, phát sinh nghèo{% else %}" + NOT_ASSESSABLE
         + "{% endif %}"],
        ["3", "100% hộ nghèo có người có công được tiếp cận y tế, giáo dục, nhà ở, nước sạch và vệ sinh, thông tin",
         "{% if not targets.has_data %}Chưa có số liệu{% elif targets.access.dimensions %}Còn thiếu hụt: "
         "{{ targets.access.dimensions }}" + partial + "{% else %}Không còn hộ thiếu hụt các chiều này" + partial
         + "{% endif %}",
         "{% if targets.access.outcome == 'met' %}Đạt{% elif targets.access.outcome == 'not_met' %}Chưa đạt: còn "
         "thiếu hụt {{ targets.access.dimensions }}{% else %}" + NOT_ASSESSABLE + "{% endif %}"],
    ], widths=[1.2, 6.3, 4.5, 4.0])
    year_comparison(doc)

    heading(doc, "V. ĐÁNH GIÁ CHUNG", before=6)
    heading(doc, "1. Kết quả đạt được")
    when(doc, "targets.no_ncc_poor.outcome == 'met'", "- Không còn hộ nghèo có thành viên là người có công với cách "
         "mạng (mục tiêu 1 của Kế hoạch đạt).")
    when(doc, "district.change.ncc_poor.change == 'down'", "- Số hộ nghèo có thành viên là người có công giảm "
         "{{ district.change.ncc_poor.amount }} hộ so với " + BASELINE + ".")
    when(doc, "targets.no_fallback.outcome == 'met'", "- Không có hộ có người có công tái nghèo, phát sinh nghèo "
         "(mục tiêu 2 của Kế hoạch đạt).")
    when(doc, "targets.access.outcome == 'met'", "- Hộ nghèo có người có công không còn thiếu hụt y tế, giáo dục, "
         "nhà ở, nước sạch và vệ sinh, thông tin (mục tiêu 3 của Kế hoạch đạt).")
    when(doc, "activities.outreach", "- Tổ chức {{ activities.outreach_sessions }} buổi tuyên truyền, vận động với "
         "{{ activities.outreach_participants }} lượt người tham dự.")
    when(doc, "supports.any", "- Các chính sách hỗ trợ được triển khai đến hộ có người có công (chi tiết tại "
         "Bảng 4).")
    when(doc, "funds.any", "- Huy động {{ funds.total }} đồng cho công tác giảm nghèo (không kể vốn vay).")
    placeholder(doc, "kết quả nổi bật khác.")
    heading(doc, "2. Tồn tại, hạn chế")
    when(doc, "targets.no_ncc_poor.outcome == 'not_met'", "- Còn {{ targets.no_ncc_poor.gap }} hộ nghèo có thành "
         "viên là người có công{% if district.ncc_units %} ({{ district.ncc_units }}){% endif %}, chưa đạt mục tiêu "
         "không còn hộ nghèo có người có công đến cuối năm {{ period.year }}{% if district.change.ncc_poor.change == "
         "'same' %}; số hộ không thay đổi so với " + BASELINE + "{% elif district.change.ncc_poor.change == 'up' %}"
         "; số hộ tăng {{ district.change.ncc_poor.amount }} hộ so với " + BASELINE + "{% endif %}.")
    when(doc, "targets.no_fallback.outcome == 'not_met'", "- Có {{ targets.no_fallback.value }} hộ có người có công "
         "tái nghèo, phát sinh nghèo, không đạt mục tiêu 2 của Kế hoạch.")
    when(doc, "targets.access.outcome == 'not_met'", "- Hộ nghèo có người có công còn thiếu hụt: "
         "{{ targets.access.dimensions }}.")
    when(doc, "not targets.assessable", "- Chưa đủ số liệu để đánh giá các mục tiêu của Kế hoạch: "
         "{% if targets.lacking %}chưa có báo cáo hợp lệ của {{ targets.lacking }}{% else %}chưa có báo cáo hợp lệ "
         "nào{% endif %}.")
    when(doc, "submissions.late", "- Báo cáo gửi trễ hạn: {{ submissions.late }}.")
    para(doc, "- Khó khăn, vướng mắc các đơn vị nêu (mỗi nội dung nêu một lần, kèm các đơn vị đã nêu; nguyên văn "
              "thuyết minh của từng đơn vị tại Phụ lục II):")
    synthesis_lines(doc, "difficulties", "không nêu khó khăn, vướng mắc")
    placeholder(doc, "nguyên nhân của tồn tại, hạn chế.")

    heading(doc, "VI. KIẾN NGHỊ, ĐỀ XUẤT", before=6)
    para(doc, "Đề xuất, kiến nghị của các đơn vị:")
    synthesis_lines(doc, "proposals", "không nêu đề xuất, kiến nghị")
    placeholder(doc, "kiến nghị của Phòng với Ủy ban nhân dân huyện.")
    closing = para(doc, "Trên đây là báo cáo kết quả thực hiện {{ period.label }} của {{ doc.issuer_short }}, kính "
                        "báo cáo {{ doc.recipient_of_report }} xem xét, chỉ đạo./.")
    closing.paragraph_format.keep_with_next = True  # the closing sentence stays on the signature's page


def synthesis_lines(doc, key, none_said):
    """The units' points of ``synthesis.<key>``: one line each, then the units that raised nothing."""
    part = "synthesis." + key
    para(doc, "{%p for line in " + part + ".points %}", indent=False)
    para(doc, "+ {{ line }}")
    para(doc, "{%p endfor %}", indent=False)
    when(doc, "not scope.has_data", "+ Chưa có báo cáo hợp lệ nào.")
    when(doc, "scope.has_data and not " + part + ".points",
         "+ Các đơn vị có báo cáo hợp lệ " + none_said + ".")
    when(doc, part + ".points and " + part + ".silent", "+ {{ " + part + ".silent }}: " + none_said + ".")


# The report's charts (pipeline/charts.py draws them; the template variable ``charts``): for each, words of the
# caption of the table it follows (not its number), its caption, the Jinja condition it is shown under, its note.
CHARTS = (
    ("Hộ nghèo, hộ cận nghèo theo đơn vị", "poverty",
     "Biểu đồ 1: Tỷ lệ hộ nghèo, hộ cận nghèo theo đơn vị tại ngày {{ period.cutoff }}", None, None),
    ("Biến động hộ có thành viên là người có công", "year",
     "Biểu đồ 2: Hộ nghèo, hộ cận nghèo có thành viên là người có công qua các kỳ báo cáo năm {{ period.year }}",
     None,
     "Số liệu tại ngày 01/01/{{ period.year }} và tại ngày cuối các kỳ báo cáo trong năm đã có số liệu: "
     "{% for p in charts.year.periods %}kỳ {{ p.label }} ({{ p.cutoff }}){% if not loop.last %}, {% endif %}"
     "{% endfor %}.{% if charts.year.missing %} Chưa có số liệu kỳ {% for p in charts.year.missing %}"
     "{{ p.label }}{% if not loop.last %}, {% endif %}{% endfor %}.{% endif %}"
     "{% if charts.year.partial %} (*) Số liệu chỉ cộng các đơn vị có báo cáo hợp lệ.{% endif %}"),
    ("thiếu hụt theo chiều", "deprivation",
     "Biểu đồ 3: Số hộ nghèo có người có công thiếu hụt theo chiều tại ngày {{ period.cutoff }} "
     "(Nghị định 07/2021/NĐ-CP)", "charts.deprivation.shown", None),
)


def _after_table(doc, caption_words):
    """The body element before which a chart goes: after the table whose caption (a "Bảng …" paragraph) holds
    ``caption_words``, its spacer and its notes shown under a condition (a paragraph starting "{% if", or a
    "{%p if %} … {%p endif %}" block); None when it is the body's last.

    Raises:
        LookupError: no such caption, or no table right after it.
    """
    body = doc.element.body
    w_p, w_tbl = qn("w:p"), qn("w:tbl")

    def text(el):
        return "".join(t.text or "" for t in el.iter(qn("w:t")))

    cap = next((el for el in body if el.tag == w_p and text(el).startswith("Bảng") and caption_words in text(el)),
               None)
    if cap is None or cap.getnext() is None or cap.getnext().tag != w_tbl:
        raise LookupError(f"table captioned «…{caption_words}…» not found")
    el, depth = cap.getnext().getnext(), 0
    while el is not None and el.tag == w_p:
        t = text(el).strip()
        if t.startswith("{%p if"):
            depth += 1
        elif t.startswith("{%p endif") and depth:
            depth -= 1
        elif not (depth or not t or t.startswith("{% if")):
            break
        el = el.getnext()
    return el


def add_charts(doc):
    """Each chart after the table it illustrates (Bảng of the units, of the movement of NCC households, of the
    deprivations by dimension): caption (kept with the image), the image, its note; a condition wraps them in
    ``{%p if %}``. Found by their captions' words, so this runs once, after the body is built.

    Raises:
        LookupError: a table the charts follow is not in the body.
    """
    places = [(_after_table(doc, words), rest) for words, *rest in CHARTS]
    for anchor, (key, text, condition, note) in places:
        block = []
        if condition:
            block.append(para(doc, "{%p if " + condition + " %}", indent=False))
        block.append(caption(doc, text))
        block.append(para(doc, "{{ charts." + key + ".image }}", align=WD_ALIGN_PARAGRAPH.CENTER, after=0))
        block.append(para(doc, note, 12, italic=True) if note else para(doc, "", after=0))
        if condition:
            block.append(para(doc, "{%p endif %}", indent=False))
        for p in block:
            if anchor is not None:
                anchor.addprevious(p._element)


# --- Annexes by unit and the household list (wording in templates/phu_luc.yaml, shared with the workbook) ---

ANNEX_WORDS = Path(__file__).resolve().parent / "phu_luc.yaml"


def _annex_words() -> dict:
    import yaml

    words = yaml.safe_load(ANNEX_WORDS.read_text(encoding="utf-8"))
    tables = {t["id"]: dict(t) for t in words["tables"]}
    for t in tables.values():
        if "same_as" in t:
            t.setdefault("header", tables[t["same_as"]]["header"])
            t.setdefault("columns", tables[t["same_as"]]["columns"])
        if "same_columns" in t:
            t["columns"] = tables[t["same_columns"]]["columns"]
    words["tables"] = tables
    return words


def _jinja_words(text: str) -> str:
    """A phu_luc.yaml text with its placeholders as template variables."""
    return (" ".join(text.split()).replace("{year}", "{{ period.year }}").replace("{cutoff}", "{{ period.cutoff }}")
            .replace("{units}", "{{ annexes.left_out }}"))


def _landscape(doc):
    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Mm(297), Mm(210)
    sec.top_margin, sec.bottom_margin = Mm(30), Mm(15)
    sec.left_margin, sec.right_margin = Mm(20), Mm(20)
    sec.different_first_page_header_footer = False
    return sec


def _annex_table(doc, words, table_id, loop, size=10):
    """One annex table of phu_luc.yaml: caption, header rows, a row per item of ``loop``, the total row (and
    the rate row of the deprivation tables) when the context has them."""
    spec = words["tables"][table_id]
    if table_id != "households":  # the household list's title is its annex's heading
        caption(doc, _jinja_words(spec["title"]))
    header = [[(text, span) for text, span in row] for row in spec["header"]]
    keys = [c["key"] for c in spec["columns"]]
    total = None
    if table_id != "households":
        var = f"annexes.{table_id}"
        total = ["", "{% if annexes.left_out %}" + words["total_partial"] + "{% else %}" + words["total"]
                 + "{% endif %}"] + ["{{ " + f"{var}.total.{k}" + " }}" for k in keys[2:]]
    widths = [float(c["width"]) for c in spec["columns"]]
    table = data_table(doc, None, loop, [f"r.{k}" for k in keys], total=total, widths=widths, size=size,
                       header_rows=header)
    body = table.rows[len(header) + 1]  # the row repeated per item: names and free text read from the left
    for j, c in enumerate(spec["columns"]):
        if c.get("align") == "left":
            body.cells[j].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.LEFT
    if table_id.startswith("deprivation"):
        row = table.add_row()
        cell_text(row.cells[1], words["rate_row"], size - 1, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
        for j, k in enumerate(keys[3:], start=3):
            cell_text(row.cells[j], "{{ " + f"annexes.{table_id}.rate.{k}" + " }}", size - 1, italic=True)
        set_widths(table, widths)
    if table_id != "households":  # a table by unit is short: kept on one page with its caption
        for row in table.rows[:-1]:
            for cell in row.cells:
                for p in cell.paragraphs:
                    p.paragraph_format.keep_with_next = True
    return table


def household_annex(doc):
    """Annex I, the list of poor and near-poor NCC households, on a landscape section rendered only when
    ``annexes.include_household_annex``: the condition opens here and closes in :func:`household_annex_end`,
    after the paragraph that ends this section, so that a copy without it has no empty page."""
    words = _annex_words()
    _landscape(doc)
    para(doc, "{%p if annexes.include_household_annex %}", indent=False)
    annex = words["annexes"]["households"]
    annex_heading(doc, annex["label"], annex["title"])
    _annex_table(doc, words, "households", "annexes.households")
    para(doc, "{% if not annexes.households %}{% if annexes.left_out %}"
         + _jinja_words(words["empty_households_partial"]) + "{% else %}" + _jinja_words(words["empty_households"])
         + "{% endif %}{% endif %}", 12, italic=True)


def household_annex_end(doc):
    """The end of annex I's condition (first paragraph of the next section), and the line saying annex I is
    left out of this copy."""
    words = _annex_words()
    para(doc, "{%p endif %}", indent=False)
    para(doc, "{%p if not annexes.include_household_annex %}", indent=False)
    para(doc, words["annexes"]["households"]["note"], 12, italic=True, indent=False)
    para(doc, "{%p endif %}", indent=False)


def statistical_annexes(doc):
    """Annex IV (figures by unit, Biểu 1a/1b) and annex V (movement and deprivations of NCC households by
    unit, Biểu 2a/2b/3a/3b), each on a landscape section."""
    words = _annex_words()
    for annex_id in ("units", "analysis"):
        _landscape(doc)
        annex = words["annexes"][annex_id]
        annex_heading(doc, annex["label"], annex["title"])
        for table_id, spec in words["tables"].items():
            if spec["annex"] == annex_id:
                _annex_table(doc, words, table_id, f"annexes.{table_id}.rows")
        para(doc, "{% if annexes.left_out %}" + _jinja_words(words["partial_note"]) + "{% endif %}", 12,
             italic=True)


TIMELINESS_STATUS = (
    "{% if r.status == 'on_time' %}Đúng hạn{% elif r.status == 'on_time_corrected' %}Đúng hạn (có bổ sung, sửa "
    "đổi){% elif r.status == 'late' %}Trễ hạn{% elif r.status == 'missing' %}Chưa nhận{% else %}Chưa gửi (không "
    "bắt buộc){% endif %}"
)
TIMELINESS_RULE = (
    "{% if r.rule == 'first_on_time' %}Phiên bản đầu tiên nhận trước hạn{% elif r.rule == "
    "'corrected_before_deadline' %}Bản bổ sung, sửa đổi cũng nhận trước hạn{% elif r.rule == "
    "'corrected_within_grace' %}Phiên bản đầu tiên nhận trước hạn; bản bổ sung, sửa đổi nhận trong "
    "{{ r.grace_days }} ngày sau hạn{% elif r.rule == 'corrected_after_grace' %}Bản bổ sung, sửa đổi nhận sau "
    "{{ r.grace_days }} ngày kể từ hạn{% elif r.rule == 'first_late' %}Phiên bản đầu tiên nhận sau hạn"
    "{% elif r.rule == 'after_lock' %}Nhận sau ngày khóa sổ, chưa được mở lại{% elif r.rule == 'no_file' %}"
    "Đơn vị phải báo cáo, chưa gửi{% else %}Đơn vị được đề nghị báo cáo, không tính là thiếu{% endif %}"
)


def add_timeliness(doc):
    """The reporting rates of this period and of the year so far (two sentences and Bảng 7a), right after the
    receipt table, from the context variable ``timeliness`` (pipeline.timeliness.report_context); wording
    chosen by its codes ``status`` and ``rule``. Built at the end of the body, then moved into place.

    Raises:
        LookupError: the receipt table is not in the body.
    """
    anchor = _after_table(doc, "Tình hình tiếp nhận báo cáo")
    body = doc.element.body
    before = list(body)
    para(doc, "{% if timeliness.available %}Kỳ này có {{ timeliness.totals.expected }} đơn vị phải báo cáo: đã nhận "
              "{{ timeliness.totals.received }} báo cáo (tỷ lệ {{ timeliness.totals.received_rate }}), đúng hạn "
              "{{ timeliness.totals.on_time }} (tỷ lệ {{ timeliness.totals.on_time_rate }}), hợp lệ "
              "{{ timeliness.totals.valid }} (tỷ lệ {{ timeliness.totals.valid_rate }}). Lũy kế năm "
              "{{ timeliness.year }} ({{ timeliness.period_count }} kỳ: {{ timeliness.periods }}): phải báo cáo "
              "{{ timeliness.year_totals.expected }} lượt, đã nhận {{ timeliness.year_totals.received }} (tỷ lệ "
              "{{ timeliness.year_totals.received_rate }}), đúng hạn {{ timeliness.year_totals.on_time }} (tỷ lệ "
              "{{ timeliness.year_totals.on_time_rate }}), hợp lệ {{ timeliness.year_totals.valid }} (tỷ lệ "
              "{{ timeliness.year_totals.valid_rate }}).{% endif %}")
    para(doc, "{% if timeliness.available %}Báo cáo được tính đúng hạn khi nhận trước {{ timeliness.deadline }}"
              "{% if timeliness.deadline_moved %} (hạn theo kế hoạch {{ timeliness.scheduled_deadline }} rơi vào "
              "ngày nghỉ nên được chuyển sang ngày làm việc tiếp theo){% endif %}; đơn vị có phiên bản đầu tiên "
              "nhận trước hạn và bản bổ sung, sửa đổi hợp lệ nhận trong {{ timeliness.grace_days }} ngày sau hạn "
              "được tính đúng hạn (có bổ sung, sửa đổi).{% if timeliness.lock %} Kỳ báo cáo khóa sổ lúc "
              "{{ timeliness.lock_at }}; tệp nhận sau đó chỉ được dùng khi Phòng mở lại kỳ báo cáo cho đơn vị."
              "{% endif %}{% endif %}")
    caption(doc, "Bảng 7a. Thời hạn báo cáo kỳ này và tỷ lệ báo cáo năm {{ timeliness.year }} của các đơn vị")
    table = data_table(
        doc, None, "timeliness.rows",
        ["r.no", "r.name", TIMELINESS_STATUS, TIMELINESS_RULE, "r.expected", "r.received", "r.on_time", "r.valid",
         "r.on_time_rate"],
        total=["", "Toàn huyện", "", "", "{{ timeliness.year_totals.expected }}",
               "{{ timeliness.year_totals.received }}", "{{ timeliness.year_totals.on_time }}",
               "{{ timeliness.year_totals.valid }}", "{{ timeliness.year_totals.on_time_rate }}"],
        header_rows=[
            [("TT", 1), ("Đơn vị", 1), ("Kỳ này", 2), ("Năm {{ timeliness.year }} (đến kỳ này)", 5)],
            [("", 1), ("", 1), ("Thời hạn", 1), ("Căn cứ", 1), ("Phải báo cáo", 1), ("Đã nhận", 1),
             ("Đúng hạn", 1), ("Hợp lệ", 1), ("Tỷ lệ đúng hạn", 1)],
        ],
        widths=[0.9, 3.0, 2.1, 3.2, 1.4, 1.3, 1.4, 1.3, 1.9], size=10,
    )
    table.rows[3].cells[3].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.LEFT  # the rule's words, in the row looped
    for el in [el for el in body if not any(el is b for b in before)]:
        if anchor is not None:
            anchor.addprevious(el)


# --- The year's movement, the periods compared and each NCC household's trajectory -------------------------
# Context variable ``movement`` (pipeline.movement.context, templates/README.md).
POOR_TERMS = (
    ("Số hộ tại ngày 01/01/{{ period.year }}", "baseline"),
    ("Giảm do thoát nghèo lên cận nghèo", "escaped_to_near_poor"),
    ("Giảm do thoát nghèo vượt chuẩn cận nghèo", "escaped_above"),
    ("Giảm khác (chuyển đi, hộ không còn, nhập hộ)", "other_decrease"),
    ("Tăng do từ cận nghèo xuống nghèo", "from_near_poor"),
    ("Tăng do tái nghèo", "fell_back"),
    ("Tăng do phát sinh nghèo", "new"),
    ("Tăng khác (chuyển đến, tách hộ)", "other_increase"),
)
NEAR_POOR_TERMS = (
    ("Số hộ tại ngày 01/01/{{ period.year }}", "baseline"),
    ("Giảm do thoát cận nghèo", "escaped"),
    ("Giảm do xuống hộ nghèo", "fell_to_poor"),
    ("Giảm khác (chuyển đi, hộ không còn, nhập hộ)", "other_decrease"),
    ("Tăng do thoát nghèo lên cận nghèo", "from_poor"),
    ("Tăng do tái cận nghèo", "fell_back"),
    ("Tăng do phát sinh cận nghèo", "new"),
    ("Tăng khác (chuyển đến, tách hộ)", "other_increase"),
)
COMPARED = (
    ("Hộ nghèo có thành viên là người có công (hộ)", "poor_households"),
    ("Nhân khẩu của hộ nghèo có người có công (người)", "poor_persons"),
    ("Hộ cận nghèo có thành viên là người có công (hộ)", "near_poor_households"),
    ("Nhân khẩu của hộ cận nghèo có người có công (người)", "near_poor_persons"),
    ("Hộ có người có công thoát nghèo, lũy kế từ 01/01 (hộ)", "escaped_poverty"),
    ("Hộ có người có công tái nghèo, phát sinh nghèo, lũy kế từ 01/01 (hộ)", "fell_back_or_new"),
    ("Kinh phí huy động các nguồn (1), (3), (4), (5), lũy kế từ 01/01 (đồng)", "funds_total_vnd"),
)
TARGETS_OVER_PERIODS = (
    ("Không còn hộ nghèo có thành viên là người có công vào cuối năm (số hộ nghèo có người có công)",
     "no_ncc_poor"),
    ("Không có hộ có người có công tái nghèo, phát sinh nghèo (số hộ)", "no_fallback"),
    ("100% hộ nghèo có người có công tiếp cận y tế, giáo dục, nhà ở, nước sạch và vệ sinh, thông tin "
     "(số chiều còn thiếu hụt)", "access"),
)
PERIOD_HEADERS = (("6 tháng", 1), ("9 tháng", 1), ("Ước thực hiện cả năm", 1))


def movement_table(doc, header_rows, rows, widths, size=12, bold_rows=()):
    """A bordered table with fixed rows (no loop): ``header_rows`` as in :func:`data_table`, then ``rows``,
    each a list of cell texts (Jinja included); the second column is left-aligned."""
    table = doc.add_table(rows=0, cols=len(widths))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for spec in header_rows:
        row = table.add_row()
        col = 0
        for text, span in spec:
            c = row.cells[col]
            if span > 1:
                c = c.merge(row.cells[col + span - 1])
            cell_text(c, text, size, bold=True)
            col += span
    for i, cells in enumerate(rows):
        row = table.add_row()
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for j, text in enumerate(cells):
            align = WD_ALIGN_PARAGRAPH.LEFT if j == 1 else WD_ALIGN_PARAGRAPH.CENTER
            cell_text(row.cells[j], text, size, bold=i in bold_rows, align=align)
    set_widths(table, widths)
    para(doc, "", after=0)
    return table


def movement_note(doc):
    """Part I.1 of the annual report, after the figures at the cut-off: they are estimates for the full year.

    (Not right under the introduction: a paragraph tag there would hide a broken ``{{ intro }`` from the
    template check, docxtpl joining the two paragraphs.)"""
    para(doc, "{%p if movement.annual %}", indent=False)
    para(doc, "Báo cáo năm được lập trước kỳ rà soát hộ nghèo, hộ cận nghèo hằng năm nên số liệu trong báo cáo là "
              "số ước thực hiện cả năm {{ period.year }} (số liệu đến ngày {{ period.cutoff }}); số liệu chính thức "
              "theo kết quả rà soát cuối năm.", italic=True)
    para(doc, "{%p endif %}", indent=False)


def movement_tables(doc):
    """Part I.2: the year's movement identity of poor, then near-poor NCC households (households, persons)."""
    for no, name, title, terms in (("3a", "poor", "hộ nghèo", POOR_TERMS),
                                   ("3b", "near_poor", "hộ cận nghèo", NEAR_POOR_TERMS)):
        caption(doc, f"Bảng {no}. Biến động {title} có thành viên là người có công từ 01/01 đến "
                     "{{ period.cutoff }}{% if movement.annual %} (ước thực hiện cả năm){% endif %}")
        rows = [[str(i), label, f"{{{{ movement.{name}.households.{key} }}}}",
                 f"{{{{ movement.{name}.persons.{key} }}}}"] for i, (label, key) in enumerate(terms, start=1)]
        formula = " − ".join(["(1)"] + [f"({i})" for i in range(2, 5)]) + " + " + " + ".join(
            f"({i})" for i in range(5, 9))
        rows.append([str(len(terms) + 1), f"Số hộ tại ngày {{{{ period.cutoff }}}} = {formula}",
                     f"{{{{ movement.{name}.households.now }}}}", f"{{{{ movement.{name}.persons.now }}}}"])
        movement_table(doc, [[("TT", 1), ("Chỉ tiêu", 1), ("Số hộ", 1), ("Số nhân khẩu", 1)]], rows,
                    [1.2, 9.8, 2.0, 2.5], bold_rows=(0, len(rows) - 1))
    para(doc, "{%p if movement.unbalanced_units %}", indent=False)
    para(doc, "Lưu ý: số liệu biến động của {{ movement.unbalanced_units|join(', ') }} chưa cân đối (số đầu năm, "
              "tăng, giảm không khớp số tại ngày chốt); đề nghị đơn vị rà soát lại danh sách hộ.", 12, italic=True)
    para(doc, "{%p endif %}", indent=False)


def _assessed(ref):
    return (f"{{{{ {ref}.value }}}}{{% if {ref}.known %}} ({{% if {ref}.met is none %}}chưa đủ số liệu để đánh "
            f"giá{{% elif {ref}.met %}}đạt{{% else %}}chưa đạt{{% endif %}}){{% endif %}}")


def year_comparison(doc):
    """After table 9 (the targets), annual report only: 6-month, 9-month and annual figures compared, and the
    targets per period."""
    para(doc, "{%p if movement.annual %}", indent=False)
    caption(doc, "Bảng 9a. So sánh kết quả 6 tháng, 9 tháng và ước thực hiện cả năm {{ period.year }}")
    rows = [[str(i), label, f"{{{{ movement.compare.{key}[0] }}}}",
             *(f"{{{{ movement.compare.{key}[{j}] }}}}" for j in (1, 2, 3))]
            for i, (label, key) in enumerate(COMPARED, start=1)]
    movement_table(doc, [[("TT", 1), ("Chỉ tiêu", 1), ("01/01/{{ period.year }}", 1), *PERIOD_HEADERS]], rows,
                [0.9, 4.9, 2.2, 2.6, 2.6, 2.8], size=11)
    caption(doc, "Bảng 9b. Tiến độ các mục tiêu của Kế hoạch qua các kỳ báo cáo năm {{ period.year }}")
    rows = [[str(i), label, *(_assessed(f"movement.targets.{key}[{j}]") for j in (0, 1, 2))]
            for i, (label, key) in enumerate(TARGETS_OVER_PERIODS, start=1)]
    movement_table(doc, [[("TT", 1), ("Mục tiêu (kết quả đo bằng)", 1), *PERIOD_HEADERS]], rows,
                [1.0, 6.5, 2.7, 2.7, 3.1], size=11)
    para(doc, "{%p endif %}", indent=False)


def trajectory_annex(doc):
    """Annual report only: each NCC household's status, deprivations, supports and decisions through the year's
    periods (a landscape annex, the last section; absent from the 6- and 9-month reports)."""
    para(doc, "{%p if movement.annual %}", indent=False)
    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Mm(297), Mm(210)
    sec.top_margin, sec.bottom_margin = Mm(30), Mm(15)
    sec.left_margin, sec.right_margin = Mm(20), Mm(20)
    annex_heading(doc, "Phụ lục VI", "DIỄN BIẾN CỦA TỪNG HỘ CÓ THÀNH VIÊN LÀ NGƯỜI CÓ CÔNG QUA CÁC KỲ BÁO CÁO "
                                     "NĂM {{ period.year }}")
    decisions = ("{% for d in r.decisions %}{{ d.kind }} (kỳ {{ d.period }}): Quyết định số {{ d.number }} ngày "
                 "{{ d.date }}{% if not loop.last %}; {% endif %}{% endfor %}")
    size = 10
    table = doc.add_table(rows=0, cols=11)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    headers = [[("TT", 1), ("Đơn vị", 1), ("Mã hộ", 1), ("Chủ hộ", 1), ("Phân loại", 4),
                ("Số chỉ số thiếu hụt (6 tháng / 9 tháng / cả năm)", 1), ("Hỗ trợ đã nhận (lũy kế)", 1),
                ("Quyết định của UBND xã về thay đổi phân loại", 1)],
               [("", 1), ("", 1), ("", 1), ("", 1), ("01/01", 1), ("6 tháng", 1), ("9 tháng", 1),
                ("Ước cả năm", 1), ("", 1), ("", 1), ("", 1)]]
    for spec in headers:
        row = table.add_row()
        col = 0
        for text, span in spec:
            c = row.cells[col]
            if span > 1:
                c = c.merge(row.cells[col + span - 1])
            cell_text(c, text, size, bold=True)
            col += span
    top, bottom = table.rows[0], table.rows[1]
    for j in range(11):
        if bottom.cells[j].text == "" and top.cells[j].text:
            text = top.cells[j].text
            merged = top.cells[j].merge(bottom.cells[j])
            for extra in merged.paragraphs[1:]:
                extra._element.getparent().remove(extra._element)
            cell_text(merged, text, size, bold=True)
    for row in table.rows:
        head = OxmlElement("w:tblHeader")
        head.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(head)
    cell_text(table.add_row().cells[0], "{%tr for r in movement.trajectory %}", size)
    body = table.add_row()
    body._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    cells = ["{{ r.no }}", "{{ r.unit_name }}", "{{ r.household_code }}", "{{ r.head_name }}", "{{ r.baseline }}",
             "{{ r.statuses[0] }}", "{{ r.statuses[1] }}", "{{ r.statuses[2] }}", "{{ r.deprived }}",
             "{{ r.supports }}", decisions]
    for j, text in enumerate(cells):
        align = WD_ALIGN_PARAGRAPH.LEFT if j in (1, 3, 9, 10) else WD_ALIGN_PARAGRAPH.CENTER
        cell_text(body.cells[j], text, size, align=align)
    cell_text(table.add_row().cells[0], "{%tr endfor %}", size)
    set_widths(table, [1.0, 2.2, 2.3, 3.0, 1.7, 1.7, 1.7, 1.9, 2.2, 3.4, 4.6])
    para(doc, "", after=0)
    para(doc, "{% if not movement.has_trajectory %}Không có hộ có thành viên là người có công trong danh sách của "
              "các đơn vị có báo cáo hợp lệ.{% endif %}", 12, italic=True)
    para(doc, "Phân loại theo báo cáo hợp lệ của đơn vị tại mỗi kỳ (“-”: kỳ đó đơn vị chưa có báo cáo hợp lệ "
              "hoặc hộ chưa có trong danh sách); số liệu kỳ báo cáo năm là số ước thực hiện cả năm.", 12, italic=True)
    para(doc, "{%p endif %}", indent=False)


def build(out: Path = OUT) -> Path:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(14)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(20), Mm(20)
    sec.left_margin, sec.right_margin = Mm(30), Mm(15)
    sec.header_distance = Mm(10)
    sec.different_first_page_header_footer = True
    hp = sec.header.paragraphs[0]
    hp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        run = _font(hp.add_run(), 13)
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._element.append(fld)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._element.append(instr)

    # Header: two borderless columns (issuing body | national title).
    head = doc.add_table(rows=1, cols=2)
    _no_borders(head)
    set_widths(head, [7.0, 9.5])
    left, right = head.rows[0].cells
    cell_text(left, "{{ doc.issuer_parent }}", 13)
    para(left, "{{ doc.issuer }}", 13, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    rule(left, 2)
    para(left, "Số: {{ doc.number }}{{ doc.number_suffix }}", 13, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    cell_text(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12, bold=True)
    para(right, "Độc lập - Tự do - Hạnh phúc", 13, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=2)
    rule(right, 2.6)
    para(right, "{{ doc.dateline }}", 14, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)

    para(doc, "BÁO CÁO", 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, before=18, after=0)
    para(doc, "{{ doc.summary_line }}", 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    rule(doc, 6.5)
    report_body(doc)

    # "Nơi nhận" and signature block: a borderless two-column table, never split across pages.
    sign = doc.add_table(rows=1, cols=2)
    _no_borders(sign)
    row_props = sign.rows[0]._tr.get_or_add_trPr()
    row_props.append(OxmlElement("w:cantSplit"))
    set_widths(sign, [8.5, 8.0])
    left, right = sign.rows[0].cells
    cell_text(left, "Nơi nhận:", 12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    para(left, "{%p for line in doc.recipients %}", 11, indent=False, after=0)
    para(left, "- {{ line }};", 11, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT, after=0)
    para(left, "{%p endfor %}", 11, indent=False, after=0)
    para(left, "- {{ doc.archive }}", 11, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT, after=0)
    cell_text(right, "{{ doc.signer_authority }}", 13, bold=True)
    para(right, "{{ doc.signer_title }}", 13, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=72)
    para(right, "{{ doc.signer_name }}", 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)

    # Annex I: the list of NCC households (personal data: only here, Decree 13/2023/NĐ-CP), optional.
    household_annex(doc)

    # Annex II: each unit's own texts, verbatim (line breaks kept), as part IV synthesises them.
    text_sec = doc.add_section(WD_SECTION.NEW_PAGE)
    text_sec.orientation = WD_ORIENT.PORTRAIT
    text_sec.page_width, text_sec.page_height = Mm(210), Mm(297)
    text_sec.top_margin, text_sec.bottom_margin = Mm(20), Mm(20)
    text_sec.left_margin, text_sec.right_margin = Mm(30), Mm(15)
    household_annex_end(doc)
    annex_heading(doc, "Phụ lục II", "THUYẾT MINH CỦA CÁC ĐƠN VỊ (NGUYÊN VĂN)")
    para(doc, "{%p for n in narratives %}", indent=False)
    para(doc, "{{ n.no }}. {{ n.unit_name }}", bold=True, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)
    para(doc, "- Kết quả: {% if n.results %}{{ n.results }}{% else %}(không có){% endif %}",
         align=WD_ALIGN_PARAGRAPH.LEFT)
    para(doc, "- Khó khăn, vướng mắc: {% if n.difficulties %}{{ n.difficulties }}{% else %}(không có){% endif %}",
         align=WD_ALIGN_PARAGRAPH.LEFT)
    para(doc, "- Đề xuất, kiến nghị: {% if n.proposals %}{{ n.proposals }}{% else %}(không có){% endif %}",
         align=WD_ALIGN_PARAGRAPH.LEFT)
    para(doc, "{%p endfor %}", indent=False)
    para(doc, "{% if not narratives %}Chưa có báo cáo hợp lệ nào.{% endif %}", 12, italic=True)

    # Annex III: where the figures come from (file as sent, version, arrival, SHA-256 of the archived copy).
    src_sec = doc.add_section(WD_SECTION.NEW_PAGE)
    src_sec.orientation = WD_ORIENT.LANDSCAPE
    src_sec.page_width, src_sec.page_height = Mm(297), Mm(210)
    src_sec.top_margin, src_sec.bottom_margin = Mm(30), Mm(15)
    src_sec.left_margin, src_sec.right_margin = Mm(20), Mm(20)
    annex_heading(doc, "Phụ lục III", "NGUỒN SỐ LIỆU")
    data_table(doc, ["TT", "Đơn vị", "Tệp số liệu", "Phiên bản", "Thời điểm nhận", "Thời hạn", "Mã SHA-256",
                     "Ghi chú"], "sources",
               ["r.no", "r.name", "r.file", "r.version", "r.received_at", ON_TIME, "r.sha256",
                "{% if r.checked %}{{ r.errors }} lỗi, {{ r.warnings }} cảnh báo{% else %}chưa kiểm tra được (lỗi "
                "hệ thống){% endif %}{% if r.newer_version %}; phiên bản {{ r.newer_version }} gửi sau "
                "{% if r.newer_errors %}có {{ r.newer_errors }} lỗi{% else %}chưa kiểm tra được (lỗi hệ thống)"
                "{% endif %}, chưa dùng{% endif %}"],
               widths=[1.0, 3.2, 4.2, 1.6, 2.6, 2.0, 7.5, 3.6], size=11)
    para(doc, "{% if not sources %}Chưa nhận tệp số liệu nào.{% endif %}", 12, italic=True)
    para(doc, "Mã SHA-256 là mã băm của bản lưu trữ tệp số liệu đơn vị gửi; thời điểm nhận theo giờ Việt Nam "
              "(UTC+7).", 12, italic=True)
    add_charts(doc)
    # Annexes IV and V: figures, movement and deprivations by unit (templates/phu_luc.yaml).
    statistical_annexes(doc)
    add_timeliness(doc)
    trajectory_annex(doc)
    # the template's own properties name no tool; the rendered report gets its own (pipeline.render)
    props = doc.core_properties
    props.author, props.comments, props.last_modified_by, props.title = "", "", "", ""
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(out)
    return out


if __name__ == "__main__":
    print(build())
