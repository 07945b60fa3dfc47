"""The facts a month's figures are computed from, as they stood at the month's end.

Each is a dataclass of plain values (int, str, bool, None, date, Decimal), so a month close keeps them
as they are (crm.reporting.monthly.snapshot) and a closed month is rebuilt from them byte for byte.
A fact that belongs to a park carries park_id: the firm's park at month end, which is what scopes it.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Optional


@dataclass(slots=True)
class FirmFact:
    """A firm on file at month end (any status): park, chain, status, scale, key flag and liaison as they
    were then, and its visits up to then. Served (联系企业) = 在营 with a liaison."""

    firm_id: int
    name: str
    sort_key: str  # pinyin initials of the name: the workbook lists firms by it
    park_id: int
    chain_id: Optional[int]
    status: str
    scale_type: Optional[str]
    is_key: bool
    cadre_id: Optional[int]  # the liaison at month end
    start_on: Optional[date]  # … since: a firm never visited is due counted from it
    last_contact: Optional[date]  # the latest visit of any kind up to month end
    last_onsite: Optional[date]
    contacted: bool = False  # a contact of any kind in the month
    visited: bool = False  # an on-site visit in the month
    overdue: bool = False  # contact or on-site cadence overdue when the month closes (served firms)

    @property
    def served(self) -> bool:
        return self.status == "active" and self.cadre_id is not None


@dataclass(slots=True)
class VisitFact:
    """Visits of one kind one person logged to one firm in the month."""

    park_id: int
    firm_id: int
    cadre_id: int
    kind: str
    visits: int


@dataclass(slots=True)
class DispatchFact:
    """A 交办 or 改派 to a department: in the month, or with its signature due in the month.

    sign_due_on: the 137 signature deadline under the rules of that dispatch; signed_on: the department's
    first signature after it, if made by month end (a later one is late whatever it is)."""

    park_id: int
    problem_id: int
    department_id: int
    dispatched_on: date
    sign_due_on: date
    signed_on: Optional[date]


@dataclass(slots=True)
class EventFact:
    """A counted problem event of the month: 退回, 延期 approved, 回访评价, 提级协调, 督办."""

    park_id: int
    problem_id: int
    action: str
    department_id: Optional[int]
    verdict: Optional[str]  # the evaluation of an evaluate event (satisfied / basic / unsatisfied)


@dataclass(slots=True)
class SalesFact:
    """A firm's 销售清单 totals in 万元: the month's, and January to the month's."""

    park_id: int
    firm_id: int
    month_amount: Decimal
    year_amount: Decimal


@dataclass(slots=True)
class PersonFact:
    """A user as at month end's report: name, role, park and whether the account was active."""

    user_id: int
    name: str
    role: str
    park_id: Optional[int]
    active: bool


@dataclass(slots=True)
class NameFact:
    """A park, industry chain or department: its name (kinds keep their display order)."""

    id: int
    name: str


@dataclass(slots=True)
class CalendarFact:
    """A year whose 调休 was not entered yet (deadlines in it are provisional)."""

    year: int


@dataclass(frozen=True)
class SupervisionRow:
    """A 提级协调 or 督办 of the month, as the 督办与升级 sheet lists it."""

    park_id: int
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
