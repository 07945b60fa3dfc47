"""Warnings the system raises about itself, shown to admins on every page (a banner).

Each source adds its Chinese sentences here: the working-day calendar (a year not loaded), from
the reminders, a scheduler job that has not run when it should have, and departments without a
部门负责人 (their level-2 escalations go to the park's officers and the admins instead).
"""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import Department, User
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
    return calendar_warnings(today) + job_warnings(jobs, now or utcnow()) + headless_department_warnings()


def headless_department_warnings() -> list[str]:
    """Active departments with no active handler marked 部门负责人 (none at all, or none a head)."""
    head = (
        select(User.id)
        .where(
            User.department_id == Department.id,
            User.role == "handler",
            User.is_dept_head.is_(True),
            User.is_active_user.is_(True),
        )
        .exists()
    )
    names = list(
        db.session.scalars(
            select(Department.name).where(Department.is_active.is_(True), ~head).order_by(Department.id)
        )
    )
    if not names:
        return []
    return [
        f"以下部门没有部门负责人，问题升级至平台部门协调时无人接收（将改为通知园区管理员和系统管理员）："
        f"{'、'.join(names)}。请在用户管理中为其经办人设置部门负责人。"
    ]
