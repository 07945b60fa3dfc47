"""Reading 共性问题: the list with its member counts, a group's members and timeline, the panel on a
member problem's page, the dashboards' card and the choices of a 专班's lead. Constant queries per page.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import CommonIssue, CommonIssueEvent, Department, Enterprise, Problem, User
from crm.permissions import visible_departments
from crm.permissions.knowledge import visible_common_issues

GROUP_FILTERS = {"open": "推进中", "closed": "已办结", "all": "全部"}
CARD_NEAREST = 5


def group_list_query(user: User, status: str) -> Select:
    """The groups the user sees: open ones by nearest deadline, closed ones latest first."""
    stmt = visible_common_issues(user).options(
        joinedload(CommonIssue.department), joinedload(CommonIssue.leader), joinedload(CommonIssue.chain)
    )
    if status == "open":
        return stmt.where(CommonIssue.status == "open").order_by(CommonIssue.due_on, CommonIssue.id)
    if status == "closed":
        stmt = stmt.where(CommonIssue.status == "closed")
        return stmt.order_by(CommonIssue.closed_on.desc(), CommonIssue.id.desc())
    return stmt.order_by(CommonIssue.status.desc(), CommonIssue.due_on, CommonIssue.id)


@dataclass
class MemberFigures:
    problems: int = 0
    firms: int = 0
    open: int = 0  # still being worked on (not yet 已办结 or 已销号)
    firm_names: list[str] = field(default_factory=list)


def member_figures(issue_ids: list[int]) -> dict[int, MemberFigures]:
    """{group id: counts of its members and its firms' names} in one query."""
    out = {i: MemberFigures() for i in issue_ids}
    if not issue_ids:
        return out
    rows = db.session.execute(
        select(Problem.common_issue_id, Enterprise.name, func.count(Problem.id), func.sum(_open_flag()))
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(Problem.common_issue_id.in_(issue_ids))
        .group_by(Problem.common_issue_id, Enterprise.id, Enterprise.name)
        .order_by(Problem.common_issue_id, Enterprise.name)
    )
    for issue_id, firm_name, problems, still_open in rows:
        f = out[issue_id]
        f.problems += problems
        f.open += int(still_open or 0)
        f.firms += 1
        f.firm_names.append(firm_name)
    return out


def _open_flag():
    return case((Problem.status.in_(("new", "dispatched", "in_progress", "returned")), 1), else_=0)


def group_members(issue: CommonIssue) -> list[Problem]:
    """The group's members with their firms and departments, oldest first (one query)."""
    return list(
        db.session.scalars(
            select(Problem)
            .options(joinedload(Problem.enterprise), joinedload(Problem.department))
            .where(Problem.common_issue_id == issue.id)
            .order_by(Problem.raised_on, Problem.id)
        )
    )


def group_events(issue: CommonIssue) -> list[CommonIssueEvent]:
    """The group's timeline, oldest first, with the actors (one query)."""
    return list(
        db.session.scalars(
            select(CommonIssueEvent)
            .options(joinedload(CommonIssueEvent.actor))
            .where(CommonIssueEvent.common_issue_id == issue.id)
            .order_by(CommonIssueEvent.at, CommonIssueEvent.id)
        )
    )


@dataclass(frozen=True)
class GroupPanel:
    """What a member problem's page shows of its group."""

    issue: CommonIssue
    lead: str
    latest: Optional[CommonIssueEvent]  # the latest progress report


def lead_label(issue: CommonIssue) -> str:
    """The lead's name (department or leader), from the loaded relationships."""
    if issue.team_kind == "department":
        return issue.department.name if issue.department else "—"
    return issue.leader.name if issue.leader else "—"


def group_panel(problem: Problem) -> Optional[GroupPanel]:
    """The problem's group with its lead and latest progress (two queries; none without a group)."""
    if problem.common_issue_id is None:
        return None
    issue = db.session.scalar(
        select(CommonIssue)
        .options(joinedload(CommonIssue.department), joinedload(CommonIssue.leader))
        .where(CommonIssue.id == problem.common_issue_id)
    )
    if issue is None:
        return None
    latest = db.session.scalar(
        select(CommonIssueEvent)
        .where(
            CommonIssueEvent.common_issue_id == issue.id, CommonIssueEvent.action.in_(("progress", "close"))
        )
        .order_by(CommonIssueEvent.at.desc(), CommonIssueEvent.id.desc())
        .limit(1)
    )
    return GroupPanel(issue, lead_label(issue), latest)


@dataclass(frozen=True)
class CardRow:
    id: int
    title: str
    team_name: str
    due_on: date
    overdue: bool


@dataclass(frozen=True)
class GroupCard:
    """The dashboards' 共性问题 card: plain data (cached with the other figures)."""

    open: int
    overdue: int
    nearest: tuple[CardRow, ...]


def group_card(user: User, park_id: Optional[int], today: date) -> GroupCard:
    """Open groups in the user's scope (optionally one park): count, overdue, the nearest deadlines."""
    stmt = visible_common_issues(user).where(CommonIssue.status == "open")
    if park_id is not None:
        stmt = stmt.where(CommonIssue.park_id == park_id)
    overdue_flag = case((CommonIssue.due_on < today, 1), else_=0)
    total, overdue = db.session.execute(
        stmt.with_only_columns(func.count(CommonIssue.id), func.sum(overdue_flag))
    ).one()
    rows = db.session.execute(
        stmt.with_only_columns(CommonIssue.id, CommonIssue.title, CommonIssue.team_name, CommonIssue.due_on)
        .order_by(CommonIssue.due_on, CommonIssue.id)
        .limit(CARD_NEAREST)
    )
    nearest = tuple(CardRow(i, t, n, d, d < today) for i, t, n, d in rows)
    return GroupCard(int(total or 0), int(overdue or 0), nearest)


def lead_choices(user: User, park_id: Optional[int]) -> tuple[list[Department], list[User]]:
    """The departments (visible to the user, active, serving the park) and leaders a 专班 may be led by."""
    depts = db.session.scalars(visible_departments(user).where(Department.is_active.is_(True)))
    if park_id is not None:
        depts_list = [d for d in depts if d.park_id in (None, park_id)]
    else:
        depts_list = list(depts)
    leaders = select(User).where(User.role == "leader", User.is_active_user.is_(True))
    if park_id is not None:
        leaders = leaders.where((User.park_id.is_(None)) | (User.park_id == park_id))
    return depts_list, list(db.session.scalars(leaders.order_by(User.name, User.id)))
