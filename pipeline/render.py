"""Render the periodic report (.docx) from the aggregates: build the template context, render, audit, publish.

The only writer of reports. Rendering uses docxtpl with Jinja autoescape on and undefined variables as
errors; every figure is formatted here with :mod:`pipeline.fmt` (Babel ``vi``, half-up).

Text is data, never template: whatever a commune typed (braces, Jinja syntax, XML special characters, things
that look like formulas) and the names of its files are context values, rendered once as escaped text and
never parsed as a template, so they show literally. The template's own tags are checked before rendering
(:func:`check_template`); the rendered report is never searched for tag characters. The output path is a
pure function of the period: ``reports/<year>/<6T|9T|CN>/bao-cao-<period>.docx``; a rerun overwrites it,
atomically and owner-only (its annex lists households by name, Decree 13/2023/NĐ-CP), see
:mod:`pipeline.publish`.

The plan's targets are assessed ("Đạt" / "Chưa đạt") only when every required unit has a valid version;
otherwise each says "Chưa đủ số liệu để đánh giá" and names the units lacking one.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from pipeline import fmt
from pipeline.charts import chart_context, earlier_aggregates, embed
from pipeline.config import PROJECT_ROOT, Config, Period
from pipeline.paths import report_path, report_staging_path
from pipeline.pdf import publish_pdf, stage_pdf, unpublish_pdf
from pipeline.publish import copy_file, ensure_dir, private_modes
from pipeline.synthesis import capitalise, group_points, sentence

TEMPLATE = PROJECT_ROOT / "templates" / "bao_cao_ky.docx"
SUBMISSION_LABELS = {"valid": "Hợp lệ", "invalid": "Không hợp lệ", "error": "Chưa kiểm tra được (lỗi hệ thống)",
                     "missing": "Chưa nhận"}
NOT_ASSESSABLE = "Chưa đủ số liệu để đánh giá"
# Order of the movement table: changes of poor households first, then of near-poor ones (labels from
# change_kinds in config/reference.yaml).
MOVEMENT_ORDER = ("escaped_poverty", "near_poor_to_poor", "fell_back_poor", "new_poor", "escaped_near_poverty",
                  "fell_back_near_poor", "new_near_poor")


# Every top-level variable the template may use: the keys of build_context's result (a test keeps them equal).
TEMPLATE_VARIABLES = frozenset({
    "doc", "period", "intro", "text", "units", "district", "ncc_rows", "movements", "deprivation_rows",
    "dimension_rows", "support_rows", "fund_rows", "funds", "submission_rows", "target_rows", "synthesis",
    "narratives", "closing", "annex", "scope", "annex_empty", "sources", "charts",
})
# The parts of a .docx that docxtpl renders as templates (body, headers, footers).
_TEMPLATE_PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml")
_TAG_FRAGMENTS = ("{{", "}}", "{%", "%}", "{#", "#}")


class RenderError(RuntimeError):
    """The report could not be rendered or failed its audit (a unit neither reported nor listed)."""


class TemplateCheckError(RenderError):
    """The report template's own tags are broken: a syntax error, an unknown variable or a stray fragment.

    The message is in Vietnamese, names the template part and quotes the text around the fault.
    """




def _status_text(sub: dict[str, Any]) -> str:
    """A unit's state in a table cell: "Hợp lệ", "Không hợp lệ (2 lỗi)", "Chưa nhận", … (no version: versions
    are named in annex III only, :func:`_source_row`)."""
    label = SUBMISSION_LABELS[sub["status"]]
    if sub["status"] == "invalid":
        label = f"{label} ({sub['errors']} lỗi)"
    if sub["status"] == "missing" and sub.get("required") is False:
        label = "Chưa gửi (đơn vị được đề nghị báo cáo, không bắt buộc)"
    return label


# The parts of the units' texts synthesised in part IV: (key in the aggregates' narratives, heading, what the
# line says of the units that raised nothing).
SYNTHESIS_PARTS = (
    ("difficulties", "Khó khăn, vướng mắc", "không nêu khó khăn, vướng mắc"),
    ("proposals", "Đề xuất, kiến nghị", "không nêu đề xuất, kiến nghị"),
)


def _synthesis(narratives: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Part IV: for difficulties, then proposals, each point once with the units that raised it.

    One dict per part: ``no`` ("1", "2"), ``title``, ``lines`` (one string per point, "Xã A, xã B: text.",
    see :func:`pipeline.synthesis.sentence`; then, when some units raised nothing, a line naming them; a
    single line when no unit with a valid report raised anything). The units' own texts are in the annex.
    """
    out = []
    for no, (key, title, none_said) in enumerate(SYNTHESIS_PARTS, start=1):
        points = group_points([(n["unit_name"], n.get(key)) for n in narratives])
        lines = [sentence(p) for p in points]
        raised = {u for p in points for u in p.units}
        silent = [n["unit_name"] for n in narratives if n["unit_name"] not in raised]
        if not narratives:
            lines = ["Chưa có báo cáo hợp lệ nào."]
        elif not points:
            lines = [f"Các đơn vị có báo cáo hợp lệ {none_said}."]
        elif silent:
            lines.append(capitalise(f"{', '.join(silent)}: {none_said}."))
        out.append({"no": str(no), "title": title, "lines": lines})
    return out


def _receipt_row(no: int, sub: dict[str, Any]) -> dict[str, str]:
    """A row of the receipt table in the body: received, on time, valid — no file, version or hash (those are
    in the annex "Nguồn số liệu", :func:`_source_row`)."""
    status = sub["status"]
    if status == "missing":
        received = ("Chưa gửi (không bắt buộc)" if sub.get("required") is False else "Chưa nhận")
    else:
        received = "Đã nhận"
    on_time = {True: "Đúng hạn", False: "Trễ hạn"}.get(sub.get("on_time"), "-") if status != "missing" else "-"
    valid = _status_text(sub) if status != "missing" else "-"
    return {"no": str(no), "name": capitalise(sub["unit_name"]), "received": received, "on_time": on_time,
            "valid": valid}


def _received_text(value: str | None, config: Config) -> str:
    """An arrival (ISO 8601 with offset) as local time "dd/mm/yyyy HH:MM" in the configured time zone."""
    if not value:
        return "-"
    return dt.datetime.fromisoformat(value).astimezone(config.timezone).strftime("%d/%m/%Y %H:%M")


def _source_row(no: int, sub: dict[str, Any], config: Config) -> dict[str, str]:
    """A row of the annex "Nguồn số liệu": the file used (name as sent), its version, arrival (local time),
    SHA-256, counts of findings and, when a newer version was not used, why."""
    notes = ["chưa kiểm tra được (lỗi hệ thống)" if sub["status"] == "error" or sub.get("errors") is None
             else f"{fmt.number(sub['errors'])} lỗi, {fmt.number(sub['warnings'])} cảnh báo"]
    if sub.get("newer_failed"):
        nf = sub["newer_failed"]
        notes.append(f"phiên bản {nf['version']} gửi sau chưa kiểm tra được (lỗi hệ thống), chưa dùng"
                     if nf["errors"] is None else f"phiên bản {nf['version']} gửi sau có {nf['errors']} lỗi, chưa dùng")
    return {"no": str(no), "name": capitalise(sub["unit_name"]), "file": sub["file"],
            "version": str(sub["version"]) if sub.get("version") else "-",
            "received_at": _received_text(sub.get("received_at"), config),
            "on_time": {True: "Đúng hạn", False: "Trễ hạn"}.get(sub.get("on_time"), "-"),
            "sha256": sub["sha256"] or "-", "note": "; ".join(notes)}


def _assessment(agg: dict[str, Any], met: bool | None, yes: str, no: str) -> str:
    """A target's assessment, or why it cannot be assessed (the required units lacking a valid version)."""
    if met is None or not agg.get("assessable", True):
        lacking = agg.get("lacking") or []
        if lacking:
            return f"{NOT_ASSESSABLE} (chưa có báo cáo hợp lệ của: {', '.join(lacking)})"
        return f"{NOT_ASSESSABLE} (chưa có báo cáo hợp lệ nào)"
    return yes if met else no


def _document(config: Config, period: Period) -> dict[str, Any]:
    d = config.document
    issue = d.get("issue_date")
    if issue:
        dateline = fmt.dateline(config.locality["place_name"], dt.date.fromisoformat(str(issue)))
    else:
        dateline = fmt.dateline(config.locality["place_name"], None, month=period.deadline.month, year=period.year)
    plan = config.plan
    return {
        "issuer_parent": d["issuer_parent"],
        "issuer": d["issuer"],
        "issuer_short": "Phòng Lao động - Thương binh và Xã hội",
        "number": d.get("number") or "\u00a0" * 6,
        "number_suffix": d["number_suffix"],
        "dateline": dateline,
        "summary_line": f"Kết quả thực hiện {period.label} {period.year} Kế hoạch giảm nghèo đối với hộ nghèo "
                        "có thành viên là người có công với cách mạng",
        "recipients": list(d.get("recipients", [])),
        "archive": d.get("recipients_archive", "Lưu: VT."),
        "signer_authority": d.get("signer_authority") or "",
        "signer_title": d.get("signer_title") or "",
        "signer_name": d.get("signer_name") or "",
        "plan_number": plan.get("number") or "",
    }


def build_context(agg: dict[str, Any], *, config: Config, period: Period,
                  earlier: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The template context: every value a formatted Vietnamese string, lists of row dicts for tables.

    Args:
        agg: the output of :func:`pipeline.aggregate.aggregate` (as written to ``aggregates.json``).
        earlier: the aggregates of the year's earlier periods by code, for the year chart
            (:func:`pipeline.charts.earlier_aggregates`); None: the current period only.
    """
    d = agg["district"]
    subs = agg["submissions"]
    valid = [s for s in subs if s["status"] == "valid"]
    # units the plan only asks to report do not make the totals partial when they send nothing
    left_out = [s["unit_name"] for s in subs
                if s["status"] != "valid" and not (s["status"] == "missing" and s.get("required") is False)]
    expected = [s for s in subs if s.get("required", True) or s["status"] != "missing"]
    units = []
    for i, u in enumerate(agg["units"], start=1):
        sub = next(s for s in subs if s["unit_code"] == u["unit_code"])
        has = u["status"] == "valid"
        units.append({
            "no": str(i),
            "name": capitalise(u["unit_name"]),
            "households": fmt.number(u["households_total_current"]) if has else "-",
            "poor": fmt.number(u["poor_households_current"]) if has else "-",
            "poor_rate": fmt.rate(u["poor_households_current"], u["households_total_current"]) if has else "-",
            "near_poor": fmt.number(u["near_poor_households_current"]) if has else "-",
            "near_poor_rate": fmt.rate(u["near_poor_households_current"], u["households_total_current"])
            if has else "-",
            "ncc_poor": fmt.number(u["ncc_poor_households_current"]) if has else "-",
            "ncc_poor_persons": fmt.number(u["ncc_poor_persons_current"]) if has else "-",
            "status": _status_text(sub),
        })
    district = {
        "name": "Toàn huyện" if not left_out else "Cộng các đơn vị hợp lệ",
        "households": fmt.number(d["households_total_current"]),
        "poor": fmt.number(d["poor_households_current"]),
        "poor_rate": fmt.rate(d["poor_households_current"], d["households_total_current"]),
        "near_poor": fmt.number(d["near_poor_households_current"]),
        "near_poor_rate": fmt.rate(d["near_poor_households_current"], d["households_total_current"]),
        "ncc_poor": fmt.number(d["ncc_poor_households_current"]),
        "ncc_poor_persons": fmt.number(d["ncc_poor_persons_current"]),
        "partial": (
            f"Số liệu cộng chưa gồm: {', '.join(left_out)} (chưa có báo cáo hợp lệ)." if left_out else ""
        ),
    }
    ncc_rows = []
    for no, (label, prefix, base_key) in enumerate(
        (("Hộ nghèo có thành viên là người có công", "ncc_poor", "poor_households"),
         ("Hộ cận nghèo có thành viên là người có công", "ncc_near_poor", "near_poor_households")), start=1):
        ncc_rows.append({
            "no": str(no),
            "label": label,
            "hh_baseline": fmt.number(d[f"{prefix}_households_baseline"]),
            "persons_baseline": fmt.number(d[f"{prefix}_persons_baseline"]),
            "share_baseline": fmt.rate(d[f"{prefix}_households_baseline"], d[f"{base_key}_baseline"]),
            "hh_current": fmt.number(d[f"{prefix}_households_current"]),
            "persons_current": fmt.number(d[f"{prefix}_persons_current"]),
            "share_current": fmt.rate(d[f"{prefix}_households_current"], d[f"{base_key}_current"]),
        })
    ncc = agg["ncc"]
    change_labels = {k["code"]: k["label"] for k in config.reference["change_kinds"]}
    status_labels = {k["code"]: k["label"] for k in config.reference["statuses"]}
    movements = [
        {"no": str(i), "label": label, "households": fmt.number(ncc[f"change_{code}"])}
        for i, (code, label) in enumerate(((c, change_labels[c]) for c in MOVEMENT_ORDER), start=1)
    ]
    depr = agg["deprivations"]
    base = depr["base"]
    deprivation_rows = [
        {"no": str(i), "label": x["label"], "dimension": x["dimension"], "households": fmt.number(x["households"]),
         "rate": fmt.rate(x["households"], base)}
        for i, x in enumerate(depr["indicators"], start=1)
    ]
    dimension_rows = [
        {"no": str(i), "label": x["label"], "households": fmt.number(x["households"]),
         "rate": fmt.rate(x["households"], base)}
        for i, x in enumerate(depr["dimensions"], start=1)
    ]
    deprived_dims = [x["label"].lower() for x in depr["dimensions"] if x["households"]]
    clean_dims = [x["label"].lower() for x in depr["dimensions"] if not x["households"]]
    support_rows = [
        {"no": str(i), "label": s["label"], "households": fmt.number(s["households"]),
         "amount": fmt.number(s["amount_vnd"]) if s["amount_vnd"] is not None else "-"}
        for i, s in enumerate(agg["supports"], start=1)
    ]
    funds = agg["funds"]
    fund_rows = [
        {"number": f"({s['number']})", "label": s["label"], "amount": fmt.number(s["amount_vnd"])}
        for s in funds["sources"]
    ]
    submission_rows = [_receipt_row(i, s) for i, s in enumerate(subs, start=1)]
    sources = [_source_row(i, s, config) for i, s in enumerate((s for s in subs if s["file"]), start=1)]
    t = {x["code"]: x for x in agg["targets"]}
    assessable = agg.get("assessable", True)
    on_valid = "" if assessable else f" (tính trên {len(valid)} đơn vị có báo cáo hợp lệ)"
    access_result = ("Không còn hộ thiếu hụt các chiều này" if not t["access"]["dimensions"]
                     else "Còn thiếu hụt: " + ", ".join(x.lower() for x in t["access"]["dimensions"]))
    target_rows = [
        {"no": "1", "label": "Đến cuối năm không còn hộ nghèo có thành viên là người có công",
         "result": f"Còn {fmt.number(t['no_ncc_poor']['value'])} hộ nghèo có người có công{on_valid}",
         "assessment": _assessment(agg, t["no_ncc_poor"]["met"], "Đã đạt", "Chưa đạt, tiếp tục hỗ trợ")},
        {"no": "2", "label": "Không để hộ có người có công tái nghèo, phát sinh nghèo",
         "result": f"{fmt.number(t['no_fallback']['value'])} hộ tái nghèo, phát sinh nghèo{on_valid}",
         "assessment": _assessment(agg, t["no_fallback"]["met"], "Đạt", "Không đạt")},
        {"no": "3", "label": "100% hộ nghèo có người có công được tiếp cận y tế, giáo dục, nhà ở, nước sạch "
                             "và vệ sinh, thông tin",
         "result": access_result + on_valid,
         "assessment": _assessment(agg, t["access"]["met"], "Đạt", "Chưa đạt")},
    ]
    if not valid:
        for row in target_rows:
            row["result"] = "Chưa có số liệu"
    annex = [
        {"no": str(i), "unit_name": capitalise(a["unit_name"]), "household_code": a["household_code"],
         "head_name": a["head_name"] or "", "village": a["village"] or "", "ethnicity": a["ethnicity"] or "",
         "members": fmt.number(a["members"]), "status_baseline": status_labels.get(a["status_baseline"], ""),
         "status_current": status_labels.get(a["status_current"], ""),
         "deprived": ", ".join(str(int(k[1:])) for k in a["deprived"])}
        for i, a in enumerate(agg["annex"], start=1)
    ]
    cum = agg["cumulative"]
    cutoff = fmt.date_vn(period.cutoff)
    scope = "toàn huyện" if not left_out else f"{len(valid)} đơn vị có báo cáo hợp lệ"
    doc = _document(config, period)
    plan_ref = (f"số {doc['plan_number']}/KH-UBND" if doc["plan_number"] else "số      /KH-UBND") + " ngày      "
    text = {
        "poverty_baseline": (
            f"Tại thời điểm 01/01/{period.year} (kết quả rà soát cuối năm {period.year - 1}), {scope} có "
            f"{fmt.number(d['poor_households_baseline'])} hộ nghèo, chiếm tỷ lệ "
            f"{fmt.rate(d['poor_households_baseline'], d['households_total_baseline'])} tổng số hộ; "
            f"{fmt.number(d['near_poor_households_baseline'])} hộ cận nghèo, chiếm tỷ lệ "
            f"{fmt.rate(d['near_poor_households_baseline'], d['households_total_baseline'])}."
        ),
        "poverty_current": (
            f"Tại ngày {cutoff}, {scope} có {fmt.number(d['poor_households_current'])} hộ nghèo "
            f"({fmt.number(d['poor_persons_current'])} nhân khẩu), chiếm tỷ lệ "
            f"{fmt.rate(d['poor_households_current'], d['households_total_current'])}; "
            f"{fmt.number(d['near_poor_households_current'])} hộ cận nghèo "
            f"({fmt.number(d['near_poor_persons_current'])} nhân khẩu), chiếm tỷ lệ "
            f"{fmt.rate(d['near_poor_households_current'], d['households_total_current'])}."
        ),
        "ncc": (
            f"Tại ngày {cutoff}, {scope} có {fmt.number(d['ncc_poor_households_current'])} hộ nghèo có thành viên là "
            f"người có công với cách mạng ({fmt.number(d['ncc_poor_persons_current'])} nhân khẩu), chiếm tỷ lệ "
            f"{fmt.rate(d['ncc_poor_households_current'], d['poor_households_current'])} tổng số hộ nghèo"
            + (f" ({', '.join(sorted({a['unit_name'] for a in agg['annex'] if a['status_current'] == 'poor'}))})"
               if d["ncc_poor_households_current"] else "")
            + f"; {fmt.number(d['ncc_near_poor_households_current'])} hộ cận nghèo có thành viên là người có công."
        ),
        "deprivation": (
            f"Trong {fmt.number(base)} hộ nghèo có người có công, "
            + (f"các chiều còn thiếu hụt: {', '.join(deprived_dims)}" if deprived_dims else "không hộ nào thiếu hụt")
            + (f"; không thiếu hụt: {', '.join(clean_dims)}." if clean_dims and deprived_dims else ".")
            if base else ("Không còn hộ nghèo có người có công nên không phân tích thiếu hụt." if valid
                          else "Chưa có báo cáo hợp lệ nào nên chưa phân tích thiếu hụt.")
        ),
        "funds_scope": (
            "Số liệu kinh phí là tổng các nguồn các đơn vị huy động cho công tác giảm nghèo trên địa bàn (cho mọi "
            "hộ nghèo, hộ cận nghèo), không riêng hộ có người có công; phần hỗ trợ trực tiếp hộ có người có công "
            "nêu tại Bảng 6."
        ),
        "loans": (
            f"Ngoài ra, nguồn (2) vốn vay ưu đãi của Ngân hàng Chính sách xã hội cho hộ nghèo, cận nghèo trên địa bàn "
            f"(có hoàn trả, không cộng vào tổng kinh phí): {fmt.number(funds['loan_households'])} hộ được vay, số tiền "
            f"giải ngân {fmt.number(funds['loan_disbursed_vnd'])} đồng."
        ),
        "outreach": (
            f"Công tác tuyên truyền: tổ chức {fmt.number(cum['outreach_sessions'])} buổi tuyên truyền, vận động với "
            f"{fmt.number(cum['outreach_participants'])} lượt người tham dự."
        ),
        "submissions": (
            f"Đã nhận {sum(s['status'] != 'missing' for s in subs)}/{len(expected)} báo cáo "
            f"({sum(s.get('on_time') is True for s in subs)} đúng hạn); {len(valid)} báo cáo hợp lệ"
            + (f"; không hợp lệ: {', '.join(s['unit_name'] for s in subs if s['status'] == 'invalid')}"
               if any(s["status"] == "invalid" for s in subs) else "")
            + (f"; chưa kiểm tra được (lỗi hệ thống): "
               f"{', '.join(s['unit_name'] for s in subs if s['status'] == 'error')}"
               if any(s["status"] == "error" for s in subs) else "")
            + (f"; chưa nhận: {', '.join(s['unit_name'] for s in expected if s['status'] == 'missing')}"
               if any(s["status"] == "missing" for s in expected) else "")
            + "."
        ),
    }
    return {
        "doc": doc,
        "period": {"code": period.code, "label": f"{period.label} {period.year}", "year": str(period.year),
                   "cutoff": cutoff},
        "intro": (
            f"Thực hiện Kế hoạch {plan_ref} tháng 3 năm {config.plan.get('year', period.year)} của "
            f"{config.plan.get('issuer', 'UBND huyện')} về triển khai thực hiện các giải pháp giảm nghèo đối với hộ "
            f"nghèo có thành viên là người có công với cách mạng; trên cơ sở báo cáo của Ủy ban nhân dân các xã, thị "
            f"trấn, Phòng Lao động - Thương binh và Xã hội báo cáo kết quả thực hiện {period.label} {period.year} "
            f"(số liệu đến ngày {cutoff}) như sau:"
        ),
        "text": text,
        "units": units,
        "district": district,
        "ncc_rows": ncc_rows,
        "movements": movements,
        "deprivation_rows": deprivation_rows,
        "dimension_rows": dimension_rows,
        "support_rows": support_rows,
        "fund_rows": fund_rows,
        "funds": {"total": fmt.number(funds["total_vnd"])},
        "submission_rows": submission_rows,
        "target_rows": target_rows,
        "synthesis": _synthesis(agg["narratives"]),
        "narratives": [
            {"no": str(i), "unit_name": capitalise(n["unit_name"]), "results": n["results"] or "(không có)",
             "difficulties": n["difficulties"] or "(không có)", "proposals": n["proposals"] or "(không có)"}
            for i, n in enumerate(agg["narratives"], start=1)
        ],
        "sources": sources,
        "closing": (
            f"Trên đây là báo cáo kết quả thực hiện {period.label} {period.year} của Phòng Lao động - Thương binh và "
            f"Xã hội, kính báo cáo {config.document.get('recipient_of_report', 'Ủy ban nhân dân huyện')} xem xét, "
            "chỉ đạo./."
        ),
        "annex": annex,
        "scope": scope,
        "annex_empty": (
            "Không có hộ nghèo có thành viên là người có công." if not left_out else
            "Không có hộ nghèo có thành viên là người có công trong số các đơn vị có báo cáo hợp lệ; chưa có số "
            f"liệu của: {', '.join(left_out)}."
        ),
        "charts": chart_context(agg, config=config, period=period, earlier=earlier),
    }


def _jinja_env():
    import jinja2

    return jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)


def _visible_text(xml: str) -> str:
    """The text of an XML fragment with its markup removed (runs joined), for quoting in messages."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", "", xml)).strip()


def check_template(path: Path = TEMPLATE, variables: frozenset[str] = TEMPLATE_VARIABLES) -> None:
    """Check a report template's own Jinja tags, before anything is rendered with it.

    Each part docxtpl renders (``word/document.xml``, headers, footers) is prepared as docxtpl prepares it
    (tags split across runs joined, :meth:`docxtpl.DocxTemplate.patch_xml`), then must parse as Jinja, use
    only top-level variables in ``variables`` (loop variables excepted), and leave no tag fragment
    (``{{ }} {% %} {# #}``, even split across runs) in its literal text.

    Raises:
        TemplateCheckError: the first fault found, with the part's name and the text around it.
        FileNotFoundError, zipfile.BadZipFile: ``path`` is missing or not a .docx.
    """
    import jinja2
    from docxtpl import DocxTemplate
    from jinja2 import meta

    env = _jinja_env()
    patcher = DocxTemplate(str(path))  # patch_xml only transforms a string; the document is not loaded
    with zipfile.ZipFile(path) as z:
        parts = sorted(n for n in z.namelist() if _TEMPLATE_PARTS.fullmatch(n))
        sources = {n: z.read(n).decode("utf-8") for n in parts}
    for name, xml in sources.items():
        patched = patcher.patch_xml(xml)
        try:
            ast = env.parse(patched)
        except jinja2.TemplateSyntaxError as exc:
            lines = patched.splitlines()
            near = _visible_text("\n".join(lines[max((exc.lineno or 1) - 2, 0):(exc.lineno or 1) + 1]))[-200:]
            raise TemplateCheckError(
                f"Mẫu báo cáo {path.name} ({name}): thẻ mẫu sai cú pháp ({exc.message}); gần: «{near}»") from exc
        unknown = sorted(meta.find_undeclared_variables(ast) - variables)
        if unknown:
            raise TemplateCheckError(
                f"Mẫu báo cáo {path.name} ({name}): dùng biến không có trong dữ liệu báo cáo: {', '.join(unknown)}")
        for token in env.lex(patched):
            if token[1] != "data":
                continue
            text = _visible_text(token[2])
            stray = next((f for f in _TAG_FRAGMENTS if f in text), None)
            if stray:
                i = text.index(stray)
                raise TemplateCheckError(
                    f"Mẫu báo cáo {path.name} ({name}): mảnh thẻ mẫu {stray!r} lẻ loi trong văn bản; "
                    f"gần: «{text[max(i - 60, 0):i + 60]}»")


def _literal_template_class():
    """docxtpl's template class, minus its unescaping of ``{_{ }_} {_% %_}`` in the rendered part.

    docxtpl replaces those sequences after rendering so that a template can print tag characters; applied to
    the rendered part, it would also alter a value a commune typed ("{_{" would show as "{{"). The report
    template does not use them, so the rendered text is kept exactly as the values were.
    """
    from docxtpl import DocxTemplate

    class LiteralDocxTemplate(DocxTemplate):
        def render_xml_part(self, src_xml, part, context, jinja_env=None):
            src_xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", src_xml)
            self.current_rendering_part = part
            dst_xml = jinja_env.from_string(src_xml).render(context)
            dst_xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", dst_xml)
            return self.resolve_listing(dst_xml)

    return LiteralDocxTemplate


def document_properties(agg: dict[str, Any], *, config: Config, period: Period) -> dict[str, Any]:
    """The report's core properties (File > Properties): a pure function of the inputs, so the same inputs
    give the same properties whatever the day the report is rendered.

    Keys: ``author`` and ``last_modified_by`` (the issuing office and its parent body, from ``document`` in
    the configuration), ``title`` (the report's title with its period), ``subject`` (the period and its
    cut-off), ``keywords`` (the period's code), ``category``, ``comments``, ``language``, and ``created`` =
    ``modified`` (aware UTC datetime): the latest arrival of the versions the aggregates used, or, when no
    file was received, 00:00 of the period's cut-off date (local time).
    """
    doc = _document(config, period)
    arrivals = [dt.datetime.fromisoformat(s["received_at"]) for s in agg["submissions"] if s.get("received_at")]
    stamp = max(arrivals) if arrivals else dt.datetime.combine(period.cutoff, dt.time(0), config.timezone)
    stamp = stamp.astimezone(dt.UTC).replace(microsecond=0)
    office = f"{doc['issuer']}, {doc['issuer_parent']}"
    return {
        "author": office,
        "last_modified_by": office,
        "title": "Báo cáo " + doc["summary_line"][:1].lower() + doc["summary_line"][1:],
        "subject": f"Kỳ báo cáo {period.label} {period.year} ({period.code}), số liệu đến ngày "
                   f"{fmt.date_vn(period.cutoff)}",
        "keywords": period.code,
        "category": "Báo cáo",
        "comments": f"Tổng hợp từ báo cáo của các đơn vị, số liệu đến ngày {fmt.date_vn(period.cutoff)}.",
        "language": "vi-VN",
        "created": stamp,
        "modified": stamp,
    }


def render_docx(context: dict[str, Any], out: Path, template: Path = TEMPLATE, *,
                properties: dict[str, Any] | None = None) -> Path:
    """Render ``template`` with ``context`` into ``out`` (autoescape on, undefined variables raise).

    Context values are data: each is rendered once, XML-escaped, and never parsed as a template, so braces,
    Jinja syntax or XML a commune typed show literally (a line break in a value becomes a line break).
    ``properties`` (:func:`document_properties`) are set as the document's core properties; without them
    only the author (the issuing office) and the title are set, from the context. Chart specs under
    ``context["charts"]`` are drawn and embedded as images (:func:`pipeline.charts.embed`). Is idempotent: the
    same context and properties give the same bytes (zip members dated ``properties["modified"]``).

    Raises:
        jinja2.exceptions.UndefinedError: the template uses a variable the context lacks.
    """
    tpl = _literal_template_class()(str(template))
    context = embed(tpl, context)  # chart specs drawn into images of this template
    tpl.render(context, jinja_env=_jinja_env(), autoescape=True)
    if properties is None:
        d = context["doc"]
        office = f"{d['issuer']}, {d['issuer_parent']}"
        properties = {"author": office, "last_modified_by": office, "comments": "",
                      "title": "Báo cáo " + d["summary_line"][:1].lower() + d["summary_line"][1:]}
    core = tpl.docx.core_properties
    for key, value in properties.items():
        setattr(core, key, value)
    core.revision = 1
    out.parent.mkdir(parents=True, exist_ok=True)
    tpl.save(str(out))
    fix_zip_times(out, properties.get("modified"))
    return out


def fix_zip_times(path: Path, stamp: dt.datetime | None) -> None:
    """Rewrite the .docx at ``path`` with every member dated ``stamp`` (UTC; 01/01/1980 when None) instead of
    the time of saving, so that the same inputs give the same bytes (members, order and compression kept)."""
    when = (stamp.astimezone(dt.UTC) if stamp else dt.datetime(1980, 1, 1)).timetuple()[:6]
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=when)
            info.compress_type, info.external_attr = item.compress_type, item.external_attr
            zout.writestr(info, zin.read(item.filename))


def document_text(path: Path) -> str:
    """The visible text of a .docx's body, headers and footers: each paragraph's runs joined, one a line."""
    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    lines = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(n for n in z.namelist() if _TEMPLATE_PARTS.fullmatch(n)):
            root = etree.fromstring(z.read(name))
            for p in root.iter(f"{w}p"):
                lines.append("".join(t.text or "" for t in p.iter(f"{w}t")))
    return "\n".join(lines)


def audit(path: Path, unit_names: list[str]) -> None:
    """Check a rendered report before publishing it: every configured unit's name appears in its text, as
    stored ("xã Ma Nới", inside a sentence) or capitalised ("Xã Ma Nới", starting a line or a table cell).

    The rendered text is never searched for tag characters: it holds what communes typed, shown literally;
    the template's own tags are checked before rendering by :func:`check_template`.

    Raises:
        RenderError: a configured unit's name absent from the report.
    """
    text = document_text(path)
    # a name starts a table cell or a line capitalised ("Xã Ma Nới"), stays as stored inside a sentence
    missing = [n for n in unit_names if n not in text and capitalise(n) not in text]
    if missing:
        raise RenderError(f"Units neither reported nor listed in {path.name}: {missing}")


def stage_report(agg: dict[str, Any], *, config: Config, period: Period, root: Path | None = None) -> Path:
    """Render and audit the report of ``period`` in ``work/<period>/staging/`` (owner-only), and its PDF
    beside it (:func:`pipeline.pdf.stage_pdf`); returns the .docx's path.

    Nothing is published. The template's own tags are checked first (:func:`check_template`).

    Raises:
        TemplateCheckError: the template is broken; nothing is rendered.
        RenderError: the audit fails.
    """
    check_template(TEMPLATE)
    staging = report_staging_path(period, root)
    ensure_dir(staging.parent, private=True)
    staging.unlink(missing_ok=True)
    render_docx(build_context(agg, config=config, period=period,
                              earlier=earlier_aggregates(period, config=config, root=root)), staging,
                properties=document_properties(agg, config=config, period=period))
    staging.chmod(private_modes()[0])
    audit(staging, [s["unit_name"] for s in agg["submissions"]])
    stage_pdf(staging)  # its PDF beside it; none (a warning logged) when LibreOffice is missing or fails
    return staging


def publish_report(staged: Path, *, period: Period, root: Path | None = None) -> Path:
    """Publish an audited report at :func:`report_path`: copied under a temporary name beside it and renamed
    into place, owner-only (the annex holds personal data), then its staged PDF, when there is one, beside it
    as ``bao-cao-<period>.pdf`` (a PDF of an earlier report is removed first). Returns the .docx's path."""
    # the report holds names (annex): owner-only; its folder also holds the district-facing status page
    unpublish_pdf(report_path(period, root))  # no PDF of an earlier report beside the new one, even after a crash
    path = copy_file(staged, report_path(period, root), private=True, private_dir=False)
    publish_pdf(staged, path)  # the staged PDF, when there is one, beside the report
    return path


def render_report(agg: dict[str, Any], *, config: Config, period: Period, root: Path | None = None) -> Path:
    """Render, audit and publish the report of ``period``. Idempotent: a rerun overwrites the same file.

    Renders into ``work/<period>/staging/``, audits, then publishes atomically at :func:`report_path`.

    Returns:
        The published path.
    """
    return publish_report(stage_report(agg, config=config, period=period, root=root), period=period, root=root)
