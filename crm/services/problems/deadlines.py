"""Deadlines and 三色预警 of problems, computed (never stored by hand).

A problem a department is working on (已交办 / 办理中) has up to four deadlines: the 137 checkpoints
(sign, first feedback, staged progress) until each is met, and the final limit. Then:
  red    = a deadline that is not met has passed (deadline < today);
  yellow = the nearest unmet deadline is within `warn_days` working days (deadline <= soon_limit);
  green  = on track; grey = closed. Problems not in a department's hands are green (or grey).
The same definition exists in Python (for pages) and as SQL (for filters and counts); a test
checks they agree.
"""

from dataclasses import dataclass
from datetime import date
from typing import Optional, Protocol

from sqlalchemy import and_, case, literal

from crm.models import Problem
from crm.models.problem import CLOCK_STATUSES, next_deadline
from crm.services.problems.rules import ProblemRules
from crm.services.workdays.calendar import WorkCalendar

COLOUR_CSS = {"red": "danger", "yellow": "warning", "green": "success", "grey": "secondary"}
COLOUR_LABELS = {"red": "红色预警", "yellow": "黄色预警", "green": "正常", "grey": "已销号"}
CHECKPOINT_LABELS = {"sign": "签收", "feedback": "首次反馈", "progress": "阶段进展", "due": "办结"}


class ProblemDates(Protocol):
    """What problem_colour() and workdays_used() read: a Problem, or a report's month-end ProblemState.

    (next_deadline() reads the checkpoint fields of either as well.)
    """

    @property
    def status(self) -> str: ...
    @property
    def dispatched_on(self) -> Optional[date]: ...
    @property
    def resolved_on(self) -> Optional[date]: ...


@dataclass(frozen=True)
class Checkpoints:
    sign: date
    feedback: date
    progress: date
    due: date


def checkpoints_for(
    dispatched_on: date, category: str, urgency: str, rules: ProblemRules, cal: WorkCalendar
) -> Checkpoints:
    """The 137 checkpoints and the final limit counted in working days from the dispatch date.

    A checkpoint never falls after the final limit (an urgent 3-day problem has no 7-day checkpoint).
    """
    due = cal.add_workdays(dispatched_on, rules.limit_for(category, urgency))
    return Checkpoints(
        sign=min(cal.add_workdays(dispatched_on, rules.sign_days), due),
        feedback=min(cal.add_workdays(dispatched_on, rules.feedback_days), due),
        progress=min(cal.add_workdays(dispatched_on, rules.progress_days), due),
        due=due,
    )


def soon_limit(today: date, rules: ProblemRules, cal: WorkCalendar) -> date:
    """The last date that still counts as "due within warn_days working days" (yellow)."""
    return cal.add_workdays(today, rules.warn_days)


def problem_colour(p: ProblemDates, today: date, soon: date) -> str:
    """red / yellow / green / grey for one problem; soon = soon_limit(today, …)."""
    if p.status == "closed":
        return "grey"
    nearest = next_deadline(p)
    if nearest is None:
        return "green"
    if nearest[1] < today:
        return "red"
    return "yellow" if nearest[1] <= soon else "green"


def overdue_workdays(p: Problem, today: date, cal: WorkCalendar) -> int:
    """Working days since the earliest missed deadline (0 when nothing is overdue)."""
    nearest = next_deadline(p)
    if nearest is None or nearest[1] >= today:
        return 0
    return max(cal.workdays_between(nearest[1], today), 0)


def workdays_used(p: ProblemDates, today: date, cal: WorkCalendar) -> Optional[int]:
    """Working days from dispatch to resolution (or to today while open); None if never dispatched."""
    if p.dispatched_on is None:
        return None
    end = p.resolved_on if p.status in ("resolved", "closed") and p.resolved_on else today
    return max(cal.workdays_between(p.dispatched_on, end), 0)


def _missed(bound: date, inclusive: bool):
    """SQL: the problem is on the clock and its nearest unmet deadline is < bound (<= if inclusive).

    next_due_on is the nearest unmet deadline (kept on every write), so this is an index range scan
    on (status, next_due_on); every comparison is guarded so the clause is never SQL NULL.
    """
    reached = Problem.next_due_on <= bound if inclusive else Problem.next_due_on < bound
    return and_(Problem.status.in_(CLOCK_STATUSES), Problem.next_due_on.is_not(None), reached)


def colour_clause(colour: str, today: date, soon: date):
    """SQL WHERE clause selecting problems of one colour (same rules as problem_colour)."""
    red = _missed(today, inclusive=False)
    near = _missed(soon, inclusive=True)
    if colour == "grey":
        return Problem.status == "closed"
    if colour == "red":
        return red
    if colour == "yellow":
        return and_(near, ~red)
    if colour == "green":
        return and_(Problem.status != "closed", ~near)
    raise ValueError(colour)


def colour_expression(today: date, soon: date):
    """SQL CASE giving each problem's colour (for GROUP BY counts)."""
    return case(
        (Problem.status == "closed", literal("grey")),
        (_missed(today, inclusive=False), literal("red")),
        (_missed(soon, inclusive=True), literal("yellow")),
        else_=literal("green"),
    )
