"""What every step of the problem workflow shares: the context it is taken in, the outcome it returns
(crm.services.problems.steps, crm.services.problems.withdrawal_steps) and small field helpers."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NoReturn, Optional

from crm.models import Problem, User
from crm.services import ServiceError
from crm.services.problems.rules import ProblemRules
from crm.services.workdays.calendar import WorkCalendar


@dataclass
class Context:
    problem: Problem
    actor: Optional[User]
    data: dict[str, Any]
    today: date
    rules: ProblemRules  # the rules the problem's deadlines were computed under (rules_of)
    cal: WorkCalendar
    note: Optional[str] = None
    by_firm: bool = False  # taken by the firm itself on its service page (no account, no actor)
    now: Optional[datetime] = None  # when the step is taken (None: now); picks the rules a new round uses


@dataclass
class Outcome:
    to_state: str
    event_action: str
    department_id: Optional[int] = None
    data: Optional[dict[str, Any]] = None


def fail(message: str) -> NoReturn:
    raise ServiceError(message)


def clear_extension(p: Problem) -> None:
    p.extension_days = p.extension_reason = p.extension_requested_on = None


def clear_withdrawal(p: Problem) -> None:
    p.withdrawal_reason = p.withdrawal_requested_on = p.withdrawal_requested_by_id = None


def as_int(value: Any) -> Optional[int]:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
