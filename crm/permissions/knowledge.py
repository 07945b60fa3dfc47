"""Scope of what the park learns from its problems: 典型案例 and 共性问题 are the park's shared knowledge,
seen by everyone of the park whatever firms they serve (a cadre learns from other cadres' firms);
city-wide users see every park's. Who may report a 专班's progress is decided here too."""

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, false, or_, select

from crm.extensions import db
from crm.models import CommonIssue, TypicalCase, User
from crm.permissions import can, is_park_limited


def visible_cases(user: User, include_withdrawn: bool = False) -> Select:
    """SELECT of the 典型案例 the user may read: published ones (withdrawn ones too for the office)."""
    stmt = select(TypicalCase)
    if not can(user, "case.view"):
        return stmt.where(false())
    if is_park_limited(user):
        stmt = stmt.where(TypicalCase.park_id == user.park_id)
    if not (include_withdrawn and can(user, "case.manage")):
        stmt = stmt.where(TypicalCase.status == "published")
    return stmt


def get_case_or_404(case_id: int, action: str = "case.view") -> TypicalCase:
    """Load a case the current user may see (else 404) and may act on (else 403)."""
    case = db.session.scalar(
        visible_cases(current_user, include_withdrawn=True).where(TypicalCase.id == case_id)
    )
    if case is None or (case.status != "published" and not can(current_user, "case.manage")):
        abort(404)
    if not can(current_user, action, case):
        abort(403)
    return case


def visible_common_issues(user: User) -> Select:
    """SELECT of the 共性问题 the user may see: their park's and the cross-park ones, or all for the city."""
    stmt = select(CommonIssue)
    if not can(user, "common_issue.view"):
        return stmt.where(false())
    if is_park_limited(user):
        stmt = stmt.where(or_(CommonIssue.park_id == user.park_id, CommonIssue.park_id.is_(None)))
    return stmt


def may_report_progress(user: User, issue: CommonIssue) -> bool:
    """The office in scope, and the 专班 itself: its department's handlers or its named leader."""
    if issue.status != "open" or not can(user, "common_issue.progress", issue):
        return False
    if user.role in ("admin", "officer"):
        return True
    if user.role == "handler":
        return issue.department_id is not None and user.department_id == issue.department_id
    return issue.leader_id == user.id


def get_common_issue_or_404(issue_id: int, action: str = "common_issue.view") -> CommonIssue:
    """Load a 共性问题 the current user may see (else 404) and may act on (else 403)."""
    issue = db.session.scalar(visible_common_issues(current_user).where(CommonIssue.id == issue_id))
    if issue is None:
        abort(404)
    if not can(current_user, action, issue):
        abort(403)
    return issue
