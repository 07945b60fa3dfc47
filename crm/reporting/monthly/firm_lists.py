"""A firm's 清单变化 over the last twelve months (the 清单变化 tab of the firm's file).

The figures mean what crm.reporting.monthly.lists defines; here they are worked out in Python from one
firm's items (four small queries for all months at once, rather than four per month), and a closed
month shows the rows its close froze (two more queries), as the 四张清单变化 sheet of that month does.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Optional

from sqlalchemy import func, or_, select

from crm.extensions import db
from crm.models import AuditLog, Enterprise, MonthSnapshotRow, Problem, ProductItem, SalesItem, TechItem
from crm.reporting.monthly.list_changes import sales_change
from crm.reporting.monthly.lists import TECH_DEMAND, FirmListFacts
from crm.reporting.monthly.period import Period
from crm.services.closing.codec import decoder
from crm.services.closing.store import latest_closes
from crm.timeutil import to_local

MONTHS = 12
LISTS, PREVIOUS_LISTS = "lists", "previous_lists"  # the snapshot kinds (crm.reporting.monthly.snapshot)
# What happens in a month (summed over months), as opposed to the stocks at its end.
FLOWS: tuple[str, ...] = ("products_added", "products_retired", "sales_amount", "tech_opened", "tech_met")
FLOWS += ("problems_opened", "problems_closed")


@dataclass
class MonthLists:
    """One month of the tab: its figures, last month's sales, and whether the month is closed."""

    period: Period
    facts: FirmListFacts
    sales_before: Decimal
    closed: bool = False

    @property
    def sales_change(self) -> Optional[float]:
        """None also for the running month before any of its sales are in (they come after it ends)."""
        if self.period.is_running and not self.facts.sales_amount:
            return None
        return sales_change(self.facts.sales_amount, self.sales_before)


def last_months(today: date, months: int = MONTHS) -> list[Period]:
    """The running month and the ones before it, newest first."""
    current = Period.of(today.year, today.month, today)
    periods = [current]
    while len(periods) < months:
        periods.append(periods[-1].previous())
    return periods


def _day(stamp) -> date:
    return to_local(stamp).date()


def _in(day: Optional[date], period: Period) -> bool:
    return day is not None and period.start <= day <= period.end


def _open_at(day: Optional[date], period: Period) -> bool:
    """Not yet ended (retired, solved, closed) at the period's end."""
    return day is None or day > period.end


def firm_month_facts(firm: Enterprise, periods: list[Period]) -> dict[str, FirmListFacts]:
    """{YYYY-MM: the firm's figures} for the given months, from live data (4 queries)."""
    first = min(p.start for p in periods)
    months = [p.month for p in periods]
    products = [
        (_day(created), retired)
        for created, retired in db.session.execute(
            select(ProductItem.created_at, ProductItem.retired_on).where(
                ProductItem.enterprise_id == firm.id,
                or_(ProductItem.retired_on.is_(None), ProductItem.retired_on >= first),
            )
        )
    ]
    sales = dict(
        db.session.execute(
            select(SalesItem.period, func.sum(SalesItem.amount))
            .where(SalesItem.enterprise_id == firm.id, SalesItem.period.in_(months))
            .group_by(SalesItem.period)
        ).all()
    )
    needs = [
        (_day(created), solved)
        for created, solved in db.session.execute(
            select(TechItem.created_at, TechItem.solved_on).where(
                TechItem.enterprise_id == firm.id,
                TechItem.kind == TECH_DEMAND,
                or_(TechItem.solved_on.is_(None), TechItem.solved_on >= first),
            )
        )
    ]
    problems = db.session.execute(
        select(Problem.raised_on, Problem.closed_on).where(
            Problem.enterprise_id == firm.id, or_(Problem.closed_on.is_(None), Problem.closed_on >= first)
        )
    ).all()
    out = {}
    for p in periods:
        f = FirmListFacts(firm.id, firm.park_id, firm.chain_id)
        for added, retired in products:
            if added <= p.end:
                f.products += _open_at(retired, p)
                f.products_added += added >= p.start
                f.products_retired += _in(retired, p)
        f.sales_amount = Decimal(sales.get(p.month) or 0)
        for added, solved in needs:
            if added <= p.end:
                f.tech_open += _open_at(solved, p)
                f.tech_opened += added >= p.start
                f.tech_met += _in(solved, p)
        for raised, closed in problems:
            if raised <= p.end:
                f.problems_open += _open_at(closed, p)
                f.problems_opened += raised >= p.start
                f.problems_closed += _in(closed, p)
        out[p.month] = f
    return out


@dataclass
class FrozenMonth:
    """A closed month's frozen rows of the firm: the month's, and the previous month's as the close kept
    it (None: the firm had no row, so every figure was zero)."""

    facts: Optional[FirmListFacts] = None
    before: Optional[FirmListFacts] = None


def parks_of(firm: Enterprise) -> set[int]:
    """Every park the firm has belonged to: today's and those its registry edits moved it from or to
    (one query over the firm's own audit rows). A closed month's rows carry the park of that month."""
    parks = {firm.park_id}
    changes = db.session.scalars(
        select(AuditLog.changes).where(
            AuditLog.entity_type == "enterprise", AuditLog.entity_id == firm.id, AuditLog.action == "update"
        )
    )
    for change in changes:
        for value in (change or {}).get("park_id") or ():
            if value not in (None, ""):
                parks.add(int(value))
    return parks


def frozen_months(firm: Enterprise, periods: list[Period]) -> dict[str, FrozenMonth]:
    """{YYYY-MM: the firm's frozen rows} of the closed months among periods (1 query when none is
    closed, else 3). A running month is never closed."""
    closes = latest_closes(p.month for p in periods if not p.is_running)
    closed = {c.id: month for month, c in closes.items() if c.is_closed}
    if not closed:
        return {}
    out = {month: FrozenMonth() for month in closed.values()}
    decode = decoder(FirmListFacts)
    rows = db.session.execute(
        select(MonthSnapshotRow.close_id, MonthSnapshotRow.kind, MonthSnapshotRow.data).where(
            MonthSnapshotRow.close_id.in_(sorted(closed)),
            MonthSnapshotRow.kind.in_((LISTS, PREVIOUS_LISTS)),
            # The (close, kind, park) index narrows the scan to the firm's parks; the JSON test picks it.
            MonthSnapshotRow.park_id.in_(sorted(parks_of(firm))),
            MonthSnapshotRow.data["enterprise_id"].as_integer() == firm.id,
        )
    )
    for close_id, kind, data in rows:
        month = out[closed[close_id]]
        if kind == LISTS:
            month.facts = decode(data)
        else:
            month.before = decode(data)
    return out


def firm_list_history(
    firm: Enterprise,
    today: date,
    frozen: Optional[Mapping[str, FrozenMonth]] = None,
    months: int = MONTHS,
) -> list[MonthLists]:
    """The last `months` months, newest first. A closed month shows what its close froze (frozen: as
    frozen_months() reads it, looked up here unless given), its change against the previous month as the
    close kept that; an open month its live figures, against the previous month's own source."""
    periods = last_months(today, months + 1)  # one more: last month's sales of the oldest shown
    if frozen is None:
        frozen = frozen_months(firm, periods[:-1])
    live = firm_month_facts(firm, periods)
    empty = FirmListFacts(firm.id, firm.park_id, firm.chain_id)

    def facts(p: Period) -> FirmListFacts:
        if p.month in frozen:
            return frozen[p.month].facts or empty
        return live[p.month]

    rows = []
    for p, before in zip(periods, periods[1:], strict=False):
        if p.month in frozen:
            kept = frozen[p.month].before
            rows.append(MonthLists(p, facts(p), kept.sales_amount if kept else Decimal(0), closed=True))
        else:
            rows.append(MonthLists(p, facts(p), facts(before).sales_amount))
    return _from_filing(rows, firm)


def _from_filing(rows: list[MonthLists], firm: Enterprise) -> list[MonthLists]:
    """Drop the oldest months before the firm was put on file, as long as they hold nothing."""
    filed = _day(firm.created_at) if firm.created_at else None
    while rows and filed is not None and rows[-1].period.month_end < filed.replace(day=1):
        last = rows[-1]
        if not last.facts.is_empty or last.sales_before:
            break
        rows.pop()
    return rows


def totals(rows: Iterable[MonthLists]) -> dict[str, Decimal | int]:
    """Sums over the shown months of what happened in them (not of month-end stocks)."""
    out: dict[str, Decimal | int] = dict.fromkeys(FLOWS, 0)
    for r in rows:
        for name in FLOWS:
            out[name] += getattr(r.facts, name)
    return out
