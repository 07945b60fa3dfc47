"""政策兑现 figures: per policy and per park for a period (the monthly workbook), the dashboard card, and
the 政策送达及时率 KPI's two counts — each in a constant number of statements.

Definitions (printed on the workbook's sheet):
- 匹配企业: 在营 firms of the scope meeting the policy's conditions when the figures are made (matching
  is a query over today's firm data, so it is never replayed into the past).
- 已送达 / 有意申报 / 已申报 / 已兑现 / 未获批: pairs in that state at the end of the period, replayed from
  the pair's steps dated up to then (已送达 counts every pair the policy reached: delivered, answered,
  applied …; 已申报 counts applied, paid and refused ones).
- 本月送达: 送达 steps dated in the period. 兑现金额: amounts of the 兑现 steps dated up to the period's end
  (本月兑现: in the period).
- 政策送达及时率 (crm.services.kpi): the policies whose delivery deadline (publication + DELIVERY_DAYS)
  falls in the period; of their pairs with firms meeting them and on file at the publication, those
  delivered by the deadline.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Optional, Protocol

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, true, union_all

from crm.extensions import db
from crm.models import Enterprise, Park, Policy, PolicyEvent, PolicyMatch
from crm.models.policy_workflow import APPLIED, REACHED
from crm.services.policies.conditions import current_clause, policy_clause
from crm.services.policies.matching import CONDITION_LOADS, UNION_CHUNK, reached_matching

IN_CHUNK = 500  # policy ids per IN (...) list
DELIVERY_DAYS = 15  # 政策送达及时率: delivered within this many days of the policy's publication
ZERO = Decimal("0")


@dataclass
class Figures:
    matched: int = 0
    reached: int = 0
    reached_month: int = 0
    interested: int = 0
    applied: int = 0
    approved: int = 0
    rejected: int = 0
    amount: Decimal = ZERO
    amount_month: Decimal = ZERO

    def add(self, other: "Figures") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class PolicyHeading(Protocol):
    """What the 政策兑现 sheet shows of a policy: a Policy, or the copy a month close kept."""

    @property
    def title(self) -> str: ...

    @property
    def issuer(self) -> str: ...

    @property
    def level_label(self) -> str: ...

    @property
    def apply_to(self) -> Optional[date]: ...


@dataclass
class PolicyRow:
    policy: PolicyHeading
    figures: Figures = field(default_factory=Figures)


@dataclass
class ParkRow:
    park_id: int
    name: str
    figures: Figures = field(default_factory=Figures)


@dataclass
class PolicyReport:
    policies: list[PolicyRow]
    parks: list[ParkRow]
    total: Figures
    on_time: int  # 政策送达及时率's numerator
    due: int  # and its denominator


def _union(parts: list) -> Select:
    return parts[0] if len(parts) == 1 else union_all(*parts)  # type: ignore[return-value]


def _scope(park_id: Optional[int]) -> ColumnElement[bool]:
    return Enterprise.park_id == park_id if park_id is not None else true()


def report_policies(park_id: Optional[int], start: date, end: date) -> list[Policy]:
    """The policies a report covers: published by the end of the period and still valid at its start, or
    with a step in the period; a park's report takes the city-wide policies and its own."""
    active = and_(
        Policy.published_on.is_not(None),
        Policy.published_on <= end,
        or_(Policy.valid_to.is_(None), Policy.valid_to >= start),
    )
    stepped = select(PolicyEvent.id).where(
        PolicyEvent.policy_id == Policy.id, PolicyEvent.happened_on.between(start, end)
    )
    stmt = select(Policy).where(or_(active, stepped.exists())).options(*CONDITION_LOADS)
    if park_id is not None:
        stmt = stmt.where(or_(Policy.park_id.is_(None), Policy.park_id == park_id))
    return list(db.session.scalars(stmt.order_by(Policy.published_on, Policy.id)))


def _existed(policy: Policy) -> datetime:
    """Firms on file before this (naive UTC, a day's margin) existed when the policy was published."""
    day = policy.published_on or date.max - timedelta(1)
    return datetime.combine(day + timedelta(1), time.min)


def _due(policy: Policy, start: date, end: date) -> bool:
    """Whether the policy's delivery deadline falls in start..end."""
    if policy.published_on is None:
        return False
    return start <= policy.published_on + timedelta(DELIVERY_DAYS) <= end


def _firm_side(policies: Sequence[Policy], park_id: Optional[int]) -> dict[tuple[int, int], int]:
    """{(policy id, park id): firms meeting it today}: one SELECT per policy (its conditions as literals,
    read from the covering ix_enterprises_profile), UNION ALL-ed."""
    out: dict[tuple[int, int], int] = {}
    for start in range(0, len(policies), UNION_CHUNK):
        parts = [
            select(literal(p.id), Enterprise.park_id, func.count(Enterprise.id))
            .where(policy_clause(p), _scope(park_id))
            .group_by(Enterprise.park_id)
            for p in policies[start : start + UNION_CHUNK]
        ]
        if parts:
            out.update({(pid, park): n for pid, park, n in db.session.execute(_union(parts))})
    return out


def timeliness(policies: Sequence[Policy], park_id: Optional[int], start: date, end: date) -> tuple[int, int]:
    """(delivered on time, due) of 政策送达及时率 for the period start..end; see the module's definition."""
    counts = timeliness_by_park(policies, park_id, start, end).values()
    return sum(on_time for on_time, _due in counts), sum(due for _on_time, due in counts)


def timeliness_by_park(
    policies: Sequence[Policy], park_id: Optional[int], start: date, end: date
) -> dict[int, tuple[int, int]]:
    """{park id: (delivered on time, due)} of 政策送达及时率 among each park's firms (of park_id's, or of
    every park). Two statements whatever the number of policies (each a UNION ALL of one SELECT per
    policy due)."""
    due_policies = [p for p in policies if _due(p, start, end)]
    on_time: dict[int, int] = defaultdict(int)
    due: dict[int, int] = defaultdict(int)
    for first in range(0, len(due_policies), UNION_CHUNK):
        chunk = due_policies[first : first + UNION_CHUNK]
        existed = [
            select(Enterprise.park_id, func.count(Enterprise.id))
            .where(policy_clause(p), _scope(park_id), Enterprise.created_at < _existed(p))
            .group_by(Enterprise.park_id)
            for p in chunk
        ]
        delivered = []
        for p in chunk:
            assert p.published_on is not None, "a due policy was published"
            delivered.append(
                select(Enterprise.park_id, func.count(PolicyMatch.id))
                .join(Enterprise, Enterprise.id == PolicyMatch.enterprise_id)
                .where(
                    PolicyMatch.policy_id == p.id,
                    PolicyMatch.delivered_on <= p.published_on + timedelta(DELIVERY_DAYS),
                    Enterprise.created_at < _existed(p),
                    policy_clause(p),
                    _scope(park_id),
                )
                .group_by(Enterprise.park_id)
            )
        for park, n in db.session.execute(_union(existed)):
            due[park] += n
        for park, n in db.session.execute(_union(delivered)):
            on_time[park] += n
    return {park: (on_time.get(park, 0), n) for park, n in sorted(due.items())}


def _states(policy_ids: list[int], park_id: Optional[int], end: date) -> dict[tuple[int, int, str], int]:
    """{(policy id, park id, status): pairs in that status at the end of the period}: each pair's last step
    dated up to then (a window function: the database keeps only that step)."""
    last = (
        select(
            PolicyEvent.policy_id.label("policy_id"),
            Enterprise.park_id.label("park_id"),
            PolicyEvent.to_status.label("status"),
            func.row_number()
            .over(
                partition_by=PolicyEvent.match_id,
                order_by=(PolicyEvent.happened_on.desc(), PolicyEvent.id.desc()),
            )
            .label("rank"),
        )
        .join(Enterprise, Enterprise.id == PolicyEvent.enterprise_id)
        .where(PolicyEvent.policy_id.in_(policy_ids), PolicyEvent.happened_on <= end, _scope(park_id))
        .subquery()
    )
    stmt = (
        select(last.c.policy_id, last.c.park_id, last.c.status, func.count())
        .where(last.c.rank == 1)
        .group_by(last.c.policy_id, last.c.park_id, last.c.status)
    )
    return {(pid, park, status): n for pid, park, status, n in db.session.execute(stmt)}


def _step_sums(policy_ids: list[int], park_id: Optional[int], start: date, end: date) -> dict:
    """{(policy id, park id): (送达 in the period, amount paid by its end, of which in the period)}."""
    in_period = PolicyEvent.happened_on >= start
    approve = PolicyEvent.action == "approve"
    stmt = (
        select(
            PolicyEvent.policy_id,
            Enterprise.park_id,
            func.sum(case((and_(PolicyEvent.action == "deliver", in_period), 1), else_=0)),
            func.sum(case((approve, PolicyEvent.amount), else_=0)),
            func.sum(case((and_(approve, in_period), PolicyEvent.amount), else_=0)),
        )
        .join(Enterprise, Enterprise.id == PolicyEvent.enterprise_id)
        .where(PolicyEvent.policy_id.in_(policy_ids), PolicyEvent.happened_on <= end, _scope(park_id))
        .group_by(PolicyEvent.policy_id, Enterprise.park_id)
    )
    return {(pid, park): (n or 0, a or ZERO, m or ZERO) for pid, park, n, a, m in db.session.execute(stmt)}


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK)] or [[]]


def pair_figures(
    policies: Sequence[Policy], park_id: Optional[int], start: date, end: date
) -> dict[tuple[int, int], Figures]:
    """{(policy id, park id): the policy's figures among the park's firms} for the period start..end, of
    park_id's firms (or every park's)."""
    figures: dict[tuple[int, int], Figures] = defaultdict(Figures)
    for key, matched in _firm_side(policies, park_id).items():
        figures[key].matched = matched
    for ids in _chunks([p.id for p in policies]):
        if not ids:
            continue
        for (pid, park, status), n in _states(ids, park_id, end).items():
            row = figures[(pid, park)]
            row.reached += n if status in REACHED else 0
            row.interested += n if status == "interested" else 0
            row.applied += n if status in APPLIED else 0
            row.approved += n if status == "approved" else 0
            row.rejected += n if status == "rejected" else 0
        for (pid, park), (month, amount, amount_month) in _step_sums(ids, park_id, start, end).items():
            row = figures[(pid, park)]
            row.reached_month, row.amount, row.amount_month = month, Decimal(amount), Decimal(amount_month)
    return dict(figures)


def assemble_report(
    policies: Sequence[PolicyHeading],
    ids: Sequence[int],
    figures: dict[tuple[int, int], Figures],
    park_names: dict[int, str],
    on_time: int,
    due: int,
) -> PolicyReport:
    """The report from its policies (ids: each one's id, in the same order), the (policy, park) figures
    and the park names: one row per policy, one per park with figures, and the total."""
    by_policy = {pid: PolicyRow(p) for pid, p in zip(ids, policies, strict=True)}
    by_park: dict[int, ParkRow] = {}
    total = Figures()
    for (pid, park), fig in figures.items():
        by_policy[pid].figures.add(fig)
        by_park.setdefault(park, ParkRow(park, park_names.get(park, ""))).figures.add(fig)
        total.add(fig)
    parks = sorted(by_park.values(), key=lambda r: r.park_id)
    return PolicyReport(list(by_policy.values()), parks, total, on_time, due)


def policy_report(park_id: Optional[int], start: date, end: date) -> PolicyReport:
    """The 政策兑现 figures of a park (or all parks, park_id None) for the period start..end."""
    policies = report_policies(park_id, start, end)
    figures = pair_figures(policies, park_id, start, end)
    names = {pid: name for pid, name in db.session.execute(select(Park.id, Park.name))}
    on_time, due = timeliness(policies, park_id, start, end)
    return assemble_report(policies, [p.id for p in policies], figures, names, on_time, due)


@dataclass
class PolicyCard:
    """The dashboard's 惠企政策 card."""

    in_force: int
    closing: int  # windows closing within the policies' reminder days
    pending: int  # matched pairs with an open window not yet reached (待送达)
    reached_month: int
    applied_year: int
    approved_year: int
    amount_year: Decimal
    on_time: int
    due: int


def policy_card(park_id: Optional[int], today: date) -> PolicyCard:
    """The card's figures for a park (or all parks): this month's deliveries, this year's results."""
    month_start, year_start = today.replace(day=1), today.replace(month=1, day=1)
    current = select(Policy).where(current_clause(today)).options(*CONDITION_LOADS)
    if park_id is not None:
        current = current.where(or_(Policy.park_id.is_(None), Policy.park_id == park_id))
    policies = list(db.session.scalars(current))
    open_now = [p for p in policies if p.window_open(today)]
    matched = sum(_firm_side(open_now, park_id).values())
    pending = matched - sum(reached_matching(open_now, _scope(park_id)).values())
    steps = (
        select(
            func.sum(
                case(
                    (and_(PolicyEvent.action == "deliver", PolicyEvent.happened_on >= month_start), 1),
                    else_=0,
                )
            ),
            func.sum(case((PolicyEvent.action == "apply", 1), else_=0)),
            func.sum(case((PolicyEvent.action == "approve", 1), else_=0)),
            func.sum(case((PolicyEvent.action == "approve", PolicyEvent.amount), else_=0)),
        )
        .join(Enterprise, Enterprise.id == PolicyEvent.enterprise_id)
        .where(PolicyEvent.happened_on.between(year_start, today), _scope(park_id))
    )
    reached, applied, approved, amount = db.session.execute(steps).one()
    on_time, due = timeliness(policies, park_id, month_start, today)
    closing = sum(
        1 for p in open_now if p.apply_to is not None and (p.apply_to - today).days <= p.remind_days
    )
    return PolicyCard(
        len(policies), closing, pending, reached or 0, applied or 0, approved or 0,
        Decimal(amount or 0).quantize(Decimal("0.01")), on_time, due,
    )  # fmt: skip
