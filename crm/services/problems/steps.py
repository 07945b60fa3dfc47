"""The steps of the problem workflow: each validates its data, changes the problem and returns the
Outcome that apply_action() (crm.services.problems.flow) writes as the one ProblemEvent of the step.

Who may take a step, from and to which states, and the events it writes are declared once in
crm.models.problem_workflow; HANDLERS holds what each declared step does, under the same codes.
Only apply_action calls these: it has already checked the transition, the right and the windows.
"""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, Optional

from crm.extensions import db
from crm.models import CommonIssue, Department, Problem, User
from crm.models.problem import EVALUATION_CHANNELS, EVALUATIONS, LEVELS
from crm.models.problem_workflow import WORKFLOW
from crm.services.common.validators import clean_multiline
from crm.services.problems.answer_source import answer_source
from crm.services.problems.deadlines import checkpoints_for, set_warn_dates
from crm.services.problems.rules import EVENT_KEY, ProblemRules, ensure_rule_set, rules_from_json
from crm.services.problems.step_base import Context, Outcome, as_int, clear_extension, clear_withdrawal, fail
from crm.services.problems.withdrawal_steps import (
    confirm_withdrawal,
    decline_withdrawal,
    request_withdrawal,
    review_withdrawal,
)
from crm.services.workdays.calendar import WorkCalendar

FORCE_CLOSE_MIN = 5


# --- deadlines of the time windows (also used by the pre-checks in crm.services.problems.flow) ---


def return_deadline(p: Problem, rules: ProblemRules, cal: WorkCalendar) -> date:
    assert p.dispatched_on is not None, "the return window runs from the dispatch"
    return cal.add_workdays(p.dispatched_on, rules.return_days)


def extension_deadline(p: Problem, rules: ProblemRules, cal: WorkCalendar) -> Optional[date]:
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


def _adopt_current_rules(ctx: Context) -> int:
    """A new round of deadlines (交办, 改派, 重办) is computed under the version in force now: record it
    on the problem and use it for the rest of the step. Returns its id, for the event's data."""
    rule_set = ensure_rule_set(ctx.now)
    ctx.problem.rule_set_id = rule_set.id
    ctx.rules = rules_from_json(rule_set.rules)
    return rule_set.id


# --- the steps: validate data, then change the problem; return the outcome for the event ---


def _dispatch(ctx: Context) -> Outcome:
    p = ctx.problem
    dept = db.session.get(Department, as_int(ctx.data.get("department_id")) or 0)
    if dept is None or not dept.is_active:
        fail("请选择承办部门")
    if dept.park_id not in (None, p.enterprise.park_id):
        fail("该部门不服务于企业所在园区")
    handler = None
    if ctx.data.get("handler_id") not in (None, "", 0, "0"):
        handler = db.session.get(User, as_int(ctx.data.get("handler_id")) or 0)
        if handler is None or handler.role != "handler" or handler.department_id != dept.id:
            fail("指定的经办人不属于该部门")
        if not handler.is_active_user:
            fail("指定的经办人账号已停用")
    rule_set_id = _adopt_current_rules(ctx)
    cp = checkpoints_for(ctx.today, p.category, p.urgency, ctx.rules, ctx.cal)
    event_action = "redispatch" if p.status == "returned" else "dispatch"
    p.department_id, p.handler_id = dept.id, handler.id if handler else None
    p.dispatched_on = ctx.today
    p.accepted_on = p.first_feedback_on = p.progress_on = p.resolved_on = None
    p.sign_due_on, p.feedback_due_on, p.progress_due_on, p.due_on = cp.sign, cp.feedback, cp.progress, cp.due
    set_warn_dates(p, ctx.today, ctx.rules, ctx.cal)
    clear_extension(p)
    data: dict[str, Any] = {"department": dept.name, "due_on": cp.due.isoformat(), EVENT_KEY: rule_set_id}
    if handler:
        data["handler"] = handler.name
    return Outcome("dispatched", event_action, dept.id, data)


def _accept(ctx: Context) -> Outcome:
    p = ctx.problem
    p.accepted_on = ctx.today
    if p.handler_id is None:
        assert ctx.actor is not None, "only a person accepts a problem (not a system step)"
        p.handler_id = ctx.actor.id
    return Outcome("in_progress", "accept", p.department_id)


def _return(ctx: Context) -> Outcome:
    p = ctx.problem
    dept_id = p.department_id
    data = {"department": p.department.name if p.department else None}
    p.department_id = p.handler_id = p.rule_set_id = None
    p.dispatched_on = p.accepted_on = p.first_feedback_on = p.progress_on = None
    p.sign_due_on = p.feedback_due_on = p.progress_due_on = p.due_on = None
    p.sign_warn_on = p.feedback_warn_on = p.progress_warn_on = p.due_warn_on = None
    clear_extension(p)
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
    days = as_int(ctx.data.get("days"))
    if days is None or not 1 <= days <= rules.max_extension_days:
        fail(f"延期天数应为1到{rules.max_extension_days}个工作日")
    assert ctx.note is not None, "the step is declared with a required note"
    p.extension_days, p.extension_reason, p.extension_requested_on = days, ctx.note[:500], ctx.today
    return Outcome(p.status, "request_extension", p.department_id, {"days": days})


def _approve_extension(ctx: Context) -> Outcome:
    p = ctx.problem
    old, days = p.due_on, p.extension_days
    # _precheck() let only a pending extension through, and it was requested against the due date.
    assert old is not None and days is not None, "approving needs a due date and a pending extension"
    p.due_on = ctx.cal.add_workdays(old, days)
    # The extended limit's window still runs from the dispatch.
    set_warn_dates(p, p.dispatched_on or ctx.today, ctx.rules, ctx.cal, only_due=True)
    p.extension_count += 1
    clear_extension(p)
    data = {"days": days, "old_due_on": old.isoformat(), "new_due_on": p.due_on.isoformat()}
    return Outcome(p.status, "approve_extension", p.department_id, data)


def _refuse_extension(ctx: Context) -> Outcome:
    p = ctx.problem
    data = {"days": p.extension_days}
    clear_extension(p)
    return Outcome(p.status, "refuse_extension", p.department_id, data)


def _resolve(ctx: Context) -> Outcome:
    p = ctx.problem
    p.resolution, p.resolved_on = ctx.note, ctx.today
    # The resolution is also the feedback and the progress report: a 重办 must not come back red
    # from checkpoints of the first round that became moot when the department resolved it.
    p.first_feedback_on = p.first_feedback_on or ctx.today
    p.progress_on = p.progress_on or ctx.today
    clear_extension(p)
    clear_withdrawal(p)  # a pending 撤单申请 lapses once the problem is solved
    return Outcome("resolved", "resolve", p.department_id)


def _group_resolve(ctx: Context) -> Outcome:
    """专班办结: the problem's 共性问题 was closed; its resolution is the problem's (only that service
    takes this step, naming the group it closes: a problem page or a stray request cannot)."""
    p = ctx.problem
    group = db.session.get(CommonIssue, p.common_issue_id) if p.common_issue_id else None
    if group is None or group.status != "closed" or as_int(ctx.data.get("common_issue_id")) != group.id:
        fail("专班办结只能通过办结该问题所属的共性问题进行")
    p.resolution, p.resolved_on = ctx.note, ctx.today
    p.first_feedback_on = p.first_feedback_on or ctx.today
    p.progress_on = p.progress_on or ctx.today
    clear_extension(p)
    clear_withdrawal(p)
    return Outcome("resolved", "group_resolve", p.department_id, {"common_issue": group.id})


def _solve_on_spot(ctx: Context) -> Outcome:
    p = ctx.problem
    # 现场解答: optionally the earlier solved problem of the park whose answer the cadre gave.
    source = answer_source(ctx.data.get("answered_from"), p.enterprise.park_id, p.id)
    p.resolution, p.resolved_on, p.on_spot = ctx.note, ctx.today, True
    p.answered_from_id = source.id if source else None
    clear_withdrawal(p)
    return Outcome("resolved", "solve_on_spot", data={"answered_from": source.id} if source else None)


def _evaluate(ctx: Context) -> Outcome:
    p = ctx.problem
    evaluation = str(ctx.data.get("evaluation") or "")
    if evaluation not in EVALUATIONS:
        fail("请选择企业评价：满意、基本满意或不满意")
    label = "不满意的原因" if ctx.by_firm else "回访情况"
    note = clean_multiline(ctx.data.get("note"), label, 500, required=evaluation == "unsatisfied")
    # 企业自评 on the firm's page, or 代录 by the cadre's side with how the firm was asked (电话/上门).
    channel = None if ctx.by_firm else str(ctx.data.get("channel") or "") or None
    if channel is not None and channel not in EVALUATION_CHANNELS:
        fail("请选择回访方式：电话或上门")
    p.evaluation, p.evaluation_note, p.evaluated_on = evaluation, note, ctx.today
    p.evaluation_by, p.evaluation_channel = ("firm" if ctx.by_firm else "cadre"), channel
    ctx.note = note
    data: dict[str, Any] = {"evaluation": evaluation, "by": p.evaluation_by}
    if channel:
        data["channel"] = channel
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
    data[EVENT_KEY] = _adopt_current_rules(ctx)
    p.due_on = ctx.cal.add_workdays(ctx.today, ctx.rules.limit_for(p.category, p.urgency))
    set_warn_dates(p, ctx.today, ctx.rules, ctx.cal, only_due=True)
    data["due_on"] = p.due_on.isoformat()
    return Outcome("in_progress", "evaluate", p.department_id, data)


def _force_close(ctx: Context) -> Outcome:
    p = ctx.problem
    assert ctx.note is not None, "the step is declared with a required note"
    if len(ctx.note) < FORCE_CLOSE_MIN:
        fail(f"强制销号理由至少{FORCE_CLOSE_MIN}个字")
    p.forced_close_reason, p.closed_on = ctx.note[:500], ctx.today
    clear_extension(p)
    clear_withdrawal(p)
    return Outcome("closed", "force_close", p.department_id)


def _supervise(ctx: Context) -> Outcome:
    return Outcome(ctx.problem.status, "supervise", ctx.problem.department_id)


def _instruct(ctx: Context) -> Outcome:
    return Outcome(ctx.problem.status, "instruct", ctx.problem.department_id)


def _escalate(ctx: Context) -> Outcome:
    p = ctx.problem
    target = as_int(ctx.data.get("level")) or p.level + 1
    if not p.level < target <= max(LEVELS):
        fail("提级协调只能升至更高的级别")
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
    "group_resolve": _group_resolve,
    "evaluate": _evaluate,
    "force_close": _force_close,
    "supervise": _supervise,
    "instruct": _instruct,
    "escalate": _escalate,
    "request_withdrawal": request_withdrawal,
    "confirm_withdrawal": confirm_withdrawal,
    "decline_withdrawal": decline_withdrawal,
    "review_withdrawal": review_withdrawal,
}
# A declared step without behaviour, or behaviour for an undeclared step, is a programming error:
# fail at import rather than on the first user who takes it.
if set(HANDLERS) != set(WORKFLOW):
    raise RuntimeError(f"HANDLERS and the declared workflow differ: {set(HANDLERS) ^ set(WORKFLOW)}")
