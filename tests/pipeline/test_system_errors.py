"""System errors against real damage: a fault of the pipeline or of a library while reading or checking one
file makes that file "lỗi hệ thống — cán bộ huyện đã được báo" (never the unit's fault, never a stop of the
intake pass, the traceback logged without any cell value); only a file that is really damaged is "bị hỏng"
and must be sent again.

Every input is made here in a temporary folder, from the committed samples or by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import logging
import os
import zipfile
from pathlib import Path

import pytest

from tests.helpers import docx_tables, drop, find_row, roster_rows, technical_annex, workspace_at

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "2023-6T"
HCM = dt.timezone(dt.timedelta(hours=7))
BEFORE_DEADLINE = dt.datetime(2023, 5, 3, 8, 0, tzinfo=HCM)
FAILING = SAMPLES / "22831_nhon_son.xlsx"
OTHER = SAMPLES / "22810_tan_son.xlsx"
# a head of household of the failing file: a library's message quoting a cell would carry a name like it
CELL_VALUE = roster_rows(FAILING)[0]["head_name"]
FAULT = f"unexpected value in cell C5: {CELL_VALUE}"  # the message of the faults raised here
MESSAGE = "Lỗi hệ thống — cán bộ huyện đã được báo ({kind}). Tệp chưa được kiểm tra."
FIX = ("Không phải lỗi của đơn vị: đơn vị không cần gửi lại tệp (trừ khi Phòng LĐ-TB&XH đề nghị). Tệp sẽ được "
       "kiểm tra lại sau khi lỗi được khắc phục.")
CORRUPT = "bị hỏng hoặc không phải bảng tính Excel đọc được."


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _name(source) -> str:
    """The file name behind what openpyxl's ``load_workbook`` is given (a path or an open file)."""
    return Path(getattr(source, "name", source)).name


def failing_load_workbook(monkeypatch, kind: type[BaseException], target: str) -> None:
    """Make openpyxl's ``load_workbook``, as the reader calls it, raise ``kind`` for the files whose name starts
    with ``target`` (an archived copy is named by its SHA-256); its message quotes a cell value."""
    import pipeline.read.sources

    real, real_trimmed = pipeline.read.sources.load_workbook, pipeline.read.sources.trimmed_xlsx
    opening: list[str] = []  # the reader hands openpyxl an in-memory trimmed copy: remember whose it is

    def trimmed_xlsx(path, *args, **kwargs):
        opening.append(Path(getattr(path, "name", path)).name)  # a path or the open file
        return real_trimmed(path, *args, **kwargs)

    def load_workbook(source, *args, **kwargs):
        if (opening[-1] if isinstance(source, io.BytesIO) and opening else _name(source)).startswith(target):
            raise kind(FAULT)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(pipeline.read.sources, "trimmed_xlsx", trimmed_xlsx)
    monkeypatch.setattr(pipeline.read.sources, "load_workbook", load_workbook)


def assert_logged_without_values(caplog) -> str:
    """The one traceback logged at ERROR: frames down to the failing call and the exception's type, but not
    its message (which quotes a cell value). Returns the formatted log."""
    records = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert records, "no ERROR record"
    assert all(r.exc_info is not None for r in records)
    text = caplog.text
    assert "Traceback (most recent call last):" in text
    assert CELL_VALUE not in text and "cell C5" not in text
    return text


@pytest.mark.parametrize("kind", [TypeError, KeyError, MemoryError])
def test_library_fault_on_one_file_is_a_system_error(config, tmp_path, monkeypatch, caplog, kind):
    """openpyxl raising TypeError, KeyError or MemoryError on one file while it is read: that file's outcome
    is the system error with its exact wording and ledger status "error" (checked again next pass), the
    traceback is logged at ERROR without the message, and the pass registers and validates the other unit;
    the status page tells the unit not to resend and lists the file for district staff."""
    from pipeline import orchestrator
    from pipeline.ledger.store import Ledger
    from pipeline.staff.feedback import status_page_path

    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    drop([FAILING, OTHER], tmp_path / "inbox" / "2023-6T")
    failing_load_workbook(monkeypatch, kind, sha(FAILING))
    period = config.period("2023-6T")
    caplog.set_level(logging.INFO)
    counts = orchestrator.intake_period(period, config=config, now=BEFORE_DEADLINE,
                                        workspace=workspace_at(tmp_path), stable_seconds=0.1)

    ledger = Ledger(os.environ["PIPELINE_LEDGER_URL"])
    (tan,) = ledger.versions("2023-6T", "22810")
    (broken,) = ledger.versions("2023-6T", None)  # its unit code could not be read either
    assert (counts["new_files"], counts["units_valid"]) == (2, 1)
    assert (tan.status, tan.errors, tan.version) == ("valid", 0, 1)
    assert (broken.original_name, broken.status, broken.errors, broken.fingerprint) == (
        "22831_nhon_son.xlsx", "error", 1, None)
    data = json.loads(Path(broken.findings_path).read_text(encoding="utf-8"))
    assert (data["status"], data["system_error"]) == ("error", kind.__name__)
    (finding,) = data["findings"]
    assert (finding["severity"], finding["message"], finding["fix"], finding["rule"]) == (
        "lỗi", MESSAGE.format(kind=kind.__name__), FIX, "system")

    text = assert_logged_without_values(caplog)
    assert f"MessageWithheld: {kind.__name__} (message not logged: it may quote cell values)" in text
    assert "in load_workbook" in text and "in open_submission" in text  # the frames down to the fault
    assert "Validation of version 2 (" in text  # logged where validate_version caught it

    page = status_page_path(period, tmp_path).read_text(encoding="utf-8")
    section = page.split("Tệp gặp lỗi hệ thống (dành cho cán bộ huyện)", 1)[1].split("</table>", 1)[0]
    assert "<td>22831_nhon_son.xlsx</td>" in section and "<td>Chưa xác định</td>" in section
    assert f"<td>{kind.__name__}</td>" in section
    assert "<td>03/05/2023 08:00</td><td>03/05/2023 08:00</td>" in section  # received, failed
    assert "22810_tan_son.xlsx" not in section
    unattributed = page.split("Tệp không xác định được đơn vị", 1)[1]
    assert MESSAGE.format(kind=kind.__name__) in unattributed and html.escape(FIX) in unattributed
    assert CELL_VALUE not in page

    # the fault is fixed: the next pass checks the file again and gives it its unit, as version 1 (nothing of
    # Nhơn Sơn arrived after it); the valid unit is not validated again
    monkeypatch.undo()
    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    again = orchestrator.intake_period(period, config=config, now=BEFORE_DEADLINE, workspace=workspace_at(tmp_path))
    assert (again["new_files"], again["validations"], again["units_valid"]) == (0, 1, 2)
    assert ledger.versions("2023-6T", None) == []
    (nhon_son,) = ledger.versions("2023-6T", "22831")
    assert (nhon_son.id, nhon_son.version, nhon_son.status, nhon_son.errors) == (broken.id, 1, "valid", 0)
    assert "Tệp gặp lỗi hệ thống" not in status_page_path(period, tmp_path).read_text(encoding="utf-8")


def test_validation_crash_leaves_other_units_report_lines_unchanged(config, plan_root, tmp_path, monkeypatch,
                                                                     caplog):
    """Loading the staged frames failing (MemoryError) while Nhơn Sơn's file is validated, after intake read
    its unit: the unit is "lỗi hệ thống" in the report and on the status page, never invalid, and every other
    unit's line of the report is the same as in the run without the fault."""
    import pipeline.read.staging
    from pipeline.__main__ import unit_line
    from pipeline.ledger.store import open_ledger
    from pipeline.orchestrator import run_period
    from pipeline.staff.feedback import status_page_path

    real, failing = pipeline.read.staging.load, sha(FAILING)

    def load(folder, path):
        if folder.name.startswith(failing):
            raise MemoryError(FAULT)
        return real(folder, path)

    # validation's reading only: intake reads the workbook and stages it; validation loads the staged frames
    monkeypatch.setattr(pipeline.read.staging, "load", load)
    drop(sorted(SAMPLES.glob("*.xlsx")), tmp_path / "inbox" / "2023-6T")
    period = config.period("2023-6T")
    caplog.set_level(logging.INFO)
    report = Path(run_period(period, config=config, workspace=workspace_at(tmp_path)))

    (nhon_son,) = open_ledger(workspace_at(tmp_path)).versions("2023-6T", "22831")
    assert (nhon_son.status, nhon_son.errors, nhon_son.fingerprint) == ("error", 1, None)
    text = assert_logged_without_values(caplog)
    assert "MessageWithheld: MemoryError (message not logged" in text and "in validate_submission" in text

    def submissions(root: Path) -> dict[str, dict]:
        agg = json.loads((root / "work" / "2023-6T" / "aggregates.json").read_text(encoding="utf-8"))
        return {s["unit_code"]: s for s in agg["submissions"]}

    faulty, clean = submissions(tmp_path), submissions(plan_root)
    assert unit_line(faulty["22831"]) == "Xã Nhơn Sơn (22831): lỗi hệ thống — phiên bản 1 chưa kiểm tra được, trễ hạn"
    assert (faulty["22831"]["status"], clean["22831"]["status"]) == ("error", "valid")
    assert set(faulty) == set(clean)
    for code in set(clean) - {"22831"}:
        # the two runs received the files at different times
        assert {**faulty[code], "received_at": None} == {**clean[code], "received_at": None}, code
        assert unit_line(faulty[code]) == unit_line(clean[code])

    def status_table(path: Path) -> list[list[str]]:
        return next(t for t in docx_tables(technical_annex(path)) if any("Kết quả kiểm tra" in r for r in t))

    clean_table = status_table(plan_root / "reports" / "2023" / "6T" / "v1" / "bao-cao-2023-6T.docx")
    faulty_table = status_table(report)
    assert len(faulty_table) == len(clean_table) == 9  # the header and the 8 units that sent a file
    for clean_row, faulty_row in zip(clean_table, faulty_table, strict=True):
        if "Xã Nhơn Sơn" not in clean_row:
            assert faulty_row == clean_row
    assert find_row(faulty_table, "Xã Nhơn Sơn")[2:] == ["Đã nhận", "Trễ hạn", "Chưa kiểm tra được (lỗi hệ thống)"]
    sources = next(t for t in docx_tables(technical_annex(report)) if any("Mã SHA-256" in r for r in t))
    assert find_row(sources, "Xã Nhơn Sơn")[7] == "chưa kiểm tra được (lỗi hệ thống)"

    page = status_page_path(period, tmp_path).read_text(encoding="utf-8")
    row = page.split("<td>Xã Nhơn Sơn (22831)</td>", 1)[1].split("</tr>", 1)[0]
    assert '<td class="error">Lỗi hệ thống — cán bộ huyện đã được báo</td>' in row
    assert "Không hợp lệ" not in row
    section = page.split("Tệp gặp lỗi hệ thống (dành cho cán bộ huyện)", 1)[1].split("</table>", 1)[0]
    assert "<td>Xã Nhơn Sơn (22831)</td><td>1</td>" in section and "<td>MemoryError</td>" in section
    assert section.count("<tr>") == 2  # the header and Nhơn Sơn's file only
    assert CELL_VALUE not in page


def _hand_workbook(dst: Path, *, sheet_xml: bytes, styles_xml: bytes | None = None,
                   shared_strings_xml: bytes | None = None) -> Path:
    """A minimal .xlsx written part by part: one sheet "Thông tin chung" with ``sheet_xml``, and optionally a
    styles part and a shared-strings part."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    overrides = ['<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                 'spreadsheetml.sheet.main+xml"/>',
                 '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                 'officedocument.spreadsheetml.worksheet+xml"/>']
    rels = [f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>']
    if styles_xml is not None:
        overrides.append('<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
                         'officedocument.spreadsheetml.styles+xml"/>')
        rels.append(f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/>')
    if shared_strings_xml is not None:
        overrides.append('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                         'officedocument.spreadsheetml.sharedStrings+xml"/>')
        rels.append(f'<Relationship Id="rId3" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>')
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            + "".join(overrides) + "</Types>").encode(),
        "_rels/.rels": (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}"><Relationship Id="rId1"'
                        f' Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>').encode(),
        "xl/workbook.xml": (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                            '<sheet name="Thông tin chung" sheetId="1" r:id="rId1"/></sheets></workbook>').encode(),
        "xl/_rels/workbook.xml.rels": (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}">'
                                       + "".join(rels) + "</Relationships>").encode(),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    if styles_xml is not None:
        parts["xl/styles.xml"] = styles_xml
    if shared_strings_xml is not None:
        parts["xl/sharedStrings.xml"] = shared_strings_xml
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for member, data in parts.items():
            z.writestr(member, data)
    return dst


SHEET = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
         '2006/main"><sheetData><row r="4"><c r="A4" t="inlineStr"><is><t>Mã đơn vị</t></is></c>'
         '<c r="B4" t="inlineStr"><is><t>22828</t></is></c></row></sheetData></worksheet>').encode()


def _damaged_member(src: Path, dst: Path) -> Path:
    """``src`` with 40 bytes in the middle of its largest compressed member garbled (its CRC no longer
    matches, or deflate stops on invalid data)."""
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as z:
        info = max(z.infolist(), key=lambda i: i.compress_size)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 2
    for i in range(start, start + 40):
        data[i] ^= 0x5A
    dst.write_bytes(bytes(data))
    return dst


def test_real_corruption_is_still_corrupt(config, tmp_path, monkeypatch):
    """Really damaged files keep "bị hỏng" and are invalid (the unit must send them again), never a system
    error: garbled compressed data, a worksheet, a styles part and a shared-strings part
    whose XML is not well-formed (written by hand), and an .xls that is the OLE signature then junk. A
    truncated zip is invalid too, but as a copy that stopped: "tệp chưa nhận trọn vẹn", never "bị hỏng"."""
    from pipeline import orchestrator
    from pipeline.ledger.store import Ledger
    from pipeline.staff.feedback import status_page_path
    from pipeline.validate.rules import validate_submission

    sample = (SAMPLES / "22828_ma_noi.xlsx").read_bytes()
    cut = tmp_path / "cut" / "22828_cat_doi.xlsx"
    cut.parent.mkdir()
    cut.write_bytes(sample[: len(sample) // 2])
    junk = tmp_path / "cut" / "22828_rac.xls"
    junk.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes((i * 37 + 11) % 256 for i in range(4096)))
    cases = {
        cut: "bị từ chối: tệp chưa nhận trọn vẹn — mới nhận được 7.047 byte, thiếu phần cuối của tệp",
        _damaged_member(SAMPLES / "22828_ma_noi.xlsx", tmp_path / "cut" / "22828_hong_nen.xlsx"): CORRUPT,
        _hand_workbook(tmp_path / "cut" / "22828_the_mo.xlsx", sheet_xml=SHEET.replace(b"</row>", b"")):
            "bị hỏng: nội dung sheet 'Thông tin chung' không đúng cấu trúc Excel (dòng 1 của phần dữ liệu).",
        _hand_workbook(tmp_path / "cut" / "22828_kieu.xlsx", sheet_xml=SHEET,
                       styles_xml=b'<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/'
                                  b'spreadsheetml/2006/main"><fonts count="1"><font></fonts></styleSheet>'): CORRUPT,
        _hand_workbook(tmp_path / "cut" / "22828_chuoi.xlsx", sheet_xml=SHEET,
                       shared_strings_xml=b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
                                          b'spreadsheetml/2006/main"><si><t>A & B</t></si></sst>'): CORRUPT,
        junk: CORRUPT,
    }
    for path, says in cases.items():
        outcome = validate_submission(path, config=config, period="2023-6T")
        (finding,) = outcome.findings
        assert (outcome.status, outcome.system_error, finding.rule) == ("invalid", None, "read"), path.name
        assert finding.message == f"Tệp {path.name} {says}" or finding.message.startswith(
            f"Tệp {path.name} {says}"), (path.name, finding.message)
        assert "gửi lại" in finding.fix

    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    drop(cases, tmp_path / "inbox" / "2023-6T")
    period = config.period("2023-6T")
    orchestrator.intake_period(period, config=config, now=BEFORE_DEADLINE,
                               workspace=workspace_at(tmp_path), stable_seconds=0.1)
    versions = Ledger(os.environ["PIPELINE_LEDGER_URL"]).versions("2023-6T", None)
    assert sorted((v.original_name, v.status) for v in versions) == sorted((p.name, "invalid") for p in cases)
    assert "Tệp gặp lỗi hệ thống" not in status_page_path(period, tmp_path).read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", [TypeError, KeyError, MemoryError])
def test_validate_command_reports_a_system_error(config, tmp_path, monkeypatch, capsys, caplog, kind):
    """``python -m pipeline validate`` on a file hitting a fault of a library exits 3 (system error, not 1:
    the file is not to blame), prints the wording and the fix, and logs the traceback without the message."""
    from pipeline.__main__ import EXIT_SYSTEM_ERROR, main

    path = drop([FAILING], tmp_path)[0]
    failing_load_workbook(monkeypatch, kind, FAILING.name)
    assert main(["validate", str(path), "--period", "2023-6T"]) == EXIT_SYSTEM_ERROR == 3
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"[LỖI] tệp 22831_nhon_son.xlsx. {MESSAGE.format(kind=kind.__name__)} Cách sửa: {FIX}",
        f"22831_nhon_son.xlsx: CHƯA KIỂM TRA ĐƯỢC. Lỗi hệ thống — cán bộ huyện đã được báo ({kind.__name__}); "
        "không phải lỗi của tệp.",
    ]
    text = assert_logged_without_values(caplog)
    assert "Validation of 22831_nhon_son.xlsx failed: system error" in text


def test_validate_command_still_blames_a_corrupt_file(config, tmp_path, capsys):
    """The same command on a damaged workbook: "bị hỏng", exit 1 (the unit must resend); on a truncated one,
    exit 1 too but "chưa nhận trọn vẹn" — the copy stopped, the unit's data are not to blame."""
    from pipeline.__main__ import main

    damaged = _damaged_member(SAMPLES / "22828_ma_noi.xlsx", tmp_path / "22828_hong_nen.xlsx")
    assert main(["validate", str(damaged), "--period", "2023-6T"]) == 1
    assert f"Tệp 22828_hong_nen.xlsx {CORRUPT}" in capsys.readouterr().out
    path = tmp_path / "22828_cat_doi.xlsx"
    sample = (SAMPLES / "22828_ma_noi.xlsx").read_bytes()
    path.write_bytes(sample[: len(sample) // 2])
    assert main(["validate", str(path), "--period", "2023-6T"]) == 1
    out = capsys.readouterr().out
    assert "Tệp 22828_cat_doi.xlsx bị từ chối: tệp chưa nhận trọn vẹn" in out and "bị hỏng" not in out


def test_logged_chain_keeps_frames_and_types_only(caplog):
    """An exception raised while handling another is logged with both tracebacks and both types, and neither
    message."""
    from pipeline.system_errors import log_system_error

    def parse(value: str) -> None:
        raise ValueError(value)

    log = logging.getLogger("pipeline.test")
    try:
        try:
            parse(FAULT)
        except ValueError as exc:
            raise KeyError(str(exc)) from exc
    except KeyError as exc:
        log_system_error(log, "Reading failed (%s)", "KeyError", exc=exc)
    (record,) = caplog.records
    assert (record.levelname, record.getMessage()) == ("ERROR", "Reading failed (KeyError)")
    text = caplog.text
    assert text.count("Traceback (most recent call last):") == 2
    assert "MessageWithheld: ValueError (message not logged" in text
    assert "MessageWithheld: KeyError (message not logged" in text
    assert "The above exception was the direct cause of the following exception" in text
    assert ", in parse" in text
    assert CELL_VALUE not in text and "cell C5" not in text


def test_file_left_unattributed_is_not_blamed_when_its_unit_sent_a_later_version(config, tmp_path, monkeypatch):
    """Nhơn Sơn's first file hits a fault at intake (unattributed, system error); a corrected file arrives
    later and is its version 1. Once the fault is fixed the first file reads as Nhơn Sơn, but numbering in
    order of arrival forbids attributing it: it stays unattributed with a warning that is not the unit's
    fault, never "Không xác định được đơn vị"."""
    from pipeline import orchestrator
    from pipeline.ledger.store import Ledger
    from tests.helpers import set_narrative

    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    inbox = tmp_path / "inbox" / "2023-6T"
    period = config.period("2023-6T")
    drop([FAILING], inbox)
    failing_load_workbook(monkeypatch, TypeError, sha(FAILING))
    orchestrator.intake_period(period, config=config, now=BEFORE_DEADLINE,
                               workspace=workspace_at(tmp_path), stable_seconds=0.1)
    corrected = drop([FAILING], tmp_path / "sua")[0]
    set_narrative(corrected, "results", "Bản sửa: bổ sung kết quả hỗ trợ.")
    corrected.rename(inbox / "22831_nhon_son_sua.xlsx")
    later = BEFORE_DEADLINE + dt.timedelta(hours=1)
    orchestrator.intake_period(period, config=config, now=later, workspace=workspace_at(tmp_path), stable_seconds=0.1)
    monkeypatch.undo()
    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    orchestrator.intake_period(period, config=config, now=later + dt.timedelta(hours=1),
                               workspace=workspace_at(tmp_path))

    ledger = Ledger(os.environ["PIPELINE_LEDGER_URL"])
    (first,) = ledger.versions("2023-6T", None)
    (second,) = ledger.versions("2023-6T", "22831")
    assert (first.original_name, first.version, first.status, first.errors, first.warnings) == (
        "22831_nhon_son.xlsx", None, "valid", 0, 1)
    assert (second.original_name, second.version, second.status) == ("22831_nhon_son_sua.xlsx", 1, "valid")
    (finding,) = [f for f in json.loads(Path(first.findings_path).read_text(encoding="utf-8"))["findings"]
                  if f["rule"] == "intake"]
    assert (finding["severity"], finding["message"], finding["fix"]) == (
        "cảnh báo", "Tệp của xã Nhơn Sơn chưa được ghi nhận cho đơn vị vì lỗi hệ thống lúc tiếp nhận, và đơn vị "
        "đã gửi phiên bản sau; báo cáo dùng phiên bản gửi sau.", "Không phải lỗi của đơn vị; không cần gửi lại.")


def test_failed_validate_task_names_the_system_error(config):
    """The message of a unit's failed ``validate`` task: counts for a unit's errors, the wording and the
    exception's type for a system error (never "1 lỗi")."""
    from pipeline.orchestrator import validation_failure

    result = {"unit_code": "22831", "latest_version": 2, "used_version": 1, "errors": 1, "warnings": 0,
              "system_error": "MemoryError", "findings_path": "work/2023-6T/findings/abc.json"}
    assert validation_failure(result, config) == (
        "Đơn vị 22831, phiên bản 2: lỗi hệ thống — cán bộ huyện đã được báo (MemoryError), tệp chưa được kiểm "
        "tra; phiên bản dùng cho báo cáo: 1 — xem work/2023-6T/findings/abc.json")
    invalid = {**result, "unit_code": None, "used_version": None, "errors": 3, "warnings": 2, "system_error": None}
    assert validation_failure(invalid, config) == (
        "Đơn vị (không xác định), phiên bản 2: 3 lỗi, 2 cảnh báo; phiên bản dùng cho báo cáo: không có — xem "
        "work/2023-6T/findings/abc.json")
