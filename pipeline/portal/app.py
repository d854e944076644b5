"""The upload page: a unit logs in, picks the period, sends its workbook and reads the findings in seconds.

A FastAPI application of its own (``python -m pipeline portal``, or ``make up``), separate from Airflow's API
server: only this process loads the reading and validation libraries. Pages are Vietnamese, server-rendered
from ``templates/portal/`` with every style inline (no script, no outside asset: the district may be offline).

* **Upload** (``POST /ky/<period>/gui``): at most ``portal.max_upload_mb`` (refused from its length before it is
  read), ``.xlsx`` or ``.xls``. A unit account's file must carry its unit's code (read from the general sheet
  alone); another unit's file is kept aside, owner-only, and refused. The file is then registered exactly as
  ``python -m pipeline receive`` does (:func:`pipeline.intake.receive.receive_file` under the ledger's intake
  lock, ``received_via`` ``upload``, stamped when the upload ended), and validated outside the lock
  (:func:`pipeline.orchestrator.validate_one`: findings, annotated copy, notice queued), then the period's status
  page and technical view are refreshed. The container limits apply at validation, as for the drop folder.
* **Who sees what**: a unit account its own unit's versions, findings and annotated copies only (a file it sends
  in which no unit's code can be read is its own unit's: ``sender_unit``); a district account every unit, the
  files of no unit, the period's status page and the technical view.
  A request for anything else is refused (403) and recorded (:class:`pipeline.portal.guard.Record`).
* **Sessions**: a signed cookie (HttpOnly, SameSite=Strict, Secure when ``portal.secure_cookies``) that ends
  after ``portal.session_minutes`` without use, when the account is disabled or its password reset. Every form
  carries the session's CSRF token; a POST without it is refused. Failed logins are throttled
  (:class:`pipeline.portal.guard.Throttle`). A path holding ``..`` is refused before routing.
* **Logs** carry account names (unit codes or district roles), codes, counts and reasons: no personal data.
"""

from __future__ import annotations

import collections
import datetime as dt
import hmac
import logging
import os
import secrets
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from pipeline import fmt, schema
from pipeline.config import PROJECT_ROOT, Config, ConfigError, Period
from pipeline.files import ensure_dir
from pipeline.findings import ERROR, read_outcome
from pipeline.intake.receive import ReceiptError, receive_file
from pipeline.ledger.state import unit_state, unit_states
from pipeline.ledger.store import Ledger, Version, open_ledger
from pipeline.ledger.timeliness import deadline, locked_out, policy_from_config
from pipeline.orchestrator import data_docs_period, status_page_period, validate_one
from pipeline.paths import UNATTRIBUTED_FOLDER, data_docs_dir, feedback_path, status_page_path
from pipeline.portal.accounts import DISTRICT, Account, AccountStore, portal_dir
from pipeline.portal.guard import Record, Throttle
from pipeline.read.reader import unit_code_only
from pipeline.status import UNIT_LABELS, VERSION_LABELS, Arrival, UnitStatus, VersionStatus
from pipeline.synthesis import capitalise
from pipeline.workspace import Workspace

log = logging.getLogger(__name__)

TEMPLATES = PROJECT_ROOT / "templates" / "portal"
ACCEPTED = (".xlsx", ".xlsm", ".xls", ".csv")  # as the drop folder: workbooks, and a household list as CSV
YEARS_SHOWN = 4  # the periods of this many years up to the current one, those with units, are offered
COOKIE = "phien_bao_cao"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def session_secret(root: Path) -> str:
    """The key signing session cookies: ``<data root>/portal/session.key``, made once (owner-only)."""
    path = portal_dir(root) / "session.key"
    ensure_dir(path.parent, private=True)
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key)
        return key


class Refused(Exception):
    """A request the page refuses: ``status`` (403, 404, 400, 413, 429 …), ``reason`` (a code for the record)
    and the Vietnamese ``message`` shown."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(reason)
        self.status, self.reason, self.message = status, reason, message


class Portal:
    """The application's state: workspace, configuration, accounts, throttle, record, templates."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.config: Config = workspace.config()
        self.settings: dict[str, Any] = self.config.portal
        self.accounts = AccountStore(workspace.root)
        attempts, window = int(self.settings["login_attempts"]), float(self.settings["login_window_seconds"])
        self.throttle = Throttle(attempts, window)  # per account
        # per address, looser: units behind one shared connection must not lock each other out
        self.address_throttle = Throttle(attempts * 4, window)
        self.sessions: dict[str, float] = {}  # session id → last request (seconds): logging out ends it here
        self._sessions_lock = threading.Lock()
        self.record = Record(portal_dir(workspace.root) / "nhat-ky.jsonl")
        self.env = _environment()
        self.max_bytes = int(float(self.settings["max_upload_mb"]) * 1_048_576)
        self.unit_locks: dict[str | None, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._ledger: Ledger | None = None

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            self._ledger = open_ledger(self.workspace)
        return self._ledger

    def now(self) -> dt.datetime:
        return self.workspace.now()

    def local(self, t: dt.datetime | None) -> str:
        return fmt.local_time(t, self.config.timezone) if t is not None else ""

    def start_session(self) -> str:
        sid = secrets.token_urlsafe(24)
        with self._sessions_lock:
            self.sessions[sid] = self.now().timestamp()
        return sid

    def end_session(self, sid: str) -> None:
        with self._sessions_lock:
            self.sessions.pop(sid, None)

    def unit_lock(self, code: str | None) -> threading.Lock:
        with self._locks_lock:
            return self.unit_locks.setdefault(code, threading.Lock())

    def periods(self) -> list[Period]:
        """The periods offered: those of the last :data:`YEARS_SHOWN` years that have reporting units, newest
        first."""
        year = self.now().astimezone(self.config.timezone).year
        out = []
        for y in range(year, year - YEARS_SHOWN, -1):
            for kind in reversed(list(self.config.period_kinds)):
                period = self.config.period(f"{y}-{kind}")
                if self.config.reporting_units_on(period.cutoff):
                    out.append(period)
        return out

    def period(self, code: str) -> Period:
        try:
            period = self.config.period(code)
        except (ConfigError, ValueError):
            raise Refused(404, "unknown_period", f"Không có kỳ báo cáo {code}.") from None
        if not self.config.reporting_units_on(period.cutoff):
            raise Refused(404, "unknown_period", f"Kỳ {code} không có đơn vị báo cáo nào.")
        return period

    def render(self, template: str, request: Request, status: int = 200, **context: Any) -> HTMLResponse:
        account = getattr(request.state, "account", None)
        html = self.env.get_template(template).render(
            account=account, account_label=self.account_label(account), csrf=request.session.get("csrf", ""),
            words=self.config.words(), flash=request.session.pop("flash", None), **context)
        return HTMLResponse(unicodedata.normalize("NFC", html), status_code=status)

    def account_label(self, account: Account | None) -> str:
        if account is None:
            return ""
        if account.role == DISTRICT:
            return f"{capitalise(self.config.words()['office_word'])} ({account.name})"
        return capitalise(self.unit_name(account.unit))

    def unit_name(self, code: str | None, period: Period | None = None) -> str:
        if code is None:
            return "(chưa xác định đơn vị)"
        try:
            return self.config.unit(code, period.cutoff if period is not None else None).full_name
        except KeyError:
            return code


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _refuse(portal: Portal, request: Request, exc: Refused) -> Response:
    account = getattr(request.state, "account", None)
    portal.record.write("refused", at=portal.now(), account=account.name if account else None,
                        address=_client(request), path=request.url.path, reason=exc.reason)
    return portal.render("loi.html.j2", request, status=exc.status, message=exc.message)


def _check_csrf(request: Request, form: Any) -> None:
    expected = request.session.get("csrf")
    given = form.get("csrf")
    if not expected or not isinstance(given, str) or not hmac.compare_digest(expected, given):
        raise Refused(403, "csrf", "Biểu mẫu đã cũ hoặc không hợp lệ (thiếu mã xác nhận). Tải lại trang rồi thử lại.")


def _version_row(portal: Portal, v: Version, period: Period, used: Version | None, locked: set[int],
                 code_in_url: str) -> dict[str, Any]:
    status = VersionStatus(v.status)
    if status == VersionStatus.VALID:
        verdict = "Hợp lệ" + (f", {v.warnings} cảnh báo" if v.warnings else "")
    elif status == VersionStatus.INVALID:
        verdict = f"Có lỗi: {v.errors} lỗi" + (f", {v.warnings} cảnh báo" if v.warnings else "")
    else:
        verdict = capitalise(portal.config.fill(VERSION_LABELS[status]))
    copy = feedback_path(v, period, portal.workspace.root)
    return {
        "id": v.id, "number": v.version, "name": v.original_name, "received": portal.local(v.received_at),
        "via": {"upload": "trang gửi báo cáo", "staff": "cán bộ ghi nhận", "intake": "thư mục nhận"}.get(
            v.received_via, v.received_via),
        "on_time": "Đúng hạn" if v.on_time else "Sau hạn", "late": not v.on_time,
        "locked": v.id in locked, "verdict": verdict, "status": str(status),
        "used": used is not None and used.id == v.id,
        "copy_url": (f"/ky/{period.code}/don-vi/{code_in_url}/gop-y/{quote(copy.name)}" if copy.is_file() else None),
    }


def _findings(portal: Portal, v: Version, *, own: bool) -> list[dict[str, Any]]:
    """The findings of version ``v`` for the page: the values as typed for the unit's own account (its data, as in
    its annotated copy); masked as on the status page (names, ethnicity, NCC category, free text) for others."""
    if not v.findings_path or not Path(v.findings_path).is_file():
        return []
    outcome = read_outcome(Path(v.findings_path))
    lists = schema.shown_lists(portal.config)
    rows = []
    for f in outcome.findings:
        m = f if own else f.masked(lists)
        rows.append({"error": m.severity == ERROR, "severity": capitalise(m.severity), "sheet": m.sheet,
                     "row": m.row or "", "column": m.column, "value": m.value, "message": m.message,
                     "fix": capitalise(m.fix) if m.fix else ""})
    return rows


def _used_note(state: Any, versions: list[Version]) -> str:
    """Which version the report uses when it is not the latest: said beside the unit's state."""
    latest = versions[-1] if versions else None
    used = state.used
    if latest is None or latest.unit_code is None or used is None or used.id == latest.id:
        return ""
    return (f"báo cáo dùng phiên bản {used.version}; phiên bản {latest.version} gửi sau "
            f"{'có lỗi, cần sửa và gửi lại' if latest.status == VersionStatus.INVALID else 'chưa dùng được'}")


def create_app(workspace: Workspace) -> FastAPI:
    """The upload page for ``workspace`` (its data root, ledger, configuration and clock)."""
    portal = Portal(workspace)
    app = FastAPI(title="Trang gửi báo cáo", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = portal
    minutes = int(portal.settings["session_minutes"])

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Refuse a path with ``..`` before routing; end sessions unused too long, or whose account changed;
        refuse an upload larger than the limit from its length."""
        raw = unquote(request.scope.get("raw_path", b"").decode("latin-1")) + "/" + request.url.path
        if ".." in raw.replace("\\", "/").split("/"):
            request.state.account = None
            return _refuse(portal, request, Refused(400, "dot_dot", "Đường dẫn không hợp lệ."))
        request.state.account = None
        name = request.session.get("account")
        if name:
            account = portal.accounts.get(name)
            sid = str(request.session.get("sid", ""))
            now = portal.now().timestamp()
            with portal._sessions_lock:
                seen = portal.sessions.get(sid)
            if account is None or account.disabled or request.session.get("pw") != account.password_set_at.isoformat():
                portal.end_session(sid)
                request.session.clear()
                portal.record.write("session_ended", at=portal.now(), account=name, address=_client(request),
                                    path=request.url.path, reason="account_changed")
            elif seen is None or now - seen > minutes * 60:  # unused too long, logged out, or the page restarted
                portal.end_session(sid)
                request.session.clear()
                request.session["flash"] = "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại."
                portal.record.write("refused", at=portal.now(), account=name, address=_client(request),
                                    path=request.url.path, reason="session_expired" if seen else "session_ended")
                return RedirectResponse("/dang-nhap", status_code=303)
            else:
                with portal._sessions_lock:
                    portal.sessions[sid] = now
                request.state.account = account
        if request.method == "POST" and request.url.path.endswith("/gui"):
            length = request.headers.get("content-length")
            if length is None or not length.isdigit():
                return _refuse(portal, request, Refused(411, "no_length", "Trình duyệt không cho biết cỡ tệp gửi."))
            if int(length) > portal.max_bytes + 65_536:
                return _refuse(portal, request, Refused(413, "too_large", (
                    f"Tệp lớn hơn mức cho phép ({fmt.number(portal.max_bytes / 1_048_576)} MB). Xóa ảnh, sheet thừa "
                    "và các dòng trống ở cuối rồi gửi lại.")))
        return await call_next(request)  # a route's Refused is answered by the exception handler below

    app.add_middleware(SessionMiddleware, secret_key=session_secret(workspace.root), session_cookie=COOKIE,
                       max_age=minutes * 60, same_site="strict", https_only=bool(portal.settings["secure_cookies"]))

    class _Login(Exception):
        """No session: the login page."""

    def need_account(request: Request) -> Account:
        account: Account | None = request.state.account
        if account is None:
            raise _Login()
        return account

    @app.exception_handler(_Login)
    async def to_login(request: Request, exc: _Login) -> Response:
        return RedirectResponse("/dang-nhap", status_code=303)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return _refuse(portal, request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Starlette's own refusals (no such page, wrong method) in Vietnamese, as every other page."""
        words = {404: "Không có trang này.", 405: "Trang này không nhận yêu cầu kiểu này."}
        return _refuse(portal, request, Refused(exc.status_code, f"http_{exc.status_code}",
                                                words.get(exc.status_code, "Yêu cầu không hợp lệ.")))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return _refuse(portal, request, Refused(400, "bad_request", "Yêu cầu không hợp lệ."))

    @app.get("/suc-khoe", response_class=PlainTextResponse)
    def health() -> str:
        return "ok"

    @app.get("/dang-nhap")
    def login_page(request: Request) -> Response:
        request.session.setdefault("csrf", secrets.token_urlsafe(24))
        return portal.render("dang_nhap.html.j2", request, error=None, name="")

    @app.post("/dang-nhap")
    async def login(request: Request) -> Response:
        form = await request.form()
        _check_csrf(request, form)
        name = str(form.get("ten", "")).strip()
        password = str(form.get("mat_khau", ""))
        keys, address = [f"account:{name.casefold()}"], [f"address:{_client(request)}"]
        now = portal.now()
        known = portal.accounts.get(name)
        recorded = known.name if known is not None else None  # never what was typed: it may be a password
        if portal.throttle.blocked(keys, now.timestamp()) or portal.address_throttle.blocked(address, now.timestamp()):
            portal.record.write("refused", at=now, account=recorded, address=_client(request),
                                path=request.url.path, reason="throttled")
            wait = int(portal.settings["login_window_seconds"])
            return portal.render("dang_nhap.html.j2", request, status=429, name=name, error=(
                f"Đăng nhập sai quá nhiều lần. Vui lòng chờ {wait} giây rồi thử lại."))
        account = portal.accounts.verify(name, password)
        if account is None:
            portal.throttle.failed(keys, now.timestamp())
            portal.address_throttle.failed(address, now.timestamp())
            portal.record.write("login_failed", at=now, account=recorded, address=_client(request),
                                path=request.url.path, reason="bad_credentials" if known else "unknown_account")
            return portal.render("dang_nhap.html.j2", request, status=401, name=name,
                                 error="Tên tài khoản hoặc mật khẩu không đúng.")
        portal.throttle.succeeded(keys)
        portal.end_session(str(request.session.get("sid", "")))
        request.session.clear()
        request.session.update({"account": account.name, "pw": account.password_set_at.isoformat(),
                                "sid": portal.start_session(), "csrf": secrets.token_urlsafe(24)})
        portal.record.write("login", at=now, account=account.name, address=_client(request), path=request.url.path)
        return RedirectResponse("/", status_code=303)

    @app.post("/dang-xuat")
    async def logout(request: Request) -> Response:
        form = await request.form()
        _check_csrf(request, form)
        portal.end_session(str(request.session.get("sid", "")))
        request.session.clear()
        return RedirectResponse("/dang-nhap", status_code=303)

    @app.get("/")
    def home(request: Request) -> Response:
        need_account(request)
        periods = portal.periods()
        if not periods:
            raise Refused(404, "no_period", "Chưa có kỳ báo cáo nào trong cấu hình.")
        now = portal.now()
        policy = policy_from_config(portal.config)
        upcoming = [p for p in periods if deadline(p, policy) > now]
        chosen = min(upcoming, key=lambda p: deadline(p, policy)) if upcoming else periods[0]
        return RedirectResponse(f"/ky/{chosen.code}", status_code=303)

    @app.get("/ky/{code}")
    def period_page(code: str, request: Request) -> Response:
        account = need_account(request)
        period = portal.period(code)
        if account.role != DISTRICT:
            return RedirectResponse(f"/ky/{period.code}/don-vi/{account.unit}", status_code=303)
        rows = []
        counts = collections.Counter(v.unit_code for v in portal.ledger.versions(period.code))  # one query
        for state in unit_states(portal.ledger, portal.config, period, offices=True):
            latest = state.latest
            rows.append({"code": state.unit.code, "name": capitalise(state.unit.full_name),
                         "status": UNIT_LABELS[state.status], "ok": state.status == UnitStatus.VALID,
                         "versions": counts[state.unit.code],
                         "received": portal.local(latest.received_at) if latest else "",
                         "on_time": ("Đúng hạn" if latest.on_time else "Sau hạn") if latest else "",
                         "required": state.unit.required})
        return portal.render("ky.html.j2", request, **_period_context(period), rows=rows,
                             status_page=status_page_path(period, workspace.root).is_file(),
                             technical=(data_docs_dir(period, workspace.root) / "index.html").is_file())

    def _period_context(period: Period) -> dict[str, Any]:
        policy = policy_from_config(portal.config)
        due = deadline(period, policy).astimezone(portal.config.timezone)
        return {"period": period, "period_label": f"{period.label} {period.year}",
                "cutoff": fmt.date_admin(period.cutoff),
                "deadline": (f"00 giờ ngày {fmt.date_admin(due.date())}" if due.time() == dt.time(0)
                             else f"{due:%H:%M} ngày {fmt.date_admin(due.date())}"),
                "periods": [(p.code, capitalise(f"{p.label} {p.year}")) for p in portal.periods()]}

    def _allowed(request: Request, account: Account, period: Period, code: str) -> None:
        if not account.may_see(code):
            raise Refused(403, "other_unit", "Tài khoản này không được xem báo cáo của đơn vị khác.")
        if code not in {u.code for u in portal.config.reporting_units_on(period.cutoff)}:
            raise Refused(404, "unknown_unit", f"Kỳ {period.code} không có đơn vị mã {code}.")

    @app.get("/ky/{code}/don-vi/{unit}")
    def unit_page(code: str, unit: str, request: Request) -> Response:
        account = need_account(request)
        period = portal.period(code)
        _allowed(request, account, period, unit)
        versions = portal.ledger.versions(period.code, unit)  # a unit's uploads are all its own (sender_unit)
        state = unit_state(portal.ledger, portal.config, period, unit)
        policy = policy_from_config(portal.config)
        locked = locked_out(versions, period, policy, portal.ledger.reopenings(period.code))
        rows = [_version_row(portal, v, period, state.used, locked, unit) for v in versions]
        wanted = request.query_params.get("tep")  # the ledger row's id: a file of no unit has no version number
        chosen = next((v for v in versions if str(v.id) == wanted), versions[-1] if versions else None)
        return portal.render(
            "don_vi.html.j2", request, **_period_context(period), unit_code=unit,
            unit_name=capitalise(portal.unit_name(unit, period)), state=UNIT_LABELS[state.status],
            state_ok=state.status == UnitStatus.VALID, rows=list(reversed(rows)),
            chosen=next((r for r in rows if chosen is not None and r["id"] == chosen.id), None),
            findings=_findings(portal, chosen, own=account.role != DISTRICT) if chosen is not None else [],
            marked=chosen is not None and chosen.original_name.lower().endswith((".xlsx", ".xlsm")),
            used_note=_used_note(state, versions),
            may_upload=account.role != DISTRICT, max_mb=fmt.number(portal.max_bytes / 1_048_576))

    @app.get("/feedback/{code}/{unit}/{name}")  # the status page's relative links, followed from /ky/<code>/
    @app.get("/ky/{code}/don-vi/{unit}/gop-y/{name}")
    def annotated_copy(code: str, unit: str, name: str, request: Request) -> Response:
        account = need_account(request)
        period = portal.period(code)
        if unit == UNATTRIBUTED_FOLDER:  # files of no unit (dropped or received by staff): the district's only
            candidates = portal.ledger.versions(period.code, None) if account.role == DISTRICT else []
        else:
            _allowed(request, account, period, unit)
            candidates = portal.ledger.versions(period.code, unit)
        for v in candidates:
            copy = feedback_path(v, period, workspace.root)
            if copy.name == name and copy.is_file():
                return FileResponse(copy, filename=f"gop-y-{unit}-{period.code}-{copy.name}", media_type=(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        raise Refused(404, "no_such_file", "Không có tệp góp ý này của đơn vị.")

    @app.post("/ky/{code}/gui")
    async def upload(code: str, request: Request) -> Response:
        account = need_account(request)
        period = portal.period(code)
        if account.role == DISTRICT:
            raise Refused(403, "district_upload", portal.config.fill(
                "Tài khoản của {area} không gửi báo cáo thay đơn vị trên trang này; dùng lệnh python -m pipeline "
                "receive."))
        form = await request.form()
        _check_csrf(request, form)
        sent = form.get("tep")
        if sent is None or isinstance(sent, str) or not sent.filename:
            request.session["flash"] = "Chưa chọn tệp báo cáo để gửi."
            return RedirectResponse(f"/ky/{period.code}/don-vi/{account.unit}", status_code=303)
        original = Path(sent.filename.replace("\\", "/")).name
        if not original.lower().endswith(ACCEPTED):
            raise Refused(400, "not_a_workbook", "Chỉ nhận tệp Excel .xlsx, .xlsm hoặc .xls theo mẫu báo cáo của "
                                                 "đơn vị (danh sách hộ có thể gửi dạng .csv).")
        folder = ensure_dir(portal_dir(workspace.root) / "uploads", private=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".upload-", suffix=Path(original).suffix.lower(), dir=folder)
        tmp = Path(tmp_name)
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := await sent.read(1 << 20):
                    size += len(chunk)
                    if size > portal.max_bytes:
                        raise Refused(413, "too_large", "Tệp lớn hơn mức cho phép "
                                                        f"({fmt.number(portal.max_bytes / 1_048_576)} MB).")
                    out.write(chunk)
            received_at = portal.now()
            from starlette.concurrency import run_in_threadpool

            version, created = await run_in_threadpool(_take, account, period, tmp, original, received_at, request)
        finally:
            tmp.unlink(missing_ok=True)
        if created:
            request.session["flash"] = (f"Đã nhận tệp {original} (phiên bản {version.version or '—'}) lúc "
                                        f"{portal.local(version.received_at)} và đã kiểm tra xong.")
        else:
            request.session["flash"] = (f"Tệp {original} giống hệt tệp đã gửi lúc {portal.local(version.received_at)} "
                                        f"(phiên bản {version.version or '—'}): không ghi thêm phiên bản mới. Muốn "
                                        "sửa thì sửa tệp rồi gửi lại.")
        return RedirectResponse(f"/ky/{period.code}/don-vi/{account.unit}?tep={version.id}#ket-qua",
                                status_code=303)

    def _take(account: Account, period: Period, tmp: Path, original: str, received_at: dt.datetime,
              request: Request) -> tuple[Version, bool]:
        """Check the file's unit, register it, validate it, refresh the status page (in a worker thread)."""
        try:
            code = unit_code_only(tmp, portal.config, file_name=original)
        except Exception:  # noqa: BLE001 - unreadable here: registered all the same, its findings say why
            code = None
        if code is not None and code != account.unit and code in {
                u.code for u in portal.config.reporting_units_on(period.cutoff)}:
            aside = ensure_dir(portal_dir(workspace.root) / "refused" / period.code, private=True)
            stamp = f"{received_at:%Y%m%dT%H%M%S}-{account.name}-{secrets.token_hex(4)}"
            kept = aside / f"{stamp}{Path(original).suffix.lower()}"
            shutil.copyfile(tmp, kept)
            os.chmod(kept, 0o600)  # another unit's household list
            raise Refused(403, "other_unit_file", (
                f"Tệp ghi mã đơn vị {code} ({portal.unit_name(code, period)}), không phải đơn vị của tài khoản này "
                f"({portal.unit_name(account.unit, period)}). Kiểm tra lại ô Mã đơn vị ở sheet 'Thông tin chung'."))
        try:
            receipt = receive_file(tmp, period, config=portal.config, ledger=portal.ledger, received_at=received_at,
                                   received_by=account.name, note=None, now=received_at, root=workspace.root,
                                   via=Arrival.UPLOAD, original_name=original, sender_unit=account.unit)
        except ReceiptError as exc:
            raise Refused(400, "receipt", str(exc)) from exc
        version = receipt.version
        if not receipt.created:  # the same bytes were sent before: nothing new to register or check
            return version, False
        with portal.unit_lock(version.unit_code):
            validate_one({"unit_code": version.unit_code}, config=portal.config, period=period, now=received_at,
                         workspace=workspace)
        try:
            status_page_period(period, config=portal.config, now=received_at, workspace=workspace)
            data_docs_period(period, config=portal.config, workspace=workspace)
        except Exception as exc:  # noqa: BLE001 - the unit's verdict stands; the next intake pass writes the pages
            log.warning("Pages of %s not refreshed after an upload (%s)", period.code, type(exc).__name__)
        portal.record.write("upload", at=received_at, account=account.name, address=_client(request),
                            path=request.url.path, reason=f"version:{version.id}")
        return portal.ledger.version_by_id(version.id) or version, True

    @app.get("/ky/{code}/trang-thai-{again}.html")  # the technical view's link back to the page
    @app.get("/ky/{code}/trang-thai")
    def status_page(code: str, request: Request) -> Response:
        account = need_account(request)
        period = portal.period(code)
        if account.role != DISTRICT:
            raise Refused(403, "district_only", portal.config.fill(
                "Chỉ tài khoản của {area} xem được trang tình hình nhận báo cáo."))
        page = status_page_path(period, workspace.root)
        if not page.is_file():
            status_page_period(period, config=portal.config, now=portal.now(), workspace=workspace)
        return FileResponse(page, media_type="text/html; charset=utf-8")

    @app.get("/ky/{code}/data-docs/{rest:path}")  # the status page's relative link
    @app.get("/ky/{code}/ky-thuat/{rest:path}")
    def technical(code: str, rest: str, request: Request) -> Response:
        account = need_account(request)
        period = portal.period(code)
        if account.role != DISTRICT:
            raise Refused(403, "district_only", portal.config.fill("Chỉ tài khoản của {area} xem được trang kỹ thuật."))
        base = data_docs_dir(period, workspace.root).resolve()
        target = (base / (rest or "index.html")).resolve()
        if not target.is_relative_to(base):
            raise Refused(400, "outside", "Đường dẫn không hợp lệ.")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            raise Refused(404, "no_such_file", "Chưa có trang kỹ thuật của kỳ này (chạy lại bước kiểm tra).")
        return FileResponse(target)

    return app
