"""What the firm's service page shows of its problems, decided field by field (README: 企业之声).

Public: title, category, description, the firm's own files (names only), status in plain words, the
department handling it, the promised deadlines (137 and 办结期限), 希望办结时间, the resolution text, the
evaluation and who gave it, a 撤单申请's reason, and the steps of PUBLIC_EVENTS. Internal: every person's
name but the liaison cadre's, handler names, notes of feedback, progress, returns, extensions, 督办,
批示, escalation and forced closing, the coordination level, the 质检 notes. A new event code must be
put in PUBLIC_EVENTS or INTERNAL_EVENTS (a test checks that every code is decided).
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Optional

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Attachment, Enterprise, Problem, ProblemEvent, ServiceCode, User
from crm.models.problem import EVALUATION_CHANNELS, EVALUATIONS
from crm.models.problem_workflow import RECALC_EVENT, WITHDRAWABLE
from crm.services.common.paging import Page, paginate
from crm.services.problems.queries import problem_clock

# event code -> its label on the firm's page; the note is shown only for those in NOTE_PUBLIC.
PUBLIC_EVENTS = {
    "raise": "提出诉求",
    "dispatch": "交办承办部门",
    "redispatch": "改派承办部门",
    "accept": "承办部门签收",
    "feedback": "承办部门首次反馈",
    "progress": "承办部门报告进展",
    "approve_extension": "园区批准延长办结期限",
    "resolve": "承办部门办结",
    "solve_on_spot": "联系干部现场解决",
    "group_resolve": "专班统筹办结",
    "evaluate": "回访评价",
    "force_close": "园区办结销号",
    "request_withdrawal": "申请撤单",
    "withdraw_firm": "您确认同意撤单",
    "withdraw_phone": "经电话确认同意撤单",
    "withdraw_declined": "不同意撤单",
    "withdraw_review": "撤单核查不属实，问题重新办理",  # only that verdict is shown
    RECALC_EVENT: "办结期限调整",
}
# Shown with their note: the resolution, the reason asked for a withdrawal, the firm's own comment.
NOTE_PUBLIC = {"resolve", "solve_on_spot", "group_resolve", "request_withdrawal"}
INTERNAL_EVENTS = {
    "return",
    "request_extension",
    "refuse_extension",
    "instruct",
    "supervise",
    "escalate",
}


@dataclass
class PublicEvent:
    day: date
    label: str
    lines: list[str] = field(default_factory=list)
    note: Optional[str] = None


def plain_status(p: Problem) -> str:
    """The problem's status in the firm's words."""
    dept = p.department.name if p.department else "承办部门"
    if p.has_pending_withdrawal and p.status in WITHDRAWABLE:
        return "有撤单申请，请您确认是否同意"
    return {
        "new": "已收到，等待园区交办",
        "returned": "园区正在重新安排承办部门",
        "dispatched": f"已交{dept}，等待签收",
        "in_progress": f"{dept}正在办理",
        "resolved": "已办结，请您评价",
        "closed": "已撤单" if p.withdrawn_on else "已办结销号",
    }.get(p.status, p.status_label)


def firm_of(code: ServiceCode) -> tuple[Enterprise, Optional[User]]:
    """The code's firm and its liaison cadre (None when it has none)."""
    firm = code.enterprise
    return firm, firm.cadre


def _needs_firm():
    """SQL: the firm is asked to act (rate a resolved problem, answer a 撤单申请)."""
    return (Problem.status == "resolved") | (
        Problem.withdrawal_requested_on.is_not(None) & Problem.status.in_(WITHDRAWABLE)
    )


def firm_problems(firm_id: int, page: int = 1, per_page: int = 10) -> Page:
    """The firm's problems: those waiting for the firm first, then open ones, newest first (3 queries)."""
    rank = case((_needs_firm(), 0), (Problem.status != "closed", 1), else_=2)
    stmt = (
        select(Problem)
        .where(Problem.enterprise_id == firm_id)
        .options(joinedload(Problem.department))
        .order_by(rank, Problem.raised_on.desc(), Problem.id.desc())
    )
    return paginate(stmt, per_page=per_page, page=page)


def waiting_count(firm_id: int) -> int:
    """How many of the firm's problems wait for its rating or answer."""
    stmt = select(func.count(Problem.id)).where(Problem.enterprise_id == firm_id, _needs_firm())
    return db.session.scalar(stmt) or 0


def _event_lines(e: ProblemEvent) -> list[str]:
    data: dict[str, Any] = e.data or {}
    out = []
    if e.action in ("dispatch", "redispatch") and data.get("department"):
        out.append(f"承办部门：{data['department']}")
    if data.get("due_on") and e.action in ("dispatch", "redispatch", "evaluate"):
        out.append(f"办结期限：{data['due_on']}")
    if e.action == "approve_extension" and data.get("new_due_on"):
        out.append(f"办结期限延至 {data['new_due_on']}")
    if e.action == RECALC_EVENT and (due := (data.get("changes") or {}).get("due_on")):
        out.append(f"办结期限调整为 {due[1]}（法定节假日安排确认后重新计算）")
    if e.action == "evaluate" and data.get("evaluation"):
        who = "企业自评" if data.get("by") == "firm" else "联系干部代录"
        channel = EVALUATION_CHANNELS.get(data.get("channel") or "")
        out.append(f"{who}{f'（{channel}）' if channel else ''}：{EVALUATIONS.get(data['evaluation'], '')}")
        if data["evaluation"] == "unsatisfied":
            out.append("问题退回重新办理")
    return out


def public_timeline(problem: Problem) -> list[PublicEvent]:
    """The problem's public steps, oldest first (one query)."""
    events = db.session.scalars(
        select(ProblemEvent)
        .where(ProblemEvent.problem_id == problem.id)
        .order_by(ProblemEvent.at, ProblemEvent.id)
    )
    out = []
    for e in events:
        label = PUBLIC_EVENTS.get(e.action)
        if label is None:
            continue
        data = e.data or {}
        if e.action == "withdraw_review" and data.get("verdict") != "false":
            continue
        if e.action == "raise":
            label = "您通过服务码提交了诉求" if data.get("by") == "firm" else "联系干部登记了问题"
        note = e.note if e.action in NOTE_PUBLIC else None
        if e.action == "evaluate" and data.get("by") == "firm":
            note = e.note  # the firm's own comment
        out.append(PublicEvent(e.happened_on, label, _event_lines(e), note))
    return out


def firm_files(problem: Problem) -> list[str]:
    """Names of the files the firm itself attached when submitting (nobody else's files are shown)."""
    return list(
        db.session.scalars(
            select(Attachment.filename)
            .where(
                Attachment.owner_type == "problem",
                Attachment.owner_id == problem.id,
                Attachment.uploaded_by_id.is_(None),
            )
            .order_by(Attachment.id)
        )
    )


def promised(problem: Problem, today: date) -> list[dict]:
    """The deadlines promised to the firm (137 and 办结期限) with their state, as the staff page shows."""
    if problem.dispatched_on is None:
        return []
    return problem_clock(today).checkpoints(problem)
