"""The import contracts of pyproject.toml ([tool.importlinter]): the real project keeps them, and they catch a lower
layer importing a higher one and a basic module importing a step (checked on a copy of the package in tmp_path)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the project at ``root`` (its pyproject.toml and its pipeline/), with ``root`` alone on the
    path (grimp finds the package through sys.path and parses its source, so nothing of it is imported). No cache,
    so nothing is written next to the project; wide columns, so that rich does not wrap the chains."""
    env = dict(os.environ, PYTHONPATH=str(root), COLUMNS="200")
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120,
    )


def _copy_project(dest: Path) -> Path:
    """A copy of pyproject.toml and the pipeline package (without __pycache__) in ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "pipeline", dest / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def _append(module: Path, line: str) -> None:
    """Append ``line`` at the end of ``module``."""
    text = module.read_text(encoding="utf-8")
    module.write_text(text + ("" if text.endswith("\n") else "\n") + line + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> str:
    """lint-imports' output on an unchanged copy of the project: every contract kept, so that the variants below
    show that the violation they add is what breaks it."""
    result = _lint(_copy_project(tmp_path_factory.mktemp("baseline")))
    assert result.returncode == 0 and "BROKEN" not in result.stdout, result.stdout + result.stderr
    return result.stdout


def test_project_keeps_its_import_contracts():
    """The real project, from its root, keeps every contract of [tool.importlinter] (exit code 0)."""
    assert LINT_IMPORTS.exists(), f"{LINT_IMPORTS} missing: pip install -r requirements.txt"
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_read_importing_render_breaks_the_contracts(tmp_path, baseline):
    """A lower layer importing a higher one (pipeline.read.reader imports pipeline.render.report) breaks the layers
    contract and the read contract, and lint-imports names both modules and exits non-zero."""
    root = _copy_project(tmp_path)
    _append(root / "pipeline" / "read" / "reader.py", "import pipeline.render.report  # noqa")

    result = _lint(root)
    out = result.stdout

    assert result.returncode != 0, out + result.stderr
    assert "Steps are layered: a lower step never imports a higher one BROKEN" in out, out
    assert "Read imports no validate, aggregate, render or ledger BROKEN" in out, out
    assert "pipeline.read is not allowed to import pipeline.render:" in out, out
    assert "pipeline.read.reader -> pipeline.render.report" in out, out
    assert "pipeline.read.reader -> pipeline.render.report" not in baseline, baseline


def test_basic_importing_a_step_breaks_the_contract(tmp_path, baseline):
    """A basic module importing a step (pipeline.paths imports pipeline.ledger.store) breaks the basics contract,
    and lint-imports names both modules and exits non-zero."""
    root = _copy_project(tmp_path)
    _append(root / "pipeline" / "paths.py", "import pipeline.ledger.store  # noqa")

    result = _lint(root)
    out = result.stdout

    assert result.returncode != 0, out + result.stderr
    assert "Basics import no step, orchestrator or CLI BROKEN" in out, out
    assert "pipeline.paths is not allowed to import pipeline.ledger:" in out, out
    assert "pipeline.paths -> pipeline.ledger.store" in out, out
    assert "pipeline.paths -> pipeline.ledger.store" not in baseline, baseline
