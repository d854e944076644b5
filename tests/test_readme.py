"""The README stays a short front door and the manual in docs/ holds together: links, make targets, quick start."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MAKEFILE = ROOT / "Makefile"
MANUAL = [README, *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(```|~~~)[^\n]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
MAKE_TARGET = re.compile(r"^[A-Za-z0-9_.-]+(?=\s*:(?!=))", re.MULTILINE)
EXTERNAL = ("http://", "https://", "mailto:")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _code_blocks(text: str) -> list[str]:
    return [m.group(2) for m in FENCE.finditer(text)]


def _links(text: str) -> list[str]:
    """Link targets outside code: fenced blocks and inline code spans are not Markdown links."""
    prose = INLINE_CODE.sub("", FENCE.sub("", text))
    return LINK.findall(prose)


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    plain = INLINE_CODE.sub(lambda m: m.group(0).strip("`"), heading)
    plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", plain)
    return re.sub(r"[^\w\- ]", "", plain.lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_anchor(h) for h in HEADING.findall(FENCE.sub("", _text(path)))}


def test_readme_is_under_8000_bytes():
    """README.md is a short front door: under 8,000 bytes."""
    size = README.stat().st_size
    assert size < 8000, f"README.md is {size} bytes; move detail into docs/"


@pytest.mark.parametrize("doc", MANUAL, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_existing_files(doc: Path):
    """Every relative Markdown link in README.md and docs/*.md names a file (and heading) that exists."""
    broken = []
    for target in _links(_text(doc)):
        if target.startswith(EXTERNAL):
            continue
        path_part, _, anchor = target.partition("#")
        dest = (doc.parent / path_part).resolve() if path_part else doc
        if not dest.exists():
            broken.append(f"{target}: no such file {dest}")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target}: no heading #{anchor} in {dest.name}")
    assert not broken, f"{doc.name}: " + "; ".join(broken)


def test_readme_make_targets_exist():
    """Every `make <target>` in README.md's code blocks is a target defined in the Makefile."""
    defined = set(MAKE_TARGET.findall(_text(MAKEFILE)))
    used = set()
    for block in _code_blocks(_text(README)):
        for line in block.splitlines():
            command = line.split("#", 1)[0].split()
            if command[:1] == ["make"]:
                targets = [word for word in command[1:] if "=" not in word and not word.startswith("-")]
                used.update(targets[:1])
    assert used, "no make command found in README.md's code blocks"
    assert used <= defined, f"not Makefile targets: {sorted(used - defined)}"


def test_readme_opens_with_the_quick_start():
    """README.md's first fenced code block runs `make demo` and then `make test`."""
    blocks = _code_blocks(_text(README))
    assert blocks, "README.md has no fenced code block"
    first = blocks[0]
    assert "make demo" in first and "make test" in first
    assert first.index("make demo") < first.index("make test")


def test_staff_guide_is_nfc():
    """The Vietnamese staff guide is stored in Unicode NFC, as the pipeline compares text."""
    text = _text(ROOT / "docs" / "huong-dan-can-bo.md")
    assert unicodedata.is_normalized("NFC", text)
