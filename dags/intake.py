"""
### Tiếp nhận báo cáo — intake of submissions

Every 10 minutes: for each period that has a drop folder `inbox/<period>/`, register every new file in the
ledger (byte-for-byte archive copy, SHA-256, size, arrival, file modification time, version, timeliness),
validate the versions whose validation fingerprint changed, write the annotated workbooks for the units'
staff and refresh the period's status page `reports/<year>/<6T|9T|CN>/trang-thai-<period>.html`.

* **Failures:** a submission with errors does not fail this DAG: its staff read the status page and the
  annotated copy; the periodic report's mapped task for that unit fails.
* **Rerun / back-fill:** safe and cheap. Files already registered are skipped; nothing is validated again
  unless the file, the expectation suites, the configuration or the validation code changed. There is
  nothing to back-fill: each run looks at the drop folders as they are.
* **One at a time:** `take_in` runs in the one-slot pool `intake`, shared with the periodic report's final
  pass `gather` (both fire at 00:00 on a deadline day); the ledger's intake lock serialises them anyway.
* **Personal data:** XCom carries period codes and counts only.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task
from airflow.sdk.exceptions import AirflowFailException

from pipeline.workspace import Workspace


@dag(
    dag_id="intake",
    description="Tiếp nhận, lưu trữ và kiểm tra báo cáo của các đơn vị",
    schedule="*/10 * * * *",
    start_date=dt.datetime(2023, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    # Passing faults (ledger database restarting, network share) are retried: 1-2, then 2-4 minutes later
    # (exponential back-off with Airflow's jitter), within the 10-minute interval. A unit's bad file never fails
    # a task here.
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=1), "retry_exponential_backoff": 2.0,
                  "max_retry_delay": dt.timedelta(minutes=4)},
    tags=["giam-ngheo", "tiep-nhan"],
    doc_md=__doc__,
)
def intake() -> None:
    @task
    def periods() -> list[str]:
        """Periods with a drop folder."""
        from pipeline.intake.inbox import open_periods

        workspace = Workspace.from_environment()
        return open_periods(workspace.config(), workspace.root)

    @task(map_index_template="{{ task.op_kwargs['period'] }}", pool="intake")
    def take_in(period: str) -> dict:
        """Register, archive and validate the period's new files; refresh its status page."""
        from pipeline.config import ConfigError
        from pipeline.orchestrator import intake_period

        workspace = Workspace.from_environment()
        try:
            config = workspace.config()
            return intake_period(config.period(period), config=config, now=workspace.now(), workspace=workspace)
        except ConfigError as exc:  # the configuration, or a data root of another ledger: retrying cannot help
            raise AirflowFailException(str(exc)) from exc

    take_in.expand(period=periods())


intake()
