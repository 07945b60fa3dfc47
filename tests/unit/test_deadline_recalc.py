"""Deadlines in a year the package does not know: counted on the statutory rule while provisional,
recomputed (with an event and a notification) when the admin confirms the year's holiday table."""

from datetime import date
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from crm.models import CalendarYear, Notification, ProblemEvent
from crm.reporting.monthly.build import build_monthly_report
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.state import problem_states, replay
from crm.reporting.monthly.writer import write_monthly_workbook
from crm.services.problems.queries import problem_clock
from crm.services.problems.recalc import confirm_year_and_recalc
from crm.services.problems.rules import RuleBook
from crm.services.workdays.admin import CalendarEntry, set_calendar_days
from crm.services.workdays.calendar import load_calendar
from tests.support.problems import make_problem, problem_world, step

NYE = date(2026, 12, 31)  # a Thursday; 2027-01-01 (Friday) is 元旦
CONFIRMED_ON = date(2027, 1, 4)
# A made-up notice that moves some of the rule's deadlines: 01-04 and 01-18 off, Saturday 01-09 on.
NOTICE = [
    CalendarEntry(date(2027, 1, 1), False, "元旦"),
    CalendarEntry(date(2027, 1, 4), False, "元旦补休"),
    CalendarEntry(date(2027, 1, 9), True, "元旦调休"),
    CalendarEntry(date(2027, 1, 18), False, "临时调整"),
]


def _deadlines(p):
    return (p.sign_due_on, p.feedback_due_on, p.progress_due_on, p.due_on)


def test_a_problem_dispatched_on_new_years_eve_gets_rule_deadlines(db):
    w = problem_world()
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, w.officer, raised_on=NYE, on=NYE)
    # 签收 on Monday 01-04, not on 元旦; 10 working days: 01-04..08, 01-11..15.
    assert _deadlines(p) == (date(2027, 1, 4), date(2027, 1, 6), date(2027, 1, 12), date(2027, 1, 15))
    clock = problem_clock(date(2027, 1, 4))
    assert clock.colour(p) != "red"  # not overdue on the day it is due
    assert clock.provisional_note([p]) == (
        "2027年调休安排尚未录入，期限按法定节假日和周一至周五推算，录入后将自动调整。"
    )


def test_the_spring_festival_2027_by_the_rule(db):
    w = problem_world()
    day = date(2027, 2, 4)  # the Thursday before 除夕 (02-05) … 初三 (02-08)
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, w.officer, raised_on=day, on=day)
    assert p.sign_due_on == date(2027, 2, 9) and p.feedback_due_on == date(2027, 2, 11)


def test_confirming_the_year_recomputes_open_deadlines_with_an_event_and_a_notice(db):
    w = problem_world()
    kw = {"raised_on": NYE, "on": NYE}
    signed = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, w.officer, **kw)
    extended = make_problem(w.firm, w.cadre, "extension", w.dept, w.handler, w.officer, **kw)
    step(extended, "approve_extension", w.officer, NYE)
    assert extended.due_on == date(2027, 1, 20)  # due 01-15 + 3 working days
    closed = make_problem(w.firm, w.cadre, "closed", w.dept, w.handler, w.officer, **kw)
    before_closed = _deadlines(closed)
    set_calendar_days(w.admin, NOTICE)
    row, moved = confirm_year_and_recalc(w.admin, 2027, None, CONFIRMED_ON)
    db.session.flush()
    assert row.year == 2027 and moved == 2
    # 签收 01-05, 首次反馈 01-07; 阶段进展 and 办结 land where they were (01-09 is worked).
    assert _deadlines(signed) == (date(2027, 1, 5), date(2027, 1, 7), date(2027, 1, 12), date(2027, 1, 15))
    # The granted 3 extra working days are kept: 01-15 → 01-19, 01-20, 01-21 (01-18 is now off).
    assert extended.due_on == date(2027, 1, 21) and extended.extension_count == 1
    assert _deadlines(closed) == before_closed
    event = db.session.scalars(
        select(ProblemEvent).where(
            ProblemEvent.problem_id == signed.id, ProblemEvent.action == "recalc_deadlines"
        )
    ).one()
    assert event.actor_id is None and event.from_status == event.to_status == "dispatched"
    assert event.happened_on == CONFIRMED_ON and event.action_label == "期限调整"
    assert "签收期限由 2027-01-04 调整为 2027-01-05" in event.note
    assert "首次反馈期限由 2027-01-06 调整为 2027-01-07" in event.note and "办结期限" not in event.note
    assert event.data["changes"] == {
        "sign_due_on": ["2027-01-04", "2027-01-05"],
        "feedback_due_on": ["2027-01-06", "2027-01-07"],
    }
    notices = db.session.scalars(select(Notification).where(Notification.user_id == w.handler.id)).all()
    titles = [n.title for n in notices if n.problem_id == signed.id]
    assert "问题期限已调整：用电增容" in titles
    assert not db.session.scalars(
        select(ProblemEvent).where(
            ProblemEvent.problem_id == closed.id, ProblemEvent.action == "recalc_deadlines"
        )
    ).all()
    assert db.session.get(CalendarYear, 2027) is not None
    assert problem_clock(CONFIRMED_ON).provisional_note([signed]) is None


def test_the_recalculation_is_replayed_at_month_end(db):
    w = problem_world()
    p = make_problem(w.firm, w.cadre, "extension", w.dept, w.handler, w.officer, raised_on=NYE, on=NYE)
    step(p, "approve_extension", w.officer, NYE)
    set_calendar_days(w.admin, NOTICE)
    confirm_year_and_recalc(w.admin, 2027, None, CONFIRMED_ON)
    db.session.flush()
    book, cal = RuleBook.load(), load_calendar()
    period = Period.parse("2027-01", date(2027, 2, 1))
    state = next(s for s in problem_states(ReportScope(None), period, book, cal) if s.id == p.id)
    rows = db.session.execute(
        select(
            ProblemEvent.action,
            ProblemEvent.to_status,
            ProblemEvent.department_id,
            ProblemEvent.data,
            ProblemEvent.happened_on,
        )
        .where(ProblemEvent.problem_id == p.id)
        .order_by(ProblemEvent.at, ProblemEvent.id)
    )
    replay(state, [tuple(row) for row in rows], book, cal)
    assert _deadlines(state) == _deadlines(p) and p.due_on == date(2027, 1, 21)


def test_the_monthly_workbook_carries_the_caveat_while_provisional(db):
    w = problem_world()
    make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, w.officer, raised_on=NYE, on=NYE)
    report = build_monthly_report(ReportScope(None), Period.parse("2026-12", date(2027, 1, 2)))
    assert report.calendar_note and report.calendar_note.startswith("2027年调休安排尚未录入")
    wb = load_workbook(BytesIO(write_monthly_workbook(report).getvalue()))
    cells = [row[0] for row in wb["汇总"].iter_rows(values_only=True) if row and row[0]]
    assert f"注意：{report.calendar_note}" in cells
    db.session.add(CalendarYear(year=2027))
    db.session.flush()
    report = build_monthly_report(ReportScope(None), Period.parse("2026-12", date(2027, 1, 2)))
    assert report.calendar_note is None
