"""Benchmark: the read stage of a workbook formatted far past its data, against the plain workbook.

Target (the reader's design, ``pipeline/read/sources.py``): reading the sample of xã Ma Nới with borders down to
row 50,000 on every roster column takes under twice the time and the memory of reading the plain sample, in
a warm process. Two measures are printed for each file:

* ``read``: :func:`pipeline.read.reader.read_submission` alone (open, trim, parse, canonical frames);
* ``read stage``: what the pipeline does with a new version — :func:`pipeline.read.staging.staged_submission`
  into an empty data root: read once and keep the frames as staging files.

Time is the best of ``--repeat`` runs, the two files taking turns so that a busy machine slows both alike;
memory is the peak traced by :mod:`tracemalloc` during one run. Exits 1 when the read stage's time or memory
ratio is at or above ``--limit``.

Run: ``make bench`` (or ``python -m benchmarks.read_stage``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from benchmarks.far_formatting import far_formatted

ROOT = Path(__file__).resolve().parents[1]
PLAIN = ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx"


def _stage(path: Path, config, sha256: str) -> None:
    from pipeline.read.staging import staged_submission

    with tempfile.TemporaryDirectory() as tmp:
        staged_submission(path, sha256=sha256, period=config.period("2023-6T"), config=config, root=Path(tmp))


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="formatted down to this row (default 50,000)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--limit", type=float, default=2.0, help="highest ratio allowed (default 2)")
    args = parser.parse_args(argv)
    from pipeline.config import load_config
    from pipeline.read.reader import read_submission, sha256_of

    config = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        far = far_formatted(PLAIN, Path(tmp) / "far.xlsx", rows=args.rows)
        files = {"plain sample": PLAIN, f"formatted to row {args.rows:,}": far}
        digests = {name: sha256_of(path) for name, path in files.items()}
        stages = {
            "read": {name: (lambda p=path: read_submission(p, config)) for name, path in files.items()},
            "read stage": {name: (lambda p=path, d=digests[name]: _stage(p, config, d))
                           for name, path in files.items()},
        }
        best: dict[tuple[str, str], float] = {}
        peaks: dict[tuple[str, str], int] = {}
        for stage, runs in stages.items():
            for fn in runs.values():
                fn()  # warm: imports, caches
            for _ in range(args.repeat):
                for name, fn in runs.items():
                    best[stage, name] = min(best.get((stage, name), float("inf")), _timed(fn))
            for name, fn in runs.items():
                peaks[stage, name] = _peak(fn)
        size = far.stat().st_size
    (plain, far_name), verdict = list(files), 0
    for stage in stages:
        t_ratio = best[stage, far_name] / best[stage, plain]
        m_ratio = peaks[stage, far_name] / peaks[stage, plain]
        print(f"{stage}:")
        for name in files:
            print(f"  {name:26} {best[stage, name] * 1000:7.1f} ms  {peaks[stage, name] / 1e6:6.2f} MB peak")
        print(f"  ratio: time {t_ratio:.2f}×, memory {m_ratio:.2f}×")
        if stage == "read stage" and (t_ratio >= args.limit or m_ratio >= args.limit):
            verdict = 1
    print(f"({size / 1e6:.1f} MB file; target for the read stage: under {args.limit:g}×)")
    return verdict


if __name__ == "__main__":
    raise SystemExit(main())
