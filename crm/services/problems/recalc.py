"""Stored deadlines recomputed when an admin confirms a year's holiday table (调休 entered).

Until then a year the package does not know is provisional: its deadlines were counted on the statutory
rule and Monday–Friday. Confirming the year recomputes the deadlines of the problems a department is
working on whose deadlines reach into that year, as the workflow computes them: the 137 checkpoints and
the final limit from the dispatch date (checkpoints_for), each granted extension added again in working
days, a 重办's limit counted again from its day; each with the rules version that step used (recorded in
its event), never the rules of today. Each problem that moves gets one "recalc_deadlines" event
(期限由 X 调整为 Y) and its handler is told.

The confirmation lives in crm.services.workdays.admin, below this package: confirm_year_and_recalc()
orchestrates both for the admin's page.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import CalendarYear, Problem, ProblemEvent, User
from crm.models.problem import CLOCK_STATUSES
from crm.models.problem_workflow import RECALC_EVENT
from crm.services.common.audit import record_audit
from crm.services.problems.deadlines import CHECKPOINT_LABELS, checkpoints_for, set_warn_dates
from crm.services.problems.notices import notify_problem_event
from crm.services.problems.rules import ProblemRules, RuleBook
from crm.services.workdays.admin import confirm_year
from crm.services.workdays.calendar import WorkCalendar, load_calendar
from crm.timeutil import utcnow

# deadline field -> its checkpoint (CHECKPOINT_LABELS), in the order the note lists them.
FIELDS = {
    "sign_due_on": "sign",
    "feedback_due_on": "feedback",
    "progress_due_on": "progress",
    "due_on": "due",
}
# The events that set or move a deadline in a round of work.
_DEADLINE_EVENTS = ("dispatch", "redispatch", "approve_extension", "evaluate")


def _round_events(rows: list[tuple]) -> list[tuple]:
    """The events of the current round: from the latest (re)dispatch on."""
    starts = [i for i, row in enumerate(rows) if row[0] in ("dispatch", "redispatch")]
    return rows[starts[-1] + 1 :] if starts else []


@dataclass(frozen=True)
class Recomputed:
    """A problem's deadlines as the workflow computes them, and what their warning dates need."""

    deadlines: dict[str, date]  # field -> deadline
    round_rules: ProblemRules  # the (re)dispatch's version: the checkpoints and their warnings
    due_rules: ProblemRules  # the final limit's version: the dispatch's, or the latest 重办's
    due_start: date  # the start of the final limit's window: the dispatch, or the latest 重办


def computed_deadlines(p: Problem, rows: list[tuple], book: RuleBook, cal: WorkCalendar) -> Recomputed:
    """The deadlines of the problem's current round, each step computed with its own rules version.

    rows: (action, to_status, data, happened_on) of the problem's deadline events, in order.
    """
    assert p.dispatched_on is not None, "only a dispatched problem has deadlines"
    starts = [row for row in rows if row[0] in ("dispatch", "redispatch")]
    # The round's version: its (re)dispatch's; a problem whose dispatch event is missing, its own.
    rules = book.for_event(starts[-1][2]) if starts else book.of(p)
    cp = checkpoints_for(p.dispatched_on, p.category, p.urgency, rules, cal)
    due, due_start, due_rules = cp.due, p.dispatched_on, rules
    for action, to_status, data, day in _round_events(rows):
        data = data or {}
        if action == "approve_extension" and data.get("days"):
            due = cal.add_workdays(due, int(data["days"]))
        elif action == "evaluate" and to_status == "in_progress" and data.get("due_on"):  # 重办
            due_rules = book.for_event(data)
            due = cal.add_workdays(day, due_rules.limit_for(p.category, p.urgency))
            due_start = day
    deadlines = {
        "sign_due_on": cp.sign,
        "feedback_due_on": cp.feedback,
        "progress_due_on": cp.progress,
        "due_on": due,
    }
    return Recomputed(deadlines, rules, due_rules, due_start)


def recalc_deadlines(
    year: int,
    actor: Optional[User],
    today: date,
    now: Optional[datetime] = None,
    cal: Optional[WorkCalendar] = None,
) -> int:
    """Recompute the stored deadlines reaching into `year` of problems on the clock; how many moved.

    Closed, resolved, returned and new problems are left alone. Three queries (the rule versions, the
    problems, their events) plus one write per moved problem (its event, audit row and notifications).
    """
    cal = cal or load_calendar()
    now = now or utcnow()
    book = RuleBook.load(now)
    problems = list(
        db.session.scalars(
            select(Problem)
            .where(
                Problem.status.in_(CLOCK_STATUSES),
                Problem.dispatched_on.is_not(None),
                Problem.dispatched_on <= date(year, 12, 31),
                Problem.due_on >= date(year, 1, 1),
            )
            .order_by(Problem.id)
        )
    )
    if not problems:
        return 0
    events: dict[int, list[tuple]] = {p.id: [] for p in problems}
    for problem_id, *row in db.session.execute(
        select(
            ProblemEvent.problem_id,
            ProblemEvent.action,
            ProblemEvent.to_status,
            ProblemEvent.data,
            ProblemEvent.happened_on,
        )
        .where(ProblemEvent.problem_id.in_(events), ProblemEvent.action.in_(_DEADLINE_EVENTS))
        .order_by(ProblemEvent.problem_id, ProblemEvent.at, ProblemEvent.id)
    ):
        events[problem_id].append(tuple(row))
    moved = 0
    for p in problems:
        computed = computed_deadlines(p, events[p.id], book, cal)
        changes = {
            f: (getattr(p, f), d)
            for f, d in computed.deadlines.items()
            if getattr(p, f) is not None and getattr(p, f) != d
        }
        if changes:
            _move(p, changes, computed, year, actor, today, now, cal)
            moved += 1
    return moved


def _move(
    p: Problem,
    changes: dict[str, tuple[Any, date]],
    computed: Recomputed,
    year: int,
    actor: Optional[User],
    today: date,
    now: datetime,
    cal: WorkCalendar,
) -> None:
    for name, (_old, new) in changes.items():
        setattr(p, name, new)
    assert p.dispatched_on is not None
    set_warn_dates(p, p.dispatched_on, computed.round_rules, cal)
    set_warn_dates(p, computed.due_start, computed.due_rules, cal, only_due=True)
    p.updated_at = now
    parts = [f"{CHECKPOINT_LABELS[FIELDS[f]]}期限由 {old} 调整为 {new}" for f, (old, new) in changes.items()]
    note = f"{year}年节假日安排已确认，" + "；".join(parts)
    event = ProblemEvent(
        problem_id=p.id,
        actor_id=None,
        action=RECALC_EVENT,
        from_status=p.status,
        to_status=p.status,
        note=note,
        department_id=p.department_id,
        data={
            "year": year,
            "changes": {f: [old.isoformat(), new.isoformat()] for f, (old, new) in changes.items()},
        },
        happened_on=today,
        at=now,
    )
    db.session.add(event)
    db.session.flush()
    record_audit(
        actor,
        "problem",
        p.id,
        RECALC_EVENT,
        f"问题「{p.title}」{note}",
        {f: (old.isoformat(), new.isoformat()) for f, (old, new) in changes.items()},
        enterprise_id=p.enterprise_id,
    )
    notify_problem_event(event)


def confirm_year_and_recalc(
    actor: User, year: int, note: Optional[str], today: date, cal: Optional[WorkCalendar] = None
) -> tuple[CalendarYear, int]:
    """Confirm the year's holiday table, then recompute the deadlines it moves: (the row, problems moved)."""
    row = confirm_year(actor, year, note, cal=cal)
    return row, recalc_deadlines(year, actor, today, cal=load_calendar())
