"""Warnings the system raises about itself, shown to admins on every page (a banner).

Each source adds its Chinese sentences here: the working-day calendar (a year not loaded) and, from
the reminders, a scheduler job that has not run when it should have.
"""

from datetime import date, datetime
from typing import Optional

from crm.models import User
from crm.services.job_status import job_warnings
from crm.services.workcal import calendar_warnings
from crm.timeutil import utcnow


def system_warnings(user: User, today: date, now: Optional[datetime] = None) -> list[str]:
    """The admin's warnings (empty for every other role: they cannot fix them)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.role != "admin":
        return []
    from crm.jobs import JOBS  # late: the job registry imports the services

    return calendar_warnings(today) + job_warnings(JOBS.values(), now or utcnow())
