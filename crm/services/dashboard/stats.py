"""Live figures of the officer and leader home pages: coverage, problems by colour and status, the
department on-time ranking, the 12-month trend and the per-chain overview.

Every figure is one SQL aggregate in the user's scope (optionally one park), so the page costs the same
number of queries whatever the data. Colours use the same SQL as the problem list, so a number on the
dashboard is exactly the count its link shows.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Optional

from sqlalchemy import and_, exists, func, literal, or_, select

from crm.extensions import db
from crm.models import (
    Assignment,
    Department,
    Enterprise,
    FirmVisitSummary,
    IndustryChain,
    Problem,
    SalesItem,
)
from crm.models.problem import OPEN_STATUSES, PROBLEM_STATUSES
from crm.models.user import User
from crm.permissions import enterprise_scope_clause, is_city_wide, problem_scope_clause
from crm.services.closing.store import latest_closes, read_kind
from crm.services.kpi import KPIS
from crm.services.problems.deadlines import colour_expression
from crm.services.visits.cadence import month_end

TREND_MONTHS = 12


def _firm_scope(user: User, park_id: Optional[int]):
    clause = enterprise_scope_clause(user)
    return and_(clause, Enterprise.park_id == park_id) if park_id else clause


def _problem_scope(user: User, park_id: Optional[int]):
    clause = problem_scope_clause(user)
    return and_(clause, Enterprise.park_id == park_id) if park_id else clause


def _served():
    return exists().where(Assignment.enterprise_id == Enterprise.id, Assignment.end_on.is_(None))


@dataclass
class ProblemStats:
    by_status: dict[str, int]
    by_colour: dict[str, int]  # open problems: red / yellow / green
    new_month: int
    closed_month: int
    pending_extensions: int
    month_start: date
    month_end: date

    @property
    def open(self) -> int:
        return sum(v for k, v in self.by_status.items() if k in OPEN_STATUSES)


def problem_stats(user: User, today: date, park_id: Optional[int] = None) -> ProblemStats:
    """Problems in scope by status and (open ones) by colour, and this month's new and closed.

    Each figure reads only the rows it needs through an index (status, raised_on, closed_on): the
    closed problems, most of them in time, are counted but never coloured or scanned by date.
    """
    colour = colour_expression(today).label("colour")
    scope = _problem_scope(user, park_id)

    def scoped(*columns):
        return select(*columns).join(Enterprise, Enterprise.id == Problem.enterprise_id).where(scope)

    by_status = dict.fromkeys(PROBLEM_STATUSES, 0)
    for status, n in db.session.execute(
        scoped(Problem.status, func.count(Problem.id)).group_by(Problem.status)
    ):
        by_status[status] = by_status.get(status, 0) + n
    by_colour = {"red": 0, "yellow": 0, "green": 0}
    open_rows = (
        scoped(colour, func.count(Problem.id)).where(Problem.status.in_(OPEN_STATUSES)).group_by(colour)
    )
    for col, n in db.session.execute(open_rows):
        if col in by_colour:
            by_colour[col] += n
    start, end = today.replace(day=1), month_end(today)
    count = func.count(Problem.id)
    new = db.session.scalar(scoped(count).where(Problem.raised_on.between(start, end)))
    closed = db.session.scalar(scoped(count).where(Problem.closed_on.between(start, end)))
    extensions = db.session.scalar(
        scoped(count).where(Problem.status == "in_progress", Problem.extension_days.is_not(None))
    )
    return ProblemStats(by_status, by_colour, new, closed, extensions, start, end)


@dataclass
class DeptRank:
    department_id: int
    name: str
    resolved: int  # resolved this year with a final limit
    on_time: int
    open: int
    red: int

    @property
    def on_time_pct(self) -> Optional[float]:
        return KPIS["on_time_rate"].value(self.on_time, self.resolved)


def department_ranking(user: User, today: date, park_id: Optional[int] = None) -> list[DeptRank]:
    """Departments by on-time rate of this year's resolutions (then volume); open and red now (1 query)."""
    red = colour_expression(today) == "red"
    year_start = today.replace(month=1, day=1)
    resolved = and_(Problem.resolved_on >= year_start, Problem.due_on.is_not(None))
    rows = db.session.execute(
        select(
            Department.id,
            Department.name,
            func.count(Problem.id).filter(resolved),
            func.count(Problem.id).filter(resolved, Problem.resolved_on <= Problem.due_on),
            func.count(Problem.id).filter(Problem.status.in_(OPEN_STATUSES)),
            func.count(Problem.id).filter(Problem.status.in_(OPEN_STATUSES), red),
        )
        .join(Problem, Problem.department_id == Department.id)
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(_problem_scope(user, park_id), or_(resolved, Problem.status.in_(OPEN_STATUSES)))
        .group_by(Department.id, Department.name)
    ).all()
    ranks = [DeptRank(*row) for row in rows]
    return sorted(ranks, key=lambda r: (r.on_time_pct is None, -(r.on_time_pct or 0), -r.resolved, r.name))


@dataclass
class TrendMonth:
    start: date
    end: date
    new: int = 0
    closed: int = 0

    @property
    def label(self) -> str:
        return f"{self.start.month}月"


def _frozen_trend(user: User, months: list["TrendMonth"], park_id: Optional[int]) -> set[str]:
    """Fill the closed months' new and closed problems from their month close (one query each for the
    closes and their frozen 汇总 rows): a closed month's figures never move. The months filled (YYYY-MM).

    Only for a park-wide or city-wide view (officers, leaders, admins); a cadre's or a department's own
    scope has no frozen totals and stays live.
    """
    if user.role not in ("officer", "leader", "admin"):
        return set()
    park = park_id if park_id is not None else (None if is_city_wide(user) else user.park_id)
    by_month = {f"{m.start:%Y-%m}": m for m in months}
    closes = {c.id: month for month, c in latest_closes(by_month).items() if c.is_closed}
    filled = set()
    for close_id, data in read_kind(closes, "summary"):
        if data.get("park_id") == park:
            month = closes[close_id]
            figures = data.get("problems") or {}
            by_month[month].new, by_month[month].closed = figures.get("new", 0), figures.get("closed", 0)
            filled.add(month)
    return filled


def trend_months(today: date) -> list[TrendMonth]:
    """The trend's 12 months, oldest first, ending with today's, all counts zero."""
    months: list[TrendMonth] = []
    day = today.replace(day=1)
    for _ in range(TREND_MONTHS):
        months.insert(0, TrendMonth(day, month_end(day)))
        day = (day - timedelta(days=1)).replace(day=1)
    return months


def monthly_trend(user: User, today: date, park_id: Optional[int] = None) -> list[TrendMonth]:
    """New and closed problems per month over the last 12 months: a closed month as its month close froze
    it, the others live (2 queries grouped by day)."""
    months = trend_months(today)
    frozen = _frozen_trend(user, months, park_id)
    index = {(m.start.year, m.start.month): m for m in months if f"{m.start:%Y-%m}" not in frozen}
    # Only the months still live are read (after the closes, this month and perhaps the last one).
    first = min(m.start for m in index.values())  # this month is never closed, so never frozen
    scope = _problem_scope(user, park_id)
    for column, attr in ((Problem.raised_on, "new"), (Problem.closed_on, "closed")):
        rows = db.session.execute(
            select(column, func.count(Problem.id))
            .join(Enterprise, Enterprise.id == Problem.enterprise_id)
            .where(scope, column.between(first, months[-1].end))
            .group_by(column)
        )
        for on, n in rows:
            assert on is not None, "between() never matches NULL"
            month = index.get((on.year, on.month))
            if month is not None:
                setattr(month, attr, getattr(month, attr) + n)
    return months


@dataclass
class ChainOverview:
    chain_id: Optional[int]
    name: str
    firms: int = 0  # 在营
    served: int = 0
    visited: int = 0  # on site this month
    open: int = 0
    red: int = 0
    sales_year: Decimal = field(default_factory=Decimal)  # 万元, January to this month

    @property
    def visited_pct(self) -> Optional[float]:
        return KPIS["onsite_coverage"].value(self.visited, self.served)


def _visited_this_month(today: date):
    return and_(_served(), FirmVisitSummary.last_onsite_on >= today.replace(day=1))


def chain_visited(user: User, today: date, park_id: Optional[int] = None) -> list[tuple[Optional[int], int]]:
    """(chain id, 在营 firms served and visited on site this month) per chain, as chain_overview counts."""
    rows = db.session.execute(
        select(Enterprise.chain_id, func.count(Enterprise.id))
        .join(FirmVisitSummary, FirmVisitSummary.enterprise_id == Enterprise.id)
        .where(_firm_scope(user, park_id), Enterprise.status == "active", _visited_this_month(today))
        .group_by(Enterprise.chain_id)
    )
    return [(chain_id, n) for chain_id, n in rows]


def chain_overview(
    user: User, today: date, park_id: Optional[int] = None, visits: bool = True
) -> list[ChainOverview]:
    """Per industry chain: firms, on-site coverage this month, open and red problems, sales this year.
    visits=False leaves `visited` at 0 (chain_visited() counts it apart)."""
    chains = db.session.execute(
        select(IndustryChain.id, IndustryChain.name).order_by(IndustryChain.sort_order, IndustryChain.id)
    ).all()
    rows = {cid: ChainOverview(cid, name) for cid, name in chains}

    def row(chain_id):
        return rows.setdefault(chain_id, ChainOverview(chain_id, "未分类"))

    firm_scope = _firm_scope(user, park_id)
    for chain_id, firms, served, visited in db.session.execute(
        select(
            Enterprise.chain_id,
            func.count(Enterprise.id),
            func.count(Enterprise.id).filter(_served()),
            func.count(Enterprise.id).filter(_visited_this_month(today)) if visits else literal(0),
        )
        .outerjoin(FirmVisitSummary, FirmVisitSummary.enterprise_id == Enterprise.id)
        .where(firm_scope, Enterprise.status == "active")
        .group_by(Enterprise.chain_id)
    ):
        r = row(chain_id)
        r.firms, r.served, r.visited = firms, served, visited
    red = colour_expression(today) == "red"
    for chain_id, open_count, red_count in db.session.execute(
        select(Enterprise.chain_id, func.count(Problem.id), func.count(Problem.id).filter(red))
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(_problem_scope(user, park_id), Problem.status.in_(OPEN_STATUSES))
        .group_by(Enterprise.chain_id)
    ):
        row(chain_id).open, row(chain_id).red = open_count, red_count
    for chain_id, total in db.session.execute(
        select(Enterprise.chain_id, func.sum(SalesItem.amount))
        .join(Enterprise, Enterprise.id == SalesItem.enterprise_id)
        .where(firm_scope, SalesItem.period.between(f"{today.year}-01", f"{today:%Y-%m}"))
        .group_by(Enterprise.chain_id)
    ):
        row(chain_id).sales_year = Decimal(total or 0)
    return [r for r in rows.values() if r.firms or r.open or r.sales_year or r.chain_id is not None]


@dataclass
class HomeStats:
    today: date
    park_id: Optional[int]
    problems: ProblemStats
    departments: list[DeptRank]
    trend: list[TrendMonth]
    chains: list[ChainOverview]


def home_stats(user: User, today: date, park_id: Optional[int] = None) -> HomeStats:
    """Everything the officer/leader home page charts, in a constant number of queries."""
    return HomeStats(
        today,
        park_id,
        problem_stats(user, today, park_id),
        department_ranking(user, today, park_id),
        monthly_trend(user, today, park_id),
        chain_overview(user, today, park_id),
    )
