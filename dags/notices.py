"""
### Báo kết quả kiểm tra — word back to the units

Every few minutes (`*/5`, local time): each version validated since the last run — sent from the upload page,
dropped in the folder or registered with `python -m pipeline receive` — gets one e-mail to its unit's
`mail.unit_addresses`: valid, or how many errors and where to read them (the annotated copy, the upload page).
Sent through Airflow's SMTP connection `mail.smtp_conn_id` (default `smtp_default`).

* **Rerun / back-fill:** safe. Validation queues one notice per version in the ledger; each is claimed before
  it is sent, so a rerun or two runs at once never send it twice. Catch-up is off: the next run sends whatever
  waits.
* **Failures:** a notice whose e-mail fails waits again; the task fails after sending the others, and its retry
  (or the next run) sends it.
* **Personal data:** none: e-mails, logs and XCom carry unit names or codes, counts, times and paths.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import CronTriggerTimetable, dag, task

from pipeline.workspace import Workspace

CONFIG = Workspace.from_environment().config()  # small YAML file: only the time zone is taken at parse time


@dag(
    dag_id="notices",
    description="Báo kết quả kiểm tra báo cáo cho đơn vị đã gửi",
    schedule=CronTriggerTimetable("*/5 * * * *", timezone=CONFIG.timezone.key),
    start_date=dt.datetime(2023, 1, 1, tzinfo=CONFIG.timezone),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=5)},
    tags=["giam-ngheo", "bao-ket-qua"],
    doc_md=__doc__,
)
def notices() -> None:
    @task
    def send_notices() -> dict[str, int]:
        """Send the notices waiting in the ledger; returns counts only."""
        from ops.smtp import smtp_sender
        from pipeline.ledger.store import open_ledger
        from pipeline.staff.notices import send_pending_notices

        workspace = Workspace.from_environment()
        config = workspace.config()
        result = send_pending_notices(config=config, ledger=open_ledger(workspace), send=smtp_sender(config),
                                      now=dt.datetime.now(dt.UTC), root=workspace.root)
        return {key: len(ids) for key, ids in result.items()}

    send_notices()


notices()
