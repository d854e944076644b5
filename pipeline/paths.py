"""Every path the pipeline reads or writes under the data root, built in one place.

The data root is the ``root`` every function here is given: the workspace's (:class:`pipeline.workspace.
Workspace`, from ``PIPELINE_DATA_DIR``, default the project folder), or a test's own folder. Layout::

    inbox/<period>/                                 files dropped by units (read, never changed)
    archive/<period>/<sha256>.<ext>                 byte-for-byte copies, read-only (0400)
    work/ledger.sqlite                              the ledger (SQLite default)
    work/so-tiep-nhan.json                          the ledger this data root belongs to (recorded on first use)
    work/<period>/findings/<sha256>.json            findings of one version
    work/<period>/results/<sha256>.json             Great Expectations' complete results (owner-only)
    work/<period>/results/<sha256>.counts.json      the same scrubbed to counts (for Data Docs)
    work/<period>/frames/<sha256>-<reader hash>/    staged frames of one version
    work/<period>/intake-skipped.json               files the intake did not take in, with the reason
    work/<period>/aggregates.json                   every figure of the report
    work/<period>/staging/<report name>             the report before it is published
    feedback/<period>/<unit>/v<N>-<sha8>-gop-y.xlsx annotated copy for the unit
    reports/<year>/<6T|9T|CN>/v<N>/                 version N of the report, published as one folder:
        bao-cao-<period>.docx                       the report (owner-only)
        bao-cao-<period>-phu-luc.xlsx               its annex tables as a workbook (owner-only)
        bao-cao-<period>-ky-thuat.docx              its technical annex for district staff: receipt, timeliness,
                                                    validation, files and hashes (not part of the signed copy)
        bao-cao-<period>.pdf                        its PDF (derived, not part of the version's identity)
        tong-hop-<period>.json                      the aggregates it was rendered from (owner-only)
        phien-ban.json                              its manifest: number, fingerprint, files' SHA-256
    reports/<year>/<6T|9T|CN>/versions.json         index of the versions (rebuilt from the manifests)
    reports/<year>/<6T|9T|CN>/hien-hanh             symbolic link to the latest version's folder
    reports/<year>/<6T|9T|CN>/trang-thai-<period>.html  the status page
    reports/<year>/<6T|9T|CN>/data-docs/index.html  the technical view: validation results, hashes
    delivered/<period>/v<N>/                        the approved report as delivered, owner-only: the
                                                    full report (with the household annex) and the e-mailed
                                                    copy without it (.docx, .pdf)

Light module (no pandas, no GX): the DAG files may import it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.config import Period


def data_root(root: Path) -> Path:
    """The data root ``root`` itself (the one function every other path here starts from).

    Raises:
        TypeError: ``root`` is not a path (None: the environment is never asked here).
    """
    if not isinstance(root, Path):
        raise TypeError(f"the data root must be a Path, not {type(root).__name__}")
    return root


def inbox_dir(period: Period | None, root: Path) -> Path:
    """``inbox/`` (all periods) or ``inbox/<period>/``."""
    base = data_root(root) / "inbox"
    return base / period.code if period is not None else base


def archive_dir(root: Path) -> Path:
    """``archive/`` (one folder per period code below it)."""
    return data_root(root) / "archive"


def archive_period_dir(period_code: str, root: Path) -> Path:
    """``archive/<period>/``."""
    return archive_dir(root) / period_code


def ledger_file(root: Path) -> Path:
    """``work/ledger.sqlite``: the embedded ledger database."""
    return data_root(root) / "work" / "ledger.sqlite"


def ledger_record_path(root: Path) -> Path:
    """``work/so-tiep-nhan.json``: the ledger the data root belongs to, its URL without credentials, recorded when
    a ledger is first opened for the root (:func:`pipeline.ledger.store.open_ledger`)."""
    return data_root(root) / "work" / "so-tiep-nhan.json"


def work_root(root: Path) -> Path:
    """``work/``: everything derived, owner-only (findings, results, frames, aggregates hold personal data)."""
    return data_root(root) / "work"


def work_dir(period: Period, root: Path) -> Path:
    """``work/<period>/``."""
    return work_root(root) / period.code


def findings_path(period: Period, sha256: str, root: Path) -> Path:
    """``work/<period>/findings/<sha256>.json``."""
    return work_dir(period, root) / "findings" / f"{sha256}.json"


def results_path(period: Period, sha256: str, root: Path) -> Path:
    """``work/<period>/results/<sha256>.json``: complete validation results (with cell values)."""
    return work_dir(period, root) / "results" / f"{sha256}.json"


def counts_path(period: Period, sha256: str, root: Path) -> Path:
    """``work/<period>/results/<sha256>.counts.json``: the results scrubbed to counts."""
    return work_dir(period, root) / "results" / f"{sha256}.counts.json"


def frames_path(period: Period, sha256: str, reader: str, root: Path) -> Path:
    """``work/<period>/frames/<sha256>-<reader hash, 16 hex>/``: the staged frames of one version."""
    return work_dir(period, root) / "frames" / f"{sha256}-{reader[:16]}"


def skipped_path(period: Period, root: Path) -> Path:
    """``work/<period>/intake-skipped.json``."""
    return work_dir(period, root) / "intake-skipped.json"


def aggregates_path(period: Period, root: Path) -> Path:
    """``work/<period>/aggregates.json``."""
    return work_dir(period, root) / "aggregates.json"


def report_dir(period: Period, root: Path) -> Path:
    """``reports/<year>/<6T|9T|CN>/``."""
    return data_root(root) / "reports" / str(period.year) / period.folder


def report_name(period: Period) -> str:
    """``bao-cao-<period>.docx``: the report's file name, the same in every version."""
    return f"bao-cao-{period.code}.docx"


def version_dir(period: Period, number: int, root: Path) -> Path:
    """``reports/<year>/<6T|9T|CN>/v<N>/``: the folder of version ``number`` (1, 2, …) of the report."""
    if number < 1:
        raise ValueError(f"version numbers start at 1: {number}")
    return report_dir(period, root) / f"v{number}"


def report_path(period: Period, root: Path, *, version: int) -> Path:
    """``reports/<year>/<6T|9T|CN>/v<N>/bao-cao-<period>.docx``: the report of version ``version``."""
    return version_dir(period, version, root) / report_name(period)


def version_aggregates_path(period: Period, number: int, root: Path) -> Path:
    """``reports/<year>/<6T|9T|CN>/v<N>/tong-hop-<period>.json``: the aggregates version N was rendered from."""
    return version_dir(period, number, root) / f"tong-hop-{period.code}.json"


def version_manifest_path(period: Period, number: int, root: Path) -> Path:
    """``reports/<year>/<6T|9T|CN>/v<N>/phien-ban.json``: version N's manifest."""
    return version_dir(period, number, root) / "phien-ban.json"


def versions_index_path(period: Period, root: Path) -> Path:
    """``reports/<year>/<6T|9T|CN>/versions.json``: the index of the report's versions."""
    return report_dir(period, root) / "versions.json"


def current_version_link(period: Period, root: Path) -> Path:
    """``reports/<year>/<6T|9T|CN>/hien-hanh``: symbolic link to the latest version's folder."""
    return report_dir(period, root) / "hien-hanh"


def versions_lock_path(period: Period, root: Path) -> Path:
    """``reports/<year>/<6T|9T|CN>/.versions.lock``: held while a version is numbered and published."""
    return report_dir(period, root) / ".versions.lock"


def report_staging_path(period: Period, root: Path) -> Path:
    """``work/<period>/staging/bao-cao-<period>.docx``: the report built and audited before publishing."""
    return work_dir(period, root) / "staging" / report_name(period)


def annex_workbook_name(period: Period) -> str:
    """``bao-cao-<period>-phu-luc.xlsx``: the annex workbook's file name, the same in every version."""
    return f"bao-cao-{period.code}-phu-luc.xlsx"


def annex_workbook_staging_path(period: Period, root: Path) -> Path:
    """``work/<period>/staging/bao-cao-<period>-phu-luc.xlsx``: the annex workbook before it is published."""
    return report_staging_path(period, root).with_name(annex_workbook_name(period))


def technical_annex_name(period: Period) -> str:
    """``bao-cao-<period>-ky-thuat.docx``: the technical annex kept beside the report (receipt, timeliness,
    validation, files and their SHA-256), the same name in every version."""
    return f"bao-cao-{period.code}-ky-thuat.docx"


def technical_annex_staging_path(period: Period, root: Path) -> Path:
    """``work/<period>/staging/bao-cao-<period>-ky-thuat.docx``: the technical annex before it is published."""
    return report_staging_path(period, root).with_name(technical_annex_name(period))


def status_page_path(period: Period, root: Path) -> Path:
    """``reports/<year>/<6T|9T|CN>/trang-thai-<period>.html``."""
    return report_dir(period, root) / f"trang-thai-{period.code}.html"


def data_docs_dir(period: Period, root: Path) -> Path:
    """``reports/<year>/<6T|9T|CN>/data-docs/``."""
    return report_dir(period, root) / "data-docs"


def data_docs_index_path(period: Period, root: Path) -> Path:
    """``reports/<year>/<6T|9T|CN>/data-docs/index.html``: the technical view's page (validation results, hashes)."""
    return data_docs_dir(period, root) / "index.html"


UNATTRIBUTED_FOLDER = "khong-xac-dinh"  # feedback/<period>/ folder of the files no unit's code could be read in


def shown_path(path: Path, root: Path) -> str:
    """``path`` as mails name it: relative to the data root when under it (``feedback/2023-6T/…``), else whole."""
    try:
        return str(path.relative_to(data_root(root)))
    except ValueError:
        return str(path)


def feedback_path(version: Any, period: Period, root: Path) -> Path:
    """``feedback/<period>/<unit or khong-xac-dinh>/v<N>-<sha256[:8]>-gop-y.xlsx`` for a ledger version."""
    unit = version.unit_code or UNATTRIBUTED_FOLDER
    number = f"v{version.version}" if version.version else "v0"
    return data_root(root) / "feedback" / period.code / unit / f"{number}-{version.sha256[:8]}-gop-y.xlsx"


def delivered_dir(period: Period, version: int, root: Path) -> Path:
    """``delivered/<period>/v<N>/``: the archive of an approved report version as delivered (owner-only)."""
    return data_root(root) / "delivered" / period.code / f"v{version}"
