"""The validation fingerprint covers the code reading and validation import and the libraries they use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pipeline import codehash
from pipeline.validate import run

ROOT = Path(__file__).resolve().parents[2]


def test_hashed_files_follow_the_imports():
    """The reader's helper module and the schema are hashed though no list names them; suites and config too."""
    files = {p.relative_to(ROOT).as_posix() for p in codehash.hashed_files()}
    assert {"pipeline/read/sources.py", "pipeline/schema.py", "pipeline/read/reader.py", "pipeline/validate/rules.py",
            "pipeline/findings.py", "pipeline/staff/feedback.py", "pipeline/config.py"} <= files
    assert {"expectations/roster.json", "expectations/general.json", "config/ninh_son.yaml",
            "config/thresholds.yaml", "config/reference.yaml"} <= files
    assert "pipeline/render/report.py" not in files  # the report is not part of validation


def test_every_module_python_imports_is_hashed():
    """What a fresh interpreter loads from pipeline/ when importing the entry modules is all hashed."""
    code = ("import json, sys; import pipeline.read.reader, pipeline.validate.rules, pipeline.staff.feedback; "
            "print(json.dumps(sorted(m.__file__ for m in list(sys.modules.values()) "
            "if getattr(m, '__file__', None) and m.__name__.split('.')[0] == 'pipeline')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    loaded = {Path(f).resolve() for f in json.loads(out.stdout)}
    assert Path(ROOT / "pipeline" / "read" / "sources.py").resolve() in loaded
    assert loaded <= set(codehash.validation_sources())


def test_library_version_changes_the_hash(monkeypatch):
    """Another openpyxl version gives another fingerprint, so every version is validated again."""
    before = run.rules_hash()
    assert codehash.library_versions()["openpyxl"] == "3.1.5"
    real = codehash.importlib.metadata.version
    monkeypatch.setattr(codehash.importlib.metadata, "version",
                        lambda dist: "3.1.6" if dist == "openpyxl" else real(dist))
    assert codehash.library_versions()["openpyxl"] == "3.1.6"
    after = run.rules_hash()
    assert after != before
    assert run.fingerprint("ab" * 32) != run.fingerprint("ab" * 32, "other context")
    monkeypatch.undo()
    assert run.rules_hash() == before  # deterministic


def test_source_change_changes_the_hash(monkeypatch):
    """Editing any hashed source (here the reader's helper module) changes the hash."""
    before = codehash.rules_hash()
    target = (ROOT / "pipeline" / "read" / "sources.py").resolve()
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: real(self) + b"\n# edited" if self.resolve() == target
                        else real(self))
    assert codehash.rules_hash() != before
