"""Visit reminders a logged visit answers: 联系已逾期 / 即将到期 and 上门 ones of the same firm are done
once the firm's contact (any kind of visit) or on-site visit is no longer due at the date they named.

The reminders' keys name what they were about (crm.services.reminders.scheduled):
visit:<contact|onsite>:<soon|overdue>:<firm>:<due date|never>. After the visit, the firm's cadence is
computed again; a reminder is answered when that status is now fine, or when its due date has moved
past the one the reminder named.
"""

from datetime import date, datetime
from typing import Optional

from crm.models import Enterprise, Notification, Visit
from crm.services.notifications.settle import mark_done, pending
from crm.services.visits.cadence import DueStatus
from crm.services.visits.coverage import firm_cadence


def _answered(status: Optional[DueStatus], named_due: str) -> bool:
    if status is None:  # the firm is no longer 在营: its cadence is not tracked, nothing is due
        return True
    if status.status == "ok":
        return True
    if status.due_on is None:
        return False
    if named_due == "never":
        return True
    try:
        return status.due_on > date.fromisoformat(named_due)
    except ValueError:
        return False


def settle_answered_reminders(
    firm: Enterprise, visit: Visit, today: date, now: Optional[datetime] = None
) -> int:
    """Mark the firm's visit reminders that this visit answered done (for every recipient); how many."""
    reminders = pending(
        Notification.kind == "visit_due",
        Notification.enterprise_id == firm.id,
        Notification.dedupe_key.like("visit:%"),
    )
    if not reminders:
        return 0
    row = firm_cadence(firm, today)
    statuses = {"contact": row.contact, "onsite": row.onsite}
    done = []
    for reminder in reminders:
        parts = reminder.dedupe_key.split(":")
        if len(parts) != 5 or parts[1] not in statuses:
            continue
        if _answered(statuses[parts[1]], parts[4]):
            done.append(reminder.id)
    note = f"已于 {visit.visited_on:%Y-%m-%d} 登记走访（{visit.kind_label}）"
    return mark_done(done, note, now)
