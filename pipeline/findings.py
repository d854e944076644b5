"""Findings: what validation says about a submission, one record per problem, and their files.

A finding names the sheet, Excel row, column header as printed and value found, says what is wrong and
how to fix it, in Vietnamese. Findings files are the hand-over between the validate, aggregate and render
tasks (XCom carries only their paths, hashes and counts).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from pipeline import office_schema
from pipeline.files import write_text
from pipeline.schema import MASK, has_shape, normalize_label, shown_column, shown_message, shown_value
from pipeline.status import VersionStatus

ERROR = "lỗi"
WARNING = "cảnh báo"
FIX_SEPARATOR = " Cách sửa: "


@dataclass(frozen=True)
class Finding:
    """One problem in one place of a submission.

    Attributes:
        severity: ``"lỗi"`` (blocks the unit's data) or ``"cảnh báo"`` (reported only).
        sheet: sheet name as in the workbook ("" for the file as a whole).
        row: Excel row number (1-based), or None when the problem is not in one row.
        column: column header as printed in the workbook, or "".
        value: the value found, as text ("" when empty).
        message: what is wrong, in Vietnamese.
        fix: how to fix it, in Vietnamese.
        rule: the expectation type or reader rule that found it.
    """

    severity: str
    sheet: str
    row: int | None
    column: str
    value: str
    message: str
    fix: str = ""
    rule: str = ""

    def masked(self, lists: dict[str, frozenset[str]]) -> Finding:
        """A copy safe for district-facing pages, logs and XCom (Decree 13/2023/NĐ-CP).

        The value is kept only when its column is on the allow-list of non-personal columns and the value has
        that column's shape (a code matching its pattern, a number, a date, a flag, a listed category; see
        :func:`pipeline.schema.shown_value`); otherwise it reads "(ẩn)". A column label that is not a
        template header, and quoted parts of the message that are not labels, numbers or codes, are hidden
        the same way. On the offices' workbook's sheets the allow-list is theirs
        (:data:`pipeline.office_schema.SHOWN_FIELDS`: codes, counts, amounts, dates, document numbers).

        Args:
            lists: from :func:`pipeline.schema.shown_lists` for the configuration in use.
        """
        message = shown_message(self.message, lists, office_schema.KNOWN_LABELS)
        if office_schema.office_sheet(self.sheet):  # the offices' workbook: its own allow-list
            shape = office_schema.shape_of(self.sheet, self.column)
            value = self.value if self.value == "" or (shape is not None and has_shape(shape, self.value, lists)) \
                else MASK
            column = self.column if not self.column or normalize_label(self.column) in office_schema.KNOWN_LABELS \
                else MASK
            return replace(self, column=column, value=value, message=message)
        return replace(self, column=shown_column(self.column),
                       value=shown_value(self.sheet, self.column, self.value, lists), message=message)

    def as_text(self, file_name: str = "") -> str:
        """One line for a terminal or a log (household codes only, never names)."""
        where = ", ".join(
            p
            for p in (
                f"tệp {file_name}" if file_name else "",
                f"sheet '{self.sheet}'" if self.sheet else "",
                f"dòng {self.row}" if self.row else "",
                f"cột '{self.column}'" if self.column else "",
            )
            if p
        )
        if not self.sheet or (self.row is None and self.value == ""):
            value = ""  # a problem of the whole file or sheet, not of a cell
        else:
            value = f" — giá trị: '{self.value}'" if self.value != "" else " — giá trị: (trống)"
        fix = f" Cách sửa: {self.fix}" if self.fix else ""
        return f"[{self.severity.upper()}] {where}{value}. {self.message}{fix}"


def split_description(description: str) -> tuple[str, str]:
    """Split an expectation's Vietnamese description into (what is wrong, how to fix it)."""
    if FIX_SEPARATOR in description:
        what, fix = description.split(FIX_SEPARATOR, 1)
        return what.strip(), fix.strip()
    return description.strip(), ""


@dataclass
class ValidationOutcome:
    """The result of validating one submission file, as written to its findings file.

    ``unit_code`` is None when the file could not be attributed to a unit. ``system_error`` is the type of
    the exception that stopped reading or checking the file inside the pipeline (a system error, not the
    unit's fault; see :mod:`pipeline.system_errors`), None when the file was checked. ``status`` is
    ``valid`` (no error; warnings allowed), ``invalid`` or ``error`` (a system error). ``suite_results``
    holds Great Expectations' own results of the suites that ran (see
    :func:`pipeline.validate.rules.suite_results`; empty when none ran); it is kept in its own file
    (:mod:`pipeline.validate.results`), never in the findings file.
    """

    file: str
    sha256: str
    unit_code: str | None
    period: str
    findings: list[Finding] = field(default_factory=list)
    system_error: str | None = None
    suite_results: list[dict[str, Any]] = field(default_factory=list, repr=False, compare=False)

    @property
    def errors(self) -> int:
        """Number of findings of severity "lỗi"."""
        return sum(f.severity == ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        """Number of findings of severity "cảnh báo"."""
        return sum(f.severity == WARNING for f in self.findings)

    @property
    def status(self) -> VersionStatus:
        """The version's verdict: ``error`` after a system error, else ``valid`` when there is no error, else
        ``invalid``."""
        if self.system_error is not None:
            return VersionStatus.ERROR
        return VersionStatus.INVALID if self.errors else VersionStatus.VALID

    def to_json(self) -> dict[str, Any]:
        """Serialisable form (used for the findings file)."""
        return {
            "file": self.file,
            "sha256": self.sha256,
            "unit_code": self.unit_code,
            "period": self.period,
            "status": self.status,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [asdict(f) for f in self.findings],
            "system_error": self.system_error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ValidationOutcome:
        """Inverse of :meth:`to_json`."""
        return cls(
            file=data["file"],
            sha256=data["sha256"],
            unit_code=data["unit_code"],
            period=data["period"],
            findings=[Finding(**f) for f in data["findings"]],
            system_error=data.get("system_error"),  # absent from files written before it existed
        )

    def write(self, path: Path) -> Path:
        """Write the findings file (UTF-8 JSON) atomically and owner-only: findings quote cell values.

        Idempotent: the same outcome writes the same bytes.
        """
        return write_text(path, json.dumps(self.to_json(), ensure_ascii=False, indent=1), private=True)


def read_outcome(path: Path) -> ValidationOutcome:
    """Read a findings file written by :meth:`ValidationOutcome.write`."""
    return ValidationOutcome.from_json(json.loads(path.read_text(encoding="utf-8")))
