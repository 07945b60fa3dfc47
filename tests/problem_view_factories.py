"""Problems of any firm in any state for view tests, through the real services (raise_problem +
apply_action). tests/problem_factories.py builds its own small world; this one works on any firm.

Dates: CRM_TODAY in tests is Monday 2026-11-02. With the default rules a problem dispatched on
2026-10-26 and never signed is red (sign was due 10-27); one dispatched on 11-02 is yellow (sign due
11-03, within 2 working days); one signed with progress reported on 10-26 is green (due 11-09).
"""

from datetime import date
from typing import Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import Department, Enterprise, Problem, User
from crm.services.problem_flow import apply_action
from crm.services.problems import raise_problem
from tests.factories import make_user

TODAY = date(2026, 11, 2)
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
    raised_on: date = date(2026, 10, 20),
    on: date = TODAY,
    evaluation: str = "satisfied",
    assign_handler: bool = False,
    files=(),
) -> Problem:
    """A problem of firm raised by raised_by, taken to `state` (a key of PATHS) with steps dated `on`.

    department: the dispatch target (required for any state past "new" except "on_spot"); handler: who
    signs and resolves (default the department's first handler); assign_handler names that handler at
    dispatch (only they and the head may then act).
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
    return problem
