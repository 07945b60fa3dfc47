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

# The event written when a problem is raised (crm.services.problems.intake): not a step of this table.
RAISE_EVENT = "raise"
RAISE_LABEL = "反映问题"


@dataclass(frozen=True)
class Form:
    """The step's compact form on the problem page (crm/templates/problems/_action_form.html)."""

    fields: tuple[str, ...] = ()  # inputs besides the note: department, handler, days, evaluation, level
    files: bool = False  # photos or attachments may be added
    css: str = "btn-primary"  # the submit button's Bootstrap class
    confirm: Optional[str] = None  # a confirmation asked before submitting
    note_hint: str = "说明（选填）"  # the note's label when the step does not require one
    # Rank among the steps whose form starts open (1 first); None: the form starts folded.
    primary: Optional[int] = None


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
        Form(primary=2),
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
        Form(files=True, css="btn-success", primary=6),
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
        Form(("evaluation",), files=True, note_hint="回访情况（不满意时必填）", primary=3),
        Replay(stamp=("evaluated_on",), effect="evaluate"),
        # 不满意: back to the department (重办), or to the park office if it was solved on the spot.
        other_outcomes=("in_progress", "new"),
    ),
    Action(
        "solve_on_spot",
        "现场解决",
        CADRE_SIDE,
        ("new",),
        "resolved",
        Form(files=True, css="btn-outline-success"),
        Replay(stamp=("resolved_on",), effect="on_spot"),
        note="解决情况",
    ),
    Action(
        "approve_extension",
        "同意延期",
        OFFICE,
        ("in_progress",),
        None,
        Form(css="btn-success", primary=4),
        Replay(effect="extend"),
    ),
    Action(
        "refuse_extension",
        "不同意延期",
        OFFICE,
        ("in_progress",),
        None,
        Form(css="btn-outline-danger"),
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
