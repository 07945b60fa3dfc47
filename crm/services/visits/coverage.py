"""Cadence of many firms at once: 我的企业 (a cadre's firms by urgency) and the officer coverage view.

Each page costs a constant number of queries: one for the firms with their last-visit aggregate and
open-problem count, one for the parks' cadence settings; statuses are computed in Python.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import func, literal, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Assignment, Enterprise, FirmVisitSummary, Problem, User
from crm.models.problem import OPEN_STATUSES
from crm.permissions import enterprise_scope_clause, visible_cadres
from crm.services.kpi import KPIS
from crm.services.visits.cadence import (
    DueStatus,
    cadence_for_parks,
    contact_status,
    onsite_status,
)
from crm.services.visits.evidence import any_park_collects


@dataclass
class FirmCadence:
    """One firm's cadence, computed from plain columns; `firm`/`assignment` are loaded by hydrate()
    only for the rows a page shows, so ranking thousands of firms never builds thousands of objects."""

    firm_id: int
    park_id: int
    is_key: bool
    name_initials: str
    cadre_id: Optional[int]
    start_on: Optional[date]  # the current assignment's start
    first_visit_due_on: Optional[date]  # set after a handover
    contact: Optional[DueStatus]  # None for firms that are not 在营 (no cadence tracked)
    onsite: Optional[DueStatus]
    last_visit: Optional[date]
    open_problems: int
    last_evidenced: Optional[date] = None  # the last on-site visit with verified evidence
    firm: Optional[Enterprise] = None
    assignment: Optional[Assignment] = None

    @property
    def loaded_firm(self) -> Enterprise:
        """The firm of a row that hydrate() (or firm_cadence()) has loaded."""
        if self.firm is None:
            raise RuntimeError(f"firm {self.firm_id} is not loaded: hydrate() the row first")
        return self.firm

    @property
    def urgency(self) -> tuple:
        """Overdue first, then due soon; inside a group the earliest due date first."""
        if self.contact is None or self.onsite is None:
            return (3, date.max, self.name_initials)
        worst = min(self.contact.rank, self.onsite.rank)
        dues = [d for d in (self.contact.due_on, self.onsite.due_on) if d is not None]
        return (worst, min(dues) if dues else date.min, self.name_initials)

    @property
    def first_visit_pending(self) -> bool:
        """After a handover: the successor has not been on site yet, so the handover's deadline applies."""
        # A first-visit deadline comes with the active assignment, so start_on is set whenever it is.
        if self.first_visit_due_on is None or self.onsite is None or self.start_on is None:
            return False
        return self.onsite.last_on is None or self.onsite.last_on < self.start_on

    @property
    def is_overdue(self) -> bool:
        if self.contact is None or self.onsite is None:
            return False
        return "overdue" in (self.contact.status, self.onsite.status)


HYDRATE_CHUNK = 1000


def hydrate(rows: Sequence[FirmCadence]) -> Sequence[FirmCadence]:
    """Load the firms (with liaison, cadre and chain) of the rows about to be shown or exported."""
    missing = [r for r in rows if r.firm is None]
    for start in range(0, len(missing), HYDRATE_CHUNK):
        chunk = missing[start : start + HYDRATE_CHUNK]
        firms = {
            f.id: f
            for f in db.session.scalars(
                select(Enterprise)
                .where(Enterprise.id.in_([r.firm_id for r in chunk]))
                .options(
                    joinedload(Enterprise.active_assignment).joinedload(Assignment.cadre),
                    joinedload(Enterprise.chain),
                )
            ).unique()
        }
        for row in chunk:
            row.firm = firms[row.firm_id]
            row.assignment = row.firm.active_assignment
    return rows


def _open_problems_subquery(firm_ids):
    return (
        select(Problem.enterprise_id.label("enterprise_id"), func.count(Problem.id).label("open_problems"))
        .where(Problem.status.in_(OPEN_STATUSES), Problem.enterprise_id.in_(firm_ids))
        .group_by(Problem.enterprise_id)
        .subquery()
    )


def _firms_with_cadence(stmt, today: date, open_problems: bool = True) -> list[FirmCadence]:
    """Attach cadence statuses to the firms of a SELECT over Enterprise (joined with its active
    Assignment, inner or outer); one query for the rows, one for the parks' rules. open_problems=False
    leaves every firm's open-problem count at 0 (totals that never show it skip counting them)."""
    # The last visit dates come from FirmVisitSummary (kept by the visit service), never from an
    # aggregate over the visit log; open problems are counted for the selected firms only.
    visits = FirmVisitSummary
    firm_ids = stmt.with_only_columns(Enterprise.id).scalar_subquery()
    stmt = stmt.with_only_columns(
        Enterprise.id,
        Enterprise.park_id,
        Enterprise.is_key,
        Enterprise.status,
        Enterprise.name_initials,
        Assignment.cadre_id,
        Assignment.start_on,
        Assignment.first_visit_due_on,
        visits.last_contact_on,
        visits.last_onsite_on,
        visits.last_evidenced_on,
    ).outerjoin(visits, visits.enterprise_id == Enterprise.id)
    if open_problems:
        problems = _open_problems_subquery(firm_ids)
        stmt = stmt.add_columns(func.coalesce(problems.c.open_problems, 0)).outerjoin(
            problems, problems.c.enterprise_id == Enterprise.id
        )
    else:
        stmt = stmt.add_columns(literal(0))
    rows = db.session.execute(stmt).all()
    return _with_statuses(rows, today)


def _with_statuses(rows, today: date) -> list[FirmCadence]:
    rules = cadence_for_parks({row.park_id for row in rows})
    out = []
    for row in rows:
        (
            fid,
            park_id,
            is_key,
            status,
            initials,
            cadre_id,
            start_on,
            first_due,
            last_contact,
            last_onsite,
            last_evidenced,
            n,
        ) = row
        contact = onsite = None
        if status == "active":
            park_rules = rules[park_id]
            # A firm never visited is due counted from its liaison's start (None without one).
            contact = contact_status(last_contact, today, park_rules, is_key, start_on)
            onsite = onsite_status(last_onsite, today, park_rules, is_key, start_on)
            if first_due and (last_onsite is None or last_onsite < start_on):
                onsite = _handover_due(onsite, first_due, start_on, today, park_rules.due_soon_days)
                if contact.due_on is not None and contact.due_on < start_on:
                    # A contact the predecessor had already missed is due from the handover, as for a
                    # firm never contacted: the successor is not late on the day they take it over.
                    contact = contact_status(None, today, park_rules, is_key, start_on)
        out.append(
            FirmCadence(
                fid, park_id, is_key, initials or "", cadre_id, start_on, first_due, contact, onsite,
                last_contact, n, last_evidenced,
            )
        )  # fmt: skip
    return out


def _handover_due(status: DueStatus, due: date, handed_on: date, today: date, soon_days: int) -> DueStatus:
    """After a handover the successor's first on-site visit is due by the handover's date. A regular due
    date between the handover and that date still applies (it is sooner); one the predecessor had already
    missed before the handover does not: the successor's card shows the handover's date, not 已逾期."""
    if status.due_on is not None and handed_on <= status.due_on <= due:
        return status
    if today > due:
        return DueStatus(status.last_on, due, "overdue")
    return DueStatus(status.last_on, due, "soon" if (due - today).days <= soon_days else "ok")


def _active_join(outer: bool = False):
    on = (Assignment.enterprise_id == Enterprise.id) & Assignment.end_on.is_(None)
    return select(Enterprise.id).join(Assignment, on, isouter=outer)


def my_firms(cadre: User, today: date) -> list[FirmCadence]:
    """The cadre's current firms, most urgent first (我的企业); hydrate() the ones shown."""
    rows = _firms_with_cadence(_active_join().where(Assignment.cadre_id == cadre.id), today)
    return sorted(rows, key=lambda r: r.urgency)


def firm_cadence(firm: Enterprise, today: date) -> FirmCadence:
    """Cadence of one firm (the firm page banner)."""
    row = _firms_with_cadence(_active_join(outer=True).where(Enterprise.id == firm.id), today)[0]
    row.firm, row.assignment = firm, firm.active_assignment
    return row


@dataclass
class CoverageCounts:
    """Contact and on-site coverage of some 在营 firms: one cadre's, or the totals of a page."""

    firms: int = 0
    contacted_week: int = 0
    onsite_month: int = 0
    contact_overdue: int = 0
    onsite_overdue: int = 0
    evidenced_month: int = 0  # firms with an on-site visit this month that has evidence (有佐证)

    @property
    def evidenced_pct(self) -> Optional[float]:
        return KPIS["evidenced_coverage"].value(self.evidenced_month, self.firms)

    @property
    def week_pct(self) -> Optional[float]:
        return KPIS["weekly_contact_coverage"].value(self.contacted_week, self.firms)

    @property
    def month_pct(self) -> Optional[float]:
        return KPIS["onsite_coverage"].value(self.onsite_month, self.firms)


@dataclass
class CadreCoverage(CoverageCounts):
    cadre: User = field(kw_only=True)


@dataclass
class CoverageReport:
    week_start: date
    month_start: date
    today: date
    cadres: list[CadreCoverage]
    overdue: list[FirmCadence]
    # Firms whose liaison has no row here (a city-level cadre, an account disabled after an import):
    # still served, so counted in the totals as the monthly report counts them.
    others: CoverageCounts = field(default_factory=CoverageCounts)
    evidence: bool = False  # a park in scope collects on-site evidence: show the 有佐证 figures

    @property
    def totals(self) -> CoverageCounts:
        total = CoverageCounts()
        for row in [*self.cadres, self.others]:
            total.firms += row.firms
            total.contacted_week += row.contacted_week
            total.onsite_month += row.onsite_month
            total.contact_overdue += row.contact_overdue
            total.onsite_overdue += row.onsite_overdue
            total.evidenced_month += row.evidenced_month
        return total


def _coverage_firms(
    user: User,
    today: date,
    park_id: Optional[int],
    chain_id: Optional[int] = None,
    open_problems: bool = True,
):
    stmt = _active_join().where(enterprise_scope_clause(user), Enterprise.status == "active")
    if park_id:
        stmt = stmt.where(Enterprise.park_id == park_id)
    if chain_id:
        stmt = stmt.where(Enterprise.chain_id == chain_id)
    return _firms_with_cadence(stmt, today, open_problems)


def _tally(cov: CoverageCounts, row: FirmCadence, week_start: date, month_start: date) -> None:
    assert row.contact is not None and row.onsite is not None, "coverage counts 在营 firms only"
    cov.firms += 1
    cov.contacted_week += bool(row.contact.last_on and row.contact.last_on >= week_start)
    cov.onsite_month += bool(row.onsite.last_on and row.onsite.last_on >= month_start)
    cov.contact_overdue += row.contact.status == "overdue"
    cov.onsite_overdue += row.onsite.status == "overdue"


def _week_and_month(today: date) -> tuple[date, date]:
    return today - timedelta(days=today.weekday()), today.replace(day=1)


def coverage_report(
    user: User, today: date, park_id: Optional[int] = None, chain_id: Optional[int] = None
) -> CoverageReport:
    """Per cadre: this week's contact coverage and this month's on-site coverage of their 在营 firms."""
    week_start, month_start = _week_and_month(today)
    firms = _coverage_firms(user, today, park_id, chain_id)
    cadre_stmt = visible_cadres(user).where(User.is_active_user.is_(True)).order_by(User.name)
    if park_id:
        cadre_stmt = cadre_stmt.where(User.park_id == park_id)
    by_cadre = {c.id: CadreCoverage(cadre=c) for c in db.session.scalars(cadre_stmt)}
    others = CoverageCounts()
    for row in firms:
        _tally(by_cadre.get(row.cadre_id, others), row, week_start, month_start)
    evidenced = False
    for row in firms:
        if row.last_evidenced is not None and row.last_evidenced >= month_start:
            by_cadre.get(row.cadre_id, others).evidenced_month += 1
            evidenced = True
    overdue = sorted((r for r in firms if r.is_overdue), key=lambda r: r.urgency)
    cadres = sorted(by_cadre.values(), key=lambda c: (c.week_pct is None, c.week_pct or 0, c.cadre.name))
    report = CoverageReport(week_start, month_start, today, cadres, overdue, others)
    report.evidence = bool(evidenced) or any_park_collects({r.park_id for r in firms} or None)
    return report


def coverage_totals(user: User, today: date, park_id: Optional[int] = None) -> tuple[CoverageCounts, int]:
    """The coverage page's totals and its number of overdue firms, without building the per-cadre rows
    (the dashboard's figures; the same rules, so they match /coverage/ and the monthly report: every
    served 在营 firm in scope, whoever its liaison)."""
    week_start, month_start = _week_and_month(today)
    firms = _coverage_firms(user, today, park_id, open_problems=False)
    total = CoverageCounts()
    for row in firms:
        _tally(total, row, week_start, month_start)
    return total, sum(1 for r in firms if r.is_overdue)
