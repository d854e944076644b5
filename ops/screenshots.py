"""Screenshots of the status page and the technical view for docs/: ``python -m ops.screenshots docs/``.

Runs the pipeline once on the bundled samples (samples/2023-6T) in a temporary data root with its own SQLite
ledger (never the workspace's), Ma Nới's name typed with a wrong tone mark ("xã Mạ Nơi") so the pages show a
finding and its annotated workbook, received at 09:00 on 03/05/2023 (on time); then opens both pages in headless
Chromium with no network (:func:`offline_command`: a network namespace with only loopback, when the user may
create one) and writes ``trang-thai.png`` and ``trang-ky-thuat.png`` into the folder given. The temporary root
is removed afterwards. Rerun: overwrites the two PNGs, nothing else.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SAMPLES = PROJECT / "samples" / "2023-6T"
PERIOD = "2023-6T"
RECEIVED = dt.datetime(2023, 5, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGES = {"trang-thai.png": "status page", "trang-ky-thuat.png": "technical view"}


def chromium() -> str:
    """Path of Chromium (Debian's package ``chromium``).

    Raises:
        RuntimeError: Chromium is not installed.
    """
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        raise RuntimeError("Chromium is not installed (apt-get install -y chromium)")
    return binary


def can_isolate() -> bool:
    """Whether this user may run a command in a new network namespace (``unshare -n``: root, or user
    namespaces allowed)."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=30).returncode == 0


def offline_command(args: list[str], *, isolate: bool = True) -> list[str]:
    """The command line running Chromium with ``args`` in a network namespace of its own with only loopback up
    (no route out: every outside request fails at once), or plainly when ``isolate`` is False."""
    command = [chromium(), *CHROMIUM_FLAGS, *args]
    if not isolate:
        return command
    return ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "chromium-offline", *command]


def offline_screenshot(page: Path, out: Path, *, width: int = 1400, height: int = 2300, isolate: bool = True) -> Path:
    """A PNG of ``page`` (a local HTML file) as Chromium shows it offline, written to ``out``.

    Raises:
        RuntimeError: Chromium failed or wrote no image.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        result = subprocess.run(
            offline_command([f"--user-data-dir={profile}", f"--window-size={width},{height}",
                             f"--screenshot={out.resolve()}", page.resolve().as_uri()], isolate=isolate),
            capture_output=True, text=True, timeout=180)
    if result.returncode != 0 or not out.is_file():
        raise RuntimeError(f"Chromium could not take a screenshot of {page}: {result.stderr[-2000:]}")
    return out


def build_pages(root: Path) -> tuple[Path, Path]:
    """Run the period on the bundled samples in data root ``root`` (see the module); returns the status page and
    the technical view's index."""
    from openpyxl import load_workbook

    from pipeline.config import load_config
    from pipeline.orchestrator import run_period
    from pipeline.paths import data_docs_index_path, inbox_dir, status_page_path
    from pipeline.schema import SHEET_GENERAL
    from pipeline.workspace import Workspace

    config = load_config()
    config = dataclasses.replace(config, validation={**config.validation, "intake_stable_seconds": 0.0},
                                 intake={**config.intake, "incomplete_wait_minutes": 0.0})
    period = config.period(PERIOD)
    inbox = inbox_dir(period, root)
    inbox.mkdir(parents=True)
    for src in sorted(SAMPLES.glob("*.xlsx")):
        dst = inbox / src.name
        shutil.copyfile(src, dst)
        if src.name.startswith("22828"):
            wb = load_workbook(dst)
            wb[SHEET_GENERAL]["B5"] = "xã Mạ Nơi"
            wb.save(dst)
        os.utime(dst, (RECEIVED.timestamp(), RECEIVED.timestamp()))
    workspace = Workspace(root=root, ledger_url=f"sqlite:///{root / 'ledger.sqlite'}", pdf=False,
                          clock=lambda: RECEIVED)
    run_period(period, config=config, now=RECEIVED, workspace=workspace)
    return status_page_path(period, root), data_docs_index_path(period, root)


def main(argv: list[str] | None = None) -> int:
    """Refresh the screenshots in the folder given (``docs/``); prints the files written."""
    parser = argparse.ArgumentParser(prog="python -m ops.screenshots", description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where to write trang-thai.png and trang-ky-thuat.png")
    args = parser.parse_args(argv)
    isolate = can_isolate()
    if not isolate:
        print("unshare -n is not allowed here: the pages are opened without isolating the network", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        status, technical = build_pages(Path(tmp) / "data")
        for name, page in zip(PAGES, (status, technical), strict=True):
            print(offline_screenshot(page, args.folder / name, isolate=isolate))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
