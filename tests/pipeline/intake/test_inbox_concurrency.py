"""Two intake passes at once, as separate processes (the intake DAG and the report's final pass both fire at
00:00 on a deadline day): no crash, no lost file, versions numbered 1..n per unit in order of arrival.

Each repetition uses a fresh data root and an empty ledger, so the two processes also race to create the
schema. SQLite always; PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.ledger.store import Ledger
from tests.helpers import reset_database

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples" / "2023-6T"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
REPETITIONS = 20

# One intake pass: import, say ready, wait for the common start signal, open the ledger and take in.
PASS = """
import datetime as dt, sys, time
from pathlib import Path
from pipeline.config import load_config
from pipeline.intake.inbox import intake_pass
from pipeline.ledger.store import Ledger
root, url, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
config = load_config()
Path(sys.argv[4]).touch()
while not go.exists():
    time.sleep(0.002)
ledger = Ledger(url)
new = intake_pass(config.period("2023-6T"), config=config, ledger=ledger, now=dt.datetime.now(dt.UTC), root=root)
print(len(new))
"""


def _inbox(root: Path, correction: Path) -> tuple[str, str]:
    """The 8 samples, plus Hòa Sơn's second version modified an hour after them and named to sort first.

    Returns the SHA-256 of Hòa Sơn's first and second versions.
    """
    from pipeline.files import sha256_of

    inbox = root / "inbox" / "2023-6T"
    inbox.mkdir(parents=True)
    t = time.time() - 7200
    for src in sorted(SAMPLES.glob("*.xlsx")):
        shutil.copyfile(src, inbox / src.name)
        os.utime(inbox / src.name, (t, t))
    second = inbox / "0 hoa son gui lai.xlsx"
    shutil.copyfile(correction, second)
    os.utime(second, (t + 3600, t + 3600))
    return sha256_of(inbox / "22825_hoa_son.xlsx"), sha256_of(second)


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_two_intake_passes_at_once(backend, tmp_path, test_set):
    """Twenty times, two intake processes started together on the 8 samples and Hòa Sơn's correction: both exit 0, one
    takes in all 9 files and the other none, each unit's versions are numbered 1..n, Hòa Sơn's in order of modification
    (not of name), and the archive holds exactly the 9 registered files."""
    correction = next(test_set.glob("22825_*.xlsx"))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for i in range(REPETITIONS):
        root = tmp_path / f"run{i}"
        first, second = _inbox(root, correction)
        if backend == "sqlite":
            url = f"sqlite:///{root / 'work' / 'ledger.sqlite'}"
        else:
            url = os.environ["TEST_DATABASE_URL"]
            reset_database(url)
        go = root / "go"
        procs = [subprocess.Popen([sys.executable, "-c", PASS, str(root), url, str(go), str(root / f"ready{n}")],
                                  env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for n in range(2)]
        deadline = time.monotonic() + 120
        while not all((root / f"ready{n}").exists() for n in range(2)):
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "a pass did not start"
            time.sleep(0.01)
        go.touch()
        outs = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], f"run {i}: " + " | ".join(e[-2000:] for _, e in outs)
        assert sorted(int(o.strip()) for o, _ in outs) == [0, 9], f"run {i}: {outs}"
        ledger = Ledger(url)
        rows = ledger.versions("2023-6T")
        assert len(rows) == 9 and len({r.sha256 for r in rows}) == 9
        by_unit: dict[str | None, list] = {}
        for r in rows:
            by_unit.setdefault(r.unit_code, []).append(r)
        assert sorted(by_unit) == ["22810", "22813", "22816", "22819", "22822", "22825", "22828", "22831"]
        for unit, vs in by_unit.items():
            assert [v.version for v in vs] == list(range(1, len(vs) + 1)), (i, unit)
        assert [v.sha256 for v in by_unit["22825"]] == [first, second]
        archived = sorted(p.name for p in (root / "archive" / "2023-6T").iterdir())
        assert archived == sorted(f"{r.sha256}.xlsx" for r in rows)
        ledger.engine.dispose()
