"""Scheduled jobs: the registry (name → service and schedule), the wrapper that runs one job with a
heartbeat, and the scheduler.

One process runs the scheduler: `flask --app wsgi crm scheduler` in production (web workers never
start one), or cron calls `flask --app wsgi crm run-jobs`; `make run` starts it inside the dev server
(CRM_SCHEDULER=inprocess) exactly once, guarded by a lock file. Every job is idempotent, so a run
repeated by cron, by hand or after a crash creates nothing twice; and two runs of one job never overlap
(the running heartbeat row is the job's lock): the second waits for the first, then finds the work done.

Adding a job (the month close was added this way):
    1. write the service in crm/services/ or crm/reporting/:
           def close_due_months(today: date, now: datetime | None = None) -> dict[str, int]
       (flushes, never commits; returns counts such as {"closed": 1});
    2. add one line to JOBS below:
           Job("month_close", "月结", close_due_months, cron={"hour": 8, "minute": 0}),
       (cron fields in Asia/Shanghai, or every=timedelta(...) for an interval).
The scheduler, `run-jobs --job month_close`, the 任务状态 page and the missed-run warning pick it
up from the registry; nothing else needs to change.
"""

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from crm.extensions import db
from crm.models import ImportTask, JobRun
from crm.reporting.home import refresh_home_figures
from crm.reporting.monthly.close import close_due_months
from crm.services import ServiceError
from crm.services.imports.enterprises import STALE_IMPORT
from crm.services.imports.tasks import (
    UNEXPECTED,
    apply_import_task,
    check_import_task,
    claim_next_import_task,
    fail_import_task,
    fail_interrupted_import_tasks,
)
from crm.services.imports.uploads import discard_import_upload
from crm.services.notifications.delivery import (
    claim_due_deliveries,
    delivery_idle_reason,
    record_delivery_results,
    send_claimed,
)
from crm.services.notifications.digest import daily_digest
from crm.services.portal.callbacks import monthly_callbacks
from crm.services.reminders.firm_rating import rating_reminders
from crm.services.reminders.policies import policy_window_reminders
from crm.services.reminders.scheduled import (
    holiday_calendar_reminder,
    problem_deadline_reminders,
    run_escalations,
    visit_reminders,
    weekly_overdue_list,
)
from crm.services.system.job_runs import RunGuard, begin_run, end_dead_run, end_orphaned_runs, finish_run
from crm.timeutil import SHANGHAI, utcnow
from crm.timeutil import today as local_today

log = logging.getLogger(__name__)
MISFIRE_GRACE_SECONDS = 3600  # a run delayed (busy, suspended) by up to an hour still happens
# A run finding another run of its job under way waits for it this long, polling every LOCK_POLL_SECONDS,
# then gives up without running (status "skipped", never stored). An interval job does not wait: its
# next tick comes soon, and waiting would hold the scheduler's one worker.
LOCK_WAIT = timedelta(minutes=15)
LOCK_POLL_SECONDS = 1.0
BUSY = "同一任务的另一次运行仍未结束，本次未运行（那一次会完成同样的工作）"
COUNT_LABELS = {
    "created": "新建提醒",
    "firms": "企业",
    "parks": "园区",
    "problems": "问题",
    "escalated": "提级",
    "users": "用户",
    "sent": "已发送",
    "retry": "待重试",
    "failed": "放弃",
    "reports": "报表",
    "closed": "月结",
    "rows": "冻结数据行",
    "policies": "政策",
    "imported": "导入完成",
    "refused": "有错误未导入",
}
# What a job that decides from the current state reads (see Job.decides_from and past_day_refusal).
PROBLEM_STATE = "问题的当前状态和期限"
VISIT_STATE = "企业当前的联企干部和走访记录"
POLICY_STATE = "政策的申报截止日期和企业当前的申报进度"
WEEKDAYS = {"mon": "一", "tue": "二", "wed": "三", "thu": "四", "fri": "五", "sat": "六", "sun": "日"}


@dataclass(frozen=True)
class Job:
    name: str
    label: str  # Chinese, for the 任务状态 page and messages
    func: Callable[..., dict]  # service(today=…, now=…) -> counts
    cron: Optional[dict] = None  # CronTrigger fields (Asia/Shanghai)
    every: Optional[timedelta] = None  # or an interval
    grace: timedelta = field(default=timedelta(hours=2))  # later than this = a missed run (warning)
    # idle(now) -> a Chinese reason while the job has nothing it could do (no channel switched on …):
    # such a run is not started and leaves no heartbeat row, and the job is not expected to run.
    idle: Optional[Callable[[datetime], Optional[str]]] = None
    # What the job decides from as it stands now (问题的当前状态 …): such a job runs for today (or a later
    # day) only, since a run for an earlier day would record today's state under that day's date.
    decides_from: Optional[str] = None

    def trigger(self):
        """The APScheduler trigger of the production schedule."""
        if self.every is not None:
            return IntervalTrigger(seconds=int(self.every.total_seconds()), timezone=SHANGHAI)
        return CronTrigger(timezone=SHANGHAI, **self.cron)

    @property
    def schedule_label(self) -> str:
        """The schedule in Chinese (每天 07:30, 每周一 08:00, 每 1 分钟)."""
        if self.every is not None:
            minutes = int(self.every.total_seconds() // 60)
            return f"每 {minutes} 分钟" if minutes else f"每 {int(self.every.total_seconds())} 秒"
        c = self.cron
        assert c is not None, "a job runs either every interval or on cron fields"
        at = f"{int(c.get('hour', 0)):02d}:{int(c.get('minute', 0)):02d}"
        if "day_of_week" in c:
            return f"每周{WEEKDAYS.get(c['day_of_week'], c['day_of_week'])} {at}"
        if "day" in c:
            return f"每月{c['day']}日 {at}"
        return f"每天 {at}"


def past_day_refusal(job: Job, day: date) -> Optional[str]:
    """Why the job may not run for day (a Chinese message), or None. Only a job that reports on a period
    (the monthly report) can be run for an earlier day; one that decides from the current state cannot,
    because the state as of that day is not what the tables hold now."""
    today = local_today()
    if job.decides_from is None or day >= today:
        return None
    return (
        f"补跑只能针对今天（{today:%Y-%m-%d}）：{job.label}依据{job.decides_from}判断，"
        f"当前的状态不代表 {day:%Y-%m-%d} 当日的状态，不能按 {day:%Y-%m-%d} 的日期记录"
    )


def counts_text(counts: dict | None) -> str:
    """Counts of a run in Chinese (新建提醒 3，企业 12)."""
    return "，".join(f"{COUNT_LABELS.get(k, k)} {v}" for k, v in (counts or {}).items()) or "无"


def _deliver(today: date, now: Optional[datetime] = None) -> dict:
    """Send the due deliveries; the claim is committed before any network call."""
    from crm.services.notifications.channels import channel_settings

    settings = channel_settings()
    messages = claim_due_deliveries(now)
    db.session.commit()
    return record_delivery_results(send_claimed(messages, settings), now)


def run_import_tasks(today: date, now: Optional[datetime] = None) -> dict:
    """The queued import files, one by one: each stage is committed so the task page shows progress;
    the import itself is one transaction (SQLite has one writer: no progress rows inside it).

    Runs under the job's lock, so a task still checking or importing was left by a run that died.
    """
    fail_interrupted_import_tasks(now)
    db.session.commit()
    counts = {"imported": 0, "refused": 0, "failed": 0}
    while (task_id := claim_next_import_task(now)) is not None:
        db.session.commit()
        try:
            if check_import_task(task_id, today, now):
                db.session.commit()
                task = apply_import_task(task_id, today, now)
            else:
                task = db.session.get_one(ImportTask, task_id)
            status, token = task.status, task.token
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            log.exception("import task %s failed", task_id)
            if isinstance(exc, StaleDataError):
                message = STALE_IMPORT
            elif isinstance(exc, ServiceError):
                message = str(exc)
            else:
                message = UNEXPECTED
            fail_import_task(task_id, message, now)
            status, token = "failed", db.session.get_one(ImportTask, task_id).token
            db.session.commit()
        if status != "refused":  # a refused file stays for its error workbook
            discard_import_upload(token)
        counts["imported" if status == "done" else status] += 1
    return {key: value for key, value in counts.items() if value}


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "visit_reminders",
            "走访到期提醒",
            visit_reminders,
            cron={"hour": 7, "minute": 30},
            decides_from=VISIT_STATE,
        ),
        Job(
            "problem_deadlines",
            "问题期限预警",
            problem_deadline_reminders,
            cron={"hour": 7, "minute": 35},
            decides_from=PROBLEM_STATE,
        ),
        Job(
            "escalations",
            "自动提级协调",
            run_escalations,
            cron={"hour": 7, "minute": 40},
            decides_from=PROBLEM_STATE,
        ),
        Job(
            "weekly_overdue",
            "逾期走访周报",
            weekly_overdue_list,
            cron={"day_of_week": "mon", "hour": 8, "minute": 0},
            decides_from=VISIT_STATE,
        ),
        Job("daily_digest", "每日汇总", daily_digest, cron={"hour": 8, "minute": 30}),
        Job("holiday_calendar", "节假日录入提醒", holiday_calendar_reminder, cron={"hour": 9, "minute": 0}),
        # 企业之声: resolved problems the firm has not rated remind its cadre to call; on the 1st, each
        # park's 回访抽查 sample of last month's closed problems is drawn (once) for its officers.
        Job(
            "firm_ratings",
            "企业评价回访提醒",
            rating_reminders,
            cron={"hour": 7, "minute": 45},
            decides_from=PROBLEM_STATE,
        ),
        Job("callback_samples", "回访抽查抽样", monthly_callbacks, cron={"day": 1, "hour": 7, "minute": 50}),
        # 惠企政策: an application window closing soon for a firm that meets the policy and has not applied.
        Job(
            "policy_windows",
            "政策申报截止提醒",
            policy_window_reminders,
            cron={"hour": 7, "minute": 55},
            decides_from=POLICY_STATE,
        ),
        Job(
            "deliver_pending",
            "外部渠道投递",
            _deliver,
            every=timedelta(minutes=1),
            grace=timedelta(minutes=15),
            idle=delivery_idle_reason,
        ),
        # 月结 every day at 08:00: closes last month on its close day (the Nth working day, default the
        # 3rd), any month an admin reopened, any a stopped scheduler missed; then the official workbooks.
        Job("month_close", "月结", close_due_months, cron={"hour": 8, "minute": 0}),
        # 首页数字: every park's home figures stored for the day, and again for any park written since,
        # so a home page mostly reads them (a view still computes a park a write has just changed).
        Job(
            "home_figures",
            "首页数字",
            refresh_home_figures,
            every=timedelta(minutes=5),
            grace=timedelta(hours=1),
        ),
        Job("imports", "后台导入", run_import_tasks, every=timedelta(minutes=1), grace=timedelta(minutes=15)),
    )
}


def _finish_run(run_id: int, status: str, counts: Optional[dict], error: Optional[str]) -> None:
    """Record the end of the run; tried twice, because a run left 'running' locks its job for an hour."""
    for attempt in (1, 2):
        try:
            finish_run(run_id, status, counts, error, utcnow())
            db.session.commit()
            return
        except Exception:
            db.session.rollback()
            if attempt == 2:
                raise
            log.exception("job run %s: could not record its end, trying again", run_id)
            time.sleep(LOCK_POLL_SECONDS)


def _busy(exc: OperationalError) -> bool:
    """SQLite's "database is locked": another process's write outlasted the busy timeout; try again."""
    return "locked" in str(exc.orig).lower()


def _begin(job: Job, day: date) -> tuple[Optional[int], RunGuard]:
    """Start the run once no other run of the job is under way (waiting up to LOCK_WAIT; an interval
    job does not wait); the running row is committed at once, so it locks the job for everyone else.
    None when the other run outlasted the wait. The guard is held until the caller releases it."""
    wait = LOCK_WAIT if job.every is None else timedelta(0)
    deadline = time.monotonic() + wait.total_seconds()
    guard = RunGuard(job.name)
    while True:
        run_id = None
        if guard.try_acquire():
            try:
                end_orphaned_runs(job.name, utcnow())
                run_id = begin_run(job.name, day, utcnow())
                if run_id is None and end_dead_run(job.name, utcnow()):
                    run_id = begin_run(job.name, day, utcnow())
                db.session.commit()
            except OperationalError as exc:
                db.session.rollback()
                if not _busy(exc):
                    guard.release()
                    raise
                run_id = None
            if run_id is None:
                guard.release()
        if run_id is not None or time.monotonic() >= deadline:
            return run_id, guard
        time.sleep(LOCK_POLL_SECONDS)


def _not_run(job: Job, day: date, reason: str, status: str = "skipped") -> JobRun:
    """What run_job answers for a run it did not start (never stored): status "skipped" (or "refused"),
    the reason in error."""
    now = utcnow()
    return JobRun(job=job.name, run_for=day, started_at=now, finished_at=now, status=status, error=reason)


def _idle_reason(job: Job, now: datetime) -> Optional[str]:
    if job.idle is None:
        return None
    try:
        return job.idle(now)
    except Exception:  # cannot tell (e.g. tables not migrated): run, and let the run record the error
        log.exception("job %s: idle check failed", job.name)
        db.session.rollback()
        return None


def run_job(app: Flask, job: Job, today: Optional[date] = None, now: Optional[datetime] = None) -> JobRun:
    """Run one job in its own app context with a heartbeat row; a failure is recorded and rolled back,
    never raised (the scheduler keeps running). Returns the finished JobRun (detached).

    One run of a job at a time: a second run waits for the first, then runs and finds the work done.
    A run that is not started (the job is idle, or the other run outlasted the wait) writes no row and
    answers status "skipped" with the reason in error; a run for an earlier day of a job that decides
    from the current state (past_day_refusal) writes nothing either and answers status "refused".
    """
    with app.app_context():
        day = today or local_today()
        refusal = past_day_refusal(job, day)
        if refusal is not None:
            return _not_run(job, day, refusal, status="refused")
        reason = _idle_reason(job, now or utcnow())
        if reason is not None:
            return _not_run(job, day, reason)
        run_id, guard = _begin(job, day)
        if run_id is None:
            log.warning("job %s: another run is still going, this one is skipped", job.name)
            return _not_run(job, day, BUSY)
        try:
            counts = job.func(today=day, now=now) or {}
            db.session.commit()
        except Exception as exc:  # a job's failure must not stop the scheduler: record it
            db.session.rollback()
            log.exception("job %s failed", job.name)
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            _finish_run(run_id, "failed", None, detail[:2000])
        else:
            _finish_run(run_id, "ok", counts, None)
        finally:
            guard.release()
        run = db.session.get_one(JobRun, run_id)
        db.session.refresh(run)
        db.session.expunge(run)
        return run
