"""Tests of pipeline/__main__.py: the staff commands (`python -m pipeline validate`, `check-template`, `deliver`
…) as data staff run them, and what staff read when a command goes wrong: template faults with their place, usage
errors, a mail server that is missing or unreachable, a file that is not a workbook — in Vietnamese, without a
traceback."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import edited_document_xml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "bao_cao_ky.docx"
SENTENCE = "{{ district.poor_rate }}, số hộ"  # in the paragraph "Đến ngày {{ period.cutoff }}, …"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


# --- The commands as data staff run them ---------------------------------------------------------------------

def test_validate_prints_every_field_and_fails():
    """On a broken workbook every finding shows severity, sheet, row, column, value, problem and fix; exit 1."""
    result = _cli("validate", "tests/fixtures/ncc_more_than_members.xlsx")
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "ncc_more_than_members.xlsx: KHÔNG HỢP LỆ — 2 lỗi, 0 cảnh báo (kỳ 2023-6T)."
    first = lines[0]
    for part in ("[LỖI]", "tệp ncc_more_than_members.xlsx", "sheet 'Danh sách hộ NCC'", "dòng 5",
                 "cột 'Số thành viên là NCC hoặc thân nhân'", "giá trị: '9'",
                 "Số thành viên là người có công lớn hơn số nhân khẩu của hộ", "Cách sửa:"):
        assert part in first, part


def test_validate_valid_file_exits_zero():
    """A valid sample prints its verdict and exits 0."""
    result = _cli("validate", "samples/2023-6T/22810_tan_son.xlsx")
    assert result.returncode == 0
    assert result.stdout.strip() == "22810_tan_son.xlsx: HỢP LỆ — 0 lỗi, 0 cảnh báo (kỳ 2023-6T)."


def test_check_template_passes_the_shipped_template():
    """`check-template` without a file checks templates/bao_cao_ky.docx: it passes (exit 0)."""
    result = _cli("check-template")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("bao_cao_ky.docx: MẪU HỢP LỆ — các thẻ mẫu đúng cú pháp, chỉ dùng biến có trong "
                                     "dữ liệu báo cáo.")


def test_check_template_names_the_fault(tmp_path):
    """A template with a misspelt variable in a table cell: exit 1, the table, row, cell and the name on stderr;
    a file that is not a .docx: exit 1 too."""
    broken = tmp_path / "mau.docx"
    with zipfile.ZipFile(ROOT / "templates" / "bao_cao_ky.docx") as src, \
            zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"{{ r.poor_rate }}", b"{{ row.poor_rate }}", 1)
            dst.writestr(item, data)
    result = _cli("check-template", str(broken))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == (
        "MẪU CÓ LỖI — Mẫu báo cáo mau.docx (word/document.xml), bảng thứ 2 «Bảng 1. Hộ nghèo, hộ cận nghèo theo "
        "đơn vị tại ngày {{ period.cutoff }}{% if period.estimate %} (ước…», dòng 4, ô 5: dùng biến không có trong "
        "dữ liệu báo cáo: row")
    result = _cli("check-template", "README.md")
    assert result.returncode == 1 and "không phải tệp Word .docx" in result.stderr


# --- What staff read when a command goes wrong -------------------------------------------------------------

def _template(tmp_path: Path, old: str, new: str, name: str = "mau.docx") -> Path:
    """A copy of the bundled template with ``old`` replaced by ``new`` once in word/document.xml."""

    def once(xml: str) -> str:
        assert old in xml
        return xml.replace(old, new, 1)

    return edited_document_xml(TEMPLATE, tmp_path / name, once)


def _fault(path: Path) -> str:
    from pipeline.render.report import TemplateCheckError, check_template

    with pytest.raises(TemplateCheckError) as info:
        check_template(path)
    return str(info.value)


@pytest.fixture(scope="module")
def paragraph(tmp_path_factory) -> str:
    """The place ("đoạn thứ N «Đến ngày …»") of the paragraph holding SENTENCE, as a misspelt field names it."""
    tmp = tmp_path_factory.mktemp("place")
    message = _fault(_template(tmp, SENTENCE, "{{ district.poor_rat }}, số hộ"))
    place = re.search(r"(đoạn thứ \d+ «Đến ngày \{\{ period\.cutoff \}\}, [^»]*»): dùng trường", message)
    assert place, message
    return place.group(1)


def test_unknown_filter_is_named_with_its_place_in_vietnamese(tmp_path, paragraph):
    """`check-template` on a template using an unknown filter: exit 1, the paragraph and the filter named, no
    traceback and no English."""
    broken = _template(tmp_path, SENTENCE, "{{ district.poor_rate | frmt }}, số hộ")
    result = _cli("check-template", str(broken))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == (f"MẪU CÓ LỖI — Mẫu báo cáo mau.docx (word/document.xml), {paragraph}: thẻ mẫu "
                                     "«{{ district.poor_rate | frmt }}» — bộ lọc «frmt» không có")
    assert "Traceback" not in result.stderr and "jinja2" not in result.stderr


def test_unknown_test_is_named(tmp_path, paragraph):
    """An unknown test (`is frob`) in a condition: the paragraph and the tag named, "phép thử «frob» không có"."""
    broken = _template(tmp_path, SENTENCE, "{% if district.poor_rate is frob %}x{% endif %}, số hộ")
    assert _fault(broken) == (f"Mẫu báo cáo mau.docx (word/document.xml), {paragraph}: thẻ mẫu "
                              "«{% if district.poor_rate is frob %}» — phép thử «frob» không có")


@pytest.mark.parametrize(("new", "tag", "why"), [
    # left open, another tag of the same paragraph closes it: the fault is still this paragraph's
    ("{{ district.poor_rate , số hộ", "{{ district.poor_rate , số hộ {% if",
     "thẻ chưa đóng hoặc viết sai (thiếu dấu đóng trước thẻ tiếp theo trong đoạn)"),
    ("{% if %}{{ district.poor_rate }}{% endif %}, số hộ", "{% if %}", "thẻ thiếu biểu thức (biến hoặc điều kiện)"),
    ("{{ district.poor_rate hộ }}, số hộ", "{{ district.poor_rate hộ }}",
     "thẻ chưa đóng hoặc viết sai (gặp «hộ» không đúng chỗ)"),
    ("{% iff district.poor_rate %}, số hộ", "{% iff district.poor_rate %}",
     "thẻ lệnh «iff» không có hoặc đặt sai chỗ"),
])
def test_syntax_faults_name_their_paragraph(tmp_path, paragraph, new, tag, why):
    """A tag left open, a condition missing, a stray word, an unknown tag: the paragraph holding it (not one at
    the end of the document) and the reason in Vietnamese."""
    message = _fault(_template(tmp_path, SENTENCE, new))
    assert message.startswith(f"Mẫu báo cáo mau.docx (word/document.xml), {paragraph}: thẻ mẫu «{tag}")
    assert message.endswith(f"» — {why}")


def test_an_if_never_closed_is_named(tmp_path, paragraph):
    """An `{% if %}` with its `{% endif %}` removed: the paragraph and the opening tag named, saying it has no closing
    tag."""
    message = _fault(_template(tmp_path, SENTENCE, "{% if district.poor_rate %}{{ district.poor_rate }}, số hộ"))
    assert message == (f"Mẫu báo cáo mau.docx (word/document.xml), {paragraph}: thẻ «{{% if district.poor_rate %}}» "
                       "không có thẻ đóng {% endif %} (thẻ đóng đã bị xóa hoặc gõ sai)")


def test_jinja_messages_in_vietnamese():
    """Jinja's parse errors (a block left open, a stray word, an empty condition, a bad character) and an unknown filter
    are each put in one Vietnamese phrase."""
    import jinja2

    from pipeline.render.report import jinja_message_vi

    def said(source: str) -> str:
        with pytest.raises(jinja2.TemplateError) as info:
            jinja2.Environment().parse(source)
        return jinja_message_vi(info.value)

    assert said("{% if x %}a") == "thẻ chưa đóng hoặc viết sai (thiếu phần cuối của thẻ hoặc thẻ đóng)"
    assert said("{{ a b }}") == "thẻ chưa đóng hoặc viết sai (gặp «b» không đúng chỗ)"
    assert said("{% if %}{% endif %}") == "thẻ thiếu biểu thức (biến hoặc điều kiện)"
    assert said("{{ a ? }}") == "ký tự «?» không dùng được trong thẻ"
    assert jinja_message_vi(jinja2.TemplateAssertionError("No filter named 'frmt'.", 1)) == "bộ lọc «frmt» không có"


@pytest.mark.parametrize(("argv", "said"), [
    (["reopen", "2023-6T", "22828"], "Thiếu tham số: --by, --reason. Xem: python -m pipeline reopen --help\n"),
    (["frobnicate"], "Lệnh không có: frobnicate. Các lệnh: validate, run, summary, preflight, report-path, "
                     "template, accept-outlier, receive, reopen, check-template, approve, deliver, move-ledger, "
                     "portal, accounts, check-units. Xem: python -m pipeline --help\n"),
    ([], "Thiếu lệnh. Các lệnh: validate, run, summary, preflight, report-path, template, accept-outlier, receive, "
         "reopen, check-template, approve, deliver, move-ledger, portal, accounts, check-units. Xem: python -m "
         "pipeline --help\n"),
    (["report-path", "2023-6T", "--version", "hai"],
     "Tham số --version phải là một số, không phải «hai». Xem: python -m pipeline report-path --help\n"),
    (["summary", "2023-6T", "thừa"], "Tham số không dùng được với lệnh này: thừa. Xem: python -m pipeline --help\n"),
])
def test_usage_errors_in_vietnamese(capsys, argv, said):
    """Missing arguments, an unknown or missing command, a wrong value: exit 2 (as argparse), Vietnamese."""
    from pipeline.__main__ import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.err == said and captured.out == ""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_smtp_sender_says_why_in_vietnamese(config, monkeypatch):
    """Through Airflow's SMTP hook: no connection defined, then a server that refuses the connection."""
    from ops.smtp import smtp_sender
    from pipeline.staff.mail import MailError, Message

    conn = config.mail.get("smtp_conn_id") or "smtp_default"
    message = Message(("phong@ninhson.example.org",), "Báo cáo", "<p>x</p>")
    monkeypatch.delenv(f"AIRFLOW_CONN_{conn.upper()}", raising=False)
    with pytest.raises(MailError) as info:
        smtp_sender(config)(message)
    assert str(info.value) == (f"chưa cấu hình kết nối thư điện tử {conn}: đặt biến môi trường "
                               f"AIRFLOW_CONN_{conn.upper()} hoặc thêm kết nối trong Airflow (Admin → Connections), "
                               "xem docs/configuration.md, mục E-mail")
    port = _closed_port()
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn.upper()}", json.dumps(
        {"conn_type": "smtp", "host": "127.0.0.1", "port": port,
         "extra": {"disable_ssl": True, "disable_tls": True, "retry_limit": 0, "from_email": "a@ninhson.example.org"}}))
    with pytest.raises(MailError) as info:
        smtp_sender(config)(message)
    assert str(info.value) == f"không kết nối được máy chủ thư 127.0.0.1:{port}"
    assert isinstance(info.value.__cause__, ConnectionRefusedError)


@pytest.mark.parametrize(("error", "why"), [
    ("missing", "chưa cấu hình kết nối thư điện tử smtp_default: đặt biến môi trường AIRFLOW_CONN_SMTP_DEFAULT "
                "hoặc thêm kết nối trong Airflow (Admin → Connections), xem docs/configuration.md, mục E-mail"),
    ("refused", "không kết nối được máy chủ thư của kết nối smtp_default"),
    ("mailerror", "không kết nối được máy chủ thư mail.ninhson.example.org:587"),
])
def test_deliver_says_why_sending_failed(config, tmp_path, monkeypatch, capsys, error, why):
    """`deliver` with a sender that raises: exit 1, the reason in Vietnamese, no exception class name."""
    from airflow.exceptions import AirflowException

    import ops.smtp
    import pipeline.staff.delivery
    from pipeline.__main__ import main
    from pipeline.staff.mail import MailError, Message

    assert (config.mail.get("smtp_conn_id") or "smtp_default") == "smtp_default"
    raised = {"missing": AirflowException("SMTP connection is not found."),
              "refused": ConnectionRefusedError(111, "Connection refused"),
              "mailerror": MailError("không kết nối được máy chủ thư mail.ninhson.example.org:587")}[error]
    sent = []

    def sender(_config):
        def send(message):
            sent.append(message)
            raise raised
        return send

    def fake_deliver(period, *, send, **_kwargs):  # the steps before sending are tested in test_delivery
        send(Message(("phong@ninhson.example.org",), f"Báo cáo {period.code}", "<p>x</p>"))

    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    monkeypatch.setattr(ops.smtp, "smtp_sender", sender)
    monkeypatch.setattr(pipeline.staff.delivery, "deliver", fake_deliver)
    assert main(["deliver", "2023-6T"]) == 1
    assert len(sent) == 1
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if x.startswith("Chưa gửi được"))
    assert line == (f"Chưa gửi được báo cáo kỳ 2023-6T: {why}. Không ghi nhận là đã gửi; thử lại sau hoặc báo quản "
                    "trị hệ thống.")
    assert type(raised).__name__ not in line and "Errno" not in line


def test_a_file_that_is_not_a_workbook_is_refused_as_such(tmp_path):
    """README.md is not a spreadsheet: said so (not "typed in TCVN3"), exit 1; text with TCVN3 bytes named
    .xlsx too, while the same text named .csv is read as a roster (and refused for its encoding)."""
    from pipeline.read.reader import UnreadableSubmission
    from pipeline.read.sources import open_submission

    result = _cli("validate", "README.md")
    assert result.returncode == 1
    first = result.stdout.splitlines()[0]
    assert first == ("[LỖI] tệp README.md. Tệp README.md không phải bảng tính Excel (.xlsx, .xls). Cách sửa: Điền số "
                     "liệu vào mẫu báo cáo Excel (mau_bao_cao_don_vi.xlsx) và gửi tệp .xlsx; danh sách hộ "
                     "dạng CSV thì gửi tệp có đuôi .csv.")
    assert "TCVN3" not in result.stdout and "Unikey" not in result.stdout

    legacy = "M· hé,Hä vµ tªn chñ hé,Sè nh©n khÈu\n22828-0001,NguyÔn V¨n An,4\n22828-0002,TrÇn ThÞ B×nh,3\n"
    for name in ("bao_cao.xlsx", "bao_cao.csv"):
        (tmp_path / name).write_bytes(legacy.encode("latin-1"))
    with pytest.raises(UnreadableSubmission, match=re.escape("Tệp bao_cao.xlsx không phải bảng tính Excel (.xlsx, "
                                                              ".xls).")):
        open_submission(tmp_path / "bao_cao.xlsx", "bao_cao.xlsx")
    with pytest.raises(UnreadableSubmission, match="TCVN3"):
        open_submission(tmp_path / "bao_cao.csv", "bao_cao.csv")


# --- One data root, one ledger ------------------------------------------------------------------------------------

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _tree(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder`` by relative path: a file's bytes, a link's target, "dir" for a folder."""
    out: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        out[rel] = (f"-> {os.readlink(path)}" if path.is_symlink() else "dir" if path.is_dir() else path.read_bytes())
    return out


def test_run_on_a_root_of_another_ledger_is_refused_and_changes_no_report(tmp_path, monkeypatch, capsys):
    """`run 2023-6T` publishes v1 from ledger A (saying first that one entry of the drop folder, Excel's lock file,
    was not taken, and where the reason is); the same command with ledger B on that root (a real process) prints
    the refusal naming both ledgers, exits 2 and leaves reports/ byte for byte, B never created; A still works."""
    from pipeline.__main__ import main
    from tests.helpers import drop

    root = (tmp_path / "data").resolve()
    drop([ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx"], root / "inbox" / "2023-6T")
    ledger_a, ledger_b = f"sqlite:///{tmp_path / 'a.sqlite'}", f"sqlite:///{tmp_path / 'b.sqlite'}"
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(root))
    monkeypatch.setenv("PIPELINE_LEDGER_URL", ledger_a)
    monkeypatch.setenv("PIPELINE_PDF", "0")
    (root / "inbox" / "2023-6T" / "~$22828_ma_noi.xlsx").write_bytes(b"lock")  # Excel's lock file: never taken
    assert main(["run", "2023-6T"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == str(root / "reports" / "2023" / "6T" / "v1" / "bao-cao-2023-6T.docx")
    assert out[0] == ("Lưu ý: 1 mục trong thư mục nhận inbox/2023-6T chưa được tiếp nhận (đang chép dở, tệp tạm, "
                      f"liên kết…); lý do từng mục: {root / 'reports' / '2023' / '6T' / 'trang-thai-2023-6T.html'}")
    before = _tree(root / "reports")
    assert "2023/6T/v1/bao-cao-2023-6T.docx" in before

    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "PIPELINE_DATA_DIR": str(root),
           "PIPELINE_LEDGER_URL": ledger_b, "PIPELINE_PDF": "0"}
    for args in (("run", "2023-6T"), ("receive", str(ROOT / "samples" / "2023-6T" / "22810_tan_son.xlsx"), "--period",
                                      "2023-6T", "--received-at", "2023-05-03T09:00:00+07:00", "--by", "Nguyễn Văn A")):
        result = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True,
                                timeout=300, env=env)
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        assert result.stderr == (
            f"Sổ tiếp nhận không khớp: thư mục dữ liệu này thuộc sổ {ledger_a}, nhưng lần chạy này dùng sổ "
            f"{ledger_b}. Đã dừng, không tiếp nhận, kiểm tra hay công bố gì, để báo cáo không bị lập từ hai sổ khác "
            f"nhau (thư mục dữ liệu: {root}; sổ của thư mục ghi trong {root / 'work' / 'so-tiep-nhan.json'}). Cách "
            f"sửa: dùng đúng sổ của thư mục (đặt PIPELINE_LEDGER_URL={ledger_a}, thêm mật khẩu nếu sổ cần), hoặc "
            f"dùng một thư mục dữ liệu khác (PIPELINE_DATA_DIR) cho sổ {ledger_b}. Muốn chuyển sổ của thư mục này "
            "sang cơ sở dữ liệu khác (ví dụ PostgreSQL), dùng lệnh python -m pipeline move-ledger --to URL.\n")
    assert _tree(root / "reports") == before
    assert not (tmp_path / "b.sqlite").exists()
    assert sorted(p.name for p in (root / "archive" / "2023-6T").iterdir()) == [
        f"{__import__('hashlib').sha256((ROOT / 'samples' / '2023-6T' / '22828_ma_noi.xlsx').read_bytes()).hexdigest()}"
        ".xlsx"]
    assert main(["summary", "2023-6T"]) == 0  # the root's own ledger still works
    assert capsys.readouterr().out.splitlines()[-1].endswith("/v1/bao-cao-2023-6T.docx")


@pytest.mark.parametrize("backend", BACKENDS)
def test_move_ledger_copies_every_table_and_records_the_new_ledger(backend, tmp_path, monkeypatch, capsys):
    """`move-ledger --to` copies each table row for row (ids, aware times) into an empty database, records it as
    the root's ledger, prints the counts; then the old ledger is refused, the new one numbers on, and moving into a
    database with rows is refused (exit 2)."""
    import datetime as dt

    from pipeline.__main__ import main
    from pipeline.ledger.store import Ledger, open_ledger, public_url
    from pipeline.workspace import Workspace
    from tests.helpers import reset_database

    root = (tmp_path / "data").resolve()
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(root))
    monkeypatch.delenv("PIPELINE_LEDGER_URL", raising=False)
    t0 = dt.datetime(2023, 5, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    old = open_ledger(Workspace.from_environment())
    for unit, tag in (("22828", "a"), ("22810", "b")):
        v = old.register(period="2023-6T", unit_code=unit, original_name=f"{tag}.xlsx", sha256=tag * 64, size_bytes=1,
                         found_at=t0, file_mtime=t0, on_time=True, archive_path=f"/archive/{tag}.xlsx")
        old.record_validation(v.id, status="valid", errors=0, warnings=1, findings_path=f"/f/{tag}.json",
                              fingerprint="f", validated_at=t0)
    old.queue_notice(v, status="valid", errors=0, warnings=1, at=t0)
    old.accept_outlier(period="2023-6T", unit_code="22828", indicator="poor_households", justification="Bổ sung",
                       accepted_by="Trưởng phòng", accepted_at=t0)
    old.claim_reminder(period="2023-6T", unit="22810", kind="before-2d", recipients=2, at=t0)
    old.approve(period="2023-6T", version=1, sha256="c" * 64, approved_by="Trần Thị Hoa", approved_at=t0)
    old.record_delivery(period="2023-6T", version=1, sha256="c" * 64, delivered_at=t0, recipients=["a@example.org"],
                        archive_path="/delivered/2023-6T/v1")
    old.reopen(period="2023-6T", unit_code="22810", reopened_by="Trần Thị Hoa", reason="Bản giấy", reopened_at=t0)
    old.sight("2023-6T", "22816_dang_chep.xlsx", 1234, t0)
    if backend == "sqlite":
        target = f"sqlite:///{tmp_path / 'moved.sqlite'}"
    else:
        target = os.environ["TEST_DATABASE_URL"]
        reset_database(target)

    assert main(["move-ledger", "--to", target]) == 0
    default = f"sqlite:///{root}/work/ledger.sqlite"
    assert capsys.readouterr().out == (
        f"Đã chuyển sổ tiếp nhận của thư mục dữ liệu {root} từ {default} sang {public_url(target)} (9 dòng: "
        "inbox_sightings 1, outlier_acceptances 1, period_reopenings 1, reminders_sent 1, report_approvals 1, "
        "report_deliveries 1, submission_versions 2, validation_notices 1).\n"
        f"Từ nay mọi lệnh, DAG và dịch vụ dùng thư mục này phải đặt PIPELINE_LEDGER_URL={public_url(target)} (thêm "
        f"mật khẩu nếu cần); sổ cũ {default} được giữ nguyên làm bản sao lưu và không được dùng cho thư mục này "
        "nữa.\n")
    moved = Ledger(target)
    assert moved.versions("2023-6T") == old.versions("2023-6T")
    assert moved.sightings("2023-6T") == {"22816_dang_chep.xlsx": t0}
    assert [v.received_at for v in moved.versions("2023-6T")] == [t0, t0]
    assert moved.acceptance_records("2023-6T", "22828") == old.acceptance_records("2023-6T", "22828")
    assert moved.reminders("2023-6T") == old.reminders("2023-6T")
    assert moved.approval("2023-6T", 1) == old.approval("2023-6T", 1)
    assert moved.deliveries("2023-6T") == old.deliveries("2023-6T")
    assert moved.reopenings("2023-6T") == old.reopenings("2023-6T")
    record = json.loads((root / "work" / "so-tiep-nhan.json").read_text(encoding="utf-8"))
    assert (record["ledger"], record["in_data_root"]) == (public_url(target), None)

    assert main(["summary", "2023-6T"]) == 2  # still naming the old SQLite default: refused
    assert capsys.readouterr().err.startswith(
        f"Sổ tiếp nhận không khớp: thư mục dữ liệu này thuộc sổ {public_url(target)}, nhưng lần chạy này dùng sổ "
        f"{default}.")
    monkeypatch.setenv("PIPELINE_LEDGER_URL", target)
    new = open_ledger(Workspace.from_environment())
    v3 = new.register(period="2023-6T", unit_code="22828", original_name="d.xlsx", sha256="d" * 64, size_bytes=1,
                      found_at=t0, file_mtime=t0, on_time=True, archive_path="/archive/d.xlsx")
    assert (v3.id, v3.version) == (3, 2)  # ids and numbers go on after the copied ones

    assert main(["move-ledger", "--to", target]) == 2  # onto itself
    assert capsys.readouterr().err == (f"{public_url(target)} đã là sổ tiếp nhận của thư mục dữ liệu {root}: "
                                       "không có gì để chuyển.\n")
    monkeypatch.delenv("PIPELINE_LEDGER_URL")
    assert main(["move-ledger", "--to", default]) == 2  # from the old ledger: not the root's
    assert capsys.readouterr().err.startswith("Sổ tiếp nhận không khớp")
    monkeypatch.setenv("PIPELINE_LEDGER_URL", target)
    assert main(["move-ledger", "--to", default]) == 2  # back into the old file: it has rows
    assert capsys.readouterr().err == (
        f"Sổ đích {default} đã có dữ liệu (inbox_sightings: 1 dòng, outlier_acceptances: 1 dòng, period_reopenings: 1 "
        "dòng, reminders_sent: 1 dòng, report_approvals: 1 dòng, report_deliveries: 1 dòng, submission_versions: 2 "
        "dòng, validation_notices: 1 dòng): không chuyển sổ vào đó. Dùng một cơ sở dữ liệu mới, trống.\n")
    assert json.loads((root / "work" / "so-tiep-nhan.json").read_text(encoding="utf-8"))["ledger"] == public_url(target)


def test_accept_outlier_takes_indicators_persons_and_a_households_amount(config, tmp_path, monkeypatch, capsys):
    """`accept-outlier` records an outlier indicator, a persons count and one household's amount under the key
    its warning gives (``support_housing_vnd:<code>``), with the reason; a key for a household whose latest
    findings carry no such warning, an unknown key or an amount without a household is refused (exit 2) and
    nothing is recorded for it. The status page then names the column and the household, not the key."""
    import datetime as dt
    import shutil

    from pipeline import orchestrator
    from pipeline.__main__ import main
    from pipeline.ledger.store import open_ledger
    from pipeline.staff.feedback import status_page_path
    from pipeline.workspace import Workspace
    from tests.helpers import edit_roster, roster_rows, workspace_at

    root = (tmp_path / "data").resolve()
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(root))
    monkeypatch.delenv("PIPELINE_LEDGER_URL", raising=False)
    inbox = root / "inbox" / "2023-6T"
    inbox.mkdir(parents=True)
    sample = inbox / "22828_ma_noi.xlsx"
    shutil.copyfile(ROOT / "samples" / "2023-6T" / sample.name, sample)
    first, second = (r["household_code"] for r in roster_rows(sample)[:2])
    edit_roster(sample, first, support_housing_vnd=80_000_000)
    period = config.period("2023-6T")
    at = dt.datetime(2023, 5, 3, 9, 0, tzinfo=dt.UTC)
    orchestrator.intake_period(period, config=config, now=at, workspace=workspace_at(root))
    for key in ("households_total", "poor_persons", f"support_housing_vnd:{first}"):
        assert main(["accept-outlier", "2023-6T", "22828", key, "--reason", "Xây mới nhà", "--by", "Trưởng phòng"]) == 0
    ledger = open_ledger(Workspace.from_environment())
    assert set(ledger.acceptances("2023-6T", "22828")) == {"households_total", "poor_persons",
                                                           f"support_housing_vnd:{first}"}
    capsys.readouterr()
    assert main(["accept-outlier", "2023-6T", "22828", f"support_housing_vnd:{second}", "--reason", "x",
                 "--by", "y"]) == 2
    assert capsys.readouterr().err.startswith(
        f"Phiên bản mới nhất (v1) của đơn vị 22828 kỳ 2023-6T không có cảnh báo số tiền nào mang mã "
        f"support_housing_vnd:{second}: không có gì để chấp nhận.")
    for key in ("so_ho", "support_housing_vnd:", "head_name:22828-0003"):
        assert main(["accept-outlier", "2023-6T", "22828", key, "--reason", "x", "--by", "y"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"Chỉ tiêu không hợp lệ: {key}. Chọn một trong: households_total, ") and (
            "support_housing_vnd:22828-0007" in err)
    assert len(ledger.acceptances("2023-6T", "22828")) == 3
    orchestrator.intake_period(period, config=config, now=at, workspace=workspace_at(root))
    page = status_page_path(period, root).read_text(encoding="utf-8")
    assert f"Số tiền “Hỗ trợ: nhà ở (đồng)” của hộ {first} đã được Trưởng phòng chấp nhận" in page
    assert "Số liệu bất thường của chỉ tiêu “Số nhân khẩu của hộ nghèo” đã được" in page
    assert "support_housing_vnd" not in page


def test_validate_names_a_folder_or_a_missing_file(tmp_path, capsys):
    """`validate` given a folder says it is a folder, not a report file; a path that does not exist, that it is
    not found; both exit 2."""
    from pipeline.__main__ import main

    assert main(["validate", str(tmp_path), "--period", "2023-6T"]) == 2
    assert capsys.readouterr().err == f"{tmp_path}: là một thư mục, không phải tệp báo cáo.\n"
    assert main(["validate", str(tmp_path / "khong_co.xlsx"), "--period", "2023-6T"]) == 2
    assert capsys.readouterr().err == f"{tmp_path / 'khong_co.xlsx'}: không tìm thấy tệp.\n"


def test_check_units_compares_the_setup_with_the_official_list(tmp_path, monkeypatch, capsys):
    """`check-units` on the shipped setup: the eight units agree (exit 0); on a setup that keeps Hòa Sơn after
    01/07/2025 and calls Lâm Sơn a thị trấn: one line each with what the list says (exit 1), nothing changed."""
    import yaml

    from pipeline.__main__ import main

    monkeypatch.delenv("PIPELINE_CONFIG", raising=False)
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path / "data"))
    assert main(["check-units"]) == 0
    assert capsys.readouterr().out == ("8 đơn vị trong ninh_son.yaml khớp danh mục đơn vị hành chính chính thức (mã, "
                                       "tên, loại, khu vực, thời gian hiệu lực).\n")
    data = yaml.safe_load((ROOT / "config" / "ninh_son.yaml").read_text(encoding="utf-8"))
    by_code = {u["code"]: u for u in data["units"]}
    by_code["22825"]["valid_to"] = "2026-12-31"
    by_code["22813"]["kind"] = "thị trấn"
    setup = tmp_path / "khac.yaml"
    setup.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    before = setup.read_bytes()
    monkeypatch.setenv("PIPELINE_CONFIG", str(setup))
    assert main(["check-units"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "[KHÁC] Đơn vị 22813 (thị trấn Lâm Sơn, từ 01/01/2004 đến 30/06/2025), danh mục ngày 01/01/2004: loại đơn "
        "vị trong danh mục là 'xã', cấu hình ghi 'thị trấn'.",
        "[KHÁC] Đơn vị 22825 (xã Hòa Sơn, từ 01/01/2004 đến 31/12/2026): hiệu lực kéo dài qua ngày 01/07/2025, khi "
        "danh mục đơn vị hành chính đổi; tách thành hai đơn vị, một đến 30/06/2025 và một từ 01/07/2025.",
        "[KHÁC] Đơn vị 22825 (xã Hòa Sơn, từ 01/01/2004 đến 31/12/2026): mã 22825 không có trong danh mục ngày "
        "01/07/2025 (Mã 22825 (xã Hòa Sơn) đã thôi hiệu lực từ 01/07/2025; nay là xã Anh Dũng, mã 22828).",
        "3 điểm khác giữa khac.yaml và danh mục đơn vị hành chính chính thức: sửa cấu hình (hoặc ghi rõ lý do giữ "
        "nguyên).",
    ]
    assert setup.read_bytes() == before


def test_a_successors_bridge_is_one_line_for_staff():
    """The summary's bridge line: agreeing figures as a plain line, different ones as a warning, an incomplete
    sum said so."""
    from pipeline.__main__ import bridge_line

    row = {"unit_code": "22828", "unit_name": "xã Anh Dũng", "period": "2025-6T",
           "predecessors": ["xã Ma Nới", "xã Hòa Sơn"], "complete": True,
           "own": {"households_total": 2650}, "sum": {"households_total": 2600}, "differs": True}
    head = "Đối chiếu số hộ tại 01/01 của xã Anh Dũng (22828) với các đơn vị cũ (xã Ma Nới, xã Hòa Sơn)"
    assert bridge_line(row) == (f"[CẢNH BÁO] {head}: đơn vị báo cáo 2.650 hộ; các đơn vị cũ cộng 2.600 hộ (kỳ "
                                "2025-6T) — khác nhau, cần làm rõ.")
    assert bridge_line({**row, "own": {"households_total": 2600}, "differs": False}) == (
        f"{head}: đơn vị báo cáo 2.600 hộ; các đơn vị cũ cộng 2.600 hộ (kỳ 2025-6T).")
    assert bridge_line({**row, "sum": None, "complete": False}) == (
        f"{head}: chưa đủ báo cáo hợp lệ kỳ 2025-6T của các đơn vị cũ để cộng.")


def test_preflight_lists_the_gaps_and_exits_1(tmp_path, monkeypatch, capsys):
    """On a data root with nothing received: the summary line, one line per required unit and office (12), the three
    configuration facts marked "[cấu hình]", the report's number and date marked "[điền khi ban hành]"; exit 1."""
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    from pipeline.__main__ import main

    assert main(["preflight", "2023-6T"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("Kỳ 2023-6T (6 tháng đầu năm 2023, hạn trước 05/05/2023 00:00): 12 đơn vị, cơ quan chưa có "
                        "báo cáo hợp lệ; 3 thông tin cấu hình chưa ghi.")
    assert sum(line.endswith("chưa nhận được tệp nào.") for line in lines) == 12
    assert [line.split("]")[0] for line in lines if line.startswith("- [")] == ["- [cấu hình"] * 3 + [
        "- [điền khi ban hành"] * 2


def test_accounts_are_created_for_every_unit_and_the_district_then_reset_and_disabled(tmp_path, monkeypatch, capsys):
    """`accounts create --all-units 2023-6T --district phong-ldtbxh` prints one generated password per account (8
    communes, 6 offices, the district), each valid for its account and stored hashed only; `list`, `reset` (a new
    password, the old one refused) and `disable` work; an unknown unit or a second creation exits 2."""
    from pipeline.__main__ import main
    from pipeline.portal.accounts import AccountStore

    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PIPELINE_LEDGER_URL", raising=False)
    assert main(["accounts", "create", "--all-units", "2023-6T", "--district", "phong-ldtbxh"]) == 0
    out = capsys.readouterr()
    printed = dict(line.split("\t") for line in out.out.splitlines())
    assert sorted(printed) == sorted(["phong-ldtbxh", "22810", "22813", "22816", "22819", "22822", "22825", "22828",
                                      "22831", "VHTT", "NN", "GDNN", "LDTB", "MTTQ", "NHCS"])
    assert "Mật khẩu chỉ hiện một lần" in out.err
    store = AccountStore(tmp_path)
    assert store.verify("phong-ldtbxh", printed["phong-ldtbxh"]).role == "district"
    assert store.verify("22828", printed["22828"]).unit == "22828"
    assert not any(p in store.path.read_text(encoding="utf-8") for p in printed.values())
    assert main(["accounts", "list"]) == 0
    listed = capsys.readouterr().out
    assert "phong-ldtbxh\thuyện (mọi đơn vị)\tđang dùng" in listed and "22828\txã Ma Nới\tđang dùng" in listed
    assert main(["accounts", "reset", "22828"]) == 0
    new = capsys.readouterr().out.split("\t")[1].strip()
    assert store.verify("22828", new) is not None and store.verify("22828", printed["22828"]) is None
    assert main(["accounts", "disable", "22828"]) == 0 and store.verify("22828", new) is None
    capsys.readouterr()
    assert main(["accounts", "create", "22999"]) == 2
    assert "Không có đơn vị mã 22999" in capsys.readouterr().err
    assert main(["accounts", "create", "22813"]) == 2
    assert "Đã có tài khoản 22813" in capsys.readouterr().err
