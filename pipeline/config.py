"""Configuration: reporting units, periods, poverty standards and document settings.

Everything that changes with the locality or the year is read from ``config/*.yaml``; this module only
gives it types. It imports nothing heavier than PyYAML, so DAG files may call it at parse time.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from pipeline.schema import canonical_unit_name

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
PERIOD_RE = re.compile(r"^(?P<year>\d{4})-(?P<kind>6T|9T|CN)$")


class ConfigError(ValueError):
    """A configuration file or a value derived from it (a period code, a date) is invalid."""


def data_dir() -> Path:
    """Root of the pipeline's data folders (``inbox/``, ``work/``, ``reports/``).

    ``PIPELINE_DATA_DIR`` overrides the default, the project root; tests point it at a temporary folder.
    """
    return Path(os.environ.get("PIPELINE_DATA_DIR", PROJECT_ROOT)).resolve()


def config_path() -> Path:
    """Path of the locality configuration file (``PIPELINE_CONFIG`` overrides ``config/ninh_son.yaml``)."""
    return Path(os.environ.get("PIPELINE_CONFIG", CONFIG_DIR / "ninh_son.yaml"))


@dataclass(frozen=True)
class Unit:
    """A reporting unit (đơn vị báo cáo): a commune (xã) or township (thị trấn).

    ``code`` is the 5-character GSO code (Decision 124/2004/QĐ-TTg); ``area`` is ``urban`` for phường and
    thị trấn and ``rural`` for xã (Law on Organisation of Local Government 2015), which selects the
    income threshold of Decree 07/2021/NĐ-CP. ``required`` is False for a unit the plan only asks
    ("đề nghị") to report, such as the Fatherland Front: it is never counted as missing and its absence does
    not stop the targets from being assessed.
    """

    code: str
    name: str
    kind: str
    area: str
    aliases: tuple[str, ...] = ()
    valid_from: dt.date = dt.date(1900, 1, 1)
    valid_to: dt.date = dt.date(9999, 12, 31)
    required: bool = True

    @property
    def full_name(self) -> str:
        """Name with its kind, as printed in reports: "xã Ma Nới", "thị trấn Tân Sơn"."""
        return f"{self.kind} {self.name}"

    @property
    def canonical_names(self) -> frozenset[str]:
        """Its name, full name and aliases in the canonical form of :func:`schema.canonical_unit_name`."""
        return frozenset(canonical_unit_name(n) for n in (self.name, self.full_name, *self.aliases))

    def matches_name(self, name: object) -> bool:
        """Whether ``name`` is this unit's name or a configured alias ("xa Ma Noi", "Ma Nối", "Xã Ma Nới")."""
        return canonical_unit_name(name) in self.canonical_names

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

    Source: Decree 07/2021/NĐ-CP Art. 3 for 2022–2025; Decision 59/2015/QĐ-TTg before.
    """

    id: str
    valid_from: dt.date
    valid_to: dt.date
    source: str
    poor_income_max_vnd: dict[str, int]
    near_poor_income_max_vnd: dict[str, int]
    min_deprivations_poor: int


@dataclass(frozen=True)
class Config:
    """The whole configuration: locality, units, periods, plan, document, targets and reference lists."""

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

    def units_on(self, day: dt.date) -> list[Unit]:
        """Units that existed on ``day``, in configuration order."""
        return [u for u in self.units if u.active_on(day)]

    def unit(self, code: str) -> Unit:
        """The unit with GSO code ``code``.

        Raises:
            KeyError: no configured unit has that code.
        """
        for u in self.units:
            if u.code == code:
                return u
        raise KeyError(code)

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
            ConfigError: no configured standard covers that date.
        """
        for s in self.standards:
            if s.valid_from <= day <= s.valid_to:
                return s
        raise ConfigError(f"Không có chuẩn nghèo nào được cấu hình cho ngày {day:%d/%m/%Y}")

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


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@lru_cache(maxsize=8)
def _load(path: str) -> Config:
    raw = _read_yaml(Path(path))
    reference = _read_yaml(CONFIG_DIR / "reference.yaml")
    thresholds = _read_yaml(CONFIG_DIR / "thresholds.yaml")
    units = tuple(
        Unit(
            code=str(u["code"]),
            name=u["name"],
            kind=u["kind"],
            area=u["area"],
            aliases=tuple(u.get("aliases", ())),
            valid_from=_as_date(u.get("valid_from", "1900-01-01")),
            valid_to=_as_date(u.get("valid_to", "9999-12-31")),
            required=bool(u.get("required", True)),
        )
        for u in raw["units"]
    )
    for u in units:
        if not re.fullmatch(r"\d{5}", u.code):
            raise ConfigError(f"Unit code {u.code!r} in {path} is not 5 digits")
        if u.area not in ("urban", "rural"):
            raise ConfigError(f"Unit {u.code} has area {u.area!r}; expected urban or rural")
    standards = tuple(
        Standard(
            id=s["id"],
            valid_from=_as_date(s["valid_from"]),
            valid_to=_as_date(s["valid_to"]),
            source=s["source"],
            poor_income_max_vnd=dict(s["poor_income_max_vnd"]),
            near_poor_income_max_vnd=dict(s["near_poor_income_max_vnd"]),
            min_deprivations_poor=int(s["min_deprivations_poor"]),
        )
        for s in thresholds["standards"]
    )
    return Config(
        timezone=ZoneInfo(raw.get("timezone", "Asia/Ho_Chi_Minh")),
        locality=raw["locality"],
        units=units,
        period_kinds=raw["periods"],
        plan=raw.get("plan", {}),
        document=raw["document"],
        targets=raw.get("targets", {}),
        reference=reference,
        standards=standards,
        validation=raw.get("validation", {}),
        intake=raw.get("intake") or {},
    )


def load_config(path: Path | str | None = None) -> Config:
    """Load and type the configuration (cached per path).

    Args:
        path: the locality file; default :func:`config_path`.

    Raises:
        ConfigError: a file is missing, not YAML, or holds an invalid unit.
    """
    return _load(str(path or config_path()))
