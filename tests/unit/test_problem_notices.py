"""Workflow steps notify the people they concern as they happen (apply_action → notify_problem_event)."""

from datetime import date

import pytest
from sqlalchemy import delete, select

from crm.extensions import db
from crm.models import Notification, ProblemEvent
from crm.services.problems.flow import apply_action
from tests.support.dates import TODAY
from tests.support.factories import make_user
from tests.support.reminders import dispatch, make_reminder_world, new_problem, notes


@pytest.fixture()
def w(db):
    return make_reminder_world()


def last_event(problem) -> ProblemEvent:
    return db.session.scalars(
        select(ProblemEvent).where(ProblemEvent.problem_id == problem.id).order_by(ProblemEvent.id.desc())
    ).first()


def fresh():
    db.session.execute(delete(Notification))


def test_dispatch_to_a_department_tells_its_handlers_not_the_actor(w):
    dispatch(w.d, w.officer, w.dept, TODAY)
    key = f"event:{last_event(w.d).id}"
    assert notes() == {("rem_h1", key), ("rem_h2", key), ("rem_head", key)}
    note = db.session.scalar(select(Notification).where(Notification.user_id == w.h1.id))
    assert note.title == "新交办问题：尚未交办的问题（走访正常科技有限公司）"
    assert (note.kind, note.problem_id) == ("problem_event", w.d.id)
    assert "承办部门：园区税务所" in note.body and "操作人：园区管理员甲" in note.body


def test_dispatch_to_a_named_handler_tells_only_them(w):
    dispatch(w.d, w.officer, w.dept, TODAY, handler=w.h2)
    assert notes() == {("rem_h2", f"event:{last_event(w.d).id}")}


def test_each_step_reaches_its_people(w):
    leader = make_user("leader", w.park, username="rem_leader")
    apply_action(w.a, "supervise", w.officer, {"note": "请加快办理"}, today=TODAY)
    assert notes() == {("rem_h1", f"event:{last_event(w.a).id}")}  # 督办 -> the handler

    fresh()
    apply_action(w.a, "instruct", leader, {"note": "务必本周解决"}, today=TODAY)
    key = f"event:{last_event(w.a).id}"
    assert notes() == {("rem_h1", key), ("rem_officer", key), ("rem_officer2", key)}  # 批示

    fresh()
    apply_action(w.a, "accept", w.h1, {}, today=TODAY)
    assert notes() == set()  # signing concerns nobody else

    fresh()
    apply_action(w.a, "request_extension", w.h1, {"days": 3, "note": "需要现场勘查"}, today=TODAY)
    key = f"event:{last_event(w.a).id}"
    assert notes() == {("rem_officer", key), ("rem_officer2", key)}  # 申请延期 -> officers

    fresh()
    apply_action(w.a, "approve_extension", w.officer, {}, today=TODAY)
    assert notes() == {("rem_h1", f"event:{last_event(w.a).id}")}

    fresh()
    apply_action(w.a, "resolve", w.h1, {"note": "已完成增容"}, today=TODAY)
    note = db.session.scalar(select(Notification))
    assert notes() == {("rem_cadre", f"event:{last_event(w.a).id}")}  # 办结 -> the cadre, for 回访
    assert note.title == "问题已办结，请回访企业：用电增容迟迟未批"


def test_return_tells_the_officers(w):
    problem = new_problem(w.fine, w.cadre, "非本部门职责")
    dispatch(problem, w.officer, w.dept, TODAY)
    fresh()
    apply_action(problem, "return", w.h1, {"note": "应由供电公司办理"}, today=date(2026, 11, 3))
    key = f"event:{last_event(problem).id}"
    assert notes() == {("rem_officer", key), ("rem_officer2", key)}
    note = db.session.scalar(select(Notification).where(Notification.user_id == w.officer.id))
    assert "应由供电公司办理" in note.body


def test_manual_escalation_tells_the_new_level_once(w):
    apply_action(w.b, "escalate", w.officer, {"level": 2, "note": "多次催办无果"}, today=TODAY)
    assert notes() == {("rem_head", f"problem:{w.b.id}:level:2")}
    note = db.session.scalar(select(Notification))
    assert note.kind == "escalation" and note.body == "多次催办无果"
