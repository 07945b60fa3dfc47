"""Working-day arithmetic on the official calendar: holidays, 调休 make-up days, unknown years."""

from datetime import date, timedelta

import pytest

from crm.models import CalendarDay, CalendarYear
from crm.services.problems.deadlines import checkpoints_for
from crm.services.problems.rules import ProblemRules
from crm.services.workdays.calendar import WorkCalendar, calendar_warnings, load_calendar

MAKE_UP_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]


@pytest.fixture()
def cal():
    return WorkCalendar()


def test_make_up_weekend_days_of_2026_are_workdays(cal):
    for day in MAKE_UP_2026:
        d = date.fromisoformat(day)
        assert d.weekday() >= 5 and cal.is_workday(d), day


def test_national_day_is_not_a_workday(cal):
    assert not any(cal.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert cal.is_workday(date(2026, 10, 8)) and cal.is_workday(date(2026, 10, 9))


def test_deadlines_across_national_day_and_its_saturday(cal):
    """Dispatched on 2026-09-30: day 1 is 10-08, day 3 the 调休 Saturday 10-10, day 7 is 10-15."""
    cp = checkpoints_for(date(2026, 9, 30), "utilities", "normal", ProblemRules(), cal)
    assert (cp.sign, cp.feedback, cp.progress, cp.due) == (
        date(2026, 10, 8),
        date(2026, 10, 10),
        date(2026, 10, 15),
        date(2026, 10, 20),
    )
    urgent = checkpoints_for(date(2026, 9, 30), "utilities", "urgent", ProblemRules(), cal)
    # An urgent problem's 3-day limit caps the 7-day checkpoint.
    assert (urgent.due, urgent.progress) == (date(2026, 10, 10), date(2026, 10, 10))


def test_deadlines_across_a_weekend(cal):
    friday = date(2026, 11, 6)
    assert cal.add_workdays(friday, 1) == date(2026, 11, 9)
    assert cal.add_workdays(friday, 3) == date(2026, 11, 11)
    assert cal.add_workdays(date(2026, 11, 7), 1) == date(2026, 11, 9)  # from a Saturday
    assert cal.workdays_between(friday, date(2026, 11, 9)) == 1
    assert cal.workdays_between(date(2026, 11, 9), friday) == -1
    assert cal.add_workdays(friday, 0) == friday


def test_workdays_between_matches_counting_day_by_day(cal):
    start = date(2026, 9, 1)
    for end in (date(2026, 10, 31), date(2027, 2, 1), start):
        slow = sum(cal.is_workday(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))
        assert cal.workdays_between(start, end) == slow


def test_year_end_into_2027_without_data_uses_the_statutory_rule(db):
    cal = load_calendar()
    assert not cal.year_known(2027) and cal.is_provisional(2027) and not cal.is_provisional(2026)
    # New Year's Day 2027 (01-01) is a Friday but 元旦 by the rule: the next working day is Monday 01-04.
    assert not cal.is_workday(date(2027, 1, 1)) and cal.day_name(date(2027, 1, 1)) == "元旦"
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    # counting: 12-30 → 12-31 (1), 01-04..08 (2–6), 01-11..14 (7–10)
    assert cal.add_workdays(date(2026, 12, 30), 10) == date(2027, 1, 14)
    assert cal.is_workday(date(2027, 1, 4))  # no NotImplementedError from the package


def test_spring_festival_2027_by_the_rule_is_chuxi_to_chusan(db):
    cal = load_calendar()
    festival = [date(2027, 2, d) for d in (5, 6, 7, 8)]  # 除夕 (Fri) … 初三 (Mon)
    assert all(not cal.is_workday(d) and cal.day_name(d) == "春节" for d in festival)
    assert cal.is_workday(date(2027, 2, 4)) and cal.is_workday(date(2027, 2, 9))
    assert not cal.is_workday(date(2027, 2, 14))  # no 调休 make-up day before the notice
    assert cal.add_workdays(date(2027, 2, 4), 1) == date(2027, 2, 9)


def test_deadlines_of_a_problem_dispatched_on_new_years_eve_2026(db):
    rules = ProblemRules(sign_days=1, feedback_days=3, progress_days=7)
    cp = checkpoints_for(date(2026, 12, 31), "finance", "normal", rules, load_calendar())
    assert cp.sign == date(2027, 1, 4)  # not 01-01 (元旦)
    assert cp.feedback == date(2027, 1, 6)


def test_year_end_into_2027_with_loaded_data(db):
    db.session.add_all(
        [
            CalendarDay(day=date(2027, 1, 1), is_workday=False, name="元旦"),
            CalendarDay(day=date(2027, 1, 2), is_workday=False, name="元旦"),
            CalendarDay(day=date(2027, 1, 3), is_workday=False, name="元旦"),
            CalendarDay(day=date(2027, 1, 9), is_workday=True, name="元旦调休"),
            CalendarYear(year=2027),
        ]
    )
    db.session.flush()
    cal = load_calendar()
    assert cal.year_known(2027)
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)
    # counting: 12-30 → 12-31 (1), 01-04..08 (2–6), 01-09 调休 (7), 01-11..13 (8–10)
    assert cal.add_workdays(date(2026, 12, 30), 10) == date(2027, 1, 13)
    assert cal.add_workdays(date(2026, 12, 30), 7) == date(2027, 1, 9)
    assert cal.day_name(date(2027, 1, 9)) == "元旦调休"


def test_an_override_beats_the_package(db):
    db.session.add(CalendarDay(day=date(2026, 11, 9), is_workday=False, name="临时停工"))
    db.session.flush()
    cal = load_calendar()
    assert not cal.is_workday(date(2026, 11, 9))
    assert cal.add_workdays(date(2026, 11, 6), 1) == date(2026, 11, 10)


def test_warnings_for_missing_years(db):
    assert calendar_warnings(date(2026, 11, 23), load_calendar()) == []
    december = calendar_warnings(date(2026, 12, 5), load_calendar())
    assert len(december) == 1 and "2027年的法定节假日安排尚未录入" in december[0]
    in_2027 = calendar_warnings(date(2027, 3, 1), load_calendar())
    assert len(in_2027) == 1 and "按周一至周五计算" in in_2027[0] and "不含调休" in in_2027[0]
    db.session.add(CalendarYear(year=2027))
    db.session.flush()
    assert calendar_warnings(date(2026, 12, 5), load_calendar()) == []
    assert calendar_warnings(date(2027, 3, 1), load_calendar()) == []
