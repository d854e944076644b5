"""Command line for staff, without Airflow.

    python -m pipeline validate FILE [--period 2023-6T]   findings of one workbook; exit 1 on errors, 3 on a
                                                          system error (the file could not be checked)
    python -m pipeline run [PERIOD]                       whole job for a period (inbox → report); one line per
                                                          unit, then the report's path
    python -m pipeline summary PERIOD                     one line per unit of the latest version of the report,
                                                          its path
    python -m pipeline report-path PERIOD [--version N]   path of the period's report (latest version, or N)
    python -m pipeline template [OUT] [--offices]         write the blank submission workbook (the communes', or
                                                          with --offices the district offices')
    python -m pipeline accept-outlier PERIOD UNIT INDICATOR --reason TEXT --by NAME
                                                          accept an outlier warning with a justification
    python -m pipeline receive FILE --period P --received-at TIME --by NAME [--note TEXT]
                                                          register a file received by e-mail, Zalo or on paper
    python -m pipeline reopen PERIOD UNIT --by NAME --reason TEXT
                                                          open a locked period again for one unit (kept in the
                                                          ledger: who, when, why)
    python -m pipeline check-template [FILE]              check a report template's tags (default: the bundled
                                                          templates/bao_cao_ky.docx); exit 0 OK, 1 a fault
    python -m pipeline approve PERIOD --version N --by NAME
                                                          approve version N of the period's report (after
                                                          reading it): who, when, the file's SHA-256
    python -m pipeline deliver PERIOD [--version N] [--again]
                                                          archive the approved report and e-mail it without
                                                          the household annex (.docx and PDF)
    python -m pipeline move-ledger --to URL               copy the data root's ledger to another (empty)
                                                          database, e.g. PostgreSQL, and make it the root's
    python -m pipeline check-units                        compare the configured units with the official list
                                                          of administrative units; exit 0 same, 1 differences
    python -m pipeline preflight PERIOD                   what would leave a blank or a one-line gap in the
                                                          period's report: required units and offices without a
                                                          valid workbook, configuration facts not set; facts
                                                          filled at issuance listed apart; exit 0 no gap, 1 gaps

One data root, one ledger: every command that uses the data root first checks that the ledger it names
(``PIPELINE_LEDGER_URL``, or the SQLite default) is the root's (``work/so-tiep-nhan.json``, recorded when a
ledger is first opened for the root); with another one it prints why in Vietnamese, naming both, and exits 2
having touched nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline import fmt
from pipeline.status import SYSTEM_ERROR_TITLE, UNIT_LINE_LABELS, UnitStatus


class VietnameseArgumentParser(argparse.ArgumentParser):
    """argparse with its usage errors said in Vietnamese (missing or unknown arguments, an unknown or missing
    command, a value of the wrong type), followed by the help command to run; exits 2 as argparse does."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        import re

        help_hint = f"Xem: {self.prog} --help"
        m = re.match(r"the following arguments are required: (.*)", message)
        if m:
            names = m.group(1)
            if names == "command":
                self.exit(2, f"Thiếu lệnh. Các lệnh: {', '.join(self._commands())}. {help_hint}\n")
            self.exit(2, f"Thiếu tham số: {names}. {help_hint}\n")
        m = re.match(r"argument command: invalid choice: '([^']*)'", message)
        if m:
            self.exit(2, f"Lệnh không có: {m.group(1)}. Các lệnh: {', '.join(self._commands())}. {help_hint}\n")
        m = re.match(r"unrecognized arguments: (.*)", message)
        if m:
            self.exit(2, f"Tham số không dùng được với lệnh này: {m.group(1)}. {help_hint}\n")
        m = re.match(r"argument ([^:]+): invalid (?:int|float) value: '([^']*)'", message)
        if m:
            self.exit(2, f"Tham số {m.group(1)} phải là một số, không phải «{m.group(2)}». {help_hint}\n")
        m = re.match(r"argument ([^:]+): expected one argument", message)
        if m:
            self.exit(2, f"Tham số {m.group(1)} cần một giá trị. {help_hint}\n")
        self.exit(2, f"Lệnh gõ chưa đúng. {help_hint}\n")

    def _commands(self) -> list[str]:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return list(action.choices)
        return []


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code.

    ``run``, ``summary`` and ``report-path``: 0 a report was produced (or exists), 1 no report (a step failed:
    its message on stderr names the step and the file to blame), 2 usage or configuration error (a malformed
    period, a period with no configured unit, an unreadable configuration, a data root that belongs to another
    ledger — checked before anything else, for every command that uses the data root). ``validate``: 0 valid, 1 errors,
    2 usage, 3 system error (reading or checking the file failed inside the pipeline: not the file's fault;
    the traceback is logged, the finding printed says "lỗi hệ thống — cán bộ huyện đã được báo").
    """
    parser = VietnameseArgumentParser(prog="python -m pipeline", description="Báo cáo giảm nghèo hộ có người có công")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command", parser_class=VietnameseArgumentParser)
    p_val = sub.add_parser("validate", help="kiểm tra một tệp báo cáo của đơn vị")
    p_val.add_argument("file", type=Path)
    p_val.add_argument("--period", help="kỳ báo cáo (mặc định: kỳ ghi trong tệp)")
    p_run = sub.add_parser("run", help="chạy toàn bộ quy trình cho một kỳ, không cần Airflow")
    p_run.add_argument("period", nargs="?", default="", help="mặc định: kỳ gần nhất đã đến hạn có đơn vị báo cáo")
    p_sum = sub.add_parser("summary", help="tình trạng từng đơn vị trong báo cáo đã lập của một kỳ")
    p_pre = sub.add_parser("preflight", help="những chỗ báo cáo của kỳ sẽ còn trống nếu lập lúc này")
    p_pre.add_argument("period", help="kỳ báo cáo, ví dụ 2023-6T")
    p_sum.add_argument("period")
    p_path = sub.add_parser("report-path", help="đường dẫn báo cáo của một kỳ")
    p_path.add_argument("period")
    p_path.add_argument("--version", type=int, default=None, help="số phiên bản (mặc định: phiên bản mới nhất)")
    p_tpl = sub.add_parser("template", help="ghi mẫu báo cáo trống cho đơn vị")
    p_tpl.add_argument("out", type=Path, nargs="?")
    p_tpl.add_argument("--offices", action="store_true", help="mẫu của các cơ quan, đơn vị báo cáo (không phải xã)")
    p_acc = sub.add_parser("accept-outlier", help="chấp nhận số liệu bất thường của đơn vị, có ghi lý do")
    p_acc.add_argument("period")
    p_acc.add_argument("unit_code")
    p_acc.add_argument("indicator", help="mã chỉ tiêu, ví dụ poor_households; số tiền của một hộ: mã ghi trong "
                                         "cảnh báo, ví dụ support_housing_vnd:22828-0007")
    p_acc.add_argument("--reason", required=True, help="lý do chấp nhận (bắt buộc)")
    p_acc.add_argument("--by", required=True, help="người chấp nhận")
    p_rec = sub.add_parser("receive", help="ghi nhận tệp nhận qua thư điện tử, Zalo hoặc bản giấy")
    p_rec.add_argument("file", type=Path)
    p_rec.add_argument("--period", required=True, help="kỳ báo cáo, ví dụ 2023-6T")
    p_rec.add_argument("--received-at", required=True,
                       help="thời điểm nhận, kèm múi giờ, ví dụ 2023-05-03T09:00:00+07:00")
    p_rec.add_argument("--by", required=True, help="người ghi nhận")
    p_rec.add_argument("--note", default="", help="ghi chú: nhận qua đâu, từ ai")
    p_reo = sub.add_parser("reopen", help="mở lại kỳ báo cáo đã khóa sổ cho một đơn vị, có ghi lý do")
    p_reo.add_argument("period")
    p_reo.add_argument("unit_code")
    p_reo.add_argument("--by", required=True, help="người mở lại (cán bộ nơi tổng hợp báo cáo)")
    p_reo.add_argument("--reason", required=True, help="lý do mở lại (bắt buộc)")
    p_chk = sub.add_parser("check-template", help="kiểm tra các thẻ của mẫu báo cáo (.docx) trước khi dùng")
    p_chk.add_argument("file", type=Path, nargs="?", default=None,
                       help="tệp mẫu .docx (mặc định: templates/bao_cao_ky.docx)")
    p_app = sub.add_parser("approve", help="phê duyệt một phiên bản báo cáo của kỳ sau khi đã đọc")
    p_app.add_argument("period")
    p_app.add_argument("--version", type=int, required=True, help="phiên bản báo cáo đã đọc, ví dụ 1")
    p_app.add_argument("--by", required=True, help="người phê duyệt")
    p_del = sub.add_parser("deliver", help="lưu trữ và gửi thư điện tử báo cáo đã phê duyệt (không kèm danh sách hộ)")
    p_del.add_argument("period")
    p_del.add_argument("--version", type=int, default=None, help="mặc định: phiên bản được phê duyệt sau cùng")
    p_del.add_argument("--again", action="store_true", help="gửi lại dù phiên bản này đã được gửi")
    p_mov = sub.add_parser("move-ledger", help="chuyển sổ tiếp nhận của thư mục dữ liệu sang cơ sở dữ liệu khác "
                                               "(ví dụ PostgreSQL)")
    p_mov.add_argument("--to", required=True, dest="to_url",
                       help="địa chỉ SQLAlchemy của cơ sở dữ liệu mới, còn trống, ví dụ "
                            "postgresql+psycopg://user@127.0.0.1:5432/ledger")
    p_web = sub.add_parser("portal", help="chạy trang gửi báo cáo cho các đơn vị (mặc định chỉ nghe trên 127.0.0.1)")
    p_web.add_argument("--host", default="127.0.0.1", help="địa chỉ nghe (mặc định 127.0.0.1; công bố ra ngoài qua "
                                                          "máy chủ chuyển tiếp có TLS)")
    p_web.add_argument("--port", type=int, default=8090)
    p_ac = sub.add_parser("accounts",
                          help="tạo, cấp lại mật khẩu, khóa, mở khóa và liệt kê tài khoản trang gửi báo cáo")
    p_ac.add_argument("action", choices=["create", "reset", "disable", "enable", "list"])
    p_ac.add_argument("names", nargs="*", help="mã đơn vị (tài khoản đơn vị) hoặc tên tài khoản của nơi tổng hợp")
    p_ac.add_argument("--district", metavar="TÊN", action="append", default=[],
                      help="tạo tài khoản TÊN của nơi tổng hợp báo cáo (xem được mọi đơn vị), ví dụ phong-ldtbxh")
    p_ac.add_argument("--all-units", metavar="KY", default=None,
                      help="tạo tài khoản cho mọi đơn vị báo cáo kỳ KY còn chưa có, ví dụ 2023-6T")
    sub.add_parser("check-units", help="đối chiếu các đơn vị trong cấu hình với danh mục đơn vị hành chính chính "
                                      "thức (mã, tên, loại, khu vực, thời gian hiệu lực)")
    args = parser.parse_args(argv)
    if args.command == "check-template":
        return _check_template(args.file)

    from pipeline.config import ConfigError
    from pipeline.workspace import Workspace

    workspace = Workspace.from_environment()  # the one place the command reads the environment
    try:
        config = workspace.config()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        if args.command == "validate":
            return _validate(args.file, args.period, config)
        if args.command == "check-units":
            return _check_units(config, workspace)
        if args.command == "move-ledger":
            return _move_ledger(args.to_url, workspace)
        if args.command != "template":  # every other command works on the data root: its ledger first
            from pipeline.ledger.store import check_ledger

            check_ledger(workspace)  # LedgerMismatch (a ConfigError): its message, exit 2
        if args.command == "run":
            import datetime as dt

            from pipeline.orchestrator import StepFailed, resolve_period, run_period

            period = resolve_period(config, args.period, workspace.now())
            try:
                run_period(period, config=config, workspace=workspace)
            except StepFailed as exc:
                print(f"KHÔNG CÓ BÁO CÁO — {exc}", file=sys.stderr)
                return 1
            _print_not_taken(period, workspace)
            return _print_summary(period, config, workspace)
        if args.command == "summary":
            return _print_summary(config.period(args.period), config, workspace)
        if args.command == "preflight":
            return _preflight(config.period(args.period), config, workspace)
        if args.command == "report-path":
            from pipeline.paths import report_dir, report_path
            from pipeline.publish.versions import latest_version

            period = config.period(args.period)
            number = args.version if args.version is not None else latest_version(period, workspace.root)
            path = report_path(period, workspace.root, version=number) if number is not None and number >= 1 else None
            if path is None or not path.exists():
                where = path or report_dir(period, workspace.root)
                print(f"Chưa có báo cáo kỳ {args.period}: {where}", file=sys.stderr)
                return 1
            print(path)
            return 0
        if args.command == "accept-outlier":
            import datetime as dt

            from pipeline.ledger.store import open_ledger
            from pipeline.validate.rules import ACCEPT_KEY_WORDS, OUTLIER_KEYS, PERSON_COUNTS, acceptable

            if not acceptable(args.indicator):
                keys = ", ".join((*OUTLIER_KEYS, *(p for _, p in PERSON_COUNTS)))
                print(f"Chỉ tiêu không hợp lệ: {args.indicator}. Chọn một trong: {keys}; hoặc số tiền của một hộ: "
                      "<cột>:<mã hộ> như cảnh báo ghi, ví dụ support_housing_vnd:22828-0007", file=sys.stderr)
                return 2
            config.period(args.period)
            try:
                config.unit(args.unit_code)
            except KeyError:
                print(f"Không có đơn vị mã {args.unit_code} trong cấu hình.", file=sys.stderr)
                return 2
            ledger = open_ledger(workspace)
            versions = ledger.versions(args.period, args.unit_code)
            if not versions:
                print(f"Đơn vị {args.unit_code} chưa gửi báo cáo kỳ {args.period}: không có gì để chấp nhận.",
                      file=sys.stderr)
                return 2
            if ":" in args.indicator and not _warned(versions[-1], args.indicator):
                print(f"Phiên bản mới nhất (v{versions[-1].version}) của đơn vị {args.unit_code} kỳ {args.period} "
                      f"không có cảnh báo số tiền nào mang mã {args.indicator}: không có gì để chấp nhận. Mã đúng "
                      f"được ghi trong cảnh báo, sau '{ACCEPT_KEY_WORDS.split(' (')[0]}'.", file=sys.stderr)
                return 2
            unit = config.unit_on(args.unit_code, config.period(args.period).cutoff)
            ledger.accept_outlier(period=args.period, unit_code=args.unit_code, indicator=args.indicator,
                                  justification=args.reason, accepted_by=args.by,
                                  accepted_at=dt.datetime.now(dt.UTC),
                                  unit_since=unit.valid_from if unit is not None else None)
            print(f"Đã ghi nhận: {args.unit_code} {args.indicator} kỳ {args.period}. "
                  "Lần tiếp nhận sau sẽ kiểm tra lại.")
            return 0
        if args.command == "receive":
            return _receive(args, config, workspace)
        if args.command == "portal":
            import uvicorn

            from pipeline.portal.app import create_app

            uvicorn.run(create_app(workspace), host=args.host, port=args.port, log_level="info",
                        proxy_headers=True, forwarded_allow_ips="127.0.0.1", server_header=False)
            return 0
        if args.command == "accounts":
            return _accounts(args, config, workspace)
        if args.command in ("approve", "deliver"):
            return _approve_or_deliver(args, config, workspace)
        if args.command == "reopen":
            return _reopen(args, config, workspace)
        if args.command == "template":
            from pipeline.staff.form import write_office_workbook, write_submission

            if args.offices:
                print(write_office_workbook(args.out or Path("templates/mau_bao_cao_co_quan.xlsx"), config=config))
            else:
                print(write_submission(args.out or Path("templates/mau_bao_cao_don_vi.xlsx"), config=config))
            return 0
    except (ConfigError, KeyError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return 2


def _accounts(args, config, workspace) -> int:
    """``accounts``: create, reset, disable, enable or list the upload page's accounts. A generated password is
    printed once, here, to whoever runs the command (stored hashed only; never logged)."""
    from pipeline.portal.accounts import DISTRICT, UNIT, AccountError, AccountStore

    store = AccountStore(workspace.root)
    now = workspace.now()
    if args.action == "list":
        for a in store.all().values():
            if a.role == DISTRICT:
                who = config.fill("{area} (mọi đơn vị)")
            else:
                who = config.unit(a.unit).full_name if a.unit else "?"
            state = "đã khóa" if a.disabled else "đang dùng"
            print(f"{a.name}\t{who}\t{state}\tđặt mật khẩu {fmt.local_time(a.password_set_at, config.timezone)}")
        return 0
    names = list(args.names)
    district = list(args.district)
    if district and args.action != "create":
        names += district
        district = []
    if args.action == "create" and args.all_units:
        period = config.period(args.all_units)
        have = store.all()
        names += [u.code for u in config.reporting_units_on(period.cutoff) if u.code not in have]
    if not names and not district:
        print("Cần ghi mã đơn vị hoặc tên tài khoản.", file=sys.stderr)
        return 2
    status = 0
    for name in [*district, *names]:
        try:
            if args.action == "create":
                if name in district:
                    password = store.create(name, role=DISTRICT, unit=None, now=now)
                else:
                    try:
                        unit = config.unit(name)
                    except KeyError:
                        raise AccountError(f"Không có đơn vị mã {name} trong cấu hình.") from None
                    password = store.create(unit.code, role=UNIT, unit=unit.code, now=now)
                print(f"{name}\t{password}")
            elif args.action == "reset":
                print(f"{name}\t{store.reset(name, now=now)}")
            else:
                store.set_disabled(name, args.action == "disable")
                print(f"{name}\t{'đã khóa' if args.action == 'disable' else 'đã mở khóa'}")
        except AccountError as exc:
            print(exc, file=sys.stderr)
            status = 2
    if args.action in ("create", "reset") and status == 0:
        print("Mật khẩu chỉ hiện một lần: trao riêng cho từng đơn vị, không gửi chung một thư.", file=sys.stderr)
    return status


def _move_ledger(to_url: str, workspace) -> int:
    """``move-ledger``: copy the data root's ledger to the (empty) database at ``to_url`` and record it as the
    root's (:func:`pipeline.ledger.store.move_ledger`); 0 moved, 2 refused (another ledger's root, the target
    holds rows or is the root's ledger already), 1 a database unreachable or the copy failed."""
    import sqlalchemy as sa

    from pipeline.ledger.store import move_ledger, public_url

    try:
        target = public_url(to_url)
    except sa.exc.ArgumentError:
        print(f"Địa chỉ cơ sở dữ liệu không hợp lệ: {to_url!r} (ví dụ "
              "postgresql+psycopg://user@127.0.0.1:5432/ledger).", file=sys.stderr)
        return 2
    source = public_url(workspace.database_url())
    try:
        copied = move_ledger(workspace, to_url)
    except sa.exc.SQLAlchemyError as exc:
        from pipeline.orchestrator import error_summary

        print(f"Chưa chuyển được sổ tiếp nhận sang {target}: lỗi hệ thống ({error_summary(exc)}). Sổ của thư mục "
              f"dữ liệu vẫn là {source}; thử lại sau hoặc báo quản trị hệ thống.", file=sys.stderr)
        return 1
    rows = ", ".join(f"{name} {n}" for name, n in copied.items())
    print(f"Đã chuyển sổ tiếp nhận của thư mục dữ liệu {workspace.root} từ {source} sang {target} "
          f"({sum(copied.values())} dòng: {rows}).")
    print(f"Từ nay mọi lệnh, DAG và dịch vụ dùng thư mục này phải đặt PIPELINE_LEDGER_URL={target} (thêm mật khẩu "
          f"nếu cần); sổ cũ {source} được giữ nguyên làm bản sao lưu và không được dùng cho thư mục này nữa.")
    return 0


def _check_template(path: Path | None) -> int:
    """``check-template``: the template's own tags checked (:func:`pipeline.render.report.check_template`), never a
    rendered report. Prints "MẪU HỢP LỆ" and returns 0, or prints the fault (the place: table, row and cell,
    or paragraph) on stderr and returns 1 — also for a file that is missing or not a .docx."""
    import zipfile

    from pipeline.render.report import TEMPLATE, TemplateCheckError, check_template

    path = path or TEMPLATE
    try:
        check_template(path)
    except FileNotFoundError:
        print(f"Không tìm thấy tệp mẫu: {path}", file=sys.stderr)
        return 1
    except (zipfile.BadZipFile, KeyError):
        print(f"{path.name}: không phải tệp Word .docx (hãy lưu mẫu dạng Word 2007-365 .docx).", file=sys.stderr)
        return 1
    except TemplateCheckError as exc:
        print(f"MẪU CÓ LỖI — {exc}", file=sys.stderr)
        return 1
    print(f"{path.name}: MẪU HỢP LỆ — các thẻ mẫu đúng cú pháp, chỉ dùng biến có trong dữ liệu báo cáo.")
    return 0


EXIT_SYSTEM_ERROR = 3
"""Exit code of ``validate`` when the file could not be checked because of a system error."""


def _validate(file: Path, period: str | None, config) -> int:
    """``validate``: print every finding and the verdict; 0 valid, 1 errors, 2 usage, 3 system error."""
    import logging

    from pipeline.config import ConfigError
    from pipeline.files import sha256_of
    from pipeline.findings import ValidationOutcome
    from pipeline.read.reader import UnreadableSubmission, read_submission
    from pipeline.system_errors import error_type, log_system_error, system_error_finding
    from pipeline.validate.rules import SuiteError, validate_submission

    if not file.is_file():
        what = "là một thư mục, không phải tệp báo cáo" if file.is_dir() else "không tìm thấy tệp"
        print(f"{file}: {what}.", file=sys.stderr)
        return 2
    note = ""
    try:
        if period is None:
            try:
                period = read_submission(file, config).general.get("period") or ""
            except UnreadableSubmission:
                period = ""
            try:
                config.period(period)
            except ConfigError:
                period = _fallback_period(config)
                note = " — không đọc được kỳ báo cáo ghi trong tệp nên kiểm tra theo kỳ này"
        outcome = validate_submission(file, config=config, period=period)
    except (SuiteError, ConfigError):
        raise
    except Exception as exc:  # noqa: BLE001 - a fault of the pipeline on this file: say so, never blame the file
        log_system_error(logging.getLogger("pipeline.validate.rules"), "Validation of %s failed: system error (%s)",
                         file.name, error_type(exc), exc=exc)
        outcome = ValidationOutcome(file.name, sha256_of(file), None, period or "", [system_error_finding(exc, config)],
                                    system_error=error_type(exc))
    for f in outcome.findings:
        print(f.as_text(file.name))
    if outcome.system_error is not None:
        print(f"{file.name}: CHƯA KIỂM TRA ĐƯỢC. {config.fill(SYSTEM_ERROR_TITLE)} ({outcome.system_error}); "
              "không phải lỗi của tệp.")
        return EXIT_SYSTEM_ERROR
    verdict = "KHÔNG HỢP LỆ" if outcome.errors else "HỢP LỆ"
    print(f"{file.name}: {verdict} — {outcome.errors} lỗi, {outcome.warnings} cảnh báo (kỳ {period}{note}).")
    return 1 if outcome.errors else 0


def _receive(args, config, workspace) -> int:
    """``receive``: archive and register a file with the receipt time staff give; print the verdict."""
    import datetime as dt

    from pipeline.config import ConfigError
    from pipeline.intake.receive import ReceiptError, parse_received_at, receive_file
    from pipeline.ledger.store import LedgerMismatch, open_ledger

    now = dt.datetime.now(dt.UTC)
    try:
        period = config.period(args.period)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        received_at = parse_received_at(args.received_at, now=now)
        receipt = receive_file(args.file, period, config=config, ledger=open_ledger(workspace), received_at=received_at,
                               received_by=args.by, note=args.note, now=now, root=workspace.root)
    except ReceiptError as exc:
        print(exc, file=sys.stderr)
        return 2
    except LedgerMismatch:  # the data root is another ledger's: main prints why, exit 2
        raise
    except Exception as exc:  # noqa: BLE001 - the ledger or the archive is unreachable: say so, no traceback
        from pipeline.orchestrator import error_summary

        print(f"Không ghi nhận được tệp {args.file.name}: lỗi hệ thống ({error_summary(exc)}). Tệp chưa được lưu vào "
              "sổ tiếp nhận; thử lại sau hoặc báo quản trị hệ thống.", file=sys.stderr)
        return 1

    def local(t: dt.datetime) -> str:
        return fmt.local_time(t, config.timezone)

    v = receipt.version
    unit = (f"{config.unit(v.unit_code).full_name} ({v.unit_code}), phiên bản {v.version}" if v.unit_code
            else "chưa xác định được đơn vị (xem trang tình hình nhận báo cáo)")
    verdict = "đúng hạn" if v.on_time else "trễ hạn"
    if not receipt.created:
        print(f"Tệp {args.file.name} đã có trong sổ tiếp nhận kỳ {period.code}: {unit}, nhận lúc "
              f"{local(v.received_at)} — {verdict}. Không ghi thêm.")
        return 0
    from pipeline.ledger.timeliness import deadline, locked_out, policy_from_config

    policy = policy_from_config(config)
    print(f"Đã ghi nhận {args.file.name} kỳ {period.code}: {unit}, nhận lúc {local(v.received_at)} — {verdict} "
          f"(hạn nộp trước {local(deadline(period, policy))}).")
    if locked_out([v], period, policy, open_ledger(workspace).reopenings(period.code)):
        print(f"Tệp nhận sau ngày khóa sổ, chưa được mở lại: đã lưu trữ nhưng chưa dùng cho báo cáo. Mở lại kỳ cho đơn "
              f"vị: python -m pipeline reopen {period.code} {v.unit_code} --by … --reason …")
    return 0


def _reopen(args, config, workspace, now=None) -> int:
    """``reopen``: record that district staff opened a locked period again for one unit; 0 done, 2 usage (an
    unknown period or unit, an empty name or reason), 1 the ledger unreachable."""
    import datetime as dt

    from pipeline.ledger.store import LedgerMismatch, open_ledger
    from pipeline.ledger.timeliness import lock_at, policy_from_config

    period = config.period(args.period)  # ConfigError: exit 2 in main
    try:
        unit = config.unit(args.unit_code, period.cutoff)
    except KeyError:
        print(f"Không có đơn vị mã {args.unit_code} trong cấu hình.", file=sys.stderr)
        return 2
    if not args.by.strip() or not args.reason.strip():
        print("Cần ghi tên người mở lại (--by) và lý do (--reason).", file=sys.stderr)
        return 2
    now = now or dt.datetime.now(dt.UTC)
    try:
        record = open_ledger(workspace).reopen(period=period.code, unit_code=unit.code, reopened_by=args.by,
                                               reason=args.reason, reopened_at=now, unit_since=unit.valid_from)
    except LedgerMismatch:  # the data root is another ledger's: main prints why, exit 2
        raise
    except Exception as exc:  # noqa: BLE001 - the ledger is unreachable: say so, no traceback
        from pipeline.orchestrator import error_summary

        print(f"Không ghi được việc mở lại kỳ {period.code}: lỗi hệ thống ({error_summary(exc)}). Thử lại sau hoặc "
              "báo quản trị hệ thống.", file=sys.stderr)
        return 1

    def local(t: dt.datetime) -> str:
        return fmt.local_time(t, config.timezone)

    lock = lock_at(period, policy_from_config(config))
    print(f"Đã mở lại kỳ {period.code} cho {unit.full_name} ({unit.code}): {record.reopened_by}, lúc "
          f"{local(record.reopened_at)}, lý do: {record.reason}.")
    if lock is None:
        print("Lưu ý: cấu hình chưa đặt ngày khóa sổ (timeliness.lock_after_days), mọi phiên bản vẫn được dùng.")
    else:
        print(f"Các phiên bản nhận từ {local(lock)} (ngày khóa sổ) của đơn vị được dùng từ lần tiếp nhận hoặc lập "
              "báo cáo sau.")
    return 0


EXIT_NOT_APPROVED = 4
"""Exit code of ``deliver`` when the report has no approved version (of the one asked)."""
EXIT_CHANGED = 5
"""Exit code of ``deliver`` when the report file's SHA-256 differs from the one approved."""


def _approve_or_deliver(args, config, workspace) -> int:
    """``approve`` and ``deliver``: 0 done, 1 sending or converting failed, 2 usage (no such report version,
    no recipients configured), 4 not approved, 5 the file changed since it was approved."""
    import datetime as dt

    from pipeline.ledger.store import open_ledger
    from pipeline.staff.delivery import CHANGED, NOT_APPROVED, DeliveryRefused, approve, deliver

    period = config.period(args.period)
    now = dt.datetime.now(dt.UTC)
    try:
        if args.command == "approve":
            done = approve(period, args.version, args.by, ledger=open_ledger(workspace), now=now, root=workspace.root)
            print(f"Đã phê duyệt báo cáo kỳ {period.code} phiên bản {done['version']} ({done['path']}), "
                  f"mã SHA-256 {done['sha256']}, người phê duyệt: {args.by}.")
            return 0
        from ops.smtp import smtp_sender  # Airflow's SMTP connection (pipeline/ never imports Airflow)

        result = deliver(period, config=config, ledger=open_ledger(workspace), send=smtp_sender(config), now=now,
                         root=workspace.root,
                         version=args.version, again=args.again)
    except DeliveryRefused as exc:
        print(exc, file=sys.stderr)
        return {NOT_APPROVED: EXIT_NOT_APPROVED, CHANGED: EXIT_CHANGED}.get(exc.reason, 2)
    except (ValueError, KeyError):
        raise
    except Exception as exc:  # noqa: BLE001 - the mail server, LibreOffice or the annex check: say so, no traceback
        import logging

        from pipeline.render.pdf import PdfError
        from pipeline.staff.delivery import AnnexError
        from pipeline.staff.mail import send_failure_vi

        logging.getLogger("pipeline.deliver").warning("Delivery of %s failed: %s: %s", period.code,
                                                      type(exc).__name__, exc)
        if isinstance(exc, PdfError):
            why = str(exc)
        elif isinstance(exc, AnnexError):
            why = "không tách được danh sách hộ (Phụ lục I) khỏi bản gửi thư điện tử"
        else:
            why = send_failure_vi(exc, config.mail.get("smtp_conn_id") or "smtp_default") \
                or "lỗi hệ thống (chi tiết ghi trong nhật ký)"
        print(f"Chưa gửi được báo cáo kỳ {period.code}: {why}. Không ghi nhận là đã gửi; thử lại sau hoặc báo quản "
              "trị hệ thống.", file=sys.stderr)
        return 1
    if not result.sent:
        print(f"Báo cáo kỳ {period.code} phiên bản {result.version} đã được gửi trước đây; không gửi lại "
              f"(thêm --again để gửi lại). Lưu trữ: {result.archive}")
        return 0
    print(f"Đã gửi báo cáo kỳ {period.code} phiên bản {result.version} (không kèm Phụ lục I) đến "
          f"{', '.join(result.recipients)}. Lưu trữ: {result.archive}")
    return 0


def unit_line(sub: dict) -> str:
    """One line for a unit of ``aggregates.json``'s ``submissions``: valid, invalid with its counts, missing,
    or system error (its version could not be validated), and a newer version not used. The unit's name starts
    the line, capitalised ("Thị trấn Tân Sơn (22810): …")."""
    from pipeline.synthesis import capitalise

    name = f"{capitalise(sub['unit_name'])} ({sub['unit_code']})"
    version = f"phiên bản {sub['version']}" if sub.get("version") else "tệp"
    late = "" if sub.get("on_time") is not False else ", trễ hạn"
    status = UnitStatus(sub["status"])
    if status == UnitStatus.MISSING:
        if sub.get("required") is False:
            return f"{name}: chưa gửi — đơn vị được đề nghị báo cáo, không tính là thiếu"
        return f"{name}: {UNIT_LINE_LABELS[status]}"
    word = UNIT_LINE_LABELS[status]
    if status == UnitStatus.LOCKED:
        line = f"{name}: {version} {word}, chưa được mở lại — báo cáo chưa dùng"
    elif status == UnitStatus.ERROR:
        line = f"{name}: {word} — {version} chưa kiểm tra được{late}"
    else:
        line = f"{name}: {word} — {version}: {sub['errors']} lỗi, {sub['warnings']} cảnh báo{late}"
    newer = sub.get("newer_failed")
    if newer:
        why = "chưa kiểm tra được (lỗi hệ thống)" if newer["errors"] is None else f"có {newer['errors']} lỗi"
        line += f"; phiên bản {newer['version']} gửi sau {why}, báo cáo chưa dùng"
    return line


def _print_not_taken(period, workspace) -> None:
    """One line when the final pass left entries of ``inbox/<period>/`` untaken (still being copied, links,
    temporary names, …): how many, and the status page that lists them with the reason."""
    from pipeline.intake.inbox import read_skipped
    from pipeline.paths import status_page_path

    skipped = read_skipped(period, workspace.root)
    if skipped:
        print(f"Lưu ý: {len(skipped)} mục trong thư mục nhận inbox/{period.code} chưa được tiếp nhận (đang chép dở, "
              f"tệp tạm, liên kết…); lý do từng mục: {status_page_path(period, workspace.root)}")


def _print_summary(period, config, workspace) -> int:
    """Print one line per unit, then per office, of the latest version of the period's report (from the aggregates
    it was rendered from), the targets' state and, last, the report's path. Returns 0, or 1 when the period has no
    published report."""
    import json

    from pipeline.paths import report_dir, version_aggregates_path
    from pipeline.publish.versions import latest_report, latest_version

    root = workspace.root
    number = latest_version(period, root)
    path = latest_report(period, root)
    if number is None or path is None or not path.exists():
        print(f"Chưa có báo cáo kỳ {period.code}: {path or report_dir(period, root)}", file=sys.stderr)
        return 1
    agg_path = version_aggregates_path(period, number, root)
    agg = json.loads(agg_path.read_text(encoding="utf-8"))
    for sub in agg["submissions"] + (agg.get("offices") or {}).get("offices", []):
        print(unit_line(sub))
    for row in agg.get("bridge", []):
        print(bridge_line(row))
    if not agg.get("assessable", True):
        lacking = ", ".join(agg.get("lacking") or []) or "mọi đơn vị"
        print(f"Mục tiêu: chưa đủ số liệu để đánh giá (chưa có báo cáo hợp lệ của: {lacking}).")
    print(path)
    return 0


def _preflight(period, config, workspace) -> int:
    """``preflight``: one line per item (:mod:`pipeline.staff.preflight`), marked by kind; exit 0 when nothing but
    the facts filled at issuance is left, 1 when a unit, an office or a configuration fact would leave a gap."""
    from pipeline.ledger.store import open_ledger
    from pipeline.staff.preflight import AT_ISSUANCE, CONFIG, preflight, summary_line

    items = preflight(period, config=config, ledger=open_ledger(workspace))
    marks = {CONFIG: "[cấu hình] ", AT_ISSUANCE: "[điền khi ban hành] "}
    said = summary_line(items).removeprefix("Kiểm tra trước khi lập báo cáo: ")
    print(f"Kỳ {period.code} ({period.label} {period.year}, hạn trước {period.deadline:%d/%m/%Y %H:%M}): "
          + said.replace(" (python -m pipeline preflight)", ""))
    for item in items:
        print(f"- {marks.get(item.kind, '')}{item.text}")
    return 1 if any(i.fault for i in items) else 0


def _warned(version, key: str) -> bool:
    """Whether the findings of ``version`` (a ledger row) hold a warning carrying the acceptance ``key``."""
    from pipeline.findings import WARNING, read_outcome
    from pipeline.validate.rules import ACCEPT_KEY_WORDS

    path = Path(version.findings_path) if version.findings_path else None
    outcome = read_outcome(path) if path is not None and path.exists() else None
    return outcome is not None and any(f.severity == WARNING and f"{ACCEPT_KEY_WORDS}{key}." in f.message
                                       for f in outcome.findings)


def _check_units(config, workspace) -> int:
    """``check-units``: every difference between the configured units and the official list
    (:func:`pipeline.units.check_units`), one line each; exit 1 when there is any, 0 when none. Nothing is
    changed: the configuration is staff's to correct."""
    from pipeline.units import check_units

    differences = check_units(config)
    for line in differences:
        print(f"[KHÁC] {line}.")
    if differences:
        print(f"{len(differences)} điểm khác giữa {workspace.config_path.name} và danh mục đơn vị hành chính chính "
              "thức: sửa cấu hình (hoặc ghi rõ lý do giữ nguyên).")
        return 1
    print(f"{len(config.units)} đơn vị trong {workspace.config_path.name} khớp danh mục đơn vị hành chính chính thức "
          "(mã, tên, loại, khu vực, thời gian hiệu lực).")
    return 0


def bridge_line(row: dict) -> str:
    """One line of a successor's bridge (:func:`pipeline.aggregate.tables.bridge`), for district staff: its own
    01/01 households beside its predecessors' sum, "[CẢNH BÁO]" first when they differ."""
    from pipeline import fmt

    names = ", ".join(row["predecessors"])
    own = row["own"]["households_total"] if row["own"] else None
    head = f"Đối chiếu số hộ tại 01/01 của {row['unit_name']} ({row['unit_code']}) với các đơn vị cũ ({names})"
    if row["sum"] is None:
        return f"{head}: chưa đủ báo cáo hợp lệ kỳ {row['period']} của các đơn vị cũ để cộng."
    summed = fmt.number(row["sum"]["households_total"])
    if own is None:
        return f"{head}: đơn vị chưa có báo cáo hợp lệ; các đơn vị cũ cộng {summed} hộ."
    said = f"{head}: đơn vị báo cáo {fmt.number(own)} hộ; các đơn vị cũ cộng {summed} hộ (kỳ {row['period']})"
    return f"[CẢNH BÁO] {said} — khác nhau, cần làm rõ." if row["differs"] else f"{said}."


def _fallback_period(config) -> str:
    """The latest period already due whose reporting units are configured (see pipeline.orchestrator)."""
    import datetime as dt

    from pipeline.orchestrator import resolve_period

    return resolve_period(config, None, dt.datetime.now(dt.UTC)).code


if __name__ == "__main__":
    sys.exit(main())
