"""What a handover (crm.services.assignments) will move, shown before it is done: the firms with their
visit due dates now and after (the cadence lives here), their open problems with their deadlines, and the
predecessor's reminders it settles.

The officer confirms what they saw: the preview carries a fingerprint of it, and the handover refuses
to run when the caseload changed in between (a firm assigned or taken away, a problem raised).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Notification, Problem, User
from crm.services.assignments.caseload import handover_problems, handover_token
from crm.services.assignments.operations import (
    HANDOVER_FIRST_VISIT_DAYS,
    HANDOVER_REASONS,
    check_handover,
)
from crm.services.notifications.settle import FIRM_REMINDER_KINDS
from crm.services.visits.coverage import FirmCadence, hydrate, my_firms


@dataclass
class HandoverPreview:
    from_cadre: User
    to_cadre: User
    reason: str
    note: str
    handed_on: date
    first_visit_due_on: date
    firms: list[FirmCadence]  # the predecessor's firms, most urgent first, with their due dates now
    problems: list[Problem]  # open problems of those firms, with their deadlines
    reminders: int  # the predecessor's pending reminders about those firms (settled by the handover)
    token: str = field(default="")

    @property
    def reason_label(self) -> str:
        return HANDOVER_REASONS[self.reason]

    @property
    def overdue_firms(self) -> int:
        return sum(1 for row in self.firms if row.is_overdue)

    def successor_due(self, row: FirmCadence) -> date:
        """The successor's first on-site visit is due by the handover's date, or by the firm's regular
        due date if that falls between the handover and it (as crm.services.visits.coverage computes)."""
        regular = row.onsite.due_on if row.onsite is not None else None
        if regular is not None and self.handed_on <= regular <= self.first_visit_due_on:
            return regular
        return self.first_visit_due_on

    def problems_of(self, firm_id: int) -> list[Problem]:
        return [p for p in self.problems if p.enterprise_id == firm_id]


def pending_reminders(cadre: User, firm_ids: list[int]) -> int:
    """How many of the cadre's reminders about these firms are still pending (not done)."""
    if not firm_ids:
        return 0
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == cadre.id,
                Notification.enterprise_id.in_(firm_ids),
                Notification.done_at.is_(None),
                Notification.kind.in_(FIRM_REMINDER_KINDS),
            )
        )
        or 0
    )


def preview_handover(
    from_cadre: User,
    to_cadre: User,
    actor: User,
    today: date,
    reason: str,
    note: str = "",
    first_visit_days: Optional[int] = None,
) -> HandoverPreview:
    """Everything handover_caseload would move, checked by the same rules; writes nothing."""
    rows = check_handover(from_cadre, to_cadre, actor, reason, note)
    days = HANDOVER_FIRST_VISIT_DAYS if first_visit_days is None else first_visit_days
    firms = list(hydrate(my_firms(from_cadre, today)))
    problems = handover_problems(rows)
    preview = HandoverPreview(
        from_cadre=from_cadre,
        to_cadre=to_cadre,
        reason=reason,
        note=(note or "").strip(),
        handed_on=today,
        first_visit_due_on=today + timedelta(days=days),
        firms=firms,
        problems=problems,
        reminders=pending_reminders(from_cadre, [a.enterprise_id for a in rows]),
    )
    preview.token = handover_token(
        from_cadre, to_cadre, reason, note, days, [a.id for a in rows], [p.id for p in problems]
    )
    return preview
