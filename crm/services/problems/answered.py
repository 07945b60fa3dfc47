"""现场解答: a cadre answers a firm's problem on the spot with what solved an earlier problem of the park
(often a 典型案例). The problem is raised and at once closed out through the workflow's 现场解决 step, which
records the source (Problem.answered_from_id, and {"answered_from": id} on the step's event)."""

from datetime import date, datetime
from typing import Any, Optional

from crm.extensions import db
from crm.models import Enterprise, Problem, User, Visit
from crm.permissions import can
from crm.services import ServiceError
from crm.services.common.validators import clean_multiline
from crm.services.problems.answer_source import answer_source
from crm.services.problems.flow import NOTE_MAX, apply_action
from crm.services.problems.intake import raise_problem
from crm.timeutil import today as local_today

NOTE_LABEL = "现场解答内容"


def raise_answered_problem(
    firm: Enterprise,
    actor: User,
    data: dict[str, Any],
    answered_from: Any,
    note: Any,
    visit: Optional[Visit] = None,
    today: Optional[date] = None,
    files=(),
    now: Optional[datetime] = None,
) -> Problem:
    """Raise the firm's problem and close it out on the spot with the answer of problem `answered_from`
    (the cadre's note, prefilled from that answer). Refused as a whole, nothing written, when the source
    is not a solved problem of the firm's park, the note is empty or the problem itself is refused."""
    if not can(actor, "problem.solve_on_spot"):
        raise ServiceError("没有现场解决问题的权限")
    source = answer_source(answered_from, firm.park_id)
    if source is None:
        raise ServiceError("请选择要引用的案例")
    text = clean_multiline(note, NOTE_LABEL, NOTE_MAX, required=True)
    day = today or local_today()
    with db.session.begin_nested():  # the raise and the step stand or fall together
        problem = raise_problem(firm, actor, data, visit=visit, today=day, files=files, now=now)
        step = {"note": text, "answered_from": source.id}
        apply_action(problem, "solve_on_spot", actor, step, today=day, now=now)
    return problem


def raise_problem_from_form(
    firm: Enterprise,
    actor: User,
    data: dict[str, Any],
    visit: Optional[Visit] = None,
    today: Optional[date] = None,
    files=(),
) -> Problem:
    """Raise a problem typed on a form (the problem form, a visit's problem section). data may carry
    answered_from and answer_note (the 现场解答 chosen among the similar problems); else a plain raise."""
    fields = {k: v for k, v in data.items() if k not in ("answered_from", "answer_note")}
    if str(data.get("answered_from") or "").strip():
        return raise_answered_problem(
            firm, actor, fields, data.get("answered_from"), data.get("answer_note"), visit, today, files
        )
    return raise_problem(firm, actor, fields, visit=visit, today=today, files=files)
