"""The jobs' heartbeat read back: last run, next expected run, and whether a run was missed.

A job has missed a run when one period (its interval, or the gap between two fire times: a day, a
week, a month) after its last successful start (or, for a job that never succeeded, after the first
heartbeat of any job) lies more than its grace period in the past. Nothing ever having run at all
is one warning of its own: no scheduler was ever started. Two queries whatever the history's size
(plus what a job's idle check asks: a job with nothing to do, such as delivery with every channel
off, is not run and so is never late).

The jobs come from the caller (crm.jobs.JOBS, which the services may not import), with their Chinese
labels: every sentence here names a job by its label, never by its id.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Optional, Protocol

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import JobRun
from crm.timeutil import SHANGHAI, to_local

STUCK_AFTER = timedelta(hours=1)  # a run still "running" after this probably died with its process


class ScheduledJob(Protocol):
    """What the heartbeat reader needs of a crm.jobs.Job (which services may not import)."""

    @property
    def name(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def every(self) -> Optional[timedelta]: ...
    @property
    def grace(self) -> timedelta: ...
    @property
    def idle(self) -> Optional[Callable[[datetime], Optional[str]]]: ...
    def trigger(self) -> Any: ...


@dataclass
class JobState:
    job: ScheduledJob
    last: Optional[JobRun]
    last_ok_at: Optional[datetime]
    expected_at: Optional[datetime]  # when it should have run next after the last success (naive UTC)
    next_at: Optional[datetime]  # next scheduled time from now (naive UTC)
    missed: bool
    stuck: bool
    idle: Optional[str] = None  # why the job has nothing to do now: it is not run, nor expected to

    @property
    def failed(self) -> bool:
        return self.last is not None and self.last.status == "failed"


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC).astimezone(SHANGHAI)


def _naive(value: Optional[datetime]) -> Optional[datetime]:
    return value.astimezone(UTC).replace(tzinfo=None) if value else None


def _next_after(job, moment: datetime) -> Optional[datetime]:
    """The job's next scheduled time after `moment` (naive UTC in, naive UTC out)."""
    if job.every is not None:
        return moment + job.every
    # Strictly after: a run that started exactly on its fire time is that fire time, not the next one.
    return _naive(job.trigger().get_next_fire_time(None, _aware(moment + timedelta(seconds=1))))


def _expected_after(job, moment: datetime) -> datetime:
    """When the run after one at `moment` is due: one period later (a day, a week, a month …).

    Measured from the run itself, not from the next fire time, so cron running the jobs at its own
    hour (`run-jobs` at 09:05 for a 07:30 job) is on time as long as it runs once per period.
    """
    if job.every is not None:
        return moment + job.every
    first = _next_after(job, moment)
    then = _next_after(job, first) if first is not None else None
    # Only interval triggers and cron triggers without an end date are registered: both always fire again.
    assert first is not None and then is not None, f"job {job.name} has no next fire time"
    return moment + (then - first)


def job_states(jobs, now: datetime) -> tuple[list[JobState], bool]:
    """(state of each job, whether any heartbeat exists at all)."""
    names = [job.name for job in jobs]
    last_ids = select(func.max(JobRun.id)).where(JobRun.job.in_(names)).group_by(JobRun.job)
    last = {r.job: r for r in db.session.scalars(select(JobRun).where(JobRun.id.in_(last_ids)))}
    stats = db.session.execute(
        select(
            JobRun.job,
            func.max(JobRun.started_at).filter(JobRun.status == "ok"),
            func.min(JobRun.started_at),
        ).group_by(JobRun.job)
    ).all()
    last_ok = {job: ok for job, ok, _first in stats}
    firsts = [first for _job, _ok, first in stats if first is not None]
    first_ever = min(firsts) if firsts else None
    states = []
    for job in jobs:
        ok_at = last_ok.get(job.name)
        idle = job.idle(now) if job.idle is not None else None
        base = ok_at or first_ever
        expected = _expected_after(job, base) if base and idle is None else None
        run = last.get(job.name)
        states.append(
            JobState(
                job=job,
                last=run,
                last_ok_at=ok_at,
                expected_at=expected,
                next_at=_next_after(job, now) if idle is None else None,
                missed=expected is not None and expected + job.grace < now,
                stuck=run is not None and run.status == "running" and run.started_at < now - STUCK_AFTER,
                idle=idle,
            )
        )
    return states, first_ever is not None


def jobs_to_catch_up(jobs, now: datetime) -> list[str]:
    """Names of the jobs to run once at scheduler start: a missed run, or never successful (not idle)."""
    states, _any = job_states(jobs, now)
    return [s.job.name for s in states if s.idle is None and (s.missed or s.last_ok_at is None)]


def _when(value: Optional[datetime]) -> str:
    local = to_local(value)
    return local.strftime("%Y-%m-%d %H:%M") if local else "—"


def job_warnings(jobs, now: datetime) -> list[str]:
    """Chinese warnings for admins: no scheduler ever ran, a job missed its run, failed, or hangs."""
    states, any_run = job_states(jobs, now)
    if not any_run:
        return [
            "定时提醒任务从未运行：走访提醒、问题期限预警和自动提级都不会发生。请启动调度进程"
            "（flask --app wsgi crm scheduler），或用 cron 定时执行 flask --app wsgi crm run-jobs。"
        ]
    out = []
    for s in states:
        label = s.job.label
        if s.idle is not None:  # switched off on purpose (no channel): nothing to fix
            continue
        if s.missed:
            since = f"上次成功运行于 {_when(s.last_ok_at)}" if s.last_ok_at else "从未成功运行"
            out.append(
                f"定时任务“{label}”未按时运行：{since}，应于 {_when(s.expected_at)} 再次运行。"
                "请检查调度进程是否在运行。"
            )
        elif s.failed and s.last is not None:
            error = (s.last.error or "").splitlines()[-1:] or [""]
            out.append(f"定时任务“{label}”最近一次运行失败（{_when(s.last.started_at)}）：{error[0][:120]}")
        elif s.stuck and s.last is not None:
            out.append(f"定时任务“{label}”自 {_when(s.last.started_at)} 起一直未结束，调度进程可能已中断。")
    return out
