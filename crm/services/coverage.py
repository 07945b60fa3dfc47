"""Cadence of many firms at once: 我的企业 (a cadre's firms by urgency) and the officer coverage view.

Each page costs a constant number of queries: one for the firms with their last-visit aggregate and
open-problem count, one for the parks' cadence settings; statuses are computed in Python.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from crm.extensions import db
from crm.models import Assignment, Enterprise, Problem, User
from crm.models.problem import OPEN_STATUSES
from crm.permissions import enterprise_scope_clause, visible_cadres
from crm.services.cadence import (
    DueStatus,
    cadence_for_parks,
    contact_status,
    last_visits_subquery,
    onsite_status,
)


@dataclass
class FirmCadence:
    firm: Enterprise
    assignment: Optional[Assignment]
    contact: Optional[DueStatus]  # None for firms that are not 在营 (no cadence tracked)
    onsite: Optional[DueStatus]
    last_visit: Optional[date]
    open_problems: int

    @property
    def urgency(self) -> tuple:
        """Overdue first, then due soon; inside a group the earliest due date first."""
        if self.contact is None:
            return (3, date.max, self.firm.name_initials)
        worst = min(self.contact.rank, self.onsite.rank)
        dues = [d for d in (self.contact.due_on, self.onsite.due_on) if d is not None]
        return (worst, min(dues) if dues else date.min, self.firm.name_initials)

    @property
    def first_visit_pending(self) -> bool:
        """After a handover: the successor has not been on site yet, so the handover's deadline applies."""
        a = self.assignment
        if a is None or a.first_visit_due_on is None or self.onsite is None:
            return False
        return self.onsite.last_on is None or self.onsite.last_on < a.start_on

    @property
    def is_overdue(self) -> bool:
        return self.contact is not None and "overdue" in (self.contact.status, self.onsite.status)


def _open_problems_subquery(firm_ids):
    return (
        select(Problem.enterprise_id.label("enterprise_id"), func.count(Problem.id).label("open_problems"))
        .where(Problem.status.in_(OPEN_STATUSES), Problem.enterprise_id.in_(firm_ids))
        .group_by(Problem.enterprise_id)
        .subquery()
    )


def _firms_with_cadence(stmt, today: date) -> list[FirmCadence]:
    """Run a SELECT of (Enterprise, Assignment) rows and attach cadence statuses."""
    # Aggregate only the visits and problems of the firms selected (not the whole city's tables), so
    # one cadre's page costs the same in a park of 200 firms as in a city of 20,000.
    firm_ids = stmt.with_only_columns(Enterprise.id).scalar_subquery()
    visits = last_visits_subquery(firm_ids)
    problems = _open_problems_subquery(firm_ids)
    stmt = (
        stmt.outerjoin(visits, visits.c.enterprise_id == Enterprise.id)
        .outerjoin(problems, problems.c.enterprise_id == Enterprise.id)
        .add_columns(visits.c.last_contact, visits.c.last_onsite, func.coalesce(problems.c.open_problems, 0))
    )
    rows = db.session.execute(stmt).unique().all()
    rules = cadence_for_parks({row[0].park_id for row in rows})
    out = []
    for firm, assignment, last_contact, last_onsite, open_problems in rows:
        if firm.status == "active":
            park_rules = rules[firm.park_id]
            contact = contact_status(last_contact, today, park_rules, firm.is_key)
            onsite = onsite_status(last_onsite, today, park_rules, firm.is_key)
            if (
                assignment is not None
                and assignment.first_visit_due_on
                and (last_onsite is None or last_onsite < assignment.start_on)
            ):
                onsite = _handover_due(onsite, assignment.first_visit_due_on, today, park_rules.due_soon_days)
        else:
            contact = onsite = None
        out.append(FirmCadence(firm, assignment, contact, onsite, last_contact, open_problems))
    return out


def _handover_due(status: DueStatus, due: date, today: date, soon_days: int) -> DueStatus:
    """After a handover the successor's first on-site visit is due by the handover's date, if sooner."""
    if status.due_on is not None and status.due_on <= due:
        return status
    if today > due:
        return DueStatus(status.last_on, due, "overdue")
    return DueStatus(status.last_on, due, "soon" if (due - today).days <= soon_days else status.status)


def my_firms(cadre: User, today: date) -> list[FirmCadence]:
    """The cadre's current firms, most urgent first (我的企业)."""
    stmt = (
        select(Enterprise, Assignment)
        .join(Assignment, (Assignment.enterprise_id == Enterprise.id) & Assignment.end_on.is_(None))
        .where(Assignment.cadre_id == cadre.id)
        .options(contains_eager(Enterprise.active_assignment.of_type(Assignment)))
    )
    rows = _firms_with_cadence(stmt, today)
    return sorted(rows, key=lambda r: r.urgency)


def firm_cadence(firm: Enterprise, today: date) -> FirmCadence:
    """Cadence of one firm (the firm page banner)."""
    stmt = (
        select(Enterprise, Assignment)
        .outerjoin(Assignment, (Assignment.enterprise_id == Enterprise.id) & Assignment.end_on.is_(None))
        .where(Enterprise.id == firm.id)
    )
    return _firms_with_cadence(stmt, today)[0]


@dataclass
class CadreCoverage:
    cadre: User
    firms: int = 0
    contacted_week: int = 0
    onsite_month: int = 0
    contact_overdue: int = 0
    onsite_overdue: int = 0
    overdue_firms: list[FirmCadence] = field(default_factory=list)

    @property
    def week_pct(self) -> Optional[float]:
        return round(100 * self.contacted_week / self.firms, 1) if self.firms else None

    @property
    def month_pct(self) -> Optional[float]:
        return round(100 * self.onsite_month / self.firms, 1) if self.firms else None


@dataclass
class CoverageReport:
    week_start: date
    month_start: date
    today: date
    cadres: list[CadreCoverage]
    overdue: list[FirmCadence]

    @property
    def totals(self) -> CadreCoverage:
        total = CadreCoverage(cadre=None)  # type: ignore[arg-type]
        for row in self.cadres:
            total.firms += row.firms
            total.contacted_week += row.contacted_week
            total.onsite_month += row.onsite_month
            total.contact_overdue += row.contact_overdue
            total.onsite_overdue += row.onsite_overdue
        return total


def coverage_report(
    user: User, today: date, park_id: Optional[int] = None, chain_id: Optional[int] = None
) -> CoverageReport:
    """Per cadre: this week's contact coverage and this month's on-site coverage of their 在营 firms."""
    week_start = today - timedelta(days=today.weekday())
    month_start = today.replace(day=1)
    stmt = (
        select(Enterprise, Assignment)
        .join(Assignment, (Assignment.enterprise_id == Enterprise.id) & Assignment.end_on.is_(None))
        .where(enterprise_scope_clause(user), Enterprise.status == "active")
        .options(contains_eager(Enterprise.active_assignment.of_type(Assignment)))
    )
    if park_id:
        stmt = stmt.where(Enterprise.park_id == park_id)
    if chain_id:
        stmt = stmt.where(Enterprise.chain_id == chain_id)
    firms = _firms_with_cadence(stmt, today)
    cadre_stmt = visible_cadres(user).where(User.is_active_user.is_(True)).order_by(User.name)
    if park_id:
        cadre_stmt = cadre_stmt.where(User.park_id == park_id)
    by_cadre = {c.id: CadreCoverage(c) for c in db.session.scalars(cadre_stmt)}
    for row in firms:
        cov = by_cadre.get(row.assignment.cadre_id)
        if cov is None:  # e.g. a deactivated cadre still holding firms: shown in the overdue list only
            continue
        cov.firms += 1
        cov.contacted_week += bool(row.contact.last_on and row.contact.last_on >= week_start)
        cov.onsite_month += bool(row.onsite.last_on and row.onsite.last_on >= month_start)
        cov.contact_overdue += row.contact.status == "overdue"
        cov.onsite_overdue += row.onsite.status == "overdue"
    overdue = sorted((r for r in firms if r.is_overdue), key=lambda r: r.urgency)
    cadres = sorted(by_cadre.values(), key=lambda c: (c.week_pct is None, c.week_pct or 0, c.cadre.name))
    return CoverageReport(week_start, month_start, today, cadres, overdue)
