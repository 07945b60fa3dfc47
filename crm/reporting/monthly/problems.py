"""Problem figures of a monthly report: the 汇总 counts and 部门办理, from the month's facts.

Definitions: crm.reporting.monthly.build. Everything is computed from the period's ProblemStates (status as of
month end), its counted events and its dispatches (crm.reporting.monthly.facts) — no query here: the facts
come live or from the month close's snapshot (crm.reporting.monthly.snapshot).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Optional, TypeGuard

from crm.models.problem import CLOCK_STATUSES, PROBLEM_STATUSES
from crm.reporting.monthly.facts import DispatchFact, EventFact, SupervisionRow
from crm.reporting.monthly.period import Period
from crm.reporting.monthly.state import ProblemState
from crm.services.kpi import KPIS

__all__ = ["DeptRow", "ProblemFigures", "SupervisionRow", "department_rows", "problem_figures", "rate"]

SATISFIED = ("satisfied", "basic")
NO_DEPARTMENT = "未交办（无承办部门）"  # 部门办理's row of the problems in no department's hands


def rate(key: str, part: int, whole: int) -> Optional[float]:
    """The KPI `key` (crm.services.kpi) of part / whole as the fraction Excel formats as %, None when
    there is nothing to divide."""
    return KPIS[key].fraction(part, whole)


@dataclass
class ProblemFigures:
    carried: int = 0
    new: int = 0
    closed: int = 0
    open_end: int = 0
    overdue: int = 0
    resolved: int = 0  # resolved in the period with a final limit (the on-time denominator)
    on_time: int = 0
    resolved_workdays: int = 0  # working days from dispatch to resolution of those resolved
    due_unresolved: int = 0  # on the clock at period end, unresolved, final limit before period end
    closed_solved: int = 0  # closed in the period after a 满意/基本满意 evaluation
    evaluations: int = 0
    satisfied: int = 0
    escalations: int = 0
    supervisions: int = 0
    by_status: dict[str, int] = field(default_factory=dict)  # status at period end, every listed problem
    by_colour: dict[str, int] = field(default_factory=dict)  # colour at period end, open problems

    @property
    def on_time_rate(self) -> Optional[float]:
        return rate("on_time_rate", self.on_time, self.resolved)

    @property
    def satisfaction_rate(self) -> Optional[float]:
        return rate("satisfaction_rate", self.satisfied, self.evaluations)

    @property
    def resolution_rate(self) -> Optional[float]:
        return rate("resolution_rate", self.resolved, self.resolved + self.due_unresolved)

    @property
    def solved_rate(self) -> Optional[float]:
        return rate("solved_rate", self.closed_solved, self.closed)

    @property
    def overdue_rate(self) -> Optional[float]:
        return rate("overdue_rate", self.overdue, self.open_end)

    @property
    def avg_resolution_workdays(self) -> Optional[float]:
        return KPIS["avg_resolution_workdays"].value(self.resolved_workdays, self.resolved)


@dataclass
class DeptRow:
    department_id: Optional[int]  # None: the problems in no department's hands (未交办, 现场解决, 退回)
    name: str = ""
    received: int = 0  # distinct problems dispatched (交办/改派) to it in the period
    sign_due: int = 0  # signatures due in the period (dispatches whose 签收 deadline falls in it)
    signed: int = 0  # … of those, signed by the deadline
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
        return rate("signed_on_time_rate", self.signed, self.sign_due)

    @property
    def on_time_rate(self) -> Optional[float]:
        return rate("on_time_rate", self.on_time, self.resolved)

    @property
    def satisfaction_rate(self) -> Optional[float]:
        return rate("satisfaction_rate", self.satisfied, self.evaluations)


def _in(day: Optional[date], period: Period) -> TypeGuard[date]:
    return day is not None and period.start <= day <= period.end


def _is_satisfied(verdict: Optional[str]) -> Optional[bool]:
    """True/False for an evaluation's verdict, None if the event carries none."""
    return None if verdict is None else verdict in SATISFIED


def problem_figures(period: Period, states: list[ProblemState], events: list[EventFact]) -> ProblemFigures:
    """The 汇总 problem counts of the period from its states and counted events."""
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
            f.closed_solved += s.evaluation in SATISFIED
        if s.open_on(period.end):
            f.open_end += 1
            colour_counts[s.colour] += 1
            f.overdue += s.colour == "red"
            f.due_unresolved += s.status in CLOCK_STATUSES and s.due_on is not None and s.due_on < period.end
        if _in(s.resolved_on, period) and s.due_on is not None:
            f.resolved += 1
            f.on_time += s.resolved_on <= s.due_on
            f.resolved_workdays += s.workdays or 0
    f.by_status = {key: status_counts.get(key, 0) for key in PROBLEM_STATUSES}
    f.by_colour = {key: colour_counts.get(key, 0) for key in ("red", "yellow", "green")}
    for e in events:
        if e.action == "escalate":
            f.escalations += 1
        elif e.action == "supervise":
            f.supervisions += 1
        elif e.action == "evaluate" and (verdict := _is_satisfied(e.verdict)) is not None:
            f.evaluations += 1
            f.satisfied += verdict
    return f


def department_rows(
    period: Period,
    states: list[ProblemState],
    events: list[EventFact],
    dispatches: list[DispatchFact],
    names: dict[int, str],
) -> tuple[list[DeptRow], DeptRow]:
    """部门办理: one row per department with any figure in the period, busiest first, then the problems in
    no department's hands (未交办) as a row of their own; and the 合计 row, whose figures equal 汇总's.

    收到 counts distinct problems: a problem re-assigned within the period once per department it went
    to, and once in the 合计. 按时签收 counts the signatures due in the period (deadline on or before its
    end; not yet due ones wait for their month) signed by the deadline; each dispatch is one department's,
    so the rows add up to the 合计. Every other figure belongs to one row (the department holding the
    problem at month end, or the event's department), so the rows add up too.
    """
    rows: dict[Optional[int], DeptRow] = {}

    def row(dept_id: Optional[int]) -> DeptRow:
        found = rows.get(dept_id)  # not setdefault: that would build a row on every call
        if found is None:
            found = rows[dept_id] = DeptRow(dept_id)
        return found

    received: dict[int, set[int]] = defaultdict(set)
    for d in dispatches:
        if _in(d.dispatched_on, period):
            received[d.department_id].add(d.problem_id)
        if _in(d.sign_due_on, period):
            r = row(d.department_id)
            r.sign_due += 1
            r.signed += d.signed_on is not None and d.signed_on <= d.sign_due_on
    for dept_id, ids in received.items():
        row(dept_id).received = len(ids)
    for s in states:
        if _in(s.closed_on, period):
            row(s.department_id).closed += 1
        if _in(s.resolved_on, period) and s.due_on is not None:
            row(s.department_id).resolved += 1
            row(s.department_id).on_time += s.resolved_on <= s.due_on
        if s.open_on(period.end):
            row(s.department_id).open_end += 1
            row(s.department_id).overdue += s.colour == "red"
    for e in events:
        if e.action == "approve_extension" and e.department_id is not None:
            row(e.department_id).extensions += 1
        elif e.action == "return" and e.department_id is not None:
            row(e.department_id).returns += 1
        elif e.action == "evaluate" and (verdict := _is_satisfied(e.verdict)) is not None:
            row(e.department_id).evaluations += 1
            row(e.department_id).satisfied += verdict
    for key, r in rows.items():
        r.name = NO_DEPARTMENT if key is None else names.get(key, "")
    departments = sorted(
        (r for dept_id, r in rows.items() if dept_id is not None),
        key=lambda r: (-r.received, -r.open_end, r.name),
    )
    if None in rows:
        departments.append(rows[None])
    total = DeptRow(None, "合计", received=len({pid for ids in received.values() for pid in ids}))
    for r in departments:
        for name in ("sign_due", "signed", "closed", "resolved", "on_time", "open_end", "overdue"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
        for name in ("extensions", "returns", "evaluations", "satisfied"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return departments, total
