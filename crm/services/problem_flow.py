"""The problem workflow (诉求问题交办制 + 清单管理销号制): every change of a problem goes through
apply_action(), which checks the transition, the actor's right and the time windows, applies the
step, and writes exactly one ProblemEvent. A refused step raises ServiceError and changes nothing.

 new ─dispatch─▶ dispatched ─accept─▶ in_progress ─resolve─▶ resolved ─evaluate─▶ closed
  │                  │ return (≤1 working day)                       └ 不满意 ─▶ in_progress (重办)
  └ solve_on_spot ─▶ resolved         ▼
                                  returned ─dispatch (改派)─▶ dispatched
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Optional

from crm.extensions import db
from crm.models import Department, Problem, ProblemEvent, User
from crm.models.problem import EVALUATIONS, LEVELS, OPEN_STATUSES, PROBLEM_STATUSES
from crm.permissions import can
from crm.services import ServiceError
from crm.services.attachments import save_attachments, validate_uploads
from crm.services.audit import record_audit
from crm.services.locking import check_version
from crm.services.problem_deadlines import checkpoints_for
from crm.services.problem_notices import notify_problem_event
from crm.services.problem_rules import ProblemRules, problem_rules
from crm.services.validators import clean_multiline
from crm.services.workcal import WorkCalendar, get_calendar
from crm.timeutil import today as local_today
from crm.timeutil import utcnow

NOTE_MAX = 2000
FORCE_CLOSE_MIN = 5


@dataclass(frozen=True)
class Step:
    label: str  # the Chinese verb shown on buttons and in messages
    from_states: tuple[str, ...]
    to_state: Optional[str]  # None: the status does not change (or is decided by the step)
    note: Optional[str] = None  # label of a required note, if the step needs one


STEPS: dict[str, Step] = {
    "dispatch": Step("交办", ("new", "returned"), "dispatched"),
    "accept": Step("签收", ("dispatched",), "in_progress"),
    "return": Step("退回", ("dispatched", "in_progress"), "returned", "退回理由"),
    "feedback": Step("首次反馈", ("in_progress",), None, "反馈内容"),
    "progress": Step("阶段进展", ("in_progress",), None, "进展情况"),
    "request_extension": Step("申请延期", ("in_progress",), None, "延期理由"),
    "approve_extension": Step("同意延期", ("in_progress",), None),
    "refuse_extension": Step("不同意延期", ("in_progress",), None, "不同意的理由"),
    "resolve": Step("办结", ("in_progress",), "resolved", "办理结果"),
    "solve_on_spot": Step("现场解决", ("new",), "resolved", "解决情况"),
    "evaluate": Step("回访评价", ("resolved",), None),
    "force_close": Step("强制销号", OPEN_STATUSES, "closed", "强制销号理由"),
    "supervise": Step("督办", ("dispatched", "in_progress"), None, "督办意见"),
    "instruct": Step("批示", OPEN_STATUSES, None, "批示内容"),
    "escalate": Step("提级协调", ("dispatched", "in_progress"), None, "提级理由"),
}
SYSTEM_ACTIONS = {"escalate"}  # steps the scheduler may take without a human actor


@dataclass
class Context:
    problem: Problem
    actor: Optional[User]
    data: dict[str, Any]
    today: date
    rules: ProblemRules
    cal: WorkCalendar
    note: Optional[str] = None


@dataclass
class Outcome:
    to_state: str
    event_action: str
    department_id: Optional[int] = None
    data: Optional[dict[str, Any]] = None


def _fail(message: str) -> None:
    raise ServiceError(message)


# --- pre-checks: windows and states beyond the transition table (no change is made) ---


def _return_deadline(p: Problem, rules: ProblemRules, cal: WorkCalendar) -> date:
    return cal.add_workdays(p.dispatched_on, rules.return_days)


def _extension_deadline(p: Problem, rules: ProblemRules, cal: WorkCalendar) -> Optional[date]:
    """The last day an extension may be requested: extension_notice_days working days before due."""
    if p.due_on is None:
        return None
    day = p.due_on
    for _ in range(rules.extension_notice_days):
        day = _previous_workday(day, cal)
    return day


def _previous_workday(day: date, cal: WorkCalendar) -> date:
    day -= timedelta(days=1)
    while not cal.is_workday(day):
        day -= timedelta(days=1)
    return day


def _precheck(ctx: Context, action: str) -> Optional[str]:
    """Why the step cannot be taken now (Chinese), or None."""
    p, rules, cal, today = ctx.problem, ctx.rules, ctx.cal, ctx.today
    if action == "return" and p.dispatched_on and today > _return_deadline(p, rules, cal):
        last = _return_deadline(p, rules, cal)
        return (
            f"交办后{rules.return_days}个工作日内（截至 {last:%Y-%m-%d}）才能退回；"
            "已超过退回时限，如确非本部门职责请联系园区管理员"
        )
    if action == "feedback" and p.first_feedback_on is not None:
        return "已提交过首次反馈，后续请提交阶段进展"
    if action == "request_extension":
        if p.has_pending_extension:
            return "已有待审批的延期申请"
        last = _extension_deadline(p, rules, cal)
        if last is not None and today > last:
            return (
                f"延期须在办结期限（{p.due_on:%Y-%m-%d}）前至少{rules.extension_notice_days}个工作日申请，"
                f"最晚 {last:%Y-%m-%d}"
            )
    if action in ("approve_extension", "refuse_extension") and not p.has_pending_extension:
        return "没有待审批的延期申请"
    if action == "escalate" and p.level >= max(LEVELS):
        return "已是最高协调级别（区主要领导）"
    return None


def _check(ctx: Context, action: str) -> Step:
    step = STEPS.get(action)
    if step is None:
        _fail("未知的操作")
    p = ctx.problem
    if p.status not in step.from_states:
        _fail(f"问题当前状态为“{PROBLEM_STATUSES.get(p.status, p.status)}”，不能{step.label}")
    if ctx.actor is None:
        if action not in SYSTEM_ACTIONS:
            _fail(f"{step.label}必须由具体人员操作")
    elif not can(ctx.actor, f"problem.{action}", p):
        _fail(f"没有权限对该问题执行“{step.label}”")
    reason = _precheck(ctx, action)
    if reason:
        _fail(reason)
    return step


# --- the steps: validate data, then change the problem; return the outcome for the event ---


def _dispatch(ctx: Context) -> Outcome:
    p = ctx.problem
    dept = db.session.get(Department, _as_int(ctx.data.get("department_id")) or 0)
    if dept is None or not dept.is_active:
        _fail("请选择承办部门")
    if dept.park_id not in (None, p.enterprise.park_id):
        _fail("该部门不服务于企业所在园区")
    handler = None
    if ctx.data.get("handler_id") not in (None, "", 0, "0"):
        handler = db.session.get(User, _as_int(ctx.data.get("handler_id")) or 0)
        if handler is None or handler.role != "handler" or handler.department_id != dept.id:
            _fail("指定的经办人不属于该部门")
        if not handler.is_active_user:
            _fail("指定的经办人账号已停用")
    cp = checkpoints_for(ctx.today, p.category, p.urgency, ctx.rules, ctx.cal)
    event_action = "redispatch" if p.status == "returned" else "dispatch"
    p.department_id, p.handler_id = dept.id, handler.id if handler else None
    p.dispatched_on = ctx.today
    p.accepted_on = p.first_feedback_on = p.progress_on = p.resolved_on = None
    p.sign_due_on, p.feedback_due_on, p.progress_due_on, p.due_on = cp.sign, cp.feedback, cp.progress, cp.due
    _clear_extension(p)
    data = {"department": dept.name, "due_on": cp.due.isoformat()}
    if handler:
        data["handler"] = handler.name
    return Outcome("dispatched", event_action, dept.id, data)


def _accept(ctx: Context) -> Outcome:
    p = ctx.problem
    p.accepted_on = ctx.today
    if p.handler_id is None:
        p.handler_id = ctx.actor.id
    return Outcome("in_progress", "accept", p.department_id)


def _return(ctx: Context) -> Outcome:
    p = ctx.problem
    dept_id = p.department_id
    data = {"department": p.department.name if p.department else None}
    p.department_id = p.handler_id = None
    p.dispatched_on = p.accepted_on = p.first_feedback_on = p.progress_on = None
    p.sign_due_on = p.feedback_due_on = p.progress_due_on = p.due_on = None
    _clear_extension(p)
    return Outcome("returned", "return", dept_id, data)


def _feedback(ctx: Context) -> Outcome:
    ctx.problem.first_feedback_on = ctx.today
    return Outcome(ctx.problem.status, "feedback", ctx.problem.department_id)


def _progress(ctx: Context) -> Outcome:
    p = ctx.problem
    p.progress_on = ctx.today
    if p.first_feedback_on is None:  # a progress report is also the first feedback
        p.first_feedback_on = ctx.today
    return Outcome(p.status, "progress", p.department_id)


def _request_extension(ctx: Context) -> Outcome:
    p, rules = ctx.problem, ctx.rules
    days = _as_int(ctx.data.get("days"))
    if days is None or not 1 <= days <= rules.max_extension_days:
        _fail(f"延期天数应为1到{rules.max_extension_days}个工作日")
    p.extension_days, p.extension_reason, p.extension_requested_on = days, ctx.note[:500], ctx.today
    return Outcome(p.status, "request_extension", p.department_id, {"days": days})


def _approve_extension(ctx: Context) -> Outcome:
    p = ctx.problem
    old, days = p.due_on, p.extension_days
    p.due_on = ctx.cal.add_workdays(old, days)
    p.extension_count += 1
    _clear_extension(p)
    data = {"days": days, "old_due_on": old.isoformat(), "new_due_on": p.due_on.isoformat()}
    return Outcome(p.status, "approve_extension", p.department_id, data)


def _refuse_extension(ctx: Context) -> Outcome:
    p = ctx.problem
    data = {"days": p.extension_days}
    _clear_extension(p)
    return Outcome(p.status, "refuse_extension", p.department_id, data)


def _resolve(ctx: Context) -> Outcome:
    p = ctx.problem
    p.resolution, p.resolved_on = ctx.note, ctx.today
    # The resolution is also the feedback and the progress report: a 重办 must not come back red
    # from checkpoints of the first round that became moot when the department resolved it.
    p.first_feedback_on = p.first_feedback_on or ctx.today
    p.progress_on = p.progress_on or ctx.today
    _clear_extension(p)
    return Outcome("resolved", "resolve", p.department_id)


def _solve_on_spot(ctx: Context) -> Outcome:
    p = ctx.problem
    p.resolution, p.resolved_on, p.on_spot = ctx.note, ctx.today, True
    return Outcome("resolved", "solve_on_spot")


def _evaluate(ctx: Context) -> Outcome:
    p = ctx.problem
    evaluation = str(ctx.data.get("evaluation") or "")
    if evaluation not in EVALUATIONS:
        _fail("请选择企业评价：满意、基本满意或不满意")
    note = clean_multiline(ctx.data.get("note"), "回访情况", 500, required=evaluation == "unsatisfied")
    p.evaluation, p.evaluation_note, p.evaluated_on = evaluation, note, ctx.today
    ctx.note = note
    data = {"evaluation": evaluation}
    if evaluation != "unsatisfied":
        p.closed_on = ctx.today
        return Outcome("closed", "evaluate", p.department_id, data)
    # 不满意: back to the department (重办, counted) with a fresh final limit; an on-the-spot
    # solution goes back to the park office to be dispatched.
    p.redo_count += 1
    p.resolved_on = None
    data["redo"] = p.redo_count
    if p.department_id is None:
        p.on_spot = False
        return Outcome("new", "evaluate", None, data)
    p.due_on = ctx.cal.add_workdays(ctx.today, ctx.rules.limit_for(p.category, p.urgency))
    data["due_on"] = p.due_on.isoformat()
    return Outcome("in_progress", "evaluate", p.department_id, data)


def _force_close(ctx: Context) -> Outcome:
    p = ctx.problem
    if len(ctx.note) < FORCE_CLOSE_MIN:
        _fail(f"强制销号理由至少{FORCE_CLOSE_MIN}个字")
    p.forced_close_reason, p.closed_on = ctx.note[:500], ctx.today
    _clear_extension(p)
    return Outcome("closed", "force_close", p.department_id)


def _supervise(ctx: Context) -> Outcome:
    return Outcome(ctx.problem.status, "supervise", ctx.problem.department_id)


def _instruct(ctx: Context) -> Outcome:
    return Outcome(ctx.problem.status, "instruct", ctx.problem.department_id)


def _escalate(ctx: Context) -> Outcome:
    p = ctx.problem
    target = _as_int(ctx.data.get("level")) or p.level + 1
    if not p.level < target <= max(LEVELS):
        _fail("提级协调只能升至更高的级别")
    data = {"from_level": p.level, "to_level": target, "auto": ctx.actor is None}
    p.level = target
    return Outcome(p.status, "escalate", p.department_id, data)


HANDLERS: dict[str, Callable[[Context], Outcome]] = {
    "dispatch": _dispatch,
    "accept": _accept,
    "return": _return,
    "feedback": _feedback,
    "progress": _progress,
    "request_extension": _request_extension,
    "approve_extension": _approve_extension,
    "refuse_extension": _refuse_extension,
    "resolve": _resolve,
    "solve_on_spot": _solve_on_spot,
    "evaluate": _evaluate,
    "force_close": _force_close,
    "supervise": _supervise,
    "instruct": _instruct,
    "escalate": _escalate,
}


def _clear_extension(p: Problem) -> None:
    p.extension_days = p.extension_reason = p.extension_requested_on = None


def _as_int(value: Any) -> Optional[int]:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


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
) -> ProblemEvent:
    """Take one step of the workflow; the only way a problem's status or deadlines change.

    data may carry "version" (the version the user saw: a stale form is refused), "note", and the
    step's own fields (department_id, handler_id, days, evaluation, level). actor None means the
    scheduler (automatic escalation only).
    """
    data = dict(data or {})
    ctx = Context(
        problem, actor, data, today or local_today(), rules or problem_rules(), cal or get_calendar()
    )
    check_version(problem, data.get("version"), "该问题刚被其他人更新，请刷新页面查看最新情况后再操作")
    step = _check(ctx, action)
    ctx.note = clean_multiline(data.get("note"), step.note or "说明", NOTE_MAX, required=bool(step.note))
    uploads = validate_uploads(files)  # refuse bad files before anything changes
    from_status = problem.status
    outcome = HANDLERS[action](ctx)
    problem.status = outcome.to_state
    # Every step bumps the version (even a 批示 that changes no column), so a form opened before
    # any step is stale and its user sees the latest timeline before acting.
    problem.updated_at = now or utcnow()
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
        at=now or utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    if uploads:
        save_attachments(uploads, "problem_event", event.id, problem.enterprise_id, actor)
    summary = f"问题「{problem.title}」{STEPS[action].label}"
    if from_status != outcome.to_state:
        summary += f"：{PROBLEM_STATUSES[from_status]} → {PROBLEM_STATUSES[outcome.to_state]}"
    record_audit(
        actor, "problem", problem.id, outcome.event_action, summary, enterprise_id=problem.enterprise_id
    )
    notify_problem_event(event)
    return event


def available_actions(
    user: User, problem: Problem, today: date, rules: ProblemRules, cal: WorkCalendar
) -> list[str]:
    """The steps this user may take on the problem now (the buttons the page shows)."""
    out = []
    for action in STEPS:
        ctx = Context(problem, user, {}, today, rules, cal)
        try:
            _check(ctx, action)
        except ServiceError:
            continue
        out.append(action)
    return out


def refusal_reason(user: User, problem: Problem, action: str, today: date) -> Optional[str]:
    """Why a step is not possible now (for a disabled button's hint), or None if it is."""
    ctx = Context(problem, user, {}, today, problem_rules(), get_calendar())
    try:
        _check(ctx, action)
    except ServiceError as exc:
        return str(exc)
    return None
