"""Who may see and do what: scoped queries, can(), decorators and guarded loaders.

Views, services and templates ask this module; nobody hand-rolls a role check.
Out-of-scope objects answer 404 (no existence leak); visible but forbidden actions answer 403.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, Optional

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, exists, false, or_, select, true

from crm.extensions import db
from crm.models import (
    Assignment,
    Attachment,
    CommonIssue,
    Department,
    Enterprise,
    GeneratedReport,
    ImportTask,
    Notification,
    Park,
    ParkSetting,
    Policy,
    Problem,
    ProblemEvent,
    TypicalCase,
    User,
    Visit,
)
from crm.models.problem_workflow import WORKFLOW
from crm.models.settings import DEFAULT_CADENCE
from crm.permissions.actions import ACTION_ROLES
from crm.timeutil import to_local, today

CITY_WIDE_ROLES = {"admin", "leader"}

# Steps a department takes: only a handler of the problem's department (and, when the problem names
# a handler, only that handler or the department head).
HANDLER_ACTIONS = {step.right for step in WORKFLOW.values() if step.department_step}


def _park_limited(user: User) -> bool:
    """True when the user's scope is one park (officers, cadres, handlers, park-level leaders)."""
    return user.park_id is not None and user.role != "admin"


def is_park_limited(user: User) -> bool:
    """True when the user's scope is one park (the public name of the rule every scoped query uses)."""
    return _park_limited(user)


def manages_park(user: User, park_id: Optional[int]) -> bool:
    """Whether a park lies in the user's scope for writing: their own park, or any for city-wide users."""
    return not _park_limited(user) or park_id == user.park_id


def visible_departments(user: User) -> Select:
    """SELECT of the departments a user may filter by: city-level ones and those of their own park."""
    stmt = select(Department).order_by(Department.park_id.is_not(None), Department.name, Department.id)
    if _park_limited(user):
        return stmt.where(or_(Department.park_id.is_(None), Department.park_id == user.park_id))
    return stmt


def is_city_wide(user: User) -> bool:
    """Admins, and leaders without a park, see every park."""
    return user.role == "admin" or (user.role in CITY_WIDE_ROLES and user.park_id is None)


def report_parks(user: User) -> Select:
    """SELECT of the parks the user may generate a monthly report for (city-wide users: every park)."""
    stmt = select(Park).order_by(Park.id)
    if not can(user, "report.generate"):
        return stmt.where(false())
    return stmt if is_city_wide(user) else stmt.where(Park.id == user.park_id)


def visible_reports(user: User) -> Select:
    """SELECT of the generated reports the user may list and download, newest first."""
    stmt = select(GeneratedReport).order_by(GeneratedReport.created_at.desc(), GeneratedReport.id.desc())
    if not can(user, "report.view"):
        return stmt.where(false())
    if is_city_wide(user):
        return stmt
    if user.park_id is None:
        return stmt.where(false())
    return stmt.where(GeneratedReport.park_id == user.park_id)


def visible_enterprises(user: User) -> Select:
    """SELECT of the firms this user may see."""
    stmt = select(Enterprise)
    return stmt.where(enterprise_scope_clause(user))


def enterprise_scope_clause(user: User):
    """WHERE clause restricting Enterprise rows to the user's scope."""
    if user.role == "cadre":
        return exists().where(
            Assignment.enterprise_id == Enterprise.id,
            Assignment.cadre_id == user.id,
            Assignment.end_on.is_(None),
        )
    if user.role in {"officer", "handler"} and user.park_id is None:
        # An officer must belong to a park; a city-level handler serves every park.
        return true() if user.role == "handler" else Enterprise.id.is_(None)
    if _park_limited(user):
        return Enterprise.park_id == user.park_id
    if user.role in CITY_WIDE_ROLES:
        return true()
    return Enterprise.id.is_(None)


def visible_parks(user: User) -> Select:
    """SELECT of the parks a user may see or pick in a filter (their own park, or all for city-wide)."""
    stmt = select(Park).order_by(Park.id)
    if _park_limited(user):
        return stmt.where(Park.id == user.park_id)
    return stmt


def may_import_into(user: User, park: Park) -> bool:
    """Whether a user may import firms into a park: every park for admins, else their own park only."""
    return user.role == "admin" or park.id == user.park_id


def visible_cadres(user: User) -> Select:
    """SELECT of the cadres this user may look at or assign to."""
    stmt = select(User).where(User.role == "cadre")
    if user.role == "cadre":
        return stmt.where(User.id == user.id)
    if user.role in {"officer", "handler"} or _park_limited(user):
        return stmt.where(User.park_id == user.park_id)
    if user.role in CITY_WIDE_ROLES:
        return stmt
    return stmt.where(User.id.is_(None))


def is_in_scope(user: User, obj: Any) -> bool:
    """Whether obj lies inside the user's scope (visibility, not permission to act)."""
    if isinstance(obj, Enterprise):
        if user.role == "cadre":
            assignment = obj.active_assignment
            return assignment is not None and assignment.cadre_id == user.id
        if user.role == "admin" or (user.role in CITY_WIDE_ROLES and user.park_id is None):
            return True
        if user.role == "handler" and user.park_id is None:
            return True
        return user.park_id is not None and obj.park_id == user.park_id
    if isinstance(obj, Visit):
        return is_in_scope(user, obj.enterprise)
    if isinstance(obj, Problem):
        if user.role == "handler":
            return user.department_id is not None and obj.department_id == user.department_id
        return is_in_scope(user, obj.enterprise)
    if isinstance(obj, Park):
        return user.role == "admin" or user.park_id == obj.id
    if isinstance(obj, GeneratedReport):
        return is_city_wide(user) or (obj.park_id is not None and obj.park_id == user.park_id)
    if isinstance(obj, Policy):
        return is_city_wide(user) or obj.park_id is None or obj.park_id == user.park_id
    if isinstance(obj, (TypicalCase, CommonIssue)):  # park knowledge: the whole park's, or every park's
        return not _park_limited(user) or obj.park_id is None or obj.park_id == user.park_id
    if isinstance(obj, User):
        if user.role == "cadre":
            return obj.id == user.id
        if user.role == "admin" or (user.role == "leader" and user.park_id is None):
            return True
        return user.park_id is not None and obj.park_id == user.park_id
    return True


def can(user: Optional[User], action: str, obj: Any = None) -> bool:
    """May this user perform action (on obj, if given)?"""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role not in ACTION_ROLES.get(action, set()):
        return False
    if obj is not None and not is_in_scope(user, obj):
        return False
    if action == "visit.edit" and isinstance(obj, Visit):
        return _may_correct_visit(user, obj)
    if action == "visit.location" and isinstance(obj, Visit):
        return _may_see_location(user, obj)
    if action == "policy.manage" and isinstance(obj, Policy):
        # A city-wide policy is the admins'; a park's policy its own office's.
        return user.role == "admin" or (obj.park_id is not None and obj.park_id == user.park_id)
    if isinstance(obj, Problem) and action in HANDLER_ACTIONS:
        return obj.handler_id in (None, user.id) or user.is_dept_head
    return True


def _may_correct_visit(user: User, visit: Visit) -> bool:
    """Authors correct their own visit within the park's window; officers and admins at any time."""
    if user.role in {"admin", "officer"}:
        return True
    if visit.cadre_id != user.id:
        return False
    setting = db.session.get(ParkSetting, visit.enterprise.park_id)
    window = setting.visit_edit_days if setting else DEFAULT_CADENCE["visit_edit_days"]
    logged_on = to_local(visit.created_at).date() if visit.created_at else visit.visited_on
    return (today() - logged_on).days <= window


def _may_see_location(user: User, visit: Visit) -> bool:
    """The cadre who logged the visit, and officers and leaders of the visited firm's own park."""
    if user.role == "cadre":
        return visit.cadre_id == user.id
    return user.park_id is not None and user.park_id == visit.enterprise.park_id


def roles_required(*actions: str) -> Callable:
    """View decorator: 403 unless the current user may perform every given action."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            for action in actions:
                if not can(current_user, action):
                    abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def get_enterprise_or_404(enterprise_id: int, action: str = "enterprise.view") -> Enterprise:
    """Load a firm the current user may see (else 404) and may act on (else 403)."""
    firm = db.session.scalar(visible_enterprises(current_user).where(Enterprise.id == enterprise_id))
    if firm is None:
        abort(404)
    if not can(current_user, action, firm):
        abort(403)
    return firm


def visible_policies(user: User) -> Select:
    """SELECT of the policies a user may see: the city-wide ones and those of the parks in scope."""
    stmt = select(Policy)
    if not can(user, "policy.view"):
        return stmt.where(false())
    if is_city_wide(user):
        return stmt
    if user.park_id is None:
        return stmt.where(Policy.park_id.is_(None))
    return stmt.where(or_(Policy.park_id.is_(None), Policy.park_id == user.park_id))


def get_policy_or_404(policy_id: int, action: str = "policy.view") -> Policy:
    """Load a policy the current user may see (else 404) and may act on (else 403)."""
    policy = db.session.scalar(visible_policies(current_user).where(Policy.id == policy_id))
    if policy is None:
        abort(404)
    if not can(current_user, action, policy):
        abort(403)
    return policy


def get_import_task_or_404(task_id: int) -> ImportTask:
    """Load a background import task: its creator's, or any for an admin (else 404)."""
    task = db.session.get(ImportTask, task_id)
    if task is None or not (task.created_by_id == current_user.id or current_user.role == "admin"):
        abort(404)
    return task


def get_visit_or_404(visit_id: int, action: str = "visit.view") -> Visit:
    """Load a visit whose firm the current user may see (else 404) and check the action (else 403)."""
    visit = db.session.scalar(
        select(Visit)
        .join(Enterprise, Enterprise.id == Visit.enterprise_id)
        .where(Visit.id == visit_id, enterprise_scope_clause(current_user))
    )
    if visit is None:
        abort(404)
    if not can(current_user, action, visit):
        abort(403)
    return visit


def visible_visits(user: User) -> Select:
    """SELECT of visits to firms in the user's scope (cadres: the firms they serve now)."""
    return (
        select(Visit)
        .join(Enterprise, Enterprise.id == Visit.enterprise_id)
        .where(enterprise_scope_clause(user))
    )


def problem_scope_clause(user: User):
    """WHERE clause restricting Problem rows (joined with Enterprise) to the user's scope."""
    if user.role == "handler":
        # A department sees the problems handed to it, whatever the park.
        return Problem.department_id == user.department_id if user.department_id else false()
    return enterprise_scope_clause(user)


def visible_problems(user: User) -> Select:
    """SELECT of the problems this user may see (joined with their firm)."""
    return (
        select(Problem)
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(problem_scope_clause(user))
    )


def handler_queue_clause(user: User):
    """WHERE clause: the department's problems this handler works on (as can() allows for HANDLER_ACTIONS).

    A problem named for another handler belongs to that handler; the department head sees them all.
    """
    if user.role != "handler":
        return false()
    if user.is_dept_head:
        return true()
    return or_(Problem.handler_id.is_(None), Problem.handler_id == user.id)


def escalated_problems(user: User) -> Select:
    """SELECT of the escalated problems (level >= 2) this user answers for or oversees.

    Leaders: levels 3 up to their own (a 区主要领导 also sees the 区分管领导 level); department heads:
    their department's from level 2; officers and admins: every escalated problem in scope.
    """
    stmt = visible_problems(user)
    level = user.escalation_level
    if user.role == "leader":
        return stmt.where(Problem.level >= 3, Problem.level <= (level or 3))
    if user.role in {"admin", "officer"} or level == 2:
        return stmt.where(Problem.level >= 2)
    return stmt.where(false())


def get_problem_or_404(problem_id: int, action: str = "problem.view") -> Problem:
    """Load a problem the current user may see (else 404) and may act on (else 403)."""
    problem = db.session.scalar(visible_problems(current_user).where(Problem.id == problem_id))
    if problem is None:
        abort(404)
    if not can(current_user, action, problem):
        abort(403)
    return problem


def get_attachment_or_404(attachment_id: int, through: str) -> Attachment:
    """Load an attachment the current user may see (else 404).

    through="problem": a problem's or a problem step's file, visible with the problem;
    through="firm": any file of a firm the user may see with the attachment.view right.
    """
    att = db.session.get(Attachment, attachment_id)
    if att is None:
        abort(404)
    if through == "firm":
        get_enterprise_or_404(att.enterprise_id, "attachment.view")
        return att
    if att.owner_type == "problem":
        problem_id: Optional[int] = att.owner_id
    elif att.owner_type == "problem_event":
        problem_id = db.session.scalar(select(ProblemEvent.problem_id).where(ProblemEvent.id == att.owner_id))
    else:
        abort(404)
    get_problem_or_404(problem_id or 0)
    return att


def get_report_or_404(report_id: int) -> GeneratedReport:
    """Load a generated report in the current user's scope (else 404)."""
    report = db.session.scalar(visible_reports(current_user).where(GeneratedReport.id == report_id))
    if report is None:
        abort(404)
    return report


def get_cadre_or_404(user_id: int, action: str = "cadre.caseload") -> User:
    """Load a cadre in the current user's scope (else 404) and check the action (else 403)."""
    cadre = db.session.scalar(visible_cadres(current_user).where(User.id == user_id))
    if cadre is None:
        abort(404)
    if not can(current_user, action, cadre):
        abort(403)
    return cadre


def get_notification_or_404(notification_id: int) -> Notification:
    """Load one of the current user's own notifications; anyone else's answers 404."""
    mine = Notification.user_id == current_user.id
    note = db.session.scalar(select(Notification).where(Notification.id == notification_id, mine))
    if note is None or not can(current_user, "notification.view"):
        abort(404)
    return note
