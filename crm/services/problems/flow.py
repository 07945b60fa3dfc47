"""The problem workflow (诉求问题交办制 + 清单管理销号制): every change of a problem goes through
apply_action(), which checks the transition, the actor's right and the time windows, applies the
step, and writes exactly one ProblemEvent. A refused step raises ServiceError and changes nothing.

 new ─dispatch─▶ dispatched ─accept─▶ in_progress ─resolve─▶ resolved ─evaluate─▶ closed
  │                  │ return (≤1 working day)                       └ 不满意 ─▶ in_progress (重办)
  └ solve_on_spot ─▶ resolved         ▼
                                  returned ─dispatch (改派)─▶ dispatched
"""

from datetime import date, datetime
from typing import Any, Optional

from crm.extensions import db
from crm.models import Problem, ProblemEvent, User
from crm.models.problem import LEVELS, PROBLEM_STATUSES
from crm.models.problem_workflow import WORKFLOW, Action
from crm.permissions import can
from crm.services import ServiceError
from crm.services.closing.guard import refuse_if_closed
from crm.services.common.attachments import save_attachments, validate_uploads
from crm.services.common.audit import record_audit
from crm.services.common.locking import check_version
from crm.services.common.validators import clean_multiline
from crm.services.problems.notices import notify_problem_event
from crm.services.problems.rules import ProblemRules, rules_of
from crm.services.problems.settle import settle_deadline_reminders
from crm.services.problems.step_base import Context, Outcome, fail
from crm.services.problems.steps import HANDLERS, extension_deadline, return_deadline
from crm.services.problems.withdrawal_steps import pending_review
from crm.services.workdays.calendar import WorkCalendar, get_calendar
from crm.timeutil import today as local_today
from crm.timeutil import utcnow

NOTE_MAX = 2000


# code -> step: who, from which states, to which, the note it needs (crm.models.problem_workflow).
STEPS: dict[str, Action] = WORKFLOW
SYSTEM_ACTIONS = {code for code, step in STEPS.items() if step.system}  # the scheduler may take these


def _precheck(ctx: Context, action: str) -> Optional[str]:
    """Why the step cannot be taken now (Chinese), or None."""
    p, rules, cal, today = ctx.problem, ctx.rules, ctx.cal, ctx.today
    if action == "return" and p.dispatched_on and today > return_deadline(p, rules, cal):
        last = return_deadline(p, rules, cal)
        return (
            f"交办后{rules.return_days}个工作日内（截至 {last:%Y-%m-%d}）才能退回；"
            "已超过退回时限，如确非本部门职责请联系园区管理员"
        )
    if action == "feedback" and p.first_feedback_on is not None:
        return "已提交过首次反馈，后续请提交阶段进展"
    if action == "request_extension":
        if p.has_pending_extension:
            return "已有待审批的延期申请"
        latest = extension_deadline(p, rules, cal)
        if latest is not None and today > latest:
            return (
                f"延期须在办结期限（{p.due_on:%Y-%m-%d}）前至少{rules.extension_notice_days}个工作日申请，"
                f"最晚 {latest:%Y-%m-%d}"
            )
    if action in ("approve_extension", "refuse_extension") and not p.has_pending_extension:
        return "没有待审批的延期申请"
    if action == "escalate" and p.level >= max(LEVELS):
        return "已是最高协调级别（区主要领导）"
    if action == "request_withdrawal" and p.has_pending_withdrawal:
        return "已有待企业确认的撤单申请"
    if action in ("confirm_withdrawal", "decline_withdrawal") and not p.has_pending_withdrawal:
        return "没有待企业确认的撤单申请"
    if action == "review_withdrawal" and pending_review(p) is None:
        return "该问题不是待质检的撤单"
    return None


def _check(ctx: Context, action: str) -> Action:
    step = STEPS.get(action)
    if step is None:
        fail("未知的操作")
    p = ctx.problem
    if p.status not in step.from_states:
        fail(f"问题当前状态为“{PROBLEM_STATUSES.get(p.status, p.status)}”，不能{step.label}")
    if ctx.by_firm:  # the firm on its service page: the portal has matched the problem to its code
        if not step.firm or ctx.actor is not None:
            fail(f"企业不能在服务页{step.label}")
    elif ctx.actor is None:
        if action not in SYSTEM_ACTIONS:
            fail(f"{step.label}必须由具体人员操作")
    elif not can(ctx.actor, step.right, p):
        fail(f"没有权限对该问题执行“{step.label}”")
    reason = _precheck(ctx, action)
    if reason:
        fail(reason)
    return step


def _keep_to_declaration(step: Action, from_status: str, outcome: Outcome) -> None:
    """Refuse a step whose behaviour left its declaration (a programming error, not a user's)."""
    if outcome.to_state not in step.outcomes(from_status) or outcome.event_action not in step.events:
        raise RuntimeError(
            f"step {step.code} is declared to lead from {from_status} to {step.outcomes(from_status)} "
            f"writing {tuple(step.events)}, but led to {outcome.to_state} writing {outcome.event_action}"
        )


def apply_action(
    problem: Problem,
    action: str,
    actor: Optional[User],
    data: Optional[dict[str, Any]] = None,
    today: Optional[date] = None,
    now: Optional[datetime] = None,
    files=(),
    rules: Optional[ProblemRules] = None,
    cal: Optional[WorkCalendar] = None,
    by_firm: bool = False,
) -> ProblemEvent:
    """Take one step of the workflow; the only way a problem's status changes (and its deadlines, but
    for the recomputation when a year's holidays are confirmed: crm.services.problems.recalc).

    data may carry "version" (the version the user saw: a stale form is refused), "note", and the
    step's own fields (department_id, handler_id, days, evaluation, level). actor None means the
    scheduler (automatic escalation only), or with by_firm=True the firm itself on its service page
    (crm.services.portal: steps declared with firm=True; its note is optional). rules: the problem's
    own (rules_of; a job passes them from its RuleBook); a step that starts a new round of deadlines
    adopts the version in force at `now`.
    """
    data = dict(data or {})
    now = now or utcnow()
    ctx = Context(
        problem,
        actor,
        data,
        today or local_today(),
        rules or rules_of(problem),
        cal or get_calendar(),
        by_firm=by_firm,
        now=now,
    )
    check_version(problem, data.get("version"), "该问题刚被其他人更新，请刷新页面查看最新情况后再操作")
    step = _check(ctx, action)
    refuse_if_closed(ctx.today, "问题办理记录")  # 月结: a step dated in a closed month would move it
    required = bool(step.note) and not by_firm  # the firm's own word needs no written note
    ctx.note = clean_multiline(data.get("note"), step.note or "说明", NOTE_MAX, required=required)
    uploads = validate_uploads(files)  # refuse bad files before anything changes
    from_status = problem.status
    outcome = HANDLERS[action](ctx)
    _keep_to_declaration(step, from_status, outcome)
    problem.status = outcome.to_state
    # Every step bumps the version (even a 批示 that changes no column), so a form opened before
    # any step is stale and its user sees the latest timeline before acting.
    problem.updated_at = now
    event = ProblemEvent(
        problem_id=problem.id,
        actor_id=actor.id if actor else None,
        action=outcome.event_action,
        from_status=from_status,
        to_status=outcome.to_state,
        note=ctx.note,
        department_id=outcome.department_id,
        data=outcome.data,
        happened_on=ctx.today,
        at=now,
    )
    db.session.add(event)
    db.session.flush()
    if uploads:
        assert actor is not None, "files come with a person's step, never with the scheduler's"
        save_attachments(uploads, "problem_event", event.id, problem.enterprise_id, actor)
    summary = f"{'企业通过服务码对' if by_firm else ''}问题「{problem.title}」{step.label}"
    if from_status != outcome.to_state:
        summary += f"：{PROBLEM_STATUSES[from_status]} → {PROBLEM_STATUSES[outcome.to_state]}"
    record_audit(
        actor,
        "problem",
        problem.id,
        outcome.event_action,
        summary,
        enterprise_id=problem.enterprise_id,
        at=now,  # the step's moment: the firm's 变更记录 reads in the order things happened
    )
    notify_problem_event(event)
    settle_deadline_reminders(problem, step.label, ctx.today, now)
    return event


def available_actions(
    user: User, problem: Problem, today: date, rules: ProblemRules, cal: WorkCalendar
) -> list[str]:
    """The steps this user may take on the problem now (the buttons the page shows); rules: its own."""
    out = []
    for action, step in STEPS.items():
        if not step.form.on_page:  # taken elsewhere, on many problems at once (专班办结)
            continue
        ctx = Context(problem, user, {}, today, rules, cal)
        try:
            _check(ctx, action)
        except ServiceError:
            continue
        out.append(action)
    return out


def refusal_reason(user: User, problem: Problem, action: str, today: date) -> Optional[str]:
    """Why a step is not possible now (for a disabled button's hint), or None if it is."""
    ctx = Context(problem, user, {}, today, rules_of(problem), get_calendar())
    try:
        _check(ctx, action)
    except ServiceError as exc:
        return str(exc)
    return None
