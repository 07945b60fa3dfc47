"""Problems of any firm in any state, through the real workflow (raise_problem + apply_action).

    p = make_problem(firm, cadre, "dispatched", dept, handler, on=date(2026, 10, 26))
    step(p, "escalate", officer, level=2, note="提请部门负责人协调")

problem_world() builds a small world of its own for the workflow unit tests; the `pworld` fixture (made
available to every view test by tests/web/conftest.py) puts problems in every state on top of the view
tests' `world`.

Dates: CRM_TODAY in tests is Monday 2026-11-02. With the default rules a problem dispatched on
2026-10-26 and never signed is red (sign was due 10-27); one dispatched on Friday 10-30 is yellow (sign
due today, 11-02: a 1-working-day window warns on its deadline day; one dispatched today is green); one
signed with progress reported on 10-26 is green (due 11-09).
"""

from datetime import date
from types import SimpleNamespace
from typing import Optional

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Department, Enterprise, Problem, User
from crm.services.problems.flow import apply_action
from crm.services.problems.intake import raise_problem
from tests.support.dates import TODAY
from tests.support.factories import make_department, make_enterprise, make_park, make_user
from tests.support.uploads import PNG, upload

FRIDAY = date(2026, 10, 30)  # the working day before TODAY: a problem dispatched then is yellow today
RAISED_ON = date(2026, 10, 20)  # problems are raised a fortnight before TODAY unless a test says otherwise
EARLY = date(2026, 10, 26)  # dispatched then and never signed: red on TODAY
# The state a problem reaches, as the steps after raising it (in order).
PATHS = {
    "new": (),
    "dispatched": ("dispatch",),
    "in_progress": ("dispatch", "accept"),
    "returned": ("dispatch", "return"),
    "resolved": ("dispatch", "accept", "resolve"),
    "closed": ("dispatch", "accept", "resolve", "evaluate"),
    "on_spot": ("solve_on_spot",),
    "extension": ("dispatch", "accept", "request_extension"),
    "green": ("dispatch", "accept", "progress"),
    # 撤单: asked for by the department and waiting for the firm; confirmed (by phone) and closed.
    "withdrawal": ("dispatch", "accept", "request_withdrawal"),
    "withdrawn": ("dispatch", "accept", "request_withdrawal", "confirm_withdrawal"),
}


def _officer(firm: Enterprise) -> User:
    officer = db.session.scalar(
        select(User).where(User.role == "officer", User.park_id == firm.park_id).order_by(User.id)
    )
    if officer is None:
        officer = make_user("officer", firm.park)
    return officer


def _handler(department: Department) -> User:
    handler = db.session.scalar(
        select(User).where(User.role == "handler", User.department_id == department.id).order_by(User.id)
    )
    if handler is None:
        handler = make_user("handler", department=department)
    return handler


def step(problem: Problem, action: str, actor: Optional[User], on: date = TODAY, files=(), **data) -> Problem:
    """One apply_action step on a given day (flushes, does not commit)."""
    apply_action(problem, action, actor, data, today=on, files=files)
    db.session.flush()
    return problem


def make_problem(
    firm: Enterprise,
    raised_by: User,
    state: str = "new",
    department: Optional[Department] = None,
    handler: Optional[User] = None,
    officer: Optional[User] = None,
    title: str = "用电增容",
    category: str = "utilities",
    urgency: str = "normal",
    source: str = "visit",
    raised_on: date = RAISED_ON,
    on: date = TODAY,
    evaluation: str = "satisfied",
    assign_handler: bool = False,
    files=(),
) -> Problem:
    """A problem of firm raised by raised_by on raised_on, taken to `state` (a key of PATHS) with steps
    dated `on` (pass raised_on=on to raise and walk it on one day).

    department: the dispatch target (required for any state past "new" except "on_spot"); handler: who
    signs and resolves (default the department's first handler); officer: who dispatches (default the
    park's first officer); assign_handler names that handler at dispatch (only they and the head may
    then act).
    """
    problem = raise_problem(
        firm,
        raised_by,
        {
            "title": title,
            "description": f"{title}：企业反映的具体情况",
            "category": category,
            "urgency": urgency,
            "source": source,
        },
        today=raised_on,
        files=files,
    )
    db.session.flush()
    officer = officer or (_officer(firm) if state != "new" else None)
    for action in PATHS[state]:
        if action == "dispatch":
            handler = handler or _handler(department)
            data = {"department_id": department.id}
            if assign_handler:
                data["handler_id"] = handler.id
            step(problem, "dispatch", officer, on, **data)
        elif action in ("accept", "progress"):
            step(problem, action, handler, on, note="已安排专人对接" if action == "progress" else None)
        elif action == "return":
            step(problem, "return", handler, on, note="不属于本部门职责")
        elif action == "resolve":
            step(problem, "resolve", handler, on, note="已协调解决")
        elif action == "request_extension":
            step(problem, "request_extension", handler, on, days=3, note="需要现场勘查")
        elif action == "evaluate":
            step(problem, "evaluate", raised_by, on, evaluation=evaluation, note="企业表示认可")
        elif action == "solve_on_spot":
            step(problem, "solve_on_spot", raised_by, on, note="现场协调解决")
        elif action == "request_withdrawal":
            step(problem, "request_withdrawal", handler, on, note="企业已自行解决，申请撤单")
        elif action == "confirm_withdrawal":
            step(problem, "confirm_withdrawal", officer, on, note="已电话联系企业负责人，同意撤单")
    return problem


def problem_world(park=None) -> SimpleNamespace:
    """A park with one firm, its cadre, an officer, a department with a handler and a head, leaders."""
    park = park or make_park()
    dept = make_department(park=None)
    w = SimpleNamespace(park=park, dept=dept)
    w.officer = make_user("officer", park)
    w.cadre = make_user("cadre", park)
    w.handler = make_user("handler", park, department=dept)
    w.head = make_user("handler", park, department=dept)
    w.head.is_dept_head = True
    w.deputy = make_user("leader", park)
    w.deputy.leader_level = 3
    w.chief = make_user("leader", park)
    w.chief.leader_level = 4
    w.admin = make_user("admin")
    w.firm = make_enterprise(park, cadre=w.cadre, assigned_by=w.officer)
    db.session.flush()
    return w


@pytest.fixture()
def pworld(app, world, tmp_path, monkeypatch):
    """The view tests' `world` plus problems in every state; world.dept (税务局) serves parks A and B."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    w = world
    w.dept2 = make_department("人社局", w.park_a)
    w.handler2 = make_user("handler", w.park_a, username="handler_a2", department=w.dept2)
    w.head = make_user("handler", w.park_a, username="head_a", name="税务局局长", department=w.dept)
    w.head.is_dept_head = True
    w.leader.leader_level = 3
    w.chief = make_user("leader", username="chief", name="主要领导")
    w.chief.leader_level = 4
    cadre, other = w.cadre, w.cadre2
    w.p_new = make_problem(
        w.own_firm, cadre, "new", title="融资需求", category="finance", files=[upload("合同.png", PNG)]
    )
    w.p_red = make_problem(w.own_firm, cadre, "dispatched", w.dept, w.handler, title="用电增容", on=EARLY)
    w.p_yellow = make_problem(w.other_firm, other, "dispatched", w.dept, w.handler, title="招工难", on=FRIDAY)
    w.p_green = make_problem(w.own_firm, cadre, "green", w.dept, w.handler, title="环评审批", on=EARLY)
    w.p_dept2 = make_problem(w.own_firm, cadre, "in_progress", w.dept2, w.handler2, title="社保补贴")
    w.p_foreign = make_problem(
        w.foreign_firm, w.cadre_b, "dispatched", w.dept, w.handler, title="乙园区物流", on=FRIDAY
    )
    w.p_resolved = make_problem(w.own_firm, cadre, "resolved", w.dept, w.handler, title="道路破损")
    w.p_closed = make_problem(w.own_firm, cadre, "closed", w.dept, w.handler, title="已销号的问题")
    w.p_returned = make_problem(w.other_firm, other, "returned", w.dept, w.handler, title="被退回的问题")
    w.p_ext = make_problem(w.own_firm, cadre, "extension", w.dept, w.handler, title="土地指标", on=EARLY)
    step(w.p_red, "escalate", w.officer, level=3, note="逾期未签收，提请分管领导协调")
    step(w.p_green, "escalate", w.officer, level=2, note="提请部门负责人协调")
    # An event attachment (a progress report with a photo) on the green problem.
    step(w.p_green, "progress", w.handler, note="已现场勘查", files=[upload("现场.png", PNG)])
    db.session.commit()
    w.new_attachment = w.p_new.attachments[0]
    w.event_attachment = w.p_green.events[-1].attachments[0]
    return w
