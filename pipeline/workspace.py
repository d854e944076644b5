"""Where a run works: the data root, the ledger's database, the configuration file and the clock.

Each DAG task and each command builds one :class:`Workspace` (:meth:`Workspace.from_environment`) and passes
it down; the steps below the orchestrator get what they need of it (the data root as a path, the ledger as an
object), never the environment. This module is the one place that reads the pipeline's environment variables:

===========================  ==============================================================================
``PIPELINE_DATA_DIR``        the data root (``inbox/``, ``archive/``, ``work/``, ``reports/``…); default the
                             project folder
``PIPELINE_CONFIG``          the configuration file; default ``config/ninh_son.yaml``
``PIPELINE_LEDGER_URL``      the ledger's SQLAlchemy URL (PostgreSQL in production); default a SQLite file
                             ``work/ledger.sqlite`` under the data root
``PIPELINE_PDF``             ``0`` (or ``no``, ``false``): publish reports without their PDF (a machine
                             without LibreOffice, or a quick test run); default: a PDF beside each report
``PIPELINE_SHARE_GROUP``     a group that may read the owner-only files (:func:`setting`, used by
                             :mod:`pipeline.files`)
``PIPELINE_CRASH_AT``        a crash point for the crash tests (:func:`setting`, used by :mod:`pipeline.files`)
===========================  ==============================================================================
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import DEFAULT_CONFIG, PROJECT_ROOT, Config, load_config
from pipeline.paths import ledger_file

DATA_DIR = "PIPELINE_DATA_DIR"
CONFIG = "PIPELINE_CONFIG"
LEDGER_URL = "PIPELINE_LEDGER_URL"
SHARE_GROUP = "PIPELINE_SHARE_GROUP"
CRASH_AT = "PIPELINE_CRASH_AT"
PDF = "PIPELINE_PDF"


def utc_now() -> dt.datetime:
    """The current time, aware, in UTC (the default clock)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Workspace:
    """One run's place and clock.

    ``root``: the data root (absolute). ``ledger_url``: the ledger's SQLAlchemy URL, or None for the SQLite
    file ``work/ledger.sqlite`` under ``root`` (:meth:`database_url`). A data root serves one ledger: the first
    one opened for it is recorded under it and any other refused (:func:`pipeline.ledger.store.open_ledger`).
    ``config_path``: the configuration file.
    ``clock``: returns the current aware time (tests give a fixed one). ``pdf``: whether a published report
    gets its PDF beside it (LibreOffice, about 2 s a report).
    """

    root: Path
    ledger_url: str | None = None
    config_path: Path = DEFAULT_CONFIG
    clock: Callable[[], dt.datetime] = field(default=utc_now, compare=False, repr=False)
    pdf: bool = True

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, *, root: Path | None = None,
                         clock: Callable[[], dt.datetime] = utc_now) -> Workspace:
        """The workspace the environment names (see the module's table); ``root`` replaces
        ``PIPELINE_DATA_DIR`` (a test's or a back-fill's own data root)."""
        env = os.environ if environ is None else environ
        where = root if root is not None else Path(env.get(DATA_DIR) or PROJECT_ROOT)
        return cls(root=Path(where).resolve(), ledger_url=env.get(LEDGER_URL) or None,
                   config_path=Path(env.get(CONFIG) or DEFAULT_CONFIG), clock=clock,
                   pdf=env.get(PDF, "").strip().lower() not in ("0", "no", "false"))

    def now(self) -> dt.datetime:
        """The current time by this workspace's clock (aware)."""
        return self.clock()

    def config(self) -> Config:
        """The configuration at :attr:`config_path`, checked (cached per file).

        Raises:
            pipeline.config.ConfigError: the file is missing or invalid.
        """
        return load_config(self.config_path)

    def database_url(self) -> str:
        """The ledger's URL: :attr:`ledger_url`, or ``sqlite:///<root>/work/ledger.sqlite``."""
        return self.ledger_url or f"sqlite:///{ledger_file(self.root)}"


def setting(name: str) -> str:
    """A process-wide setting from the environment (``PIPELINE_SHARE_GROUP``, ``PIPELINE_CRASH_AT``): its
    value stripped, "" when unset. Read at each call, so a test's process can set it."""
    return os.environ.get(name, "").strip()
