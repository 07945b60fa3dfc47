"""The 月结 job: on the close day (the 3rd working day of the next month) it closes last month and makes
its official workbooks per park and for all parks — once — and the leaders in scope are told once."""

from datetime import date, datetime
from pathlib import Path

import pytest
from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import func, select

from crm.jobs import JOBS, run_job
from crm.models import GeneratedReport, MonthClose, Notification
from crm.reporting.monthly.close import close_due_months
from crm.reporting.monthly.generate import generate_monthly_reports, report_path
from tests.support.factories import make_user
from tests.support.reports import report_world

CLOSE_DAY = date(2026, 11, 4)  # November 2026: Mon 2 (1st working day), Tue 3 (2nd), Wed 4 (3rd)
NOW = datetime(2026, 11, 4, 0, 0)  # 08:00 in Shanghai


def _files() -> list[Path]:
    return sorted(Path(current_app.config["REPORTS_FOLDER"]).rglob("*.xlsx"))


def _notifications(user=None) -> list[Notification]:
    """The monthly-report announcements (the workflow sends its own notices too)."""
    from crm.extensions import db

    stmt = select(Notification).where(Notification.dedupe_key.startswith("monthly_report:"))
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return list(db.session.scalars(stmt))


def _october(db):
    return db.session.scalars(select(GeneratedReport).where(GeneratedReport.month == "2026-10")).all()


@pytest.fixture(autouse=True)
def _own_reports_folder(app, tmp_path, monkeypatch):
    """Scheduled files have fixed names: each test gets an empty REPORTS_FOLDER."""
    monkeypatch.setitem(app.config, "REPORTS_FOLDER", str(tmp_path / "reports"))


def test_close_job_makes_the_official_files_once_and_tells_leaders_once(db):
    w = report_world()
    inactive = make_user("leader", w.park_a, username="retired_leader")
    inactive.is_active_user = False
    db.session.commit()

    # The day before October's close day: only September (the month due then) is closed.
    counts = close_due_months(date(2026, 11, 3), NOW)
    db.session.commit()
    assert counts["closed"] == 1 and counts["reports"] == 3 and _october(db) == []
    before = set(_files())

    counts = close_due_months(CLOSE_DAY, NOW)
    db.session.commit()
    reports = _october(db)
    assert counts["closed"] == 1 and counts["reports"] == 3 and len(reports) == 3  # park A, park B, all
    assert {(r.park_id, r.created_by_id, r.auto_key) for r in reports} == {
        (w.park_a.id, None, "monthly:2026-10:A"),
        (w.park_b.id, None, "monthly:2026-10:B"),
        (None, None, "monthly:2026-10:all"),
    }
    [close] = db.session.scalars(select(MonthClose).where(MonthClose.month == "2026-10")).all()
    assert (close.version, close.status, close.closed_by_id) == (1, "closed", None)
    new_files = set(_files()) - before
    assert len(new_files) == 3
    for report in reports:
        path = report_path(report)
        assert path in new_files and path.stat().st_size == report.size
        wb = load_workbook(path)
        assert wb.sheetnames[0] == "汇总" and wb["汇总"]["A1"].value.endswith("联企服务月报（正式版）")
    park_a = next(r for r in reports if r.park_id == w.park_a.id)
    assert park_a.filename == "联企服务月报_2026年10月_甲园区.xlsx"

    [to_park_leader, *_] = [n for n in _notifications(w.leader_a) if "2026年10月" in n.title]
    assert "2026年10月联企服务月报（正式版）已生成（甲园区）" in to_park_leader.title
    assert to_park_leader.endpoint == "reports.index"
    assert any("全部园区" in n.title and "2026年10月" in n.title for n in _notifications(w.leader))
    assert _notifications(inactive) == [] and _notifications(w.officer) == []

    # A second run the same day, and a later one in the month: nothing new at all.
    told = len(_notifications())
    for day in (CLOSE_DAY, date(2026, 11, 15)):
        again = close_due_months(day)
        db.session.commit()
        assert again["reports"] == 0 and "closed" not in again
        assert generate_monthly_reports(day)["reports"] == 0
    assert db.session.scalar(select(func.count(MonthClose.id))) == 2
    assert len(_october(db)) == 3 and set(_files()) - before == new_files
    assert len(_notifications()) == told


def test_close_job_is_registered_daily_at_eight_and_runs_once(app, db):
    job = JOBS["month_close"]
    assert job.label == "月结" and job.cron == {"hour": 8, "minute": 0} and job.schedule_label == "每天 08:00"
    assert "monthly_report" not in JOBS  # the official workbooks are made at the close
    report_world()
    db.session.commit()
    run = run_job(app, job, today=CLOSE_DAY)
    assert run.status == "ok" and run.counts["closed"] == 1 and run.counts["reports"] == 3, run.error
    second = run_job(app, job, today=CLOSE_DAY)
    assert second.status == "ok" and "closed" not in second.counts and second.counts["reports"] == 0
    assert db.session.scalar(select(func.count(MonthClose.id))) == 1


def test_cli_closes_a_month_and_shows_each_months_state(runner, db):
    report_world()
    db.session.commit()
    bad = runner.invoke(args=["crm", "month-close", "--month", "2026-11"])
    assert bad.exit_code == 2 and "2026年11月尚未结束，不能结账" in bad.output
    done = runner.invoke(args=["crm", "month-close", "--month", "2026-10"])
    assert done.exit_code == 0, done.output
    assert "已月结：2026年10月（第1版）" in done.output and "生成报表 3 份" in done.output
    again = runner.invoke(args=["crm", "month-close", "--month", "2026-10"])
    assert again.exit_code == 2 and "已月结（第1版），无需再次结账" in again.output
    planned = runner.invoke(args=["crm", "month-close"])  # the scheduler's 月结: nothing after October
    assert planned.exit_code == 0 and "今天没有需要月结的月份" in planned.output
    status = runner.invoke(args=["crm", "month-status"])
    lines = status.output.splitlines()
    assert lines[0] == "结账日：次月第3个工作日"
    assert lines[1].startswith("2026年11月　初稿　计划于 2026-12-03 月结")
    assert lines[2].startswith("2026年10月　已月结 第1版") and "系统自动" in lines[2]
    assert lines[3] == "2026年9月　初稿　计划于 2026-10-10 月结（已过结账日，尚未月结）"
