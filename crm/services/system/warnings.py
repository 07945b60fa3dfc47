"""Warnings the system raises about itself, shown to admins on every page (a banner).

Each source adds its Chinese sentences here: the working-day calendar (a year not loaded) and, from
the reminders, a scheduler job that has not run when it should have.
"""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Optional

from crm.models import User
from crm.services.system.job_status import job_warnings
from crm.services.workdays.calendar import calendar_warnings
from crm.timeutil import utcnow


def system_warnings(
    user: User, today: date, now: Optional[datetime] = None, jobs: Iterable[Any] = ()
) -> list[str]:
    """The admin's warnings (empty for every other role: they cannot fix them).

    `jobs` is the scheduler's job registry (crm.jobs.JOBS values), passed in by the caller: the
    registry sits above the services, so they never import it.
    """
    if user is None or not getattr(user, "is_authenticated", False) or user.role != "admin":
        return []
    return calendar_warnings(today) + job_warnings(jobs, now or utcnow())
