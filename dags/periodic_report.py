"""
### Báo cáo định kỳ giảm nghèo hộ có người có công — periodic report

Compiles the communes' submissions of one reporting period into the Labour office's report to the
district People's Committee: **gather → validate (one mapped task per submission) → data_docs, aggregate →
status_page, render**.

* **Schedule:** at 00:00 (Asia/Ho_Chi_Minh) of each deadline in `config/ninh_son.yaml` — 05/5, 05/8, 05/11.
  Catch-up is off.
* **Period:** the Param `period` (`YYYY-6T`, `YYYY-9T`, `YYYY-CN`); when empty, the latest period whose
  deadline has passed at the run's `run_after` and that has configured units (manual runs have no
  `logical_date`, so it is never used). A requested period with no configured unit fails `resolve_period`
  with a Vietnamese message.
* **Inputs:** files dropped in `inbox/<period>/`. A configured unit with no file is reported missing.
* **Failures:** a submission with errors fails its own mapped `validate` task at once (no retries); its
  findings file says why; a file whose reading or checking crashes (a system error, never the unit's
  fault) fails its task too, with "lỗi hệ thống — cán bộ huyện đã được báo" and the exception's type; the
  traceback (no cell value) is in the task log, and the report names that version as not validated.
  `aggregate`, `status_page` and `data_docs` run whatever the validations did (`all_done`: the status page
  and Data Docs are there to report failed validations) and learn of invalid units from the findings and
  results files — but only after a complete final intake pass: `gather` is a *setup* task, so when it
  fails (ledger unreachable, inbox unreadable, …) Airflow marks every task after it `upstream_failed`
  whatever its trigger rule; nothing is published, the previous report, status page and Data Docs stay,
  and the run fails with `gather`'s message naming the step (and the file, when one is to blame). A refused
  inbox folder or a data root that belongs to another ledger fails `gather` at once, without its retry: a
  setting must change. The final pass waits for files first seen by the deadline and still being copied
  (`intake.incomplete_wait_minutes`; `gather`'s time limit is that wait plus 20 minutes).
  `render` runs on a successful `aggregate` and publishes the report; a failed `status_page` or
  `data_docs` fails the run but keeps the report.
* **Reads:** only `validate` opens the archived workbooks, once per version (its results are kept:
  findings, GX's results complete and scrubbed to counts, the annotated copy); `status_page` reads the
  ledger and findings files, `data_docs` the scrubbed results (the site is built once per run),
  `aggregate` the valid versions, `render` `aggregates.json` alone.
* **Rerun / back-fill:** safe. Every task overwrites its own outputs under `work/<period>/` and
  `reports/<year>/<6T|9T|CN>/`, except the report: the same inputs re-use its latest version, new ones make the
  next version `v<N>/` beside the older ones (never overwritten). Back-fill an old period by triggering with its
  `period` Param.
* **Outputs:** the report's version `v<N>/bao-cao-<period>.docx` (`render`), the status page
  `trang-thai-<period>.html` (`status_page`) and the technical view `data-docs/index.html` (`data_docs`) in
  `reports/<year>/<6T|9T|CN>/`.
* **Personal data:** XCom carries paths, hashes, unit codes and counts only; the task logs list findings with
  personal values hidden.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from airflow.sdk import CronTriggerTimetable, Param, TriggerRule, dag, get_current_context, setup, task
from airflow.sdk.exceptions import AirflowFailException

from pipeline.workspace import Workspace

CONFIG = Workspace.from_environment().config()  # small YAML file: only the schedule is taken at parse time


@dag(
    dag_id="periodic_report",
    description="Báo cáo định kỳ kết quả giảm nghèo hộ có người có công (6 tháng, 9 tháng, cả năm)",
    schedule=CronTriggerTimetable(CONFIG.schedule_cron(), timezone=CONFIG.timezone.key),
    start_date=dt.datetime(2023, 1, 1, tzinfo=CONFIG.timezone),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": dt.timedelta(minutes=5)},
    params={
        "period": Param(
            "",
            type="string",
            pattern=r"^(\d{4}-(6T|9T|CN))?$",
            title="Kỳ báo cáo",
            description="YYYY-6T, YYYY-9T hoặc YYYY-CN; để trống: kỳ gần nhất đã đến hạn.",
        )
    },
    tags=["giam-ngheo", "bao-cao-dinh-ky"],
    doc_md=__doc__,
)
def periodic_report() -> None:
    @task
    def resolve_period() -> str:
        """The period code from the Param, else the latest due period that has units (pipeline.orchestrator)."""
        from pipeline.config import ConfigError
        from pipeline.orchestrator import resolve_period as resolve

        context = get_current_context()
        try:
            config = Workspace.from_environment().config()
            return resolve(config, context["params"].get("period"), context["dag_run"].run_after).code
        except ConfigError as exc:  # a wrong Param or configuration: retrying cannot help
            raise AirflowFailException(str(exc)) from exc

    # A setup task: if it fails, every task after it (status_page, data_docs, aggregate and render included,
    # whatever their trigger rule) is upstream_failed, so nothing is made from an incomplete ledger. One retry
    # 30 s to 1 minute later (Airflow's back-off adds up to 100 % jitter) for a passing fault (database restart,
    # network share); the delay doubles per retry, capped at 10 minutes, should more retries be configured.
    # The pool "intake" has one slot, shared with the intake DAG: one intake pass at a time. The final pass may
    # wait for files still being copied at the deadline (intake.incomplete_wait_minutes): its time limit is
    # that wait plus 20 minutes.
    @setup
    @task(retries=1, retry_delay=dt.timedelta(seconds=30), retry_exponential_backoff=2.0,
          max_retry_delay=dt.timedelta(minutes=10), pool="intake",
          execution_timeout=CONFIG.incomplete_wait() + dt.timedelta(minutes=20))
    def gather(period: str) -> list[dict]:
        """Final intake pass into the ledger; one item per unit that sent files (codes, counts, hashes)."""
        from pipeline.orchestrator import StepFailed
        from pipeline.orchestrator import gather as gather_files

        workspace = Workspace.from_environment()
        config = workspace.config()
        try:
            return gather_files(config.period(period), config=config, now=workspace.now(), workspace=workspace)
        except StepFailed as exc:
            if exc.final:  # a refused inbox folder, another ledger: staff must change a setting, a retry cannot help
                raise AirflowFailException(str(exc)) from exc
            raise

    # Data errors are final (AirflowFailException, no retries). The pool "validation" (2 slots) bounds how many
    # workbooks are read at once across runs and workers.
    @task(retries=0, pool="validation",
          map_index_template="{{ task.op_kwargs['submission']['unit_code'] or 'unknown' }}")
    def validate(submission: dict, period: str) -> dict:
        """Validate a unit's versions that need it; errors in its latest version fail this mapped task only."""
        from pipeline.orchestrator import validate_one, validation_failure
        from pipeline.status import VersionStatus

        workspace = Workspace.from_environment()
        config = workspace.config()
        result = validate_one(submission, config=config, period=config.period(period), now=workspace.now(),
                              workspace=workspace)
        if result["latest_status"] != VersionStatus.VALID:
            raise AirflowFailException(validation_failure(result, config))
        return result

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def status_page(period: str) -> str:
        """Refresh the status page from the ledger and findings files (and the successors' check from
        ``aggregates.json``); returns its path.

        Runs after every validation and after aggregation, failed or not (it reports them), but never after a
        failed gather.
        """
        from pipeline.orchestrator import status_page_period

        workspace = Workspace.from_environment()
        config = workspace.config()
        return status_page_period(config.period(period), config=config, now=workspace.now(), workspace=workspace)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def data_docs(period: str) -> str | None:
        """Build the technical view once from the kept, scrubbed results; returns its index.html (or None).

        Runs after every validation, failed or not (it reports them), but never after a failed gather.
        """
        from pipeline.orchestrator import data_docs_period

        workspace = Workspace.from_environment()
        config = workspace.config()
        return data_docs_period(config.period(period), config=config, workspace=workspace)

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def aggregate(period: str) -> str:
        """Aggregate valid submissions (invalid ones are known from their findings files).

        Runs after every validation, failed or not, but never after a failed gather (a setup task).
        """
        from pipeline.orchestrator import aggregate_period

        workspace = Workspace.from_environment()
        config = workspace.config()
        return aggregate_period(config.period(period), config=config, workspace=workspace)

    @task
    def render(period: str, aggregates_path: str) -> str:
        """Render the report from aggregates.json, audit and publish it as a version (re-using the latest when
        nothing changed); returns its path."""
        from pipeline.orchestrator import render_period

        workspace = Workspace.from_environment()
        config = workspace.config()
        return render_period(config.period(period), config=config, workspace=workspace)

    # TaskFlow passes each task's XCom (an XComArg here) as the next task's argument, resolved at run time
    period = cast(str, resolve_period())
    submissions = gather(period)
    validated = validate.partial(period=period).expand(submission=submissions)
    aggregated = aggregate(period)
    page = status_page(period)
    validated >> [page, data_docs(period), aggregated]
    aggregated >> page  # whatever aggregation did: the page sets successors beside their predecessors' sum
    render(period, cast(str, aggregated))


periodic_report()
