"""Several hosts, one PostgreSQL: the schedulers elect one leader with an advisory lock, the others wait,
and a standby takes over when the leader dies — so every job runs once per cluster, never twice at a time.

PostgreSQL only (the PostgreSQL pass of scripts/test.sh); SQLite keeps the per-machine lock file.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from crm.extensions import db
from crm.models import JobRun
from crm.scheduler import ClusterLock, poll_seconds, uses_cluster_lock
from tests.support.dates import TODAY

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi", "crm"]


@pytest.fixture()
def pg(app, db):
    if not uses_cluster_lock(db.engine):
        pytest.skip("集群领导者选举只在 PostgreSQL 上（SQLite 用锁文件）")
    return app.config["SQLALCHEMY_DATABASE_URI"]


def _another_host(url: str):
    """A separate engine: another host's connection pool."""
    return create_engine(url, pool_size=1)


def test_one_leader_at_a_time_and_the_lock_passes_on(pg):
    first, second = ClusterLock(_another_host(pg)), ClusterLock(_another_host(pg))
    try:
        assert first.try_acquire() and first.held()
        assert not second.try_acquire() and not second.held()
        assert first.try_acquire()  # asking again while leading is harmless
        first.release()
        assert not first.held()
        assert second.try_acquire() and second.held()
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()
        first.engine.dispose()
        second.engine.dispose()


def test_a_dead_leaders_session_frees_the_lock(pg):
    """The process dies without releasing: PostgreSQL ends its session, and the lock with it."""
    leader, standby = ClusterLock(_another_host(pg)), ClusterLock(_another_host(pg))
    try:
        assert leader.try_acquire()
        assert not standby.try_acquire()
        assert leader.conn is not None
        leader.conn.invalidate()  # the connection drops like a killed process's socket
        leader.conn = None
        deadline = time.monotonic() + 10
        while not standby.try_acquire():
            assert time.monotonic() < deadline, "the lock was not freed when the leader's session ended"
            time.sleep(0.2)
        assert not leader.held()
    finally:
        leader.release()
        standby.release()
        leader.engine.dispose()
        standby.engine.dispose()


def test_poll_interval_is_bounded(monkeypatch):
    monkeypatch.setenv("CRM_SCHEDULER_POLL", "600")
    assert poll_seconds() == 60  # a standby always takes over within a minute
    monkeypatch.setenv("CRM_SCHEDULER_POLL", "0")
    assert poll_seconds() == 1
    monkeypatch.setenv("CRM_SCHEDULER_POLL", "abc")
    assert poll_seconds() == 15


def _runs() -> list[JobRun]:
    db.session.rollback()  # see what the other processes committed
    return list(
        db.session.scalars(select(JobRun).where(JobRun.job == "holiday_calendar").order_by(JobRun.id))
    )


def _wait_for(predicate, timeout: float = 40) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _scheduler(env, log: Path) -> subprocess.Popen:
    cmd = [*FLASK, "scheduler", "--job", "holiday_calendar", "--interval", "1"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True)


def test_standby_takes_over_when_the_leader_is_killed(pg, tmp_path):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=pg,
        CRM_TODAY=TODAY.isoformat(),
        CRM_SCHEDULER_POLL="1",
        PYTHONUNBUFFERED="1",
        TEST_REPORTS_FOLDER=str(tmp_path / "reports"),
    )
    env.pop("CRM_SCHEDULER", None)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [
        _scheduler(env | {"CRM_SCHEDULER_LOCK": str(tmp_path / f"{n}.lock")}, log)
        for n, log in enumerate(logs)
    ]
    try:
        assert _wait_for(lambda: len([r for r in _runs() if r.status == "ok"]) >= 2), "no leader ran the job"
        assert _wait_for(lambda: any("本进程待命" in log.read_text() for log in logs)), "no standby"
        texts = [log.read_text() for log in logs]
        leader = 0 if "调度器已启动" in texts[0] else 1
        standby = 1 - leader
        assert "调度器已启动" not in texts[standby], texts
        procs[leader].send_signal(signal.SIGKILL)
        procs[leader].wait(timeout=10)
        before = len(_runs())
        assert _wait_for(lambda: "本进程接替运行任务" in logs[standby].read_text(), timeout=30), logs[
            standby
        ].read_text()
        assert _wait_for(lambda: len([r for r in _runs() if r.status == "ok"]) >= before + 2)
        procs[standby].send_signal(signal.SIGTERM)
        assert procs[standby].wait(timeout=30) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    runs = _runs()
    # Never two runs at once: each run started after the previous one finished (the killed leader's
    # last run may be left 'running' only if it was killed mid-run; then it is the last of its kind).
    finished = [r for r in runs if r.finished_at is not None]
    for earlier, later in zip(finished, finished[1:], strict=False):
        assert later.started_at >= earlier.finished_at, (earlier, later)
