"""撤单 steps: asked for by the department, the cadre or the office; the problem is withdrawn only with
the firm's consent (on its page, or by phone to an officer), and every withdrawal waits for its 质检."""

from typing import Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import Problem
from crm.models.portal import WITHDRAWAL_REVIEWS, Withdrawal
from crm.services.common.validators import clean_multiline
from crm.services.problems.step_base import Context, Outcome, clear_extension, clear_withdrawal, fail


def request_withdrawal(ctx: Context) -> Outcome:
    p = ctx.problem
    assert ctx.note is not None and ctx.actor is not None, "a person asks, with the declared reason"
    p.withdrawal_reason, p.withdrawal_requested_on = ctx.note[:500], ctx.today
    p.withdrawal_requested_by_id = ctx.actor.id
    return Outcome(p.status, "request_withdrawal", p.department_id)


def confirm_withdrawal(ctx: Context) -> Outcome:
    """The firm agreed (on its page, or by phone to an officer): closed, and listed for the 撤单质检."""
    p = ctx.problem
    assert p.withdrawal_requested_on is not None, "_precheck() lets only a pending request through"
    via = "firm" if ctx.by_firm else "phone"
    withdrawal = Withdrawal(
        problem_id=p.id,
        enterprise_id=p.enterprise_id,
        department_id=p.department_id,
        from_status=p.status,
        requested_by_id=p.withdrawal_requested_by_id,
        requested_on=p.withdrawal_requested_on,
        reason=p.withdrawal_reason or "",
        via=via,
        confirmed_by_id=None if ctx.by_firm else (ctx.actor.id if ctx.actor else None),
        confirm_note=(ctx.note or "")[:500] or None,
        withdrawn_on=ctx.today,
    )
    db.session.add(withdrawal)
    db.session.flush()
    dept_id = p.department_id
    p.withdrawn_on = p.closed_on = ctx.today
    clear_withdrawal(p)
    clear_extension(p)
    data = {"by": via, "withdrawal": withdrawal.id, "from": withdrawal.from_status}
    return Outcome("closed", f"withdraw_{via}", dept_id, data)


def decline_withdrawal(ctx: Context) -> Outcome:
    p = ctx.problem
    clear_withdrawal(p)
    return Outcome(p.status, "withdraw_declined", p.department_id, {"by": "firm" if ctx.by_firm else "phone"})


def review_withdrawal(ctx: Context) -> Outcome:
    """撤单质检: 属实 leaves it closed; 不属实 reopens it at the park office (待交办), to dispatch again."""
    p = ctx.problem
    withdrawal = pending_review(p)
    assert withdrawal is not None, "_precheck() lets only an unreviewed withdrawal through"
    verdict = str(ctx.data.get("verdict") or "")
    if verdict not in WITHDRAWAL_REVIEWS:
        fail("请选择质检结果：属实或不属实")
    note = clean_multiline(ctx.data.get("note"), "质检说明", 500, required=verdict == "false")
    assert ctx.actor is not None, "an officer reviews"
    withdrawal.review, withdrawal.review_note = verdict, note
    withdrawal.reviewed_by_id, withdrawal.reviewed_on = ctx.actor.id, ctx.today
    ctx.note = note
    data = {"verdict": verdict, "withdrawal": withdrawal.id}
    if verdict == "genuine":
        return Outcome(p.status, "withdraw_review", withdrawal.department_id, data)
    p.withdrawn_on = p.closed_on = None
    p.department_id = p.handler_id = p.rule_set_id = None
    p.dispatched_on = p.accepted_on = p.first_feedback_on = p.progress_on = p.resolved_on = None
    p.sign_due_on = p.feedback_due_on = p.progress_due_on = p.due_on = None
    p.sign_warn_on = p.feedback_warn_on = p.progress_warn_on = p.due_warn_on = None
    return Outcome("new", "withdraw_review", withdrawal.department_id, data)


def pending_review(p: Problem) -> Optional[Withdrawal]:
    """The problem's confirmed withdrawal still awaiting its 质检 (None unless it stands withdrawn)."""
    if p.status != "closed" or p.withdrawn_on is None:
        return None
    return db.session.scalars(
        select(Withdrawal)
        .where(Withdrawal.problem_id == p.id, Withdrawal.review.is_(None))
        .order_by(Withdrawal.id.desc())
        .limit(1)
    ).first()
