"""四级协调: the automatic escalation the scheduler runs (who answers at each level: notices.level_people).

Level 1 助企员 is the firm's cadre; 2 平台部门 the heads of the problem's department; 3 区分管领导 and
4 区主要领导 the leaders whose scope holds the firm. Automatic escalation is idempotent: a problem's
level only rises to the level its overdue working days call for, so running it twice changes nothing,
and the optimistic lock on problems stops two concurrent runs from both writing. Each problem climbs by
the thresholds of the rules it was dispatched under (its version, read from one RuleBook per run).
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Enterprise, Problem
from crm.models.problem import CLOCK_STATUSES, LEVELS
from crm.services.problems.deadlines import colour_clause, overdue_workdays
from crm.services.problems.flow import apply_action
from crm.services.problems.rules import RuleBook
from crm.services.workdays.calendar import WorkCalendar, get_calendar


@dataclass
class Escalated:
    problem: Problem
    from_level: int
    to_level: int
    overdue_days: int


def escalate_overdue(
    today: date,
    now: Optional[datetime] = None,
    book: Optional[RuleBook] = None,
    cal: Optional[WorkCalendar] = None,
) -> list[Escalated]:
    """Raise every overdue problem to the level its overdue working days call for (one event each),
    by its own version's thresholds. Queries: the rule versions, the candidates, then the writes."""
    book = book or RuleBook.load(now)
    cal = cal or get_calendar()
    red = colour_clause("red", today)
    candidates = db.session.scalars(
        select(Problem)
        .where(Problem.status.in_(CLOCK_STATUSES), Problem.level < max(LEVELS), red)
        .options(joinedload(Problem.enterprise).joinedload(Enterprise.park))
        .order_by(Problem.id)
    ).all()
    done = []
    for problem in candidates:
        rules = book.of(problem)
        days = overdue_workdays(problem, today, cal)
        target = rules.level_for_overdue(days)
        if target <= problem.level:
            continue
        from_level = problem.level
        note = f"逾期{days}个工作日，按规则自动升级至第{target}级（{LEVELS[target]}）协调"
        apply_action(
            problem,
            "escalate",
            None,
            {"level": target, "note": note},
            today=today,
            now=now,
            rules=rules,
            cal=cal,
        )
        done.append(Escalated(problem, from_level, target, days))
    return done
