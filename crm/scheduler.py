"""The scheduler around the job registry: one APScheduler with every job (coalesced, one worker,
Asia/Shanghai, catch-up of missed runs), and the lock that keeps it to one per machine: `flask crm
scheduler` in production, in-process in the dev server (CRM_SCHEDULER=inprocess), never in gunicorn.
"""

import fcntl
import logging
import os
from typing import IO, Optional

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from crm.extensions import db
from crm.jobs import JOBS, MISFIRE_GRACE_SECONDS, Job, run_job
from crm.services.system.job_status import jobs_to_catch_up
from crm.timeutil import SHANGHAI, utcnow

log = logging.getLogger(__name__)


def build_scheduler(
    app: Flask,
    scheduler_class=BackgroundScheduler,
    jobs: Optional[list[Job]] = None,
    interval_seconds: Optional[int] = None,
    catch_up: bool = True,
):
    """A scheduler with the jobs (coalesce, max_instances=1, misfire grace, Asia/Shanghai, one worker so
    jobs never contend for SQLite); interval_seconds replaces every schedule (tests, trials).

    catch_up: jobs that missed a run while no scheduler was up (or never ran) run once at start.
    """
    jobs = list(JOBS.values()) if jobs is None else jobs
    scheduler = scheduler_class(
        timezone=SHANGHAI,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    late: set[str] = set()
    if catch_up and interval_seconds is None:
        with app.app_context():
            try:
                late = set(jobs_to_catch_up(jobs, utcnow()))
            except Exception:  # e.g. tables not migrated yet: schedule normally, warn in the log
                log.exception("无法读取任务运行记录，跳过补运行")
                db.session.rollback()
    for job in jobs:
        if interval_seconds:
            trigger = IntervalTrigger(seconds=interval_seconds, timezone=SHANGHAI)
        else:
            trigger = job.trigger()
        scheduler.add_job(run_job, trigger, args=[app, job], id=job.name, name=job.label)
        if job.name in late:
            scheduler.add_job(run_job, args=[app, job], id=f"{job.name}-catch-up", name=job.label)
    return scheduler


_lock_file: Optional[IO] = None
_inprocess: Optional[BackgroundScheduler] = None


def acquire_scheduler_lock(app: Flask) -> bool:
    """Hold an exclusive lock for this process's lifetime; False if another scheduler holds it."""
    global _lock_file
    if _lock_file is not None:
        return True
    path = os.environ.get("CRM_SCHEDULER_LOCK") or os.path.join(app.instance_path, "scheduler.lock")
    handle = open(path, "a+")  # noqa: SIM115 (kept open: the lock lives as long as the process)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _lock_file = handle
    return True


def start_inprocess_scheduler(app: Flask) -> Optional[BackgroundScheduler]:
    """`make run`: start a background scheduler in the dev server when CRM_SCHEDULER=inprocess.

    Exactly once per machine: the lock file stops the Werkzeug reloader's second process (and anything
    else) from starting another. gunicorn workers never set CRM_SCHEDULER, so they never start one.
    """
    if os.environ.get("CRM_SCHEDULER") != "inprocess" or app.testing:
        return None
    if not acquire_scheduler_lock(app):
        return None
    global _inprocess
    scheduler = build_scheduler(app, BackgroundScheduler)
    scheduler.start()
    _inprocess = scheduler
    log.warning("提醒调度器已在本进程内启动（CRM_SCHEDULER=inprocess）")
    return scheduler


def stop_inprocess_scheduler() -> None:
    """The scheduler commands run jobs themselves: never alongside an in-process scheduler."""
    global _inprocess
    if _inprocess is not None:
        _inprocess.shutdown(wait=True)
        _inprocess = None
