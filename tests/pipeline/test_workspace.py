"""Where a run works (pipeline/workspace.py): the workspace the environment names, its ledger URL, configuration and
clock, and the process-wide settings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipeline.config import DEFAULT_CONFIG, PROJECT_ROOT, ConfigError, load_config
from pipeline.workspace import Workspace, setting, utc_now

FIXED = dt.datetime(2023, 5, 4, 17, 0, tzinfo=dt.UTC)


def test_an_empty_environment_names_the_project_folder_and_its_defaults():
    """No variable set: the data root is the project folder, the ledger the SQLite file under it, the default
    configuration file, a PDF with each report."""
    ws = Workspace.from_environment({})
    assert ws == Workspace(root=PROJECT_ROOT.resolve(), ledger_url=None, config_path=DEFAULT_CONFIG, pdf=True)
    assert ws.database_url() == f"sqlite:///{PROJECT_ROOT.resolve()}/work/ledger.sqlite"


def test_the_environment_names_root_ledger_configuration_and_pdf(tmp_path):
    """PIPELINE_DATA_DIR (made absolute), PIPELINE_LEDGER_URL, PIPELINE_CONFIG and PIPELINE_PDF=0 are taken."""
    env = {"PIPELINE_DATA_DIR": str(tmp_path / "data" / ".." / "data"),
           "PIPELINE_LEDGER_URL": "postgresql+psycopg://pipeline@127.0.0.1/ledger",
           "PIPELINE_CONFIG": "/etc/pipeline/ninh_son.yaml", "PIPELINE_PDF": " 0 "}
    ws = Workspace.from_environment(env)
    assert (ws.root, ws.ledger_url, ws.config_path, ws.pdf) == (
        (tmp_path / "data").resolve(), "postgresql+psycopg://pipeline@127.0.0.1/ledger",
        Path("/etc/pipeline/ninh_son.yaml"), False)
    assert ws.database_url() == "postgresql+psycopg://pipeline@127.0.0.1/ledger"


@pytest.mark.parametrize(("value", "pdf"), [("no", False), ("FALSE", False), ("1", True), ("yes", True), ("", True)])
def test_pipeline_pdf_is_off_only_for_0_no_false(value, pdf):
    """PIPELINE_PDF turns the PDF off for "0", "no" or "false" in any case; any other value keeps it."""
    assert Workspace.from_environment({"PIPELINE_PDF": value}).pdf is pdf


def test_root_argument_replaces_the_data_dir_and_empty_values_are_unset(tmp_path):
    """A ``root`` given wins over PIPELINE_DATA_DIR; an empty ledger URL or configuration means the default."""
    env = {"PIPELINE_DATA_DIR": "/srv/elsewhere", "PIPELINE_LEDGER_URL": "", "PIPELINE_CONFIG": ""}
    ws = Workspace.from_environment(env, root=tmp_path)
    assert (ws.root, ws.ledger_url, ws.config_path) == (tmp_path.resolve(), None, DEFAULT_CONFIG)
    assert ws.database_url() == f"sqlite:///{tmp_path.resolve()}/work/ledger.sqlite"


def test_without_a_mapping_the_process_environment_is_read(tmp_path, monkeypatch):
    """``environ`` None reads os.environ at the call."""
    monkeypatch.setenv("PIPELINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PIPELINE_LEDGER_URL", f"sqlite:///{tmp_path / 'other.sqlite'}")
    ws = Workspace.from_environment()
    assert (ws.root, ws.database_url()) == (tmp_path.resolve(), f"sqlite:///{tmp_path / 'other.sqlite'}")


def test_the_clock_is_the_workspaces_and_not_part_of_its_identity(tmp_path):
    """now() asks the given clock; two workspaces differing only in their clocks are equal."""
    ws = Workspace.from_environment({}, root=tmp_path, clock=lambda: FIXED)
    assert ws.now() == FIXED
    assert ws == Workspace.from_environment({}, root=tmp_path)


def test_the_default_clock_is_aware_utc():
    """utc_now gives the current time in UTC, aware."""
    before = dt.datetime.now(dt.UTC)
    now = utc_now()
    assert now.tzinfo is dt.UTC and before <= now <= dt.datetime.now(dt.UTC)


def test_config_is_loaded_once_per_file(tmp_path):
    """The default configuration file gives the one cached configuration of that file; a missing file is a
    ConfigError."""
    loaded = Workspace.from_environment({}, root=tmp_path).config()
    assert loaded is load_config(DEFAULT_CONFIG)
    assert loaded.locality["district"] == "Ninh Sơn"
    missing = Workspace.from_environment({"PIPELINE_CONFIG": str(tmp_path / "none.yaml")}, root=tmp_path)
    with pytest.raises(ConfigError):
        missing.config()


def test_setting_is_read_stripped_at_each_call(monkeypatch):
    """setting() gives the variable stripped, "" when unset, and sees a change made after import."""
    monkeypatch.delenv("PIPELINE_CRASH_AT", raising=False)
    assert setting("PIPELINE_CRASH_AT") == ""
    monkeypatch.setenv("PIPELINE_CRASH_AT", "  validate\n")
    assert setting("PIPELINE_CRASH_AT") == "validate"
