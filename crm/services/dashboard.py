"""Read-only figures for the home pages (constant number of queries)."""

from dataclasses import dataclass

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Assignment, Enterprise, User
from crm.permissions import enterprise_scope_clause, visible_cadres

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


def unassigned_clause():
    """Active firms with no current liaison."""
    has_active = (
        select(Assignment.id)
        .where(Assignment.enterprise_id == Enterprise.id, Assignment.end_on.is_(None))
        .exists()
    )
    return (Enterprise.status == "active") & ~has_active


def officer_dashboard(user: User) -> OfficerDashboard:
    """KPIs for the officer/leader home page; unassigned active firms are the headline warning."""
    scope = enterprise_scope_clause(user)
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
    cadres = db.session.scalar(
        select(func.count()).select_from(visible_cadres(user).where(User.is_active_user.is_(True)).subquery())
    )
    preview = list(
        db.session.scalars(
            select(Enterprise)
            .where(scope, unassigned_clause())
            .order_by(Enterprise.is_key.desc(), Enterprise.name)
            .limit(UNASSIGNED_PREVIEW)
        )
    )
    return OfficerDashboard(row[0], row[1], row[2], row[3], row[4], cadres or 0, preview)
