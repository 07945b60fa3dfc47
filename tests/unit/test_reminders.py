"""The reminder services with a fixed today: exactly the expected notifications, and never twice."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from crm.extensions import db
from crm.models import CalendarYear, Notification, Problem
from crm.services.notifications.inbox import notify
from crm.services.reminders.scheduled import (
    holiday_calendar_reminder,
    problem_deadline_reminders,
    run_escalations,
    visit_reminders,
    weekly_overdue_list,
)
from tests.support.dates import TODAY
from tests.support.reminders import make_reminder_world, notes
from tests.support.visits import make_visit


@pytest.fixture()
def w(db):
    return make_reminder_world()


def firm_keys(firm) -> set[str]:
    stmt = select(Notification.dedupe_key).where(Notification.enterprise_id == firm.id)
    return set(db.session.scalars(stmt))


def total() -> int:
    return db.session.scalar(select(func.count(Notification.id)))


def test_visit_reminders_are_exactly_the_due_and_overdue_firms(w):
    counts = visit_reminders(TODAY)
    db.session.commit()
    assert notes() == {
        ("rem_cadre", f"visit:contact:soon:{w.soon.id}:2026-11-03"),
        ("rem_cadre", f"visit:contact:overdue:{w.late.id}:2026-10-27"),
        ("rem_cadre", f"visit:onsite:overdue:{w.late.id}:2026-10-31"),
        ("rem_cadre2", f"visit:contact:overdue:{w.never.id}:2026-09-08"),
        ("rem_cadre2", f"visit:onsite:overdue:{w.never.id}:2026-09-30"),
    }
    assert counts["created"] == 5
    soon = db.session.scalar(select(Notification).where(Notification.enterprise_id == w.soon.id))
    assert soon.kind == "visit_due" and soon.read_at is None
    assert soon.title == "即将到期：请于11月03日前联系即将到期电机有限公司"
    assert "上次联系是2026-10-27" in soon.body
    late = db.session.scalar(
        select(Notification).where(Notification.dedupe_key == f"visit:onsite:overdue:{w.late.id}:2026-10-31")
    )
    assert late.title == "上门走访已逾期：逾期机械有限公司" and "已逾期2天" in late.body


def test_second_run_creates_nothing(w):
    visit_reminders(TODAY)
    problem_deadline_reminders(TODAY)
    weekly_overdue_list(TODAY)
    db.session.commit()
    before = total()
    assert visit_reminders(TODAY)["created"] == 0
    assert problem_deadline_reminders(TODAY)["created"] == 0
    assert weekly_overdue_list(TODAY)["created"] == 0
    db.session.commit()
    assert total() == before > 0


def test_the_next_period_reminds_again(w):
    """Due soon, then overdue; a new contact starts a new period that reminds again when it nears."""
    visit_reminders(TODAY)
    assert visit_reminders(date(2026, 11, 3))["created"] == 0  # day 11-03 is still the due day
    made = visit_reminders(date(2026, 11, 4))
    assert ("rem_cadre", f"visit:contact:overdue:{w.soon.id}:2026-11-03") in notes()
    assert made["created"] == 1
    make_visit(w.soon, w.cadre, date(2026, 11, 4), "phone")
    visit_reminders(date(2026, 11, 8))  # due 11-11: not yet within 2 days
    assert firm_keys(w.soon) == {
        f"visit:contact:soon:{w.soon.id}:2026-11-03",
        f"visit:contact:overdue:{w.soon.id}:2026-11-03",
    }
    visit_reminders(date(2026, 11, 9))
    assert ("rem_cadre", f"visit:contact:soon:{w.soon.id}:2026-11-11") in notes()
    # At the end of November the monthly on-site visit of `soon` (last 10-10) falls due.
    visit_reminders(date(2026, 11, 29))
    assert ("rem_cadre", f"visit:onsite:soon:{w.soon.id}:2026-11-30") in notes()


def test_weekly_list_goes_to_the_parks_officers_grouped_by_cadre(w):
    counts = weekly_overdue_list(TODAY)
    key = f"visit:weekly:{w.park.id}:2026-W45"
    assert notes() == {("rem_officer", key), ("rem_officer2", key)}
    assert counts == {"parks": 1, "created": 2}
    note = db.session.scalar(select(Notification).where(Notification.user_id == w.officer.id))
    assert note.title == "逾期走访周报（2026年第45周）：3家企业逾期"
    assert "联企干部甲：1家（逾期机械有限公司）" in note.body
    assert "联企干部乙：1家（从未走访材料有限公司）" in note.body
    assert "已停用干部：1家（停用干部名下有限公司）" in note.body
    assert note.endpoint == "coverage.index"
    # Next week is a new list.
    weekly_overdue_list(date(2026, 11, 9))
    assert ("rem_officer", f"visit:weekly:{w.park.id}:2026-W46") in notes()


def test_problem_deadlines_reach_handlers_and_the_cadre(w):
    counts = problem_deadline_reminders(TODAY)
    a, b = w.a.id, w.b.id
    expected = {
        # a names h1: h1 and the firm's cadre, sign overdue (red) and feedback due today (yellow).
        ("rem_h1", f"problem:{a}:deadline:2026-10-29:red"),
        ("rem_cadre", f"problem:{a}:deadline:2026-10-29:red"),
        ("rem_h1", f"problem:{a}:deadline:2026-11-02:yellow"),
        ("rem_cadre", f"problem:{a}:deadline:2026-11-02:yellow"),
    }
    for user in ("rem_h1", "rem_h2", "rem_head", "rem_cadre"):  # b: the whole department
        # feedback 11-04 (a 3-working-day window) is not near before its own day
        expected.add((user, f"problem:{b}:deadline:2026-11-02:yellow"))
    assert notes() == expected
    assert counts == {"problems": 2, "created": 8}
    red = db.session.scalar(
        select(Notification).where(
            Notification.user_id == w.h1.id, Notification.dedupe_key.endswith("10-29:red")
        )
    )
    assert red.title == "签收期限已过：用电增容迟迟未批"
    assert (red.kind, red.problem_id, red.enterprise_id) == ("problem_deadline", a, w.fine.id)
    today_due = db.session.scalar(
        select(Notification).where(
            Notification.user_id == w.h2.id, Notification.dedupe_key.endswith("11-02:yellow")
        )
    )
    assert today_due.title == "签收期限今天到期：招工补贴未到账"


def test_an_extension_moves_the_deadline_and_reminds_again(w):
    problem_deadline_reminders(TODAY)
    a = db.session.get(Problem, w.a.id)
    a.sign_due_on = a.feedback_due_on = date(2026, 11, 4)  # e.g. re-dispatched with new deadlines
    db.session.flush()
    problem_deadline_reminders(TODAY)
    assert ("rem_h1", f"problem:{a.id}:deadline:2026-11-04:yellow") in notes()


def test_escalation_raises_the_level_and_tells_the_new_level_once(w):
    counts = run_escalations(TODAY)
    assert counts == {"escalated": 1}
    assert db.session.get(Problem, w.a.id).level == 2  # sign overdue 2 working days -> level 2
    assert notes() == {("rem_head", f"problem:{w.a.id}:level:2")}
    note = db.session.scalar(select(Notification))
    assert note.kind == "escalation" and note.title == "问题提级至平台部门协调：用电增容迟迟未批"
    assert "逾期2个工作日" in note.body
    assert run_escalations(TODAY) == {"escalated": 0}
    assert total() == 1


def test_december_calendar_reminder_once_per_year(w):
    assert holiday_calendar_reminder(date(2026, 11, 30)) == {"created": 0}
    assert holiday_calendar_reminder(date(2026, 12, 1)) == {"created": 1}
    assert notes() == {("rem_admin", "calendar:2027")}
    assert holiday_calendar_reminder(date(2026, 12, 2)) == {"created": 0}
    db.session.add(CalendarYear(year=2028))
    db.session.flush()
    assert holiday_calendar_reminder(date(2027, 12, 1)) == {"created": 0}  # 2028 confirmed by an admin


def test_notify_is_enforced_by_the_database(w):
    first = notify(w.cadre, "system", "测试", dedupe_key="k:1", now=datetime(2026, 11, 2, 1))
    again = notify(w.cadre, "system", "测试（再次）", dedupe_key="k:1")
    other = notify(w.cadre2, "system", "测试", dedupe_key="k:1")
    assert first and other and again is None
    db.session.commit()
    with pytest.raises(IntegrityError):  # the unique constraint itself, not a Python check
        db.session.add(Notification(user_id=w.cadre.id, kind="system", title="x", dedupe_key="k:1"))
        db.session.flush()
    db.session.rollback()
    assert notify(w.gone, "system", "停用账号", dedupe_key="k:2") is None
