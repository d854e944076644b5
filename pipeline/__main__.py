"""Command line for staff, without Airflow.

    python -m pipeline validate FILE [--period 2023-6T]   findings of one workbook; exit 1 on errors
    python -m pipeline run PERIOD                         whole job for a period (inbox → report)
    python -m pipeline report-path PERIOD                 path of the period's published report
    python -m pipeline template [OUT]                     write the blank submission workbook
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (0 ok, 1 findings with errors or missing report, 2 usage)."""
    parser = argparse.ArgumentParser(prog="python -m pipeline", description="Báo cáo giảm nghèo hộ có người có công")
    sub = parser.add_subparsers(dest="command", required=True)
    p_val = sub.add_parser("validate", help="kiểm tra một tệp báo cáo của đơn vị")
    p_val.add_argument("file", type=Path)
    p_val.add_argument("--period", help="kỳ báo cáo (mặc định: kỳ ghi trong tệp)")
    p_run = sub.add_parser("run", help="chạy toàn bộ quy trình cho một kỳ, không cần Airflow")
    p_run.add_argument("period")
    p_path = sub.add_parser("report-path", help="đường dẫn báo cáo của một kỳ")
    p_path.add_argument("period")
    p_tpl = sub.add_parser("template", help="ghi mẫu báo cáo trống cho đơn vị")
    p_tpl.add_argument("out", type=Path, nargs="?", default=Path("templates/mau_bao_cao_don_vi.xlsx"))
    args = parser.parse_args(argv)

    from pipeline.config import ConfigError, load_config

    config = load_config()
    try:
        if args.command == "validate":
            return _validate(args.file, args.period, config)
        if args.command == "run":
            from pipeline.periodic import run_period

            print(run_period(config.period(args.period), config=config))
            return 0
        if args.command == "report-path":
            from pipeline.render import report_path

            path = report_path(config.period(args.period))
            if not path.exists():
                print(f"Chưa có báo cáo kỳ {args.period}: {path}", file=sys.stderr)
                return 1
            print(path)
            return 0
        if args.command == "template":
            from pipeline.workbook import write_submission

            print(write_submission(args.out))
            return 0
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 2


def _validate(file: Path, period: str | None, config) -> int:
    from pipeline.config import ConfigError
    from pipeline.read import UnreadableSubmission, read_submission
    from pipeline.validate import validate_submission

    if not file.is_file():
        print(f"Không tìm thấy tệp: {file}", file=sys.stderr)
        return 2
    if period is None:
        try:
            period = read_submission(file, config).general.get("period") or ""
        except UnreadableSubmission:
            period = ""
        try:
            config.period(period)
        except ConfigError:
            import datetime as dt

            period = config.latest_period_due(dt.datetime.now(config.timezone)).code
    outcome = validate_submission(file, config=config, period=period)
    for f in outcome.findings:
        print(f.as_text(file.name))
    verdict = "KHÔNG HỢP LỆ" if outcome.errors else "HỢP LỆ"
    print(f"{file.name}: {verdict} — {outcome.errors} lỗi, {outcome.warnings} cảnh báo (kỳ {period}).")
    return 1 if outcome.errors else 0


if __name__ == "__main__":
    sys.exit(main())
