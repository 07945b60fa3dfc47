"""送政策: the one function that moves a firm–policy pair, checked against crm.models.policy_workflow.

take_step() checks who acts (the firm's cadre and its park's office, or the firm itself on its own page),
the pair's state, the policy (in force, for delivering), the firm (meeting the conditions, for
delivering), the date, reason and amount the step asks for; then writes the pair, a PolicyEvent (the
pair's timeline) and an audit entry on the firm (its 变更记录). A refusal is a ServiceError in Chinese
and changes nothing.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Enterprise, Policy, PolicyEvent, PolicyMatch, User, Visit
from crm.models.policy_workflow import FIRM, STATUSES, STEPS, PairStep
from crm.permissions import can
from crm.services import ServiceError
from crm.services.closing.guard import refuse_if_closed
from crm.services.common.audit import record_audit
from crm.services.common.validators import clean_text, parse_decimal
from crm.services.policies.conditions import policy_clause

REASON_MAX = 300
RACE = "该政策刚被其他人处理过，请刷新页面查看最新状态"


def _as_date(value: Any, label: str, today: date) -> date:
    if value in (None, ""):
        return today
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ServiceError(f"{label}格式不正确，应为 YYYY-MM-DD") from None


def _check_actor(
    step: PairStep, actor: Optional[User], policy: Policy, firm: Enterprise, by_firm: bool
) -> None:
    if by_firm:
        if not step.firm_may:
            raise ServiceError(f"企业不能在服务码页面进行“{step.label}”")
        return
    if actor is None or not can(actor, "policy.deliver", firm) or actor.role not in step.roles:
        raise ServiceError(f"没有对该企业进行“{step.label}”的权限")
    if not can(actor, "policy.view", policy):
        raise ServiceError("没有查看该政策的权限")


def _meets(policy: Policy, firm: Enterprise) -> bool:
    stmt = select(Enterprise.id).where(Enterprise.id == firm.id, policy_clause(policy))
    return db.session.scalar(stmt) is not None


def _refusal(step: PairStep, status: str) -> str:
    if step.code == "approve":
        return f"只有“已申报”的政策才能登记兑现（当前为“{STATUSES[status]}”）"
    if step.code == "apply":
        return f"企业表示有意申报后才能登记已申报（当前为“{STATUSES[status]}”）"
    if status == step.to_state and status != "matched":
        return f"该政策已是“{STATUSES[status]}”，不能重复操作"
    return f"该政策当前为“{STATUSES[status]}”，不能“{step.label}”"


def _check_date(step: PairStep, policy: Policy, pair: Optional[PolicyMatch], day: date, today: date) -> None:
    label = step.date_label or "日期"
    if day > today:
        raise ServiceError(f"{label}不能晚于今天")
    if step.code == "deliver" and policy.published_on and day < policy.published_on:
        raise ServiceError(f"送达日期不能早于政策发布日期（{policy.published_on:%Y-%m-%d}）")
    if step.code == "apply":
        if policy.apply_from and day < policy.apply_from:
            raise ServiceError(f"申报日期不能早于申报开始日期（{policy.apply_from:%Y-%m-%d}）")
        if policy.apply_to and day > policy.apply_to:
            raise ServiceError(f"申报日期不能晚于申报截止日期（{policy.apply_to:%Y-%m-%d}）")
    if step.code in ("approve", "reject") and pair is not None and pair.applied_on and day < pair.applied_on:
        raise ServiceError(f"{label}不能早于申报日期（{pair.applied_on:%Y-%m-%d}）")
    if pair is not None:
        last = db.session.scalar(
            select(PolicyEvent.happened_on)
            .where(PolicyEvent.match_id == pair.id)
            .order_by(PolicyEvent.happened_on.desc(), PolicyEvent.id.desc())
            .limit(1)
        )
        if last is not None and day < last:
            raise ServiceError(f"{label}不能早于上一步的日期（{last:%Y-%m-%d}）")


def _amount(step: PairStep, policy: Policy, value: Any) -> Optional[Decimal]:
    if not step.amount:
        return None
    amount = parse_decimal(value, "兑现金额（万元）", required=True)
    assert amount is not None, "a required amount is given"
    if amount <= 0:
        raise ServiceError("兑现金额应大于0")
    if policy.max_amount is not None and amount > policy.max_amount:
        raise ServiceError(f"兑现金额不能超过该政策的最高支持金额 {policy.max_amount.normalize():f} 万元")
    return amount


def find_pair(policy: Policy, firm: Enterprise) -> Optional[PolicyMatch]:
    stmt = select(PolicyMatch).where(PolicyMatch.policy_id == policy.id, PolicyMatch.enterprise_id == firm.id)
    return db.session.scalar(stmt)


def _new_pair(policy: Policy, firm: Enterprise) -> PolicyMatch:
    """The pair's row, added in a savepoint: a colleague adding it at the same moment gets RACE."""
    pair = PolicyMatch(policy_id=policy.id, enterprise_id=firm.id, status="matched")
    try:
        with db.session.begin_nested():
            db.session.add(pair)
    except IntegrityError:
        raise ServiceError(RACE) from None
    return pair


def take_step(
    actor: Optional[User],
    policy: Policy,
    firm: Enterprise,
    code: str,
    today: date,
    *,
    on: Any = None,
    reason: Any = None,
    amount: Any = None,
    visit: Optional[Visit] = None,
    by_firm: bool = False,
) -> PolicyMatch:
    """Move the firm–policy pair by the step `code` (送达, 有意申报 …); by_firm: the firm itself, on its
    own page (actor None). Returns the pair; a ServiceError in Chinese changes nothing."""
    step = STEPS.get(code)
    if step is None:
        raise ServiceError("未知的操作")
    _check_actor(step, actor, policy, firm, by_firm)
    pair = find_pair(policy, firm)
    status = pair.status if pair is not None else "matched"
    if status not in step.from_states:
        raise ServiceError(_refusal(step, status))
    if step.needs_current and not policy.in_force(today):
        raise ServiceError(f"该政策未发布或已不在有效期内，不能“{step.label}”")
    # A pair without a row is 已匹配 only while the firm meets the conditions.
    if (step.needs_match or pair is None) and not _meets(policy, firm):
        raise ServiceError(f"{firm.name}不符合该政策的条件，不能“{step.label}”")
    # Every step is dated (a step without a date field: the day it is recorded), never before the pair's
    # previous step, so the month-end replay (crm.services.policies.figures) reads the steps in order.
    day = _as_date(on, step.date_label or "日期", today)
    _check_date(step, policy, pair, day, today)
    refuse_if_closed(day, "送政策记录")  # 月结: a closed month's figures are final
    required = step.reason == "required"
    note = clean_text(reason, "原因", REASON_MAX, required=required) if step.reason else None
    paid = _amount(step, policy, amount)
    if pair is None:
        pair = _new_pair(policy, firm)
    _write(step, pair, actor, day, note, paid, visit)
    event = PolicyEvent(
        match_id=pair.id,
        policy_id=policy.id,
        enterprise_id=firm.id,
        action=step.code,
        from_status=status,
        to_status=step.to_state,
        actor_id=actor.id if actor is not None else None,
        by_firm=by_firm,
        happened_on=day,
        note=note,
        amount=paid,
        visit_id=visit.id if visit is not None else None,
    )
    db.session.add(event)
    db.session.flush()
    detail = f"，{paid.normalize():f}万元" if paid is not None else ""
    detail += f"（{note}）" if note else ""
    who = "企业通过服务码页面：" if by_firm else ""
    summary = f"{who}政策「{policy.title}」{step.label}{detail}"
    record_audit(actor, "policy_match", pair.id, step.code, summary, enterprise_id=firm.id)
    return pair


def _write(
    step: PairStep,
    pair: PolicyMatch,
    actor: Optional[User],
    day: date,
    note: Optional[str],
    paid: Optional[Decimal],
    visit: Optional[Visit],
) -> None:
    pair.status = step.to_state
    if step.code == "deliver":
        pair.delivered_on, pair.delivered_by_id = day, actor.id if actor else None
        pair.visit_id = visit.id if visit is not None else None
    elif step.code == "undeliver":
        pair.delivered_on = pair.delivered_by_id = pair.visit_id = None
    elif step.code == "apply":
        pair.applied_on = day
    elif step.code in ("approve", "reject"):
        pair.decided_on = day
        pair.amount = paid
    if note is not None or step.reason:
        pair.reason = note


def deliver_on_visit(
    actor: User, firm: Enterprise, visit: Visit, policy_ids: Iterable[Any], today: date
) -> int:
    """送达 the ticked policies on a visit (dated the visit's day); returns how many. Every id must be a
    policy the actor sees and may deliver to the firm, else nothing is delivered."""
    ids = []
    for value in policy_ids:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise ServiceError("送达的政策无效，请刷新页面后重新勾选") from None
    ids = list(dict.fromkeys(ids))
    if not ids:
        return 0
    policies = {p.id: p for p in db.session.scalars(select(Policy).where(Policy.id.in_(ids)))}
    if len(policies) != len(ids):
        raise ServiceError("送达的政策不存在，请刷新页面后重新勾选")
    for policy_id in ids:
        take_step(actor, policies[policy_id], firm, "deliver", today, on=visit.visited_on, visit=visit)
    return len(ids)


def firm_answer(firm: Enterprise, policy: Policy, code: str, today: date, reason: Any = None) -> PolicyMatch:
    """The firm's own answer on its 企业服务码 page: 有意申报 or 不需要 a policy it meets."""
    if code not in STEPS or FIRM not in STEPS[code].roles:
        raise ServiceError("企业只能选择“有意申报”或“不需要”")
    if policy.status != "published":
        raise ServiceError("该政策已撤回")
    return take_step(None, policy, firm, code, today, reason=reason, by_firm=True)


def pair_timeline(firm: Enterprise) -> list[PolicyEvent]:
    """Every step on the firm's pairs, newest first (the 政策 tab's history)."""
    stmt = (
        select(PolicyEvent)
        .where(PolicyEvent.enterprise_id == firm.id)
        .options(joinedload(PolicyEvent.actor), joinedload(PolicyEvent.policy))
        .order_by(PolicyEvent.at.desc(), PolicyEvent.id.desc())
        .limit(200)
    )
    return list(db.session.scalars(stmt))
