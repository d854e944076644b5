"""What a validation result depends on, as one hash: code, expectation suites, configuration, libraries.

A version is validated again when this hash changes (see :func:`pipeline.intake.inbox.fingerprint`). The code part
is not a hand-kept list: it is every module of the ``pipeline`` package that reading and validation import,
found by following their ``import`` statements (at module level and inside functions) from
:data:`ENTRY_MODULES`. Following the source rather than ``sys.modules`` keeps the hash the same in every
process, whatever else that process happened to import. Light module: no pandas, no GX.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.metadata
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
PACKAGE = PACKAGE_DIR.name

ENTRY_MODULES = ("pipeline.read.reader", "pipeline.validate.rules", "pipeline.validate.run", "pipeline.staff.feedback")
"""Where reading, validation and the annotated workbook start."""

VALIDATION_LIBRARIES = ("great_expectations", "openpyxl", "xlrd", "olefile", "pandas", "babel")
"""Distributions whose behaviour decides what a workbook reads as and which expectations fail."""


def module_file(name: str) -> Path | None:
    """The source file of module ``name`` of this package (``pipeline.x`` → ``pipeline/x.py``), or None."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path) -> str:
    rel = path.relative_to(PROJECT_ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(path: Path) -> frozenset[str]:
    """Names of the package's modules that ``path`` imports anywhere in its source."""
    return _imports_in(path, path.read_bytes())


@lru_cache(maxsize=256)
def _imports_in(path: Path, source: bytes) -> frozenset[str]:
    """:func:`_imported` for one content of the file (cached: parsing is the slow part of the hash)."""
    tree = ast.parse(source, filename=str(path))
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)  # "from pipeline import schema"
    out = set()
    for name in found:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # importing pipeline.a.b imports pipeline and pipeline.a too
            if module_file(".".join(parts[:i])) is not None:
                out.add(".".join(parts[:i]))
    return frozenset(out)


def validation_sources(entries: tuple[str, ...] = ENTRY_MODULES) -> list[Path]:
    """Source files of every package module reading and validation import, sorted by path.

    The entry modules are imported first, so a module that cannot be imported fails here rather than
    being hashed as if it worked.

    Raises:
        ImportError: an entry module cannot be imported.
    """
    for name in entries:
        importlib.import_module(name)
    # an entry's packages are imported with it (pipeline.staff for pipeline.staff.feedback)
    todo = [".".join(name.split(".")[:i]) for name in entries for i in range(1, name.count(".") + 2)]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = module_file(name)
        if path is not None:
            todo.extend(_imported(path) - seen)
    return sorted(p for p in (module_file(n) for n in seen) if p is not None)


def library_versions(dists: tuple[str, ...] = VALIDATION_LIBRARIES) -> dict[str, str]:
    """Installed version of each of ``dists`` ("absent" when not installed)."""
    out = {}
    for dist in dists:
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "absent"
    return out


def hashed_files() -> list[Path]:
    """Every file :func:`rules_hash` reads: expectation suites, configuration files, validation code."""
    return (sorted((PROJECT_ROOT / "expectations").glob("*.json")) + sorted((PROJECT_ROOT / "config").glob("*.yaml"))
            + validation_sources())


def rules_hash() -> str:
    """Hex SHA-256 over :func:`hashed_files` (path relative to the project and bytes of each) and
    :func:`library_versions`. Deterministic for the same files and installed libraries."""
    return _digest(hashed_files(), library_versions())


READER_MODULES = ("pipeline.read.reader", "pipeline.read.staging")
"""Where reading a workbook into its canonical frames, and keeping them as a staging file, start."""
READER_LIBRARIES = ("openpyxl", "xlrd", "olefile", "pandas", "babel", "lxml", "pyarrow")


def reader_hash() -> str:
    """Hex SHA-256 over what a staging file depends on: the configuration files (units, reference lists,
    limits), the code that reading and staging import, and the versions of :data:`READER_LIBRARIES`. A
    staging file made under another reader hash is never used (see :mod:`pipeline.read.staging`)."""
    files = sorted((PROJECT_ROOT / "config").glob("*.yaml")) + validation_sources(READER_MODULES)
    return _digest(files, library_versions(READER_LIBRARIES))


RENDER_MODULES = ("pipeline.render.report", "pipeline.publish.versions")
"""Where rendering a report version starts (the template context, the change section, the .docx's bytes)."""
RENDER_LIBRARIES = ("docxtpl", "python-docx", "jinja2", "lxml", "babel", "matplotlib", "pillow")
"""Distributions whose behaviour decides a rendered report's bytes ("absent" when not installed)."""


def render_code_hash() -> str:
    """Hex SHA-256 over the code that rendering a report imports (followed from :data:`RENDER_MODULES`, as
    :func:`validation_sources`) and the versions of :data:`RENDER_LIBRARIES`. Part of a report version's
    fingerprint (:mod:`pipeline.publish.versions`); the template and the configuration are hashed apart so that a
    version can say which of them changed."""
    return _digest(validation_sources(RENDER_MODULES), library_versions(RENDER_LIBRARIES))


def _digest(files: list[Path], libraries: dict[str, str]) -> str:
    h = hashlib.sha256()
    for f in files:
        data = f.read_bytes()
        h.update(f"{f.relative_to(PROJECT_ROOT).as_posix()}\0{len(data)}\0".encode())
        h.update(data)
    for dist, version in sorted(libraries.items()):
        h.update(f"{dist}=={version}\0".encode())
    return h.hexdigest()
