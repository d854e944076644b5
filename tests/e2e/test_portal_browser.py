"""The upload page as a commune official uses it, in Debian's headless Chromium driven by Selenium through
/usr/bin/chromedriver (nothing is downloaded): log in, send a broken workbook, read a named finding within
10 seconds, download the annotated copy, send the corrected one; be refused another unit's page and file, a path
with '..', a form without its CSRF token, an expired session; the sixth failed login in a minute is throttled.
Screenshots at phone and desktop widths go to the test's temporary folder.

Slow: starts Chromium and a web server, and validates four workbooks with Great Expectations."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import time
from pathlib import Path

import pytest

from pipeline.intake.receive import receive_file
from pipeline.ledger.store import open_ledger
from pipeline.orchestrator import annotator
from pipeline.portal.accounts import DISTRICT, UNIT, AccountStore
from pipeline.validate.run import validate_unit
from pipeline.workspace import Workspace
from tests.browser import free_port, publish_screenshot
from tests.helpers import FixedClock, edit_summary

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "2023-6T"
VN = dt.timezone(dt.timedelta(hours=7))
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PHONE, DESKTOP = (390, 844), (1280, 900)


@pytest.fixture
def server(tmp_path):
    """The page on a free loopback port, on a data root where Lâm Sơn's sample was received and validated; its
    clock at 09:00 on 03/5/2023."""
    import uvicorn

    from pipeline.portal.app import create_app

    clock = FixedClock(dt.datetime(2023, 5, 3, 9, 0, tzinfo=VN))
    root = tmp_path / "data"
    workspace = Workspace(root=root, clock=clock, pdf=False)
    config = workspace.config()
    period = config.period("2023-6T")
    ledger = open_ledger(workspace)
    receive_file(SAMPLES / "22813_lam_son.xlsx", period, config=config, ledger=ledger,
                 received_at=clock() - dt.timedelta(days=1), received_by="Cán bộ thử", note=None, now=clock(),
                 root=root)
    validate_unit("22813", config=config, ledger=ledger, period=period, now=clock(), root=root,
                  annotate=annotator(period, root, config))
    store = AccountStore(root)
    passwords = {code: store.create(code, role=UNIT, unit=code, now=clock()) for code in ("22828", "22813")}
    passwords["phong-ldtbxh"] = store.create("phong-ldtbxh", role=DISTRICT, unit=None, now=clock())
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(workspace), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.1)
    assert srv.started
    yield f"http://127.0.0.1:{port}", passwords, clock, root
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser(tmp_path):
    if not CHROMEDRIVER.exists():
        pytest.fail("ChromeDriver is missing: make system-deps installs Debian's chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--lang=vi"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver, downloads
    driver.quit()


def _login(driver, base, name, password):
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/dang-nhap")
    driver.find_element(By.ID, "ten").clear()
    driver.find_element(By.ID, "ten").send_keys(name)
    driver.find_element(By.ID, "mat_khau").send_keys(password)
    _submit(driver, "dang-nhap")


def _submit(driver, button_id: str) -> None:
    """Click a form's button and wait until the page it leads to has replaced this one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, button_id).click()
    WebDriverWait(driver, 30).until(ec.staleness_of(old))


def _text(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def _shot(driver, folder: Path, name: str, size: tuple[int, int]) -> Path:
    driver.set_window_size(*size)
    path = folder / f"{name}-{size[0]}.png"
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 5_000
    return path


def test_a_commune_sends_a_broken_then_a_corrected_workbook_and_is_refused_what_is_not_its_own(
        server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base, passwords, clock, root = server
    driver, downloads = browser
    shots = tmp_path / "screenshots"
    shots.mkdir()
    driver.set_window_size(*PHONE)
    _login(driver, base, "22828", passwords["22828"])
    WebDriverWait(driver, 20).until(ec.presence_of_element_located((By.ID, "tep")))
    assert "Xã Ma Nới — báo cáo kỳ 6 tháng đầu năm 2023" in _text(driver)

    broken = tmp_path / "bao_cao_ma_noi.xlsx"
    shutil.copy(SAMPLES / "22828_ma_noi.xlsx", broken)
    edit_summary(broken, "poor_households", current=99999)
    driver.find_element(By.ID, "tep").send_keys(str(broken))
    started = time.monotonic()
    _submit(driver, "gui")
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "gop-y")))
    elapsed = time.monotonic() - started
    assert elapsed < 10
    assert "Đã nhận tệp bao_cao_ma_noi.xlsx (phiên bản 1)" in _text(driver)
    cells = [{td.get_attribute("data-label"): td.text for td in tr.find_elements(By.TAG_NAME, "td")}
             for tr in driver.find_elements(By.CSS_SELECTOR, "#gop-y tbody tr")]
    named = [c for c in cells if c["Sheet"] == "Tổng hợp" and c["Dòng"] == "6" and c["Giá trị"] == "99999"]
    assert named and all(c["Mức"] == "Lỗi" and c["Cột"].startswith("Tại ngày chốt số liệu") for c in named)
    assert any("'Số hộ nghèo'" in c["Vấn đề"] and c["Cách sửa"].startswith("Kiểm tra lại") for c in named)
    publish_screenshot(_shot(driver, shots, "gop-y", PHONE), "trang-gui-bao-cao-dien-thoai.png")
    publish_screenshot(_shot(driver, shots, "gop-y", DESKTOP), "trang-gui-bao-cao.png")

    driver.find_element(By.LINK_TEXT, "Tải bản góp ý").click()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not list(downloads.glob("gop-y-22828-2023-6T-v1-*-gop-y.xlsx")):
        time.sleep(0.2)
    (copy,) = downloads.glob("gop-y-22828-2023-6T-v1-*-gop-y.xlsx")
    from openpyxl import load_workbook

    assert "Góp ý" in load_workbook(copy, read_only=True).sheetnames

    clock.at += dt.timedelta(minutes=10)
    driver.find_element(By.ID, "tep").send_keys(str(SAMPLES / "22828_ma_noi.xlsx"))
    _submit(driver, "gui")
    WebDriverWait(driver, 10).until(ec.text_to_be_present_in_element((By.ID, "tinh-trang"), "Hợp lệ"))
    page = _text(driver)
    assert "(phiên bản 2)" in page and "Không có lỗi hay cảnh báo nào." in page and "(dùng cho báo cáo)" in page
    _shot(driver, shots, "hop-le", PHONE)

    # refused: another unit's page and file, a path with '..', a form without its token
    ledger = open_ledger(Workspace(root=root))
    (lam_son,) = ledger.versions("2023-6T", "22813")
    their_copy = f"v{lam_son.version}-{lam_son.sha256[:8]}-gop-y.xlsx"
    assert (root / "feedback" / "2023-6T" / "22813" / their_copy).is_file()
    for path, words in (("/ky/2023-6T/don-vi/22813", "không được xem báo cáo của đơn vị khác"),
                        (f"/ky/2023-6T/don-vi/22813/gop-y/{their_copy}", "không được xem báo cáo của đơn vị khác"),
                        (f"/ky/2023-6T/don-vi/22828/gop-y/{their_copy}", "Không có tệp góp ý này của đơn vị"),
                        ("/ky/2023-6T/don-vi/22828/gop-y/..%2F..%2F..%2Fportal%2Faccounts.json",
                         "Đường dẫn không hợp lệ"),
                        ("/ky/2023-6T/trang-thai", "Chỉ tài khoản của huyện")):
        driver.get(base + path)
        assert words in _text(driver), path
    assert not list(downloads.glob("*.json"))
    driver.get(f"{base}/ky/2023-6T/don-vi/22828")
    driver.execute_script("document.querySelector('form[enctype] input[name=csrf]').remove()")
    driver.find_element(By.ID, "tep").send_keys(str(SAMPLES / "22828_ma_noi.xlsx"))
    _submit(driver, "gui")
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "tu-choi")))
    assert "thiếu mã xác nhận" in _text(driver)
    assert len(ledger.versions("2023-6T", "22828")) == 2

    # 31 minutes idle: the session has ended
    clock.at += dt.timedelta(minutes=31)
    driver.get(f"{base}/ky/2023-6T/don-vi/22828")
    assert "Phiên làm việc đã hết hạn" in _text(driver) and driver.current_url.endswith("/dang-nhap")

    # the sixth failed login within a minute is refused even with the right password
    for _ in range(5):
        _login(driver, base, "22813", "sai")
        assert "Tên tài khoản hoặc mật khẩu không đúng." in _text(driver)
    _login(driver, base, "22813", passwords["22813"])
    assert "Đăng nhập sai quá nhiều lần" in _text(driver)
    _shot(driver, shots, "dang-nhap", PHONE)

    reasons = [line for line in (root / "portal" / "nhat-ky.jsonl").read_text(encoding="utf-8").splitlines()
               if '"refused"' in line]
    for reason in ("other_unit", "no_such_file", "dot_dot", "district_only", "csrf", "session_expired", "throttled"):
        assert any(f'"reason": "{reason}"' in line for line in reasons), reason
    assert sorted(p.name for p in shots.iterdir()) == ["dang-nhap-390.png", "gop-y-1280.png", "gop-y-390.png",
                                                        "hop-le-390.png"]
