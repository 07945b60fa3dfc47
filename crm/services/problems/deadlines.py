"""Deadlines and 三色预警 of problems, computed (never stored by hand).

A problem a department is working on (已交办 / 办理中) has up to four deadlines: the 137 checkpoints
(sign, first feedback, staged progress) until each is met, and the final limit. Then:
  red    = a deadline that is not met has passed (deadline < today);
  yellow = the nearest unmet deadline is near relative to its own window: today is on or after
           that checkpoint's warning date (see `warn_on`), stored next to the deadline when it is
           set (`sign_warn_on` … `due_warn_on`; the model keeps `next_warn_on` for the nearest one),
           from the warning share of the rules the problem was dispatched under;
  green  = on track; grey = closed. Problems not in a department's hands are green (or grey).
A deadline without a stored warning date (set before warning dates existed) is yellow on its own
day only, the least any window warns. Colours need no rules at the time they are read, so a later
change of the rules never recolours a problem.
The same definition exists in Python (for pages) and as SQL (for filters and counts); a test
checks they agree.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Optional, Protocol

from sqlalchemy import and_, case, literal, or_

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
    @property
    def closed_on(self) -> Optional[date]: ...


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


def warn_reserve(window: int, share_percent: int) -> int:
    """How many working days before a deadline its checkpoint turns yellow.

    window = working days from the window's start (the dispatch, or the 重办 day for a new final
    limit) to the deadline. Yellow while fewer than share × window working days are left, and always
    on the deadline day itself: reserve = max(ceil(share × window) − 1, 0). So a 1-day 签收 window
    is yellow on its deadline day only (a fresh dispatch is green), a 3-day window likewise, and a
    10-day limit at 30 % warns two working days ahead (3 would no longer be fewer than 3).
    """
    if window <= 0:
        return 0
    return max(-(-share_percent * window // 100) - 1, 0)


def warn_on(start: date, deadline: date, rules: ProblemRules, cal: WorkCalendar) -> date:
    """The first day the checkpoint due on `deadline` (window from `start`) counts as yellow.

    That is the warn_reserve()-th working day before the deadline (the deadline itself for 0); from
    that day until the deadline at most `reserve` working days are left.
    """
    left = warn_reserve(cal.workdays_between(start, deadline), rules.warn_share)
    day = deadline
    while left > 0:
        day -= timedelta(days=1)
        left -= cal.is_workday(day)
    return day


def set_warn_dates(
    p: Any, start: date, rules: ProblemRules, cal: WorkCalendar, only_due: bool = False
) -> None:
    """Store the warning dates of a problem's deadlines, their windows running from `start`.

    Call whenever a deadline is set or moved (dispatch, extension, 重办); None where there is no deadline.
    p: a Problem, or a report's month-end state (the same deadline and warning fields).
    """
    fields: list[tuple[str, str]] = [("due_on", "due_warn_on")]
    if not only_due:
        fields += [
            ("sign_due_on", "sign_warn_on"),
            ("feedback_due_on", "feedback_warn_on"),
            ("progress_due_on", "progress_warn_on"),
        ]
    for due_field, warn_field in fields:
        deadline = getattr(p, due_field)
        setattr(p, warn_field, warn_on(start, deadline, rules, cal) if deadline else None)


def problem_colour(p: ProblemDates, today: date) -> str:
    """red / yellow / green / grey for one problem on `today`."""
    if p.status == "closed":
        return "grey"
    nearest = next_deadline(p)
    if nearest is None:
        return "green"
    if nearest[1] < today:
        return "red"
    return "yellow" if checkpoint_near(p, nearest[0], nearest[1], today) else "green"


def checkpoint_near(p: object, checkpoint: str, due: date, today: date) -> bool:
    """An unmet checkpoint that has not passed is near (yellow) from its warning date on; without
    one (a deadline set before warning dates existed), on its own day."""
    warn = getattr(p, f"{checkpoint}_warn_on", None)
    return (warn if warn is not None else due) <= today


def overdue_workdays(p: Problem, today: date, cal: WorkCalendar) -> int:
    """Working days since the earliest missed deadline (0 when nothing is overdue)."""
    nearest = next_deadline(p)
    if nearest is None or nearest[1] >= today:
        return 0
    return max(cal.workdays_between(nearest[1], today), 0)


def clock_end(p: ProblemDates, today: date) -> date:
    """The day the working-day clock stopped, or today (a report: its period end) while it runs.

    It stops at the resolution (办结, 现场解决), or at the close (销号, 强制销号) of a problem closed
    without one. A 重办 (unsatisfied evaluation) clears the resolution, so the clock runs again and
    then stops at the latest resolution; a 改派 restarts it at the new dispatch.
    """
    if p.status in ("resolved", "closed") and p.resolved_on is not None:
        return min(p.resolved_on, today)
    if p.status == "closed" and p.closed_on is not None:
        return min(p.closed_on, today)
    return today


def workdays_used(p: ProblemDates, today: date, cal: WorkCalendar) -> Optional[int]:
    """Working days from the (latest) dispatch to clock_end(); None if never dispatched."""
    if p.dispatched_on is None:
        return None
    return max(cal.workdays_between(p.dispatched_on, clock_end(p, today)), 0)


def _missed(bound: date, inclusive: bool):
    """SQL: the problem is on the clock and its nearest unmet deadline is < bound (<= if inclusive).

    next_due_on is the nearest unmet deadline (kept on every write), so this is an index range scan
    on (status, next_due_on); every comparison is guarded so the clause is never SQL NULL.
    """
    reached = Problem.next_due_on <= bound if inclusive else Problem.next_due_on < bound
    return and_(Problem.status.in_(CLOCK_STATUSES), Problem.next_due_on.is_not(None), reached)


def _near(today: date):
    """SQL: on the clock and the nearest unmet deadline is near (or passed): its warning date has
    come, or it has none and the deadline itself has (never SQL NULL)."""
    reached = or_(
        and_(Problem.next_warn_on.is_not(None), Problem.next_warn_on <= today),
        and_(Problem.next_warn_on.is_(None), Problem.next_due_on <= today),
    )
    return and_(Problem.status.in_(CLOCK_STATUSES), Problem.next_due_on.is_not(None), reached)


def colour_clause(colour: str, today: date):
    """SQL WHERE clause selecting problems of one colour (same rules as problem_colour)."""
    red = _missed(today, inclusive=False)
    near = _near(today)
    if colour == "grey":
        return Problem.status == "closed"
    if colour == "red":
        return red
    if colour == "yellow":
        return and_(near, ~red)
    if colour == "green":
        return and_(Problem.status != "closed", ~near)
    raise ValueError(colour)


def colour_expression(today: date):
    """SQL CASE giving each problem's colour (for GROUP BY counts)."""
    return case(
        (Problem.status == "closed", literal("grey")),
        (_missed(today, inclusive=False), literal("red")),
        (_near(today), literal("yellow")),
        else_=literal("green"),
    )
