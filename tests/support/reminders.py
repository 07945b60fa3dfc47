"""A crafted world for the reminder tests: firms in every cadence state and problems at known deadlines.

today = 2026-11-02 (Monday). Default cadence: a contact every 7 days, due soon within 2 days, on-site
once per calendar month. Default problem rules: sign 1, feedback 3, progress 7, limit 10 working days,
yellow once less than 30 % of a deadline's window is left (and on its deadline day), escalate to level 2
after 1 overdue working day.
"""

from datetime import date
from types import SimpleNamespace

from sqlalchemy import delete, select

from crm.extensions import db
from crm.models import Notification, Problem
from crm.services.problems.flow import apply_action
from crm.services.problems.intake import raise_problem
from tests.support.factories import make_department, make_enterprise, make_park, make_user
from tests.support.visits import make_visit


def new_problem(firm, cadre, title: str, raised_on: date = date(2026, 10, 20)) -> Problem:
    data = {"title": title, "description": "企业反映的情况", "category": "other", "source": "visit"}
    return raise_problem(firm, cadre, data, today=raised_on)


def dispatch(problem, officer, dept, on: date, handler=None) -> None:
    data = {"department_id": dept.id, "handler_id": handler.id if handler else ""}
    apply_action(problem, "dispatch", officer, data, today=on)


def make_reminder_world() -> SimpleNamespace:
    """Firms and problems whose reminders on TODAY are known exactly (see the tests)."""
    park, other_park = make_park("R", "提醒园区"), make_park("S", "另一园区")
    w = SimpleNamespace(park=park, other_park=other_park)
    w.admin = make_user("admin", username="rem_admin")
    w.officer = make_user("officer", park, username="rem_officer", name="园区管理员甲")
    w.officer2 = make_user("officer", park, username="rem_officer2", name="园区管理员乙")
    w.officer_s = make_user("officer", other_park, username="rem_officer_s")
    w.cadre = make_user("cadre", park, username="rem_cadre", name="联企干部甲")
    w.cadre2 = make_user("cadre", park, username="rem_cadre2", name="联企干部乙")
    w.gone = make_user("cadre", park, username="rem_gone", name="已停用干部")
    w.dept = make_department("园区税务所")
    w.h1 = make_user("handler", park, username="rem_h1", name="经办甲", department=w.dept)
    w.h2 = make_user("handler", park, username="rem_h2", name="经办乙", department=w.dept)
    w.head = make_user("handler", park, username="rem_head", name="部门负责人", department=w.dept)
    w.head.is_dept_head = True
    by = w.officer
    # Cadence on 2026-11-02:
    w.soon = make_enterprise(park, "即将到期电机有限公司", cadre=w.cadre, assigned_by=by)  # contact due 11-03
    make_visit(w.soon, w.cadre, date(2026, 10, 10), "onsite")
    make_visit(w.soon, w.cadre, date(2026, 10, 27), "phone")
    w.late = make_enterprise(park, "逾期机械有限公司", cadre=w.cadre, assigned_by=by)  # both overdue
    make_visit(w.late, w.cadre, date(2026, 9, 15), "onsite")
    make_visit(w.late, w.cadre, date(2026, 10, 20), "phone")
    # Never visited since it was assigned on 09-01: contact due 09-08, on-site by 09-30, both overdue.
    w.never = make_enterprise(
        park, "从未走访材料有限公司", cadre=w.cadre2, assigned_by=by, today=date(2026, 9, 1)
    )
    w.fine = make_enterprise(park, "走访正常科技有限公司", cadre=w.cadre, assigned_by=by)  # on-site 11-01
    make_visit(w.fine, w.cadre, date(2026, 11, 1), "onsite")
    w.closed = make_enterprise(park, "已注销贸易有限公司", cadre=w.cadre, assigned_by=by, status="closed")
    w.orphan = make_enterprise(
        park, "停用干部名下有限公司", cadre=w.gone, assigned_by=by, today=date(2026, 9, 1)
    )
    w.unassigned = make_enterprise(park, "未分配企业有限公司")
    w.gone.is_active_user = False
    # Problems (all of the firm `fine`, whose cadre is `cadre`):
    # a: dispatched 10-28 to h1, not signed: sign 10-29 red, feedback 11-02 yellow.
    w.a = new_problem(w.fine, w.cadre, "用电增容迟迟未批")
    dispatch(w.a, by, w.dept, date(2026, 10, 28), handler=w.h1)
    # b: dispatched 10-30 to the department, not signed: sign 11-02 yellow (its deadline day); feedback
    # The deadline on 11-04 is not near yet (a 3-working-day window warns on its last day only).
    w.b = new_problem(w.fine, w.cadre, "招工补贴未到账")
    dispatch(w.b, by, w.dept, date(2026, 10, 30))
    # c: dispatched 10-22, signed, fed back, progress reported: due 11-05 is beyond 11-04 -> green.
    w.c = new_problem(w.fine, w.cadre, "道路破损影响运输")
    dispatch(w.c, by, w.dept, date(2026, 10, 22), handler=w.h2)
    apply_action(w.c, "accept", w.h2, {}, today=date(2026, 10, 23))
    apply_action(w.c, "progress", w.h2, {"note": "已联系施工单位"}, today=date(2026, 10, 27))
    # d: never dispatched -> no deadline.
    w.d = new_problem(w.fine, w.cadre, "尚未交办的问题")
    db.session.flush()
    # Start from an empty bell: the dispatches above notified the handlers (tested elsewhere).
    db.session.execute(delete(Notification))
    db.session.commit()
    return w


def notes(user=None) -> set[tuple[str, str]]:
    """{(username, dedupe_key)} of all notifications (or one user's)."""
    from crm.models import User

    stmt = select(User.username, Notification.dedupe_key).join(User, User.id == Notification.user_id)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return set(db.session.execute(stmt).all())
