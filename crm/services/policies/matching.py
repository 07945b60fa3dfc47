"""Matching as a query: a policy's firms, a firm's policies, what a cadre still has to deliver, and the
per-policy counts of the library — each in a constant number of statements.

Only policies in force (published, within validity) match; 待送达 also needs the window still open.
A pair that was acted on stays visible even after the firm stopped meeting the conditions, marked so.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from crm.extensions import db
from crm.models import Assignment, Enterprise, Policy, PolicyMatch, User
from crm.models.policy_workflow import APPLIED, REACHED, STATUSES
from crm.permissions import enterprise_scope_clause, visible_enterprises, visible_policies
from crm.services.policies.conditions import (
    Check,
    current_clause,
    explain,
    meets,
    pair_clause,
    policy_clause,
    window_clause,
)

# Loading a policy's conditions (for policy_clause and explain): one query per relationship.
CONDITION_LOADS = (
    selectinload(Policy.parks),
    selectinload(Policy.chains),
    selectinload(Policy.tags),
    selectinload(Policy.sizes),
    selectinload(Policy.qualifications),
)
FIRM_LOADS = (
    joinedload(Enterprise.park),
    joinedload(Enterprise.chain),
    selectinload(Enterprise.qualifications),
    selectinload(Enterprise.tags),
)
UNION_CHUNK = 100  # per-policy counts per statement (SQLite allows 500 terms in a compound SELECT)
# The firm-list filter of a policy page: 待送达, or a pair status.
FIRM_FILTERS = {"pending": "待送达"} | {k: v for k, v in STATUSES.items() if k != "matched"}


def reached_clause(policy_id: Any, firm_id: Any) -> ColumnElement[bool]:
    """The pair has a row past 已匹配 (delivered, answered, applied …)."""
    return exists().where(
        PolicyMatch.policy_id == policy_id,
        PolicyMatch.enterprise_id == firm_id,
        PolicyMatch.status != "matched",
    )


# --- one policy's firms ---------------------------------------------------------------------------------


def policy_firms_query(user: User, policy: Policy, status: str = "") -> Select:
    """The firms in the user's scope that meet the (loaded) policy, or whose pair was acted on; status
    narrows to 待送达 ("pending") or to one pair status. Ordered by name."""
    has_pair = exists().where(PolicyMatch.policy_id == policy.id, PolicyMatch.enterprise_id == Enterprise.id)
    stmt = visible_enterprises(user).where(or_(policy_clause(policy), has_pair))
    if status == "pending":
        stmt = stmt.where(policy_clause(policy), ~reached_clause(policy.id, Enterprise.id))
    elif status in STATUSES:
        stmt = stmt.where(
            exists().where(
                PolicyMatch.policy_id == policy.id,
                PolicyMatch.enterprise_id == Enterprise.id,
                PolicyMatch.status == status,
            )
        )
    return stmt.options(
        *FIRM_LOADS, selectinload(Enterprise.active_assignment).joinedload(Assignment.cadre)
    ).order_by(Enterprise.name_initials, Enterprise.id)


@dataclass
class PairRow:
    """A firm on a policy's page, or a policy on a firm's page: the pair's state and why it matches."""

    policy: Policy
    firm: Enterprise
    pair: Optional[PolicyMatch]
    checks: list[Check]
    matches: bool  # meets the conditions today

    @property
    def status(self) -> str:
        return self.pair.status if self.pair is not None else "matched"

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]


def pairs_of(policy: Policy, firms: Sequence[Enterprise]) -> list[PairRow]:
    """The page's firms of a policy with their pair rows (one query) and explanations."""
    ids = [f.id for f in firms]
    pairs = {}
    if ids:
        stmt = select(PolicyMatch).where(
            PolicyMatch.policy_id == policy.id, PolicyMatch.enterprise_id.in_(ids)
        )
        pairs = {p.enterprise_id: p for p in db.session.scalars(stmt)}
    return [PairRow(policy, f, pairs.get(f.id), explain(policy, f), meets(policy, f)) for f in firms]


# --- one firm's policies ------------------------------------------------------------------------------


def firm_policy_rows(firm: Enterprise, today: date, user: Optional[User] = None) -> list[PairRow]:
    """The policies a firm meets today and those its pair was acted on (the 政策 tab, and the firm's own
    page when user is None), with the pair and why: open windows first, the soonest closing first."""
    pair_on = and_(PolicyMatch.policy_id == Policy.id, PolicyMatch.enterprise_id == Enterprise.id)
    stmt = (
        select(Policy, PolicyMatch)
        .select_from(Policy)
        .join(Enterprise, Enterprise.id == firm.id)
        .outerjoin(PolicyMatch, pair_on)
        .where(or_(and_(current_clause(today), pair_clause()), PolicyMatch.id.is_not(None)))
        .options(*CONDITION_LOADS)
        .order_by(
            case((window_clause(today), 0), else_=1),
            Policy.apply_to.is_(None),
            Policy.apply_to,
            Policy.id.desc(),
        )
    )
    scope = visible_policies(user).whereclause if user is not None else None
    if scope is not None:
        stmt = stmt.where(scope)
    if user is None:  # the firm's own page: published policies only, never a withdrawn draft
        stmt = stmt.where(Policy.status == "published")
    return [PairRow(p, firm, pair, explain(p, firm), meets(p, firm)) for p, pair in db.session.execute(stmt)]


# --- 待送达 for many firms (我的企业) -----------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    policy_id: int
    title: str
    apply_to: Optional[date]


def pending_by_firm(firm_ids: Sequence[int], today: date) -> dict[int, list[Pending]]:
    """{firm id: the policies in force with an open window it meets and nobody brought to it yet}, the
    soonest closing first; one query whatever the number of firms."""
    if not firm_ids:
        return {}
    stmt = (
        select(Enterprise.id, Policy.id, Policy.title, Policy.apply_to)
        .select_from(Enterprise)
        .join(Policy, and_(current_clause(today), window_clause(today)))
        .where(Enterprise.id.in_(list(firm_ids)), pair_clause(), ~reached_clause(Policy.id, Enterprise.id))
        .order_by(Enterprise.id, Policy.apply_to.is_(None), Policy.apply_to, Policy.id)
    )
    out: dict[int, list[Pending]] = defaultdict(list)
    for firm_id, policy_id, title, apply_to in db.session.execute(stmt):
        out[firm_id].append(Pending(policy_id, title, apply_to))
    return dict(out)


# --- per-policy counts (the library, reports) -------------------------------------------------------------


@dataclass
class PolicyCounts:
    matched: int = 0  # firms meeting the conditions today (in scope)
    pending: int = 0  # of those, not yet reached (shown only while the window is open)
    reached: int = 0  # pairs delivered or answered
    interested: int = 0
    applied: int = 0  # applied, approved or rejected
    approved: int = 0
    amount: Decimal = field(default_factory=lambda: Decimal("0"))


def _union(parts: list[Select]) -> Select:
    return parts[0] if len(parts) == 1 else union_all(*parts)  # type: ignore[return-value]


def matched_counts(policies: Sequence[Policy], scope: ColumnElement[bool]) -> dict[int, int]:
    """{policy id: firms in scope meeting it} — one SELECT per policy with its conditions as literals (so
    the database uses its indexes, the covering ix_enterprises_profile above all), UNION ALL-ed."""
    out: dict[int, int] = {}
    for start in range(0, len(policies), UNION_CHUNK):
        parts = [
            select(literal(p.id), func.count(Enterprise.id)).where(policy_clause(p), scope)
            for p in policies[start : start + UNION_CHUNK]
        ]
        out.update({pid: n for pid, n in db.session.execute(_union(parts))})
    return out


def reached_matching(policies: Sequence[Policy], scope: ColumnElement[bool]) -> dict[int, int]:
    """{policy id: pairs past 已匹配 whose firm (in scope) still meets the policy}: from the pair rows, so
    待送达 = matched − this, without probing the pairs once per matched firm."""
    out: dict[int, int] = {}
    for start in range(0, len(policies), UNION_CHUNK):
        parts = [
            select(literal(p.id), func.count(PolicyMatch.id))
            .join(Enterprise, Enterprise.id == PolicyMatch.enterprise_id)
            .where(PolicyMatch.policy_id == p.id, PolicyMatch.status != "matched", policy_clause(p), scope)
            for p in policies[start : start + UNION_CHUNK]
        ]
        out.update({pid: n for pid, n in db.session.execute(_union(parts))})
    return out


def pair_counts(policy_ids: Sequence[int], scope: ColumnElement[bool]) -> dict[int, PolicyCounts]:
    """{policy id: the pair figures} from the pair rows of firms in scope, in one grouped query."""
    counts = {pid: PolicyCounts() for pid in policy_ids}
    if not policy_ids:
        return counts
    stmt = (
        select(
            PolicyMatch.policy_id,
            func.sum(case((PolicyMatch.status.in_(REACHED), 1), else_=0)),
            func.sum(case((PolicyMatch.status == "interested", 1), else_=0)),
            func.sum(case((PolicyMatch.status.in_(APPLIED), 1), else_=0)),
            func.sum(case((PolicyMatch.status == "approved", 1), else_=0)),
            func.sum(case((PolicyMatch.status == "approved", PolicyMatch.amount), else_=0)),
        )
        .join(Enterprise, Enterprise.id == PolicyMatch.enterprise_id)
        .where(PolicyMatch.policy_id.in_(list(policy_ids)), scope)
        .group_by(PolicyMatch.policy_id)
    )
    for pid, reached, interested, applied, approved, amount in db.session.execute(stmt):
        row = counts[pid]
        row.reached, row.interested, row.applied, row.approved = reached, interested, applied, approved
        row.amount = Decimal(amount or 0).quantize(Decimal("0.01"))
    return counts


def policy_counts(
    policies: Sequence[Policy],
    today: date,
    user: Optional[User] = None,
    scope: Optional[ColumnElement[bool]] = None,
) -> dict[int, PolicyCounts]:
    """The library's figures per (loaded) policy, for the firms in the user's scope (or scope)."""
    where = (
        scope
        if scope is not None
        else enterprise_scope_clause(user)
        if user is not None
        else Enterprise.id.is_not(None)
    )
    counts = pair_counts([p.id for p in policies], where)
    current = [p for p in policies if p.in_force(today)]
    matched, reached = matched_counts(current, where), reached_matching(current, where)
    for p in current:
        counts[p.id].matched = matched.get(p.id, 0)
        counts[p.id].pending = matched.get(p.id, 0) - reached.get(p.id, 0) if p.window_open(today) else 0
    return counts
