"""Deadline reminders a step answers: a 签收/反馈/进展/办结 reminder (problem:<id>:deadline:<date>:<colour>,
crm.services.reminders.scheduled) is done once no deadline still to meet falls on the date it named —
the step met it, an extension moved it, or the problem left the clock (办结, 退回, 销号)."""

from datetime import date, datetime

from crm.models import Notification, Problem
from crm.models.problem import unmet_deadlines
from crm.services.notifications.settle import mark_done, pending


def settle_deadline_reminders(problem: Problem, step_label: str, day: date, now: datetime) -> int:
    """Mark the problem's deadline reminders the step answered done (for every recipient); how many."""
    reminders = pending(Notification.kind == "problem_deadline", Notification.problem_id == problem.id)
    if not reminders:
        return 0
    still_due = {due.isoformat() for _checkpoint, due in unmet_deadlines(problem)}
    done = []
    for reminder in reminders:
        parts = reminder.dedupe_key.split(":")
        if len(parts) == 5 and parts[2] == "deadline" and parts[3] not in still_due:
            done.append(reminder.id)
    return mark_done(done, f"已{step_label}（{day:%Y-%m-%d}）", now)
