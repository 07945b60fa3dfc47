"""The problem workflow is declared once (crm.models.problem_workflow) and every reader agrees with it:
the step functions, the permissions, the timeline labels, the problem page's forms and the report's
month-end replay. Every declared step is offered on the problem page to someone, and replaying the
events a step writes rebuilds exactly what the step did to the problem.
"""

import pytest
from sqlalchemy import select

from crm.blueprints.problems.helpers import ACTION_UI, DISPLAY_ORDER, PRIMARY_ORDER
from crm.extensions import db as _db
from crm.models import Problem, ProblemEvent
from crm.models.problem import CLOCK_STATUSES, EVENT_ACTIONS, OPEN_STATUSES, PROBLEM_STATUSES
from crm.models.problem_workflow import (
    OPEN,
    RAISE_EVENT,
    REPLAY_OF_EVENT,
    STEP_OF_EVENT,
    SYSTEM_EVENTS,
    WORKFLOW,
    WORKING,
    Action,
    Form,
    Replay,
)
from crm.permissions import ACTION_ROLES, HANDLER_ACTIONS
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.state import EFFECTS, ProblemState, problem_states, replay
from crm.services.problems import flow
from crm.services.problems.flow import STEPS, SYSTEM_ACTIONS, apply_action, available_actions
from crm.services.problems.rules import RuleBook, rules_of
from crm.services.problems.step_base import Outcome
from crm.services.problems.steps import HANDLERS
from crm.services.workdays.calendar import get_calendar
from tests.support.dates import TODAY
from tests.support.problems import make_problem, problem_world

# problem.* rights that are not steps of the workflow (pages, exports, raising, attaching files).
NOT_STEPS = {
    "problem.raise",
    "problem.view",
    "problem.export",
    "problem.inbox",
    "problem.board",
    "problem.escalations",
    "problem.attach",
    "problem.similar",
}
# The inputs _action_form.html knows how to render.
FORM_FIELDS = {"department", "handler", "days", "evaluation", "level", "verdict", "answered_from"}
# Situations a problem can be put in (tests.support.problems.PATHS), tried in this order.
SITUATIONS = (
    "new",
    "dispatched",
    "in_progress",
    "extension",
    "resolved",
    "returned",
    "on_spot",
    "withdrawal",
    "withdrawn",
)
# Steps offered on the problem page; the others are taken by another service on many problems at once
# (专班办结 by closing a 共性问题: its refusal and replay are tested in tests/unit/test_common_issues.py).
ON_PAGE = [code for code, step in WORKFLOW.items() if step.form.on_page]
# Data a step needs besides a note.
DATA = {
    "request_extension": {"days": 3},
    "evaluate": {"evaluation": "satisfied"},
    "escalate": {"level": 2},
    "review_withdrawal": {"verdict": "genuine"},
}
# The fields of a month-end state the replay rebuilds (crm.reporting.monthly.state.replay).
REPLAYED = (
    "status",
    "department_id",
    "dispatched_on",
    "accepted_on",
    "first_feedback_on",
    "progress_on",
    "resolved_on",
    "evaluated_on",
    "closed_on",
    "sign_due_on",
    "feedback_due_on",
    "progress_due_on",
    "due_on",
    "sign_warn_on",
    "feedback_warn_on",
    "progress_warn_on",
    "due_warn_on",
    "level",
    "evaluation",
    "on_spot",
)


# --- the declaration and its readers name the same steps ---


def test_handlers_declaration_and_permissions_name_the_same_steps():
    declared = set(WORKFLOW)
    assert set(HANDLERS) == declared
    assert STEPS is WORKFLOW
    step_rights = {right for right in ACTION_ROLES if right.startswith("problem.")} - NOT_STEPS
    assert step_rights == {f"problem.{code}" for code in declared}
    for step in WORKFLOW.values():
        assert ACTION_ROLES[step.right] == set(step.roles), step.code
    assert HANDLER_ACTIONS == {s.right for s in WORKFLOW.values() if s.roles == {"handler"}}
    assert SYSTEM_ACTIONS == {"escalate"}


def test_the_declared_states_are_the_models_states():
    assert OPEN == OPEN_STATUSES and WORKING == CLOCK_STATUSES
    for step in WORKFLOW.values():
        assert set(step.from_states) <= set(PROBLEM_STATUSES), step.code
        for state in step.from_states:
            assert set(step.outcomes(state)) <= set(PROBLEM_STATUSES), step.code


def test_every_event_has_a_chinese_timeline_label():
    events = {event for step in WORKFLOW.values() for event in step.events}
    assert set(EVENT_ACTIONS) == events | {RAISE_EVENT} | set(SYSTEM_EVENTS) and set(STEP_OF_EVENT) == events
    assert set(REPLAY_OF_EVENT) == events | set(SYSTEM_EVENTS) and not set(SYSTEM_EVENTS) & events
    assert EVENT_ACTIONS["recalc_deadlines"] == "期限调整"
    assert EVENT_ACTIONS["redispatch"] == "改派" and EVENT_ACTIONS["instruct"] == "领导批示"
    for label in EVENT_ACTIONS.values():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in label)


def test_every_step_has_a_form_in_the_derived_ui_table():
    assert set(ACTION_UI) == set(WORKFLOW)
    assert sorted(DISPLAY_ORDER) == sorted(WORKFLOW) and DISPLAY_ORDER[-1] == "force_close"
    assert set(PRIMARY_ORDER) <= set(WORKFLOW) and PRIMARY_ORDER[0] == "dispatch"
    for code, ui in ACTION_UI.items():
        assert set(ui.fields) <= FORM_FIELDS, code
        assert ui.note_required == bool(WORKFLOW[code].note)


def test_every_declared_replay_effect_exists():
    declared = {step.replay.effect for step in WORKFLOW.values() if step.replay.effect}
    declared |= {e.replay.effect for e in SYSTEM_EVENTS.values() if e.replay.effect}
    assert declared == set(EFFECTS)
    fields = set(ProblemState.__dataclass_fields__)
    for step in WORKFLOW.values():
        assert set(step.replay.stamp) | set(step.replay.fill) <= fields, step.code


def test_a_step_that_leaves_its_declaration_is_refused(db, monkeypatch):
    w = problem_world()
    problem = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, w.officer, raised_on=TODAY)
    monkeypatch.setitem(flow.HANDLERS, "supervise", lambda ctx: Outcome("closed", "supervise"))
    with pytest.raises(RuntimeError, match="supervise"):
        apply_action(problem, "supervise", w.officer, {"note": "请加快办理"}, today=TODAY)


def test_a_row_defaults_to_one_event_named_and_labelled_like_the_step():
    step = Action("example", "示例", frozenset({"officer"}), OPEN, None, Form(), Replay())
    assert step.events == {"example": "示例"} and step.right == "problem.example"
    assert step.outcomes("new") == ("new",) and not step.department_step


# --- every step is reachable on the problem page and replayed by the report ---


def _users(w) -> dict:
    return {
        "admin": w.admin,
        "officer": w.officer,
        "cadre": w.cadre,
        "handler": w.handler,
        "leader": w.deputy,
    }


def _in(w, situation: str) -> Problem:
    """A fresh problem of the world's firm in a situation, every step taken today."""
    return make_problem(w.firm, w.cadre, situation, w.dept, w.handler, w.officer, raised_on=TODAY)


def _who_may(w, step: Action) -> tuple[str, object]:
    """The first situation and permitted user for which the page offers the step."""
    cal, users = get_calendar(), _users(w)
    for situation in SITUATIONS:
        problem = _in(w, situation)
        for role in sorted(step.roles):
            if step.code in available_actions(users[role], problem, TODAY, rules_of(problem), cal):
                return situation, users[role]
    raise AssertionError(f"no situation and role offers {step.code}")


@pytest.mark.parametrize("code", ON_PAGE)
def test_every_step_has_a_form_on_the_problem_page(client, login_as, db, code):
    w = problem_world()
    step = WORKFLOW[code]
    situation, user = _who_may(w, step)
    problem = _in(w, situation)
    login_as(user)
    html = client.get(f"/problems/{problem.id}").get_data(as_text=True)
    assert f'data-action="{code}"' in html, (code, situation, user.role)
    assert f'action="/problems/{problem.id}/{code}"' in html
    assert f"{step.label}</button>" in html


def _replayed(problem: Problem) -> ProblemState:
    book, cal = RuleBook.load(), get_calendar()
    state = next(
        s
        for s in problem_states(ReportScope(None), Period.parse(TODAY.strftime("%Y-%m"), TODAY), book, cal)
        if s.id == problem.id
    )
    rows = _db.session.execute(
        select(
            ProblemEvent.action,
            ProblemEvent.to_status,
            ProblemEvent.department_id,
            ProblemEvent.data,
            ProblemEvent.happened_on,
        )
        .where(ProblemEvent.problem_id == problem.id)
        .order_by(ProblemEvent.at, ProblemEvent.id)
    )
    replay(state, [tuple(row) for row in rows], book, cal)
    return state


def _assert_replays(problem: Problem, what: str) -> None:
    _db.session.refresh(problem)
    state = _replayed(problem)
    assert [getattr(state, f) for f in REPLAYED] == [getattr(problem, f) for f in REPLAYED], what


@pytest.mark.parametrize("code", ON_PAGE)
def test_every_step_is_replayed_at_month_end(db, code):
    w = problem_world()
    step = WORKFLOW[code]
    situation, user = _who_may(w, step)
    problem = _in(w, situation)
    data = {"note": "按要求办理该事项"} | DATA.get(code, {})
    if code == "dispatch":
        data["department_id"] = w.dept.id
    event = apply_action(problem, code, user, data, today=TODAY)
    _db.session.flush()
    assert event.action in step.events and event.to_status in step.outcomes(event.from_status)
    _assert_replays(problem, code)


@pytest.mark.parametrize(
    "situation, code, data, event",
    [
        ("returned", "dispatch", {}, "redispatch"),  # 改派
        ("resolved", "evaluate", {"evaluation": "unsatisfied", "note": "仍未通电"}, "evaluate"),  # 重办
        ("on_spot", "evaluate", {"evaluation": "unsatisfied", "note": "现场未解决"}, "evaluate"),
        ("resolved", "evaluate", {"evaluation": "basic"}, "evaluate"),
        # 撤单质检 不属实: back to the park office, undone.
        (
            "withdrawn",
            "review_withdrawal",
            {"verdict": "false", "note": "企业称并未同意撤单"},
            "withdraw_review",
        ),
        ("withdrawal", "decline_withdrawal", {"note": "企业不同意"}, "withdraw_declined"),
    ],
)
def test_the_branches_of_a_step_are_replayed_too(db, situation, code, data, event):
    w = problem_world()
    problem = _in(w, situation)
    actor = w.officer if code in ("dispatch", "review_withdrawal", "decline_withdrawal") else w.cadre
    if code == "dispatch":
        data = data | {"department_id": w.dept.id}
    written = apply_action(problem, code, actor, data, today=TODAY)
    _db.session.flush()
    assert written.action == event and written.to_status in WORKFLOW[code].outcomes(written.from_status)
    _assert_replays(problem, f"{code} from {situation}")
