"""Problems in any state, reached through the real workflow (raise_problem + apply_action).

world = problem_world()                       # park, firm, cadre, officer, department, handler …
p = make_problem(world, "in_progress", on=date(2026, 10, 12))
"""

from datetime import date
from types import SimpleNamespace
from typing import Optional

from crm.extensions import db
from crm.models import Problem
from crm.services.problem_flow import apply_action
from crm.services.problems import raise_problem
from tests.factories import make_department, make_enterprise, make_park, make_user

# How each state is reached from 待交办, as (action, actor key, data) steps.
PATHS: dict[str, list[tuple[str, str, dict]]] = {
    "new": [],
    "dispatched": [("dispatch", "officer", {})],
    "in_progress": [("dispatch", "officer", {}), ("accept", "handler", {})],
    "resolved": [
        ("dispatch", "officer", {}),
        ("accept", "handler", {}),
        ("resolve", "handler", {"note": "已协调解决"}),
    ],
    "returned": [("dispatch", "officer", {}), ("return", "handler", {"note": "不属于本部门职责"})],
    "closed": [
        ("dispatch", "officer", {}),
        ("accept", "handler", {}),
        ("resolve", "handler", {"note": "已协调解决"}),
        ("evaluate", "cadre", {"evaluation": "satisfied"}),
    ],
}


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


def make_problem(
    w: SimpleNamespace,
    state: str = "new",
    on: date = date(2026, 10, 12),
    urgency: str = "normal",
    category: str = "utilities",
    firm=None,
    title: Optional[str] = None,
) -> Problem:
    """Raise a problem on `on` and walk it to `state`, every step on the same day."""
    problem = raise_problem(
        firm or w.firm,
        w.cadre if firm is None else w.officer,
        {
            "title": title or "用电增容迟迟未批",
            "description": "新上产线需要增容 800 千伏安",
            "category": category,
            "urgency": urgency,
            "source": "visit",
        },
        today=on,
    )
    for action, actor, data in PATHS[state]:
        payload = {"department_id": w.dept.id} | data if action == "dispatch" else data
        apply_action(problem, action, getattr(w, actor), payload, today=on)
    db.session.flush()
    return problem
