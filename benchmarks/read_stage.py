"""Benchmark: the read stage of a workbook formatted far past its data, against the plain workbook.

Target (the reader's design, ``pipeline/sources.py``): reading the sample of xã Ma Nới with borders down to
row 50,000 on every roster column takes under twice the time and the memory of reading the plain sample, in
a warm process. Time is the best of ``--repeat`` runs of :func:`pipeline.read.read_submission` (wall clock);
memory is the peak traced by :mod:`tracemalloc` during one run. Prints both ratios; exits 1 when a ratio is
at or above ``--limit``.

Run: ``make bench`` (or ``python -m benchmarks.read_stage``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

from benchmarks.far_formatting import far_formatted

ROOT = Path(__file__).resolve().parents[1]
PLAIN = ROOT / "samples" / "2023-6T" / "22828_ma_noi.xlsx"


def measure(path: Path, config, repeat: int) -> tuple[float, int]:
    """(best wall-clock seconds over ``repeat`` reads, peak traced bytes of one read) of ``path``."""
    from pipeline.read import read_submission

    read_submission(path, config)  # warm: imports, caches
    best = min(_timed(read_submission, path, config) for _ in range(repeat))
    tracemalloc.start()
    read_submission(path, config)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak


def _timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="formatted down to this row (default 50,000)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--limit", type=float, default=2.0, help="highest ratio allowed (default 2)")
    args = parser.parse_args(argv)
    from pipeline.config import load_config

    config = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        far = far_formatted(PLAIN, Path(tmp) / "far.xlsx", rows=args.rows)
        plain_t, plain_m = measure(PLAIN, config, args.repeat)
        far_t, far_m = measure(far, config, args.repeat)
        size = far.stat().st_size
    t_ratio, m_ratio = far_t / plain_t, far_m / plain_m
    print(f"plain sample:            {plain_t * 1000:7.1f} ms  {plain_m / 1e6:6.2f} MB peak")
    print(f"formatted to row {args.rows:,}: {far_t * 1000:7.1f} ms  {far_m / 1e6:6.2f} MB peak  "
          f"({size / 1e6:.1f} MB file)")
    print(f"ratio: time {t_ratio:.2f}×, memory {m_ratio:.2f}× (target under {args.limit:g}×)")
    return 0 if t_ratio < args.limit and m_ratio < args.limit else 1


if __name__ == "__main__":
    raise SystemExit(main())
