"""What happened in a month, read live: visits per firm and person, problems as they stood at month end,
the counted events, the dispatches and their signatures, 督办与升级, the 四张清单 and the calendar's
provisional years. Each collector takes the month's LiveMonth (crm.reporting.monthly.registry) and
keeps the facts of firms in its scope, tagged with each firm's park at month end.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select

from crm.extensions import db
from crm.models import Department, Enterprise, Problem, ProblemEvent, User, Visit
from crm.reporting.monthly.facts import CalendarFact, DispatchFact, EventFact, SupervisionRow, VisitFact
from crm.reporting.monthly.lists import FirmListFacts, collect_list_facts
from crm.reporting.monthly.period import ReportScope
from crm.reporting.monthly.registry import LiveMonth
from crm.reporting.monthly.state import ProblemState, problem_states
from crm.services.problems.rules import RuleBook
from crm.services.workdays.calendar import WorkCalendar, get_calendar

COUNTED_ACTIONS = ("return", "approve_extension", "evaluate", "escalate", "supervise")
DISPATCH_ACTIONS = ("dispatch", "redispatch")
# A signature due in the month may come from a dispatch this long before it (10 working days at most,
# around the Spring Festival's week off).
SIGN_LOOKBACK = timedelta(days=45)


def _book(ctx: LiveMonth) -> RuleBook:
    return ctx.once("book", RuleBook.load)


def _cal(ctx: LiveMonth) -> WorkCalendar:
    return ctx.once("cal", get_calendar)


def collect_visits(ctx: LiveMonth) -> list[VisitFact]:
    """The month's visits per firm, person and kind (one query)."""
    period = ctx.period
    rows = db.session.execute(
        select(Visit.enterprise_id, Visit.cadre_id, Visit.kind, func.count(Visit.id))
        .where(ctx.candidates(Visit.enterprise_id), Visit.visited_on.between(period.start, period.end))
        .group_by(Visit.enterprise_id, Visit.cadre_id, Visit.kind)
        .order_by(Visit.enterprise_id, Visit.cadre_id, Visit.kind)
    )
    out = []
    for firm_id, cadre_id, kind, n in rows:
        park_id = ctx.park_of(firm_id)
        if park_id is not None:
            out.append(VisitFact(park_id, firm_id, cadre_id, kind, n))
    return out


@dataclass(frozen=True)
class _CandidateScope(ReportScope):
    """A scope whose firm clause is the month's candidates (the park's firms then, a superset)."""

    clause: Any = None

    def firm_clause(self) -> ColumnElement[bool]:
        return self.clause


def collect_problems(ctx: LiveMonth) -> list[ProblemState]:
    """Every problem open at some point in the month, as it stood at month end (crm.reporting.monthly.state),
    with its firm's name, park and chain at month end."""
    if "problems" in ctx._cache:
        return ctx._cache["problems"]
    scope = _CandidateScope(None, ctx.candidates(Enterprise.id))
    out = []
    for state in problem_states(scope, ctx.period, _book(ctx), _cal(ctx)):
        firm = ctx.registry.get(state.enterprise_id)
        if firm is None or not ctx.in_scope(state.enterprise_id):
            continue
        state.firm_name, state.park_id, state.chain_id = firm.name, firm.park_id, firm.chain_id
        out.append(state)
    ctx._cache["problems"] = out
    return out


def _events(ctx: LiveMonth, actions: tuple[str, ...], since: date, *columns):
    """The problem events of these actions dated from since to month end, of candidate firms."""
    return db.session.execute(
        select(Problem.enterprise_id, *columns)
        .join(Problem, Problem.id == ProblemEvent.problem_id)
        .where(
            ctx.candidates(Problem.enterprise_id),
            ProblemEvent.action.in_(actions),
            ProblemEvent.happened_on.between(since, ctx.period.end),
        )
        .order_by(ProblemEvent.id)
    )


def collect_events(ctx: LiveMonth) -> list[EventFact]:
    """The month's 退回, approved 延期, 回访评价, 提级协调 and 督办 (one query)."""
    rows = _events(
        ctx,
        COUNTED_ACTIONS,
        ctx.period.start,
        ProblemEvent.problem_id,
        ProblemEvent.action,
        ProblemEvent.department_id,
        ProblemEvent.data,
    )
    out = []
    for firm_id, problem_id, action, dept_id, data in rows:
        park_id = ctx.park_of(firm_id)
        if park_id is None:
            continue
        verdict = (data or {}).get("evaluation") if action == "evaluate" else None
        out.append(EventFact(park_id, problem_id, action, dept_id, verdict))
    return out


def collect_dispatches(ctx: LiveMonth) -> list[DispatchFact]:
    """Dispatches in the month or with a signature due in it, each with its signature deadline (under
    the rules that dispatch was made with) and the department's first signature by month end (2 queries).
    """
    period, book, cal = ctx.period, _book(ctx), _cal(ctx)
    since = period.start - SIGN_LOOKBACK
    columns = (ProblemEvent.id, ProblemEvent.problem_id, ProblemEvent.department_id, ProblemEvent.happened_on)
    dispatched = [
        row
        for row in _events(ctx, DISPATCH_ACTIONS, since, *columns, ProblemEvent.data)
        if row[3] is not None  # a dispatch always names its department
    ]
    signatures: dict[tuple[int, int], list[tuple[int, date]]] = defaultdict(list)
    if dispatched:
        for _firm, event_id, problem_id, dept_id, day in _events(ctx, ("accept",), since, *columns):
            if dept_id is not None:
                signatures[(problem_id, dept_id)].append((event_id, day))
    out = []
    for firm_id, event_id, problem_id, dept_id, day, data in dispatched:
        park_id = ctx.park_of(firm_id)
        if park_id is None:
            continue
        due = cal.add_workdays(day, book.for_event(data).sign_days)
        if not (period.start <= day or period.start <= due <= period.end):
            continue  # dispatched before the month, its signature due before it too
        signed = next((d for i, d in signatures.get((problem_id, dept_id), ()) if i > event_id), None)
        out.append(DispatchFact(park_id, problem_id, dept_id, day, due, signed))
    return out


def collect_supervision(ctx: LiveMonth) -> list[SupervisionRow]:
    """督办与升级: the month's 提级协调 and 督办, oldest first (one query)."""
    period = ctx.period
    stmt = (
        select(
            Problem.enterprise_id,
            ProblemEvent.happened_on,
            ProblemEvent.action,
            Problem.id,
            Problem.title,
            Department.name,
            ProblemEvent.data,
            User.name,
            ProblemEvent.note,
        )
        .join(Problem, Problem.id == ProblemEvent.problem_id)
        .outerjoin(Department, Department.id == ProblemEvent.department_id)
        .outerjoin(User, User.id == ProblemEvent.actor_id)
        .where(
            ctx.candidates(Problem.enterprise_id),
            ProblemEvent.action.in_(("escalate", "supervise")),
            ProblemEvent.happened_on.between(period.start, period.end),
        )
        .order_by(ProblemEvent.happened_on, ProblemEvent.id)
    )
    out = []
    for firm_id, day, action, pid, title, dept, data, actor, note in db.session.execute(stmt):
        park_id = ctx.park_of(firm_id)
        if park_id is None:
            continue
        data = data or {}
        firm = ctx.registry[firm_id].name
        out.append(
            SupervisionRow(
                park_id,
                day,
                action,
                firm,
                pid,
                title,
                dept,
                data.get("from_level"),
                data.get("to_level"),
                actor,
                note,
            )
        )
    return out


def collect_lists(ctx: LiveMonth) -> list[FirmListFacts]:
    """Each firm's 四张清单 figures (crm.reporting.monthly.lists) with its park and chain at month end."""
    out = []
    for facts in collect_list_facts(ctx.period):
        firm = ctx.registry.get(facts.enterprise_id)
        if firm is None or not ctx.in_scope(facts.enterprise_id):
            continue
        facts.park_id, facts.chain_id = firm.park_id, firm.chain_id
        out.append(facts)
    return out


def collect_calendar(ctx: LiveMonth) -> list[CalendarFact]:
    """The years of the month's deadlines whose 调休 is not entered yet (deadlines there are provisional)."""
    days = (
        day
        for s in collect_problems(ctx)
        for day in (s.sign_due_on, s.feedback_due_on, s.progress_due_on, s.due_on)
    )
    return [CalendarFact(year) for year in _cal(ctx).provisional_years(days)]
