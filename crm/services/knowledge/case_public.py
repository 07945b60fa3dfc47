"""典型案例 on the firm's own page (企业服务码): how the park solved problems like the firm's.

Only what the office wrote for firms leaves the building: the title, the plain summary, the category,
the solving department's name and, when the case links a published policy of the library, that
policy's title. Never the firm the case came from, the handler, the free-text basis (typed for staff,
it may hold internal notes), tags, dates or ids of problems. Cases of the firm's own problems are left
out (it knows them), and only published cases of the firm's own park are shown.
"""

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import and_, func, select

from crm.extensions import db
from crm.models import Department, Enterprise, Policy, Problem, TypicalCase
from crm.models.problem import PROBLEM_CATEGORIES

PER_CATEGORY = 5


@dataclass(frozen=True)
class PublicCase:
    """The fields of a case a firm may read."""

    category: str
    title: str
    summary: str
    department: Optional[str]
    policy: Optional[str]

    @property
    def category_label(self) -> str:
        return PROBLEM_CATEGORIES.get(self.category, self.category)


def cases_for_firm(
    firm: Enterprise, categories: Optional[list[str]] = None, per_category: int = PER_CATEGORY
) -> dict[str, list[PublicCase]]:
    """The newest published cases of the firm's park, at most per_category of each category (all
    categories when none are named), in the order of PROBLEM_CATEGORIES; one query."""
    if categories is not None and not categories:
        return {}
    rank = (
        func.row_number()
        .over(
            partition_by=TypicalCase.category,
            order_by=(TypicalCase.created_at.desc(), TypicalCase.id.desc()),
        )
        .label("rank")
    )
    inner = (
        select(
            TypicalCase.category,
            TypicalCase.title,
            TypicalCase.summary,
            Department.name.label("department"),
            Policy.title.label("policy"),
            TypicalCase.created_at,
            TypicalCase.id,
            rank,
        )
        .join(Problem, Problem.id == TypicalCase.problem_id)
        .outerjoin(Department, Department.id == TypicalCase.department_id)
        .outerjoin(Policy, and_(Policy.id == TypicalCase.policy_id, Policy.status == "published"))
        .where(
            TypicalCase.park_id == firm.park_id,
            TypicalCase.status == "published",
            Problem.enterprise_id != firm.id,
        )
    )
    if categories is not None:
        inner = inner.where(TypicalCase.category.in_(categories))
    sub = inner.subquery()
    rows = db.session.execute(
        select(sub.c.category, sub.c.title, sub.c.summary, sub.c.department, sub.c.policy)
        .where(sub.c.rank <= per_category)
        .order_by(sub.c.category, sub.c.rank)
    )
    grouped: dict[str, list[PublicCase]] = {}
    for category, title, summary, department, policy in rows:
        grouped.setdefault(category, []).append(PublicCase(category, title, summary, department, policy))
    order = list(PROBLEM_CATEGORIES)
    return dict(sorted(grouped.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))


def firm_categories(firm: Enterprise) -> list[str]:
    """The categories of the firm's own problems, most recently raised first (one query)."""
    rows = db.session.execute(
        select(Problem.category, func.max(Problem.raised_on).label("last"))
        .where(Problem.enterprise_id == firm.id)
        .group_by(Problem.category)
        .order_by(func.max(Problem.raised_on).desc(), Problem.category)
    )
    return [category for category, _last in rows]


def cases_like_firms_own(firm: Enterprise, limit: int = PER_CATEGORY) -> list[PublicCase]:
    """类似问题的解决案例 for the firm's home page: cases of the categories of its own problems, taking
    in turn from each category (the most recent trouble first), at most `limit` in all; two queries."""
    categories = firm_categories(firm)
    grouped = cases_for_firm(firm, categories, per_category=limit)
    queues = [list(grouped.get(category, [])) for category in categories]
    picked: list[PublicCase] = []
    while len(picked) < limit and any(queues):
        for queue in queues:
            if queue and len(picked) < limit:
                picked.append(queue.pop(0))
    return picked
