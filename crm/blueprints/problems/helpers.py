"""Template helpers for problems, available to every template (the firm page's tab uses them too)."""

from dataclasses import dataclass
from typing import Optional

from flask import g

from crm.blueprints.problems.blueprint import bp
from crm.models import ProblemEvent
from crm.models.problem import EVALUATIONS, LEVELS
from crm.services.problems.flow import STEPS
from crm.services.problems.queries import ProblemClock, problem_clock
from crm.timeutil import today

STATUS_CSS = {
    "new": "text-bg-warning",
    "dispatched": "text-bg-info",
    "in_progress": "text-bg-primary",
    "resolved": "text-bg-success",
    "returned": "text-bg-danger",
    "closed": "text-bg-secondary",
}


@dataclass(frozen=True)
class ActionUI:
    """How a step's compact form looks: its inputs, the note's label and the button."""

    fields: tuple[str, ...] = ()
    note_label: str = "说明（选填）"
    note_required: bool = False
    files: bool = False
    css: str = "btn-primary"
    confirm: Optional[str] = None


def _ui(action: str, fields: tuple[str, ...] = (), files: bool = False, **kw) -> ActionUI:
    note = STEPS[action].note
    base = {"note_label": note, "note_required": True} if note else {}
    return ActionUI(fields=fields, files=files, **(base | kw))


ACTION_UI = {
    "dispatch": _ui("dispatch", ("department", "handler"), note_label="交办意见（选填）"),
    "accept": _ui("accept"),
    "feedback": _ui("feedback", files=True),
    "progress": _ui("progress", files=True),
    "resolve": _ui("resolve", files=True, css="btn-success"),
    "request_extension": _ui("request_extension", ("days",), css="btn-outline-primary"),
    "approve_extension": _ui("approve_extension", css="btn-success"),
    "refuse_extension": _ui("refuse_extension", css="btn-outline-danger"),
    "return": _ui("return", files=True, css="btn-outline-danger", confirm="确定退回该问题？"),
    "solve_on_spot": _ui("solve_on_spot", files=True, css="btn-outline-success"),
    "evaluate": _ui("evaluate", ("evaluation",), files=True, note_label="回访情况（不满意时必填）"),
    "force_close": _ui("force_close", css="btn-danger", confirm="强制销号后不可恢复，确定？"),
    "supervise": _ui("supervise", files=True, css="btn-warning"),
    "instruct": _ui("instruct", css="btn-primary"),
    "escalate": _ui("escalate", ("level",), css="btn-outline-warning"),
}
# The order of the step forms on the detail page: the workflow's next steps first, force_close last.
DISPLAY_ORDER = (
    "dispatch",
    "accept",
    "feedback",
    "progress",
    "resolve",
    "evaluate",
    "solve_on_spot",
    "approve_extension",
    "refuse_extension",
    "request_extension",
    "instruct",
    "supervise",
    "escalate",
    "return",
    "force_close",
)
# The step the viewer most likely came for: its form starts open, the others folded.
PRIMARY_ORDER = (
    "dispatch",
    "accept",
    "evaluate",
    "approve_extension",
    "feedback",
    "resolve",
    "instruct",
    "supervise",
)


@bp.app_template_global()
def problem_clock_now() -> ProblemClock:
    """The request's ProblemClock (rules and calendar loaded once per request)."""
    clock = g.get("_problem_clock")
    if clock is None:
        clock = g._problem_clock = problem_clock(today())
    return clock


@bp.app_template_global()
def problem_status_css(status: str) -> str:
    return STATUS_CSS.get(status, "text-bg-secondary")


@bp.app_template_global()
def problem_step_label(action: str) -> str:
    return STEPS[action].label


@bp.app_template_global()
def problem_step_open(action: str, problem) -> bool:
    """Whether the problem's status admits the step (the permission is asked separately with can())."""
    return problem.status in STEPS[action].from_states


@bp.app_template_global()
def problem_action_ui(action: str) -> ActionUI:
    return ACTION_UI[action]


@bp.app_template_global()
def primary_action(actions: list[str], problem) -> Optional[str]:
    """The step whose form starts open; feedback only until the first feedback is given."""
    for action in PRIMARY_ORDER:
        if action in actions and not (action == "feedback" and problem.first_feedback_on):
            return action
    return None


@bp.app_template_global()
def event_details(event: ProblemEvent) -> list[str]:
    """Chinese lines for an event's data: targets, due-date changes, evaluation, levels."""
    data = event.data or {}
    out = []
    if data.get("department"):
        out.append(f"承办部门：{data['department']}")
    if data.get("handler"):
        out.append(f"经办人：{data['handler']}")
    if data.get("old_due_on") and data.get("new_due_on"):
        out.append(f"办结期限：{data['old_due_on']} → {data['new_due_on']}")
    elif data.get("due_on"):
        out.append(f"办结期限：{data['due_on']}")
    if data.get("days") and event.action in ("request_extension", "approve_extension", "refuse_extension"):
        out.append(f"延期{data['days']}个工作日")
    if data.get("evaluation"):
        out.append(f"企业评价：{EVALUATIONS.get(data['evaluation'], data['evaluation'])}")
    if data.get("redo"):
        out.append(f"第{data['redo']}次重办")
    if data.get("to_level"):
        frm, to = data.get("from_level"), data["to_level"]
        text = f"协调级别：{LEVELS.get(frm, frm)} → {LEVELS.get(to, to)}"
        out.append(text + ("（系统自动）" if data.get("auto") else ""))
    return out
