"""The job wrapper and its heartbeat, `flask crm run-jobs` exit codes, and the missed-run warnings; one run
of a job at a time (the running row is the lock), and a job with nothing to do is not run at all."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

import crm.jobs as jobs_module
from crm.extensions import db
from crm.jobs import BUSY, JOBS, MISFIRE_GRACE_SECONDS, Job, run_job
from crm.models import Delivery, JobRun, Notification, NotificationPref
from crm.scheduler import build_scheduler
from crm.services.notifications.inbox import notify
from crm.services.system.job_runs import DIED, ORPHANED, RunGuard, begin_run, end_dead_run, finish_run
from crm.services.system.job_status import job_states, job_warnings, jobs_to_catch_up
from crm.services.system.warnings import system_warnings
from crm.timeutil import utcnow
from tests.support.channel_servers import set_channels
from tests.support.factories import make_user

NOW = datetime(2026, 11, 2, 2, 0)  # 10:00 in Shanghai


def _boom(today, now=None):
    """A job that writes, then fails: its writes must be rolled back."""
    notify(db.session.merge(_boom.user), "system", "半途而废", dedupe_key="boom")
    db.session.flush()
    raise RuntimeError("数据库连接中断")


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_run_job_records_a_heartbeat(app, db):
    run = run_job(app, JOBS["visit_reminders"], today=date(2026, 11, 2))
    assert (run.job, run.status, run.run_for, run.error) == ("visit_reminders", "ok", date(2026, 11, 2), None)
    assert run.counts == {"firms": 0, "created": 0}
    assert run.finished_at >= run.started_at
    assert _count(JobRun) == 1


def test_a_failing_job_is_recorded_and_rolled_back(app, db):
    _boom.user = make_user("admin")
    db.session.commit()
    run = run_job(app, Job("boom", "测试任务", _boom, cron={"hour": 1}))
    assert run.status == "failed" and "RuntimeError: 数据库连接中断" in run.error
    db.session.rollback()
    assert _count(Notification) == 0  # nothing of the failed run was committed
    stored = db.session.scalar(select(JobRun))
    assert (stored.status, stored.finished_at is not None) == ("failed", True)


def test_run_jobs_exit_codes(app, db, runner, monkeypatch):
    ok = runner.invoke(args=["crm", "run-jobs", "--job", "visit_reminders", "--today", "2026-11-02"])
    assert ok.exit_code == 0, ok.output
    assert "✓ 走访到期提醒（visit_reminders）：企业 0，新建提醒 0" in ok.output

    unknown = runner.invoke(args=["crm", "run-jobs", "--job", "nope"])
    assert unknown.exit_code == 2 and "未知任务：nope" in unknown.output
    assert "可用任务：visit_reminders（走访到期提醒）、" in unknown.output
    bad_day = runner.invoke(args=["crm", "run-jobs", "--today", "2026-02-30"])
    assert bad_day.exit_code == 2 and "日期格式不正确" in bad_day.output

    _boom.user = make_user("admin")
    db.session.commit()
    monkeypatch.setitem(JOBS, "boom", Job("boom", "测试任务", _boom, cron={"hour": 1}))
    failed = runner.invoke(args=["crm", "run-jobs", "--job", "visit_reminders", "--job", "boom"])
    assert failed.exit_code == 1
    assert "✗ 测试任务（boom）运行失败：RuntimeError: 数据库连接中断" in failed.output
    assert "1 个任务运行失败" in failed.output
    db.session.rollback()
    statuses = dict(db.session.execute(select(JobRun.job, JobRun.status).where(JobRun.job == "boom")).all())
    assert statuses == {"boom": "failed"}


def test_every_job_runs_from_the_cli(app, db, runner, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "REPORTS_FOLDER", str(tmp_path))  # keep the shared folder clean
    result = runner.invoke(args=["crm", "run-jobs"])
    assert result.exit_code == 0, result.output
    # Every channel is off: the delivery loop has nothing to do and is not run (no row, not a failure).
    assert "- 外部渠道投递（deliver_pending）未运行：未开启任何外部渠道，无需投递" in result.output
    assert sorted(db.session.scalars(select(JobRun.job))) == sorted(set(JOBS) - {"deliver_pending"})
    set_channels(wecom={"enabled": True, "webhook": "http://127.0.0.1:9/robot"})
    db.session.commit()
    result = runner.invoke(args=["crm", "run-jobs", "--job", "deliver_pending"])
    assert result.exit_code == 0 and "✓ 外部渠道投递（deliver_pending）" in result.output


def _beat(job: str, started: datetime, status: str = "ok", error: str | None = None) -> None:
    finished = None if status == "running" else started + timedelta(seconds=3)
    db.session.add(JobRun(job=job, started_at=started, finished_at=finished, status=status, error=error))
    db.session.flush()


def test_no_heartbeat_at_all_is_one_warning(db):
    [warning] = job_warnings(JOBS.values(), NOW)
    assert warning.startswith("定时提醒任务从未运行")


def test_warnings_for_missed_failed_and_stuck_jobs(db):
    for job in JOBS.values():  # every job ran when it should have (at 09:30, the loop a minute ago)
        _beat(job.name, NOW - timedelta(minutes=30 if job.every is None else 1))
    assert job_warnings(JOBS.values(), NOW) == []
    _beat("visit_reminders", NOW - timedelta(days=2))  # older than the last success: irrelevant
    db.session.execute(JobRun.__table__.delete().where(JobRun.job == "problem_deadlines"))
    _beat("problem_deadlines", datetime(2026, 10, 31, 23, 35, 20))  # yesterday: today's 07:35 run missed
    _beat("escalations", datetime(2026, 11, 1, 23, 40), "failed", "Traceback\nValueError: 坏数据")
    _beat("daily_digest", NOW - timedelta(hours=2), "running")
    warnings = job_warnings(JOBS.values(), NOW)
    assert warnings == [
        "定时任务“问题期限预警”未按时运行：上次成功运行于 2026-11-01 07:35，应于 2026-11-02 07:35 再次运行。"
        "请检查调度进程是否在运行。",
        "定时任务“自动提级协调”最近一次运行失败（2026-11-02 07:40）：ValueError: 坏数据",
        "定时任务“每日汇总”自 2026-11-02 08:00 起一直未结束，调度进程可能已中断。",
    ]
    states = {s.job.name: s for s in job_states(JOBS.values(), NOW)[0]}
    assert states["problem_deadlines"].missed and not states["visit_reminders"].missed
    assert states["visit_reminders"].next_at == datetime(2026, 11, 2, 23, 30)  # tomorrow 07:30
    assert "problem_deadlines" in jobs_to_catch_up(JOBS.values(), NOW)


def test_a_dead_delivery_loop_is_noticed_within_minutes(db):
    set_channels(wecom={"enabled": True, "webhook": "http://127.0.0.1:9/robot"})  # it has work to do
    for job in JOBS.values():
        _beat(job.name, NOW - timedelta(hours=1))
    warnings = job_warnings([JOBS["deliver_pending"]], NOW)
    assert len(warnings) == 1 and "外部渠道投递" in warnings[0]


def test_only_admins_see_system_warnings(db):
    admin, officer = make_user("admin"), make_user("officer")
    assert any("从未运行" in w for w in system_warnings(admin, date(2026, 11, 2), NOW, jobs=JOBS.values()))
    assert system_warnings(officer, date(2026, 11, 2), NOW) == []


def test_scheduler_settings(app):
    scheduler = build_scheduler(app, jobs=list(JOBS.values()), catch_up=False)
    assert str(scheduler.timezone) == "Asia/Shanghai"
    defaults = scheduler._job_defaults
    assert (defaults["coalesce"], defaults["max_instances"]) == (True, 1)
    assert defaults["misfire_grace_time"] == MISFIRE_GRACE_SECONDS
    assert {j.id for j in scheduler.get_jobs()} == set(JOBS)


@pytest.mark.parametrize(
    "name, label",
    [("visit_reminders", "每天 07:30"), ("weekly_overdue", "每周一 08:00"), ("deliver_pending", "每 1 分钟")],
)
def test_schedule_labels(name, label):
    assert JOBS[name].schedule_label == label


def test_cron_running_the_jobs_at_its_own_hour_is_on_time(db):
    """`run-jobs` from cron at 09:05 for a 07:30 job: late only when a whole day passes without a run."""
    job = JOBS["visit_reminders"]
    _beat(job.name, datetime(2026, 11, 1, 1, 5))  # 09:05 on 11-01 in Shanghai
    assert job_warnings([job], NOW) == []  # 10:00 on 11-02: today's run is due at 09:05 + grace
    late = job_warnings([job], datetime(2026, 11, 2, 3, 10))  # 11:10: more than two hours late
    assert len(late) == 1 and "应于 2026-11-02 09:05 再次运行" in late[0]


# ---- one run of a job at a time; a job with nothing to do is not run


def test_a_running_row_is_the_jobs_lock(db):
    now = datetime(2026, 11, 2, 2, 0)
    first = begin_run("visit_reminders", date(2026, 11, 2), now)
    assert first is not None
    assert begin_run("visit_reminders", date(2026, 11, 2), now) is None  # held
    assert begin_run("escalations", date(2026, 11, 2), now) is not None  # another job: its own lock
    assert end_dead_run("visit_reminders", now + timedelta(minutes=59)) == 0  # still alive
    finish_run(first, "ok", {"created": 0}, None, now + timedelta(seconds=3))
    second = begin_run("visit_reminders", date(2026, 11, 2), now + timedelta(minutes=1))
    assert second is not None and second != first
    # A run whose process died: after an hour the next run marks it failed and takes over.
    assert begin_run("visit_reminders", date(2026, 11, 2), now + timedelta(hours=2)) is None
    assert end_dead_run("visit_reminders", now + timedelta(hours=2)) == 1
    dead = db.session.get(JobRun, second)
    assert (dead.status, dead.error) == ("failed", DIED)
    assert begin_run("visit_reminders", date(2026, 11, 2), now + timedelta(hours=2)) is not None


def test_a_run_that_finds_its_job_running_waits_then_gives_up_without_a_row(app, db, monkeypatch):
    monkeypatch.setattr(jobs_module, "LOCK_WAIT", timedelta(seconds=0.3))
    monkeypatch.setattr(jobs_module, "LOCK_POLL_SECONDS", 0.05)
    _beat("visit_reminders", utcnow() - timedelta(minutes=5), "running")  # another process's run
    db.session.commit()
    alive = RunGuard("visit_reminders")  # that process is alive: on PostgreSQL it holds the job's lock
    assert alive.try_acquire()
    try:
        run = run_job(app, JOBS["visit_reminders"], today=date(2026, 11, 2))
    finally:
        alive.release()
    assert (run.status, run.error) == ("skipped", BUSY)
    db.session.rollback()
    assert db.session.scalar(select(func.count(JobRun.id))) == 1  # no row of its own, no failure


def test_a_run_left_running_by_a_dead_process_is_taken_over(app, db):
    _beat("visit_reminders", utcnow() - timedelta(hours=2), "running")
    db.session.commit()
    run = run_job(app, JOBS["visit_reminders"], today=date(2026, 11, 2))
    assert run.status == "ok"
    db.session.rollback()
    rows = db.session.execute(select(JobRun.status, JobRun.error).order_by(JobRun.id)).all()
    # PostgreSQL knows the process is gone (its job lock is free); SQLite goes by the hour.
    died = ORPHANED if db.engine.dialect.name == "postgresql" else DIED
    assert rows == [("failed", died), ("ok", None)]


def test_on_postgresql_a_dead_processs_run_is_taken_over_at_once(app, db):
    """Its job lock died with the process, so the next run need not wait for the hour."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite: one machine, the hour's wait stands")
    _beat("visit_reminders", utcnow() - timedelta(minutes=1), "running")
    db.session.commit()
    run = run_job(app, JOBS["visit_reminders"], today=date(2026, 11, 2))
    assert run.status == "ok"
    db.session.rollback()
    rows = db.session.execute(select(JobRun.status, JobRun.error).order_by(JobRun.id)).all()
    assert rows == [("failed", ORPHANED), ("ok", None)]


def test_the_delivery_loop_is_idle_while_every_channel_is_off(app, db):
    now = utcnow()
    run = run_job(app, JOBS["deliver_pending"])
    assert (run.status, run.error) == ("skipped", "未开启任何外部渠道，无需投递")
    assert db.session.scalar(select(func.count(JobRun.id))) == 0
    for job in JOBS.values():  # the others ran a minute ago; delivery never ran at all
        if job.name != "deliver_pending":
            _beat(job.name, now - timedelta(minutes=1))
    states = {s.job.name: s for s in job_states(JOBS.values(), now)[0]}
    idle = states["deliver_pending"]
    assert (idle.idle, idle.missed, idle.next_at) == ("未开启任何外部渠道，无需投递", False, None)
    assert job_warnings(JOBS.values(), now) == []
    assert "deliver_pending" not in jobs_to_catch_up(JOBS.values(), now)
    set_channels(dingtalk={"enabled": True, "webhook": "http://127.0.0.1:9/robot"})
    db.session.commit()
    states = {s.job.name: s for s in job_states(JOBS.values(), now)[0]}
    assert states["deliver_pending"].idle is None and states["deliver_pending"].next_at is not None
    assert run_job(app, JOBS["deliver_pending"]).status == "ok"


def test_a_channel_switched_off_with_deliveries_queued_still_runs_to_cancel_them(app, db):
    user = make_user("cadre")
    set_channels(wecom={"enabled": True, "webhook": "http://127.0.0.1:9/robot"})
    db.session.add(NotificationPref(user_id=user.id, channels=["wecom"]))
    notify(user, "system", "排队中的提醒", dedupe_key="queued")
    set_channels()  # all off again, one delivery still queued
    db.session.commit()
    run = run_job(app, JOBS["deliver_pending"])
    assert run.status == "ok"
    db.session.rollback()
    assert db.session.scalar(select(Delivery.status)) == "cancelled"
    assert run_job(app, JOBS["deliver_pending"]).status == "skipped"  # now idle
