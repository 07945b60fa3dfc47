"""Warnings the system raises about itself, shown to admins on every page (a banner).

Each source adds its Chinese sentences here: the working-day calendar (a year not loaded) and, from
the reminders, a scheduler job that has not run when it should have.
"""

from datetime import date

from crm.models import User
from crm.services.workcal import calendar_warnings


def system_warnings(user: User, today: date) -> list[str]:
    """The admin's warnings (empty for every other role: they cannot fix them)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.role != "admin":
        return []
    return calendar_warnings(today)
