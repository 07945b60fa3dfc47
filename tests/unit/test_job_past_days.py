"""A job that decides from the current state (reminders, escalations) never runs for an earlier day: the
tables hold today's state, so its decisions would be recorded under a date they do not describe."""

from datetime import date

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.jobs import JOBS, past_day_refusal, run_job
from crm.models import JobRun, Notification, ProblemEvent
from tests.support.dates import TODAY
from tests.support.problems import make_problem, problem_world, step

YESTERDAY = date(2026, 11, 1)
STATE_JOBS = ("visit_reminders", "problem_deadlines", "escalations", "weekly_overdue")


@pytest.fixture()
def late(db):
    """A problem dispatched on 10-26 and never signed (sign was due 10-27) until today, 11-02."""
    w = problem_world()
    w.problem = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, on=date(2026, 10, 26))
    step(w.problem, "accept", w.handler, on=TODAY)
    db.session.commit()
    return w


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count(model.id)).where(*where))


@pytest.mark.parametrize("name", STATE_JOBS)
def test_a_state_job_refuses_an_earlier_day(app, late, name):
    notices = _count(Notification)  # those the workflow sent
    run = run_job(app, JOBS[name], today=YESTERDAY)
    assert (run.status, run.run_for) == ("refused", YESTERDAY)
    assert run.error.startswith("补跑只能针对今天（2026-11-02）：")
    assert "不代表 2026-11-01 当日的状态，不能按 2026-11-01 的日期记录" in run.error
    assert _count(JobRun) == 0 and _count(Notification) == notices
    assert _count(ProblemEvent, ProblemEvent.action == "escalate") == 0


@pytest.mark.parametrize("name", STATE_JOBS)
def test_a_state_job_runs_for_today_and_later_days(app, late, name):
    assert past_day_refusal(JOBS[name], TODAY) is None
    assert run_job(app, JOBS[name], today=TODAY).status == "ok"
    assert run_job(app, JOBS[name], today=date(2026, 11, 3)).status == "ok"


def test_period_jobs_may_run_for_an_earlier_day(app, db):
    for name in ("month_close", "daily_digest", "holiday_calendar"):
        assert past_day_refusal(JOBS[name], YESTERDAY) is None, name
    assert run_job(app, JOBS["month_close"], today=YESTERDAY).status == "ok"


def test_run_jobs_refuses_an_earlier_day_with_a_non_zero_exit(app, late, runner):
    refused = runner.invoke(args=["crm", "run-jobs", "--job", "escalations", "--today", "2026-10-30"])
    assert refused.exit_code == 2
    assert "✗ 自动提级协调（escalations）不能补跑：补跑只能针对今天（2026-11-02）" in refused.output
    assert "依据问题的当前状态和期限判断" in refused.output and "未运行任何任务" in refused.output
    # Nothing ran, not even the job that could have: the request is refused as a whole.
    mixed = runner.invoke(
        args=[
            "crm",
            "run-jobs",
            "--job",
            "month_close",
            "--job",
            "problem_deadlines",
            "--today",
            "2026-11-01",
        ]
    )
    assert mixed.exit_code == 2 and "问题期限预警（problem_deadlines）不能补跑" in mixed.output
    assert _count(JobRun) == 0
    assert _count(ProblemEvent, ProblemEvent.action == "escalate") == 0
    report = runner.invoke(args=["crm", "run-jobs", "--job", "month_close", "--today", "2026-11-01"])
    assert report.exit_code == 0, report.output
    today = runner.invoke(args=["crm", "run-jobs", "--job", "escalations", "--today", "2026-11-02"])
    assert today.exit_code == 0, today.output
