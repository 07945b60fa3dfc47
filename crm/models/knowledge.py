"""知识: what the park learns from its problems — 典型案例 and 共性问题 (with their 专班).

A 典型案例 is a closed problem an officer promoted, with an edited summary that firms may read. A
共性问题 groups open problems of several firms that share one cause; a 专班 (a department or a leader)
works on it against one joint deadline, and closing it lets each member problem move to 已办结, where it
still waits for its own firm's evaluation. A problem belongs to at most one group (Problem.common_issue_id).
"""

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.org import Department, IndustryChain, Park
from crm.models.problem import Problem
from crm.models.user import User
from crm.timeutil import utcnow

CASE_STATUSES = {"published": "已发布", "withdrawn": "已撤下"}
COMMON_ISSUE_STATUSES = {"open": "推进中", "closed": "已办结"}
# Who leads the 专班: a department, or a named leader.
TEAM_KINDS = {"department": "牵头部门", "leader": "牵头领导"}
COMMON_ISSUE_ACTIONS = {
    "confirm": "确认共性问题",
    "progress": "专班进展",
    "add": "加入问题",
    "remove": "移出问题",
    "edit": "修改专班",
    "close": "专班办结",
}


class TypicalCase(Model):
    """典型案例: a closed problem promoted by an officer, searchable in scope and shown to firms."""

    __tablename__ = "typical_cases"
    __table_args__ = (Index("ix_typical_cases_park_status", "park_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), unique=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"))  # the firm's park when promoted
    category: Mapped[str] = mapped_column(String(16), index=True)  # PROBLEM_CATEGORIES
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)  # in plain words, as firms may read it
    # The policy or rule that applied (as typed), and optionally the policy in the library.
    basis: Mapped[Optional[str]] = mapped_column(String(500))
    policy_id: Mapped[Optional[int]] = mapped_column(ForeignKey("policies.id"))
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="published")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    problem: Mapped[Problem] = relationship()
    park: Mapped[Park] = relationship()
    department: Mapped[Optional[Department]] = relationship()
    created_by: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return f"<TypicalCase {self.id} problem={self.problem_id}>"

    @property
    def status_label(self) -> str:
        return CASE_STATUSES.get(self.status, self.status)


class CommonIssue(Model):
    """共性问题: one cause behind open problems of several firms, handed to a 专班 with a joint deadline."""

    __tablename__ = "common_issues"
    __table_args__ = (Index("ix_common_issues_park_status", "park_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[Optional[int]] = mapped_column(ForeignKey("parks.id"))  # None: across parks
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16))  # PROBLEM_CATEGORIES
    chain_id: Mapped[Optional[int]] = mapped_column(ForeignKey("industry_chains.id"))
    description: Mapped[Optional[str]] = mapped_column(Text)
    team_kind: Mapped[str] = mapped_column(String(16))  # TEAM_KINDS
    team_name: Mapped[str] = mapped_column(String(100))  # the 专班's name, e.g. 用地保障专班
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    leader_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date]  # the joint deadline
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    resolution: Mapped[Optional[str]] = mapped_column(Text)
    confirmed_on: Mapped[date]
    closed_on: Mapped[Optional[date]]
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    park: Mapped[Optional[Park]] = relationship()
    chain: Mapped[Optional[IndustryChain]] = relationship()
    department: Mapped[Optional[Department]] = relationship()
    leader: Mapped[Optional[User]] = relationship(foreign_keys=[leader_id])
    created_by: Mapped[Optional[User]] = relationship(foreign_keys=[created_by_id])
    events: Mapped[list["CommonIssueEvent"]] = relationship(
        back_populates="issue", order_by="(CommonIssueEvent.at, CommonIssueEvent.id)", viewonly=True
    )

    def __repr__(self) -> str:
        return f"<CommonIssue {self.id} {self.status}>"

    @property
    def status_label(self) -> str:
        return COMMON_ISSUE_STATUSES.get(self.status, self.status)

    @property
    def team_label(self) -> str:
        return TEAM_KINDS.get(self.team_kind, self.team_kind)


class CommonIssueEvent(Model):
    """One step of a 共性问题 (confirmed, progress, members added or removed, closed): its timeline."""

    __tablename__ = "common_issue_events"
    __table_args__ = (Index("ix_common_issue_events_issue", "common_issue_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    common_issue_id: Mapped[int] = mapped_column(ForeignKey("common_issues.id"))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))  # COMMON_ISSUE_ACTIONS
    note: Mapped[Optional[str]] = mapped_column(Text)
    data: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    happened_on: Mapped[date]
    at: Mapped[datetime] = mapped_column(default=utcnow)

    issue: Mapped[CommonIssue] = relationship(back_populates="events")
    actor: Mapped[Optional[User]] = relationship()

    @property
    def action_label(self) -> str:
        return COMMON_ISSUE_ACTIONS.get(self.action, self.action)
