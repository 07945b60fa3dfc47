"""Read-only figures for the home pages (constant number of queries)."""

from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from sqlalchemy import and_, func, select

from crm.extensions import db
from crm.models import Assignment, Enterprise, User
from crm.permissions import enterprise_scope_clause, visible_cadres
from crm.services.enterprises.queries import unassigned_clause

UNASSIGNED_PREVIEW = 20


@dataclass
class OfficerDashboard:
    firms: int
    key_firms: int
    active_firms: int
    assigned: int
    unassigned: int
    cadres: int
    unassigned_firms: list[Enterprise]
    visits: Optional["VisitKpis"] = field(default=None)
    unassigned_ids: list[int] = field(default_factory=list)


@dataclass
class VisitKpis:
    """This week's contact and this month's on-site coverage of the assigned 在营 firms, and overdue firms."""

    firms: int
    week_pct: Optional[float]
    month_pct: Optional[float]
    overdue: int


def registry_counts(user: User, park_id: Optional[int] = None) -> tuple[int, int, int, int, int, int]:
    """Firms, key firms, 在营 firms, firms served, firms unassigned and active cadres in scope (2 queries)."""
    scope = enterprise_scope_clause(user)
    if park_id:
        scope = and_(scope, Enterprise.park_id == park_id)
    has_active = (
        select(Assignment.id)
        .where(Assignment.enterprise_id == Enterprise.id, Assignment.end_on.is_(None))
        .exists()
    )
    row = db.session.execute(
        select(
            func.count(Enterprise.id),
            func.count(Enterprise.id).filter(Enterprise.is_key.is_(True)),
            func.count(Enterprise.id).filter(Enterprise.status == "active"),
            func.count(Enterprise.id).filter(has_active),
            func.count(Enterprise.id).filter(unassigned_clause()),
        ).where(scope)
    ).one()
    cadre_stmt = visible_cadres(user).where(User.is_active_user.is_(True))
    if park_id:
        cadre_stmt = cadre_stmt.where(User.park_id == park_id)
    cadres = db.session.scalar(select(func.count()).select_from(cadre_stmt.subquery()))
    return row[0], row[1], row[2], row[3], row[4], cadres or 0


def officer_dashboard(user: User, today: date, park_id: Optional[int] = None) -> OfficerDashboard:
    """KPIs for the officer/leader home page (optionally one park of a city-wide user's scope); plain
    figures only (cacheable): the unassigned firms themselves come from unassigned_preview()."""
    # Ids, not objects: the figures are cached across requests (figure_cache), ORM objects must not be.
    board = OfficerDashboard(*registry_counts(user, park_id), [])
    board.unassigned_ids = unassigned_preview_ids(user, park_id)
    from crm.services.visits.coverage import coverage_totals

    totals, overdue = coverage_totals(user, today, park_id)
    board.visits = VisitKpis(totals.firms, totals.week_pct, totals.month_pct, overdue)
    return board


def unassigned_preview_ids(user: User, park_id: Optional[int] = None) -> list[int]:
    """Ids of the first unassigned active firms (key firms first) for the dashboard's warning list."""
    scope = enterprise_scope_clause(user)
    if park_id:
        scope = and_(scope, Enterprise.park_id == park_id)
    return list(
        db.session.scalars(
            select(Enterprise.id)
            .where(scope, unassigned_clause())
            .order_by(Enterprise.is_key.desc(), Enterprise.name)
            .limit(UNASSIGNED_PREVIEW)
        )
    )


def firms_by_ids(ids: list[int]) -> list[Enterprise]:
    """The firms of the given ids, in that order (one query)."""
    if not ids:
        return []
    found = {f.id: f for f in db.session.scalars(select(Enterprise).where(Enterprise.id.in_(ids)))}
    return [found[i] for i in ids if i in found]
