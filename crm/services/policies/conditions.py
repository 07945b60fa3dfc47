"""A policy's conditions, each kind declared once with its three readings:

- `explain(policy, firm)`: the reference, in Python, with the words shown to users (why a firm meets a
  condition, or why not);
- `policy_clause(policy)`: WHERE on enterprises for one policy already loaded (its conditions become
  literals, so the database uses its indexes: the firm list of a policy, per-policy counts);
- `pair_clause()`: WHERE correlating policies and enterprises (a firm's policies, a few firms × all
  policies).

A kind with nothing listed does not restrict; a listed kind wants any one of its values; all kinds must
hold, and only 在营 firms match. Tests hold the three readings to the same answers.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from sqlalchemy import ColumnElement, and_, exists, or_, select

from crm.models import Enterprise, FirmQualification, Policy, PolicyQualification, PolicySize
from crm.models.enterprise import SCALE_TYPES, SIZES
from crm.models.policy import policy_chains, policy_parks, policy_tags
from crm.models.profile import QUALIFICATION_ORDER, QUALIFICATIONS, enterprise_tags

ACTIVE = "active"


@dataclass(frozen=True)
class Check:
    """One condition of a policy against one firm, in words."""

    kind: str
    label: str  # 园区, 产业链 …
    wanted: str  # what the policy asks: 规上
    actual: str  # what the firm has: 规下
    ok: bool


def _listed(values: list[str]) -> str:
    return "、".join(values)


def _qual_wanted(policy: Policy) -> str:
    codes = sorted(policy.qualification_codes, key=lambda c: QUALIFICATION_ORDER.get(c, 99))
    text = "或".join(QUALIFICATIONS.get(c, c) for c in codes)
    return f"{text}（{policy.qualified_since}年及以后认定）" if policy.qualified_since else text


def _qual_ok(policy: Policy, held: dict[str, Optional[int]]) -> bool:
    since = policy.qualified_since
    return any(
        code in held and (since is None or (held[code] is not None and held[code] >= since))  # type: ignore[operator]
        for code in policy.qualification_codes
    )


def _founded_wanted(policy: Policy) -> str:
    start, end = policy.founded_from, policy.founded_to
    if start and end:
        return f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d} 之间成立"
    return f"{start:%Y-%m-%d} 及以后成立" if start else f"{end:%Y-%m-%d} 及以前成立"


def _founded_ok(policy: Policy, founded: Optional[date]) -> bool:
    if founded is None:
        return False
    return (policy.founded_from is None or founded >= policy.founded_from) and (
        policy.founded_to is None or founded <= policy.founded_to
    )


def explain(policy: Policy, firm: Enterprise) -> list[Check]:
    """Each condition the policy sets, checked against the firm (its park, chain, qualifications and tags
    loaded), in the order of the policy form; empty for a policy without conditions."""
    checks: list[Check] = []

    def add(kind: str, label: str, wanted: str, actual: str, ok: bool) -> None:
        checks.append(Check(kind, label, wanted, actual or "未填写", ok))

    if policy.parks:
        park_ids = {p.id for p in policy.parks}
        add("park", "园区", _listed([p.name for p in policy.parks]), firm.park.name, firm.park_id in park_ids)
    if policy.chains:
        chain_ids = {c.id for c in policy.chains}
        actual = firm.chain.name if firm.chain else ""
        add("chain", "产业链", _listed([c.name for c in policy.chains]), actual, firm.chain_id in chain_ids)
    if policy.sizes:
        wanted = _listed([SIZES.get(c, c) for c in policy.size_codes])
        add("size", "企业规模", wanted, firm.size_label, firm.size in policy.size_codes)
    if policy.scale_type:
        wanted = SCALE_TYPES.get(policy.scale_type, policy.scale_type)
        add("scale", "规模类型", wanted, firm.scale_label, firm.scale_type == policy.scale_type)
    if policy.qualifications:
        held = {q.code: q.year for q in firm.qualifications}
        actual = "、".join(q.text for q in firm.qualification_list) or "无"
        add("qualification", "资质", _qual_wanted(policy), actual, _qual_ok(policy, held))
    if policy.tags:
        wanted_ids = {t.id for t in policy.tags}
        actual = firm.tag_names or "无"
        ok = any(t.id in wanted_ids for t in firm.tags)
        add("tag", "标签", "或".join(t.name for t in policy.tags), actual, ok)
    if policy.founded_from or policy.founded_to:
        actual = f"{firm.founded_on:%Y-%m-%d}成立" if firm.founded_on else ""
        add("founded", "成立日期", _founded_wanted(policy), actual, _founded_ok(policy, firm.founded_on))
    return checks


def meets(policy: Policy, firm: Enterprise) -> bool:
    """The Python reference of matching: an active firm (of the policy's park, for a park's own policy)
    meeting every condition."""
    own_park = policy.park_id is None or policy.park_id == firm.park_id
    return firm.status == ACTIVE and own_park and all(check.ok for check in explain(policy, firm))


# --- one policy, loaded: its conditions as literals ---------------------------------------------------


def policy_clause(policy: Policy) -> ColumnElement[bool]:
    """WHERE on enterprises: the firms meeting this (loaded) policy's conditions."""
    terms: list[ColumnElement[bool]] = [Enterprise.status == ACTIVE]
    if policy.park_id is not None:  # a park's own policy is for its firms only, whatever it lists
        terms.append(Enterprise.park_id == policy.park_id)
    if policy.parks:
        terms.append(Enterprise.park_id.in_([p.id for p in policy.parks]))
    if policy.chains:
        terms.append(Enterprise.chain_id.in_([c.id for c in policy.chains]))
    if policy.sizes:
        terms.append(Enterprise.size.in_(policy.size_codes))
    if policy.scale_type:
        terms.append(Enterprise.scale_type == policy.scale_type)
    if policy.qualifications:
        held = [
            FirmQualification.enterprise_id == Enterprise.id,
            FirmQualification.code.in_(policy.qualification_codes),
        ]
        if policy.qualified_since:
            held.append(FirmQualification.year >= policy.qualified_since)
        terms.append(exists().where(*held))
    if policy.tags:
        terms.append(
            exists().where(
                enterprise_tags.c.enterprise_id == Enterprise.id,
                enterprise_tags.c.tag_id.in_([t.id for t in policy.tags]),
            )
        )
    if policy.founded_from:
        terms.append(Enterprise.founded_on >= policy.founded_from)
    if policy.founded_to:
        terms.append(Enterprise.founded_on <= policy.founded_to)
    return and_(*terms)


# --- policies × firms, both in SQL --------------------------------------------------------------------


def _listed_clause(has_rows: Callable[..., Any], firm_has: Callable[..., Any]) -> ColumnElement[bool]:
    """Nothing listed, or the firm's value among those listed."""
    return or_(~has_rows(), firm_has())


def pair_clause() -> ColumnElement[bool]:
    """WHERE correlating Policy and Enterprise: the firm meets the policy's conditions."""
    park = _listed_clause(
        lambda: exists().where(policy_parks.c.policy_id == Policy.id),
        lambda: exists().where(
            policy_parks.c.policy_id == Policy.id, policy_parks.c.park_id == Enterprise.park_id
        ),
    )
    chain = _listed_clause(
        lambda: exists().where(policy_chains.c.policy_id == Policy.id),
        lambda: exists().where(
            policy_chains.c.policy_id == Policy.id, policy_chains.c.chain_id == Enterprise.chain_id
        ),
    )
    size = _listed_clause(
        lambda: exists().where(PolicySize.policy_id == Policy.id),
        lambda: exists().where(PolicySize.policy_id == Policy.id, PolicySize.size == Enterprise.size),
    )
    qual = _listed_clause(
        lambda: exists().where(PolicyQualification.policy_id == Policy.id),
        lambda: exists(
            select(FirmQualification.code)
            .join(PolicyQualification, PolicyQualification.code == FirmQualification.code)
            .where(
                PolicyQualification.policy_id == Policy.id,
                FirmQualification.enterprise_id == Enterprise.id,
                or_(Policy.qualified_since.is_(None), FirmQualification.year >= Policy.qualified_since),
            )
        ),
    )
    tag = _listed_clause(
        lambda: exists().where(policy_tags.c.policy_id == Policy.id),
        lambda: exists(
            select(enterprise_tags.c.tag_id)
            .join(policy_tags, policy_tags.c.tag_id == enterprise_tags.c.tag_id)
            .where(policy_tags.c.policy_id == Policy.id, enterprise_tags.c.enterprise_id == Enterprise.id)
        ),
    )
    return and_(
        Enterprise.status == ACTIVE,
        or_(Policy.park_id.is_(None), Policy.park_id == Enterprise.park_id),
        or_(Policy.scale_type.is_(None), Policy.scale_type == Enterprise.scale_type),
        or_(Policy.founded_from.is_(None), Enterprise.founded_on >= Policy.founded_from),
        or_(Policy.founded_to.is_(None), Enterprise.founded_on <= Policy.founded_to),
        park,
        chain,
        size,
        qual,
        tag,
    )


def current_clause(today: date) -> ColumnElement[bool]:
    """WHERE on policies: published and in force today (what matching considers)."""
    return and_(
        Policy.status == "published",
        or_(Policy.valid_from.is_(None), Policy.valid_from <= today),
        or_(Policy.valid_to.is_(None), Policy.valid_to >= today),
    )


def window_clause(today: date) -> ColumnElement[bool]:
    """WHERE on policies: firms can still apply today (no closing date counts as open)."""
    return or_(Policy.apply_to.is_(None), Policy.apply_to >= today)
