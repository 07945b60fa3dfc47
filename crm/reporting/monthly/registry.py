"""The registry as it stood at a month's end, read live: firms (park, chain, status, scale, key flag,
liaison, last visits), people, names, sales, and the scope they fall in.

The enterprise table holds each firm as it is *now*. Every change to a firm goes through
crm.services.enterprises.registry.update_enterprise, which audits each changed field with its old and
new value; so the firm as it was at month end is today's row with the changes made after month end
undone, newest first. A firm counts from the day it was filed, or from the first thing recorded about
it (a liaison, a visit, a problem, a sales row) if that is earlier — so a firm filed in December, with
nothing before, is not in November. Liaisons come from the assignments' own dates.

LiveMonth narrows every query to the report's park: firms whose park is the park now, plus the few
changed after month end (one of which may have been in the park then); the facts then carry the park
each firm had at month end, and only the park's are kept.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any, Optional

from sqlalchemy import exists, func, or_, select, true

from crm.extensions import db
from crm.models import (
    Assignment,
    AuditLog,
    Department,
    Enterprise,
    IndustryChain,
    Park,
    Problem,
    SalesItem,
    User,
    Visit,
)
from crm.reporting.monthly.facts import FirmFact, NameFact, PersonFact, SalesFact
from crm.reporting.monthly.period import Period
from crm.services.common.pinyin import initials
from crm.services.visits.cadence import cadence_for_parks, contact_status, onsite_status
from crm.timeutil import SHANGHAI

# The registry fields whose month-end value the report needs, as update_enterprise audits them.
HISTORY_FIELDS = ("name", "park_id", "chain_id", "status", "scale_type", "is_key")


def utc_start(day: date) -> datetime:
    """The naive UTC instant at which the Beijing-time day begins."""
    return datetime.combine(day, time(), tzinfo=SHANGHAI).astimezone(UTC).replace(tzinfo=None)


@dataclass(slots=True)
class FirmAtEnd:
    initials: str  # pinyin initials of the name: the stored ones, recomputed for a name undone
    name: str
    park_id: int
    chain_id: Optional[int]
    status: str
    scale_type: Optional[str]
    is_key: bool


def _as_id(value: Any) -> Optional[int]:
    return None if value in (None, "") else int(value)


def _as_bool(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


_COERCE = {"park_id": _as_id, "chain_id": _as_id, "is_key": _as_bool}


class LiveMonth:
    """What the live collectors of one month share: the period, the park (None: the city) and the
    registry at month end (built once)."""

    def __init__(
        self, period: Period, park_id: Optional[int] = None, shared: Optional[dict[str, Any]] = None
    ):
        self.period = period
        self.park_id = park_id
        self.cutoff = utc_start(period.end + timedelta(days=1))  # changes from then on are after month end
        self._cache: dict[str, Any] = {}
        # What does not depend on the month (the calendar, the rule versions), shared by a report's months.
        self.shared: dict[str, Any] = shared if shared is not None else {}

    def once(self, key: str, load: Callable[[], Any]) -> Any:
        """A value shared by every month of one report, loaded on first use."""
        if key not in self.shared:
            self.shared[key] = load()
        return self.shared[key]

    def changed_after(self):
        """SELECT of the firms edited after month end."""
        return select(AuditLog.entity_id).where(
            AuditLog.entity_type == "enterprise", AuditLog.action == "update", AuditLog.at >= self.cutoff
        )

    def candidates(self, column=Enterprise.id):
        """WHERE clause on a firm id column: the firms that may be in the park at month end."""
        if self.park_id is None:
            return true()
        now_here = select(Enterprise.id).where(Enterprise.park_id == self.park_id)
        return or_(column.in_(now_here), column.in_(self.changed_after()))

    @cached_property
    def registry(self) -> dict[int, FirmAtEnd]:
        """{firm id: the firm at month end} of every candidate firm already on file then (2 queries; one
        while the month runs: its end is today, and the registry is today's)."""
        end = self.period.end
        if self.period.is_running:
            rows = db.session.execute(select(*self._columns()).where(self.candidates()))
            return {row[0]: FirmAtEnd(*row[1:]) for row in rows}
        on_file = or_(
            Enterprise.created_at < self.cutoff,
            exists().where(Assignment.enterprise_id == Enterprise.id, Assignment.start_on <= end),
            exists().where(Visit.enterprise_id == Enterprise.id, Visit.visited_on <= end),
            exists().where(Problem.enterprise_id == Enterprise.id, Problem.raised_on <= end),
            exists().where(SalesItem.enterprise_id == Enterprise.id, SalesItem.period <= self.period.month),
        )
        rows = db.session.execute(select(*self._columns()).where(self.candidates(), on_file))
        firms = {row[0]: FirmAtEnd(*row[1:]) for row in rows}
        changes = db.session.execute(
            select(AuditLog.entity_id, AuditLog.changes)
            .where(
                AuditLog.entity_type == "enterprise", AuditLog.action == "update", AuditLog.at >= self.cutoff
            )
            .where(self.candidates(AuditLog.entity_id))
            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        )
        for firm_id, changed in changes:  # newest first: each undo restores the value before that change
            firm = firms.get(firm_id)
            if firm is None or not changed:
                continue
            for field in HISTORY_FIELDS:
                if field in changed:
                    old = changed[field][0]
                    setattr(firm, field, _COERCE.get(field, lambda v: v)(old))
            if "name" in changed:
                firm.initials = initials(firm.name)
        return firms

    @staticmethod
    def _columns() -> list:
        return [Enterprise.id, Enterprise.name_initials, *(getattr(Enterprise, f) for f in HISTORY_FIELDS)]

    def in_scope(self, firm_id: int) -> bool:
        firm = self.registry.get(firm_id)
        return firm is not None and (self.park_id is None or firm.park_id == self.park_id)

    def park_of(self, firm_id: int) -> Optional[int]:
        """The firm's park at month end if it is in scope, else None."""
        firm = self.registry.get(firm_id)
        if firm is None or (self.park_id is not None and firm.park_id != self.park_id):
            return None
        return firm.park_id


def collect_firms(ctx: LiveMonth) -> list[FirmFact]:
    """Every firm on file at month end in scope, with its liaison and last visits then (2 more queries),
    by park, name (pinyin) and id."""
    period, end = ctx.period, ctx.period.end
    liaisons: dict[int, tuple[Optional[int], Optional[date]]] = {}
    for firm_id, liaison, since in db.session.execute(
        select(Assignment.enterprise_id, Assignment.cadre_id, Assignment.start_on)
        .where(
            ctx.candidates(Assignment.enterprise_id),
            Assignment.start_on <= end,
            or_(Assignment.end_on.is_(None), Assignment.end_on > end),
        )
        .order_by(Assignment.start_on, Assignment.id)
    ):
        liaisons[firm_id] = (liaison, since)  # the latest start wins
    last: dict[int, tuple[Optional[date], Optional[date]]] = {}
    for firm_id, latest, latest_onsite in db.session.execute(
        select(
            Visit.enterprise_id,
            func.max(Visit.visited_on),
            func.max(Visit.visited_on).filter(Visit.kind == "onsite"),
        )
        .where(ctx.candidates(Visit.enterprise_id), Visit.visited_on <= end)
        .group_by(Visit.enterprise_id)
    ):
        last[firm_id] = (latest, latest_onsite)
    facts = []
    for firm_id, firm in ctx.registry.items():
        if not ctx.in_scope(firm_id):
            continue
        cadre_id, start_on = liaisons.get(firm_id, (None, None))
        contact, onsite = last.get(firm_id, (None, None))
        facts.append(
            FirmFact(
                firm_id,
                firm.name,
                firm.initials,
                firm.park_id,
                firm.chain_id,
                firm.status,
                firm.scale_type,
                firm.is_key,
                cadre_id,
                start_on,
                contact,
                onsite,
            )
        )
    rules = cadence_for_parks({f.park_id for f in facts}) if facts else {}
    judged = period.judged_on
    for f in facts:
        f.contacted = f.last_contact is not None and f.last_contact >= period.start
        f.visited = f.last_onsite is not None and f.last_onsite >= period.start
        if f.served:
            park_rules = rules[f.park_id]
            f.overdue = (
                contact_status(f.last_contact, judged, park_rules, f.is_key, f.start_on).status == "overdue"
                or onsite_status(f.last_onsite, judged, park_rules, f.is_key, f.start_on).status == "overdue"
            )
    facts.sort(key=lambda f: (f.park_id, f.sort_key, f.firm_id))
    return facts


def collect_sales(ctx: LiveMonth) -> list[SalesFact]:
    """Each firm's 销售清单 totals: the month, and January to the month (one query)."""
    period = ctx.period
    rows = db.session.execute(
        select(
            SalesItem.enterprise_id,
            func.sum(SalesItem.amount).filter(SalesItem.period == period.month),
            func.sum(SalesItem.amount),
        )
        .where(
            ctx.candidates(SalesItem.enterprise_id),
            SalesItem.period.between(period.year_start_month, period.month),
        )
        .group_by(SalesItem.enterprise_id)
        .order_by(SalesItem.enterprise_id)
    )
    out = []
    for firm_id, month_total, year_total in rows:
        park_id = ctx.park_of(firm_id)
        if park_id is not None:
            out.append(SalesFact(park_id, firm_id, Decimal(month_total or 0), Decimal(year_total or 0)))
    return out


def collect_people(ctx: LiveMonth) -> list[PersonFact]:
    """Every account: name, role, park and whether it is active (one query; names for every sheet)."""
    rows = db.session.execute(
        select(User.id, User.name, User.role, User.park_id, User.is_active_user).order_by(User.id)
    )
    return [PersonFact(*row) for row in rows]


def _names(rows: Iterable[tuple[int, str]]) -> list[NameFact]:
    return [NameFact(id_, name) for id_, name in rows]


def collect_parks(ctx: LiveMonth) -> list[NameFact]:
    return _names(db.session.execute(select(Park.id, Park.name).order_by(Park.id)).all())


def collect_chains(ctx: LiveMonth) -> list[NameFact]:
    """Industry chains in their display order."""
    stmt = select(IndustryChain.id, IndustryChain.name).order_by(IndustryChain.sort_order, IndustryChain.id)
    return _names(db.session.execute(stmt).all())


def collect_departments(ctx: LiveMonth) -> list[NameFact]:
    return _names(db.session.execute(select(Department.id, Department.name).order_by(Department.id)).all())
