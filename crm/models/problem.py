"""问题: a firm's problem, its hand-off to a department and its closure (交办 → 办结 → 回访 → 销号).

Business dates (`*_on`) are calendar dates in Asia/Shanghai taken from the injectable "today", so
deadlines, colours and reports are deterministic; `at` timestamps (UTC) only order the timeline.
Statuses change only through crm.services.problems.flow.apply_action, which writes a ProblemEvent.
"""

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.enterprise import Enterprise
from crm.models.org import Department
from crm.models.problem_workflow import EVENT_LABELS
from crm.models.user import User
from crm.timeutil import utcnow

if TYPE_CHECKING:
    from crm.models.knowledge import CommonIssue
    from crm.models.visit import Attachment

PROBLEM_CATEGORIES = {
    "finance": "融资",
    "land": "用地",
    "labour": "用工",
    "approval": "审批",
    "policy": "政策兑现",
    "utilities": "水电气要素",
    "logistics": "物流",
    "technology": "技术",
    "market": "市场",
    "other": "其他",
}
PROBLEM_URGENCIES = {"normal": "一般", "urgent": "紧急"}
PROBLEM_SOURCES = {
    "visit": "走访",
    "phone": "电话",
    "hotline": "12345",
    "window": "“办不成事”窗口",
    "forum": "政企面对面",
    "other": "其他",
}
# 企业自报: raised by the firm itself on its service page (企业服务码); never picked by staff on a form.
FIRM_SOURCE = "firm"
SOURCE_LABELS = PROBLEM_SOURCES | {FIRM_SOURCE: "企业自报"}
PROBLEM_STATUSES = {
    "new": "待交办",
    "dispatched": "已交办",
    "in_progress": "办理中",
    "resolved": "已办结",
    "returned": "已退回",
    "closed": "已销号",
}
OPEN_STATUSES = ("new", "dispatched", "in_progress", "resolved", "returned")
# Statuses in which a department is working against the 137 checkpoints and the final limit.
CLOCK_STATUSES = ("dispatched", "in_progress")
EVALUATIONS = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}
# Who gave the 回访评价: the firm itself on its service page (企业自评), or its cadre or the office for it
# (代录), and for 代录 how the firm was asked.
EVALUATED_BY = {"firm": "企业自评", "cadre": "代录"}
EVALUATION_CHANNELS = {"phone": "电话", "onsite": "上门"}
LEVELS = {1: "助企员", 2: "平台部门", 3: "区分管领导", 4: "区主要领导"}


class ProblemRuleSet(Model):
    """One version of the problem rules (办理规则): time limits, 137 checkpoints, warning and escalation.

    Every save by an admin adds a version; a version is never changed afterwards (a before-update hook
    refuses it), so a problem keeps computing its deadlines, warnings and escalations from the version
    it was dispatched under. `rules` is the JSON of crm.services.problems.rules.ProblemRules.
    """

    __tablename__ = "problem_rule_sets"
    __table_args__ = (UniqueConstraint("number", name="uq_problem_rule_sets_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]  # 第N版: 1, 2, 3 … without gaps (ids may skip on PostgreSQL)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    # From when dispatches use this version (naive UTC): the save, or the start of versioning for the first.
    effective_from: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))  # None: the system
    note: Mapped[Optional[str]] = mapped_column(String(200))

    created_by: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return f"<ProblemRuleSet v{self.number}>"


@event.listens_for(ProblemRuleSet, "before_update")
def _rule_sets_are_immutable(_mapper, _connection, row: ProblemRuleSet) -> None:
    raise RuntimeError(f"problem rule set v{row.number} is immutable: save a new version instead")


class Problem(Model):
    __tablename__ = "problems"
    __table_args__ = (
        Index("ix_problems_department_status", "department_id", "status"),
        Index("ix_problems_status_due", "status", "due_on"),
        Index("ix_problems_status_next_due", "status", "next_due_on"),
        Index("ix_problems_status_next_warn", "status", "next_warn_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16), index=True)
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    source: Mapped[str] = mapped_column(String(16), default="visit")
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    raised_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    visit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("visits.id"), index=True)
    raised_on: Mapped[date] = mapped_column(index=True)

    # Hand-off: the department (and optionally a named handler) working on it now.
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    handler_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    dispatched_on: Mapped[Optional[date]]
    accepted_on: Mapped[Optional[date]]
    first_feedback_on: Mapped[Optional[date]]
    progress_on: Mapped[Optional[date]]
    resolved_on: Mapped[Optional[date]]
    evaluated_on: Mapped[Optional[date]]
    closed_on: Mapped[Optional[date]] = mapped_column(index=True)

    # The 137 checkpoints and the final limit (限时办结), set by events only, in working days.
    sign_due_on: Mapped[Optional[date]]
    feedback_due_on: Mapped[Optional[date]]
    progress_due_on: Mapped[Optional[date]]
    due_on: Mapped[Optional[date]]
    # The earliest of those deadlines not met yet (None when not in a department's hands): derived,
    # kept by the before-flush hook below, so colour filters and urgency sorting are index range scans.
    next_due_on: Mapped[Optional[date]]
    # The first day each deadline counts as near (黄色预警), set by the service with the deadline
    # (it needs the calendar and the rules); None on deadlines set before warning dates existed.
    sign_warn_on: Mapped[Optional[date]]
    feedback_warn_on: Mapped[Optional[date]]
    progress_warn_on: Mapped[Optional[date]]
    due_warn_on: Mapped[Optional[date]]
    # The warning date of next_due_on's checkpoint: derived, kept by the same hook.
    next_warn_on: Mapped[Optional[date]]

    # A pending extension request (延期申请) awaiting an officer's decision.
    extension_days: Mapped[Optional[int]]
    extension_reason: Mapped[Optional[str]] = mapped_column(String(500))
    extension_requested_on: Mapped[Optional[date]]

    # The version of the rules its current deadlines were computed under (set at 交办, 改派 and 重办; None
    # while it is not in a department's hands): warnings, escalation and recomputations follow it.
    rule_set_id: Mapped[Optional[int]] = mapped_column(ForeignKey("problem_rule_sets.id"))

    level: Mapped[int] = mapped_column(default=1, index=True)  # 四级协调 1..4
    redo_count: Mapped[int] = mapped_column(default=0)  # 重办: times the firm was not satisfied
    extension_count: Mapped[int] = mapped_column(default=0)
    resolution: Mapped[Optional[str]] = mapped_column(Text)
    on_spot: Mapped[bool] = mapped_column(default=False)  # 现场解决 by the cadre
    # 现场解答: the earlier problem (often a 典型案例) whose answer the cadre gave the firm on the spot.
    answered_from_id: Mapped[Optional[int]] = mapped_column(ForeignKey("problems.id"), index=True)
    # The 共性问题 this problem belongs to (at most one: the column itself guarantees it).
    common_issue_id: Mapped[Optional[int]] = mapped_column(ForeignKey("common_issues.id"), index=True)
    evaluation: Mapped[Optional[str]] = mapped_column(String(16))
    evaluation_note: Mapped[Optional[str]] = mapped_column(String(500))
    forced_close_reason: Mapped[Optional[str]] = mapped_column(String(500))
    evaluation_by: Mapped[Optional[str]] = mapped_column(String(8))  # EVALUATED_BY
    evaluation_channel: Mapped[Optional[str]] = mapped_column(String(8))  # EVALUATION_CHANNELS (代录)

    # 企业自报: who to call back and when the firm hopes to see it done (as the firm typed them).
    contact_name: Mapped[Optional[str]] = mapped_column(String(64))
    contact_phone: Mapped[Optional[str]] = mapped_column(String(32))
    wished_on: Mapped[Optional[date]]  # 希望办结时间
    # A pending 撤单申请, awaiting the firm's confirmation (on its page, or by phone to an officer).
    withdrawal_reason: Mapped[Optional[str]] = mapped_column(String(500))
    withdrawal_requested_on: Mapped[Optional[date]]
    withdrawal_requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    # Set while the problem stands closed by a confirmed 撤单 (cleared if the 质检 reopens it).
    withdrawn_on: Mapped[Optional[date]]

    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Optimistic locking: a stale write raises instead of silently overwriting another user's step.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    enterprise: Mapped[Enterprise] = relationship()
    raised_by: Mapped[Optional[User]] = relationship(foreign_keys=[raised_by_id])
    department: Mapped[Optional[Department]] = relationship()
    handler: Mapped[Optional[User]] = relationship(foreign_keys=[handler_id])
    withdrawal_requested_by: Mapped[Optional[User]] = relationship(foreign_keys=[withdrawal_requested_by_id])
    answered_from: Mapped[Optional["Problem"]] = relationship(
        remote_side=[id], foreign_keys=[answered_from_id]
    )
    common_issue: Mapped[Optional["CommonIssue"]] = relationship(foreign_keys=[common_issue_id])
    events: Mapped[list["ProblemEvent"]] = relationship(
        back_populates="problem", order_by="(ProblemEvent.at, ProblemEvent.id)", viewonly=True
    )
    attachments: Mapped[list["Attachment"]] = relationship(
        primaryjoin="and_(Attachment.owner_type == 'problem', foreign(Attachment.owner_id) == Problem.id)",
        viewonly=True,
        order_by="Attachment.id",
    )

    def __repr__(self) -> str:
        return f"<Problem {self.id} {self.status}>"

    @property
    def category_label(self) -> str:
        return PROBLEM_CATEGORIES.get(self.category, self.category)

    @property
    def status_label(self) -> str:
        if self.status == "closed" and self.withdrawn_on is not None:
            return "已撤单"  # closed by a confirmed withdrawal, not by an evaluation
        return PROBLEM_STATUSES.get(self.status, self.status)

    @property
    def urgency_label(self) -> str:
        return PROBLEM_URGENCIES.get(self.urgency, self.urgency)

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)

    @property
    def level_label(self) -> str:
        return LEVELS.get(self.level, str(self.level))

    @property
    def evaluation_label(self) -> str:
        return EVALUATIONS.get(self.evaluation or "", "")

    @property
    def has_pending_extension(self) -> bool:
        return self.extension_days is not None

    @property
    def has_pending_withdrawal(self) -> bool:
        return self.withdrawal_requested_on is not None

    @property
    def evaluation_by_label(self) -> str:
        """企业自评, or 代录（电话） / 代录（上门）."""
        label = EVALUATED_BY.get(self.evaluation_by or "", "")
        channel = EVALUATION_CHANNELS.get(self.evaluation_channel or "")
        return f"{label}（{channel}）" if label and channel else label


# Timeline labels of the event codes, from the one declaration of the workflow.
EVENT_ACTIONS = EVENT_LABELS


class ProblemEvent(Model):
    """One step of a problem's life (全程留痕); the timeline is the audit trail."""

    __tablename__ = "problem_events"
    __table_args__ = (
        Index("ix_problem_events_problem", "problem_id", "at"),
        Index("ix_problem_events_action_on", "action", "happened_on"),
        # A month's replay asks which problems changed after the month's end: a handful of recent rows.
        Index("ix_problem_events_happened_on", "happened_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))  # None: the system (jobs)
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[Optional[str]] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[Optional[str]] = mapped_column(Text)
    # The department the step concerns (dispatch target, the one that returned it …), for reports.
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"), index=True)
    data: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    happened_on: Mapped[date]
    at: Mapped[datetime] = mapped_column(default=utcnow)

    problem: Mapped[Problem] = relationship(back_populates="events")
    actor: Mapped[Optional[User]] = relationship()
    department: Mapped[Optional[Department]] = relationship()
    attachments: Mapped[list["Attachment"]] = relationship(
        primaryjoin="and_(Attachment.owner_type == 'problem_event', "
        "foreign(Attachment.owner_id) == ProblemEvent.id)",
        viewonly=True,
        order_by="Attachment.id",
    )

    def __repr__(self) -> str:
        return f"<ProblemEvent {self.problem_id} {self.action} {self.from_status}->{self.to_status}>"

    @property
    def action_label(self) -> str:
        return EVENT_ACTIONS.get(self.action, self.action)

    @property
    def from_label(self) -> str:
        return PROBLEM_STATUSES.get(self.from_status or "", "")

    @property
    def to_label(self) -> str:
        return PROBLEM_STATUSES.get(self.to_status, self.to_status)


@event.listens_for(Problem, "before_insert")
@event.listens_for(Problem, "before_update")
def _keep_next_due_on(_mapper, _connection, problem: Problem) -> None:
    """Derive next_due_on (and its warning date) from the deadlines whenever a problem is written."""
    nearest = next_deadline(problem)
    problem.next_due_on = nearest[1] if nearest else None
    problem.next_warn_on = getattr(problem, f"{nearest[0]}_warn_on") if nearest else None


def unmet_deadlines(p: Any) -> list[tuple[str, date]]:
    """(checkpoint, date) of the deadlines still to meet, earliest first: the one definition of unmet.

    Takes a Problem or anything with its status and deadline fields (the report's month-end states).
    """
    if p.status not in CLOCK_STATUSES:
        return []
    out = []
    if p.accepted_on is None and p.sign_due_on:
        out.append(("sign", p.sign_due_on))
    if p.first_feedback_on is None and p.feedback_due_on:
        out.append(("feedback", p.feedback_due_on))
    if p.progress_on is None and p.progress_due_on:
        out.append(("progress", p.progress_due_on))
    if p.due_on:
        out.append(("due", p.due_on))
    return sorted(out, key=lambda item: item[1])


def next_deadline(p: Any) -> Optional[tuple[str, date]]:
    """The nearest deadline still to meet, or None."""
    deadlines = unmet_deadlines(p)
    return deadlines[0] if deadlines else None
