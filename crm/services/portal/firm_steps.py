"""The workflow steps a firm takes itself on its service page: its 回访评价 (企业自评, which gates 销号 as
any 回访评价 does) and its answer to a 撤单申请. Each is the declared step (Action.firm) run through
apply_action with the firm as the actor, after the rate limit; a problem of another firm is never found."""

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import Problem, ProblemEvent, ServiceCode
from crm.models.problem_workflow import WORKFLOW
from crm.services import ServiceError
from crm.services.portal.throttle import admit
from crm.services.problems.flow import apply_action
from crm.timeutil import today as local_today
from crm.timeutil import utcnow

# The firm's answer to a 撤单申请 -> the declared step.
WITHDRAWAL_ANSWERS = {"agree": "confirm_withdrawal", "decline": "decline_withdrawal"}


def firm_problem(code: ServiceCode, problem_id: int) -> Optional[Problem]:
    """One of the code's firm's problems, or None (another firm's problem is as unknown as a wrong id)."""
    return db.session.scalar(
        select(Problem).where(Problem.id == problem_id, Problem.enterprise_id == code.enterprise_id)
    )


def firm_steps(problem: Problem) -> list[str]:
    """The steps the firm may take on the problem now: rate it once resolved, answer a pending 撤单申请."""
    out = []
    if problem.status in WORKFLOW["evaluate"].from_states:
        out.append("evaluate")
    if problem.has_pending_withdrawal and problem.status in WORKFLOW["confirm_withdrawal"].from_states:
        out.append("withdrawal")
    return out


def _take(
    code: ServiceCode,
    problem: Problem,
    action: str,
    data: dict[str, Any],
    address: Optional[str],
    today: Optional[date],
    now: Optional[datetime],
) -> ProblemEvent:
    if problem.enterprise_id != code.enterprise_id:  # the views never get here: firm_problem() found it
        raise ServiceError("问题不存在")
    now = now or utcnow()
    admit("act", code.id, address, now)
    return apply_action(problem, action, None, data, today=today or local_today(), now=now, by_firm=True)


def rate_problem(
    code: ServiceCode,
    problem: Problem,
    data: dict[str, Any],
    address: Optional[str] = None,
    today: Optional[date] = None,
    now: Optional[datetime] = None,
) -> ProblemEvent:
    """The firm's own 回访评价: 满意/基本满意 closes (销号) the problem, 不满意 (with why) sends it back."""
    values = {"evaluation": data.get("evaluation"), "note": data.get("note"), "version": data.get("version")}
    return _take(code, problem, "evaluate", values, address, today, now)


def answer_withdrawal(
    code: ServiceCode,
    problem: Problem,
    data: dict[str, Any],
    address: Optional[str] = None,
    today: Optional[date] = None,
    now: Optional[datetime] = None,
) -> ProblemEvent:
    """The firm agrees to the 撤单申请 (the problem is withdrawn and goes to the 撤单质检) or declines it."""
    action = WITHDRAWAL_ANSWERS.get(str(data.get("answer") or ""))
    if action is None:
        raise ServiceError("请选择同意撤单或不同意撤单")
    values = {"note": data.get("note"), "version": data.get("version")}
    return _take(code, problem, action, values, address, today, now)
