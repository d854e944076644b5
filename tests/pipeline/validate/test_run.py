"""Running and recording one version's validation (pipeline/validate/run.py): the validation fingerprint and what it
covers, the outcome of a system error, what is written and recorded, and the unit's result. The workbook checks
themselves are replaced by a stand-in returning a fixed outcome: only this module's logic runs."""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from pipeline import codehash
from pipeline.findings import ERROR, WARNING, Finding, ValidationOutcome, read_outcome
from pipeline.ledger.store import Ledger, Version
from pipeline.paths import counts_path, findings_path, results_path
from pipeline.system_errors import SYSTEM_ERROR_FIX
from pipeline.validate import rules, run
from pipeline.validate.results import write_results
from pipeline.validate.rules import History, SuiteError

SHA = "ab" * 32
SHA_2 = "cd" * 32
RECEIVED = dt.datetime(2023, 5, 2, 2, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2023, 5, 5, 0, 0, tzinfo=dt.UTC)
# SHA-256 of f"{SHA}:R:-:[]": the fingerprint of SHA with rules hash "R", no previous version, no acceptance
FP_NO_HISTORY = "7951c22391f76ffdd630365701a8d02d29e3158dd19d7cfc4e035e040a2da71c"


def _version(**changes) -> Version:
    values = dict(id=7, period="2023-6T", unit_code="22828", version=2, original_name="22828_ma_noi.xlsx", sha256=SHA,
                  size_bytes=10, found_at=RECEIVED, file_mtime=RECEIVED, on_time=True, archive_path="/archive/x.xlsx",
                  status="pending", errors=None, warnings=None, findings_path=None, fingerprint=None,
                  validated_at=None, received_at=RECEIVED, received_via="intake", received_by=None, receipt_note=None)
    return Version(**{**values, **changes})


@pytest.fixture(scope="module")
def empty_ledger_file(tmp_path_factory) -> Path:
    """An empty SQLite ledger at the schema's head, migrated once for the module."""
    path = tmp_path_factory.mktemp("ledger") / "ledger.sqlite"
    Ledger(f"sqlite:///{path}").engine.dispose()
    return path


@pytest.fixture
def ledger(tmp_path, empty_ledger_file) -> Ledger:
    """An empty SQLite ledger under the test's data root (a copy of the migrated one)."""
    (tmp_path / "work").mkdir(mode=0o700)
    shutil.copyfile(empty_ledger_file, tmp_path / "work" / "ledger.sqlite")
    return Ledger(f"sqlite:///{tmp_path / 'work' / 'ledger.sqlite'}")


@pytest.fixture
def checks(monkeypatch):
    """The rules hash fixed at "R", and the workbook checks replaced: each call is recorded and returns the outcome
    set for the file's hash in ``checks["outcomes"]`` (or raises ``checks["raise"]``)."""
    state = {"calls": [], "outcomes": {}, "raise": None}

    def validate_submission(path, *, config, period, history, file_name, sha256, load):
        state["calls"].append({"sha256": sha256, "file_name": file_name, "history": history})
        if state["raise"] is not None:
            raise state["raise"]
        return state["outcomes"][sha256]

    monkeypatch.setattr(run, "rules_hash", lambda: "R")
    monkeypatch.setattr(rules, "validate_submission", validate_submission)
    return state


def _register(ledger: Ledger, tmp_path, sha: str = SHA, unit: str | None = "22828", period: str = "2023-6T",
              received: dt.datetime = RECEIVED) -> Version:
    return ledger.register(period=period, unit_code=unit, original_name=f"{sha[:4]}.xlsx", sha256=sha, size_bytes=10,
                           found_at=received, file_mtime=received, on_time=True,
                           archive_path=str(tmp_path / "archive" / f"{sha}.xlsx"))


def _outcome(sha: str = SHA, unit: str | None = "22828", *findings: Finding) -> ValidationOutcome:
    return ValidationOutcome(file="as-read.xlsx", sha256=sha, unit_code=unit, period="2023-6T", findings=list(findings))


def test_rules_hash_is_the_code_hash_of_reading_and_validation():
    """rules_hash() is :func:`pipeline.codehash.rules_hash`: 64 hexadecimal digits."""
    assert run.rules_hash() == codehash.rules_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", run.rules_hash())


def test_fingerprint_is_the_hash_of_file_rules_and_context(monkeypatch):
    """With rules hash "R" the fingerprint is SHA-256 of "<file hash>:R:<context>" (no context: empty)."""
    monkeypatch.setattr(run, "rules_hash", lambda: "R")
    assert run.fingerprint(SHA) == "d9f9aa73583224b514c1a0cdfe9ba8cfad9dcb1a3f8ff03f75a33101403a0b0e"
    assert run.fingerprint(SHA, "-:[]") == FP_NO_HISTORY
    monkeypatch.setattr(run, "rules_hash", lambda: "R2")
    assert run.fingerprint(SHA, "-:[]") != FP_NO_HISTORY


def test_system_error_outcome_names_the_type_never_the_message(config):
    """A crash gives one whole-file error saying "lỗi hệ thống" with the exception's type, status ``error``, and
    nothing of the exception's text (it may quote a cell)."""
    outcome = run.system_error_outcome(_version(), config.period("2023-6T"), ValueError("Nguyễn Văn A"), config)
    assert (outcome.file, outcome.sha256, outcome.unit_code, outcome.period) == (
        "22828_ma_noi.xlsx", SHA, "22828", "2023-6T")
    assert (outcome.status, outcome.errors, outcome.warnings, outcome.system_error) == ("error", 1, 0, "ValueError")
    assert outcome.findings == [Finding(ERROR, "", None, "", "",
                                        "Lỗi hệ thống — cán bộ huyện đã được báo (ValueError). Tệp chưa được kiểm tra.",
                                        config.fill(SYSTEM_ERROR_FIX), "system")]
    assert "Nguyễn" not in str(outcome.to_json())
    bad_zip = run.system_error_outcome(_version(unit_code=None), config.period("2023-6T"), zipfile.BadZipFile("x"),
                                     config)
    assert (bad_zip.unit_code, bad_zip.system_error) == (None, "zipfile.BadZipFile")
    assert bad_zip.findings[0].message.startswith("Lỗi hệ thống — cán bộ huyện đã được báo (BadZipFile).")


def test_a_valid_version_is_written_and_recorded_with_its_fingerprint(config, ledger, tmp_path, checks):
    """A checked version: findings and results files written, the annotated copy asked for, and the verdict,
    counts and fingerprint recorded; the outcome carries the file's original name."""
    period = config.period("2023-6T")
    v = _register(ledger, tmp_path)
    checks["outcomes"][SHA] = _outcome(SHA, "22828", Finding(WARNING, "Thông tin chung", 7, "Người lập biểu", "",
                                                              "Chưa ghi người lập biểu."))
    annotated = []
    outcome, ran = run.validate_version(v, config=config, ledger=ledger, period=period, now=NOW, root=tmp_path,
                                        annotate=lambda version, out: annotated.append((version.id, out.file)))
    assert ran is True and outcome.file == "abab.xlsx" and outcome.status == "valid"
    assert checks["calls"][0]["history"] == History(previous=None, previous_period="2022-CN", same_year=False,
                                                    accepted={})
    assert annotated == [(v.id, "abab.xlsx")]
    assert read_outcome(findings_path(period, SHA, tmp_path)) == outcome
    assert results_path(period, SHA, tmp_path).exists() and counts_path(period, SHA, tmp_path).exists()
    row = ledger.find("2023-6T", SHA)
    assert (row.status, row.errors, row.warnings, row.fingerprint, row.validated_at, row.findings_path) == (
        "valid", 0, 1, FP_NO_HISTORY, NOW, str(findings_path(period, SHA, tmp_path)))


def test_an_unchanged_fingerprint_skips_validation_while_its_files_are_kept(config, ledger, tmp_path, checks):
    """Validated with the same fingerprint and its three files on disk: the findings file is read back and nothing
    runs; once the counts file is gone the version is validated again."""
    period = config.period("2023-6T")
    checks["outcomes"][SHA] = _outcome(SHA)
    run.validate_version(_register(ledger, tmp_path), config=config, ledger=ledger, period=period, now=NOW,
                         root=tmp_path)
    again, ran = run.validate_version(ledger.find("2023-6T", SHA), config=config, ledger=ledger, period=period,
                                      now=NOW, root=tmp_path)
    assert (ran, len(checks["calls"]), again.file) == (False, 1, "abab.xlsx")
    counts_path(period, SHA, tmp_path).unlink()
    _, ran = run.validate_version(ledger.find("2023-6T", SHA), config=config, ledger=ledger, period=period, now=NOW,
                                  root=tmp_path)
    assert (ran, len(checks["calls"])) == (True, 2)


def test_the_fingerprint_covers_the_previous_periods_valid_version_and_the_acceptances(config, ledger, tmp_path,
                                                                                        checks):
    """The context is "<previous period's latest valid version's hash>:<accepted outliers, sorted>": a version
    recorded with that fingerprint is not validated again (so the previous workbook is not even read)."""
    period = config.period("2023-6T")
    prev = _register(ledger, tmp_path, sha=SHA_2, period="2022-CN")
    ledger.record_validation(prev.id, status="valid", errors=0, warnings=0, findings_path="/f.json", fingerprint="x",
                             validated_at=NOW)
    ledger.accept_outlier(period="2023-6T", unit_code="22828", indicator="poor_households",
                          justification="Sáp nhập thôn", accepted_by="Trần Thị Hoa", accepted_at=NOW)
    v = _register(ledger, tmp_path)
    checks["outcomes"][SHA] = out = _outcome(SHA)
    out.write(findings_path(period, SHA, tmp_path))
    write_results(out, period=period, root=tmp_path)
    context = f"{SHA_2}:[('poor_households', 'Sáp nhập thôn')]"
    ledger.record_validation(v.id, status="valid", errors=0, warnings=0, findings_path="/f.json",
                             fingerprint=run.fingerprint(SHA, context), validated_at=NOW)
    _, ran = run.validate_version(ledger.find("2023-6T", SHA), config=config, ledger=ledger, period=period, now=NOW,
                                  root=tmp_path)
    assert (ran, checks["calls"]) == (False, [])


def test_a_crash_is_a_system_error_recorded_without_fingerprint(config, ledger, tmp_path, checks, caplog):
    """An exception from the checks is the version's system error: status ``error``, no fingerprint (checked again
    next pass), its findings file written; the log names the type, never the exception's text."""
    period = config.period("2023-6T")
    checks["raise"] = RuntimeError("Nguyễn Văn A")
    with caplog.at_level(logging.ERROR, logger="pipeline.validate.run"):
        outcome, ran = run.validate_version(_register(ledger, tmp_path), config=config, ledger=ledger, period=period,
                                            now=NOW, root=tmp_path)
    assert (ran, outcome.status, outcome.system_error, outcome.file) == (True, "error", "RuntimeError", "abab.xlsx")
    row = ledger.find("2023-6T", SHA)
    assert (row.status, row.errors, row.fingerprint) == ("error", 1, None)
    assert read_outcome(findings_path(period, SHA, tmp_path)).system_error == "RuntimeError"
    assert "failed: system error (RuntimeError)" in caplog.text and "Nguyễn" not in caplog.text


def test_a_broken_suite_fails_the_run_and_records_nothing(config, ledger, tmp_path, checks):
    """SuiteError is raised to the caller: no findings file, the version stays pending."""
    period = config.period("2023-6T")
    checks["raise"] = SuiteError("suite 'roster' is broken")
    with pytest.raises(SuiteError):
        run.validate_version(_register(ledger, tmp_path), config=config, ledger=ledger, period=period, now=NOW,
                             root=tmp_path)
    assert ledger.find("2023-6T", SHA).status == "pending"
    assert not findings_path(period, SHA, tmp_path).exists()


def test_a_failing_annotated_copy_does_not_stop_the_verdict(config, ledger, tmp_path, checks, caplog):
    """An exception while writing the annotated copy is logged; the verdict is recorded all the same."""
    checks["outcomes"][SHA] = _outcome(SHA)

    def annotate(version, outcome):
        raise OSError("disk full")

    with caplog.at_level(logging.ERROR, logger="pipeline.validate.run"):
        outcome, _ = run.validate_version(_register(ledger, tmp_path), config=config, ledger=ledger,
                                          period=config.period("2023-6T"), now=NOW, root=tmp_path, annotate=annotate)
    assert outcome.status == "valid" and ledger.find("2023-6T", SHA).status == "valid"
    assert "Annotated copy of version" in caplog.text and "(OSError)" in caplog.text


def test_an_unattributed_file_without_a_unit_is_an_error(config, ledger, tmp_path, checks):
    """A file whose unit is still unknown and that has no error otherwise gets the error "Không xác định được đơn vị
    báo cáo của tệp.", valued with its original name."""
    checks["outcomes"][SHA] = _outcome(SHA, None)
    outcome, _ = run.validate_version(_register(ledger, tmp_path, unit=None), config=config, ledger=ledger,
                                      period=config.period("2023-6T"), now=NOW, root=tmp_path)
    assert outcome.findings == [Finding(ERROR, "", None, "", "abab.xlsx", "Không xác định được đơn vị báo cáo của tệp.",
                                        "Ghi đúng mã đơn vị ở sheet 'Thông tin chung'.", "intake")]
    assert ledger.find("2023-6T", SHA).status == "invalid"


def test_an_unattributed_file_that_reads_now_is_given_its_unit(config, ledger, tmp_path, checks):
    """An unattributed version whose unit reads now, with no later version of that unit, becomes its next version;
    no finding is added."""
    checks["outcomes"][SHA] = _outcome(SHA, "22828")
    outcome, _ = run.validate_version(_register(ledger, tmp_path, unit=None), config=config, ledger=ledger,
                                      period=config.period("2023-6T"), now=NOW, root=tmp_path)
    assert outcome.findings == []
    row = ledger.find("2023-6T", SHA)
    assert (row.unit_code, row.version, row.status) == ("22828", 1, "valid")


def test_an_unattributed_file_with_a_later_version_of_its_unit_stays_unattributed(config, ledger, tmp_path, checks):
    """When the unit sent a later version, the old file keeps no unit and gets a warning that the later one is used,
    not the unit's fault."""
    checks["outcomes"][SHA] = _outcome(SHA, "22828")
    old = _register(ledger, tmp_path, unit=None)
    _register(ledger, tmp_path, sha=SHA_2, received=RECEIVED + dt.timedelta(hours=1))
    outcome, _ = run.validate_version(old, config=config, ledger=ledger, period=config.period("2023-6T"), now=NOW,
                                      root=tmp_path)
    assert outcome.findings == [Finding(
        WARNING, "", None, "", "abab.xlsx",
        "Tệp của xã Ma Nới chưa được ghi nhận cho đơn vị vì lỗi hệ thống lúc tiếp nhận, và đơn vị đã gửi phiên bản "
        "sau; báo cáo dùng phiên bản gửi sau.", "Không phải lỗi của đơn vị; không cần gửi lại.", "intake")]
    row = ledger.find("2023-6T", SHA)
    assert (row.unit_code, row.status) == (None, "valid")


def test_validate_unit_says_which_version_the_report_uses(config, ledger, tmp_path, checks):
    """Version 1 with an error, version 2 valid: both validated once, the unit is valid with version 2; a second
    pass validates nothing."""
    period = config.period("2023-6T")
    _register(ledger, tmp_path, sha=SHA)
    _register(ledger, tmp_path, sha=SHA_2, received=RECEIVED + dt.timedelta(hours=1))
    checks["outcomes"][SHA] = _outcome(SHA, "22828", Finding(ERROR, "Danh sách hộ NCC", 5, "Mã hộ", "", "Thiếu."))
    checks["outcomes"][SHA_2] = _outcome(SHA_2, "22828")
    expected = {"unit_code": "22828", "status": "valid", "used_version": 2, "used_sha256": SHA_2, "latest_version": 2,
                "latest_status": "valid", "errors": 0, "warnings": 0, "system_error": None, "validations": 2,
                "findings_path": str(findings_path(period, SHA_2, tmp_path))}
    assert run.validate_unit("22828", config=config, ledger=ledger, period=period, now=NOW, root=tmp_path) == expected
    again = run.validate_unit("22828", config=config, ledger=ledger, period=period, now=NOW, root=tmp_path)
    assert again == {**expected, "validations": 0}
    assert [c["sha256"] for c in checks["calls"]] == [SHA, SHA_2]


def test_validate_unit_of_unattributed_files_is_invalid(config, ledger, tmp_path, checks):
    """The unattributed files of a period (``unit_code`` None) report ``invalid`` with no version used."""
    period = config.period("2023-6T")
    _register(ledger, tmp_path, unit=None)
    checks["outcomes"][SHA] = _outcome(SHA, None)
    out = run.validate_unit(None, config=config, ledger=ledger, period=period, now=NOW, root=tmp_path)
    keys = ("unit_code", "status", "used_version", "latest_version", "latest_status", "errors")
    assert {k: out[k] for k in keys} == {"unit_code": None, "status": "invalid", "used_version": None,
                                         "latest_version": None, "latest_status": "invalid", "errors": 1}


def test_a_successor_is_compared_with_all_its_predecessors_or_none(config, tmp_path):
    """Code 22828 is xã Ma Nới until 30/06/2025 and xã Anh Dũng (Ma Nới and Hòa Sơn merged) from 01/07/2025: within
    one unit's life the previous valid version is found (Ma Nới's 2024-CN for its 2025-6T); the 2025-9T version of
    22828 is compared with nothing while Hòa Sơn has no valid 2025-6T version (never with Ma Nới alone as if it
    were itself), then with both predecessors' latest valid versions, named, once Hòa Sơn's is in."""
    import dataclasses

    from pipeline.config import Unit

    ma_noi = dataclasses.replace(config.unit("22828"), valid_to=dt.date(2025, 6, 30))
    anh_dung = Unit(code="22828", name="Anh Dũng", kind="xã", area="rural", valid_from=dt.date(2025, 7, 1))
    setup = dataclasses.replace(config, units=tuple(ma_noi if u.code == "22828" else u for u in config.units)
                                + (anh_dung,))
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")

    def valid(period: str, unit: str, sha: str) -> Version:
        v = ledger.register(period=period, unit_code=unit, original_name="a.xlsx", sha256=sha, size_bytes=1,
                            found_at=RECEIVED, file_mtime=RECEIVED, on_time=True, archive_path="/a.xlsx")
        ledger.record_validation(v.id, status="valid", errors=0, warnings=0, findings_path="/f.json",
                                 fingerprint="f", validated_at=RECEIVED)
        return v

    valid("2024-CN", "22828", "01" * 32)
    valid("2025-6T", "22828", "02" * 32)
    _, prevs, names, _, _ = run._history_inputs(_version(period="2025-6T"), config=setup, ledger=ledger,
                                                period=setup.period("2025-6T"))
    assert ([v.period for v in prevs], names) == (["2024-CN"], ())  # Ma Nới before and after: the same unit
    nine = setup.period("2025-9T")
    prev_period, prevs, names, _, context = run._history_inputs(_version(period="2025-9T"), config=setup,
                                                                ledger=ledger, period=nine)
    assert (prev_period.code, prevs, names) == ("2025-6T", [], ())
    assert context.startswith("-:")
    valid("2025-6T", "22825", "03" * 32)
    _, prevs, names, _, context = run._history_inputs(_version(period="2025-9T"), config=setup, ledger=ledger,
                                                      period=nine)
    assert ([(v.unit_code, v.sha256) for v in prevs], names) == (
        [("22825", "03" * 32), ("22828", "02" * 32)], ("xã Hòa Sơn", "xã Ma Nới"))
    assert context.startswith(f"{'03' * 32},{'02' * 32}:")  # a new predecessor version validates it again
