"""Template helpers for problems, available to every template (the firm page's tab uses them too)."""

from dataclasses import dataclass
from typing import Optional

from flask import g

from crm.blueprints.problems.blueprint import bp
from crm.models import ProblemEvent
from crm.models.portal import WITHDRAWAL_REVIEWS
from crm.models.problem import EVALUATION_CHANNELS, EVALUATIONS, LEVELS
from crm.models.problem_workflow import Action
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


def _ui(step: Action) -> ActionUI:
    """The form of a declared step: a required note is labelled by the step, else by its hint."""
    form = step.form
    return ActionUI(
        fields=form.fields,
        note_label=step.note or form.note_hint,
        note_required=bool(step.note),
        files=form.files,
        css=form.css,
        confirm=form.confirm,
    )


# Derived from the one declaration of the workflow (crm.models.problem_workflow).
ACTION_UI = {code: _ui(step) for code, step in STEPS.items()}
# The order of the step forms on the detail page: the declaration's order (next steps first, 强制销号 last).
DISPLAY_ORDER = tuple(STEPS)
# The step the viewer most likely came for: its form starts open, the others folded.
_PRIMARY_RANK = {code: step.form.primary for code, step in STEPS.items() if step.form.primary is not None}
PRIMARY_ORDER = tuple(sorted(_PRIMARY_RANK, key=_PRIMARY_RANK.__getitem__))


@bp.app_template_global()
def problem_clock_now() -> ProblemClock:
    """The request's ProblemClock (the calendar loaded once per request)."""
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
        who = "企业自评（服务码）" if data.get("by") == "firm" else "代录"
        channel = EVALUATION_CHANNELS.get(data.get("channel") or "")
        who += f"（{channel}）" if channel else ""
        out.append(f"企业评价：{EVALUATIONS.get(data['evaluation'], data['evaluation'])} · {who}")
    if event.action == "withdraw_review" and data.get("verdict"):
        out.append(f"质检结果：{WITHDRAWAL_REVIEWS.get(data['verdict'], data['verdict'])}")
    if data.get("redo"):
        out.append(f"第{data['redo']}次重办")
    if data.get("to_level"):
        frm, to = data.get("from_level"), data["to_level"]
        frm_label = LEVELS.get(frm, frm) if frm is not None else frm  # older events may lack from_level
        text = f"协调级别：{frm_label} → {LEVELS.get(to, to)}"
        out.append(text + ("（系统自动）" if data.get("auto") else ""))
    return out
