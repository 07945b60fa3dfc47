"""An escalation that reaches a level with nobody to receive it is not silent: the park's officers and
the admins are told, the 升级协调 page says 无人接收, and 系统提示 lists the departments without a head."""

from datetime import date

from sqlalchemy import select

from crm.extensions import db
from crm.models import Notification
from crm.services.problems.desks import unreceived
from crm.services.problems.notices import nobody_at_level
from crm.services.system.warnings import system_warnings
from tests.support.factories import make_department, make_user
from tests.support.problems import make_problem, problem_world, step

MON = date(2026, 11, 2)


def inbox(problem) -> dict[int, Notification]:
    stmt = select(Notification).where(
        Notification.problem_id == problem.id, Notification.kind == "escalation"
    )
    return {n.user_id: n for n in db.session.scalars(stmt)}


def test_escalation_to_a_headless_department_tells_officers_and_admins(db):
    w = problem_world()
    headless = make_department("无负责人局")
    handler = make_user("handler", w.park, department=headless)
    p = make_problem(w.firm, w.cadre, "dispatched", headless, handler, raised_on=MON, on=MON)
    assert nobody_at_level([p]) == set()  # level 1: the firm's cadre
    step(p, "escalate", w.officer, level=2, note="逾期未签收")
    told = inbox(p)
    assert set(told) == {w.officer.id, w.admin.id}  # the actor is an officer: officers are told too
    note = told[w.admin.id]
    assert "无人接收" in note.title and "无负责人局" in note.body and "没有部门负责人" in note.body
    assert nobody_at_level([p]) == {p.id} == unreceived([p])


def test_a_department_with_a_head_is_told_as_before(db):
    w = problem_world()
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=MON, on=MON)
    step(p, "escalate", w.officer, level=2, note="逾期未签收")
    assert set(inbox(p)) == {w.head.id}
    assert "无人接收" not in inbox(p)[w.head.id].title
    # A head whose account is stopped does not count.
    w.head.is_active_user = False
    db.session.flush()
    assert unreceived([p]) == {p.id}


def test_levels_three_and_four_without_leaders_are_unreceived(db):
    w = problem_world()
    p = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=MON, on=MON)
    q = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, raised_on=MON, on=MON)
    step(p, "escalate", w.officer, level=3, note="提请分管领导协调")
    step(q, "escalate", w.officer, level=4, note="提请主要领导协调")
    assert unreceived([p, q]) == set()
    w.chief.is_active_user = False
    db.session.flush()
    assert unreceived([p, q]) == {q.id}


def test_system_warnings_list_departments_without_a_head(db):
    w = problem_world()
    admin = w.admin
    no_head = make_department("无负责人局")
    make_user("handler", w.park, department=no_head)  # a handler, but not the head
    empty = make_department("空部门")  # no handlers at all
    retired = make_department("已撤销部门")
    retired.is_active = False
    db.session.flush()
    found = [m for m in system_warnings(admin, MON) if "没有部门负责人" in m]
    assert len(found) == 1
    assert no_head.name in found[0] and empty.name in found[0]
    assert w.dept.name not in found[0] and retired.name not in found[0]
    assert system_warnings(w.officer, MON) == []
