"""Tests of pyproject.toml: the import contracts it declares ([tool.importlinter]) hold for the real project and
catch a lower layer importing a higher one and a basic module importing a step (checked on a copy of the package in
tmp_path); and the tests of its testpaths mirror the modules, one test module per source module of the same name
(whole-pipeline tests apart, in tests/e2e/)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
TESTS = ROOT / "tests"
SOURCE_PACKAGES = ("pipeline", "dags", "ops")  # tests/<package>/… mirrors <package>/…
E2E = "e2e"  # tests/e2e/: whole-pipeline tests, no source module of their own
# Test modules whose subject is not the Python module of the same name at the mirrored path.
SUBJECTS = {
    "tests/test_readme.py": "README.md",
    "tests/test_pyproject.py": "pyproject.toml",
    "tests/pipeline/test_main.py": "pipeline/__main__.py",
    "tests/pipeline/ledger/test_migrations.py": "pipeline/ledger/migrations",  # the migrations package, as one
}


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


@pytest.mark.parametrize(("module", "imported", "broken"), [
    # a lower step importing a higher one: the layers contract and the read contract
    ("pipeline/read/reader.py", "pipeline.render.report",
     ["Steps are layered: a lower step never imports a higher one BROKEN",
      "Read imports no validate, aggregate, render or ledger BROKEN",
      "pipeline.read is not allowed to import pipeline.render:"]),
    # a basic module importing a step: the basics contract
    ("pipeline/paths.py", "pipeline.ledger.store",
     ["Basics import no step, orchestrator or CLI BROKEN", "pipeline.paths is not allowed to import pipeline.ledger:"]),
], ids=["read-imports-render", "basic-imports-step"])
def test_a_forbidden_import_breaks_its_contracts(tmp_path, baseline, module, imported, broken):
    """A forbidden import planted in a copy of the project (pipeline.read.reader importing pipeline.render.report;
    pipeline.paths importing pipeline.ledger.store) makes lint-imports exit non-zero, naming each contract it
    breaks and the importing and imported modules."""
    root = _copy_project(tmp_path)
    _append(root / module, f"import {imported}  # noqa")

    result = _lint(root)
    out = result.stdout

    assert result.returncode != 0, out + result.stderr
    for line in broken:
        assert line in out, out
    chain = f"{module.removesuffix('.py').replace('/', '.')} -> {imported}"
    assert chain in out and chain not in baseline, out


def _subject(test: Path) -> str | None:
    """The source module (or file, or package) that the test module ``test`` mirrors, relative to the project root:
    tests/pipeline/read/test_reader.py → pipeline/read/reader.py; None outside the mirrored packages."""
    rel = test.relative_to(ROOT).as_posix()
    if rel in SUBJECTS:
        return SUBJECTS[rel]
    parts = test.relative_to(TESTS).parts
    if len(parts) < 2 or parts[0] not in SOURCE_PACKAGES:
        return None
    return "/".join([*parts[:-1], parts[-1].removeprefix("test_")])


def _test_of(module: Path) -> str:
    """The test module expected for the source module ``module``, relative to the project root."""
    rel = module.relative_to(ROOT).as_posix()
    by_subject = {subject: test for test, subject in SUBJECTS.items()}
    if rel in by_subject:
        return by_subject[rel]
    return f"tests/{module.parent.relative_to(ROOT).as_posix()}/test_{module.name}"


def _source_modules() -> list[Path]:
    """The modules of pipeline/, dags/ and ops/ that need a test module: no __init__.py nor anything under a
    samples/ folder, and the migrations of pipeline/ledger/migrations/ counted as their package."""
    out = []
    for package in SOURCE_PACKAGES:
        for module in sorted((ROOT / package).rglob("*.py")):
            rel = module.relative_to(ROOT)
            if module.name == "__init__.py" or "__pycache__" in rel.parts or "samples" in rel.parts:
                continue
            if rel.parts[:3] == ("pipeline", "ledger", "migrations"):
                module = ROOT / "pipeline" / "ledger" / "migrations"
            if module not in out:
                out.append(module)
    return out


def test_tests_mirror_the_modules():
    """Every test module outside tests/e2e/ has a source module of the same name at the mirrored path
    (tests/pipeline/read/test_reader.py ↔ pipeline/read/reader.py, test_main.py ↔ __main__.py, test_readme.py ↔
    README.md, test_pyproject.py ↔ pyproject.toml), and every module of pipeline/, dags/ and ops/ has its test
    module."""
    orphans = []
    for test in sorted(TESTS.rglob("test_*.py")):
        rel = test.relative_to(TESTS)
        if not test.is_file() or rel.parts[0] == E2E:
            continue
        subject = _subject(test)
        if subject is None:
            orphans.append(f"  tests/{rel.as_posix()} (not under tests/pipeline/, dags/, ops/ or e2e/)")
        elif not (ROOT / subject).exists():
            orphans.append(f"  tests/{rel.as_posix()} (no {subject})")
    untested = [f"  {module.relative_to(ROOT).as_posix()} (no {_test_of(module)})" for module in _source_modules()
                if not (ROOT / _test_of(module)).is_file()]
    problems = []
    if orphans:
        problems.append("Test modules without a source module of the same name (merge each into the test module of "
                        "what it tests, or move whole-pipeline tests to tests/e2e/):\n" + "\n".join(orphans))
    if untested:
        problems.append("Source modules without their test module:\n" + "\n".join(untested))
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def _slow_tests_without_reason() -> list[str]:
    """Tests marked ``slow`` (the marker declared in pyproject.toml) whose docstring, or whose module's docstring
    when the whole module is marked, does not say why with a sentence starting "Slow"."""
    import ast

    lacking = []
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_slow = any(isinstance(node, ast.Assign) and "pytestmark" in [getattr(t, "id", "") for t in node.targets]
                          and "slow" in ast.unparse(node.value) for node in tree.body)
        module_says = "Slow" in (ast.get_docstring(tree) or "")
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test"):
                continue
            if module_slow and module_says:
                continue
            marked = module_slow or any("mark.slow" in ast.unparse(d) for d in node.decorator_list)
            if marked and "Slow" not in (ast.get_docstring(node) or ""):
                lacking.append(f"{path.relative_to(ROOT)}::{node.name}")
    return lacking


def test_every_slow_test_says_why_it_must_be_slow():
    """The time budget: each test marked slow says in its docstring (or its module's, when the module is marked)
    why it must be slow, in a sentence starting "Slow"."""
    assert _slow_tests_without_reason() == []


def test_a_slow_test_without_its_reason_is_found(tmp_path, monkeypatch):
    """A slow-marked test whose docstring gives no reason is named by the check above."""
    folder = tmp_path / "tests" / "pipeline"
    folder.mkdir(parents=True)
    (folder / "test_x.py").write_text(
        'import pytest\n\n\n@pytest.mark.slow\ndef test_a():\n    """Does a thing."""\n\n\n'
        '@pytest.mark.slow\ndef test_b():\n    """Does a thing. Slow: starts LibreOffice."""\n', encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "TESTS", tmp_path / "tests")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _slow_tests_without_reason() == ["tests/pipeline/test_x.py::test_a"]
