"""The staff command `python -m pipeline receive`: a file that came by e-mail, Zalo or on paper is archived
and registered with the receipt time staff give, and shown on the status page."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.__main__ import main
from pipeline.ledger.store import Ledger
from tests.helpers import workspace_at

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples" / "2023-6T"
HCM = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    """An empty data root with its own SQLite ledger."""
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PIPELINE_LEDGER_URL", raising=False)
    return tmp_path


def _ledger(root: Path) -> Ledger:
    return Ledger(f"sqlite:///{root / 'work' / 'ledger.sqlite'}")


def test_receive_registers_with_the_given_receipt_time(data_root):
    """A real command line: the printed verdict, the ledger row, the archive copy, the status page."""
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "receive", str(SAMPLES / "22828_ma_noi.xlsx"), "--period", "2023-6T",
         "--received-at", "2023-05-03T09:00:00+07:00", "--by", "Nguyễn Văn A", "--note", "nhận qua thư điện tử"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONPATH=str(ROOT), PIPELINE_DATA_DIR=str(data_root)),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("Đã ghi nhận 22828_ma_noi.xlsx kỳ 2023-6T: xã Ma Nới (22828), phiên bản 1, nhận lúc "
                             "03/05/2023 09:00 — đúng hạn (hạn nộp trước 05/05/2023 00:00).\n")
    (v,) = _ledger(data_root).versions("2023-6T")
    assert (v.unit_code, v.version, v.status, v.on_time) == ("22828", 1, "pending", True)
    assert (v.received_at, v.received_via, v.received_by, v.receipt_note) == (
        dt.datetime(2023, 5, 3, 9, 0, tzinfo=HCM), "staff", "Nguyễn Văn A", "nhận qua thư điện tử")
    assert Path(v.archive_path) == data_root / "archive" / "2023-6T" / f"{v.sha256}.xlsx"
    assert Path(v.archive_path).read_bytes() == (SAMPLES / "22828_ma_noi.xlsx").read_bytes()

    from pipeline.config import load_config
    from pipeline.orchestrator import intake_period
    from pipeline.staff.feedback import status_page_path

    config = load_config()
    period = config.period("2023-6T")
    counts = intake_period(period, config=config, now=dt.datetime(2023, 5, 3, 10, tzinfo=HCM),
                           workspace=workspace_at(data_root))
    assert (counts["new_files"], counts["validations"], counts["units_valid"]) == (0, 1, 1)
    html = status_page_path(period, data_root).read_text(encoding="utf-8")
    assert "<td>03/05/2023 09:00<br><small>tệp sửa lần cuối" in html
    found = v.found_at.astimezone(HCM).strftime("%d/%m/%Y %H:%M")
    assert f"Ghi nhận bởi Nguyễn Văn A lúc {found}: nhận qua thư điện tử</td>" in html
    assert "lần quét lúc hạn nộp tính cả tệp thấy trong 2 phút đầu sau hạn" in " ".join(html.split())


def test_same_bytes_again_registers_nothing(data_root, capsys):
    """The same file received again with another time and a note: the message says it is already registered as version
    1, received 05/05/2023 08:30, late; nothing is added and the first receipt (time, lateness, no note) is kept."""
    args = ["receive", str(SAMPLES / "22810_tan_son.xlsx"), "--period", "2023-6T", "--by", "Nguyễn Văn A"]
    assert main([*args, "--received-at", "2023-05-05T08:30:00+07:00"]) == 0
    assert capsys.readouterr().out == ("Đã ghi nhận 22810_tan_son.xlsx kỳ 2023-6T: thị trấn Tân Sơn (22810), phiên "
                                       "bản 1, nhận lúc 05/05/2023 08:30 — trễ hạn (hạn nộp trước 05/05/2023 00:00).\n")
    assert main([*args, "--received-at", "2023-05-01T08:00:00+07:00", "--note", "gửi lại qua Zalo"]) == 0
    assert capsys.readouterr().out == ("Tệp 22810_tan_son.xlsx đã có trong sổ tiếp nhận kỳ 2023-6T: thị trấn Tân Sơn "
                                       "(22810), phiên bản 1, nhận lúc 05/05/2023 08:30 — trễ hạn. Không ghi thêm.\n")
    (v,) = _ledger(data_root).versions("2023-6T")
    assert (v.received_at, v.on_time, v.receipt_note) == (dt.datetime(2023, 5, 5, 8, 30, tzinfo=HCM), False, None)


@pytest.mark.parametrize(("period", "received_at", "message"), [
    ("2023-6T", "2023-05-03 09:00", "Thời điểm nhận '2023-05-03 09:00' thiếu múi giờ. Ghi kèm múi giờ, ví dụ "
                                    "2023-05-03T09:00:00+07:00.\n"),
    ("2023-6T", "2999-01-01T00:00:00+07:00", "Thời điểm nhận '2999-01-01T00:00:00+07:00' ở tương lai: chỉ ghi nhận "
                                             "tệp đã nhận được.\n"),
    ("2023-6T", "hôm qua", "Thời điểm nhận không hợp lệ: 'hôm qua'. Ghi theo dạng 2023-05-03T09:00:00+07:00.\n"),
    ("2023-7T", "2023-05-03T09:00:00+07:00", "Kỳ báo cáo không hợp lệ: '2023-7T'. Dạng đúng: NNNN-6T, NNNN-9T hoặc "
                                             "NNNN-CN (ví dụ 2023-6T).\n"),
    ("2026-6T", "2026-05-03T09:00:00+07:00", "Kỳ 2026-6T không có đơn vị báo cáo nào trong cấu hình (không đơn vị "
                                             "nào còn hiệu lực ngày 30/04/2026): kiểm tra lại kỳ báo cáo.\n"),
    ("2023-6T", "2020-01-01T09:00:00+07:00", "Thời điểm nhận 01/01/2020 09:00 trước ngày 01/01/2023, khi kỳ 2023-6T "
                                             "chưa bắt đầu: kiểm tra lại năm đã ghi.\n"),
])
def test_refused_receipts(data_root, capsys, period, received_at, message):
    """A naive, future or malformed time, a time before the period's year (a typo that would make a late file
    on time), an unknown period or one with no configured unit: a Vietnamese message, exit 2, nothing kept."""
    code = main(["receive", str(SAMPLES / "22810_tan_son.xlsx"), "--period", period, "--received-at", received_at,
                 "--by", "Nguyễn Văn A"])
    out = capsys.readouterr()
    assert (code, out.out, out.err) == (2, "", message)
    assert not (data_root / "archive").exists()
    assert _ledger(data_root).versions(period) == []


def test_ledger_unreachable_is_a_message_not_a_traceback(data_root, capsys, monkeypatch):
    """The ledger's database down: exit 1, one Vietnamese line naming the fault, nothing archived."""
    monkeypatch.setenv("PIPELINE_LEDGER_URL", "postgresql+psycopg://postgres@127.0.0.1:1/ledger")
    code = main(["receive", str(SAMPLES / "22810_tan_son.xlsx"), "--period", "2023-6T", "--received-at",
                 "2023-05-03T09:00:00+07:00", "--by", "Nguyễn Văn A"])
    out = capsys.readouterr()
    assert code == 1 and out.out == ""
    assert out.err.startswith("Không ghi nhận được tệp 22810_tan_son.xlsx: lỗi hệ thống (OperationalError: ")
    assert out.err.rstrip().endswith("Tệp chưa được lưu vào sổ tiếp nhận; thử lại sau hoặc báo quản trị hệ thống.")
    assert "Traceback" not in out.err and not (data_root / "archive").exists()
