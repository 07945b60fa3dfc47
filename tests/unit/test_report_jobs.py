"""The monthly job: on the 1st, last month's workbook per park and for all parks — once — and the
leaders in scope are told once through the notification centre."""

from datetime import date, datetime
from pathlib import Path

import pytest
from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import func, select

from crm.jobs import JOBS, run_job
from crm.models import GeneratedReport, Notification
from crm.reporting.monthly.generate import generate_monthly_reports, report_path
from tests.support.factories import make_user
from tests.support.reports import report_world

FIRST = date(2026, 11, 1)
NOW = datetime(2026, 11, 1, 0, 0)  # 08:00 in Shanghai


def _files() -> list[Path]:
    return sorted(Path(current_app.config["REPORTS_FOLDER"]).rglob("*.xlsx"))


def _notifications(user=None) -> list[Notification]:
    """The monthly-report announcements (the workflow sends its own notices too)."""
    from crm.extensions import db

    stmt = select(Notification).where(Notification.dedupe_key.startswith("monthly_report:"))
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return list(db.session.scalars(stmt))


@pytest.fixture(autouse=True)
def _own_reports_folder(app, tmp_path, monkeypatch):
    """Scheduled files have fixed names: each test gets an empty REPORTS_FOLDER."""
    monkeypatch.setitem(app.config, "REPORTS_FOLDER", str(tmp_path / "reports"))


def test_monthly_job_creates_each_file_once_and_tells_leaders_once(db):
    w = report_world()
    inactive = make_user("leader", w.park_a, username="retired_leader")
    inactive.is_active_user = False
    db.session.commit()
    before = set(_files())

    counts = generate_monthly_reports(FIRST, NOW)
    db.session.commit()
    reports = db.session.scalars(select(GeneratedReport).order_by(GeneratedReport.id)).all()
    assert counts["reports"] == 3 and len(reports) == 3  # park A, park B, all parks
    assert {(r.month, r.park_id, r.created_by_id) for r in reports} == {
        ("2026-10", w.park_a.id, None),
        ("2026-10", w.park_b.id, None),
        ("2026-10", None, None),
    }
    new_files = set(_files()) - before
    assert len(new_files) == 3
    for report in reports:
        path = report_path(report)
        assert path in new_files and path.stat().st_size == report.size
        assert load_workbook(path).sheetnames[0] == "汇总"
    park_a = next(r for r in reports if r.park_id == w.park_a.id)
    assert park_a.filename == "联企服务月报_2026年10月_甲园区.xlsx"

    [to_park_leader] = _notifications(w.leader_a)
    assert "2026年10月联企服务月报已生成（甲园区）" in to_park_leader.title
    assert to_park_leader.endpoint == "reports.index"
    [to_city_leader] = _notifications(w.leader)
    assert "全部园区" in to_city_leader.title
    assert _notifications(inactive) == [] and _notifications(w.officer) == []

    # A second run the same day, and a later one in the month: nothing new at all.
    for day in (FIRST, date(2026, 11, 15)):
        again = generate_monthly_reports(day)
        db.session.commit()
        assert again["reports"] == 0
    assert db.session.scalar(select(func.count(GeneratedReport.id))) == 3
    assert set(_files()) - before == new_files
    assert len(_notifications(w.leader_a)) == 1 and len(_notifications(w.leader)) == 1
    assert len(_notifications()) == 2


def test_monthly_job_is_registered_on_the_first_at_eight(app, db):
    job = JOBS["monthly_report"]
    assert job.cron == {"day": 1, "hour": 8, "minute": 0} and job.schedule_label == "每月1日 08:00"
    report_world()
    db.session.commit()
    run = run_job(app, job, today=FIRST)
    assert run.status == "ok" and run.counts["reports"] == 3
    assert run_job(app, job, today=FIRST).counts["reports"] == 0
