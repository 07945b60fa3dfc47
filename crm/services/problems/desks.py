"""Read side of the work desks: the handler's inbox, the officer's dispatch board and the escalation view.

Each desk runs a constant number of queries: one row of counts (SUM(CASE …)) and one query per list.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Problem, ProblemEvent, User
from crm.models.problem import OPEN_STATUSES
from crm.permissions import escalated_problems, handler_queue_clause, visible_problems
from crm.services.problems.deadlines import colour_clause
from crm.services.problems.notices import nobody_at_level
from crm.services.problems.queries import urgency_order, with_list_options

BOARD_LIMIT = 20  # rows per board section; the section links to the full filtered list


@dataclass
class Tab:
    key: str
    label: str
    count: int


@dataclass
class Board:
    counts: dict[str, int]
    sections: dict[str, list[Problem]] = field(default_factory=dict)


def _counts(base: Select, conditions: dict[str, ColumnElement[bool]]) -> dict[str, int]:
    """{name: number of rows of base matching the condition}, in one query."""
    columns = [func.coalesce(func.sum(case((cond, 1), else_=0)), 0) for cond in conditions.values()]
    row = db.session.execute(base.with_only_columns(*columns)).one()
    return {name: int(value or 0) for name, value in zip(conditions, row, strict=True)}


def _inbox_conditions(user: User, today: date) -> dict[str, tuple[str, ColumnElement[bool]]]:
    conditions = {
        "sign": ("待签收", Problem.status == "dispatched"),
        "doing": ("办理中", Problem.status == "in_progress"),
        "soon": ("即将超期", colour_clause("yellow", today)),
        "late": ("已超期", colour_clause("red", today)),
    }
    if user.escalation_level == 2:
        conditions["escalated"] = ("已升级", Problem.status.in_(OPEN_STATUSES) & (Problem.level >= 2))
    return conditions


def inbox_tabs(user: User, today: date) -> list[Tab]:
    """The inbox tabs with their counts (one query)."""
    conditions = _inbox_conditions(user, today)
    base = visible_problems(user).where(handler_queue_clause(user))
    counts = _counts(base, {key: cond for key, (_, cond) in conditions.items()})
    return [Tab(key, label, counts[key]) for key, (label, _) in conditions.items()]


def inbox_query(user: User, tab: str, today: date) -> Select:
    """The problems of one inbox tab, most urgent first."""
    _, cond = _inbox_conditions(user, today)[tab]
    stmt = visible_problems(user).where(handler_queue_clause(user), cond)
    return with_list_options(stmt).order_by(*urgency_order(today))


def board(user: User, today: date) -> Board:
    """The officer's dispatch board: counts and the first rows of each section."""
    red, yellow = colour_clause("red", today), colour_clause("yellow", today)
    sections = {
        "dispatch": (Problem.status.in_(("new", "returned")), (Problem.status.desc(), Problem.raised_on)),
        "extension": (Problem.extension_days.is_not(None), (Problem.extension_requested_on,)),
        "evaluate": (Problem.status == "resolved", (Problem.resolved_on,)),
        "red": (red, urgency_order(today)),
        "yellow": (yellow, urgency_order(today)),
    }
    base = visible_problems(user).where(Problem.status.in_(OPEN_STATUSES))  # every section is open
    counts = _counts(
        base,
        {
            "new": Problem.status == "new",
            "returned": Problem.status == "returned",
            **{key: cond for key, (cond, _) in sections.items() if key != "dispatch"},
        },
    )
    counts["dispatch"] = counts["new"] + counts["returned"]
    result = Board(counts)
    for key, (cond, order) in sections.items():
        if not counts[key]:
            result.sections[key] = []
            continue
        stmt = with_list_options(base.where(cond)).order_by(*order, Problem.id).limit(BOARD_LIMIT)
        result.sections[key] = list(db.session.scalars(stmt).unique())
    return result


def escalation_query(user: User, include_closed: bool, today: date) -> Select:
    """Escalated problems this user answers for or oversees: highest level first, then most urgent."""
    stmt = escalated_problems(user)
    if not include_closed:
        stmt = stmt.where(Problem.status.in_(OPEN_STATUSES))
    return with_list_options(stmt).order_by(Problem.level.desc(), *urgency_order(today))


def unreceived(problems: list[Problem]) -> set[int]:
    """Ids of these problems whose current level has nobody to receive them (无人接收), in
    constant queries (the same people notices.level_people would notify)."""
    return nobody_at_level(problems)


def escalation_level_counts(user: User, include_closed: bool) -> dict[int, int]:
    """{level: count} of the escalation view's problems (one GROUP BY)."""
    stmt = escalated_problems(user)
    if not include_closed:
        stmt = stmt.where(Problem.status.in_(OPEN_STATUSES))
    stmt = stmt.with_only_columns(Problem.level, func.count(Problem.id)).group_by(Problem.level)
    return {level: n for level, n in db.session.execute(stmt)}


def recent_notes(problem_ids: list[int], actions: tuple[str, ...] = ("instruct", "supervise")) -> dict:
    """{problem id: [events]} of the given actions (批示, 督办), newest first, in one query."""
    out: dict[int, list[ProblemEvent]] = {pid: [] for pid in problem_ids}
    if not problem_ids:
        return out
    rows = db.session.scalars(
        select(ProblemEvent)
        .where(ProblemEvent.problem_id.in_(problem_ids), ProblemEvent.action.in_(actions))
        .options(joinedload(ProblemEvent.actor))
        .order_by(ProblemEvent.at.desc(), ProblemEvent.id.desc())
    )
    for event in rows:
        out[event.problem_id].append(event)
    return out
