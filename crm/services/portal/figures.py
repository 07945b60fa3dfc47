"""企业之声 figures of a period for one park or all: the dashboards' card and the monthly workbook's sheet
count the same things here (tally), from the same plain facts (VoiceEvent, CallCheck). The rates are
the KPI module's definitions.

- 企业自报: problems the firms submitted themselves (source 企业自报), raised in the period.
- 销号 (not 撤单): 回访评价 events of the period that closed a problem, and 强制销号 events; 企业自评销号:
  those closing evaluations the firm gave itself.
- 满意率 by who gave it: every 回访评价 event of the period, by the firm itself (企业自评) or recorded for
  it (代录: by phone, on site, or not said).
- 撤单: withdrawals confirmed in the period (by the firm on its page or by phone); 质检: the reviews
  recorded in the period (of withdrawals of any month), 属实 or 不属实.
- 回访抽查: the sample the period's work is about — drawn at the start of the month, of the problems
  closed in the month before — with what the calls found by the period's end (a call recorded later
  is still 待回访 in the period; a sample drawn after the period's end is not in it).

The dashboards count the firms of a park as they are now (voice_events with the parks of today); the
monthly workbook counts the same facts with each firm's park at month end, gathered once and frozen by
the month close (crm.reporting.monthly.voice_facts).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Optional, Protocol

from sqlalchemy import ColumnElement, select, true

from crm.extensions import db
from crm.models import CallbackCheck, CallbackDraw, Enterprise, Problem, ProblemEvent
from crm.models.problem import FIRM_SOURCE
from crm.services.kpi import KPIS

SATISFIED = ("satisfied", "basic")
SELF_REPORT = "self_report"  # VoiceEvent.action of a problem the firm submitted itself
VOICE_ACTIONS = ("evaluate", "force_close", "withdraw_firm", "withdraw_phone", "withdraw_review")


@dataclass
class FirmVoiceFigures:
    self_reported: int = 0
    closed: int = 0  # 销号 in the period (closing evaluations + forced closes), 撤单 not included
    closed_by_firm: int = 0  # closed by the firm's own evaluation
    firm_ratings: int = 0
    firm_satisfied: int = 0
    proxy_ratings: int = 0
    proxy_satisfied: int = 0
    proxy_by_channel: dict[str, int] = field(default_factory=dict)  # phone / onsite / "" (not said)
    withdrawals: int = 0
    withdrawals_by_firm: int = 0  # confirmed on the firm's page (the rest by phone)
    reviewed: int = 0  # 质检 recorded in the period
    genuine: int = 0
    false: int = 0
    callback_month: str = ""
    callback_closed: int = 0  # problems closed in the sampled month
    callback_sample: int = 0
    callback_reached: int = 0
    callback_unreachable: int = 0
    callback_confirmed: int = 0
    callback_satisfied: int = 0

    @property
    def callback_pending(self) -> int:
        return self.callback_sample - self.callback_reached - self.callback_unreachable

    def rate(self, key: str) -> Optional[float]:
        """The KPI's figure (percent, one decimal) from these counts; None when there is nothing to divide."""
        part, whole = {
            "self_rating_rate": (self.closed_by_firm, self.closed),
            "firm_satisfaction_rate": (self.firm_satisfied, self.firm_ratings),
            "proxy_satisfaction_rate": (self.proxy_satisfied, self.proxy_ratings),
            "withdrawal_genuine_rate": (self.genuine, self.reviewed),
            "callback_coverage": (self.callback_reached, self.callback_sample),
            "verified_satisfaction_rate": (self.callback_satisfied, self.callback_reached),
        }[key]
        return KPIS[key].value(part, whole)


@dataclass(slots=True)
class VoiceEvent:
    """One thing the figures count, in plain values: a problem the firm submitted itself (action
    SELF_REPORT, on the day it was raised), or a 回访评价, 强制销号, 撤单 or 撤单质检 event."""

    park_id: int  # the firm's park (today's on the dashboards; at month end in the monthly workbook)
    firm_id: int
    problem_id: int
    action: str
    on: date
    closes: bool = False  # an evaluation that closed the problem
    by_firm: bool = False  # given by the firm on its service page
    evaluation: str = ""  # satisfied / basic / unsatisfied
    channel: str = ""  # 代录: phone / onsite / "" (not said)
    verdict: str = ""  # 撤单质检: genuine / false


class CallCheck(Protocol):
    """A sampled problem's call as of the period's end (what tally reads of it)."""

    @property
    def status(self) -> str: ...  # pending / reached / unreachable

    @property
    def confirmed(self) -> Optional[bool]: ...

    @property
    def satisfaction(self) -> Optional[str]: ...


def previous_month(start: date) -> str:
    """The month before the one starting on start (YYYY-MM): the month a 回访抽查 sample is about."""
    month = start.month - 1 or 12
    return f"{start.year - (start.month == 1):04d}-{month:02d}"


def voice_events(start: date, end: date, where: ColumnElement[bool] = true()) -> list[VoiceEvent]:
    """The period's events the figures count, of the problems whose firm matches where (two queries),
    each with the firm's park of today."""
    out = [
        VoiceEvent(park_id, firm_id, pid, SELF_REPORT, raised_on)
        for pid, firm_id, park_id, raised_on in db.session.execute(
            select(Problem.id, Problem.enterprise_id, Enterprise.park_id, Problem.raised_on)
            .join(Enterprise, Enterprise.id == Problem.enterprise_id)
            .where(where, Problem.source == FIRM_SOURCE, Problem.raised_on.between(start, end))
            .order_by(Problem.raised_on, Problem.id)
        )
    ]
    rows = db.session.execute(
        select(
            Problem.id,
            Problem.enterprise_id,
            Enterprise.park_id,
            ProblemEvent.action,
            ProblemEvent.happened_on,
            ProblemEvent.to_status,
            ProblemEvent.data,
        )
        .join(Problem, Problem.id == ProblemEvent.problem_id)
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(where, ProblemEvent.action.in_(VOICE_ACTIONS), ProblemEvent.happened_on.between(start, end))
        .order_by(ProblemEvent.happened_on, ProblemEvent.id)
    )
    for pid, firm_id, park_id, action, on, to_status, data in rows:
        data = data or {}
        out.append(
            VoiceEvent(
                park_id,
                firm_id,
                pid,
                action,
                on,
                closes=action == "evaluate" and to_status == "closed",
                by_firm=data.get("by") == "firm",
                evaluation=str(data.get("evaluation") or ""),
                channel=str(data.get("channel") or ""),
                verdict=str(data.get("verdict") or ""),
            )
        )
    return out


def check_as_of(status: str, called_on: Optional[date], end: date) -> str:
    """A call's status at the period's end: one recorded after it was still to be made then."""
    return "pending" if called_on is not None and called_on > end else status


def tally(
    events: Iterable[VoiceEvent], callback_month: str, population: int, checks: Iterable[CallCheck]
) -> FirmVoiceFigures:
    """The figures from the period's events, and the 回访抽查 sample of callback_month (the problems closed
    that month in scope, and each sampled problem's call as of the period's end)."""
    f = FirmVoiceFigures(callback_month=callback_month, callback_closed=population)
    for e in events:
        if e.action == SELF_REPORT:
            f.self_reported += 1
        elif e.action == "force_close":
            f.closed += 1
        elif e.action in ("withdraw_firm", "withdraw_phone"):
            f.withdrawals += 1
            f.withdrawals_by_firm += e.action == "withdraw_firm"
        elif e.action == "withdraw_review":
            f.reviewed += 1
            f.genuine += e.verdict == "genuine"
            f.false += e.verdict == "false"
        elif e.action == "evaluate":
            satisfied = e.evaluation in SATISFIED
            if e.closes:
                f.closed += 1
                f.closed_by_firm += e.by_firm
            if e.by_firm:
                f.firm_ratings += 1
                f.firm_satisfied += satisfied
            else:
                f.proxy_ratings += 1
                f.proxy_satisfied += satisfied
                f.proxy_by_channel[e.channel] = f.proxy_by_channel.get(e.channel, 0) + 1
    for check in checks:
        f.callback_sample += 1
        if check.status == "reached":
            f.callback_reached += 1
            f.callback_confirmed += bool(check.confirmed)
            f.callback_satisfied += check.satisfaction in SATISFIED
        elif check.status == "unreachable":
            f.callback_unreachable += 1
    return f


@dataclass(slots=True)
class _Check:
    status: str
    confirmed: Optional[bool]
    satisfaction: Optional[str]


def firm_voice_figures(park_id: Optional[int], start: date, end: date) -> FirmVoiceFigures:
    """The period's figures for one park (or all parks: None), in four queries."""
    where = Enterprise.park_id == park_id if park_id is not None else true()
    month = previous_month(start)
    draws = select(CallbackDraw.id, CallbackDraw.population).where(
        CallbackDraw.month == month, CallbackDraw.drawn_on <= end
    )
    if park_id is not None:
        draws = draws.where(CallbackDraw.park_id == park_id)
    drawn: dict[int, int] = {draw_id: n for draw_id, n in db.session.execute(draws)}
    checks = [
        _Check(check_as_of(status, called_on, end), confirmed, satisfaction)
        for status, called_on, confirmed, satisfaction in db.session.execute(
            select(
                CallbackCheck.status,
                CallbackCheck.called_on,
                CallbackCheck.confirmed,
                CallbackCheck.satisfaction,
            ).where(CallbackCheck.draw_id.in_(list(drawn)))
        )
    ]
    return tally(voice_events(start, end, where), month, sum(drawn.values()), checks)
