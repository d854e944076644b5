"""Configuration: reporting units, periods, poverty standards and document settings.

Everything that changes with the locality or the year is read from ``config/*.yaml``; this module only
gives it types. Each file is checked against a pydantic model that refuses unknown keys and values of the
wrong type, so a typo fails at load instead of silently falling back to a default. It imports nothing
heavier than PyYAML and pydantic (which Airflow loads anyway), so DAG files may call it at parse time.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic import Field as PydanticField

from pipeline.schema import (
    INDICATORS_BY_KEY,
    POVERTY_RULES,
    UNSUPPORTED_POVERTY_RULES,
    canonical_unit_name,
    toneless_unit_name,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
DEFAULT_CONFIG = CONFIG_DIR / "ninh_son.yaml"
"""The locality file used when none is named (:class:`pipeline.workspace.Workspace` reads ``PIPELINE_CONFIG``)."""
PERIOD_RE = re.compile(r"^(?P<year>\d{4})-(?P<kind>6T|9T|CN)$")
OFFICE = "office"  # the kind of a district office among the reporting units (a commune's kind: xã, phường, …)


class ConfigError(ValueError):
    """A configuration file or a value derived from it (a period code, a date) is invalid."""


@dataclass(frozen=True)
class Unit:
    """A reporting unit (đơn vị báo cáo): a commune (xã) or township (thị trấn).

    ``code`` is the 5-character GSO code (Decision 124/2004/QĐ-TTg); ``area`` is ``urban`` for phường and
    thị trấn and ``rural`` for xã (Law on Organisation of Local Government 2015), which selects the
    income threshold of Decree 07/2021/NĐ-CP. ``required`` is False for a unit the plan only asks
    ("đề nghị") to report, such as the Fatherland Front: it is never counted as missing and its absence does
    not stop the targets from being assessed. ``households_reference``: the unit's households (a census or the
    commune's own count) its figure at the cut-off is compared with when the workbook has no 01/01 figure and
    no earlier period of the year was accepted (:func:`pipeline.validate.rules._bounds_frame`); None: not set.
    """

    code: str
    name: str
    kind: str
    area: str
    aliases: tuple[str, ...] = ()
    valid_from: dt.date = dt.date(1900, 1, 1)
    valid_to: dt.date = dt.date(9999, 12, 31)
    required: bool = True
    households_reference: int | None = None
    parts: tuple[str, ...] = ()  # an office's parts of the report (pipeline.aggregate.offices.PARTS)

    @property
    def full_name(self) -> str:
        """Name with its kind, as printed in reports: "xã Ma Nới", "thị trấn Tân Sơn"; an office's name alone
        ("Phòng Văn hóa - Thông tin")."""
        return self.name if self.is_office else f"{self.kind} {self.name}"

    @property
    def is_office(self) -> bool:
        """Whether the unit is a district office (``offices:`` in the configuration), not a commune."""
        return self.kind == OFFICE

    @property
    def canonical_names(self) -> frozenset[str]:
        """Its name, full name and aliases in the canonical form of :func:`schema.canonical_unit_name`."""
        return frozenset(canonical_unit_name(n) for n in (self.name, self.full_name, *self.aliases))

    def matches_name(self, name: object) -> bool:
        """Whether ``name`` is this unit's name or a configured alias, compared after NFC, case folding and
        tone-placement standardisation ("Xã Ma Nới", "Ma Nối", "Ma Noi" when configured; "Hòa" = "Hoà")."""
        return canonical_unit_name(name) in self.canonical_names

    def is_own_name(self, name: object) -> bool:
        """Whether ``name`` is this unit's own name (not an alias), as :meth:`matches_name` compares."""
        return canonical_unit_name(name) in {canonical_unit_name(self.name), canonical_unit_name(self.full_name)}

    def differs_in_tones(self, name: object) -> bool:
        """Whether ``name`` is this unit's own name but for its tone marks ("xã Mạ Nới", "Mà Nơi" for Ma Nới)
        and not a configured name or alias. Used only to word a warning, never to identify the unit."""
        return not self.matches_name(name) and toneless_unit_name(name) == toneless_unit_name(self.name)

    def active_on(self, day: dt.date) -> bool:
        """Whether the unit existed on ``day`` (units change, e.g. the 1 July 2025 reorganisation)."""
        return self.valid_from <= day <= self.valid_to


@dataclass(frozen=True)
class Period:
    """A reporting period (kỳ báo cáo) such as ``2023-6T``.

    ``deadline`` is the first instant at which the report is late: 00:00 of 05/5, 05/8 or 05/11 in the
    configured time zone (the plan, section VII: "trước ngày 05/5"). ``cutoff`` is the data cut-off date.
    Counts of households are as at ``cutoff`` (and as at 1 January for the baseline); activities, funds and
    supports are cumulative from 1 January.
    """

    code: str
    year: int
    kind: str
    label: str
    title: str
    deadline: dt.datetime
    cutoff: dt.date
    folder: str

    @property
    def baseline(self) -> dt.date:
        """1 January of the period's year: the date of the baseline counts."""
        return dt.date(self.year, 1, 1)


@dataclass(frozen=True)
class Standard:
    """A poverty standard valid over a date range. Incomes in đồng/người/tháng.

    ``rule`` names how a household is classified under it; only rules in :data:`schema.POVERTY_RULES` load
    (Decree 07/2021/NĐ-CP Art. 3 for 2022–2025: income at or below the area's line and 3 or more of the 12
    deprivation indicators for poor). Decision 59/2015/QĐ-TTg (to 2021) is refused: see
    :data:`schema.UNSUPPORTED_POVERTY_RULES`.
    """

    id: str
    valid_from: dt.date
    valid_to: dt.date
    source: str
    poor_income_max_vnd: dict[str, int]
    near_poor_income_max_vnd: dict[str, int]
    min_deprivations_poor: int
    rule: str = "decree-07-2021"
    average_income_max_vnd: dict[str, int] | None = None


@dataclass(frozen=True)
class Config:
    """The whole configuration: locality, units, periods, plan, document, targets and reference lists.

    ``units`` are the communes (their workbook, figures and rosters); ``offices`` the district offices that
    report on the plan in the offices' workbook (:mod:`pipeline.office_schema`), units of kind ``office``."""

    timezone: ZoneInfo
    locality: dict[str, Any]
    units: tuple[Unit, ...]
    period_kinds: dict[str, dict[str, Any]]
    plan: dict[str, Any]
    document: dict[str, Any]
    targets: dict[str, Any]
    reference: dict[str, Any]
    standards: tuple[Standard, ...] = field(default=())
    validation: dict[str, Any] = field(default_factory=dict)
    intake: dict[str, Any] = field(default_factory=dict)
    wording: dict[str, str] = field(default_factory=dict)
    stages: tuple[dict[str, Any], ...] = field(default=())
    mail: dict[str, Any] = field(default_factory=dict)
    reminders: dict[str, Any] = field(default_factory=dict)
    timeliness: dict[str, Any] = field(default_factory=dict)
    offices: tuple[Unit, ...] = field(default=())
    portal: dict[str, Any] = field(default_factory=lambda: _Portal().model_dump())

    def offices_on(self, day: dt.date) -> list[Unit]:
        """Offices that reported on ``day``, in configuration order."""
        return [u for u in self.offices if u.active_on(day)]

    def office(self, code: str, on: dt.date | None = None) -> Unit | None:
        """The office with ``code`` (on the day ``on`` when given), or None."""
        return next((u for u in self.offices if u.code == code and (on is None or u.active_on(on))), None)

    def units_on(self, day: dt.date) -> list[Unit]:
        """Units that existed on ``day``, in configuration order: the communes whose figures the report adds up."""
        return [u for u in self.units if u.active_on(day)]

    def reporting_units_on(self, day: dt.date) -> list[Unit]:
        """Everyone who reports for the period whose cut-off is ``day``: the units (:meth:`units_on`), then the
        offices (:meth:`offices_on`). Intake, validation, the status page, timeliness and reminders take these;
        aggregation takes the units only."""
        return self.units_on(day) + self.offices_on(day)

    def _stage(self, on: dt.date | None) -> dict[str, Any] | None:
        """The stage of ``hierarchy:`` the day ``on`` falls in, or None (the top-level sections apply)."""
        if on is None:
            return None
        return next((s for s in self.stages if s["valid_from"] <= on <= s["valid_to"]), None)

    def words(self, on: dt.date | None = None) -> dict[str, str]:
        """The setup's words for levels, kinds and offices on the day ``on`` (a period's cut-off: the stage of
        ``hierarchy:`` it falls in, else ``wording:``), plus ``whole_area_start``: the whole area capitalised to
        start a total row ("Toàn huyện")."""
        stage = self._stage(on)
        wording = stage["wording"] if stage is not None else self.wording
        whole = wording.get("whole_area", "")
        return {**wording, "whole_area_start": whole[:1].upper() + whole[1:]}

    def document_on(self, on: dt.date | None) -> dict[str, Any]:
        """The document section in force on ``on`` (a period's cut-off): issuer, number suffix, recipient,
        signer — the stage of ``hierarchy:`` it falls in, else ``document:``."""
        stage = self._stage(on)
        return stage["document"] if stage is not None else self.document

    def fill(self, text: str, on: dt.date | None = None) -> str:
        """``text`` with each ``{word}`` of :meth:`words` (``{staff}``, ``{office_abbr}``, ``{area}`` …) replaced by
        the setup's word: the fixed messages of the code and the suites name no level or office themselves.
        Only those tokens are replaced (a value quoted in a message keeps its braces)."""
        for key, word in self.words(on).items():
            text = text.replace("{" + key + "}", word)
        return text

    def incomplete_wait(self) -> dt.timedelta:
        """How long intake waits for a file still being copied or not yet whole, from when it was first seen:
        ``intake.incomplete_wait_minutes`` (default 10; :func:`pipeline.intake.inbox.intake_pass`)."""
        minutes = self.intake.get("incomplete_wait_minutes")
        return dt.timedelta(minutes=_Intake().incomplete_wait_minutes if minutes is None else float(minutes))

    def unit_on(self, code: str | None, on: dt.date) -> Unit | None:
        """The configured unit or office ``code`` names on the day ``on``, or None (no such unit that day). With its
        ``valid_from`` the code is the unit's identity, as the ledger keeps it (``unit_since``)."""
        return next((u for u in (*self.units, *self.offices) if u.code == code and u.active_on(on)), None)

    def unit(self, code: str, on: dt.date | None = None) -> Unit:
        """The unit with GSO code ``code`` (or the office with that code) on the day ``on`` (a period's cut-off):
        one code may name two units
        at different times (22810: thị trấn Tân Sơn to 30/06/2025, xã Ninh Sơn from 01/07/2025). Without
        ``on``, or when none is valid on it, the latest configured with that code.

        Raises:
            KeyError: no configured unit has that code.
        """
        same = sorted((u for u in (*self.units, *self.offices) if u.code == code), key=lambda u: u.valid_from)
        if not same:
            raise KeyError(code)
        if on is not None:
            for u in same:
                if u.active_on(on):
                    return u
        return same[-1]

    def period(self, code: str) -> Period:
        """Parse a period code ``YYYY-6T`` / ``YYYY-9T`` / ``YYYY-CN`` into a :class:`Period`.

        Raises:
            ConfigError: the code does not have that form.
        """
        m = PERIOD_RE.match(code or "")
        if not m:
            raise ConfigError(
                f"Kỳ báo cáo không hợp lệ: {code!r}. Dạng đúng: NNNN-6T, NNNN-9T hoặc NNNN-CN (ví dụ 2023-6T)."
            )
        year, kind = int(m["year"]), m["kind"]
        spec = self.period_kinds[kind]
        dl_month, dl_day = (int(x) for x in spec["deadline"].split("-"))
        co_month, co_day = (int(x) for x in spec["cutoff"].split("-"))
        return Period(
            code=code,
            year=year,
            kind=kind,
            label=spec["label"],
            title=spec["title"],
            deadline=dt.datetime(year, dl_month, dl_day, tzinfo=self.timezone),
            cutoff=dt.date(year, co_month, co_day),
            folder=spec["folder"],
        )

    def latest_period_due(self, when: dt.datetime) -> Period:
        """The latest period whose deadline is at or before ``when`` (an aware datetime).

        Used when a run has no period Param: a run at 00:00 of 05/5/2024 reports ``2024-6T``.
        """
        if when.tzinfo is None:
            raise ConfigError("run_after must be timezone-aware")
        local = when.astimezone(self.timezone)
        candidates = [
            self.period(f"{year}-{kind}") for year in (local.year - 1, local.year) for kind in self.period_kinds
        ]
        due = [p for p in candidates if p.deadline <= local]
        return max(due, key=lambda p: p.deadline)

    def standard_on(self, day: dt.date) -> Standard:
        """The poverty standard in force on ``day``.

        Raises:
            ConfigError: no configured standard covers that date; the message (Vietnamese) lists the
                standards the system applies and why the one before 2022 is not among them.
        """
        for s in self.standards:
            if s.valid_from <= day <= s.valid_to:
                return s
        known = "; ".join(f"{s.id} ({s.valid_from:%d/%m/%Y}–{s.valid_to:%d/%m/%Y})" for s in self.standards)
        raise ConfigError(
            f"Không có chuẩn nghèo nào được cấu hình cho ngày {day:%d/%m/%Y}. Hệ thống chỉ kiểm tra theo các chuẩn: "
            f"{known or 'không có'}. Chuẩn trước năm 2022 (Quyết định 59/2015/QĐ-TTg, 10 chỉ số thiếu hụt) "
            "không kiểm tra được từ mẫu báo cáo mang 12 chỉ số của Nghị định 07/2021/NĐ-CP."
        )

    def previous_period(self, period: Period) -> Period:
        """The period reported just before ``period``: 2023-6T ← 2022-CN, 2023-9T ← 2023-6T, 2023-CN ← 2023-9T."""
        kinds = sorted(self.period_kinds, key=lambda k: self.period_kinds[k]["deadline"])
        i = kinds.index(period.kind)
        return self.period(f"{period.year}-{kinds[i - 1]}" if i else f"{period.year - 1}-{kinds[-1]}")

    def schedule_cron(self) -> str:
        """Cron expression firing at 00:00 of every configured deadline (local time of ``timezone``)."""
        pairs = sorted(
            (int(m), int(d)) for m, d in (spec["deadline"].split("-") for spec in self.period_kinds.values())
        )
        days = {d for _, d in pairs}
        if len(days) != 1:
            raise ConfigError("All deadlines must fall on the same day of the month to share one cron line")
        return f"0 0 {days.pop()} {','.join(str(m) for m, _ in pairs)} *"


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"Cannot read configuration {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"Configuration {path} is not a mapping")
    return data


# --- The files' shapes. Every model refuses keys it does not know (a typo is an error, not a default). ---

class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Text = Annotated[StrictStr, StringConstraints(min_length=1)]
Code = Annotated[StrictStr, StringConstraints(pattern=r"^\S+$")]
MonthDay = Annotated[StrictStr, StringConstraints(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")]
Count = Annotated[StrictInt, PydanticField(ge=0)]
Amount = Annotated[StrictInt, PydanticField(gt=0)]


class _Locality(_Model):
    province: Text
    province_code: Annotated[StrictStr, StringConstraints(pattern=r"^\d{2}$")]
    district: Text | None = None  # none since 01/07/2025 (two-tier local government)
    district_code: Annotated[StrictStr, StringConstraints(pattern=r"^\d{3}$")] | None = None
    place_name: Text


class _Dated(_Model):
    """Something of the configuration valid from one day to another (both included)."""

    valid_from: dt.date = dt.date(1900, 1, 1)
    valid_to: dt.date = dt.date(9999, 12, 31)

    @model_validator(mode="after")
    def _dates_in_order(self) -> _Dated:
        if self.valid_from > self.valid_to:
            raise ValueError("valid_from is after valid_to")
        return self


class _Unit(_Dated):
    code: Annotated[StrictStr, StringConstraints(pattern=r"^\d{5}$")]
    name: Text
    kind: Text
    area: Literal["urban", "rural"]
    aliases: list[Text] = []
    required: StrictBool = True
    households_reference: Annotated[StrictInt, PydanticField(gt=0)] | None = None


class _Office(_Dated):
    code: Annotated[StrictStr, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{1,4}$")]  # a letter first: never a commune's
    name: Text
    aliases: list[Text] = []
    required: StrictBool = True
    # the report's parts it carries (pipeline.aggregate.offices.PARTS): named there when it sent nothing valid
    parts: list[Literal["direction", "outreach", "mobilisation", "livelihood", "loans", "sponsorship",
                        "state_management", "assessment"]] = []


class _PeriodKind(_Model):
    label: Text
    title: Text
    deadline: MonthDay
    cutoff: MonthDay
    folder: Annotated[StrictStr, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$")]

    @field_validator("deadline", "cutoff")
    @classmethod
    def _exists(cls, value: str) -> str:
        month, day = (int(x) for x in value.split("-"))
        dt.date(2024, month, day)  # a leap year: 02-29 exists; 02-30 raises ValueError
        return value


class _PlanTask(_Model):
    code: Text  # as the plan numbers it: "IV.1"
    label: Text


class _Plan(_Model):
    number: StrictStr = ""
    number_suffix: Text = "/KH-UBND"
    date: Annotated[StrictStr, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] | None = None
    issuer: Text
    year: Annotated[StrictInt, PydanticField(ge=2000, le=2100)]
    title: Text
    subject: Text
    supports_need_working_capacity: list[Code] = []
    tasks: list[_PlanTask] = []  # the plan's tasks (section IV) an office's activity is reported under


class _Document(_Model):
    issuer_parent: Text
    issuer: Text
    issuer_short: Text
    number: StrictStr = ""
    number_suffix: Text
    issue_date: dt.date | Literal[""] = ""
    issue_month_default: Literal["deadline"] = "deadline"
    recipient_of_report: Text
    signer_authority: StrictStr = ""
    signer_title: StrictStr = ""
    signer_name: StrictStr = ""
    recipients: list[Text] = []
    recipients_archive: Text


class _Targets(_Model):
    ncc_poor_households_by_year_end: Count = 0
    ncc_fallback_or_new_poor: Count = 0
    ncc_poor_access_dimensions: list[Code] = []


class _Outliers(_Model):
    max_change_pct: Annotated[StrictFloat, PydanticField(ge=0)] = 20
    min_change_abs: Count = 5


class _AmountBound(_Model):
    """A household amount's ceilings in poverty lines: multiples of the period's standard income line for the
    unit's area (đồng/người/tháng), so they follow the standard (pipeline.validate.rules._amount_bounds_frame)."""

    soft_lines: Annotated[StrictFloat, PydanticField(gt=0)]
    hard_lines: Annotated[StrictFloat, PydanticField(gt=0)]

    @model_validator(mode="after")
    def _soft_below_hard(self) -> _AmountBound:
        if self.soft_lines > self.hard_lines:
            raise ValueError("soft_lines lớn hơn hard_lines")
        return self


AMOUNT_FIELDS = ("income_vnd_per_person_month", "support_loan_vnd", "support_housing_vnd", "sponsor_amount_vnd")
"""The roster's amounts bounded by ``validation.bounds.amounts`` (schema.ROSTER_FIELDS keys)."""


class _Bounds(_Model):
    """Limits of a unit's figures by the unit itself (pipeline.validate.rules._bounds_frame) and of the
    households' amounts by the period's poverty standard (``amounts``: field → ceilings in poverty lines)."""

    households_max: Annotated[StrictInt, PydanticField(gt=0)] = 500_000
    households_change_soft: Annotated[StrictFloat, PydanticField(ge=1)] = 1.1
    households_change_hard: Annotated[StrictFloat, PydanticField(ge=1)] = 2.0
    persons_per_household_soft: Annotated[StrictFloat, PydanticField(ge=1)] = 8
    persons_per_household_hard: Annotated[StrictFloat, PydanticField(ge=1)] = 30
    # poor and near-poor households at the cut-off against 01/01 (the lists change only by the commune's
    # decisions through the year): beyond soft a warning, beyond hard an error, when they differ by at least
    # validation.outliers.min_change_abs households
    poverty_change_soft: Annotated[StrictFloat, PydanticField(ge=1)] = 2.0
    poverty_change_hard: Annotated[StrictFloat, PydanticField(ge=1)] = 5.0
    amounts: dict[str, _AmountBound] = {
        "income_vnd_per_person_month": _AmountBound(soft_lines=3, hard_lines=20),
        "support_loan_vnd": _AmountBound(soft_lines=100, hard_lines=400),
        "support_housing_vnd": _AmountBound(soft_lines=50, hard_lines=200),
        "sponsor_amount_vnd": _AmountBound(soft_lines=20, hard_lines=200),
    }

    @field_validator("amounts")
    @classmethod
    def _known_amounts(cls, value: dict[str, _AmountBound]) -> dict[str, _AmountBound]:
        unknown = sorted(set(value) - set(AMOUNT_FIELDS))
        if unknown:
            raise ValueError(f"không có số tiền {', '.join(unknown)} (chỉ: {', '.join(AMOUNT_FIELDS)})")
        return value


BOUNDS_DEFAULTS: dict[str, Any] = _Bounds().model_dump()
"""``validation.bounds`` when the configuration leaves a limit out (its ``validation`` dict holds only what
was set)."""


class _Validation(_Model):
    outliers: _Outliers = _Outliers()
    bounds: _Bounds = _Bounds()
    max_file_mb: Annotated[StrictFloat, PydanticField(gt=0)] | None = None
    max_uncompressed_mb: Annotated[StrictFloat, PydanticField(gt=0)] | None = None
    max_compression_ratio: Annotated[StrictFloat, PydanticField(gt=1)] | None = None
    max_sheet_rows: Annotated[StrictInt, PydanticField(gt=0, le=1_048_576)] | None = None
    max_sheet_columns: Annotated[StrictInt, PydanticField(gt=0, le=16_384)] | None = None
    max_cells: Annotated[StrictInt, PydanticField(gt=0)] | None = None
    intake_stable_seconds: Annotated[StrictFloat, PydanticField(ge=0, le=600)] | None = None
    intake_max_file_mb: Annotated[StrictFloat, PydanticField(gt=0)] | None = None
    # an office's and a commune's count of the same NCC households (loans, sponsorship, training) may differ by
    # this many households before the status page warns (pipeline.aggregate.offices.reconciliation)
    reconciliation_tolerance_households: Annotated[StrictInt, PydanticField(ge=0)] = 0


class _Intake(_Model):
    """Intake settings. ``allowed_inbox_links``: the targets (absolute paths, compared with links resolved) that
    the inbox root or a period's drop folder may be a symbolic link to, such as a mounted share; any other
    link is refused and stops the report's final pass (:func:`pipeline.intake.inbox.inbox_refusal`)."""

    final_pass_tolerance_minutes: Annotated[StrictFloat, PydanticField(ge=0, le=60)] = 2
    # A file first seen by the deadline and still being copied, or not yet whole, is waited for this long from
    # when it was first seen (the report's final pass waits inside its task; gather's time limit is this plus
    # 20 minutes); after it, a file still not whole is archived as received and refused.
    incomplete_wait_minutes: Annotated[StrictFloat, PydanticField(ge=0, le=60)] = 10
    allowed_inbox_links: list[Text] = []

    @field_validator("allowed_inbox_links")
    @classmethod
    def _absolute_distinct(cls, value: list[str]) -> list[str]:
        for path in value:
            if not path.startswith("/") or "\x00" in path:
                raise ValueError(f"{path!r} không phải đường dẫn tuyệt đối (phải bắt đầu bằng '/', ví dụ "
                                 "/mnt/chia-se/inbox)")
        twice = sorted({p for p in value if value.count(p) > 1})
        if twice:
            raise ValueError(f"đường dẫn được ghi hai lần: {', '.join(twice)}")
        return value


Address = Annotated[StrictStr, StringConstraints(pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")]


class _Mail(_Model):
    """E-mail through Airflow's SMTP connection ``smtp_conn_id``. Addresses only: never a household's data."""

    smtp_conn_id: Code = "smtp_default"
    from_address: Address | None = None  # else the connection's extra ``from_email``
    district_staff: list[Address] = []  # district staff who follow the submissions (reminder summaries)
    report_recipients: list[Address] = []  # who receives the approved report (python -m pipeline deliver)
    # per unit (GSO code) or office (its code in ``offices:``)
    unit_addresses: dict[Annotated[StrictStr, StringConstraints(pattern=r"^(\d{5}|[A-Z][A-Z0-9]{1,4})$")],
                         list[Address]] = {}
    feedback_location: StrictStr = ""  # where units read their feedback (shared folder, web address); "" = paths


class _Portal(_Model):
    """The upload page (:mod:`pipeline.portal`): where units reach it, how long a session lasts without use, the
    largest upload, and how many failed logins an account (or an address) may make in a window before it waits."""

    public_url: StrictStr = ""  # as units type it (behind the reverse proxy); "" = not published, mails name paths
    session_minutes: Annotated[StrictInt, PydanticField(ge=5, le=720)] = 30
    max_upload_mb: Annotated[StrictFloat, PydanticField(gt=0, le=200)] = 20
    login_attempts: Annotated[StrictInt, PydanticField(ge=1, le=100)] = 5
    login_window_seconds: Annotated[StrictInt, PydanticField(ge=10, le=3600)] = 60
    secure_cookies: StrictBool = False  # True once published behind TLS: the session cookie is sent over HTTPS only


class _Reminders(_Model):
    """Reminders before each deadline: ``days_before`` the deadline day (e.g. [7, 2])."""

    days_before: list[Annotated[StrictInt, PydanticField(ge=1, le=60)]] = []
    send_hour: Annotated[StrictInt, PydanticField(ge=0, le=23)] = 8  # local time of the daily run

    @field_validator("days_before")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("a number of days is listed twice")
        return sorted(value, reverse=True)
class _Timeliness(_Model):
    """Timeliness policies (see :mod:`pipeline.ledger.timeliness`)."""

    correction_grace_days: Annotated[StrictInt, PydanticField(ge=0, le=366)] = 0
    move_deadline_off_non_working_days: StrictBool = False
    holidays: list[dt.date] = []
    lock_after_days: Annotated[StrictInt, PydanticField(ge=0, le=366)] | None = None


class _Wording(_Model):
    """The words that name the compiling level, the reporting units' kinds and the offices, in every page, mail
    and the report (``wording:`` in the locality file; no default: they change with the level of government)."""

    area: Text  # the compiling level's area in a sentence: "trên địa bàn huyện"
    whole_area: Text  # the whole area, lower case: "toàn huyện"; the total rows use it capitalised
    unit_kinds: Text  # the reporting units' kinds: "các xã, thị trấn"
    office: Text  # the compiling office in full, in a sentence
    office_short: Text  # its short name with the place, in a mail subject
    office_abbr: Text  # its abbreviation in a message to a unit: "Phòng LĐ-TB&XH"
    office_word: Text  # how the report calls the office itself: "Phòng"
    staff: Text  # its staff, as units read it: "cán bộ huyện"
    superior: Text  # whom the office reports to, in a sentence: "Ủy ban nhân dân huyện"


class _Stage(_Dated):
    """A dated stage of the reporting hierarchy: from ``valid_from`` to ``valid_to`` the report is another
    office's, to another body (``document``), in other words (``wording``) — e.g. the district's Labour office to
    30/06/2025, the province's Sở Nông nghiệp và Môi trường from 01/07/2025. A period is in the stage its
    cut-off falls in; outside every stage, the top-level ``document`` and ``wording`` apply."""

    document: _Document
    wording: _Wording


class _Locale(_Model):
    timezone: Text = "Asia/Ho_Chi_Minh"
    locality: _Locality
    units: Annotated[list[_Unit], PydanticField(min_length=1)]
    offices: list[_Office] = []
    periods: dict[Literal["6T", "9T", "CN"], _PeriodKind]
    plan: _Plan | None = None
    document: _Document
    wording: _Wording
    hierarchy: list[_Stage] = []
    targets: _Targets = _Targets()
    validation: _Validation = _Validation()
    intake: _Intake = _Intake()
    mail: _Mail = _Mail()
    reminders: _Reminders = _Reminders()
    timeliness: _Timeliness = _Timeliness()
    portal: _Portal = _Portal()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> _Locale:
        offices = [o.code for o in self.offices]
        if len(set(offices)) != len(offices):
            raise ValueError("offices: an office code is listed twice")
        codes = [u.code for u in self.units] + offices
        # one code may name two units at different times (22810: thị trấn Tân Sơn to 30/06/2025, xã Ninh Sơn
        # from 01/07/2025), never two at once
        dup = sorted({a.code for a in self.units for b in self.units
                      if a is not b and a.code == b.code and a.valid_from <= b.valid_to and b.valid_from <= a.valid_to})
        if dup:
            raise ValueError(f"unit codes listed twice for the same dates: {', '.join(dup)}")
        stages = sorted(self.hierarchy, key=lambda s: s.valid_from)
        if any(a.valid_to >= b.valid_from for a, b in zip(stages, stages[1:], strict=False)):
            raise ValueError("hierarchy: two stages cover the same days")
        missing = {"6T", "9T", "CN"} - set(self.periods)
        if missing:
            raise ValueError(f"periods lacks {', '.join(sorted(missing))}")
        unknown = sorted(set(self.mail.unit_addresses) - set(codes))
        if unknown:
            raise ValueError(f"mail.unit_addresses: unknown unit codes {', '.join(unknown)}")
        return self


class _Coded(_Model):
    code: Code
    label: Text


class _ChangeKind(_Coded):
    from_: list[Code] = PydanticField(alias="from")
    to: list[Code] | Literal["same"]
    group: Literal["other_decrease", "other_increase"] | None = None


class _Dimension(_Coded):
    indicators: list[Code]


class _FundSource(_Coded):
    number: Annotated[StrictInt, PydanticField(ge=1)]


class _Reference(_Model):
    statuses: list[_Coded]
    change_kinds: list[_ChangeKind]
    ncc_categories: list[_Coded]
    dimensions: list[_Dimension]
    indicators: list[_Coded]
    fund_sources: list[_FundSource]
    office_supports: list[_Coded] = []  # kinds of support an office reports by commune (offices' workbook)

    @model_validator(mode="after")
    def _consistent(self) -> _Reference:
        for name in ("statuses", "change_kinds", "ncc_categories", "dimensions", "indicators", "fund_sources",
                     "office_supports"):
            codes = [i.code for i in getattr(self, name)]
            if len(set(codes)) != len(codes):
                raise ValueError(f"{name}: a code is listed twice")
        statuses = {s.code for s in self.statuses}
        for kind in self.change_kinds:
            unknown = (set(kind.from_) | (set() if kind.to == "same" else set(kind.to))) - statuses
            if unknown:
                raise ValueError(f"change kind {kind.code}: unknown statuses {', '.join(sorted(unknown))}")
        indicators = {i.code for i in self.indicators}
        for dim in self.dimensions:
            if set(dim.indicators) - indicators:
                raise ValueError(f"dimension {dim.code}: unknown indicators "
                                 f"{', '.join(sorted(set(dim.indicators) - indicators))}")
        unknown_funds = {f.code for f in self.fund_sources} - set(INDICATORS_BY_KEY)
        if unknown_funds:
            raise ValueError(f"fund_sources: not summary indicators: {', '.join(sorted(unknown_funds))}")
        return self


class _AreaAmounts(_Model):
    rural: Amount
    urban: Amount


class _Standard(_Model):
    id: Text
    rule: Text
    valid_from: dt.date
    valid_to: dt.date
    source: Text
    poor_income_max_vnd: _AreaAmounts
    near_poor_income_max_vnd: _AreaAmounts
    average_income_max_vnd: _AreaAmounts | None = None
    min_deprivations_poor: Annotated[StrictInt, PydanticField(ge=1)]

    @field_validator("rule")
    @classmethod
    def _implemented(cls, value: str) -> str:
        if value in POVERTY_RULES:
            return value
        if value in UNSUPPORTED_POVERTY_RULES:
            raise ValueError(f"quy tắc {value!r} không được hỗ trợ: {UNSUPPORTED_POVERTY_RULES[value]}")
        raise ValueError(f"quy tắc {value!r} chưa được cài đặt; các quy tắc có: {', '.join(sorted(POVERTY_RULES))}")

    @model_validator(mode="after")
    def _coherent(self) -> _Standard:
        if self.valid_from > self.valid_to:
            raise ValueError("valid_from is after valid_to")
        if self.min_deprivations_poor > len(POVERTY_RULES[self.rule].indicators):
            raise ValueError(f"min_deprivations_poor exceeds the rule's {len(POVERTY_RULES[self.rule].indicators)} "
                             "indicators")
        return self


class _Thresholds(_Model):
    standards: list[_Standard]

    @model_validator(mode="after")
    def _no_overlap(self) -> _Thresholds:
        spans = sorted((s.valid_from, s.valid_to, s.id) for s in self.standards)
        for (_, end, a), (start, _, b) in zip(spans, spans[1:], strict=False):
            if start <= end:
                raise ValueError(f"standards {a} and {b} overlap")
        return self


M = TypeVar("M", bound=BaseModel)


def _location(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a key path: ``("units", 3, "aera")`` → ``units[3].aera``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "tagged-union")) and str(part) not in ("literal['same']",):
            out += f".{part}" if out else str(part)
    return out


def _parse(model: type[M], path: Path) -> M:
    """Read ``path`` and check it against ``model``.

    Raises:
        ConfigError: the file cannot be read, or a key is unknown, missing or of the wrong type; the
            message names the file and every key path, e.g. ``units[3].aera: Extra inputs are not permitted``.
    """
    raw = _read_yaml(path)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        seen: list[str] = []
        for err in exc.errors(include_url=False):
            where = _location(err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            line = f"{where}: {msg}" if where else msg
            if line not in seen:
                seen.append(line)
        raise ConfigError(f"Cấu hình không hợp lệ trong {path}:\n  " + "\n  ".join(seen)) from None


def config_from_files(locality: Path, reference: Path, thresholds: Path) -> Config:
    """Load and check the three configuration files into a :class:`Config` (not cached).

    Raises:
        ConfigError: a file is missing or not YAML; it has an unknown key or a value of the wrong type; a
            poverty standard names a rule the code does not implement (e.g. Decision 59/2015/QĐ-TTg, whose
            10 indicators the workbook does not carry); or the files disagree (a target names an unknown
            dimension, a rule's indicators are not those of ``reference.yaml``).
    """
    loc = _parse(_Locale, locality)
    ref = _parse(_Reference, reference)
    thr = _parse(_Thresholds, thresholds)
    dims = {d.code for d in ref.dimensions}
    unknown = set(loc.targets.ncc_poor_access_dimensions) - dims
    if unknown:
        raise ConfigError(f"Cấu hình không hợp lệ trong {locality}:\n  targets.ncc_poor_access_dimensions: "
                          f"unknown dimensions {', '.join(sorted(unknown))} (see {reference.name})")
    indicators = tuple(i.code for i in ref.indicators)
    for i, s in enumerate(thr.standards):
        rule = POVERTY_RULES[s.rule]
        if indicators != rule.indicators or len(ref.dimensions) != rule.dimensions:
            raise ConfigError(
                f"Cấu hình không hợp lệ trong {thresholds}:\n  standards[{i}].rule: {rule.id} counts "
                f"{len(rule.indicators)} indicators in {rule.dimensions} dimensions; {reference.name} lists "
                f"{len(indicators)} in {len(ref.dimensions)}")
    units = tuple(
        Unit(code=u.code, name=u.name, kind=u.kind, area=u.area, aliases=tuple(u.aliases), valid_from=u.valid_from,
             valid_to=u.valid_to, required=u.required, households_reference=u.households_reference)
        for u in loc.units
    )
    offices = tuple(
        Unit(code=o.code, name=o.name, kind=OFFICE, area="", aliases=tuple(o.aliases), valid_from=o.valid_from,
             valid_to=o.valid_to, required=o.required, parts=tuple(o.parts))
        for o in loc.offices
    )
    standards = tuple(
        Standard(
            id=s.id, valid_from=s.valid_from, valid_to=s.valid_to, source=s.source,
            poor_income_max_vnd=s.poor_income_max_vnd.model_dump(),
            near_poor_income_max_vnd=s.near_poor_income_max_vnd.model_dump(),
            min_deprivations_poor=s.min_deprivations_poor, rule=s.rule,
            average_income_max_vnd=s.average_income_max_vnd.model_dump() if s.average_income_max_vnd else None,
        )
        for s in thr.standards
    )

    def as_dict(model: BaseModel | None) -> dict[str, Any]:
        # only the keys the file has: callers keep their own defaults for the others
        return {} if model is None else model.model_dump(mode="python", by_alias=True, exclude_unset=True)

    return Config(
        timezone=ZoneInfo(loc.timezone),
        locality=as_dict(loc.locality),
        units=units,
        offices=offices,
        period_kinds={k: v.model_dump() for k, v in loc.periods.items()},
        plan=as_dict(loc.plan),
        document=as_dict(loc.document),
        targets=as_dict(loc.targets),
        reference=as_dict(ref),
        standards=standards,
        validation=as_dict(loc.validation),
        intake=as_dict(loc.intake),
        wording=loc.wording.model_dump(),
        stages=tuple(dict(valid_from=s.valid_from, valid_to=s.valid_to, document=as_dict(s.document),
                          wording=s.wording.model_dump()) for s in loc.hierarchy),
        mail=loc.mail.model_dump(mode="python"),
        reminders=loc.reminders.model_dump(mode="python"),
        timeliness=as_dict(loc.timeliness),
        portal=loc.portal.model_dump(mode="python"),
    )


@lru_cache(maxsize=8)
def _load(path: str) -> Config:
    return config_from_files(Path(path), CONFIG_DIR / "reference.yaml", CONFIG_DIR / "thresholds.yaml")


def load_config(path: Path | str | None = None) -> Config:
    """Load and check the configuration (cached per path): the locality file, ``config/reference.yaml`` and
    ``config/thresholds.yaml`` (see :func:`config_from_files`).

    Args:
        path: the locality file; default :data:`DEFAULT_CONFIG` (the environment's choice is the workspace's:
            :meth:`pipeline.workspace.Workspace.config`).

    Raises:
        ConfigError: a file is missing, not YAML, or does not have the expected keys and types.
    """
    return _load(str(path or DEFAULT_CONFIG))
