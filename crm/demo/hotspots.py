"""Demo data for 热点分析: firms that raise the same trouble again soon after it was solved (重复问题), so the
page's repeat list has rows. Everything else it shows comes from the demo's other problems."""

from datetime import date, timedelta

from sqlalchemy import select

from crm.demo.problems import _stamp
from crm.extensions import db
from crm.models import Enterprise, Problem
from crm.services.knowledge.hotspot_figures import REPEAT_DAYS
from crm.services.problems.intake import raise_problem

REPEATS = 2
AGAIN = "（再次反映）"


def load_demo_hotspots(today: date) -> dict[str, int]:
    """Raise today, for up to REPEATS firms, a problem of the category of one they had resolved in the last
    two months; returns how many were added."""
    since = today - timedelta(days=min(60, REPEAT_DAYS))
    solved = db.session.scalars(
        select(Problem)
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(Problem.resolved_on.between(since, today - timedelta(days=3)), Enterprise.status == "active")
        .order_by(Problem.resolved_on.desc(), Problem.id)
    ).all()
    added, firms = 0, set()
    for earlier in solved:
        firm = earlier.enterprise
        if firm.id in firms or firm.cadre is None or added == REPEATS:
            continue
        data = {
            "title": f"{earlier.title}{AGAIN}",
            "description": f"此前反映的问题办结后又出现：{earlier.description}",
            "category": earlier.category,
            "source": "visit",
        }
        raise_problem(firm, firm.cadre, data, today=today, now=_stamp(today, 30))
        firms.add(firm.id)
        added += 1
    db.session.flush()
    return {"hotspot_repeats": added}
