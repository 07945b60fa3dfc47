"""企业之声 of a month as facts: the counted events, the month's 撤单 with their 质检, and the 回访抽查
sample with its calls — plain values a month close keeps (crm.reporting.monthly.snapshot), so a closed
month's 企业之声, 撤单质检 and 回访抽查 sheets never move.

Each is as it stood at month end: a 质检 or a call recorded after the month's last day is still to be
done in that month (the month's figures count the 质检 recorded in it, and a call made later belongs to
no month's 已回访); a sample drawn after month end is not in the month. Names and titles are the ones on
file when the facts were gathered (the firm's name at month end). Events, withdrawals and the sample's
problems carry the firm's park at month end; the sample belongs to the park it was drawn for.
"""

from dataclasses import dataclass
from datetime import date
from typing import Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import CallbackCheck, CallbackDraw, Department, Enterprise, Problem, User, Withdrawal
from crm.reporting.monthly.registry import LiveMonth
from crm.services.portal.figures import VoiceEvent, check_as_of, previous_month, voice_events


@dataclass(slots=True)
class WithdrawalFact:
    """A 撤单 confirmed in the month, and its 质检 as at month end (review "" while awaited)."""

    park_id: int
    withdrawal_id: int
    problem_id: int
    withdrawn_on: date
    firm: str
    title: str
    department: str  # the department handling the problem when it was withdrawn
    requested_by: str
    requested_on: date
    reason: str
    via: str  # crm.models.portal.WITHDRAWAL_VIA
    review: str = ""  # crm.models.portal.WITHDRAWAL_REVIEWS
    reviewed_on: Optional[date] = None
    review_note: str = ""


@dataclass(slots=True)
class CallbackDrawFact:
    """A park's 回访抽查 draw of the month before: how many problems closed then in the park."""

    park_id: int
    month: str
    population: int


@dataclass(slots=True)
class CallbackFact:
    """One problem of the sample and what the call had found by month end (status pending until then)."""

    park_id: int  # the park the sample was drawn for
    problem_id: int
    firm: str
    title: str
    department: str  # "现场解决" for a problem solved on the spot
    closed_on: Optional[date]
    evaluation: str  # the problem's 回访评价
    evaluation_by: str  # 企业自评 / 代录（电话）…
    status: str  # crm.models.portal.CALLBACK_STATUSES
    confirmed: Optional[bool] = None
    satisfaction: str = ""
    called_on: Optional[date] = None
    called_by: str = ""
    note: str = ""


def collect_voice(ctx: LiveMonth) -> list[VoiceEvent]:
    """The month's 企业自报 problems and counted events, with the firm's park at month end (2 queries)."""
    out = []
    for event in voice_events(ctx.period.start, ctx.period.end, ctx.candidates(Problem.enterprise_id)):
        park_id = ctx.park_of(event.firm_id)
        if park_id is not None:
            event.park_id = park_id
            out.append(event)
    return out


def _firm_name(ctx: LiveMonth, firm_id: int, today_name: str) -> str:
    firm = ctx.registry.get(firm_id)
    return firm.name if firm is not None else today_name


def collect_withdrawals(ctx: LiveMonth) -> list[WithdrawalFact]:
    """撤单质检: the month's withdrawals, oldest first (one query)."""
    period = ctx.period
    stmt = (
        select(Withdrawal, Enterprise.name, Problem.title, Department.name, User.name)
        .join(Enterprise, Enterprise.id == Withdrawal.enterprise_id)
        .join(Problem, Problem.id == Withdrawal.problem_id)
        .outerjoin(Department, Department.id == Withdrawal.department_id)
        .outerjoin(User, User.id == Withdrawal.requested_by_id)
        .where(
            ctx.candidates(Withdrawal.enterprise_id),
            Withdrawal.withdrawn_on.between(period.start, period.end),
        )
        .order_by(Withdrawal.withdrawn_on, Withdrawal.id)
    )
    out = []
    for w, firm, title, dept, requester in db.session.execute(stmt):
        park_id = ctx.park_of(w.enterprise_id)
        if park_id is None:
            continue
        fact = WithdrawalFact(
            park_id, w.id, w.problem_id, w.withdrawn_on, _firm_name(ctx, w.enterprise_id, firm), title,
            dept or "", requester or "", w.requested_on, w.reason, w.via,
        )  # fmt: skip
        if w.review and w.reviewed_on is not None and w.reviewed_on <= period.end:
            fact.review, fact.reviewed_on, fact.review_note = w.review, w.reviewed_on, w.review_note or ""
        out.append(fact)
    return out


def _draws(ctx: LiveMonth):
    """The draws of the month before that were made by month end, in the scope's park (or all)."""
    stmt = select(CallbackDraw.id).where(
        CallbackDraw.month == previous_month(ctx.period.start), CallbackDraw.drawn_on <= ctx.period.end
    )
    return stmt.where(CallbackDraw.park_id == ctx.park_id) if ctx.park_id is not None else stmt


def collect_callback_draws(ctx: LiveMonth) -> list[CallbackDrawFact]:
    """The 回访抽查 draws the month's calls work on, by park (one query)."""
    rows = db.session.execute(
        select(CallbackDraw.park_id, CallbackDraw.month, CallbackDraw.population)
        .where(CallbackDraw.id.in_(_draws(ctx)))
        .order_by(CallbackDraw.park_id)
    )
    return [CallbackDrawFact(*row) for row in rows]


def collect_callbacks(ctx: LiveMonth) -> list[CallbackFact]:
    """回访抽查: the sampled problems by park and number, with the calls as at month end (one query)."""
    end = ctx.period.end
    stmt = (
        select(CallbackCheck, CallbackDraw.park_id, Problem, Enterprise.name, Department.name, User.name)
        .join(CallbackDraw, CallbackDraw.id == CallbackCheck.draw_id)
        .join(Problem, Problem.id == CallbackCheck.problem_id)
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .outerjoin(Department, Department.id == Problem.department_id)
        .outerjoin(User, User.id == CallbackCheck.called_by_id)
        .where(CallbackCheck.draw_id.in_(_draws(ctx)))
        .order_by(CallbackDraw.park_id, CallbackCheck.problem_id)
    )
    out = []
    for check, park_id, p, firm, dept, caller in db.session.execute(stmt):
        fact = CallbackFact(
            park_id, p.id, _firm_name(ctx, p.enterprise_id, firm), p.title,
            dept or ("现场解决" if p.on_spot else ""), p.closed_on, p.evaluation or "",
            p.evaluation_by_label, check_as_of(check.status, check.called_on, end),
        )  # fmt: skip
        if fact.status != "pending":
            fact.confirmed, fact.satisfaction = check.confirmed, check.satisfaction or ""
            fact.called_on, fact.called_by, fact.note = check.called_on, caller or "", check.note or ""
        out.append(fact)
    return out
