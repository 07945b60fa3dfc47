"""Problem figures of a monthly report: the 汇总 counts, 部门办理 and 督办与升级 (SQL aggregates + states).

Definitions: crm.reporting.monthly.build. Everything is computed from the period's ProblemStates (status as of
month end) and from the events dated in the period; a constant number of queries.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Optional, TypeGuard

from sqlalchemy import select

from crm.extensions import db
from crm.models import Department, Enterprise, Problem, ProblemEvent, User
from crm.models.problem import PROBLEM_STATUSES
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.state import ProblemState
from crm.services.problems.rules import ProblemRules
from crm.services.workdays.calendar import WorkCalendar

SATISFIED = ("satisfied", "basic")
COUNTED_ACTIONS = ("return", "approve_extension", "evaluate", "escalate", "supervise")
DISPATCH_ACTIONS = ("dispatch", "redispatch")


def rate(part: int, whole: int) -> Optional[float]:
    """part / whole as a fraction (Excel formats it as %), None when there is nothing to divide."""
    return part / whole if whole else None


@dataclass
class ProblemFigures:
    carried: int = 0
    new: int = 0
    closed: int = 0
    open_end: int = 0
    overdue: int = 0
    resolved: int = 0  # resolved in the period with a final limit (the on-time denominator)
    on_time: int = 0
    evaluations: int = 0
    satisfied: int = 0
    escalations: int = 0
    supervisions: int = 0
    by_status: dict[str, int] = field(default_factory=dict)  # status at period end, every listed problem
    by_colour: dict[str, int] = field(default_factory=dict)  # colour at period end, open problems

    @property
    def on_time_rate(self) -> Optional[float]:
        return rate(self.on_time, self.resolved)

    @property
    def satisfaction_rate(self) -> Optional[float]:
        return rate(self.satisfied, self.evaluations)


@dataclass
class DeptRow:
    department_id: int
    name: str = ""
    received: int = 0
    signed: int = 0
    closed: int = 0
    resolved: int = 0
    on_time: int = 0
    open_end: int = 0
    overdue: int = 0
    extensions: int = 0
    returns: int = 0
    evaluations: int = 0
    satisfied: int = 0

    @property
    def signed_rate(self) -> Optional[float]:
        return rate(self.signed, self.received)

    @property
    def on_time_rate(self) -> Optional[float]:
        return rate(self.on_time, self.resolved)

    @property
    def satisfaction_rate(self) -> Optional[float]:
        return rate(self.satisfied, self.evaluations)


def _in(day: Optional[date], period: Period) -> TypeGuard[date]:
    return day is not None and period.start <= day <= period.end


def _events_in_period(scope: ReportScope, period: Period, actions: tuple[str, ...]):
    return (
        select(ProblemEvent.problem_id, ProblemEvent.action, ProblemEvent.department_id, ProblemEvent.data)
        .join(Problem, Problem.id == ProblemEvent.problem_id)
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(
            scope.firm_clause(),
            ProblemEvent.action.in_(actions),
            ProblemEvent.happened_on.between(period.start, period.end),
        )
    )


def counted_events(scope: ReportScope, period: Period) -> list[tuple]:
    """(problem_id, action, department_id, data) of the period's returns, extensions, evaluations,
    escalations and 督办 (one query, shared by 汇总 and 部门办理)."""
    return list(db.session.execute(_events_in_period(scope, period, COUNTED_ACTIONS)))


def _is_satisfied(data) -> Optional[bool]:
    """True/False for an evaluation event's verdict, None if the event carries none."""
    verdict = (data or {}).get("evaluation")
    return None if verdict is None else verdict in SATISFIED


def problem_figures(period: Period, states: list[ProblemState], events: list[tuple]) -> ProblemFigures:
    """The 汇总 problem counts of the period from its states and counted_events()."""
    f = ProblemFigures()
    status_counts: Counter = Counter()
    colour_counts: Counter = Counter()
    for s in states:
        status_counts[s.status] += 1
        if s.raised_on < period.start:
            f.carried += 1
        else:
            f.new += 1
        if _in(s.closed_on, period):
            f.closed += 1
        if s.open_on(period.end):
            f.open_end += 1
            colour_counts[s.colour] += 1
            f.overdue += s.colour == "red"
        if _in(s.resolved_on, period) and s.due_on is not None:
            f.resolved += 1
            f.on_time += s.resolved_on <= s.due_on
    f.by_status = {key: status_counts.get(key, 0) for key in PROBLEM_STATUSES}
    f.by_colour = {key: colour_counts.get(key, 0) for key in ("red", "yellow", "green")}
    for _pid, action, _dept, data in events:
        if action == "escalate":
            f.escalations += 1
        elif action == "supervise":
            f.supervisions += 1
        elif action == "evaluate" and (verdict := _is_satisfied(data)) is not None:
            f.evaluations += 1
            f.satisfied += verdict
    return f


def _dispatches(scope: ReportScope, period: Period) -> list[tuple]:
    """(problem_id, department_id, dispatched on, first signature by that department afterwards).

    Two plain queries matched in Python: a correlated MIN() per dispatch lets SQLite pick the
    (action, happened_on) index and scan every signature for every dispatch.
    """
    in_scope = (
        select(ProblemEvent.id, ProblemEvent.problem_id, ProblemEvent.department_id, ProblemEvent.happened_on)
        .join(Problem, Problem.id == ProblemEvent.problem_id)
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(scope.firm_clause(), ProblemEvent.department_id.is_not(None))
    )
    dispatched = db.session.execute(
        in_scope.where(
            ProblemEvent.action.in_(DISPATCH_ACTIONS),
            ProblemEvent.happened_on.between(period.start, period.end),
        ).order_by(ProblemEvent.id)
    ).all()
    signatures: dict[tuple[int, int], list[tuple[int, date]]] = defaultdict(list)
    if dispatched:
        accepted = db.session.execute(
            in_scope.where(
                ProblemEvent.action == "accept", ProblemEvent.happened_on >= period.start
            ).order_by(ProblemEvent.id)
        )
        for event_id, problem_id, dept_id, day in accepted:
            assert dept_id is not None, "in_scope keeps the events of a department"
            signatures[(problem_id, dept_id)].append((event_id, day))
    out = []
    for event_id, problem_id, dept_id, day in dispatched:
        assert dept_id is not None, "in_scope keeps the events of a department"
        later = (d for i, d in signatures.get((problem_id, dept_id), ()) if i > event_id)
        out.append((problem_id, dept_id, day, next(later, None)))
    return out


def department_rows(
    scope: ReportScope,
    period: Period,
    states: list[ProblemState],
    events: list[tuple],
    rules: ProblemRules,
    cal: WorkCalendar,
) -> list[DeptRow]:
    """部门办理: one row per department with any figure in the period, busiest first (2 queries)."""
    rows: dict[int, DeptRow] = {}

    def row(dept_id: int) -> DeptRow:
        return rows.setdefault(dept_id, DeptRow(dept_id))

    received: dict[int, set[int]] = defaultdict(set)
    signed: dict[int, set[int]] = defaultdict(set)
    for problem_id, dept_id, day, accepted in _dispatches(scope, period):
        received[dept_id].add(problem_id)
        if accepted is not None and accepted <= cal.add_workdays(day, rules.sign_days):
            signed[dept_id].add(problem_id)
    for dept_id, ids in received.items():
        row(dept_id).received = len(ids)
        row(dept_id).signed = len(signed[dept_id])
    for s in states:
        if s.department_id is None:
            continue
        if _in(s.closed_on, period):
            row(s.department_id).closed += 1
        if _in(s.resolved_on, period) and s.due_on is not None:
            row(s.department_id).resolved += 1
            row(s.department_id).on_time += s.resolved_on <= s.due_on
        if s.open_on(period.end):
            row(s.department_id).open_end += 1
            row(s.department_id).overdue += s.colour == "red"
    for _pid, action, dept_id, data in events:
        if dept_id is None:
            continue
        if action == "approve_extension":
            row(dept_id).extensions += 1
        elif action == "return":
            row(dept_id).returns += 1
        elif action == "evaluate" and (verdict := _is_satisfied(data)) is not None:
            row(dept_id).evaluations += 1
            row(dept_id).satisfied += verdict
    if rows:
        stmt = select(Department.id, Department.name).where(Department.id.in_(list(rows)))
        names = dict(db.session.execute(stmt).all())
        for dept_id, r in rows.items():
            r.name = names.get(dept_id, "")
    return sorted(rows.values(), key=lambda r: (-r.received, -r.open_end, r.name))


@dataclass(frozen=True)
class SupervisionRow:
    day: date
    action: str  # escalate / supervise
    firm: str
    problem_id: int
    title: str
    department: Optional[str]
    from_level: Optional[int]
    to_level: Optional[int]
    actor: Optional[str]  # None: the scheduler (automatic escalation)
    note: Optional[str]


def supervision_rows(scope: ReportScope, period: Period) -> list[SupervisionRow]:
    """督办与升级: the period's 提级协调 and 督办 events, oldest first (one query)."""
    stmt = (
        select(
            ProblemEvent.happened_on,
            ProblemEvent.action,
            Enterprise.name,
            Problem.id,
            Problem.title,
            Department.name,
            ProblemEvent.data,
            User.name,
            ProblemEvent.note,
        )
        .join(Problem, Problem.id == ProblemEvent.problem_id)
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .outerjoin(Department, Department.id == ProblemEvent.department_id)
        .outerjoin(User, User.id == ProblemEvent.actor_id)
        .where(
            scope.firm_clause(),
            ProblemEvent.action.in_(("escalate", "supervise")),
            ProblemEvent.happened_on.between(period.start, period.end),
        )
        .order_by(ProblemEvent.happened_on, ProblemEvent.id)
    )
    out = []
    for day, action, firm, pid, title, dept, data, actor, note in db.session.execute(stmt):
        data = data or {}
        out.append(
            SupervisionRow(
                day, action, firm, pid, title, dept, data.get("from_level"), data.get("to_level"), actor, note
            )
        )
    return out
