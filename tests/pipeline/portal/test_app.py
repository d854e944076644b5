"""The upload page through its HTTP interface (Starlette's test client): accounts, login, throttling, CSRF,
sessions, who sees what, uploads registered and validated like any other arrival."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline.ledger.store import open_ledger
from pipeline.portal.accounts import DISTRICT, UNIT, AccountStore
from pipeline.portal.app import create_app
from pipeline.portal.guard import Record
from pipeline.workspace import Workspace
from tests.helpers import FixedClock, edit_summary, roster_rows

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples" / "2023-6T"
VN = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def site(tmp_path):
    """A data root with accounts for Ma Nới (22828), Lâm Sơn (22813) and the district; the page's clock at
    09:00 on 03/5/2023 (before the 6-month deadline)."""
    clock = FixedClock(dt.datetime(2023, 5, 3, 9, 0, tzinfo=VN))
    workspace = Workspace(root=tmp_path, clock=clock, pdf=False)
    store = AccountStore(tmp_path)
    passwords = {name: store.create(name, role=UNIT, unit=name, now=clock()) for name in ("22828", "22813")}
    passwords["phong-ldtbxh"] = store.create("phong-ldtbxh", role=DISTRICT, unit=None, now=clock())
    client = TestClient(create_app(workspace), base_url="http://127.0.0.1")
    return client, passwords, clock, tmp_path


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client, name, password):
    token = _csrf(client.get("/dang-nhap").text)
    return client.post("/dang-nhap", data={"ten": name, "mat_khau": password, "csrf": token},
                       follow_redirects=False)


def _upload(client, path: Path, period="2023-6T"):
    page = client.get(f"/ky/{period}/don-vi/22828")
    with path.open("rb") as fh:
        return client.post(f"/ky/{period}/gui", data={"csrf": _csrf(page.text)}, files={"tep": (path.name, fh)},
                           follow_redirects=True)


def test_login_is_throttled_after_five_failures_in_a_minute(site):
    client, passwords, clock, root = site
    for _ in range(5):
        assert login(client, "22828", "sai-mat-khau").status_code == 401
    refused = login(client, "22828", passwords["22828"])
    assert refused.status_code == 429 and "Đăng nhập sai quá nhiều lần" in refused.text
    clock.at += dt.timedelta(seconds=61)
    assert login(client, "22828", passwords["22828"]).status_code == 303
    events = [(e["event"], e["reason"]) for e in Record(root / "portal" / "nhat-ky.jsonl").read()]
    assert events.count(("login_failed", "bad_credentials")) == 5 and ("refused", "throttled") in events
    assert events[-1] == ("login", "")
    assert passwords["22828"] not in (root / "portal" / "nhat-ky.jsonl").read_text(encoding="utf-8")


def test_a_unit_sees_only_its_own_and_every_refusal_is_recorded(site):
    client, passwords, clock, root = site
    assert client.get("/ky/2023-6T/don-vi/22828", follow_redirects=False).headers["location"] == "/dang-nhap"
    no_token = client.post("/dang-nhap", data={"ten": "22828", "mat_khau": passwords["22828"]})
    assert no_token.status_code == 403 and "mã xác nhận" in no_token.text
    assert login(client, "22828", passwords["22828"]).headers["location"] == "/"
    assert client.get("/", follow_redirects=False).headers["location"] == "/ky/2023-6T"
    own = client.get("/ky/2023-6T", follow_redirects=True)
    assert own.status_code == 200 and "Xã Ma Nới — báo cáo kỳ 6 tháng đầu năm 2023" in own.text
    assert "Chưa nhận tệp nào của đơn vị cho kỳ này." in own.text
    cookie = client.cookies.get("phien_bao_cao")
    assert cookie
    other = client.get("/ky/2023-6T/don-vi/22813")
    assert other.status_code == 403 and "không được xem báo cáo của đơn vị khác" in other.text
    assert client.get("/ky/2023-6T/don-vi/22813/gop-y/v1-00000000-gop-y.xlsx").status_code == 403
    assert client.get("/ky/2023-6T/trang-thai").status_code == 403
    assert client.get("/ky/2023-6T/ky-thuat/index.html").status_code == 403
    assert client.get("/ky/2023-6T/don-vi/22828/gop-y/..%2F..%2F..%2Fportal%2Faccounts.json").status_code == 400
    assert client.get("/ky/2023-6T/ky-thuat/%2e%2e/%2e%2e/portal/accounts.json").status_code == 400
    page = client.get("/ky/2023-6T/don-vi/22828")
    logout = client.post("/dang-xuat", data={}, follow_redirects=False)
    assert logout.status_code == 403
    # 31 minutes without a request: the session has ended
    clock.at += dt.timedelta(minutes=31)
    expired = client.get("/ky/2023-6T/don-vi/22828", follow_redirects=True)
    assert "Phiên làm việc đã hết hạn" in expired.text and "Đăng nhập" in expired.text
    assert _csrf(page.text)
    reasons = [e["reason"] for e in Record(root / "portal" / "nhat-ky.jsonl").read() if e["event"] == "refused"]
    assert reasons == ["csrf", "other_unit", "other_unit", "district_only", "district_only", "dot_dot", "dot_dot",
                       "csrf", "session_expired"]


def test_a_reset_password_or_a_disabled_account_ends_its_sessions(site):
    client, passwords, clock, root = site
    login(client, "22828", passwords["22828"])
    assert client.get("/ky/2023-6T/don-vi/22828").status_code == 200
    AccountStore(root).set_disabled("22828", True)
    assert client.get("/ky/2023-6T/don-vi/22828", follow_redirects=False).headers["location"] == "/dang-nhap"
    assert login(client, "22828", passwords["22828"]).status_code == 401


def test_an_upload_is_registered_validated_and_its_findings_shown(site, tmp_path_factory):
    """A broken workbook: registered as an upload stamped at the page's clock, validated at once; the page names
    the sheet, row, column and fix; the annotated copy downloads; the corrected file is accepted as version 2; a
    notice is queued for each version."""
    client, passwords, clock, root = site
    login(client, "22828", passwords["22828"])
    folder = tmp_path_factory.mktemp("sent")
    broken = folder / "ma_noi.xlsx"
    shutil.copy(SAMPLES / "22828_ma_noi.xlsx", broken)
    edit_summary(broken, "poor_households", current=99999)
    shown = _upload(client, broken)
    assert shown.status_code == 200
    text = shown.text
    assert "Đã nhận tệp ma_noi.xlsx (phiên bản 1) lúc" in text
    assert "Có lỗi:" in text and "Đúng hạn" in text and 'data-label="Sheet">Tổng hợp<' in text
    assert "99999" in text or "99.999" in text
    link = re.search(r'href="(/ky/2023-6T/don-vi/22828/gop-y/v1-[0-9a-f]{8}-gop-y\.xlsx)"', text).group(1)
    copy = client.get(link)
    assert copy.status_code == 200 and copy.content[:2] == b"PK"
    assert 'filename="gop-y-22828-2023-6T-v1-' in copy.headers["content-disposition"]
    ledger = open_ledger(Workspace(root=root))
    (v1,) = ledger.versions("2023-6T", "22828")
    assert (v1.received_via, v1.received_by, v1.received_at, v1.status) == (
        "upload", "22828", clock.at, "invalid")
    clock.at += dt.timedelta(minutes=5)
    fixed = _upload(client, SAMPLES / "22828_ma_noi.xlsx")
    assert "(phiên bản 2)" in fixed.text and "Không có lỗi hay cảnh báo nào." in fixed.text
    assert "(dùng cho báo cáo)" in fixed.text and 'id="tinh-trang">Hợp lệ<' in fixed.text
    assert [n["status"] for n in ledger.notices("2023-6T")] == ["invalid", "valid"]
    # the district sees both, the status page and the unit's copy; Lâm Sơn sees none of it
    client.cookies.clear()
    login(client, "phong-ldtbxh", passwords["phong-ldtbxh"])
    overview = client.get("/ky/2023-6T")
    assert re.search(r'<a href="/ky/2023-6T/don-vi/22828">Xã Ma Nới</a>.*?Hợp lệ', overview.text, re.S)
    status = client.get("/ky/2023-6T/trang-thai")
    assert status.status_code == 200 and "Xã Ma Nới (22828)" in status.text
    # the page's relative links, as a browser resolves them from /ky/2023-6T/trang-thai
    from urllib.parse import urljoin

    hrefs = re.findall(r'href="([^"#]+)"', status.text)
    copies = [h for h in hrefs if h.endswith("-gop-y.xlsx") and "22828" in h]
    assert copies and all(client.get(urljoin(str(status.url), h)).content[:2] == b"PK" for h in copies)
    technical = [h for h in hrefs if "data-docs" in h]
    assert technical
    view = client.get(urljoin(str(status.url), technical[0]))
    assert view.status_code == 200 and "22828" in view.text
    back = re.search(r'href="(\.\./trang-thai-2023-6T\.html)"', view.text).group(1)
    assert "Xã Ma Nới (22828)" in client.get(urljoin(str(view.url), back)).text
    assert client.get(link).status_code == 200
    client.cookies.clear()
    login(client, "22813", passwords["22813"])
    assert client.get(link).status_code == 403
    names = {str(r["head_name"]).strip() for r in roster_rows(SAMPLES / "22828_ma_noi.xlsx")}
    logged = (root / "portal" / "nhat-ky.jsonl").read_text(encoding="utf-8")
    assert not [n for n in names if n in logged]


def test_another_units_file_too_large_or_not_a_workbook_is_refused_and_kept_aside(site, tmp_path_factory):
    client, passwords, clock, root = site
    login(client, "22828", passwords["22828"])
    other = _upload(client, SAMPLES / "22813_lam_son.xlsx")
    assert other.status_code == 403 and "Tệp ghi mã đơn vị 22813 (xã Lâm Sơn)" in other.text
    assert open_ledger(Workspace(root=root)).versions("2023-6T") == []
    kept = list((root / "portal" / "refused" / "2023-6T").iterdir())
    assert len(kept) == 1 and kept[0].read_bytes() == (SAMPLES / "22813_lam_son.xlsx").read_bytes()
    text = tmp_path_factory.mktemp("x") / "bao_cao.pdf"
    text.write_bytes(b"%PDF-1.4")
    assert "Chỉ nhận tệp Excel .xlsx, .xlsm hoặc .xls" in _upload(client, text).text
    big = tmp_path_factory.mktemp("y") / "lon.xlsx"
    big.write_bytes(b"0" * (21 * 1_048_576))
    refused = _upload(client, big)
    assert refused.status_code == 413 and "lớn hơn mức cho phép (20 MB)" in refused.text


def test_an_office_logs_in_by_its_code_in_any_case_and_pages_that_do_not_exist_answer_in_vietnamese(site):
    """The Social Policy Bank's account NHCS logs in as 'nhcs' and sends its office workbook: validated as an
    office's, version 1; an unknown page or method is refused in Vietnamese, not in FastAPI's English JSON."""
    client, passwords, clock, root = site
    password = AccountStore(root).create("NHCS", role=UNIT, unit="NHCS", now=clock())
    assert login(client, "nhcs", password).headers["location"] == "/"
    page = client.get("/ky/2023-6T/don-vi/NHCS")
    assert "Ngân hàng Chính sách xã hội" in page.text or "NHCS" in page.text
    with (SAMPLES / "NHCS_co_quan.xlsx").open("rb") as fh:
        sent = client.post("/ky/2023-6T/gui", data={"csrf": _csrf(page.text)},
                           files={"tep": ("NHCS_co_quan.xlsx", fh)}, follow_redirects=True)
    assert "Đã nhận tệp NHCS_co_quan.xlsx (phiên bản 1)" in sent.text and 'id="tinh-trang">Hợp lệ<' in sent.text
    (v,) = open_ledger(Workspace(root=root)).versions("2023-6T", "NHCS")
    assert (v.received_via, v.status) == ("upload", "valid")
    missing = client.get("/khong-co")
    assert missing.status_code == 404 and "Không có trang này." in missing.text
    assert "Trang này không nhận yêu cầu kiểu này." in client.delete("/ky/2023-6T").text


def test_what_a_newcomer_tried(site, tmp_path_factory):
    """A password typed as the account name is never recorded; a logged-out cookie sent again is refused; the
    unit reads the values it typed; a file with no readable code sent from its account is its own; the same bytes
    again add nothing and say so; a refused other unit's file is kept owner-only; many failures from one address
    for several accounts do not lock out the address before 4 × the account limit."""
    client, passwords, clock, root = site
    assert login(client, passwords["22828"], passwords["22828"]).status_code == 401
    log_text = (root / "portal" / "nhat-ky.jsonl").read_text(encoding="utf-8")
    assert passwords["22828"] not in log_text and '"reason": "unknown_account"' in log_text
    login(client, "22828", passwords["22828"])
    saved = dict(client.cookies)
    page = client.get("/ky/2023-6T/don-vi/22828")
    assert client.post("/dang-xuat", data={"csrf": _csrf(page.text)}, follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.update(saved)
    replay = client.get("/ky/2023-6T/don-vi/22828", follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"] == "/dang-nhap"

    login(client, "22828", passwords["22828"])
    folder = tmp_path_factory.mktemp("sent")
    typed = folder / "chu.xlsx"
    shutil.copy(SAMPLES / "22828_ma_noi.xlsx", typed)
    first = roster_rows(typed)[0]["household_code"]
    from tests.helpers import edit_roster

    edit_roster(typed, first, members_count="hai trăm")
    shown = _upload(client, typed)
    assert 'data-label="Giá trị">hai trăm<' in shown.text  # its own value, as in its annotated copy
    again = _upload(client, typed)
    assert "giống hệt tệp đã gửi" in again.text and "không ghi thêm phiên bản mới" in again.text
    junk = folder / "hong.xlsx"
    junk.write_bytes(b"\x00not a workbook" * 100)
    broken = _upload(client, junk)
    assert "(phiên bản 2)" in broken.text
    ledger = open_ledger(Workspace(root=root))
    assert [v.original_name for v in ledger.versions("2023-6T", "22828")] == ["chu.xlsx", "hong.xlsx"]
    assert ledger.versions("2023-6T", None) == []
    copy = re.search(r'href="(/ky/2023-6T/don-vi/22828/gop-y/v2-[0-9a-f]{8}-gop-y\.xlsx)"', broken.text)
    assert copy is None or client.get(copy.group(1)).status_code == 200
    _upload(client, SAMPLES / "22813_lam_son.xlsx")
    (kept,) = (root / "portal" / "refused" / "2023-6T").iterdir()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600

    client.cookies.clear()
    for name in ("22813", "22828", "phong-ldtbxh", "22813"):
        assert login(client, name, "sai").status_code == 401
    assert login(client, "22813", passwords["22813"]).status_code == 303  # 4 failures: the address is not locked
