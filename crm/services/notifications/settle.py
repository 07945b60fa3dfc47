"""Reminders whose cause went away are done: read, no longer current, with what settled them.

A reminder says "do this" (联系已逾期, 签收期限已过); once it is done — the visit logged, the problem
signed — it must not stay unread in the bell. The domain that knows a reminder's cause decides which
ones a change answers (crm.services.visits.answers, crm.services.problems.settle, a handover) and calls
mark_done(); a reminder already done keeps its first note.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Optional

from sqlalchemy import ColumnElement, func, select, update

from crm.extensions import db
from crm.models import Notification
from crm.timeutil import utcnow

NOTE_MAX = 200
# The kinds that ask the reader to do something about a firm or a problem.
FIRM_REMINDER_KINDS = ("visit_due", "problem_deadline", "problem_event")


def mark_done(ids: Iterable[int], note: str, now: Optional[datetime] = None) -> int:
    """Mark these pending notifications done (and read, if they were not): returns how many changed."""
    ids = sorted(set(ids))
    if not ids:
        return 0
    now = now or utcnow()
    result = db.session.execute(
        update(Notification)
        .where(Notification.id.in_(ids), Notification.done_at.is_(None))
        .values(done_at=now, done_note=note[:NOTE_MAX], read_at=func.coalesce(Notification.read_at, now))
        .execution_options(synchronize_session="fetch")
    )
    # An UPDATE returns a CursorResult, which Session.execute's stubs type as a plain Result.
    return result.rowcount or 0  # type: ignore[attr-defined]


def pending(*where: ColumnElement[bool]) -> list[Notification]:
    """Notifications not done yet that match the conditions, oldest first."""
    return list(
        db.session.scalars(
            select(Notification).where(Notification.done_at.is_(None), *where).order_by(Notification.id)
        )
    )


def settle_firm_reminders(
    user_id: int, firm_ids: Iterable[int], note: str, now: Optional[datetime] = None
) -> int:
    """A user's pending reminders about these firms are done (the firms were handed over to another)."""
    firm_ids = sorted(set(firm_ids))
    if not firm_ids:
        return 0
    rows = pending(
        Notification.user_id == user_id,
        Notification.enterprise_id.in_(firm_ids),
        Notification.kind.in_(FIRM_REMINDER_KINDS),
    )
    return mark_done((n.id for n in rows), note, now)
