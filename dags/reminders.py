"""
### Nhắc hạn báo cáo — reminders before each deadline

Every day at `reminders.send_hour` (local time, `config/ninh_son.yaml`): for each period whose deadline is
`reminders.days_before` days away or nearer (e.g. 7 and 2 days before 05/5), every required unit without a
valid report gets an e-mail in Vietnamese (the period, the deadline, no file received or the errors of the
file received and where its feedback is), and district staff get the list of those units. Sent through
Airflow's SMTP connection `mail.smtp_conn_id` (default `smtp_default`).

* **Day:** the run's logical date (a scheduled run's tick, or the date given to `airflow dags test
  reminders 2023-04-28T08:00:00+07:00`); a manual trigger without one uses the moment it was triggered.
* **Rerun / back-fill:** safe. Each e-mail (period, unit, reminder) is recorded in the ledger before it is
  sent, so a rerun of the same day sends nothing twice; a day missed is made up by the next run (the latest
  reminder due). Catch-up is off: there is nothing to back-fill.
* **Failures:** an e-mail that fails is not recorded; the task fails after sending the others and its retry
  (or the next day's run) sends the failed ones.
* **Personal data:** none: e-mails, logs and XCom carry unit names or codes, counts, dates and paths.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import CronTriggerTimetable, dag, get_current_context, task

from pipeline.workspace import Workspace

CONFIG = Workspace.from_environment().config()  # small YAML file: only the schedule is taken at parse time


@dag(
    dag_id="reminders",
    description="Nhắc hạn gửi báo cáo cho các đơn vị chưa có báo cáo hợp lệ",
    schedule=CronTriggerTimetable(f"0 {CONFIG.reminders.get('send_hour', 8)} * * *", timezone=CONFIG.timezone.key),
    start_date=dt.datetime(2023, 1, 1, tzinfo=CONFIG.timezone),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=10)},
    tags=["giam-ngheo", "nhac-han"],
    doc_md=__doc__,
)
def reminders() -> None:
    @task
    def send_reminders() -> list[dict]:
        """Send the reminders due on the run's day; returns codes and counts per period."""
        from ops.smtp import smtp_sender
        from pipeline.ledger.store import open_ledger
        from pipeline.staff.reminders import send_due_reminders

        workspace = Workspace.from_environment()
        config = workspace.config()
        context = get_current_context()  # the run's day: its logical date, or when it was triggered (none)
        when = context.get("logical_date") or context["dag_run"].run_after
        return send_due_reminders(config=config, ledger=open_ledger(workspace), send=smtp_sender(config), now=when,
                                  root=workspace.root)

    send_reminders()


reminders()
