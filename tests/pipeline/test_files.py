"""Atomic publishing: the published path holds the old or the new bytes, modes whatever the umask, and the
temporaries of killed writers are swept once they are old."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from pipeline import files as publish


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_failed_write_leaves_the_old_file(tmp_path):
    """A writer failing inside atomic_path leaves the old bytes at the target and no temporary file beside it."""
    target = tmp_path / "bao-cao.docx"
    publish.write_bytes(target, b"old")
    with pytest.raises(RuntimeError), publish.atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["bao-cao.docx"]


def test_private_file_in_a_public_folder(tmp_path):
    """Under umask 022: a private copy into a public folder is 0600 in a 0755 folder; a private write creates its
    folders 0700 and the file 0600."""
    old = os.umask(0o022)
    try:
        report = publish.copy_file(publish.write_text(tmp_path / "src.txt", "x"), tmp_path / "r" / "a.docx",
                                   private=True, private_dir=False)
        roster = publish.write_text(tmp_path / "feedback" / "u" / "a.xlsx", "x", private=True)
    finally:
        os.umask(old)
    assert (_mode(report), _mode(report.parent)) == (0o600, 0o755)
    assert (_mode(roster), _mode(roster.parent), _mode(roster.parent.parent)) == (0o600, 0o700, 0o700)


def test_folder_switch_keeps_one_site(tmp_path):
    """Publishing a folder twice with atomic_dir: the link shows the second build and only one build folder remains."""
    for text in ("v1", "v2"):
        with publish.atomic_dir(tmp_path / "data-docs") as build:
            (build / "index.html").write_text(text)
    assert (tmp_path / "data-docs" / "index.html").read_text() == "v2"
    assert len([p for p in tmp_path.iterdir() if p.is_dir() and not p.is_symlink()]) == 1


def test_sweep_removes_only_old_hidden_temporaries(tmp_path):
    """sweep_stale removes a hidden .tmp file and a hidden build folder older than 6 hours; it keeps a fresh temporary,
    the published file and the old build the site's link points to."""
    with publish.atomic_dir(tmp_path / "data-docs") as build:
        (build / "index.html").write_text("site")
    live_site = os.readlink(tmp_path / "data-docs")
    (tmp_path / "bao-cao.docx").write_bytes(b"published")
    (tmp_path / ".bao-cao.docx.abc.tmp").write_bytes(b"partial")
    (tmp_path / ".data-docs.xyz").mkdir()
    (tmp_path / ".fresh.docx.def.tmp").write_bytes(b"being written")
    old = time.time() - 7 * 3600
    for name in (".bao-cao.docx.abc.tmp", ".data-docs.xyz", live_site, "bao-cao.docx"):
        os.utime(tmp_path / name, (old, old))
    assert publish.sweep_stale(tmp_path) == [".bao-cao.docx.abc.tmp", ".data-docs.xyz"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".fresh.docx.def.tmp", "bao-cao.docx", "data-docs", live_site])
    assert (tmp_path / "data-docs" / "index.html").read_text() == "site"


def test_same_document_ignores_only_an_idle_preserve(tmp_path):
    """Two .docx whose runs differ only by xml:space="preserve" on text without edge spaces say the same; on a
    text with a leading space, or with other words, or with another part, they do not."""
    import zipfile

    from pipeline.files import same_document

    def docx(name: str, body: bytes, extra: dict[str, bytes] | None = None) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("word/document.xml", b"<w:p><w:r>" + body + b"</w:r></w:p>")
            for part, data in (extra or {}).items():
                z.writestr(part, data)
        return path

    plain = docx("a.docx", "<w:t>toàn huyện</w:t>".encode())
    assert same_document(plain, docx("b.docx", '<w:t xml:space="preserve">toàn huyện</w:t>'.encode()))
    assert not same_document(docx("c.docx", "<w:t> toàn huyện</w:t>".encode()),
                             docx("d.docx", '<w:t xml:space="preserve"> toàn huyện</w:t>'.encode()))
    assert not same_document(plain, docx("e.docx", "<w:t>toàn tỉnh</w:t>".encode()))
    assert not same_document(plain, docx("f.docx", "<w:t>toàn huyện</w:t>".encode(), {"word/footer1.xml": b"<f/>"}))
    text = tmp_path / "x.txt"
    text.write_text("toàn huyện", encoding="utf-8")
    assert same_document(text, text) and not same_document(text, plain)
