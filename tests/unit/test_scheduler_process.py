"""The real scheduler process: `flask crm scheduler` starts, runs a job on schedule (a 1-second interval
here), and stops cleanly on SIGTERM or Ctrl-C; a second one on the same machine refuses to start; the
dev server's in-process scheduler starts exactly once however many processes load the app."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import JobRun
from crm.scheduler import uses_cluster_lock
from tests.support.dates import TODAY

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi", "crm"]


@pytest.fixture()
def env(app, db, tmp_path):
    """Environment of a child process using the test database."""
    out = dict(os.environ)
    out.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        CRM_TODAY=TODAY.isoformat(),
        CRM_SCHEDULER_LOCK=str(tmp_path / "scheduler.lock"),
        PYTHONUNBUFFERED="1",
        TEST_REPORTS_FOLDER=str(tmp_path / "reports"),  # catch-up runs may write the monthly report
    )
    out.pop("CRM_SCHEDULER", None)
    return out


def _ok_runs(job: str) -> int:
    db.session.rollback()  # see what the other process committed
    return db.session.scalar(select(func.count(JobRun.id)).where(JobRun.job == job, JobRun.status == "ok"))


def _wait_for(predicate, timeout: float = 30) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_scheduler_runs_on_schedule_and_stops_cleanly(env, sig):
    proc = subprocess.Popen(
        [*FLASK, "scheduler", "--job", "holiday_calendar", "--interval", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait_for(lambda: _ok_runs("holiday_calendar") >= 2), "the job did not run on schedule"
        proc.send_signal(sig)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, output
    assert "调度器已启动（Asia/Shanghai），共 1 个任务" in output
    assert "调度器已停止" in output
    assert "Traceback" not in output
    runs = db.session.scalars(select(JobRun).where(JobRun.job == "holiday_calendar")).all()
    assert all(r.status == "ok" and r.finished_at for r in runs)  # stopped between runs, none cut off


def test_a_second_scheduler_refuses_to_start(env, app):
    """SQLite: one machine, one scheduler (the lock file); PostgreSQL elects a leader instead."""
    if uses_cluster_lock(db.engine):
        pytest.skip("PostgreSQL 上第二个调度进程待命而非退出（test_scheduler_cluster.py）")
    first = subprocess.Popen(
        [*FLASK, "scheduler", "--job", "holiday_calendar", "--interval", "60"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait_for(lambda: Path(env["CRM_SCHEDULER_LOCK"]).exists())
        time.sleep(1.5)  # past start-up: the lock is held
        second = subprocess.run(
            [*FLASK, "scheduler"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 1
        assert "本机已有调度进程在运行" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    assert first.returncode == 0


def test_unknown_job_for_the_scheduler(runner):
    result = runner.invoke(args=["crm", "scheduler", "--job", "nope"])
    assert result.exit_code == 2 and "未知任务：nope" in result.output


SERVE = (
    "import os, time, config, crm.scheduler as scheduler; from crm import create_app; "
    "config.Config.REPORTS_FOLDER = os.environ['TEST_REPORTS_FOLDER']; create_app(); "
    "print('started' if scheduler._lock_file else 'skipped', flush=True); time.sleep(30)"
)


def _serve(env):
    cmd = [sys.executable, "-c", SERVE]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def test_in_process_scheduler_starts_exactly_once(env):
    """Like the dev server and its reloader child: two processes load the app, one scheduler runs."""
    inprocess = env | {"CRM_SCHEDULER": "inprocess"}
    procs = []
    try:
        procs.append(_serve(inprocess))
        first = procs[-1].stdout.readline().strip()
        procs.append(_serve(inprocess))
        second = procs[-1].stdout.readline().strip()
        assert (first, second) == ("started", "skipped")
    finally:
        for proc in procs:
            proc.kill()
            proc.communicate()


def test_no_scheduler_without_the_flag(app, monkeypatch):
    """gunicorn workers and CLI commands never set CRM_SCHEDULER, so they never start a scheduler."""
    from crm.scheduler import start_inprocess_scheduler

    monkeypatch.delenv("CRM_SCHEDULER", raising=False)
    assert start_inprocess_scheduler(app) is None
    monkeypatch.setenv("CRM_SCHEDULER", "inprocess")
    assert start_inprocess_scheduler(app) is None  # the test app (TESTING) never starts one either
