"""Validate a submission with Great Expectations: suites from ``expectations/`` → findings.

One expectation suite per sheet (``general``, ``summary``, ``roster``, ``narrative``) plus
``reconciliation``, a cross-sheet frame in which each summary figure that the roster also gives sits beside
the roster's own count. GX marks a validation result failed even when only warnings fail, so the pipeline
decides itself: a failed expectation of severity ``critical`` is an error ("lỗi") that blocks the unit's
data; ``warning`` and ``info`` are reported only ("cảnh báo").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import fmt, schema
from pipeline import office_schema as o
from pipeline.aggregate import movement
from pipeline.config import AMOUNT_FIELDS, BOUNDS_DEFAULTS, PROJECT_ROOT, Config, ConfigError, Period, Standard, Unit
from pipeline.files import sha256_of
from pipeline.findings import ERROR, WARNING, Finding, ValidationOutcome, split_description
from pipeline.read.office import OfficeSubmission, read_workbook
from pipeline.read.reader import (
    Submission,
    UnreadableSubmission,
    clean_text,
    closest_units,
    locate_findings,
    roster_counts,
)
from pipeline.synthesis import capitalise
from pipeline.units import closed_code_help
from pipeline.validate.frame import Frame
from pipeline.validate.office import build_office_frames

log = logging.getLogger(__name__)
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
RECONCILED = ("ncc_poor_households", "ncc_poor_persons", "ncc_near_poor_households", "ncc_near_poor_persons")


def code_labels(config: Config) -> dict[str, dict[str, str]]:
    """Reference labels by frame column, so that findings show coded values as staff typed them."""
    ref = config.reference
    statuses = {i["code"]: i["label"] for i in ref["statuses"]}
    return {"status_baseline": statuses, "status_current": statuses,
            "change_kind": {i["code"]: i["label"] for i in ref["change_kinds"]}}


class SuiteError(RuntimeError):
    """An expectation suite file is unreadable or lost expectations while loading."""


@cache
def _gx_context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def load_suite(name: str, directory: Path = EXPECTATIONS_DIR) -> Any:
    """Load ``expectations/<name>.json`` as a GX ``ExpectationSuite``.

    Raises:
        SuiteError: the file is not valid JSON, an expectation is invalid, or the loaded suite holds fewer
            expectations than the file (GX can drop invalid ones silently).
    """
    from great_expectations.core.expectation_suite import ExpectationSuite

    path = directory / f"{name}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        suite = ExpectationSuite(**raw)
    except Exception as exc:  # GX raises pydantic and its own errors; all mean a broken suite file
        raise SuiteError(f"Expectation suite {path.name} cannot be loaded: {exc}") from exc
    if len(suite.expectations) != len(raw.get("expectations", [])):
        raise SuiteError(
            f"Expectation suite {path.name}: {len(raw['expectations'])} expectations in the file, "
            f"{len(suite.expectations)} loaded"
        )
    for exp in suite.expectations:
        if not exp.description or not exp.meta or "field" not in exp.meta:
            raise SuiteError(f"Expectation {exp.expectation_type} in {path.name} lacks a description or meta.field")
    return suite


@dataclass(frozen=True)
class History:
    """What validation compares a submission with: the unit's accepted submission of the previous period.

    ``same_year`` is True when that period is of the same year (its households may not vanish);
    ``accepted`` maps indicator keys whose outlier warning district staff accepted to the justification;
    ``previous_units`` names the units whose submissions ``previous`` sums when the unit is their successor (xã
    Anh Dũng from 01/07/2025 against xã Ma Nới and xã Hòa Sơn before; :func:`pipeline.validate.run._summed`):
    its figures are compared with their sum, its households (new codes) are not.
    """

    previous: Submission | None = None
    previous_period: str = ""
    same_year: bool = False
    accepted: dict[str, str] | None = None
    previous_units: tuple[str, ...] = ()

    def previous_label(self) -> str:
        """The compared figures' source in a finding: "kỳ 2025-6T" or "kỳ 2025-6T (tổng của xã Ma Nới, xã Hòa
        Sơn)"."""
        summed = f" (tổng của {', '.join(self.previous_units)})" if self.previous_units else ""
        return f"kỳ {self.previous_period}{summed}"


def build_frames(sub: Submission, config: Config, period: Period | None = None,
                 history: History | None = None) -> list[Frame]:
    """Frames that the suites validate, with derived columns for rules that span columns.

    Derived columns: ``baseline_present`` (summary; bool), ``in_scope``, ``transition_ok``,
    ``decision_complete`` and ``matches_standard`` with its explanation ``standard_detail`` (roster) — the
    transition rules come from ``change_kinds`` in ``config/reference.yaml``, the standard from
    ``config/thresholds.yaml``; reconciliation rows have ``indicator``, ``as_of`` ("baseline"/"current"),
    ``excel_row``, ``summary_value`` and ``roster_value`` (Int64, households or persons). With a
    ``history``: ``continuity`` (one row per household of the previous same-year submission, ``present``
    bool) and ``outliers`` (one row per compared indicator, ``within_limit`` bool). ``bounds``
    (:func:`_bounds_frame`) whenever the summary was read.
    """
    frames: list[Frame] = []
    general = pd.DataFrame([{f.key: sub.general.get(f.key) for f in schema.GENERAL_FIELDS}], dtype="object")
    general["unit_detail"] = [_unit_detail(sub.general.get("unit_code"), sub.general.get("unit_name"), config,
                                           period)]
    general["period_detail"] = [f"Kỳ đang tổng hợp: {period.code}." if period is not None else ""]
    general["name_matches_code"] = [_name_matches_code(sub.general.get("unit_code"), sub.general.get("unit_name"),
                                                       config, period.cutoff if period is not None else None)]
    frames.append(
        Frame("general", general, schema.SHEET_GENERAL,
              {f.key: sub.headers.get((schema.SHEET_GENERAL, f.key), f.header) for f in schema.GENERAL_FIELDS},
              rows=sub.general_rows)
    )
    if not sub.summary.empty:
        summary = sub.summary.copy()
        summary["baseline_present"] = (summary["timing"] == "cumulative") | summary["value_baseline"].notna()
        headers = {k: sub.headers.get((schema.SHEET_SUMMARY, k), k) for k in ("value_baseline", "value_current")}
        headers["label"] = sub.headers.get((schema.SHEET_SUMMARY, "label"), "Chỉ tiêu")
        frames.append(Frame("summary", summary, schema.SHEET_SUMMARY, headers))
    roster = _roster_frame(sub.roster, config)
    listed = sub.members["household_code"].value_counts() if sub.members is not None else None
    # A household without a code cannot be matched to its members: its blank code is the one error.
    roster["members_listed"] = pd.array(
        [int(listed.get(code, 0)) if listed is not None and not pd.isna(code) else pd.NA
         for code in roster["household_code"]],
        dtype="Int64")
    if period is not None:
        _add_standard_check(roster, sub, config, period)
        _add_decision_window(roster, period)
    frames.append(
        Frame("roster", roster, schema.SHEET_ROSTER,
              {f.key: sub.headers.get((schema.SHEET_ROSTER, f.key), f.header) for f in schema.ROSTER_FIELDS})
    )
    if {"summary", "roster"} <= sub.sheets_read:
        frames.append(_reconciliation_frame(sub, roster, {s["code"] for s in config.reference["statuses"]}, config,
                                            period.cutoff if period is not None else None))
    if sub.members is not None and "roster" in sub.sheets_read:
        frames.append(_members_frame(sub))
    narrative = pd.DataFrame(
        [{"key": f.key, "column_label": f.header, "text": sub.narrative.get(f.key) or None,
          "excel_row": sub.narrative_rows.get(f.key)} for f in schema.NARRATIVE_FIELDS],
        dtype="object",
    )
    if "narrative" in sub.sheets_read:
        frames.append(Frame("narrative", narrative, schema.SHEET_NARRATIVE, {}))
    if not sub.summary.empty:
        frames.append(_bounds_frame(sub, history, config, period.cutoff if period is not None else None))
    amount_bounds = _amount_bounds_frame(sub, config, period, history) if period is not None else None
    if amount_bounds is not None:
        frames.append(amount_bounds)
    if history is not None and history.previous is not None:
        if history.same_year and not history.previous_units:
            frames.append(_continuity_frame(sub, history))
        if not sub.summary.empty:
            frames.append(_outlier_frame(sub, history, config))
    return frames


PERSON_COUNTS = (("poor_households", "poor_persons"), ("near_poor_households", "near_poor_persons"),
                 ("ncc_poor_households", "ncc_poor_persons"), ("ncc_near_poor_households", "ncc_near_poor_persons"))
"""(households, persons) indicator pairs of the summary sheet whose ratio is bounded."""


def _bounds_frame(sub: Submission, history: History | None, config: Config, on: dt.date | None = None) -> Frame:
    """Figures bounded by the unit itself (``validation.bounds`` in the configuration), one row per check:

    * the unit's households, at 01/01 and at the cut-off, at most ``households_max`` (an error: no
      commune-level unit comes near it, whatever its other figures say);
    * the unit's households at the cut-off within a factor of its households at 01/01, and of the last
      accepted figure of the same year (``history.previous``) — failing both, of the unit's
      ``households_reference`` in the configuration: beyond ``households_change_hard`` an error, beyond
      ``households_change_soft`` a warning district staff may accept with a justification;
    * poor and near-poor households at the cut-off within a factor of their 01/01 figure (``poverty_change_soft``
      a warning, ``poverty_change_hard`` an error) when they differ by ``outliers.min_change_abs`` or more;
    * for each (households, persons) pair of :data:`PERSON_COUNTS`, at 01/01 and at the cut-off: at least
      one person per household and persons but no households an error; more than
      ``persons_per_household_hard`` persons a household an error, more than ``persons_per_household_soft``
      a warning (acceptable as above).

    Columns: ``indicator`` (str), ``excel_row`` (Int64), ``column_label`` (str, the value's column header),
    ``value`` (int; households or persons), ``within_hard`` and ``within_soft`` (bool), ``detail`` (str:
    the limit and the figure it is compared with, in Vietnamese). A summary without any comparable figure
    gives one row that passes.
    """
    limits = {**BOUNDS_DEFAULTS, **config.validation.get("bounds", {})}
    change_soft = Decimal(str(limits["households_change_soft"]))
    change_hard = Decimal(str(limits["households_change_hard"]))
    per_soft = Decimal(str(limits["persons_per_household_soft"]))
    per_hard = Decimal(str(limits["persons_per_household_hard"]))
    accepted = (history.accepted if history is not None else None) or {}
    cur = sub.summary.set_index("indicator")
    label = {k: sub.headers.get((schema.SHEET_SUMMARY, k), k) for k in ("value_baseline", "value_current")}
    rows: list[dict[str, Any]] = []

    def figure(frame: pd.DataFrame, key: str, column: str) -> int | None:
        value: Any = frame.at[key, column] if key in frame.index else pd.NA
        return None if pd.isna(value) else int(value)

    def ratio_text(r: Decimal) -> str:
        return fmt.number(r, 2) + " lần"

    most = int(limits["households_max"])
    for column in ("value_baseline", "value_current"):
        households = figure(cur, "households_total", column)
        if households is not None and households > most:  # whatever the unit's other figures say
            rows.append({
                "indicator": "households_total", "excel_row": cur.at["households_total", "excel_row"],
                "column_label": label[column], "value": households, "within_hard": False, "within_soft": True,
                "detail": (f"Tổng số hộ {fmt.number(households)}; một đơn vị cấp xã có không quá "
                           f"{fmt.number(most)} hộ."),
            })
    total = figure(cur, "households_total", "value_current")
    references: list[tuple[str, int]] = []
    base = figure(cur, "households_total", "value_baseline")
    if base:
        references.append(("tại ngày 01/01 trong cùng biểu", base))
    if history is not None and history.previous is not None and history.same_year:
        before = figure(history.previous.summary.set_index("indicator"), "households_total", "value_current")
        if before:
            references.append((f"{history.previous_label()} đã chấp nhận", before))
    unit = _typed_unit(sub, config, on)
    if not references and unit is not None and unit.households_reference:
        references.append(("số hộ tham chiếu của đơn vị trong cấu hình", unit.households_reference))
    if total is not None and total <= most:  # beyond it, the error above is the cell's one finding
        for where, ref in references:
            r = _ratio(total, ref)
            rows.append({
                "indicator": "households_total", "excel_row": cur.at["households_total", "excel_row"],
                "column_label": label["value_current"], "value": total,
                "within_hard": bool(r <= change_hard),
                "within_soft": bool(r <= change_soft or "households_total" in accepted),
                "detail": (f"Tổng số hộ tại ngày chốt {fmt.number(total)}; {where}: {fmt.number(ref)} "
                           f"(chênh {ratio_text(r)}; giới hạn {ratio_text(change_soft)}, "
                           f"tối đa {ratio_text(change_hard)})."),
            })
    least = int(config.validation.get("outliers", {}).get("min_change_abs", 5))
    for key in ("poor_households", "near_poor_households"):
        base, now = figure(cur, key, "value_baseline"), figure(cur, key, "value_current")
        if base is None or now is None or abs(now - base) < least:
            continue
        r = _ratio(now, base)
        soft, hard = (Decimal(str(limits[f"poverty_change_{k}"])) for k in ("soft", "hard"))
        rows.append({
            "indicator": key, "excel_row": cur.at[key, "excel_row"], "column_label": label["value_current"],
            "value": now, "within_hard": bool(r <= hard), "within_soft": bool(r <= soft or key in accepted),
            "detail": (f"'{schema.INDICATORS_BY_KEY[key].label}' tại ngày chốt {fmt.number(now)}; tại ngày 01/01 "
                       f"trong cùng biểu: {fmt.number(base)} (chênh {ratio_text(r)}; danh sách chỉ đổi theo quyết "
                       f"định của xã: giới hạn {ratio_text(soft)}, tối đa {ratio_text(hard)})."),
        })
    for households_key, persons_key in PERSON_COUNTS:
        for column in ("value_baseline", "value_current"):
            households, persons = figure(cur, households_key, column), figure(cur, persons_key, column)
            if households is None or persons is None or (households == 0 and persons == 0):
                continue
            per = Decimal(persons) / Decimal(households) if households else None
            within_hard = bool(per is not None and 1 <= per <= per_hard)
            within_soft = bool(per is None or per < 1 or per <= per_soft or persons_key in accepted)
            blamed, value, since = persons_key, persons, ""
            base_h, base_p = figure(cur, households_key, "value_baseline"), figure(cur, persons_key, "value_baseline")
            if column == "value_current" and not (within_hard and within_soft) and base_h and base_p and households:
                # the cell that moved more against its own 01/01 figure is the likelier typo (153 → 1.530 hộ
                # beside 579 người unchanged: the households are wrong, not the persons)
                if _ratio(households, base_h) > _ratio(persons, base_p):
                    blamed, value = households_key, households
                since = (f"; tại ngày 01/01: {fmt.number(base_h)} hộ, {fmt.number(base_p)} người — "
                         f"{'số hộ' if blamed == households_key else 'số người'} thay đổi nhiều hơn")
            rows.append({
                "indicator": blamed, "excel_row": cur.at[blamed, "excel_row"],
                "column_label": label[column], "value": value,
                "within_hard": within_hard,
                "within_soft": within_soft,
                "detail": (f"'{schema.INDICATORS_BY_KEY[persons_key].label}' {fmt.number(persons)} người cho "
                           f"{fmt.number(households)} hộ ('{schema.INDICATORS_BY_KEY[households_key].label}')"
                           + (f", bình quân {fmt.number(per, 1)} người/hộ" if per is not None else "")
                           + since
                           + f"; mỗi hộ có từ 1 đến {fmt.number(per_hard)} người, quá {fmt.number(per_soft)} "
                             f"người/hộ cần giải trình."),
            })
    for row in rows:  # one finding a cell: beyond the hard limit, the error alone
        row["within_soft"] = row["within_soft"] or not row["within_hard"]
    return Frame("bounds", _limits_frame(rows), schema.SHEET_SUMMARY, {})


def _ratio(a: int, b: int) -> Decimal:
    """How many times the larger of two counts is the smaller (at least 1; a zero counts as 1): 2.600 against
    1.300 or 1.300 against 2.600 are both 2."""
    return Decimal(max(a, b)) / Decimal(max(min(a, b), 1))


def _limits_frame(rows: list[dict[str, Any]], **blank: Any) -> pd.DataFrame:
    """The frame of a limits check (:func:`_bounds_frame`, :func:`_amount_bounds_frame`): ``rows``, or one row
    that passes (its other columns ``blank``) when there is none; ``excel_row`` Int64, ``within_hard`` and
    ``within_soft`` bool."""
    frame = pd.DataFrame(rows or [{"indicator": "", **blank, "excel_row": None, "column_label": "", "value": None,
                                   "within_hard": True, "within_soft": True, "detail": ""}])
    frame["excel_row"] = frame["excel_row"].astype("Int64")
    for column in ("within_hard", "within_soft"):
        frame[column] = frame[column].astype(bool)
    return frame


def _typed_unit(sub: Submission, config: Config, on: dt.date | None) -> Unit | None:
    """The configured unit whose code the general sheet carries, on the day ``on`` (the period's cut-off: a
    code may name two units at different times), or None (blank or unknown: their own findings)."""
    try:
        return config.unit(str(sub.general.get("unit_code")), on)
    except KeyError:
        return None


AREA_WORDS = {"urban": "thành thị", "rural": "nông thôn"}


ACCEPT_KEY_WORDS = "Mã để cán bộ tổng hợp chấp nhận (nếu số tiền đúng): "
"""Words before the acceptance key in a household-amount warning (:func:`amount_key`); ``accept-outlier``
takes a household's amount only when the unit's latest findings carry its key after them."""


def amount_key(field: str, household_code: object) -> str:
    """The acceptance key of one household's amount beyond its soft ceiling: ``<field>:<household code>``
    (``python -m pipeline accept-outlier``)."""
    return f"{field}:{household_code}"


def acceptance_words(key: str) -> str:
    """What an acceptance under ``key`` lets through, in Vietnamese, for the status page: the indicator's
    label, or the amount's column and the household."""
    field, _, code = key.partition(":")
    if code and field in schema.ROSTER_FIELDS_BY_KEY:
        return f"Số tiền “{schema.ROSTER_FIELDS_BY_KEY[field].header}” của hộ {code}"
    label = schema.INDICATORS_BY_KEY[key].label if key in schema.INDICATORS_BY_KEY else key
    return f"Số liệu bất thường của chỉ tiêu “{label}”"


def acceptable(key: str) -> bool:
    """Whether district staff may accept a warning under ``key`` with a justification: an outlier indicator
    (:data:`OUTLIER_KEYS`), the persons of a (households, persons) pair (:data:`PERSON_COUNTS`), or a
    household's amount (:func:`amount_key`: ``<amount field>:<household code>``)."""
    field, _, code = key.partition(":")
    if code:
        return field in AMOUNT_FIELDS and bool(code.strip())
    return key in OUTLIER_KEYS or key in {persons for _, persons in PERSON_COUNTS}


def _amount_bounds_frame(sub: Submission, config: Config, period: Period,
                         history: History | None) -> Frame | None:
    """Household amounts bounded by the period's poverty standard: for each amount of
    ``validation.bounds.amounts`` (income in đồng/người/tháng; supports and sponsorship in đồng a household),
    the ceilings are ``soft_lines`` and ``hard_lines`` times the standard's poor-income line for the unit's
    area (Decree 07/2021/NĐ-CP, Art. 3 to 2025; Decree 351/2025/NĐ-CP from 2026 — whatever
    ``config/thresholds.yaml`` gives for the cut-off). Beyond the hard ceiling an error; beyond the soft one a
    warning district staff may accept with a justification (key :func:`amount_key`).

    None when the period has no standard or the unit is unknown (their own findings say so).

    Columns: ``indicator`` (the field's key), ``household_code``, ``excel_row`` (Int64), ``column_label``
    (str), ``value`` (int, đồng), ``within_hard``, ``within_soft`` (bool), ``detail`` (str, Vietnamese: the
    ceilings and the line they come from). Only amounts beyond a ceiling have rows (else one row that passes).
    """
    unit = _typed_unit(sub, config, period.cutoff)
    try:
        standard = config.standard_on(period.cutoff)
    except ConfigError:
        return None
    if unit is None or sub.roster.empty:
        return None
    defaults = BOUNDS_DEFAULTS["amounts"]
    amounts = {**defaults, **config.validation.get("bounds", {}).get("amounts", {})}
    accepted = (history.accepted if history is not None else None) or {}
    line = int(standard.poor_income_max_vnd[unit.area])
    decree = standard.source.split(",")[0]  # "Nghị định 07/2021/NĐ-CP"
    rows: list[dict[str, Any]] = []
    for field_key, bound in amounts.items():
        if field_key not in sub.roster.columns:
            continue
        soft = Decimal(str(bound["soft_lines"])) * line
        hard = Decimal(str(bound["hard_lines"])) * line
        field = schema.ROSTER_FIELDS_BY_KEY[field_key]
        label = sub.headers.get((schema.SHEET_ROSTER, field_key), field.header)
        for _, row in sub.roster.iterrows():
            value = row[field_key]
            if pd.isna(value) or int(value) <= soft:
                continue
            key = amount_key(field_key, row["household_code"])
            within_hard = bool(int(value) <= hard)
            rows.append({
                "indicator": field_key, "household_code": row["household_code"], "excel_row": row["excel_row"],
                "column_label": label, "value": int(value), "within_hard": within_hard,
                "within_soft": bool(not within_hard or key in accepted),
                "detail": (f"{fmt.number(int(value))} {field.unit or 'đồng'}; chuẩn nghèo {decree}, khu vực "
                           f"{AREA_WORDS.get(unit.area, unit.area)}: {fmt.number(line)} đồng/người/tháng; quá "
                           f"{fmt.number(bound['soft_lines'])} lần ({fmt.number(soft)} đồng) cần giải trình, "
                           f"tối đa {fmt.number(bound['hard_lines'])} lần ({fmt.number(hard)} đồng)."
                           + (f" {ACCEPT_KEY_WORDS}{key}." if within_hard and not pd.isna(row["household_code"])
                              else "")),
            })
    return Frame("amount_bounds", _limits_frame(rows, household_code=None), schema.SHEET_ROSTER, {})


def _closure_said(finding: Finding, sub: Submission, period: Period) -> Finding:
    """The reader's finding on an unknown unit code, told instead that the code closed before the period's
    cut-off and which unit took it over (:func:`pipeline.units.closed_code_help`); any other finding as it is.
    The reader does not know the period (its reads are kept per file), validation does."""
    code_cell = (schema.SHEET_GENERAL, sub.general_rows.get("unit_code"))
    if finding.rule != "identity" or (finding.sheet, finding.row) != code_cell or not finding.value:
        return finding
    closed = closed_code_help(str(finding.value).strip(), period.cutoff)
    if closed is None:
        return finding
    return dataclasses.replace(
        finding, message=f"{closed}: tệp ghi mã đã thôi hiệu lực nên chưa biết số liệu là của đơn vị nào.",
        fix="Ghi mã và tên của đơn vị hiện nay (như trên) vào sheet 'Thông tin chung', rồi gửi lại tệp.")


def _unit_detail(code: object, name: object, config: Config, period: Period | None) -> str:
    """What the message on an unknown unit code adds: when the code names a unit closed before the period's
    cut-off, the closure and the successor (:func:`pipeline.units.closed_code_help`); else the configured units
    whose names are closest to the name typed."""
    if code and period is not None:
        closed = closed_code_help(str(code), period.cutoff)
        if closed is not None:
            return f"{closed}."
    return _unit_suggestion(name, config)


def _unit_suggestion(name: object, config: Config) -> str:
    """The configured units whose names are closest to ``name`` (for a message), or ""."""
    units = closest_units(config, name, None) if name else []
    if not units:
        return ""
    return "Đơn vị gần đúng nhất: " + "; ".join(f"{u.full_name} (mã {u.code})" for u in units) + "."


def _name_matches_code(code: object, name: object, config: Config, on: dt.date | None) -> bool:
    """Whether the unit name typed agrees with the unit code typed: the unit's name or a configured alias,
    or its name with other tone marks (the reader warns about those two). True when either is missing or
    the code is unknown: those have their own findings."""
    if not code or not name:
        return True
    try:
        unit = config.unit(str(code), on)
    except KeyError:
        return True
    return unit.matches_name(name) or unit.differs_in_tones(name)


def _decree_07_expected(income: int, deprived: int, area: str, standard: Standard) -> str:
    """Status a household should have under Decree 07/2021/NĐ-CP, Art. 3: ``poor`` when its income is at or
    below the area's line and it lacks 3 or more of the 12 indicators, ``near_poor`` when at or below the
    line with fewer, else ``above``."""
    if income <= standard.poor_income_max_vnd[area]:
        return "poor" if deprived >= standard.min_deprivations_poor else "near_poor"
    return "above"


STANDARD_RULES = {"decree-07-2021": _decree_07_expected}
"""Implementation of each rule of :data:`schema.POVERTY_RULES` (the configuration refuses any other)."""


def _add_standard_check(roster: pd.DataFrame, sub: Submission, config: Config, period: Period) -> None:
    """Compare each household's recognised status at the cut-off with the poverty standard of the period.

    Under Decree 07/2021/NĐ-CP, Art. 3 — the only rule implemented — poor: income ≤ the area's threshold and
    deprived in ≥ 3 of the 12 indicators; near-poor: income ≤ the threshold and fewer than 3. The commune's
    decision is the legal fact, so a mismatch is a warning. A period with no standard is not compared (see
    :func:`standard_finding`). Adds ``matches_standard`` (bool) and ``standard_detail`` (str) in place.
    """
    try:
        unit = config.unit(str(sub.general.get("unit_code")), period.cutoff)
        standard = config.standard_on(period.cutoff)
    except (KeyError, ConfigError):
        roster["matches_standard"] = True
        roster["standard_detail"] = ""
        return
    expected_status = STANDARD_RULES[standard.rule]
    limit = standard.poor_income_max_vnd[unit.area]
    labels = {s["code"]: s["label"] for s in config.reference["statuses"]}
    matches, details = [], []
    for _, row in roster.iterrows():
        income = row["income_vnd_per_person_month"]
        deprived = int(sum(bool(row[k]) for k in schema.DEPRIVATION_KEYS))
        if pd.isna(income) or row["status_current"] not in labels or row["status_current"] == "not_listed":
            # no longer (or not yet) a household of the unit: it has no status of its own to compare
            matches.append(True)
            details.append("")
            continue
        expected = expected_status(int(income), deprived, unit.area, standard)
        recognised = row["status_current"] if row["status_current"] in ("poor", "near_poor") else "above"
        matches.append(expected == recognised)
        expected_label = labels.get(expected, "không thuộc hộ nghèo, cận nghèo")
        details.append(
            f"Thu nhập {fmt.number(int(income))} đồng/người/tháng (ngưỡng {unit.full_name}: {fmt.number(limit)}), "
            f"thiếu hụt {deprived}/12 chỉ số → theo chuẩn {standard.id}: {expected_label}; "
            f"đơn vị ghi: {labels[row['status_current']]}."
        )
    roster["matches_standard"] = pd.Series(matches, index=roster.index, dtype=bool)
    roster["standard_detail"] = pd.Series(details, index=roster.index, dtype=object)


def standard_finding(sub: Submission, config: Config, period: Period) -> Finding | None:
    """A warning when the period has no poverty standard the system applies (e.g. 2021-CN: Decision
    59/2015/QĐ-TTg is not implemented), so households were not compared with one; None otherwise or when
    the roster is empty."""
    if sub.roster.empty:
        return None
    try:
        config.standard_on(period.cutoff)
    except ConfigError as exc:
        column = sub.headers.get((schema.SHEET_ROSTER, "status_current"), "Phân loại tại ngày chốt")
        return Finding(WARNING, schema.SHEET_ROSTER, None, column, "",
                       f"Kỳ {period.code} (ngày chốt {period.cutoff:%d/%m/%Y}): chưa đối chiếu phân loại hộ với "
                       f"chuẩn nghèo. {exc}",
                       config.fill("Không cần sửa tệp; {office_abbr} đối chiếu thủ công theo chuẩn nghèo của kỳ "
                                   "này.", period.cutoff),
                       "standard")
    return None


def _members_frame(sub: Submission) -> Frame:
    """Sheet "Thành viên NCC" with ``household_known``: the code is a household of the roster (True/False),
    or None when that cannot be told: the code is blank (the not-null rule's error), or the roster has
    households without a code (each its own error), at least as many as the member codes it lacks, so those
    members may be theirs."""
    assert sub.members is not None
    frame = sub.members.copy()
    known = set(sub.roster["household_code"].dropna())
    uncoded = int(sub.roster["household_code"].isna().sum())
    unmatched = {c for c in frame["household_code"].dropna() if c not in known}
    unknowable = 0 < len(unmatched) <= uncoded
    frame["household_known"] = pd.Series(
        # a blank code cannot be told either: it is the not-null rule's one error on that cell
        [None if pd.isna(c) or (unknowable and c in unmatched) else c in known for c in frame["household_code"]],
        index=frame.index, dtype=object if unknowable or frame["household_code"].isna().any() else bool)
    return Frame("members", frame, schema.SHEET_MEMBERS,
                 {f.key: sub.headers.get((schema.SHEET_MEMBERS, f.key), f.header) for f in schema.MEMBER_FIELDS})


def _continuity_frame(sub: Submission, history: History) -> Frame:
    assert history.previous is not None
    now = set(sub.roster["household_code"].dropna())
    rows = [{"household_code": code, "present": code in now, "excel_row": None,
             "detail": f"Có trong báo cáo kỳ {history.previous_period}."}
            for code in sorted(set(history.previous.roster["household_code"].dropna()))]
    frame = pd.DataFrame(rows or [{"household_code": None, "present": True, "excel_row": None, "detail": ""}])
    frame["present"] = frame["present"].astype(bool)
    return Frame("continuity", frame, schema.SHEET_ROSTER,
                 {"household_code": sub.headers.get((schema.SHEET_ROSTER, "household_code"), "Mã hộ")})


OUTLIER_KEYS = ("households_total", "poor_households", "near_poor_households", "ncc_poor_households",
                "ncc_near_poor_households")


def _outlier_frame(sub: Submission, history: History, config: Config) -> Frame:
    """DHIS2-style min–max check: a unit total moving more than the configured share from the previous
    period is flagged, unless district staff accepted it with a written justification."""
    assert history.previous is not None
    limits = config.validation.get("outliers", {})
    max_pct = Decimal(str(limits.get("max_change_pct", 20)))
    min_abs = int(limits.get("min_change_abs", 5))
    accepted = history.accepted or {}
    cur = sub.summary.set_index("indicator")
    prev = history.previous.summary.set_index("indicator")
    rows = []
    for key in OUTLIER_KEYS:
        now_v: Any = cur.at[key, "value_current"]  # a count or NA (pandas types the cell as any scalar)
        before: Any = prev.at[key, "value_current"]
        if pd.isna(now_v) or pd.isna(before):
            continue
        change = int(now_v) - int(before)
        pct = (Decimal(abs(change)) * 100 / Decimal(int(before))) if int(before) else Decimal(100 if change else 0)
        rows.append({
            "indicator": key, "excel_row": cur.at[key, "excel_row"], "value_current": int(now_v),
            "within_limit": bool(abs(change) < min_abs or pct <= max_pct or key in accepted),
            "detail": (f"{capitalise(history.previous_label())}: {fmt.number(int(before))}; "
                       f"kỳ này: {fmt.number(int(now_v))} "
                       f"(thay đổi {fmt.pct(pct, 1)}; ngưỡng {fmt.pct(max_pct, 0)})."),
            "column_label": sub.headers.get((schema.SHEET_SUMMARY, "value_current"), "value_current"),
        })
    frame = pd.DataFrame(rows or [{"indicator": "", "excel_row": None, "value_current": None, "within_limit": True,
                                   "detail": "", "column_label": ""}])
    frame["within_limit"] = frame["within_limit"].astype(bool)
    return Frame("outliers", frame, schema.SHEET_SUMMARY, {})


def _roster_frame(roster: pd.DataFrame, config: Config) -> pd.DataFrame:
    frame = roster.copy()
    active = {"poor", "near_poor"}
    statuses = {s["code"] for s in config.reference["statuses"]}
    # A blank or unknown status is reported by its own expectation (not-null, in-set), not again as "out of
    # scope" or as a change kind that does not fit it.
    frame["in_scope"] = (frame["status_baseline"].isin(active) | frame["status_current"].isin(active)
                         | ~frame["status_baseline"].isin(statuses) | ~frame["status_current"].isin(statuses))
    rules = {c["code"]: c for c in config.reference["change_kinds"]}

    def transition_ok(row: pd.Series) -> bool:
        rule = rules.get(row["change_kind"])
        if rule is None or row["status_baseline"] not in statuses or row["status_current"] not in statuses:
            return True  # an unknown kind, a blank or unknown status is reported by its own expectation
        if rule["to"] == "same":
            return bool(row["status_baseline"] == row["status_current"])
        return row["status_baseline"] in rule["from"] and row["status_current"] in rule["to"]

    def decision_complete(row: pd.Series) -> bool:
        if row["change_kind"] == "unchanged":
            return True
        return bool(row["decision_number"]) and row["decision_date"] is not None and not pd.isna(row["decision_date"])

    # a household code with no digit reads as a person's name typed in the wrong column; a blank one is the
    # not-null rule's error
    frame["code_not_a_name"] = pd.Series(
        [pd.isna(c) or any(ch.isdigit() for ch in str(c)) for c in frame["household_code"]],
        index=frame.index, dtype=bool)
    # supports the plan (section IV.4) sends to households able to work, recorded for one that is not
    needing = [k for k in config.plan.get("supports_need_working_capacity", []) if k in frame.columns]
    labels = {f.key: f.header.removeprefix("Hỗ trợ: ") for f in schema.ROSTER_FIELDS}  # "con giống"
    given = [[labels[k] for k in needing if bool(row[k])] for _, row in frame.iterrows()]
    frame["capacity_fits"] = pd.Series(
        [not (names and not bool(able)) for names, able in zip(given, frame["working_capacity"], strict=True)],
        index=frame.index, dtype=bool)
    frame["working_capacity_typed"] = pd.Series(  # the flag as the cell shows it
        ["x" if bool(v) else "" for v in frame["working_capacity"]], index=frame.index, dtype=object)
    frame["capacity_detail"] = pd.Series(
        [f"Hỗ trợ đã ghi: {', '.join(names)}." if names else "" for names in given], index=frame.index, dtype=object)
    frame["transition_ok"] = frame.apply(transition_ok, axis=1).astype(bool) if len(frame) else pd.Series(dtype=bool)
    frame["decision_complete"] = (
        frame.apply(decision_complete, axis=1).astype(bool) if len(frame) else pd.Series(dtype=bool)
    )
    return frame


def _add_decision_window(roster: pd.DataFrame, period: Period) -> None:
    """``decision_in_period``: a decision date, when given, lies between 1 January and the cut-off date."""
    def ok(value: Any) -> bool:
        if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
            return True
        return period.baseline <= value <= period.cutoff

    roster["decision_in_period"] = pd.Series([ok(v) for v in roster["decision_date"]], index=roster.index,
                                             dtype=bool)


def _reconciliation_frame(sub: Submission, roster: pd.DataFrame, statuses: set[str], config: Config,
                          on: dt.date | None = None) -> Frame:
    """Summary figures of NCC households and persons against the roster's counts by status (``statuses``:
    the configured status codes). A count that cannot be known — some household's status is blank or not a
    configured status, or a member count is unreadable — is NA, so only that cell's own error is reported.

    Then the year's movement identity of the roster (:func:`pipeline.aggregate.movement.identity_rows`): one row per
    list (poor, near-poor NCC households) and measure (households, persons) with ``identity_value`` (1 January
    ∓ the movements by kind of change) and ``counted_value`` (counted from the statuses at the cut-off), on
    the roster sheet (``sheet``), ``detail`` naming the unit and both figures. Summary rows have NA there and
    identity rows NA in ``summary_value``/``roster_value``: each expectation skips the other's rows."""
    summary = sub.summary.set_index("indicator")
    records = []
    for as_of, column in (("baseline", "status_baseline"), ("current", "status_current")):
        counts: dict[str, Any] = dict(roster_counts(roster, column))
        if (~roster[column].isin(statuses)).any():  # blank (None) or unknown text: each its own error
            counts = dict.fromkeys(counts, pd.NA)
        for status, prefix in (("poor", "ncc_poor"), ("near_poor", "ncc_near_poor")):
            if roster.loc[roster[column] == status, "members_count"].isna().any():
                counts[f"{prefix}_persons"] = pd.NA  # a member count that could not be read is reported once
        for key in RECONCILED:
            records.append(
                {
                    "indicator": key,
                    "as_of": as_of,
                    "excel_row": summary.at[key, "excel_row"],
                    "summary_value": summary.at[key, f"value_{as_of}"],
                    "roster_value": counts[key],
                    "column_label": sub.headers.get((schema.SHEET_SUMMARY, f"value_{as_of}"), f"value_{as_of}"),
                }
            )
    for record in records:
        record["sheet"] = schema.SHEET_SUMMARY
    status_header = sub.headers.get((schema.SHEET_ROSTER, "status_current"), "Phân loại tại ngày chốt")
    try:
        unit_name = config.unit(str(sub.general.get("unit_code")), on).full_name
    except KeyError:
        unit_name = "đơn vị"
    for row in movement.identity_rows(roster, config, unit_name, status_header):
        records.append({**row, "as_of": "current", "excel_row": None, "sheet": schema.SHEET_ROSTER,
                        "column_label": status_header})
    frame = pd.DataFrame.from_records(records)
    for c in ("excel_row", "summary_value", "roster_value", "identity_value", "counted_value"):
        frame[c] = (frame[c] if c in frame else pd.Series([None] * len(frame))).astype("Int64")
    headers = {k: sub.headers.get((schema.SHEET_SUMMARY, k), k) for k in ("value_baseline", "value_current")}
    return Frame("reconciliation", frame, schema.SHEET_SUMMARY, headers)


def _display(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return clean_text(value)


def _findings_for(frame: Frame, result: Any, labels: dict[str, dict[str, str]]) -> list[Finding]:
    """Turn one expectation's validation result into findings, one per failing row."""
    cfg = result.expectation_config
    meta = cfg.meta or {}
    severity = ERROR if str(getattr(cfg.severity, "value", cfg.severity)) == "critical" else WARNING
    what, fix = split_description(cfg.description or "")
    field = meta["field"]
    value_column = meta.get("value_column", cfg.kwargs.get("column", field))
    bound_column = meta.get("bound_column")
    data = frame.data
    indices = result.result.get("unexpected_index_list")
    if not indices:
        return [Finding(severity, frame.sheet, None, frame.headers.get(field, field), "", what, fix, cfg.type)]
    out = []
    for idx in indices:
        if isinstance(idx, dict):
            continue
        row = data.loc[idx]
        column = row["column_label"] if "column_label" in row else frame.headers.get(field, field)
        excel_row = row.get("excel_row") if frame.rows is None else (
            frame.rows.get(field) if field is not None else None)
        excel_row = None if excel_row is None or pd.isna(excel_row) else int(excel_row)
        message = what
        if frame.name == "reconciliation" and row["indicator"] in schema.INDICATORS_BY_KEY:
            label = schema.INDICATORS_BY_KEY[row["indicator"]].label
            message = f"{what} Chỉ tiêu '{label}': danh sách hộ NCC cho {_display(row[bound_column])}."
        elif frame.name == "summary" and bound_column is not None and row.get("parent"):
            # a count bounded by the indicator that includes it: both named by their printed labels
            parent = schema.INDICATORS_BY_KEY[row["parent"]].label
            message = (f"{what} Chỉ tiêu: '{row['label']}'; chỉ tiêu bao gồm nó: '{parent}' "
                       f"({_display(row[bound_column])}).")
        elif bound_column is not None and not pd.isna(row[bound_column]):
            bound_label = meta.get("bound_label") or frame.headers.get(bound_column, bound_column)
            message = f"{what} ({bound_label}: {_display(row[bound_column])})"
        elif frame.name == "summary":
            message = f"{what} Chỉ tiêu: '{row['label']}'."
        if meta.get("detail_column") and row.get(meta["detail_column"]):
            message = f"{message} {row[meta['detail_column']]}"
        value = _display(row[value_column])
        value = labels.get(value_column, {}).get(value, value)
        sheet = row["sheet"] if "sheet" in row and isinstance(row["sheet"], str) else frame.sheet
        out.append(Finding(severity, sheet, excel_row, column, value, message, fix, cfg.type))
    return out


def check_frames(frames: list[Frame], parameters: dict[str, Any]) -> list[tuple[Frame, Any]]:
    """Validate each frame with its suite; GX's own results, at its ``COMPLETE`` result format.

    Args:
        frames: from :func:`build_frames`.
        parameters: suite parameters (``unit_codes``: list of str, ``periods``: list of str).

    Returns:
        ``[(frame, ExpectationSuiteValidationResult)]`` in the order of ``frames``; each frame's data with a
        fresh 0-based index, the one ``unexpected_index_list`` refers to.

    Raises:
        SuiteError: an expectation raised instead of giving a result (a fault of the suite, not of the file).
    """
    context = _gx_context()
    source = context.data_sources.get("submissions") if "submissions" in context.data_sources.all() else None
    if source is None:
        source = context.data_sources.add_pandas("submissions")
    checked: list[tuple[Frame, Any]] = []
    for frame in frames:
        suite = load_suite(frame.name)
        data = frame.data.reset_index(drop=True)
        data.index.name = None
        try:
            asset = source.get_asset(frame.name)
        except LookupError:
            asset = source.add_dataframe_asset(frame.name)
        try:
            batch_def = asset.get_batch_definition("whole")
        except (KeyError, LookupError):
            batch_def = asset.add_batch_definition_whole_dataframe("whole")
        batch = batch_def.get_batch(batch_parameters={"dataframe": data})
        results = batch.validate(suite, expectation_parameters=parameters, result_format={"result_format": "COMPLETE"})
        for res in results.results:
            if not res.success and res.exception_info and res.exception_info.get("raised_exception"):
                raise SuiteError(
                    f"Expectation {res.expectation_config.type} on frame {frame.name} raised: "
                    f"{res.exception_info.get('exception_message')}"
                )
        checked.append((Frame(frame.name, data, frame.sheet, frame.headers, frame.rows), results))
    return checked


def findings_of(checked: list[tuple[Frame, Any]], labels: dict[str, dict[str, str]] | None = None) -> list[Finding]:
    """The findings of the failed expectations of :func:`check_frames`' results, one per failing row.

    Args:
        checked: from :func:`check_frames`.
        labels: from :func:`code_labels`, to show coded values as typed.
    """
    findings: list[Finding] = []
    for frame, results in checked:
        for res in results.results:
            if not res.success:
                findings.extend(_findings_for(frame, res, labels or {}))
    return findings


def _excel_rows(frame: Frame, result: Any) -> list[int]:
    """The Excel rows of the rows an expectation found unexpected, in order, each once (no value)."""
    field = (result.expectation_config.meta or {}).get("field")
    rows: list[int] = []
    for idx in result.result.get("unexpected_index_list") or []:
        if isinstance(idx, dict):
            continue
        row = frame.data.loc[idx]
        excel_row = row.get("excel_row") if frame.rows is None else (
            frame.rows.get(field) if field is not None else None)
        if excel_row is not None and not pd.isna(excel_row) and int(excel_row) not in rows:
            rows.append(int(excel_row))
    return rows


def suite_results(checked: list[tuple[Frame, Any]]) -> list[dict[str, Any]]:
    """GX's validation results of :func:`check_frames` as JSON dicts, to keep (:mod:`pipeline.validate.results`).

    Returns:
        ``[{"suite": str, "sheet": str, "result": dict}]``: ``result`` is the suite's
        ``ExpectationSuiteValidationResult.to_json_dict()`` — complete, cell values included — where each
        failed expectation's ``meta`` also gives ``excel_rows``: the Excel rows it found unexpected (list of
        int; empty when the problem is not in one row).
    """
    out = []
    for frame, results in checked:
        data = results.to_json_dict()
        for res, entry in zip(results.results, data["results"], strict=True):
            if not res.success:
                entry["meta"] = {**(entry.get("meta") or {}), "excel_rows": _excel_rows(frame, res)}
        out.append({"suite": frame.name, "sheet": frame.sheet, "result": data})
    return out


def validate_submission(path: Path, *, config: Config, period: str, history: History | None = None,
                        file_name: str | None = None, sha256: str | None = None,
                        load: Callable[[], Submission] | None = None) -> ValidationOutcome:
    """Read and validate one submission workbook.

    Args:
        path: the workbook (.xlsx).
        config: units and reference lists.
        period: the period being compiled (``YYYY-6T``); the workbook must say the same.
        history: the unit's previous accepted submission, for the continuity and outlier rules.
        file_name: the name the file was sent under (default: ``path``'s name), used in messages.
        sha256: the file's hex SHA-256 when known (the ledger's), so that it is not hashed again.
        load: returns the submission already read (its staged frames, :mod:`pipeline.read.staging`) instead of
            reading ``path``; may raise UnreadableSubmission like the reader.

    Returns:
        A :class:`ValidationOutcome` with every finding (reader's and expectations') and, in
        ``suite_results``, GX's own results of every suite (:func:`suite_results`). An unreadable file gives
        one error finding, no suite result and ``unit_code`` None; it never raises for bad data.

    Raises:
        SuiteError: an expectation suite is broken (a fault of the pipeline, not of the submission).
    """
    name = file_name or path.name
    try:
        sub = load() if load is not None else read_workbook(path, config, file_name=name)
    except UnreadableSubmission as exc:
        return ValidationOutcome(
            file=name, sha256=sha256 or sha256_of(path), unit_code=None, period=period,
            findings=[Finding(ERROR, "", None, "", "", str(exc), exc.fix, "read")],
        )
    p = config.period(period)
    parameters = {"unit_codes": [u.code for u in config.units_on(p.cutoff)], "periods": [period]}
    office = isinstance(sub, OfficeSubmission)
    read_places = {(f.sheet, f.row, f.column) for f in sub.findings}
    frames = build_office_frames(sub, config, p) if isinstance(sub, OfficeSubmission) else build_frames(
        sub, config, p, history)
    results = check_frames(frames, parameters)
    checked = [f for f in findings_of(results, code_labels(config))
               if (f.sheet, f.row, f.column) not in read_places]  # one finding per bad cell: the reader's
    findings = [_closure_said(f, sub, p) for f in sub.findings] + [  # the suites' words are the setup's
        dataclasses.replace(f, message=config.fill(f.message, p.cutoff), fix=config.fill(f.fix, p.cutoff))
        for f in checked]
    no_standard = None if office else standard_finding(sub, config, p)
    if no_standard is not None:
        findings.append(no_standard)
    findings = locate_findings(findings, sub)
    general_sheet = o.SHEET_GENERAL if office else schema.SHEET_GENERAL
    identity_rows = {sub.general_rows.get(k) for k in ("unit_code", "unit_name", "office_code", "office_name")} - {None}
    findings.sort(key=lambda f: (not (f.rule == "identity" or (f.sheet == general_sheet and f.row in identity_rows)),
                                 f.severity != ERROR, f.sheet, f.row or 0, f.column))
    if office:
        code = sub.unit_code if sub.unit_code and config.office(sub.unit_code, p.cutoff) is not None else None
    else:
        code = sub.unit_code if sub.unit_code in parameters["unit_codes"] else None
    return ValidationOutcome(file=name, sha256=sub.sha256, unit_code=code, period=period, findings=findings,
                             suite_results=suite_results(results))
