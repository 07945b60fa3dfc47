"""三色预警 at its exact boundaries, the same in Python and SQL; escalation; the 退回 and 延期 windows."""

from datetime import date

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Problem, ProblemEvent
from crm.services import ServiceError
from crm.services.problems.deadlines import (
    colour_clause,
    colour_expression,
    overdue_workdays,
    problem_colour,
    warn_reserve,
    workdays_used,
)
from crm.services.problems.escalation import escalate_overdue
from crm.services.problems.flow import apply_action
from crm.services.problems.notices import level_people
from crm.services.problems.rules_admin import update_problem_rules
from crm.services.workdays.calendar import WorkCalendar
from tests.support.factories import make_user
from tests.support.problems import make_problem, problem_world

CAL = WorkCalendar()
MON = date(2026, 11, 2)  # dispatched on a Monday: sign 11-03, feedback 11-05, progress 11-11, due 11-16


def colour_on(problem, today):
    return problem_colour(problem, today)


def sql_colour(problem, today):
    return db.session.scalar(select(colour_expression(today)).where(Problem.id == problem.id))


@pytest.fixture()
def w(db):
    return problem_world()


def test_checkpoints_of_a_monday_dispatch(w):
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=MON, on=MON)
    assert (p.sign_due_on, p.feedback_due_on, p.progress_due_on, p.due_on) == (
        date(2026, 11, 3),
        date(2026, 11, 5),
        date(2026, 11, 11),
        date(2026, 11, 16),
    )


@pytest.mark.parametrize(
    "today, colour",
    [
        (date(2026, 11, 2), "green"),  # a fresh dispatch: signing is due tomorrow, its 1-day window not near
        (date(2026, 11, 3), "yellow"),  # due today, not yet passed
        (date(2026, 11, 4), "red"),  # the day after the sign checkpoint
    ],
)
def test_unsigned_problem_colour_at_the_sign_boundary(w, today, colour):
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=MON, on=MON)
    assert colour_on(p, today) == colour == sql_colour(p, today)


def test_colour_follows_the_nearest_unmet_checkpoint(w):
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=MON, on=MON)
    apply_action(p, "accept", w.handler, today=MON)
    apply_action(p, "feedback", w.handler, {"note": "已受理"}, today=MON)
    # Next unmet: progress on Wed 11-11. Yellow from Mon 11-09 (2 working days before), green on Fri 11-06.
    assert [colour_on(p, d) for d in (date(2026, 11, 6), date(2026, 11, 9), date(2026, 11, 11))] == [
        "green",
        "yellow",
        "yellow",
    ]
    assert colour_on(p, date(2026, 11, 12)) == "red"
    apply_action(p, "progress", w.handler, {"note": "方案已报批"}, today=date(2026, 11, 12))
    # Only the final limit (Mon 11-16) is left: 11-12 is Thursday → 11-16 is 2 working days away.
    assert colour_on(p, date(2026, 11, 12)) == "yellow" == sql_colour(p, date(2026, 11, 12))
    assert colour_on(p, date(2026, 11, 11)) == "green"  # three working days before the limit
    assert colour_on(p, date(2026, 11, 17)) == "red" == sql_colour(p, date(2026, 11, 17))


def test_weekend_counts_no_working_days_for_yellow(w):
    p = make_problem(w.firm, w.cadre, "in_progress", w.dept, w.handler, raised_on=MON, on=MON)
    apply_action(p, "progress", w.handler, {"note": "进展"}, today=MON)
    # Due Mon 11-16; on Thu 11-12 it is 2 working days away (Fri, Mon) → yellow; on Wed 11-11, 3 → green.
    assert colour_on(p, date(2026, 11, 12)) == "yellow"
    assert colour_on(p, date(2026, 11, 14)) == "yellow"  # a Saturday: 1 working day left


def test_grey_when_closed_and_green_when_waiting(w):
    closed = make_problem(w.firm, w.cadre, "closed", w.dept, w.handler, raised_on=MON, on=MON)
    new = make_problem(w.firm, w.cadre, "new", raised_on=MON)
    resolved = make_problem(w.firm, w.cadre, "resolved", w.dept, w.handler, raised_on=MON, on=MON)
    far = date(2027, 6, 1)
    assert [colour_on(p, far) for p in (closed, new, resolved)] == ["grey", "green", "green"]
    assert [sql_colour(p, far) for p in (closed, new, resolved)] == ["grey", "green", "green"]


def test_sql_colour_filter_agrees_with_python_on_a_mixed_set(w):
    problems = [
        make_problem(w.firm, w.cadre, s, w.dept, w.handler, raised_on=d, on=d)
        for s in ("dispatched", "in_progress", "closed", "new")
        for d in (date(2026, 10, 20), MON, date(2026, 11, 6))
    ]
    db.session.flush()
    for today in (MON, date(2026, 11, 4), date(2026, 11, 12), date(2026, 11, 30)):
        for colour in ("red", "yellow", "green", "grey"):
            in_sql = set(db.session.scalars(select(Problem.id).where(colour_clause(colour, today))))
            in_python = {p.id for p in problems if problem_colour(p, today) == colour}
            assert in_sql == in_python, (today, colour)


def test_overdue_and_used_working_days(w):
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=MON, on=MON)
    assert overdue_workdays(p, date(2026, 11, 3), CAL) == 0
    assert overdue_workdays(p, date(2026, 11, 9), CAL) == 4  # sign due 11-03: 04, 05, 06, 09
    assert workdays_used(p, date(2026, 11, 9), CAL) == 5
    assert workdays_used(make_problem(w.firm, w.cadre, "new", raised_on=MON), date(2026, 11, 9), CAL) is None


def test_escalation_runs_twice_and_escalates_once(w):
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=MON, on=MON)
    assert escalate_overdue(date(2026, 11, 3)) == []  # sign due today: not overdue
    first = escalate_overdue(date(2026, 11, 4))  # 1 working day overdue → level 2
    assert [(e.problem.id, e.from_level, e.to_level) for e in first] == [(p.id, 1, 2)]
    assert escalate_overdue(date(2026, 11, 4)) == []
    third = escalate_overdue(date(2026, 11, 6))  # 3 working days → level 3
    assert [(e.from_level, e.to_level) for e in third] == [(2, 3)]
    assert escalate_overdue(date(2026, 11, 6)) == []
    events = db.session.scalars(select(ProblemEvent).where(ProblemEvent.action == "escalate")).all()
    assert [(e.data["from_level"], e.data["to_level"], e.actor_id) for e in events] == [
        (1, 2, None),
        (2, 3, None),
    ]
    assert escalate_overdue(date(2026, 12, 31))[0].to_level == 4
    assert escalate_overdue(date(2026, 12, 31)) == []  # level 4 is the top


def test_escalation_ignores_problems_not_in_a_departments_hands(w):
    long_ago = date(2026, 9, 1)
    for state in ("new", "returned", "resolved", "closed"):
        make_problem(w.firm, w.cadre, state, w.dept, w.handler, raised_on=long_ago, on=long_ago)
    assert escalate_overdue(date(2026, 11, 30)) == []


def test_each_level_has_its_people(w):
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=MON, on=MON)
    other_park_leader = make_user("leader")  # city-wide (no park): in scope for every park
    other_park_leader.leader_level = 4
    db.session.flush()
    assert level_people(p, 1) == [w.cadre]
    assert level_people(p, 2) == [w.head]
    assert level_people(p, 3) == [w.deputy]
    assert level_people(p, 4) == [w.chief, other_park_leader]


def test_return_is_possible_only_within_one_working_day_of_dispatch(w):
    friday = date(2026, 11, 6)
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=friday, on=friday)
    with pytest.raises(ServiceError, match="截至 2026-11-09"):
        apply_action(p, "return", w.handler, {"note": "非本部门"}, today=date(2026, 11, 10))
    apply_action(
        p, "return", w.handler, {"note": "非本部门"}, today=date(2026, 11, 9)
    )  # Monday: still in time
    assert p.status == "returned"


def test_extension_must_be_asked_one_working_day_before_the_limit(w):
    # Due Mon 11-16: the last request day is Fri 11-13.
    p = make_problem(w.firm, w.cadre, "in_progress", w.dept, w.handler, raised_on=MON, on=MON)
    with pytest.raises(ServiceError, match="最晚 2026-11-13"):
        apply_action(
            p, "request_extension", w.handler, {"days": 3, "note": "等待批复"}, today=date(2026, 11, 16)
        )
    apply_action(p, "request_extension", w.handler, {"days": 3, "note": "等待批复"}, today=date(2026, 11, 13))
    with pytest.raises(ServiceError, match="已有待审批的延期申请"):
        apply_action(p, "request_extension", w.handler, {"days": 1, "note": "再延"}, today=date(2026, 11, 13))
    apply_action(p, "refuse_extension", w.officer, {"note": "请按期办结"}, today=date(2026, 11, 13))
    assert p.due_on == date(2026, 11, 16) and not p.has_pending_extension


# ---- yellow relative to each deadline's own window


@pytest.mark.parametrize(
    "window, share, reserve",
    [
        (1, 30, 0),
        (3, 30, 0),
        (7, 30, 2),
        (10, 30, 2),
        (11, 30, 3),
        (20, 30, 5),
        (10, 0, 0),
        (10, 100, 9),
        (0, 30, 0),
    ],
)
def test_warn_reserve_is_fewer_than_the_share_of_the_window(window, share, reserve):
    assert warn_reserve(window, share) == reserve


def test_a_fresh_dispatch_is_green_and_the_sign_deadline_day_yellow(w):
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=MON, on=MON)
    assert p.sign_warn_on == date(2026, 11, 3) == p.next_warn_on  # its deadline day
    assert colour_on(p, MON) == "green" == sql_colour(p, MON)
    assert colour_on(p, date(2026, 11, 3)) == "yellow" == sql_colour(p, date(2026, 11, 3))


def test_a_ten_day_limit_warns_two_working_days_ahead(w):
    p = make_problem(w.firm, w.cadre, "in_progress", w.dept, w.handler, raised_on=MON, on=MON)
    apply_action(p, "feedback", w.handler, {"note": "已受理"}, today=MON)
    apply_action(p, "progress", w.handler, {"note": "进展"}, today=MON)
    db.session.flush()
    # Due Mon 11-16 (10 working days): yellow from Thu 11-12 (Fri, Mon left), green on Wed 11-11.
    assert p.due_warn_on == date(2026, 11, 12) == p.next_warn_on
    assert [colour_on(p, d) for d in (date(2026, 11, 11), date(2026, 11, 12))] == ["green", "yellow"]
    assert [sql_colour(p, d) for d in (date(2026, 11, 11), date(2026, 11, 12))] == ["green", "yellow"]


def test_the_share_is_an_admin_rule_read_when_the_deadline_is_set(w):
    form = {"limit_normal": 10, "limit_urgent": 3, "sign_days": 1, "feedback_days": 3, "progress_days": 7,
            "warn_share": 50, "return_days": 1, "extension_notice_days": 1, "max_extension_days": 10,
            "escalate_2": 1, "escalate_3": 3, "escalate_4": 5}  # fmt: skip
    update_problem_rules(w.admin, form)
    db.session.flush()
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=MON, on=MON)
    # 50 % of the 10-day limit: fewer than 5 working days left, from Tue 11-10 (Wed, Thu, Fri, Mon).
    assert p.due_warn_on == date(2026, 11, 10)
    assert p.progress_warn_on == date(2026, 11, 6)  # 7-day window: 3 working days ahead of Wed 11-11


def test_an_extension_moves_the_warning_with_the_limit(w):
    p = make_problem(w.firm, w.cadre, "extension", w.dept, w.handler, raised_on=MON, on=MON)
    before = p.due_on
    apply_action(p, "approve_extension", w.officer, today=MON)
    db.session.flush()
    assert p.due_on > before and p.due_warn_on is not None
    # The window still runs from the dispatch: fewer than 30 % of it left.
    window = CAL.workdays_between(MON, p.due_on)
    assert CAL.workdays_between(p.due_warn_on, p.due_on) == warn_reserve(window, 30)


def test_deadlines_without_warning_dates_are_yellow_on_their_own_day_only(w):
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=MON, on=MON)
    p.sign_warn_on = p.feedback_warn_on = p.progress_warn_on = p.due_warn_on = None
    p.title = "旧问题"  # any write runs the model's hook
    db.session.flush()
    assert p.next_warn_on is None
    # Sign due 11-03: green the day before (no "within N working days" rule any more), yellow on it.
    assert colour_on(p, MON) == "green" == sql_colour(p, MON)
    assert colour_on(p, date(2026, 11, 3)) == "yellow" == sql_colour(p, date(2026, 11, 3))


def test_python_and_sql_colours_agree_over_many_dates(w):
    """Property-style: problems dispatched on every day of a month in every clock state, extended,
    重办 and legacy (no warning dates), compared on every day of two months."""
    problems = []
    day = date(2026, 10, 19)
    for i in range(20):
        on = date.fromordinal(day.toordinal() + i)
        state = ("dispatched", "in_progress", "green", "extension", "resolved", "closed")[i % 6]
        if not CAL.is_workday(on):
            state = "dispatched"
        p = make_problem(w.firm, w.cadre, state, w.dept, w.handler, raised_on=date(2026, 10, 1), on=on)
        if state == "extension":
            apply_action(p, "approve_extension", w.officer, today=on)
        problems.append(p)
    legacy = make_problem(w.firm, w.cadre, "in_progress", w.dept, w.handler, raised_on=MON, on=MON)
    legacy.sign_warn_on = legacy.feedback_warn_on = legacy.progress_warn_on = legacy.due_warn_on = None
    legacy.title = "没有预警日的旧问题"
    problems.append(legacy)
    db.session.flush()
    ids = [p.id for p in problems]
    seen = set()
    for offset in range(60):
        today = date.fromordinal(date(2026, 10, 19).toordinal() + offset)
        colour = colour_expression(today)
        in_sql = dict(db.session.execute(select(Problem.id, colour).where(Problem.id.in_(ids))).all())
        in_python = {p.id: problem_colour(p, today) for p in problems}
        assert in_sql == in_python, today
        for name in ("red", "yellow", "green", "grey"):
            chosen = set(
                db.session.scalars(select(Problem.id).where(Problem.id.in_(ids), colour_clause(name, today)))
            )
            assert chosen == {i for i, c in in_python.items() if c == name}, (today, name)
        seen |= set(in_python.values())
    assert seen == {"red", "yellow", "green", "grey"}
