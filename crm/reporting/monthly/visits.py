"""Visit and coverage figures of a monthly report: 汇总 (走访), 干部走访, 未走访企业 and 产业链.

Definitions: crm.reporting.monthly.build. Each function is one or two SQL aggregates returning tuples (no ORM
objects), so a whole city's month costs the same handful of queries as one park's.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Optional

from sqlalchemy import and_, func, or_, select, true

from crm.extensions import db
from crm.models import Assignment, Enterprise, IndustryChain, Park, Problem, SalesItem, User, Visit
from crm.models.visit import VISIT_KINDS
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.problems import rate
from crm.reporting.monthly.state import ProblemState
from crm.services.visits.cadence import cadence_for_parks, contact_status, onsite_status


@dataclass(slots=True)
class ServedFirm:
    """A 在营 firm with a liaison at the period's end, and its visits up to then."""

    firm_id: int
    name: str
    park_id: int
    chain_id: Optional[int]
    is_key: bool
    cadre_id: int
    last_contact: Optional[date]
    last_onsite: Optional[date]
    start_on: date  # the liaison's start: a firm never visited is due counted from it
    contacted: bool = False  # a contact of any kind in the period
    visited: bool = False  # an on-site visit in the period
    overdue: bool = False  # contact or on-site cadence overdue when the month closes


def served_firms(scope: ReportScope, period: Period) -> list[ServedFirm]:
    """Firms served at the period's end with their cadre and last visits (2 queries)."""
    last_visits = select(
        Visit.enterprise_id.label("enterprise_id"),
        func.max(Visit.visited_on).label("last_contact"),
        func.max(Visit.visited_on).filter(Visit.kind == "onsite").label("last_onsite"),
    ).where(Visit.visited_on <= period.end)
    if scope.park is not None:  # the whole city needs no join: every visit counts
        last_visits = last_visits.join(Enterprise, Enterprise.id == Visit.enterprise_id).where(
            scope.firm_clause()
        )
    last = last_visits.group_by(Visit.enterprise_id).subquery()
    stmt = (
        select(
            Enterprise.id,
            Enterprise.name,
            Enterprise.park_id,
            Enterprise.chain_id,
            Enterprise.is_key,
            Assignment.cadre_id,
            last.c.last_contact,
            last.c.last_onsite,
            Assignment.start_on,
        )
        .join(Assignment, Assignment.enterprise_id == Enterprise.id)
        .outerjoin(last, last.c.enterprise_id == Enterprise.id)
        .where(
            scope.firm_clause(),
            Enterprise.status == "active",
            Assignment.start_on <= period.end,
            or_(Assignment.end_on.is_(None), Assignment.end_on > period.end),
        )
        .order_by(Enterprise.park_id, Enterprise.name_initials, Enterprise.id)
    )
    firms = [ServedFirm(*row) for row in db.session.execute(stmt)]
    rules = cadence_for_parks({f.park_id for f in firms})
    judged = period.judged_on
    for f in firms:
        f.contacted = f.last_contact is not None and f.last_contact >= period.start
        f.visited = f.last_onsite is not None and f.last_onsite >= period.start
        park_rules = rules[f.park_id]
        f.overdue = (
            contact_status(f.last_contact, judged, park_rules, f.is_key, f.start_on).status == "overdue"
            or onsite_status(f.last_onsite, judged, park_rules, f.is_key, f.start_on).status == "overdue"
        )
    return firms


def visit_counts(scope: ReportScope, period: Period) -> list[tuple]:
    """(visitor id, chain id, kind, visits) of the period's visits to firms in scope (one query)."""
    stmt = (
        select(Visit.cadre_id, Enterprise.chain_id, Visit.kind, func.count(Visit.id))
        .join(Enterprise, Enterprise.id == Visit.enterprise_id)
        .where(scope.firm_clause(), Visit.visited_on.between(period.start, period.end))
        .group_by(Visit.cadre_id, Enterprise.chain_id, Visit.kind)
    )
    return list(db.session.execute(stmt))


@dataclass
class VisitFigures:
    firms_served: int = 0
    cadres: int = 0
    contacted: int = 0
    visited: int = 0
    visits: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def unvisited(self) -> int:
        return self.firms_served - self.visited

    @property
    def contact_rate(self) -> Optional[float]:
        return rate(self.contacted, self.firms_served)

    @property
    def onsite_rate(self) -> Optional[float]:
        return rate(self.visited, self.firms_served)


def visit_figures(firms: list[ServedFirm], counts: list[tuple]) -> VisitFigures:
    """The 汇总 visit figures from served_firms() and visit_counts()."""
    by_kind: Counter = Counter()
    for _cadre, _chain, kind, n in counts:
        by_kind[kind] += n
    return VisitFigures(
        firms_served=len(firms),
        cadres=len({f.cadre_id for f in firms}),
        contacted=sum(f.contacted for f in firms),
        visited=sum(f.visited for f in firms),
        visits=sum(by_kind.values()),
        by_kind={kind: by_kind.get(kind, 0) for kind in VISIT_KINDS},
    )


@dataclass
class CadreRow:
    user_id: int
    name: str = ""
    park: str = ""
    firms: int = 0
    contacts: int = 0  # visits of any kind the person logged in the period
    onsite_visits: int = 0
    contacted: int = 0  # of their firms, contacted in the period
    visited: int = 0  # of their firms, visited on site in the period
    overdue: int = 0
    raised: int = 0
    closed: int = 0

    @property
    def contact_rate(self) -> Optional[float]:
        return rate(self.contacted, self.firms)

    @property
    def onsite_rate(self) -> Optional[float]:
        return rate(self.visited, self.firms)


def _problem_counts_by_raiser(scope: ReportScope, period: Period):
    in_period = Problem.raised_on.between(period.start, period.end)
    closed = Problem.closed_on.between(period.start, period.end)
    stmt = (
        select(
            Problem.raised_by_id,
            func.count(Problem.id).filter(in_period),
            func.count(Problem.id).filter(closed),
        )
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(scope.firm_clause(), Problem.raised_by_id.is_not(None), or_(in_period, closed))
        .group_by(Problem.raised_by_id)
    )
    return db.session.execute(stmt)


def cadre_rows(
    scope: ReportScope, period: Period, firms: list[ServedFirm], counts: list[tuple]
) -> list[CadreRow]:
    """干部走访: every active cadre of the park(s) and anyone with firms, visits or problems in the
    period; lowest on-site coverage first (2 queries)."""
    rows: dict[int, CadreRow] = {}

    def row(user_id: int) -> CadreRow:
        return rows.setdefault(user_id, CadreRow(user_id))

    for f in firms:
        r = row(f.cadre_id)
        r.firms += 1
        r.contacted += f.contacted
        r.visited += f.visited
        r.overdue += f.overdue
    for cadre_id, _chain, kind, n in counts:
        row(cadre_id).contacts += n
        if kind == "onsite":
            row(cadre_id).onsite_visits += n
    for user_id, raised, closed in _problem_counts_by_raiser(scope, period):
        row(user_id).raised += raised
        row(user_id).closed += closed
    park_clause = User.park_id == scope.park_id if scope.park else true()
    people = db.session.execute(
        select(User.id, User.name, Park.name, User.role, User.is_active_user)
        .outerjoin(Park, Park.id == User.park_id)
        .where(or_(and_(User.role == "cadre", park_clause), User.id.in_(list(rows))))
    )
    for user_id, name, park, role, active in people:
        if user_id not in rows and not (role == "cadre" and active):
            continue
        r = row(user_id)
        r.name, r.park = name, park or ""
    return sorted(rows.values(), key=lambda r: (r.onsite_rate is None, r.onsite_rate or 0, r.park, r.name))


@dataclass
class ChainRow:
    chain_id: Optional[int]
    name: str
    firms: int = 0  # 在营 firms of the chain in scope (now)
    served: int = 0
    visited: int = 0
    visits: int = 0
    onsite_visits: int = 0
    new_problems: int = 0
    open_problems: int = 0
    overdue: int = 0
    sales_month: Decimal = Decimal(0)  # 万元, the 销售清单 of the month
    sales_year: Decimal = Decimal(0)  # 万元, January to the month

    @property
    def onsite_rate(self) -> Optional[float]:
        return rate(self.visited, self.served)


def chain_rows(
    scope: ReportScope,
    period: Period,
    firms: list[ServedFirm],
    counts: list[tuple],
    states: list[ProblemState],
) -> list[ChainRow]:
    """产业链: per industry chain (and 未分类) firms, coverage, visits, problems and sales (3 queries)."""
    chains = db.session.execute(
        select(IndustryChain.id, IndustryChain.name).order_by(IndustryChain.sort_order, IndustryChain.id)
    ).all()
    rows: dict[Optional[int], ChainRow] = {cid: ChainRow(cid, name) for cid, name in chains}

    def row(chain_id: Optional[int]) -> ChainRow:
        return rows.setdefault(chain_id, ChainRow(chain_id, "未分类"))

    active = db.session.execute(
        select(Enterprise.chain_id, func.count(Enterprise.id))
        .where(scope.firm_clause(), Enterprise.status == "active")
        .group_by(Enterprise.chain_id)
    )
    for chain_id, n in active:
        row(chain_id).firms = n
    for f in firms:
        row(f.chain_id).served += 1
        row(f.chain_id).visited += f.visited
    for _cadre, chain_id, kind, n in counts:
        row(chain_id).visits += n
        if kind == "onsite":
            row(chain_id).onsite_visits += n
    for s in states:
        r = row(s.chain_id)
        r.new_problems += s.raised_on >= period.start
        if s.open_on(period.end):
            r.open_problems += 1
            r.overdue += s.colour == "red"
    sales = db.session.execute(
        select(
            Enterprise.chain_id,
            func.sum(SalesItem.amount).filter(SalesItem.period == period.month),
            func.sum(SalesItem.amount),
        )
        .join(Enterprise, Enterprise.id == SalesItem.enterprise_id)
        .where(scope.firm_clause(), SalesItem.period.between(period.year_start_month, period.month))
        .group_by(Enterprise.chain_id)
    )
    for chain_id, month_total, year_total in sales:
        row(chain_id).sales_month = Decimal(month_total or 0)
        row(chain_id).sales_year = Decimal(year_total or 0)
    return list(rows.values())


def unvisited(firms: list[ServedFirm]) -> list[ServedFirm]:
    """未走访企业: firms served without an on-site visit in the period (key firms first)."""
    by_key = defaultdict(list)
    for f in firms:
        if not f.visited:
            by_key[not f.is_key].append(f)
    return by_key[False] + by_key[True]
