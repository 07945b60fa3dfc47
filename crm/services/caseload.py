"""Read side of 一企一人: cadres with their caseload counts, and handover lists."""
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Assignment, Enterprise, Handover, User
from crm.permissions import visible_cadres


def cadres_with_counts(user: User) -> Select:
    """Visible cadres with (firms, key firms) counts of their active assignments, in one query."""
    counts = (
        select(
            Assignment.cadre_id.label("cadre_id"),
            func.count(Assignment.id).label("firms"),
            func.count(Assignment.id).filter(Enterprise.is_key.is_(True)).label("key_firms"),
        )
        .join(Enterprise, Enterprise.id == Assignment.enterprise_id)
        .where(Assignment.end_on.is_(None))
        .group_by(Assignment.cadre_id)
        .subquery()
    )
    cadres = visible_cadres(user).subquery()
    return (
        select(User, func.coalesce(counts.c.firms, 0), func.coalesce(counts.c.key_firms, 0))
        .join(cadres, cadres.c.id == User.id)
        .outerjoin(counts, counts.c.cadre_id == User.id)
        .options(joinedload(User.park))
        .order_by(User.is_active_user.desc(), User.name)
    )


def caseload_query(cadre: User) -> Select:
    """The cadre's current firms with park, chain and assignment loaded."""
    return (
        select(Assignment)
        .join(Enterprise, Enterprise.id == Assignment.enterprise_id)
        .where(Assignment.cadre_id == cadre.id, Assignment.end_on.is_(None))
        .options(joinedload(Assignment.enterprise).joinedload(Enterprise.chain))
        .order_by(Enterprise.is_key.desc(), Enterprise.name_initials)
    )


def handovers_query(user: User) -> Select:
    """Handovers involving cadres the user may see, newest first."""
    cadre_ids = visible_cadres(user).with_only_columns(User.id)
    return (
        select(Handover)
        .where(Handover.from_cadre_id.in_(cadre_ids) | Handover.to_cadre_id.in_(cadre_ids))
        .options(joinedload(Handover.from_cadre), joinedload(Handover.to_cadre), joinedload(Handover.created_by))
        .order_by(Handover.created_at.desc(), Handover.id.desc())
    )


def handover_rows(handover: Handover) -> list[Assignment]:
    """The successor's assignments created by this handover, firms loaded (the 交接清单)."""
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.handover_id == handover.id)
            .options(joinedload(Assignment.enterprise).joinedload(Enterprise.chain))
            .order_by(Assignment.id)
        )
    )
