"""pipeline.render.pdf without LibreOffice: a missing, failing or hanging converter gives a Vietnamese message, the
render publishes the .docx without a PDF (a warning logged) and never leaves an older report's PDF beside it."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from pipeline.render import pdf


def _fake(tmp_path: Path, body: str) -> str:
    """An executable standing in for soffice."""
    path = tmp_path / "bin" / "soffice"
    path.parent.mkdir(exist_ok=True)
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    path.chmod(0o755)
    return str(path)


def test_missing_libreoffice(tmp_path, monkeypatch):
    """No soffice on PATH: find_soffice gives None and to_pdf raises PdfError saying LibreOffice is not installed."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert pdf.find_soffice() is None
    with pytest.raises(pdf.PdfError, match=r"^Không tạo được bản PDF của báo cáo: máy chưa cài LibreOffice"):
        pdf.to_pdf(tmp_path / "r.docx", tmp_path)


def test_failing_converter_message_quotes_its_output(tmp_path):
    """A converter that exits 1 printing an error: the PdfError names the .docx and the exit code and quotes what
    LibreOffice said; no PDF is left."""
    soffice = _fake(tmp_path, 'echo "Error: source file could not be loaded"; exit 1')
    with pytest.raises(pdf.PdfError) as info:
        pdf.to_pdf(tmp_path / "bao-cao-2023-6T.docx", tmp_path / "out", soffice=soffice)
    assert str(info.value) == ("Không tạo được bản PDF của báo cáo bao-cao-2023-6T.docx: LibreOffice kết thúc với "
                               "mã 1 mà không ghi ra tệp PDF. LibreOffice báo: Error: source file could not be loaded")
    assert not (tmp_path / "out" / "bao-cao-2023-6T.pdf").exists()


def test_converter_writing_no_pdf_is_a_failure(tmp_path):
    """A converter that exits 0 without writing a PDF is a failure too: PdfError with "mã 0 mà không ghi ra tệp PDF"."""
    soffice = _fake(tmp_path, "exit 0")
    with pytest.raises(pdf.PdfError, match="mã 0 mà không ghi ra tệp PDF"):
        pdf.to_pdf(tmp_path / "r.docx", tmp_path, soffice=soffice)


def test_hanging_converter_is_killed_with_its_children(tmp_path):
    """After the time limit the converter's whole process group is killed (a child it started included)."""
    marker = tmp_path / "child.pid"
    soffice = _fake(tmp_path, f"sleep 60 & echo $! > {marker}; wait")
    start = time.monotonic()
    with pytest.raises(pdf.PdfError, match=r"LibreOffice chạy quá 1 giây nên đã bị dừng"):
        pdf.to_pdf(tmp_path / "r.docx", tmp_path, soffice=soffice, timeout=1)
    assert time.monotonic() - start < 20
    child = int(marker.read_text())
    time.sleep(0.2)
    stat = Path(f"/proc/{child}/stat")
    # gone, or a zombie waiting for its new parent to reap it: no longer running
    assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_converter_arguments_and_own_profile(tmp_path):
    """soffice is called headless, converting to PDF into a folder of its own, with a temporary profile."""
    args = tmp_path / "args"
    soffice = _fake(tmp_path, f'printf "%s\\n" "$@" > {args}\n'
                              'dir=""; prev=""; for a; do [ "$prev" = "--outdir" ] && dir=$a; prev=$a; done\n'
                              'mkdir -p "$dir"; printf "%%PDF-1.7 fake" > "$dir/r.pdf"')
    made = pdf.to_pdf(tmp_path / "r.docx", tmp_path / "out", soffice=soffice)
    assert made == tmp_path / "out" / "r.pdf" and made.read_bytes() == b"%PDF-1.7 fake"
    called = args.read_text(encoding="utf-8").splitlines()
    assert called[:1] == ["--headless"] and called[called.index("--convert-to") + 1] == "pdf"
    profile = next(a for a in called if a.startswith("-env:UserInstallation=file://"))
    assert not Path(profile.removeprefix("-env:UserInstallation=file://")).exists()  # removed afterwards
    assert called[-1] == str((tmp_path / "r.docx").resolve())


def test_failed_conversion_publishes_the_report_without_a_stale_pdf(tmp_path, monkeypatch, caplog, config):
    """A failing converter: the staged PDF of an earlier render is removed, a warning names the reason, and the
    version is published with its .docx and no PDF (its folder is new: no PDF of an earlier report in it)."""
    from pipeline.publish.versions import publish_version

    monkeypatch.setenv("PATH", str(Path(_fake(tmp_path, "exit 3")).parent) + os.pathsep + "/usr/bin:/bin")
    period = config.period("2023-6T")
    staged = tmp_path / "work" / "2023-6T" / "staging" / "bao-cao-2023-6T.docx"
    staged.parent.mkdir(parents=True)
    staged.write_bytes(b"PK docx")
    staged.with_suffix(".pdf").write_bytes(b"%PDF- old staged")
    with caplog.at_level(logging.WARNING, logger="pipeline.render.pdf"):
        assert pdf.stage_pdf(staged) is None
    assert "LibreOffice kết thúc với mã 3" in caplog.text
    assert not staged.with_suffix(".pdf").exists()
    folder = publish_version(period, 1, {"bao-cao-2023-6T.docx": staged}, aggregates={}, manifest={},
                             root=tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["bao-cao-2023-6T.docx", "phien-ban.json",
                                                        "tong-hop-2023-6T.json"]


def test_staged_pdf_is_published_owner_only(tmp_path, config):
    """A version's PDF is published in its folder with the .docx, owner-only, recorded as derived."""
    import json

    from pipeline.publish.versions import publish_version

    staged = tmp_path / "staging" / "bao-cao-2023-6T.docx"
    staged.parent.mkdir()
    staged.write_bytes(b"PK docx")
    staged.with_suffix(".pdf").write_bytes(b"%PDF- new")
    folder = publish_version(config.period("2023-6T"), 1, {"bao-cao-2023-6T.docx": staged},
                             derived={"bao-cao-2023-6T.pdf": staged.with_suffix(".pdf")}, aggregates={},
                             manifest={}, root=tmp_path)
    out = folder / "bao-cao-2023-6T.pdf"
    assert out.read_bytes() == b"%PDF- new" and out.stat().st_mode & 0o777 == 0o600
    manifest = json.loads((folder / "phien-ban.json").read_text(encoding="utf-8"))
    assert list(manifest["derived"]) == ["bao-cao-2023-6T.pdf"] and list(manifest["files"]) == [
        "bao-cao-2023-6T.docx"]
