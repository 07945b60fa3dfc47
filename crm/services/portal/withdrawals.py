"""撤单质检: every confirmed withdrawal of a month, for the park office to review (属实 / 不属实).

The review itself is the workflow step review_withdrawal (crm.models.problem_workflow): 不属实 reopens the
problem at the park office and counts against the department that was handling it.
"""

from datetime import date
from typing import Optional

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Enterprise, Problem, User, Withdrawal
from crm.permissions import enterprise_scope_clause


def visible_withdrawals(
    user: User, start: Optional[date] = None, end: Optional[date] = None, pending=False
) -> Select:
    """SELECT of withdrawals of firms in the user's scope, withdrawn between start and end, newest first."""
    stmt = (
        select(Withdrawal)
        .join(Enterprise, Enterprise.id == Withdrawal.enterprise_id)
        .where(enterprise_scope_clause(user))
        .options(
            joinedload(Withdrawal.problem).joinedload(Problem.enterprise),
            joinedload(Withdrawal.department),
            joinedload(Withdrawal.requested_by),
            joinedload(Withdrawal.confirmed_by),
            joinedload(Withdrawal.reviewed_by),
        )
        .order_by(Withdrawal.review.is_not(None), Withdrawal.withdrawn_on.desc(), Withdrawal.id.desc())
    )
    if start is not None and end is not None:
        stmt = stmt.where(Withdrawal.withdrawn_on.between(start, end))
    if pending:
        stmt = stmt.where(Withdrawal.review.is_(None))
    return stmt


def unreviewed_count(user: User) -> int:
    """Withdrawals in the user's scope still waiting for their 质检, whatever the month (one query)."""
    stmt = (
        select(func.count(Withdrawal.id))
        .join(Enterprise, Enterprise.id == Withdrawal.enterprise_id)
        .where(enterprise_scope_clause(user), Withdrawal.review.is_(None))
    )
    return db.session.scalar(stmt) or 0
