"""The jobs' heartbeat written: a JobRun row when a run starts and when it ends, one run of a job at a time.

A run's row is also its job's lock. A partial unique index (crm.models.JobRun) admits one 'running'
row per job, so begin_run() either starts the run or answers None while another run of the same job is
under way: the caller waits and tries again, and since every job is idempotent the later run finds the
work done. The database decides, not a SELECT beforehand, so this holds across processes and machines.
A row still 'running' after STUCK_AFTER belongs to a process that died: end_dead_run() marks it failed
so that the job can run again.

On PostgreSQL a run also holds an advisory lock named after its job (RunGuard) on a connection of its
own for as long as it runs. PostgreSQL frees it the moment the process dies, so a 'running' row whose
job lock is free is known dead at once — a standby scheduler that takes over from a killed leader does
not wait an hour for the leader's last run.
"""

import zlib
from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from crm.extensions import db
from crm.models import JobRun
from crm.services.system.job_status import STUCK_AFTER

ORPHANED = "运行中断：所在进程已退出（例如调度主机宕机），已由接替的运行结束"
DIED = "运行中断：超过 1 小时仍未结束，所在进程可能已退出；下一次运行已接替"


def begin_run(job: str, day: date, now: datetime) -> Optional[int]:
    """Start a run of the job (its 'running' row, flushed): the row's id, or None while another run of
    the job holds the lock. The caller commits at once, so that other runs see the lock."""
    values = {"job": job, "run_for": day, "started_at": now, "status": "running"}
    dialect = db.session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        stmt = (
            insert(JobRun)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["job"], index_where=JobRun.status == "running")
            .returning(JobRun.id)
        )
        return db.session.execute(stmt).scalar()
    # Any other database: a savepoint; the unique index's IntegrityError means "another run holds it".
    run = JobRun(**values)
    try:
        with db.session.begin_nested():
            db.session.add(run)
    except IntegrityError:
        return None
    return run.id


def end_dead_run(job: str, now: datetime) -> int:
    """Mark the job's run failed if it has been 'running' for longer than STUCK_AFTER (its process
    died, or the lock would be held for ever); how many rows that was (0 or 1)."""
    result = db.session.execute(
        update(JobRun)
        .where(JobRun.job == job, JobRun.status == "running", JobRun.started_at < now - STUCK_AFTER)
        .values(status="failed", finished_at=now, error=DIED)
    )
    # An UPDATE returns a CursorResult, which Session.execute's stubs type as a plain Result.
    return result.rowcount or 0  # type: ignore[attr-defined]


def finish_run(
    run_id: int, status: str, counts: Optional[dict[str, Any]], error: Optional[str], now: datetime
) -> None:
    """Record how the run ended ('ok' with its counts, or 'failed' with the error); releases the lock."""
    run = db.session.get_one(JobRun, run_id)
    run.status, run.counts, run.error, run.finished_at = status, counts, error, now
    db.session.flush()


# The first key of every job's advisory lock (the second is the job name's CRC-32).
RUN_LOCK_SPACE = 0x6C71


class RunGuard:
    """A job's run lock held by the live process (PostgreSQL only; elsewhere it always succeeds)."""

    def __init__(self, job: str) -> None:
        self.job = job
        self.conn: Optional[Connection] = None

    @property
    def _key(self) -> dict[str, int]:
        crc = zlib.crc32(self.job.encode())
        return {"space": RUN_LOCK_SPACE, "job": crc - (1 << 32) if crc >= 1 << 31 else crc}

    def try_acquire(self) -> bool:
        if db.engine.dialect.name != "postgresql":
            return True
        conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if conn.execute(text("SELECT pg_try_advisory_lock(:space, :job)"), self._key).scalar():
            self.conn = conn
            return True
        conn.close()
        return False

    def release(self) -> None:
        if self.conn is None:
            return
        conn, self.conn = self.conn, None
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:space, :job)"), self._key)
        finally:
            conn.close()


def end_orphaned_runs(job: str, now: datetime) -> int:
    """With the job's RunGuard held, any 'running' row of the job was left by a process that died."""
    if db.engine.dialect.name != "postgresql":
        return 0
    result = db.session.execute(
        update(JobRun)
        .where(JobRun.job == job, JobRun.status == "running")
        .values(status="failed", finished_at=now, error=ORPHANED)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]
