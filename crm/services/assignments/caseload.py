"""Read side of 一企一人: cadres with their caseload counts, and handover lists."""

import hashlib

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Assignment, Enterprise, Handover, Problem, User
from crm.models.problem import OPEN_STATUSES
from crm.permissions import visible_cadres


def cadres_query(user: User) -> Select:
    """Visible cadres, active ones first, with their park loaded."""
    return visible_cadres(user).options(joinedload(User.park)).order_by(User.is_active_user.desc(), User.name)


def caseload_counts(cadre_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{cadre_id: (firms, key firms)} of current assignments, for one page of cadres in one query."""
    if not cadre_ids:
        return {}
    rows = db.session.execute(
        select(
            Assignment.cadre_id,
            func.count(Assignment.id),
            func.count(Assignment.id).filter(Enterprise.is_key.is_(True)),
        )
        .join(Enterprise, Enterprise.id == Assignment.enterprise_id)
        .where(Assignment.end_on.is_(None), Assignment.cadre_id.in_(cadre_ids))
        .group_by(Assignment.cadre_id)
    )
    return {cadre_id: (firms, key_firms) for cadre_id, firms, key_firms in rows}


def handovers_query(user: User) -> Select:
    """Handovers involving cadres the user may see, newest first."""
    cadre_ids = visible_cadres(user).with_only_columns(User.id)
    return (
        select(Handover)
        .where(Handover.from_cadre_id.in_(cadre_ids) | Handover.to_cadre_id.in_(cadre_ids))
        .options(
            joinedload(Handover.from_cadre), joinedload(Handover.to_cadre), joinedload(Handover.created_by)
        )
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


def handover_problems(rows: list[Assignment]) -> list[Problem]:
    """Open problems of the handed-over firms: the successor follows them up (回访) from now on."""
    ids = [a.enterprise_id for a in rows]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Problem)
            .where(Problem.enterprise_id.in_(ids), Problem.status.in_(OPEN_STATUSES))
            .options(joinedload(Problem.enterprise), joinedload(Problem.department))
            .order_by(Problem.enterprise_id, Problem.raised_on, Problem.id)
        )
    )


def handover_token(
    from_cadre: User,
    to_cadre: User,
    reason: str,
    note: str,
    days: int,
    assignment_ids: list[int],
    problem_ids: list[int],
) -> str:
    """A fingerprint of what the officer saw: who, why, and exactly which firms and open problems."""
    text = "|".join(
        [
            str(from_cadre.id),
            str(to_cadre.id),
            reason,
            (note or "").strip(),
            str(days),
            ",".join(map(str, sorted(assignment_ids))),
            ",".join(map(str, sorted(problem_ids))),
        ]
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
