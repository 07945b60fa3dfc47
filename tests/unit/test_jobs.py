"""The job wrapper and its heartbeat, `flask crm run-jobs` exit codes, and the missed-run warnings."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.jobs import JOBS, MISFIRE_GRACE_SECONDS, Job, build_scheduler, run_job
from crm.models import JobRun, Notification
from crm.services.notifications.inbox import notify
from crm.services.system.job_status import job_states, job_warnings, jobs_to_catch_up
from crm.services.system.warnings import system_warnings
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
    assert "✓ visit_reminders（走访到期提醒）：企业 0，新建提醒 0" in ok.output

    unknown = runner.invoke(args=["crm", "run-jobs", "--job", "nope"])
    assert unknown.exit_code == 2 and "未知任务：nope" in unknown.output
    bad_day = runner.invoke(args=["crm", "run-jobs", "--today", "2026-02-30"])
    assert bad_day.exit_code == 2 and "日期格式不正确" in bad_day.output

    _boom.user = make_user("admin")
    db.session.commit()
    monkeypatch.setitem(JOBS, "boom", Job("boom", "测试任务", _boom, cron={"hour": 1}))
    failed = runner.invoke(args=["crm", "run-jobs", "--job", "visit_reminders", "--job", "boom"])
    assert failed.exit_code == 1
    assert "✗ boom（测试任务）运行失败：RuntimeError: 数据库连接中断" in failed.output
    assert "1 个任务运行失败" in failed.output
    db.session.rollback()
    statuses = dict(db.session.execute(select(JobRun.job, JobRun.status).where(JobRun.job == "boom")).all())
    assert statuses == {"boom": "failed"}


def test_every_job_runs_from_the_cli(app, db, runner, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "REPORTS_FOLDER", str(tmp_path))  # keep the shared folder clean
    result = runner.invoke(args=["crm", "run-jobs"])
    assert result.exit_code == 0, result.output
    assert sorted(db.session.scalars(select(JobRun.job))) == sorted(JOBS)


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
