"""Problem rules are versions: a problem keeps computing its deadlines, warnings, windows and escalation
from the version it was dispatched under; a later dispatch (交办, 改派, 重办) takes the version in force;
the month-end replay and the recomputation on a confirmed holiday year use each step's own version."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from crm.extensions import db as _db
from crm.models import Problem, ProblemEvent, ProblemRuleSet
from crm.reporting.monthly.build import build_monthly_report
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.state import problem_states
from crm.services import ServiceError
from crm.services.problems.deadlines import colour_expression, problem_colour
from crm.services.problems.escalation import escalate_overdue
from crm.services.problems.flow import apply_action
from crm.services.problems.recalc import confirm_year_and_recalc
from crm.services.problems.rules import (
    ProblemRules,
    RuleBook,
    ensure_rule_set,
    problem_rules,
    rule_set_at,
    rules_of,
)
from crm.services.problems.rules_admin import rule_changes, update_problem_rules
from crm.services.workdays.admin import CalendarEntry, set_calendar_days
from crm.services.workdays.calendar import get_calendar, load_calendar
from tests.support.problems import make_problem, problem_world, step

THU = date(2026, 11, 26)  # dispatched then under 签收 1 day: due Fri 11-27, red at November's end
NOV = Period.parse("2026-11", date(2026, 12, 2))


def rules_form(**changes) -> dict:
    """The admin form's fields for the default rules, with some changed."""
    rules = ProblemRules()
    form = {key: getattr(rules, key) for key in ("sign_days", "feedback_days", "progress_days", "warn_share")}
    form |= {"return_days": 1, "extension_notice_days": 1, "max_extension_days": 10}
    form |= {"limit_normal": 10, "limit_urgent": 3, "escalate_2": 1, "escalate_3": 3, "escalate_4": 5}
    return form | changes


def change_rules(w, **changes) -> ProblemRuleSet:
    row = update_problem_rules(w.admin, rules_form(**changes))
    assert row is not None
    _db.session.flush()
    return row


def deadlines(p) -> tuple:
    return (p.sign_due_on, p.feedback_due_on, p.progress_due_on, p.due_on)


def warnings(p) -> tuple:
    return (p.sign_warn_on, p.feedback_warn_on, p.progress_warn_on, p.due_warn_on)


def sql_colour(p, today) -> str:
    return _db.session.scalar(select(colour_expression(today)).where(Problem.id == p.id))


@pytest.fixture()
def w(db):
    return problem_world()


def test_a_dispatched_problem_keeps_its_deadlines_and_colour_after_the_rules_change(w):
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=THU, on=THU)
    v1 = p.rule_set_id
    before, warned = deadlines(p), warnings(p)
    assert p.sign_due_on == date(2026, 11, 27)
    colours = [(d, problem_colour(p, d)) for d in (THU, date(2026, 11, 27), date(2026, 11, 30))]
    assert [c for _, c in colours] == ["green", "yellow", "red"]
    v2 = change_rules(w, sign_days=2, warn_share=60, limit_normal=15)
    assert v2.number == 2 and v2.id != v1
    _db.session.refresh(p)
    assert p.rule_set_id == v1 and deadlines(p) == before and warnings(p) == warned
    assert [(d, problem_colour(p, d)) for d, _ in colours] == colours
    assert [(d, sql_colour(p, d)) for d, _ in colours] == colours
    assert rules_of(p).sign_days == 1 and problem_rules().sign_days == 2
    # Steps taken later still use the problem's version: signing, feedback, an extension's limits.
    step(p, "accept", w.handler, date(2026, 11, 30))
    assert p.rule_set_id == v1 and deadlines(p) == before


def test_a_problem_dispatched_after_the_change_gets_the_new_limits(w):
    old = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=THU, on=THU)
    v2 = change_rules(w, sign_days=2, feedback_days=4, limit_normal=15, warn_share=80)
    new = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=THU, on=THU)
    assert new.rule_set_id == v2.id != old.rule_set_id
    # From Thu 11-26: 2 working days → Mon 11-30, 4 → Wed 12-02, 7 → Mon 12-07, 15 → Thu 12-17.
    assert deadlines(new) == (date(2026, 11, 30), date(2026, 12, 2), date(2026, 12, 7), date(2026, 12, 17))
    assert deadlines(old) == (date(2026, 11, 27), date(2026, 12, 1), date(2026, 12, 7), date(2026, 12, 10))
    # 80 % of the 15-day limit: yellow 11 working days ahead; 30 % of the 10-day one: 2 ahead.
    assert new.due_warn_on == date(2026, 12, 2) and old.due_warn_on == date(2026, 12, 8)
    assert (
        problem_colour(new, date(2026, 11, 30)) == "yellow"
        and problem_colour(old, date(2026, 11, 30)) == "red"
    )
    event = _db.session.scalars(
        select(ProblemEvent).where(ProblemEvent.problem_id == new.id, ProblemEvent.action == "dispatch")
    ).one()
    assert event.data["rule_set"] == v2.id


def test_redispatch_and_redo_take_the_version_in_force_and_return_clears_it(w):
    returned = make_problem(w.firm, w.cadre, "returned", w.dept, w.handler, raised_on=THU, on=THU)
    assert returned.rule_set_id is None and returned.sign_due_on is None
    redo = make_problem(w.firm, w.cadre, "resolved", w.dept, w.handler, raised_on=THU, on=THU)
    v1 = redo.rule_set_id
    v2 = change_rules(w, sign_days=2, limit_normal=15)
    day = date(2026, 11, 30)
    step(returned, "dispatch", w.officer, day, department_id=w.dept.id)  # 改派
    assert returned.rule_set_id == v2.id and returned.sign_due_on == date(2026, 12, 2)
    step(redo, "evaluate", w.cadre, day, evaluation="unsatisfied", note="企业仍未通电")  # 重办
    assert redo.rule_set_id == v2.id != v1
    assert redo.due_on == date(2026, 12, 21)  # 15 working days from Mon 11-30
    event = _db.session.scalars(
        select(ProblemEvent).where(ProblemEvent.problem_id == redo.id, ProblemEvent.action == "evaluate")
    ).one()
    assert event.data["rule_set"] == v2.id


def test_windows_follow_the_problems_version(w):
    p = make_problem(w.firm, w.cadre, "in_progress", w.dept, w.handler, raised_on=THU, on=THU)
    change_rules(w, max_extension_days=3, return_days=0)
    # Dispatched under 单次延期上限 10: a 5-day extension is still allowed for it.
    step(p, "request_extension", w.handler, date(2026, 12, 1), days=5, note="需要现场勘查")
    assert p.extension_days == 5
    later = make_problem(w.firm, w.cadre, "in_progress", w.dept, w.handler, raised_on=THU, on=THU)
    with pytest.raises(ServiceError, match="延期天数应为1到3个工作日"):
        step(later, "request_extension", w.handler, date(2026, 12, 1), days=5, note="需要现场勘查")


def test_escalation_uses_each_problems_own_thresholds(w, count_queries):
    old = [
        make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=THU, on=THU)
        for _ in range(3)
    ]
    change_rules(w, escalate_2=5, escalate_3=6, escalate_4=8)
    new = [
        make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=THU, on=THU)
        for _ in range(3)
    ]
    _db.session.flush()
    # Sign due Fri 11-27; on Wed 12-02 three working days overdue (11-30, 12-01, 12-02).
    done = escalate_overdue(date(2026, 12, 2))
    assert {e.problem.id: e.to_level for e in done} == {p.id: 3 for p in old}
    assert all(p.level == 1 for p in new)
    # Five working days overdue (Fri 12-04): the old ones reach 4 (after 5); the new ones 2 (after 5).
    done = escalate_overdue(date(2026, 12, 4))
    assert {e.problem.id: e.to_level for e in done} == {p.id: 4 for p in old} | {p.id: 2 for p in new}
    # The rules are read once per run, not once per problem: more candidates, the same queries.
    with count_queries() as few:
        assert escalate_overdue(date(2026, 12, 4)) == []
    for _ in range(4):
        make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=THU, on=THU)
    change_rules(w, escalate_2=30, escalate_3=40, escalate_4=50)
    for _ in range(4):
        make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=THU, on=THU)
    _db.session.flush()
    assert len(escalate_overdue(date(2026, 12, 4))) == 4  # version 2's four climb; version 3's do not
    with count_queries() as many:
        assert escalate_overdue(date(2026, 12, 4)) == []
    # The rule versions, the calendar (days, years) and the candidates: four, however many problems.
    assert many.count == few.count == 4


def test_month_end_replay_of_a_past_month_uses_the_old_version(w):
    """An admin changing 签收 1 → 2 days in December does not turn November's red yellow."""
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=THU, on=THU)
    quiet = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=THU, on=THU)
    change_rules(w, sign_days=2)
    step(p, "accept", w.handler, date(2026, 12, 1))  # a December event: November is replayed for p
    _db.session.flush()
    states = {s.id: s for s in problem_states(ReportScope(None), NOV, RuleBook.load(), get_calendar())}
    replayed, kept = states[p.id], states[quiet.id]
    assert replayed.status == "dispatched" and replayed.accepted_on is None
    assert replayed.sign_due_on == date(2026, 11, 27) and replayed.sign_warn_on == date(2026, 11, 27)
    assert replayed.colour == "red" and kept.colour == "red"
    # The workbook: both red at November's end, and neither signed on time.
    report = build_monthly_report(ReportScope(None), NOV)
    assert report.summary.problems.overdue == 2
    assert [(d.received, d.signed) for d in report.departments] == [(2, 0)]


def test_the_replay_colours_yellow_by_the_window_share_not_by_days(w):
    """A 10-day limit under 30 % turns yellow two working days ahead, in the replay as live."""
    mon = date(2026, 11, 16)
    p = make_problem(w.firm, w.cadre, "in_progress", w.dept, w.handler, raised_on=mon, on=mon)
    step(p, "progress", w.handler, mon, note="方案已报批")
    step(p, "resolve", w.handler, date(2026, 12, 1), note="已协调解决")  # replayed for November
    _db.session.flush()
    states = {s.id: s for s in problem_states(ReportScope(None), NOV, RuleBook.load(), get_calendar())}
    # Due Mon 11-30: yellow from Thu 11-26 (Fri, Mon left); on 11-30, the period's end, yellow.
    assert states[p.id].due_on == date(2026, 11, 30) and states[p.id].due_warn_on == date(2026, 11, 26)
    assert states[p.id].colour == "yellow"


def test_recalc_on_a_confirmed_year_uses_the_problems_version(w):
    nye = date(2026, 12, 31)
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, w.officer, raised_on=nye, on=nye)
    assert deadlines(p) == (date(2027, 1, 4), date(2027, 1, 6), date(2027, 1, 12), date(2027, 1, 15))
    change_rules(w, sign_days=2, feedback_days=5, limit_normal=20, warn_share=80)
    notice = [
        CalendarEntry(date(2027, 1, 1), False, "元旦"),
        CalendarEntry(date(2027, 1, 4), False, "元旦补休"),
        CalendarEntry(date(2027, 1, 9), True, "元旦调休"),
        CalendarEntry(date(2027, 1, 18), False, "临时调整"),
    ]
    set_calendar_days(w.admin, notice)
    _, moved = confirm_year_and_recalc(w.admin, 2027, None, date(2027, 1, 4))
    _db.session.flush()
    # Version 1 (签收 1, 反馈 3, 进展 7, 办结 10) on the confirmed calendar, not version 2's 2, 5 and 20.
    assert moved == 1
    assert deadlines(p) == (date(2027, 1, 5), date(2027, 1, 7), date(2027, 1, 12), date(2027, 1, 15))
    cal = load_calendar()
    # Warning dates by version 1's 30 %: a 10-day limit warns two working days ahead (Wed 01-13).
    assert p.due_warn_on == date(2027, 1, 13) and cal.workdays_between(p.due_warn_on, p.due_on) == 2


def test_the_version_in_force_is_picked_by_the_steps_time(w):
    """A back-dated step (the demo walking history) takes the version in force at its time."""
    start = datetime(2026, 10, 1, 1, 0)
    first = ensure_rule_set(start)
    later = update_problem_rules(w.admin, rules_form(sign_days=2), now=start + timedelta(days=30))
    assert later is not None and rule_set_at(start + timedelta(days=1)).id == first.id
    assert rule_set_at(start + timedelta(days=31)).id == later.id
    assert rule_set_at(start - timedelta(days=1)).id == first.id  # before any version: the first
    day = date(2026, 10, 12)
    p = make_problem(w.firm, w.cadre, "new", raised_on=day)
    apply_action(
        p, "dispatch", w.officer, {"department_id": w.dept.id}, today=day, now=start + timedelta(days=11)
    )
    assert p.rule_set_id == first.id and p.sign_due_on == date(2026, 10, 13)
    book = RuleBook.load(start + timedelta(days=40))
    assert book.current.sign_days == 2 and book.of(p).sign_days == 1
    assert book.for_event({}) == book.versions[first.id]  # an event older than versions: the first
    with pytest.raises(ServiceError, match="新版本的生效时间不能早于第2版的生效时间"):
        update_problem_rules(w.admin, rules_form(sign_days=3), now=start + timedelta(days=20))


def test_versions_are_immutable_and_numbered_without_gaps(w):
    v1 = change_rules(w, limit_normal=12)
    v2 = change_rules(w, limit_normal=13)
    assert (v1.number, v2.number) == (1, 2)
    assert update_problem_rules(w.admin, rules_form(limit_normal=13)) is None  # nothing changed
    v1.note = "改写历史"
    with pytest.raises(RuntimeError, match="immutable"):
        _db.session.flush()
    _db.session.rollback()


def test_a_stale_form_is_refused(w):
    change_rules(w, limit_normal=12)
    with pytest.raises(ServiceError, match="办理规则刚被其他管理员修改"):
        update_problem_rules(w.admin, rules_form(limit_normal=14) | {"version": "0"})
    assert update_problem_rules(w.admin, rules_form(limit_normal=14) | {"version": "1"}).number == 2


def test_only_admins_change_the_rules(w):
    with pytest.raises(ServiceError, match="没有修改问题办理规则的权限"):
        update_problem_rules(w.officer, rules_form(limit_normal=12))
    assert _db.session.scalars(select(ProblemRuleSet)).all() == []


def test_rule_changes_name_every_changed_value():
    old = ProblemRules()
    new = ProblemRules(
        sign_days=2, category_limits={"land": {"normal": 20}}, escalate_after={2: 1, 3: 4, 4: 5}
    )
    assert rule_changes(old, new) == [
        ("签收时限（工作日）", 1, 2),
        ("用地类一般问题时限", None, 20),
        ("逾期升级至区分管领导（工作日）", 3, 4),
    ]
