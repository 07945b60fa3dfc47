"""四张清单变化: a month's list figures next to the previous month's, per park and per firm.

Each month's figures come from its own source (crm.reporting.monthly.snapshot): the rows the month close
froze for a closed month (and, for its previous month, the copy that close kept, so a closed month's
sheet never moves), the live data otherwise. Sales change = (this month − last month) ÷ last month, none when
last month had no sales. A firm is listed when something happened on its lists in the month (a product
added or retired, a technology need opened or met, a problem raised or closed) or it reported sales in
either month.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import Enterprise, Park
from crm.reporting.monthly.lists import FirmListFacts
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.snapshot import Source, previous_rows, source_for


def sales_change(now: Decimal, before: Decimal) -> Optional[float]:
    """Month-on-month change of sales as a fraction (0.125 = +12.5 %); None without last month's sales."""
    if not before:
        return None
    return float((now - before) / before)


@dataclass
class ListChange:
    """One firm's or one park's (or the total's) figures of the month, with last month's sales."""

    name: str
    park: str = ""  # the firm's park (empty on park rows)
    firms: int = 0  # park rows: firms with list figures this month
    products: int = 0
    products_added: int = 0
    products_retired: int = 0
    sales: Decimal = Decimal(0)
    sales_before: Decimal = Decimal(0)
    tech_opened: int = 0
    tech_met: int = 0
    tech_open: int = 0
    problems_opened: int = 0
    problems_closed: int = 0
    problems_open: int = 0

    def add(self, facts: FirmListFacts) -> None:
        """Add a firm's figures of the month (not last month's sales)."""
        self.firms += 1
        self.products += facts.products
        self.products_added += facts.products_added
        self.products_retired += facts.products_retired
        self.sales += facts.sales_amount
        self.tech_opened += facts.tech_opened
        self.tech_met += facts.tech_met
        self.tech_open += facts.tech_open
        self.problems_opened += facts.problems_opened
        self.problems_closed += facts.problems_closed
        self.problems_open += facts.problems_open

    @property
    def sales_change(self) -> Optional[float]:
        return sales_change(self.sales, self.sales_before)

    @property
    def has_activity(self) -> bool:
        """Something happened on the lists in the month, or sales were reported in either month."""
        events = (self.products_added, self.products_retired, self.tech_opened, self.tech_met)
        return any(events) or bool(
            self.problems_opened or self.problems_closed or self.sales or self.sales_before
        )


SUMMED = tuple(f.name for f in fields(ListChange) if f.name not in ("name", "park"))


@dataclass
class ListChanges:
    period: Period
    parks: list[ListChange] = field(default_factory=list)
    total: Optional[ListChange] = None  # over all parks, for the city's report
    firms: list[ListChange] = field(default_factory=list)  # with activity, by park then name


def _names(scope: ReportScope, firm_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """{firm id: (name, pinyin initials)} of the firms in scope, plus any of firm_ids outside it (a
    closed month's firm that has since moved park): one query, two in that rare case."""
    stmt = select(Enterprise.id, Enterprise.name, Enterprise.name_initials)
    found = {
        fid: (name, initials) for fid, name, initials in db.session.execute(stmt.where(scope.firm_clause()))
    }
    missing = set(firm_ids) - set(found)
    if missing:
        rows = db.session.execute(stmt.where(Enterprise.id.in_(sorted(missing))))
        found.update({fid: (name, initials) for fid, name, initials in rows})
    return found


def list_changes(
    scope: ReportScope,
    period: Period,
    park_names: Optional[Mapping[int, str]] = None,
    source: Optional[Source] = None,
) -> ListChanges:
    """The month's 四张清单变化 for the scope: park rows (and their total) and the firms with activity.
    park_names: {park id: name} if the caller has them (else read here); source: the month's facts if
    the caller has them (the workbook's), else its own source (crm.reporting.monthly.snapshot)."""
    src = source or source_for(period, scope.park_id)
    now: list[FirmListFacts] = src.rows("lists")
    before: list[FirmListFacts] = previous_rows(src, "lists")
    parks_named: Mapping[int, str] = (
        park_names if park_names is not None else dict(db.session.execute(select(Park.id, Park.name)).all())
    )
    park_rows: dict[int, ListChange] = {}

    def park_row(park_id: int) -> ListChange:
        found = park_rows.get(park_id)
        if found is None:
            found = park_rows[park_id] = ListChange(parks_named.get(park_id, ""))
        return found

    if scope.park is not None:
        park_row(scope.park.id)
    for facts in now:
        park_row(facts.park_id).add(facts)
    for facts in before:
        park_row(facts.park_id).sales_before += facts.sales_amount

    now_by_firm = {f.enterprise_id: f for f in now}
    before_by_firm = {f.enterprise_id: f for f in before}
    # The firms' names at month end (a closed month's as frozen); a firm that left the park since
    # last month has its current name.
    names = {f.firm_id: (f.name, f.sort_key) for f in src.rows("firms")}
    missing = (now_by_firm.keys() | before_by_firm.keys()) - names.keys()
    if missing:
        names.update(_names(scope, missing))
    firms: list[tuple[tuple, ListChange]] = []
    for firm_id in now_by_firm.keys() | before_by_firm.keys():
        current, previous = now_by_firm.get(firm_id), before_by_firm.get(firm_id)
        park_id = (current or previous).park_id  # type: ignore[union-attr]
        name, initials = names.get(firm_id, ("", ""))
        row = ListChange(name, parks_named.get(park_id, ""))
        if current is not None:
            row.add(current)
        row.sales_before = previous.sales_amount if previous is not None else Decimal(0)
        if row.has_activity:
            firms.append(((park_id, initials, name, firm_id), row))
    parks = [park_rows[pid] for pid in sorted(park_rows)]
    total = None
    if scope.park is None:
        total = ListChange("合计")
        for p in parks:
            for name in SUMMED:
                setattr(total, name, getattr(total, name) + getattr(p, name))
    return ListChanges(period, parks, total, [row for _key, row in sorted(firms, key=lambda t: t[0])])
