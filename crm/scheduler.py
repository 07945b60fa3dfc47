"""The scheduler around the job registry: one APScheduler with every job (coalesced, one worker,
Asia/Shanghai, catch-up of missed runs), and the locks that keep it to one: `flask crm scheduler` in
production, in-process in the dev server (CRM_SCHEDULER=inprocess), never in gunicorn.

On PostgreSQL the schedulers of every host elect one leader with a session advisory lock
(ClusterLock): the others wait as standbys and take over when the leader's connection ends. On SQLite,
where every process is on one machine, a lock file does the same. Each job run is guarded in the
database as well (crm.services.system.job_runs), so a manual `run-jobs` never doubles a scheduled run.
"""

import fcntl
import logging
import os
from typing import IO, Optional

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

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


# The advisory lock's key: any constant shared by every host of one database ("lqtscdl" in ASCII).
CLUSTER_LOCK_KEY = 0x6C71_7473_6364_6C
# How often a standby asks for the lock and the leader checks it still holds it (seconds).
DEFAULT_POLL_SECONDS = 15


def poll_seconds() -> float:
    """CRM_SCHEDULER_POLL, bounded to 1..60 s so a standby always takes over within a minute."""
    try:
        value = float(os.environ.get("CRM_SCHEDULER_POLL", DEFAULT_POLL_SECONDS))
    except ValueError:
        value = DEFAULT_POLL_SECONDS
    return min(max(value, 1.0), 60.0)


def uses_cluster_lock(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


class ClusterLock:
    """Leadership among the schedulers of all hosts sharing one PostgreSQL database.

    The leader holds a session-level advisory lock on a connection of its own, kept open for as long as
    it leads. When the process dies, or its host drops off the network, PostgreSQL ends the session
    (TCP keepalives are set short on it, so a vanished host is noticed within about half a minute) and
    the lock is free for a standby, which asks again every poll_seconds().
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Optional[Connection] = None

    def try_acquire(self) -> bool:
        """Become the leader if nobody is; False while another session holds the lock."""
        if self.conn is not None:
            return self.held()
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            for setting in (
                "tcp_keepalives_idle = 10",
                "tcp_keepalives_interval = 5",
                "tcp_keepalives_count = 3",
            ):
                conn.execute(text(f"SET {setting}"))
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": CLUSTER_LOCK_KEY}).scalar()
            )
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self.conn = conn
        return True

    def held(self) -> bool:
        """Whether this process still leads: its session is alive and holds the lock."""
        if self.conn is None:
            return False
        try:
            stmt = text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND pid = pg_backend_pid() AND ((classid::bigint << 32) | objid::bigint) = :key"
            )
            return bool(self.conn.execute(stmt, {"key": CLUSTER_LOCK_KEY}).scalar())
        except Exception:  # the connection is gone, and the lock with it
            log.exception("调度器领导权检查失败")
            self.release()
            return False

    def release(self) -> None:
        if self.conn is None:
            return
        conn, self.conn = self.conn, None
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": CLUSTER_LOCK_KEY})
        except Exception:
            pass  # a dead session has released it already
        finally:
            try:
                conn.close()
            except Exception:
                pass
