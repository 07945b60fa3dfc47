"""The problem workflow declared once: every step a user (or the scheduler) may take on a problem.

One row per step says who may take it, from which states, to which state, which events it writes and
how they read on the timeline, what its form on the problem page looks like, and what the month-end
replay of the report does with its events. The rest reads this table:

- crm.models.problem: the timeline labels of the events (EVENT_ACTIONS);
- crm.permissions: the roles of each `problem.<code>` right and the department steps (HANDLER_ACTIONS);
- crm.services.problems.flow: the transition checks of apply_action (what each step *does* is the
  function of the same code in crm.services.problems.steps.HANDLERS, checked against this table);
- crm.blueprints.problems.helpers: the step forms, their order and which one starts open;
- crm.reporting.monthly.state: how a month-end state is replayed from the events.
- crm.services.portal: the steps the firm itself takes on its service page (Action.firm).

Adding a step means adding its row here and its function to HANDLERS (plus a replay effect if its
events change something the report reads). Pure data: this module imports nothing from crm, because
the models and permissions sit below the services in the layers.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional

# Every status but 已销号; equal to crm.models.problem.OPEN_STATUSES (which cannot be imported here,
# as that module reads its event labels from this one); a test keeps the two equal.
OPEN = ("new", "dispatched", "in_progress", "resolved", "returned")
# Statuses in which a department is working on the problem.
WORKING = ("dispatched", "in_progress")

# Who takes a step, before the object scope of crm.permissions.can().
OFFICE = frozenset({"admin", "officer"})  # the park office
DEPARTMENT = frozenset({"handler"})  # the department the problem was handed to
CADRE_SIDE = frozenset({"admin", "officer", "cadre"})  # the firm's side: its cadre and the office
LEADERS = frozenset({"leader"})
# Who may ask for a 撤单 (withdrawal): the department working on it, the firm's cadre, the office.
WITHDRAWAL_ASKERS = frozenset({"admin", "officer", "cadre", "handler"})
# States from which a problem may be withdrawn: not yet resolved (a resolved one awaits its evaluation).
WITHDRAWABLE = ("new", "dispatched", "in_progress", "returned")

# The event written when a problem is raised (crm.services.problems.intake): not a step of this table.
RAISE_EVENT = "raise"
RAISE_LABEL = "反映问题"


@dataclass(frozen=True)
class Form:
    """The step's compact form on the problem page (crm/templates/problems/_action_form.html)."""

    # Inputs besides the note: department, handler, days, evaluation (with how the firm was asked), level,
    # verdict (撤单质检).
    fields: tuple[str, ...] = ()
    files: bool = False  # photos or attachments may be added
    css: str = "btn-primary"  # the submit button's Bootstrap class
    confirm: Optional[str] = None  # a confirmation asked before submitting
    note_hint: str = "说明（选填）"  # the note's label when the step does not require one
    # Rank among the steps whose form starts open (1 first); None: the form starts folded.
    primary: Optional[int] = None
    # False: the problem page never offers the step; another service takes it on many problems at once
    # (专班办结: closing a 共性问题, crm.services.knowledge.group_close).
    on_page: bool = True


@dataclass(frozen=True)
class Replay:
    """What the step's events change in a report's month-end state (crm.reporting.monthly.state).

    The status always comes from the event itself (to_status); these say which other fields follow.
    """

    stamp: tuple[str, ...] = ()  # date fields set to the event's day
    fill: tuple[str, ...] = ()  # date fields set to the event's day unless already set
    effect: Optional[str] = None  # a change read from the event's data, named in state.EFFECTS


@dataclass(frozen=True)
class Action:
    """One step of the workflow; `code` names it everywhere (right, route, handler, event)."""

    code: str
    label: str  # the Chinese verb on the button, in messages and in refusals
    roles: frozenset[str]  # roles allowed to take it (crm.permissions adds the object scope)
    from_states: tuple[str, ...]
    to_state: Optional[str]  # the state it leads to; None: the status does not change
    form: Form
    replay: Replay
    note: Optional[str] = None  # label of a required note, if the step needs one
    # Other states the step may lead to, decided by its data (an unsatisfied evaluation: 重办).
    other_outcomes: tuple[str, ...] = ()
    # The events it writes, code -> timeline label; empty: one event named and labelled like the step.
    events: Mapping[str, str] = field(default_factory=dict, compare=False)
    system: bool = False  # the scheduler may take it with no actor (automatic escalation)
    # The firm itself may take it on its service page (企业服务码), with no account: the event's actor is
    # the firm (actor_id None, data["by"] = "firm"), and a required note is optional for it.
    firm: bool = False

    def __post_init__(self) -> None:
        if not self.events:
            object.__setattr__(self, "events", {self.code: self.label})

    @property
    def right(self) -> str:
        """The permission name of the step, as crm.permissions.can() knows it."""
        return f"problem.{self.code}"

    @property
    def department_step(self) -> bool:
        """Taken by the department: only its named handler (if the problem names one) or its head."""
        return self.roles == DEPARTMENT

    def outcomes(self, from_state: str) -> tuple[str, ...]:
        """The states the step may leave a problem in when taken from from_state."""
        return (self.to_state or from_state, *self.other_outcomes)


_ACTIONS = (
    Action(
        "dispatch",
        "交办",
        OFFICE,
        ("new", "returned"),
        "dispatched",
        Form(("department", "handler"), note_hint="交办意见（选填）", primary=1),
        Replay(stamp=("dispatched_on",), effect="dispatch"),
        # Dispatching a returned problem again is 改派 on the timeline and in the report.
        events={"dispatch": "交办", "redispatch": "改派"},
    ),
    Action(
        "accept",
        "签收",
        DEPARTMENT,
        ("dispatched",),
        "in_progress",
        Form(primary=2, confirm="签收后即开始计算首次反馈、阶段进展和办结期限，确定签收？"),
        Replay(stamp=("accepted_on",)),
    ),
    Action(
        "feedback",
        "首次反馈",
        DEPARTMENT,
        ("in_progress",),
        None,
        Form(files=True, primary=5),
        Replay(stamp=("first_feedback_on",)),
        note="反馈内容",
    ),
    Action(
        "progress",
        "阶段进展",
        DEPARTMENT,
        ("in_progress",),
        None,
        Form(files=True),
        # A progress report is also the first feedback.
        Replay(stamp=("progress_on",), fill=("first_feedback_on",)),
        note="进展情况",
    ),
    Action(
        "resolve",
        "办结",
        DEPARTMENT,
        ("in_progress",),
        "resolved",
        Form(
            files=True,
            css="btn-success",
            primary=6,
            confirm="办结后不能再补充反馈，将请联系干部回访企业评价，确定办结？",
        ),
        # The resolution also counts as the feedback and the progress report.
        Replay(stamp=("resolved_on",), fill=("first_feedback_on", "progress_on")),
        note="办理结果",
    ),
    Action(
        "evaluate",
        "回访评价",
        CADRE_SIDE,
        ("resolved",),
        "closed",
        # The note is required only for 不满意, which the step itself checks.
        Form(
            ("evaluation",),
            files=True,
            note_hint="回访情况（不满意时必填）",
            primary=3,
            confirm="确定提交企业评价？满意或基本满意即销号，不满意将退回承办部门重办。",
        ),
        Replay(stamp=("evaluated_on",), effect="evaluate"),
        # 不满意: back to the department (重办), or to the park office if it was solved on the spot.
        other_outcomes=("in_progress", "new"),
        # The firm's own rating on its page is the 回访评价 (企业自评); the cadre's is 代录.
        firm=True,
    ),
    Action(
        "solve_on_spot",
        "现场解决",
        CADRE_SIDE,
        ("new",),
        "resolved",
        # answered_from: optionally the earlier solved problem whose answer was given (现场解答).
        Form(
            ("answered_from",),
            files=True,
            css="btn-outline-success",
            confirm="确定该问题已现场解决？提交后等待企业评价销号。",
        ),
        Replay(stamp=("resolved_on",), effect="on_spot"),
        note="解决情况",
    ),
    Action(
        "group_resolve",
        "专班办结",
        OFFICE,
        ("new", "dispatched", "in_progress", "returned"),
        "resolved",
        Form(css="btn-success", on_page=False),
        # As 办结: the group's resolution also counts as the feedback and the progress report; the firm's
        # own evaluation (回访) still decides 销号 or 重办.
        Replay(stamp=("resolved_on",), fill=("first_feedback_on", "progress_on")),
        note="办理结果",
    ),
    Action(
        "approve_extension",
        "同意延期",
        OFFICE,
        ("in_progress",),
        None,
        Form(css="btn-success", primary=4, confirm="同意后办结期限按申请顺延，确定同意延期？"),
        Replay(effect="extend"),
    ),
    Action(
        "refuse_extension",
        "不同意延期",
        OFFICE,
        ("in_progress",),
        None,
        Form(css="btn-outline-danger", confirm="确定不同意延期？办结期限保持不变。"),
        Replay(),
        note="不同意的理由",
    ),
    Action(
        "request_extension",
        "申请延期",
        DEPARTMENT,
        ("in_progress",),
        None,
        Form(("days",), css="btn-outline-primary"),
        Replay(),  # the due date moves only when an officer approves
        note="延期理由",
    ),
    Action(
        "instruct",
        "批示",
        LEADERS,
        OPEN,
        None,
        Form(primary=7),
        Replay(),
        note="批示内容",
        events={"instruct": "领导批示"},
    ),
    Action(
        "supervise",
        "督办",
        OFFICE,
        WORKING,
        None,
        Form(files=True, css="btn-warning", primary=8),
        Replay(),
        note="督办意见",
    ),
    Action(
        "escalate",
        "提级协调",
        OFFICE,
        WORKING,
        None,
        Form(("level",), css="btn-outline-warning"),
        Replay(effect="escalate"),
        note="提级理由",
        system=True,
    ),
    Action(
        "request_withdrawal",
        "申请撤单",
        WITHDRAWAL_ASKERS,
        WITHDRAWABLE,
        None,  # withdrawn only when the firm confirms
        Form(css="btn-outline-secondary", confirm="撤单须经企业本人确认，确定提出撤单申请？"),
        Replay(),
        note="撤单理由",
    ),
    Action(
        "confirm_withdrawal",
        "确认撤单",
        OFFICE,  # an officer records the firm's confirmation by phone; the firm confirms on its page
        WITHDRAWABLE,
        "closed",
        Form(
            css="btn-outline-danger",
            confirm="确认企业已同意撤单？撤单后问题关闭，并进入撤单质检。",
            primary=9,
        ),
        Replay(stamp=("closed_on",)),
        note="电话确认情况",
        events={"withdraw_phone": "电话确认撤单", "withdraw_firm": "企业确认撤单"},
        firm=True,
    ),
    Action(
        "decline_withdrawal",
        "不同意撤单",
        OFFICE,
        WITHDRAWABLE,
        None,
        Form(css="btn-outline-primary"),
        Replay(),
        note="企业意见",
        events={"withdraw_declined": "企业不同意撤单"},
        firm=True,
    ),
    Action(
        "review_withdrawal",
        "撤单质检",
        OFFICE,
        ("closed",),  # only a problem closed by a confirmed 撤单, not yet reviewed
        None,  # 属实: it stays closed
        Form(("verdict",), note_hint="质检说明（不属实时必填）", primary=10),
        # 不属实 reopens it: back to the park office (待交办) to be dispatched again.
        Replay(effect="reopen"),
        other_outcomes=("new",),
        events={"withdraw_review": "撤单质检"},
    ),
    Action(
        "return",
        "退回",
        DEPARTMENT,
        WORKING,
        "returned",
        Form(files=True, css="btn-outline-danger", confirm="确定退回该问题？"),
        Replay(effect="return"),
        note="退回理由",
    ),
    Action(
        "force_close",
        "强制销号",
        OFFICE,
        OPEN,
        "closed",
        Form(css="btn-danger", confirm="强制销号后不可恢复，确定？"),
        Replay(stamp=("closed_on",)),
        note="强制销号理由",
    ),
)


@dataclass(frozen=True)
class SystemEvent:
    """An event the system writes on a problem outside the steps: no actor, the status unchanged."""

    code: str
    label: str  # its timeline label
    replay: Replay


# Deadlines recomputed when an admin confirms a year's holiday table (crm.services.problems.recalc);
# data["changes"] maps each moved deadline field to [old, new].
RECALC_EVENT = "recalc_deadlines"
SYSTEM_EVENTS: dict[str, SystemEvent] = {
    RECALC_EVENT: SystemEvent(RECALC_EVENT, "期限调整", Replay(effect="recalc")),
}

# code -> step, in the order their forms appear on the problem page: the workflow's next steps first,
# the exceptional ones (退回, 强制销号) last.
WORKFLOW: dict[str, Action] = {a.code: a for a in _ACTIONS}
# event code -> the step that writes it (the report's replay reads events, not steps).
STEP_OF_EVENT: dict[str, Action] = {event: a for a in _ACTIONS for event in a.events}
# event code -> what its replay changes: the steps' events and the system events.
REPLAY_OF_EVENT: dict[str, Replay] = {event: a.replay for event, a in STEP_OF_EVENT.items()} | {
    code: e.replay for code, e in SYSTEM_EVENTS.items()
}
# event code -> its timeline label, the raising of a problem and the system events included.
EVENT_LABELS: dict[str, str] = (
    {RAISE_EVENT: RAISE_LABEL}
    | {event: label for a in _ACTIONS for event, label in a.events.items()}
    | {code: e.label for code, e in SYSTEM_EVENTS.items()}
)
