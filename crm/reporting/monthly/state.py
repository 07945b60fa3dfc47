"""Problems as they stood at the end of a report period.

A problem row holds its state *now*. For a past month that is also its state at month end unless
something happened to it later; for those (an event dated after month end) the state is replayed from
its events dated on or before month end, each (re)dispatch and 重办 with the rules version it was
computed under (RuleBook.for_event), so a later change of the rules never changes a past month. Two
queries whatever the number of problems: the problems open at some point in the period, and the events
of the few that need a replay (plus the rule versions, loaded once by the caller).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, Optional

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from crm.extensions import db
from crm.models import Enterprise, Problem, ProblemEvent
from crm.models.problem_workflow import REPLAY_OF_EVENT
from crm.reporting.monthly.period import Period, ReportScope
from crm.services.problems.deadlines import (
    checkpoints_for,
    problem_colour,
    set_warn_dates,
    warn_on,
    workdays_used,
)
from crm.services.problems.rules import EVENT_KEY, ProblemRules, RuleBook
from crm.services.workdays.calendar import WorkCalendar

# Columns a ProblemState is built from, in this order (the firm's columns follow the problem's).
STATE_FIELDS = (
    "id",
    "title",
    "enterprise_id",
    "category",
    "urgency",
    "status",
    "department_id",
    "raised_by_id",
    "raised_on",
    "dispatched_on",
    "accepted_on",
    "first_feedback_on",
    "progress_on",
    "resolved_on",
    "evaluated_on",
    "closed_on",
    "sign_due_on",
    "feedback_due_on",
    "progress_due_on",
    "due_on",
    "sign_warn_on",
    "feedback_warn_on",
    "progress_warn_on",
    "due_warn_on",
    "level",
    "evaluation",
    "on_spot",
)
_RESET_ON_DISPATCH = ("accepted_on", "first_feedback_on", "progress_on", "resolved_on")
_DEADLINES = ("sign_due_on", "feedback_due_on", "progress_due_on", "due_on")
_WARNINGS = ("sign_warn_on", "feedback_warn_on", "progress_warn_on", "due_warn_on")


@dataclass(slots=True)
class ProblemState:
    """The fields of Problem that the deadline helpers read, plus the firm's name, park and chain.

    A replay also keeps the rules the problem is under (as Problem.rule_set_id: its latest (re)dispatch's
    or 重办's version), its round's (the (re)dispatch's) and where the final limit's window starts.
    """

    id: int
    title: str
    enterprise_id: int
    category: str
    urgency: str
    status: str
    department_id: Optional[int]
    raised_by_id: Optional[int]
    raised_on: date
    dispatched_on: Optional[date]
    accepted_on: Optional[date]
    first_feedback_on: Optional[date]
    progress_on: Optional[date]
    resolved_on: Optional[date]
    evaluated_on: Optional[date]
    closed_on: Optional[date]
    sign_due_on: Optional[date]
    feedback_due_on: Optional[date]
    progress_due_on: Optional[date]
    due_on: Optional[date]
    sign_warn_on: Optional[date]
    feedback_warn_on: Optional[date]
    progress_warn_on: Optional[date]
    due_warn_on: Optional[date]
    level: int
    evaluation: Optional[str]
    on_spot: bool
    firm_name: str
    park_id: int
    chain_id: Optional[int]
    colour: str = "green"
    workdays: Optional[int] = None
    rules: Optional[ProblemRules] = None
    round_rules: Optional[ProblemRules] = None
    due_start: Optional[date] = None

    def open_on(self, day: date) -> bool:
        """Raised on or before day and not closed by then."""
        return self.raised_on <= day and (self.closed_on is None or self.closed_on > day)


def in_period_clause(period: Period):
    """Problems open at some point in the period: raised by its end, not closed before its start."""
    return and_(
        Problem.raised_on <= period.end, or_(Problem.closed_on.is_(None), Problem.closed_on >= period.start)
    )


def _date(value: Any) -> Optional[date]:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


class ReplayedEvent(NamedTuple):
    """One event as the replay reads it (data is {} when the event has none)."""

    action: str
    to_status: Optional[str]
    department_id: Optional[int]
    data: dict[str, Any]
    day: date


# A change read from an event's data, beyond the date stamps its step declares. The rules passed are
# those the event's step used: a (re)dispatch's or 重办's own version, else the problem's.
Effect = Callable[[ProblemState, ReplayedEvent, ProblemRules, WorkCalendar], None]


def _dispatch(s: ProblemState, e: ReplayedEvent, rules: ProblemRules, cal: WorkCalendar) -> None:
    """A (re)dispatch starts a new round: the department, fresh 137 checkpoints, the final limit."""
    cp = checkpoints_for(e.day, s.category, s.urgency, rules, cal)
    s.department_id = e.department_id
    for name in _RESET_ON_DISPATCH:
        setattr(s, name, None)
    s.sign_due_on, s.feedback_due_on, s.progress_due_on = cp.sign, cp.feedback, cp.progress
    s.due_on = _date(e.data.get("due_on")) or cp.due
    s.rules = s.round_rules = rules
    s.due_start = e.day
    set_warn_dates(s, e.day, rules, cal)


def _return(s: ProblemState, e: ReplayedEvent, rules: ProblemRules, cal: WorkCalendar) -> None:
    """Returned by the department: no department, no round, no deadlines."""
    s.department_id = s.dispatched_on = s.rules = s.round_rules = s.due_start = None
    for name in (*_RESET_ON_DISPATCH, *_DEADLINES, *_WARNINGS):
        setattr(s, name, None)


def _extend(s: ProblemState, e: ReplayedEvent, rules: ProblemRules, cal: WorkCalendar) -> None:
    s.due_on = _date(e.data.get("new_due_on")) or s.due_on
    if s.dispatched_on is not None and s.due_on is not None:  # the window still runs from the dispatch
        s.due_warn_on = warn_on(s.dispatched_on, s.due_on, rules, cal)


def _on_spot(s: ProblemState, e: ReplayedEvent, rules: ProblemRules, cal: WorkCalendar) -> None:
    s.on_spot = True


def _evaluate(s: ProblemState, e: ReplayedEvent, rules: ProblemRules, cal: WorkCalendar) -> None:
    """Satisfied: closed. Unsatisfied (重办): back to the department with its new limit, or to the office."""
    s.evaluation = e.data.get("evaluation")
    if s.evaluation != "unsatisfied":
        s.closed_on = e.day
        return
    s.resolved_on = None
    if s.department_id is None:
        s.on_spot = False
    else:  # 重办: a fresh final limit from the day, under the version in force then
        s.due_on = _date(e.data.get("due_on")) or s.due_on
        s.rules, s.due_start = rules, e.day
        if s.due_on is not None:
            s.due_warn_on = warn_on(e.day, s.due_on, rules, cal)


def _escalate(s: ProblemState, e: ReplayedEvent, rules: ProblemRules, cal: WorkCalendar) -> None:
    s.level = int(e.data.get("to_level") or s.level + 1)


def _recalc(s: ProblemState, e: ReplayedEvent, rules: ProblemRules, cal: WorkCalendar) -> None:
    """Deadlines moved when a year's holiday table was confirmed: data["changes"] = {field: [old, new]}."""
    for name, (_old, new) in (e.data.get("changes") or {}).items():
        if name in _DEADLINES:
            setattr(s, name, _date(new))
    # Warning dates as crm.services.problems.recalc sets them: the checkpoints' from the dispatch under
    # the round's version, the final limit's from its window's start under the version it was set by.
    if s.dispatched_on is not None and s.round_rules is not None:
        set_warn_dates(s, s.dispatched_on, s.round_rules, cal)
        set_warn_dates(s, s.due_start or s.dispatched_on, rules, cal, only_due=True)


def _reopen(s: ProblemState, e: ReplayedEvent, rules: ProblemRules, cal: WorkCalendar) -> None:
    """撤单质检 不属实: the withdrawal is undone and the problem waits at the park office (待交办) to be
    dispatched again, with no department, round or deadlines (属实 changes nothing)."""
    if e.data.get("verdict") == "false":
        s.closed_on = s.resolved_on = None
        _return(s, e, rules, cal)


# The effects the workflow's declaration names (Replay.effect); the simple date stamps need none.
EFFECTS: dict[str, Effect] = {
    "dispatch": _dispatch,
    "return": _return,
    "extend": _extend,
    "on_spot": _on_spot,
    "evaluate": _evaluate,
    "escalate": _escalate,
    "recalc": _recalc,
    "reopen": _reopen,
}
_DECLARED_EFFECTS = {change.effect for change in REPLAY_OF_EVENT.values() if change.effect}
if _DECLARED_EFFECTS != set(EFFECTS):  # a declared step whose events the replay would silently skip
    raise RuntimeError(f"replay effects and the declared workflow differ: {_DECLARED_EFFECTS ^ set(EFFECTS)}")


def _event_rules(
    s: ProblemState, action: str, to_status: Optional[str], data: dict[str, Any], book: RuleBook
) -> ProblemRules:
    """The rules the event's step used: a (re)dispatch's or 重办's own version, else the problem's."""
    if action in ("dispatch", "redispatch") or EVENT_KEY in data:
        return book.for_event(data)
    if action == "evaluate" and to_status == "in_progress" and data.get("due_on"):  # 重办 before versions
        return book.for_event(data)
    return s.rules or book.current


def replay(state: ProblemState, events: list[tuple], book: RuleBook, cal: WorkCalendar) -> None:
    """Rebuild status, department, dates, deadlines, level and evaluation from the events (in order).

    events: (action, to_status, department_id, data, happened_on) of the problem, dated <= period end.
    Each event is replayed as its step or system event declares (crm.models.problem_workflow: Replay),
    mirroring what the step's function in crm.services.problems.steps did (or the recomputation of
    deadlines, crm.services.problems.recalc), with the rules version that step used (_event_rules).
    """
    s = state
    s.status, s.department_id, s.level, s.evaluation, s.on_spot = "new", None, 1, None, False
    s.rules = s.round_rules = s.due_start = None
    for name in ("dispatched_on", "evaluated_on", "closed_on", *_RESET_ON_DISPATCH, *_DEADLINES, *_WARNINGS):
        setattr(s, name, None)
    for action, to_status, department_id, data, day in events:
        change = REPLAY_OF_EVENT.get(action)  # None: an event that changes no field (raising the problem)
        if change is not None:
            for name in change.stamp:
                setattr(s, name, day)
            for name in change.fill:
                setattr(s, name, getattr(s, name) or day)
            if change.effect:
                event = ReplayedEvent(action, to_status, department_id, data or {}, day)
                rules = _event_rules(s, action, to_status, event.data, book)
                EFFECTS[change.effect](s, event, rules, cal)
        s.status = to_status or s.status


def problem_states(
    scope: ReportScope, period: Period, book: RuleBook, cal: WorkCalendar
) -> list[ProblemState]:
    """Every problem in scope open at some point in the period, as it stood at the period's end.

    book: every rules version (RuleBook.load()); a replayed dispatch uses the version it was made under.
    """
    where = (scope.firm_clause(), in_period_clause(period))
    columns = [getattr(Problem, name) for name in STATE_FIELDS]
    stmt = (
        select(*columns, Enterprise.name, Enterprise.park_id, Enterprise.chain_id)
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(*where)
        .order_by(Problem.raised_on, Problem.id)
    )
    # tuple(row): past ten columns a Row is typed as a variadic tuple, which mypy cannot spread into fields.
    states = [ProblemState(*tuple(row)) for row in db.session.execute(stmt)]
    after = aliased(ProblemEvent)
    later = (
        select(after.problem_id)
        .join(Problem, Problem.id == after.problem_id)
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(*where, after.happened_on > period.end)
    )
    events: dict[int, list[tuple]] = {}
    rows = db.session.execute(
        select(
            ProblemEvent.problem_id,
            ProblemEvent.action,
            ProblemEvent.to_status,
            ProblemEvent.department_id,
            ProblemEvent.data,
            ProblemEvent.happened_on,
        )
        .where(ProblemEvent.problem_id.in_(later), ProblemEvent.happened_on <= period.end)
        .order_by(ProblemEvent.problem_id, ProblemEvent.at, ProblemEvent.id)
    )
    for problem_id, *event in rows:
        events.setdefault(problem_id, []).append(tuple(event))
    for state in states:
        if state.id in events:
            replay(state, events[state.id], book, cal)
        state.colour = problem_colour(state, period.end)
        state.workdays = workdays_used(state, period.end, cal)
    return states
