"""Write docs/submission-format.md from the workbook contract (pipeline/schema.py) and config/*.yaml.

Run: ``python docs/build_submission_format.py`` after changing the schema or the reference lists.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import schema
from pipeline.config import load_config

OUT = Path(__file__).resolve().parent / "submission-format.md"


def _yes(f: schema.Field) -> str:
    return "yes" if f.required else ""


def build() -> str:
    c = load_config()
    ref = c.reference
    out: list[str] = []
    w = out.append
    w("# Định dạng tệp báo cáo của đơn vị (submission workbook)\n")
    w("The workbook a commune or township fills in for each reporting period. Blank template: "
      "`templates/mau_bao_cao_don_vi.xlsx` (made by `python -m pipeline template`), with drop-down lists and "
      "numeric ranges (Excel data validation) on the coded and numeric cells. Headers are in Vietnamese; each "
      "maps to a stable English key used by the pipeline (`pipeline/schema.py`). Header and label matching "
      "ignores case, extra spaces, line breaks and Unicode normalisation (NFC). Any file name is accepted: the "
      "unit is identified by the code typed in the sheet *Thông tin chung*, and the unit name typed there must "
      "match it.\n")
    w("Household counts are as at the data cut-off date (column *Tại ngày chốt số liệu*) and as at 1 January "
      "(column *Tại ngày 01/01*, the result of the previous year's review). Activities, funds and supports are "
      "cumulative from 1 January to the cut-off.\n")
    w("| period | code | cut-off | due before 00:00 of |\n|---|---|---|---|")
    for k, v in c.period_kinds.items():
        co, dl = v["cutoff"].split("-"), v["deadline"].split("-")
        w(f"| {v['label']} | `YYYY-{k}` | {co[1]}/{co[0]} | {dl[1]}/{dl[0]} |")
    w(f"\n## Sheet 1 — `{schema.SHEET_GENERAL}` (label in column A, value in column B)\n")
    w("| label (column A) | key | kind | required | note |\n|---|---|---|---|---|")
    for f in schema.GENERAL_FIELDS:
        w(f"| {f.header} | `{f.key}` | {f.kind} | {_yes(f)} | {f.note} |")
    w(f"\n## Sheet 2 — `{schema.SHEET_SUMMARY}` (one row per indicator; headers on row {schema.SUMMARY_HEADER_ROW})\n")
    w("Columns: " + ", ".join(f"*{f.header}* (`{f.key}`{', required' if f.required else ''})"
                             for f in schema.SUMMARY_COLUMNS)
      + ". Every indicator row is required; *Tại ngày 01/01* is required on the rows that have a 1 January "
        "value. Write 0, not a blank, when there is nothing to report.\n")
    w("| indicator (column *Chỉ tiêu*) | key | unit | values | may not exceed |\n|---|---|---|---|---|")
    for i in schema.SUMMARY_INDICATORS:
        vals = "01/01 and cut-off" if i.timing == "both" else "cumulative from 01/01 (column E only)"
        w(f"| {i.label} | `{i.key}` | {i.unit} | {vals} | {('`' + i.parent + '`') if i.parent else ''} |")
    w("\nFunding sources follow section V of the plan: (1) national target programmes, (3) contributions of "
      "agencies, enterprises and individuals, (4) the \"Đền ơn đáp nghĩa\" and \"Vì người nghèo\" funds, "
      "(5) sponsors. Source (2), preferential loans (NHCSXH), is repayable and recorded apart (households, amount "
      "disbursed).\n")
    w(f"## Sheet 3 — `{schema.SHEET_ROSTER}` (one row per household; headers on row {schema.ROSTER_HEADER_ROW})\n")
    w("Every household with a member who is a person with meritorious service or such a person's relative "
      "(Ordinance 02/2020/UBTVQH14, Art. 3) that was poor or near-poor on 1 January or is now. Flags: `x` = yes, "
      "blank = no (also accepted: X, ✓, 1, có). Dates: dd/mm/yyyy. Amounts in đồng (\"1.500.000\" accepted). "
      "A blank *Loại biến động* is read as *Không thay đổi* (and is an error if the statuses differ). "
      "A household stays in the list all year: one that moved away, died out or merged into another household "
      "keeps its row with *Không có trên địa bàn* as its status at the cut-off and *Chuyển đi*, *Hộ không còn "
      "(chết)* or *Nhập hộ* as its kind of change; one that moved in or split off since 1 January has *Không có "
      "trên địa bàn* on 1 January and *Chuyển đến* or *Tách hộ*. The commune decision behind every change goes in "
      "*Số quyết định của UBND xã* and *Ngày quyết định* (see `docs/movement.md`).\n")
    w("| header | key | kind | required |\n|---|---|---|---|")
    for f in schema.ROSTER_FIELDS:
        unit = f" ({f.unit})" if f.unit else ""
        w(f"| {f.header} | `{f.key}` | {f.kind}{unit} | {_yes(f)} |")
    w(f"\n## Sheet 4 — `{schema.SHEET_MEMBERS}` (one row per NCC member; headers on row {schema.MEMBERS_HEADER_ROW})\n")
    w("A household can have several members who are people with meritorious service or their relatives; each is "
      "one row here, linked by household code. A household's rows must number its *Số thành viên là NCC hoặc "
      "thân nhân*. Workbooks made from the first template, without this sheet, are still read.\n")
    w("| header | key | kind | required | note |\n|---|---|---|---|---|")
    for f in schema.MEMBER_FIELDS:
        w(f"| {f.header} | `{f.key}` | {f.kind} | {_yes(f)} | {f.note} |")
    w("\nRelations: " + ", ".join(schema.RELATIONS) + ".\n")
    w("Allowed values (`config/reference.yaml`; the label or the code may be typed):\n")
    w("- statuses: " + "; ".join(f"{s['label']} (`{s['code']}`)" for s in ref["statuses"]))
    w("- kinds of change (a change other than *Không thay đổi* needs the commune decision's number and date): "
      + "; ".join(f"{s['label']} (`{s['code']}`)" for s in ref["change_kinds"]))
    w("- NCC categories: " + "; ".join(f"`{s['code']}` {s['label']}" for s in ref["ncc_categories"]))
    w("- deprivation indicators (Decree 07/2021/NĐ-CP, Art. 3): "
      + "; ".join(f"{i['code']} {i['label']}" for i in ref["indicators"]))
    w(f"\n## Sheet 5 — `{schema.SHEET_NARRATIVE}` (label in column A, text in column B; line breaks are kept)\n")
    for f in schema.NARRATIVE_FIELDS:
        w(f"- {f.header} (`{f.key}`)")
    w("\nFree text is optional; a blank section only warns.")
    w("\n## Layout\n")
    w("Read as Excel shows it. A merge inside the data rows (a village or a status merged over several "
      "households) gives its value to every row it covers; a finding on it is placed once, on the merge's "
      "top-left cell, which holds the value. Hidden rows and columns are read like the others: a finding on one "
      "says it is hidden and how to unhide it, and hidden roster or member rows holding data give one warning "
      "(an old line hidden instead of deleted would be counted). Only rows up to the last one holding a value "
      "are read: borders or formats drawn far below the table cost nothing.")
    w("\n## Validation\n")
    w("Required means required: a blank required field (column *required* above) is an error (lỗi) that "
      "names the field and how to fix it — a blank *Kỳ báo cáo* never passes as any period. "
      "Suites in `expectations/`, one per sheet, plus `reconciliation` (the summary's NCC households and persons "
      "at both dates equal the roster's counts; and the year's movement: for poor, then near-poor NCC "
      "households, in households and persons, 1 January minus the decreases plus the increases by kind of change "
      "equals the count by status at the cut-off, `docs/movement.md`), `continuity` (a household of the unit's "
      "accepted submission of an earlier period of the same year may not vanish) and `outliers` (a unit total "
      "moving more than `validation.outliers.max_change_pct` from the previous period warns until district staff "
      "accept it with a justification: `python -m pipeline accept-outlier`). Severity `critical` is an error "
      "(lỗi) that blocks the unit's data; `warning` is reported only (cảnh báo) — among them the comparison of each "
      "household's recognised status with Decree 07/2021/NĐ-CP (income against the unit's urban/rural line, "
      "3 or more of 12 deprivations for poor), since the commune's decision is the legal fact. "
      "Check a file: `python -m pipeline validate FILE [--period 2023-6T]`.")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    OUT.write_text(build(), encoding="utf-8")
    print(OUT)
