"""四张清单 per firm at a month's end: the facts the 四张清单变化 sheet, the firm's 清单变化 tab and the
month close's snapshot are made of.

Definitions (a month is a calendar month; "at month end" is the period's end, today while it runs):

- 在产产品 (products): product items put on the list on or before month end and not retired by then
  (retired_on null or after month end). 新增 (added): put on the list in the month. 停产/下架 (retired):
  retired_on in the month. "Put on the list" is the day (Beijing time) the item was recorded.
- 销售额 (sales_amount, 万元): the 销售清单 rows whose period is the month.
- 技术需求 (tech items of kind 'demand'): 新增 (opened) = recorded in the month; 已解决 (met) = solved_on
  in the month; 待解决 at month end (open) = recorded on or before month end and not solved by then.
- 问题 (problems): 新增 (opened) = raised_on in the month; 销号 (closed) = closed_on in the month; 在办 at
  month end (open) = raised on or before month end and not closed by then — as in
  crm.reporting.monthly.build.

One row per firm with anything to report (any figure not zero); the firm's park and chain are today's
registry. Four grouped queries for the whole city, whatever its size. Items deleted as mistakes are
gone from every month.
"""

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Optional

from sqlalchemy import func, or_, select

from crm.extensions import db
from crm.models import Enterprise, Problem, ProductItem, SalesItem, TechItem
from crm.reporting.monthly.period import Period, ReportScope
from crm.timeutil import SHANGHAI

TECH_DEMAND = "demand"


@dataclass(slots=True)
class FirmListFacts:
    """One firm's 四张清单 figures for one month (plain values: the month close stores them as they are)."""

    enterprise_id: int
    park_id: int
    chain_id: Optional[int]
    products: int = 0  # 在产 at month end
    products_added: int = 0
    products_retired: int = 0
    sales_amount: Decimal = Decimal(0)  # 万元, the month's 销售清单
    tech_open: int = 0  # technology needs not solved at month end
    tech_opened: int = 0
    tech_met: int = 0
    problems_open: int = 0  # not closed at month end
    problems_opened: int = 0
    problems_closed: int = 0

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in COUNTED)


# The figures of a row (everything but the firm, its park and chain).
COUNTED = tuple(f.name for f in fields(FirmListFacts))[3:]


def utc_start_of(day: date) -> datetime:
    """The naive UTC timestamp at which the Beijing-time day begins (for created_at comparisons)."""
    return datetime.combine(day, time(), tzinfo=SHANGHAI).astimezone(UTC).replace(tzinfo=None)


def _firm_rows(model, scope: Optional[ReportScope], *columns, where=()):
    """SELECT enterprise, park, chain, *columns FROM model JOIN enterprises, grouped by firm."""
    stmt = (
        select(Enterprise.id, Enterprise.park_id, Enterprise.chain_id, *columns)
        .join(Enterprise, Enterprise.id == model.enterprise_id)
        .where(*where)
        .group_by(Enterprise.id, Enterprise.park_id, Enterprise.chain_id)
    )
    if scope is not None and scope.park is not None:
        stmt = stmt.where(scope.firm_clause())
    return db.session.execute(stmt)


def collect_list_facts(period: Period, scope: Optional[ReportScope] = None) -> list[FirmListFacts]:
    """Every firm's 四张清单 figures as of the period's end, from live data (4 queries); firms with
    nothing to report are left out. scope: one park (default: the whole city). Sorted by firm id."""
    start, end = period.start, period.end
    since, until = utc_start_of(start), utc_start_of(end + timedelta(days=1))
    rows: dict[int, FirmListFacts] = {}

    def row(firm_id: int, park_id: int, chain_id: Optional[int]) -> FirmListFacts:
        found = rows.get(firm_id)
        if found is None:
            found = rows[firm_id] = FirmListFacts(firm_id, park_id, chain_id)
        return found

    recorded_in_month = ProductItem.created_at >= since
    products = _firm_rows(
        ProductItem,
        scope,
        func.count(ProductItem.id).filter(
            or_(ProductItem.retired_on.is_(None), ProductItem.retired_on > end)
        ),
        func.count(ProductItem.id).filter(recorded_in_month),
        func.count(ProductItem.id).filter(ProductItem.retired_on.between(start, end)),
        where=[ProductItem.created_at < until],
    )
    for firm_id, park_id, chain_id, active, added, retired in products:
        r = row(firm_id, park_id, chain_id)
        r.products, r.products_added, r.products_retired = active, added, retired

    sales = _firm_rows(SalesItem, scope, func.sum(SalesItem.amount), where=[SalesItem.period == period.month])
    for firm_id, park_id, chain_id, amount in sales:
        row(firm_id, park_id, chain_id).sales_amount = Decimal(amount or 0)

    tech = _firm_rows(
        TechItem,
        scope,
        func.count(TechItem.id).filter(or_(TechItem.solved_on.is_(None), TechItem.solved_on > end)),
        func.count(TechItem.id).filter(TechItem.created_at >= since),
        func.count(TechItem.id).filter(TechItem.solved_on.between(start, end)),
        where=[TechItem.kind == TECH_DEMAND, TechItem.created_at < until],
    )
    for firm_id, park_id, chain_id, still_open, opened, met in tech:
        r = row(firm_id, park_id, chain_id)
        r.tech_open, r.tech_opened, r.tech_met = still_open, opened, met

    problems = _firm_rows(
        Problem,
        scope,
        func.count(Problem.id).filter(or_(Problem.closed_on.is_(None), Problem.closed_on > end)),
        func.count(Problem.id).filter(Problem.raised_on >= start),
        func.count(Problem.id).filter(Problem.closed_on.between(start, end)),
        where=[
            Problem.raised_on <= end,
            # Problems closed before the month count for nothing: leave them out of the scan.
            or_(Problem.closed_on.is_(None), Problem.closed_on >= start),
        ],
    )
    for firm_id, park_id, chain_id, still_open, opened, closed in problems:
        r = row(firm_id, park_id, chain_id)
        r.problems_open, r.problems_opened, r.problems_closed = still_open, opened, closed

    return [r for _id, r in sorted(rows.items()) if not r.is_empty]
