"""Every (state, action, role) of the problem workflow: allowed steps succeed and write one event;
forbidden ones raise, write nothing and leave the problem unchanged.

The expectations below are written out independently of crm.services.problems.flow.STEPS.
"""

from datetime import date

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import AuditLog, ProblemEvent
from crm.services import ServiceError
from crm.services.problems.deadlines import problem_colour
from crm.services.problems.escalation import escalate_overdue
from crm.services.problems.flow import STEPS, apply_action
from tests.support.factories import make_department, make_park, make_user
from tests.support.problems import make_problem, problem_world

DAY = date(2026, 10, 12)  # a Monday; the final limit is 2026-10-26
# "withdrawal": in progress with a 撤单申请 waiting for the firm; "withdrawn": closed by a confirmed 撤单.
OPEN = {"new", "dispatched", "in_progress", "in_progress_ext", "resolved", "returned", "withdrawal"}
ON_CLOCK = {"dispatched", "in_progress", "in_progress_ext", "withdrawal"}
WORKING = {"in_progress", "in_progress_ext", "withdrawal"}
WITHDRAWABLE = {"new", "dispatched", "in_progress", "in_progress_ext", "returned"}

# action -> (states in which it is possible, actors who may take it)
EXPECTED = {
    "dispatch": ({"new", "returned"}, {"admin", "officer"}),
    "accept": ({"dispatched"}, {"handler", "head"}),
    "return": ({"dispatched"} | WORKING, {"handler", "head"}),
    "feedback": (WORKING, {"handler", "head"}),
    "progress": (WORKING, {"handler", "head"}),
    "request_extension": ({"in_progress", "withdrawal"}, {"handler", "head"}),
    "approve_extension": ({"in_progress_ext"}, {"admin", "officer"}),
    "refuse_extension": ({"in_progress_ext"}, {"admin", "officer"}),
    "resolve": (WORKING, {"handler", "head"}),
    "solve_on_spot": ({"new"}, {"admin", "officer", "cadre"}),
    "evaluate": ({"resolved"}, {"admin", "officer", "cadre"}),
    "force_close": (OPEN, {"admin", "officer"}),
    "supervise": (ON_CLOCK, {"admin", "officer"}),
    "instruct": (OPEN, {"deputy", "chief"}),
    "escalate": (ON_CLOCK, {"admin", "officer"}),
    # 撤单: the department (only once it has the problem), the cadre or the office asks; the office
    # records the firm's answer by phone (the firm's own answer: tests/unit/test_portal_workflow.py);
    # the office reviews a confirmed one.
    "request_withdrawal": (WITHDRAWABLE, {"admin", "officer", "cadre", "handler", "head"}),
    "confirm_withdrawal": ({"withdrawal"}, {"admin", "officer"}),
    "decline_withdrawal": ({"withdrawal"}, {"admin", "officer"}),
    "review_withdrawal": ({"withdrawn"}, {"admin", "officer"}),
    # 专班办结: never taken on its own, only by closing the problem's 共性问题
    # (tests/unit/test_common_issues.py).
    "group_resolve": (set(), set()),
}
# Actors allowed only while a department has the problem (not in 待交办 or 已退回).
DEPARTMENT_ONLY = {"request_withdrawal": {"handler", "head"}}
# The status each allowed step leads to (None: unchanged).
RESULT = {
    "dispatch": "dispatched",
    "accept": "in_progress",
    "return": "returned",
    "resolve": "resolved",
    "solve_on_spot": "resolved",
    "evaluate": "closed",
    "force_close": "closed",
    "confirm_withdrawal": "closed",
}
DATA = {
    "return": {"note": "该事项属供电公司职责"},
    "feedback": {"note": "已联系供电公司现场勘察"},
    "progress": {"note": "方案已报批"},
    "request_extension": {"days": 3, "note": "需等待上级审批"},
    "refuse_extension": {"note": "时限充足，请按期办结"},
    "resolve": {"note": "已完成增容"},
    "solve_on_spot": {"note": "现场协调解决"},
    "evaluate": {"evaluation": "satisfied"},
    "force_close": {"note": "企业已注销，无需继续办理"},
    "supervise": {"note": "请加快办理"},
    "instruct": {"note": "请相关部门限期解决"},
    "escalate": {"note": "协调难度大，提请部门负责人"},
    "request_withdrawal": {"note": "企业已自行解决"},
    "confirm_withdrawal": {"note": "已电话确认，企业同意撤单"},
    "decline_withdrawal": {"note": "企业不同意撤单"},
    "review_withdrawal": {"verdict": "genuine"},
}
ACTORS = [
    "admin",
    "officer",
    "deputy",
    "chief",
    "cadre",
    "handler",
    "head",
    "foreign_officer",
    "other_cadre",
    "other_handler",
]
STATES = [
    "new",
    "dispatched",
    "in_progress",
    "in_progress_ext",
    "resolved",
    "returned",
    "closed",
    "withdrawal",
    "withdrawn",
]


def _snapshot(problem) -> dict:
    return {c.key: getattr(problem, c.key) for c in problem.__table__.columns}


@pytest.fixture()
def setup(db):
    w = problem_world()
    other_park = make_park()
    w.foreign_officer = make_user("officer", other_park)
    w.other_cadre = make_user("cadre", w.park)
    w.other_handler = make_user("handler", w.park, department=make_department())
    db.session.flush()
    return w


def _in_state(w, state):
    reached = "in_progress" if state == "in_progress_ext" else state
    problem = make_problem(w.firm, w.cadre, reached, w.dept, w.handler, raised_on=DAY, on=DAY)
    if state == "in_progress_ext":
        apply_action(problem, "request_extension", w.handler, {"days": 2, "note": "等待批复"}, today=DAY)
    db.session.flush()
    return problem


def _data(w, action):
    return {"department_id": w.dept.id} if action == "dispatch" else dict(DATA.get(action, {}))


def test_the_table_covers_every_step():
    assert set(EXPECTED) == set(STEPS)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_state_action_role(setup, state, action):
    w = setup
    problem = _in_state(w, state)
    states, actors = EXPECTED[action]
    for who in ACTORS:
        actor = getattr(w, who)
        before = _snapshot(problem)
        events = db.session.scalar(select(func.count(ProblemEvent.id)))
        audits = db.session.scalar(select(func.count(AuditLog.id)))
        savepoint = db.session.begin_nested()
        allowed = state in states and who in actors
        allowed = allowed and not (who in DEPARTMENT_ONLY.get(action, ()) and state in ("new", "returned"))
        if allowed:
            event = apply_action(problem, action, actor, _data(w, action), today=DAY)
            assert db.session.scalar(select(func.count(ProblemEvent.id))) == events + 1, (who, action)
            assert event.actor_id == actor.id and event.from_status == before["status"]
            expected_status = RESULT.get(action) or before["status"]
            assert problem.status == event.to_status == expected_status, (who, action, state)
            assert problem.version == before["version"] + 1
        else:
            with pytest.raises(ServiceError) as excinfo:
                apply_action(problem, action, actor, _data(w, action), today=DAY)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in str(excinfo.value)), "message must be Chinese"
            db.session.flush()
            assert _snapshot(problem) == before, (who, action, state)
            assert db.session.scalar(select(func.count(ProblemEvent.id))) == events
            assert db.session.scalar(select(func.count(AuditLog.id))) == audits
        savepoint.rollback()
        db.session.expire_all()


def test_unknown_action_is_refused(setup):
    problem = _in_state(setup, "new")
    with pytest.raises(ServiceError, match="未知的操作"):
        apply_action(problem, "approve", setup.officer, {}, today=DAY)


def test_only_the_scheduler_may_act_without_an_actor(setup):
    problem = _in_state(setup, "dispatched")
    with pytest.raises(ServiceError, match="必须由具体人员操作"):
        apply_action(problem, "accept", None, {}, today=DAY)
    event = apply_action(problem, "escalate", None, {"level": 2, "note": "逾期自动升级"}, today=DAY)
    assert event.actor_id is None and problem.level == 2 and event.data["auto"] is True


def test_a_named_handler_binds_the_department(setup):
    w = setup
    problem = make_problem(w.firm, w.cadre, "new", raised_on=DAY)
    apply_action(
        problem, "dispatch", w.officer, {"department_id": w.dept.id, "handler_id": w.handler.id}, today=DAY
    )
    colleague = make_user("handler", w.park, department=w.dept)
    with pytest.raises(ServiceError, match="没有权限"):
        apply_action(problem, "accept", colleague, {}, today=DAY)
    apply_action(problem, "accept", w.head, {}, today=DAY)  # the department head may step in
    assert problem.status == "in_progress"


def test_a_stale_form_is_refused(setup):
    w = setup
    problem = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=DAY, on=DAY)
    seen = problem.version
    apply_action(problem, "accept", w.handler, {"version": seen}, today=DAY)
    with pytest.raises(ServiceError, match="刚被其他人更新"):
        apply_action(problem, "supervise", w.officer, {"version": seen, "note": "请加快"}, today=DAY)


@pytest.mark.parametrize(
    "action, data, message",
    [
        ("dispatch", {}, "请选择承办部门"),
        ("dispatch", {"department_id": 999999}, "请选择承办部门"),
        ("solve_on_spot", {"note": "  "}, "解决情况不能为空"),
        ("force_close", {"note": "不办"}, "至少5个字"),
        ("force_close", {}, "强制销号理由不能为空"),
    ],
)
def test_bad_data_is_refused_with_a_chinese_message(setup, action, data, message):
    problem = _in_state(setup, "new")
    before = _snapshot(problem)
    with pytest.raises(ServiceError, match=message):
        apply_action(problem, action, setup.officer, data, today=DAY)
    assert _snapshot(problem) == before


def test_dispatch_refuses_a_department_of_another_park_and_a_foreign_handler(setup):
    w = setup
    problem = _in_state(w, "new")
    with pytest.raises(ServiceError, match="不服务于企业所在园区"):
        apply_action(
            problem, "dispatch", w.officer, {"department_id": make_department(park=make_park()).id}, today=DAY
        )
    with pytest.raises(ServiceError, match="经办人不属于该部门"):
        data = {"department_id": w.dept.id, "handler_id": w.other_handler.id}
        apply_action(problem, "dispatch", w.officer, data, today=DAY)
    assert problem.status == "new" and problem.department_id is None


def test_evaluation_decides_between_closing_and_redoing(setup):
    w = setup
    problem = _in_state(w, "resolved")
    with pytest.raises(ServiceError, match="请选择企业评价"):
        apply_action(problem, "evaluate", w.cadre, {}, today=DAY)
    with pytest.raises(ServiceError, match="回访情况不能为空"):
        apply_action(problem, "evaluate", w.cadre, {"evaluation": "unsatisfied"}, today=DAY)
    later = date(2026, 10, 14)
    apply_action(problem, "evaluate", w.cadre, {"evaluation": "unsatisfied", "note": "仍未通电"}, today=later)
    assert (problem.status, problem.redo_count, problem.resolved_on) == ("in_progress", 1, None)
    assert problem.due_on == date(2026, 10, 28)  # a fresh 10-working-day limit from the evaluation
    apply_action(problem, "resolve", w.handler, {"note": "已通电"}, today=later)
    apply_action(problem, "evaluate", w.cadre, {"evaluation": "basic"}, today=later)
    assert (problem.status, problem.closed_on, problem.redo_count) == ("closed", later, 1)


def test_an_unsatisfied_on_the_spot_solution_goes_back_to_the_park_office(setup):
    w = setup
    problem = _in_state(w, "new")
    apply_action(problem, "solve_on_spot", w.cadre, {"note": "现场讲解政策"}, today=DAY)
    assert problem.status == "resolved" and problem.on_spot
    apply_action(problem, "evaluate", w.cadre, {"evaluation": "unsatisfied", "note": "仍需兑现"}, today=DAY)
    assert problem.status == "new" and not problem.on_spot and problem.redo_count == 1


def test_return_clears_the_department_and_redispatch_is_an_event_of_its_own(setup):
    w = setup
    problem = _in_state(w, "dispatched")
    apply_action(problem, "return", w.handler, {"note": "不属本部门"}, today=DAY)
    assert problem.department_id is None and problem.due_on is None
    returned = db.session.scalars(select(ProblemEvent).where(ProblemEvent.action == "return")).one()
    assert returned.department_id == w.dept.id  # the department that returned it, for the reports
    event = apply_action(
        problem, "dispatch", w.officer, {"department_id": w.dept.id}, today=date(2026, 10, 13)
    )
    assert event.action == "redispatch" and problem.due_on == date(2026, 10, 27)


def test_extension_moves_the_due_date_by_working_days_and_is_recorded(setup):
    w = setup
    problem = _in_state(w, "in_progress_ext")  # 2 working days requested
    event = apply_action(problem, "approve_extension", w.officer, {}, today=DAY)
    assert problem.due_on == date(2026, 10, 28) and problem.extension_count == 1
    assert event.data == {"days": 2, "old_due_on": "2026-10-26", "new_due_on": "2026-10-28"}
    assert not problem.has_pending_extension


def test_request_extension_validates_the_days(setup):
    w = setup
    problem = _in_state(w, "in_progress")
    for days in (0, 11, "三"):
        with pytest.raises(ServiceError, match="延期天数应为1到10个工作日"):
            apply_action(problem, "request_extension", w.handler, {"days": days, "note": "理由"}, today=DAY)
    assert not problem.has_pending_extension


def test_a_redo_starts_on_its_new_limit_not_red_from_old_checkpoints(setup):
    w = setup
    # Signed and resolved the same day, no separate reports.
    p = make_problem(w.firm, w.cadre, "resolved", w.dept, w.handler, raised_on=DAY, on=DAY)
    assert (p.first_feedback_on, p.progress_on) == (DAY, DAY)
    today = date(2026, 11, 2)
    apply_action(p, "evaluate", w.cadre, {"evaluation": "unsatisfied", "note": "仍未解决"}, today=today)
    assert p.status == "in_progress" and p.due_on == date(2026, 11, 16)  # a fresh 10-working-day limit
    assert problem_colour(p, today) == "green"
    assert escalate_overdue(today) == []
