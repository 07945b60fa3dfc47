"""热点分析 of a month, read live: the facts (crm.services.knowledge.hotspot_figures) gathered from the
database in a fixed number of statements whatever the number of problems, and the figures made from them.

Only the month's problems are tokenized (title and description, crm.services.knowledge.text). Each
gatherer takes a WHERE clause on the firm (Enterprise, joined) so the monthly report can narrow it to the
firms of its park at month end; facts carry the firm's park and chain as they are now (the report puts
the month-end ones in their place). A closed month is read from its frozen facts instead
(crm.reporting.monthly.hotspot_facts).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Optional

from sqlalchemy import and_, exists, func, select, true
from sqlalchemy.orm import aliased

from crm.extensions import db
from crm.models import Department, Enterprise, IndustryChain, Park, Problem, ProblemEvent
from crm.models.knowledge import TypicalCase
from crm.services.knowledge.hotspot_figures import (
    REPEAT_DAYS,
    Hotspots,
    RaisedFact,
    RedoFact,
    RepeatFact,
    ResolvedFact,
    assemble_hotspots,
)
from crm.services.knowledge.text import tokenize_all
from crm.services.problems.deadlines import workdays_used
from crm.services.workdays.calendar import WorkCalendar, get_calendar

__all__ = [
    "Gathered",
    "gather_month",
    "gather_redos",
    "gather_resolved",
    "month_hotspots",
    "name_maps",
]


def _firms(park_id: Optional[int]) -> Any:
    return true() if park_id is None else Enterprise.park_id == park_id


@dataclass
class Gathered:
    """The problems raised in a month (and, asked for, in the month before it) and the month's repeats."""

    raised: list[RaisedFact]
    previous: list[RaisedFact]
    repeats: list[RepeatFact]


def gather_month(start: date, end: date, firms: Any = None, since: Optional[date] = None) -> Gathered:
    """Problems raised from start to end of the firms (a clause on Enterprise) with their words, those
    raised from since (the month before's 1st) to start too, and the month's repeat problems: each raised
    in the month whose firm had a problem of the same category resolved (or, never resolved, closed)
    within REPEAT_DAYS before, with the latest such one (1 query: the earlier problems outer-joined)."""
    earlier = aliased(Problem)
    done_on = func.coalesce(earlier.resolved_on, earlier.closed_on)
    published_case = exists().where(
        TypicalCase.problem_id == Problem.answered_from_id, TypicalCase.status == "published"
    )
    repeat = and_(
        Problem.raised_on >= start,
        earlier.enterprise_id == Problem.enterprise_id,
        earlier.category == Problem.category,
        earlier.id != Problem.id,
        done_on.between(start - timedelta(days=REPEAT_DAYS), end),
        done_on <= Problem.raised_on,
        earlier.raised_on <= Problem.raised_on,
    )
    rows = db.session.execute(
        select(
            Enterprise.park_id,
            Problem.id,
            Problem.enterprise_id,
            Enterprise.chain_id,
            Problem.category,
            Problem.title,
            Problem.description,
            Problem.answered_from_id,
            published_case,
            Problem.raised_on,
            Enterprise.name,
            earlier.id,
            earlier.title,
            done_on,
        )
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .outerjoin(earlier, repeat)
        .where(firms if firms is not None else true(), Problem.raised_on.between(since or start, end))
        .order_by(Problem.id, done_on.desc(), earlier.id.desc())
    ).all()
    out = Gathered([], [], [])
    firsts = [row for i, row in enumerate(rows) if i == 0 or rows[i - 1][1] != row[1]]
    words = tokenize_all(f"{row[5]}\n{row[6]}" for row in firsts)  # title and description
    for row, terms in zip(firsts, words, strict=True):
        park, pid, firm, chain, category, title, _text, source, case, raised_on = row[:10]
        fact = RaisedFact(
            park, pid, firm, chain, category, title, sorted(set(terms)), source, bool(case and source)
        )
        (out.raised if raised_on >= start else out.previous).append(fact)
        name, eid, etitle, done = row[10:]
        days = (raised_on - done).days if eid is not None else REPEAT_DAYS + 1
        if days <= REPEAT_DAYS:  # a problem's first row holds its latest earlier one
            out.repeats.append(
                RepeatFact(park, firm, name, category, pid, title, raised_on, eid, etitle, done, days)
            )
    return out


def gather_resolved(
    start: date, end: date, firms: Any = None, cal: Optional[WorkCalendar] = None
) -> list[ResolvedFact]:
    """Problems resolved from start to end that have a final limit, with the working days from their
    (latest) dispatch to the resolution — 平均办结工作日's counting (1 query)."""
    cal = cal or get_calendar()
    rows = db.session.execute(
        select(
            Enterprise.park_id,
            Problem.id,
            Problem.enterprise_id,
            Problem.category,
            Problem.department_id,
            Problem.status,
            Problem.dispatched_on,
            Problem.resolved_on,
            Problem.closed_on,
        )
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(
            firms if firms is not None else true(),
            Problem.resolved_on.between(start, end),
            Problem.due_on.is_not(None),
        )
        .order_by(Problem.id)
    ).all()
    return [
        ResolvedFact(
            row.park_id,
            row.id,
            row.enterprise_id,
            row.category,
            row.department_id,
            workdays_used(row, end, cal) or 0,
        )
        for row in rows
    ]


def gather_redos(start: date, end: date, firms: Any = None) -> list[RedoFact]:
    """Evaluations 不满意 dated from start to end: each sends the problem back to its department (1 query)."""
    rows = db.session.execute(
        select(Enterprise.park_id, ProblemEvent.problem_id, ProblemEvent.department_id, ProblemEvent.data)
        .join(Problem, Problem.id == ProblemEvent.problem_id)
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(
            firms if firms is not None else true(),
            ProblemEvent.action == "evaluate",
            ProblemEvent.happened_on.between(start, end),
        )
        .order_by(ProblemEvent.id)
    )
    return [
        RedoFact(park, pid, dept)
        for park, pid, dept, data in rows
        if (data or {}).get("evaluation") == "unsatisfied"
    ]


def name_maps(park_id: Optional[int] = None) -> dict[str, dict[int, str]]:
    """{"parks" | "chains" | "departments": {id: name}} in display order (3 queries)."""
    parks = select(Park.id, Park.name).order_by(Park.id)
    if park_id is not None:
        parks = parks.where(Park.id == park_id)
    chains = select(IndustryChain.id, IndustryChain.name).order_by(IndustryChain.id)
    depts = select(Department.id, Department.name).order_by(Department.name, Department.id)
    return {
        kind: {row[0]: row[1] for row in db.session.execute(stmt)}
        for kind, stmt in (("parks", parks), ("chains", chains), ("departments", depts))
    }


def _previous_month(start: date) -> date:
    return (start - timedelta(days=1)).replace(day=1)


def month_hotspots(
    start: date, end: date, park_id: Optional[int] = None, cal: Optional[WorkCalendar] = None
) -> Hotspots:
    """热点分析 from start (a month's 1st) to end (its last day, or today while it runs) for one park or the
    city (park_id None), from the live tables: the firms' current park and chain (a fixed number of
    queries)."""
    firms = _firms(park_id)
    names = name_maps(park_id)
    month = gather_month(start, end, firms, since=_previous_month(start))
    scope = names["parks"].get(park_id, "") if park_id is not None else "全部园区"
    return assemble_hotspots(
        start,
        end,
        park_id,
        month.raised,
        month.previous,
        gather_resolved(start, end, firms, cal),
        gather_redos(start, end, firms),
        month.repeats,
        names,
        scope,
    )
