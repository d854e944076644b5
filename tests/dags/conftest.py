"""Fixtures of the DAG tests: the DAG folder parsed once by Airflow."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def dagbag(tmp_path_factory):
    """Airflow's DagBag of the project's dags/ folder (parsed once for every DAG test)."""
    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("af")))
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))
