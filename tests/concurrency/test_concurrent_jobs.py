"""Two runs of one job at the same moment (two `flask crm run-jobs` for the same day, cron beside the
scheduler), as threads and as separate processes, against the suite's database (SQLite, then PostgreSQL
in the second pass of scripts/test.sh):

- they take turns: the job's running heartbeat row is its lock, so the second starts when the first has
  finished, finds the work done and records success, not a failure (it used to fail on the UNIQUE
  stored_name of the monthly report);
- the monthly report itself is idempotent even without that lock: two generators at once store each
  workbook once and neither fails.
"""

import threading
from datetime import date

import pytest
from sqlalchemy import func, select

import crm.reporting.monthly.generate as generate
from crm.extensions import db as _db
from crm.models import GeneratedReport, JobRun, Notification
from crm.reporting.monthly.close import close_month
from tests.concurrency.workers import ProcessPool, run_in_threads
from tests.support.reports import report_world

FIRST = date(2026, 11, 4)  # October's close day (月结): its workbooks, parks A and B and all parks
SLOW = 0.3  # seconds per workbook: long enough for two unguarded runs to overlap


@pytest.fixture()
def month(db, app, tmp_path, monkeypatch):
    """The crafted October, committed; scheduled files (fixed names) go to a folder of this test."""
    folder = tmp_path / "reports"
    monkeypatch.setitem(app.config, "REPORTS_FOLDER", str(folder))
    w = report_world()
    _db.session.commit()
    w.reports_folder = folder
    return w


@pytest.fixture(scope="module")
def job_pool(app, tmp_path_factory):
    """Two worker processes with apps of their own on the suite's database."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url == "sqlite://" or ":memory:" in url:
        pytest.skip("processes cannot share an in-memory SQLite database; set TEST_DATABASE_URL")
    folder = tmp_path_factory.mktemp("job-reports")
    pool = ProcessPool(url, app.config["UPLOAD_FOLDER"], 2, reports_folder=str(folder))
    pool.reports_folder = folder
    yield pool
    pool.close()


def _check_the_two_runs(outcomes: list[dict], workbooks: int, folder) -> None:
    """Both succeeded; one built the three workbooks, the other started after it and found them done."""
    assert [o["status"] for o in outcomes] == ["ok", "ok"], outcomes
    first, second = sorted(outcomes, key=lambda o: o["finished"])
    assert (first["counts"]["reports"], second["counts"]["reports"]) == (3, 0), outcomes
    # Had they overlapped, both would have read "nothing done yet" and built all three (six in all).
    assert workbooks == 3, "the two runs overlapped"
    _db.session.rollback()  # see what the workers committed
    runs = _db.session.execute(select(JobRun.job, JobRun.status)).all()
    assert runs == [("month_close", "ok")] * 2
    reports = _db.session.scalars(select(GeneratedReport)).all()
    assert len(reports) == 3 and all(r.auto_key for r in reports)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.xlsx")) == sorted(
        r.stored_name for r in reports
    )
    told = _db.session.scalar(
        select(func.count(Notification.id)).where(Notification.dedupe_key.startswith("monthly_report:"))
    )
    assert told == 2  # the park leader and the city leader, once each


def test_two_runs_in_threads_take_turns_and_the_second_finds_the_work_done(app, month, monkeypatch):
    real, built = generate.monthly_workbook, []

    def slow(*args, **kwargs):
        built.append(1)
        threading.Event().wait(SLOW)
        return real(*args, **kwargs)

    monkeypatch.setattr(generate, "monthly_workbook", slow)
    spec = {"job": "month_close", "today": FIRST.isoformat()}
    outcomes = run_in_threads(app, "run_job_once", [spec, dict(spec)])
    _check_the_two_runs(outcomes, len(built), month.reports_folder)


def test_two_runs_in_processes_take_turns_and_the_second_finds_the_work_done(month, job_pool):
    spec = {"job": "month_close", "today": FIRST.isoformat(), "slow": SLOW}
    outcomes = job_pool.run("run_job_once", [spec, dict(spec)])
    _check_the_two_runs(outcomes, sum(o["workbooks"] for o in outcomes), job_pool.reports_folder)


def test_two_monthly_generators_at_once_store_each_workbook_once(app, month, monkeypatch):
    """Without the job's lock (the generator called directly): the unique key settles it, no failure."""
    close_month("2026-10", None, FIRST)
    _db.session.commit()
    real = generate.monthly_workbook

    def slow(*args, **kwargs):
        threading.Event().wait(SLOW)
        return real(*args, **kwargs)

    monkeypatch.setattr(generate, "monthly_workbook", slow)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait(timeout=20)
                results.append(generate.generate_monthly_reports(FIRST))
                _db.session.commit()
            except Exception as exc:  # reported below: a thread's failure must fail the test
                _db.session.rollback()
                errors.append(repr(exc))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sum(r["reports"] for r in results) == 3
    _db.session.rollback()
    assert _db.session.scalar(select(func.count(GeneratedReport.id))) == 3
    assert len(list(month.reports_folder.rglob("*.xlsx"))) == 3
