"""政策兑现 of a month as facts: the policies the month's report covers, each policy's figures among each
park's firms, and each park's 政策送达及时率 counts — plain values a month close keeps
(crm.reporting.monthly.snapshot), so a closed month's 政策兑现 sheet never moves.

The figures are crm.services.policies.figures' (its definitions are printed under the sheet): 匹配企业
is judged on the firms' data when the facts are gathered, the pairs' states are replayed to month end.
Figures belong to the firms' parks as crm.services.policies.figures counts them (their parks when the
facts are gathered). Gathered once per month and scope (a fixed number of statements whatever the
number of firms), for the three kinds together.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Optional

from crm.reporting.monthly.registry import LiveMonth
from crm.services.policies.figures import (
    Figures,
    PolicyReport,
    assemble_report,
    pair_figures,
    report_policies,
    timeliness_by_park,
)

ZERO = Decimal("0")


@dataclass(slots=True)
class PolicyFact:
    """A policy the month's report covers, as the sheet shows it (city-wide: a park's report takes the
    city's policies and its own)."""

    policy_id: int
    own_park_id: Optional[int]  # a park's own policy (None: the city's)
    title: str
    issuer: str
    level_label: str
    apply_to: Optional[date]


@dataclass(slots=True)
class PolicyFigureFact:
    """One policy's figures among one park's firms."""

    park_id: int
    policy_id: int
    matched: int = 0
    reached: int = 0
    reached_month: int = 0
    interested: int = 0
    applied: int = 0
    approved: int = 0
    rejected: int = 0
    amount: Decimal = ZERO
    amount_month: Decimal = ZERO


@dataclass(slots=True)
class PolicyTimelinessFact:
    """政策送达及时率's counts among one park's firms: pairs due in the month, and delivered on time."""

    park_id: int
    on_time: int
    due: int


FIGURES = tuple(Figures.__dataclass_fields__)


def _gather(ctx: LiveMonth) -> tuple[list[PolicyFact], list[PolicyFigureFact], list[PolicyTimelinessFact]]:
    if "policies" not in ctx._cache:
        start, end = ctx.period.start, ctx.period.end
        policies = report_policies(ctx.park_id, start, end)
        heads = [PolicyFact(p.id, p.park_id, p.title, p.issuer, p.level_label, p.apply_to) for p in policies]
        figures = [
            PolicyFigureFact(park, pid, **{name: getattr(f, name) for name in FIGURES})
            for (pid, park), f in pair_figures(policies, ctx.park_id, start, end).items()
        ]
        timely = [
            PolicyTimelinessFact(park, on_time, due)
            for park, (on_time, due) in timeliness_by_park(policies, ctx.park_id, start, end).items()
        ]
        ctx._cache["policies"] = (heads, figures, timely)
    return ctx._cache["policies"]


def collect_policies(ctx: LiveMonth) -> list[PolicyFact]:
    return _gather(ctx)[0]


def collect_policy_figures(ctx: LiveMonth) -> list[PolicyFigureFact]:
    return _gather(ctx)[1]


def collect_policy_timeliness(ctx: LiveMonth) -> list[PolicyTimelinessFact]:
    return _gather(ctx)[2]


def policy_report_of(source) -> PolicyReport:
    """The 政策兑现 report of a month's source and park (or all parks) from its facts."""
    park_id = source.park_id
    heads: list[PolicyFact] = [
        p for p in source.rows("policies") if park_id is None or p.own_park_id in (None, park_id)
    ]
    listed = {p.policy_id for p in heads}
    figures: dict[tuple[int, int], Figures] = {}
    for fact in source.rows("policy_figures"):
        if fact.policy_id in listed:
            figures[(fact.policy_id, fact.park_id)] = Figures(
                **{name: getattr(fact, name) for name in FIGURES}
            )
    timely: list[PolicyTimelinessFact] = source.rows("policy_timeliness")
    names = {park.id: park.name for park in source.rows("parks")}
    return assemble_report(
        heads,
        [p.policy_id for p in heads],
        figures,
        names,
        sum(t.on_time for t in timely),
        sum(t.due for t in timely),
    )
