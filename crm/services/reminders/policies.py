"""政策申报截止提醒: a policy's application window closes within its reminder days (default 10) and a firm
that meets it has not applied yet (nor ruled it out): its cadre is reminded, once per firm, policy and
closing date — the dedupe key policy:<policy>:window:<closing date>:<firm> — so a job run twice, or in
parallel, creates nothing new, while a window moved to a later date reminds again.
"""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Optional

from sqlalchemy import and_, exists, literal, select, union_all

from crm.extensions import db
from crm.models import Assignment, Enterprise, Policy, PolicyMatch, User
from crm.models.policy_workflow import OPEN
from crm.services.notifications.batch import NotificationBatch
from crm.services.policies.conditions import current_clause, policy_clause
from crm.services.policies.matching import CONDITION_LOADS, UNION_CHUNK

MAX_REMIND_DAYS = 90  # the longest reminder window a policy may set (crm.services.policies.library)
KIND = "policy_window"


def closing_policies(today: date) -> list[Policy]:
    """Policies in force whose window closes today or within their reminder days."""
    stmt = (
        select(Policy)
        .where(
            current_clause(today),
            Policy.apply_to >= today,
            Policy.apply_to <= today + timedelta(MAX_REMIND_DAYS),
        )
        .options(*CONDITION_LOADS)
        .order_by(Policy.apply_to, Policy.id)
    )
    return [p for p in db.session.scalars(stmt) if p.apply_to and (p.apply_to - today).days <= p.remind_days]


def _not_applied(policy_id: int):
    """No pair yet, or one still open (已匹配, 已送达, 有意申报)."""
    return ~exists().where(
        PolicyMatch.policy_id == policy_id,
        PolicyMatch.enterprise_id == Enterprise.id,
        PolicyMatch.status.not_in(OPEN),
    )


def _targets(policies: Sequence[Policy]) -> list[tuple[int, int, str, int]]:
    """(policy id, firm id, firm name, cadre id) for every firm with a liaison that meets a policy and
    has not applied: one SELECT per policy, UNION ALL-ed."""
    liaison = and_(Assignment.enterprise_id == Enterprise.id, Assignment.end_on.is_(None))
    rows: list[tuple[int, int, str, int]] = []
    for start in range(0, len(policies), UNION_CHUNK):
        parts = [
            select(literal(p.id), Enterprise.id, Enterprise.name, Assignment.cadre_id)
            .join(Assignment, liaison)
            .where(policy_clause(p), _not_applied(p.id))
            for p in policies[start : start + UNION_CHUNK]
        ]
        stmt = parts[0] if len(parts) == 1 else union_all(*parts)
        rows.extend(tuple(row) for row in db.session.execute(stmt))  # type: ignore[misc]
    return rows


def policy_window_reminders(today: date, now: Optional[datetime] = None) -> dict[str, int]:
    """Remind each cadre of the policies closing soon that a firm of theirs meets and has not applied for."""
    policies = closing_policies(today)
    targets = _targets(policies)
    by_id = {p.id: p for p in policies}
    cadre_ids = {cadre_id for *_, cadre_id in targets}
    cadres = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(cadre_ids)))} if cadre_ids else {}
    )
    batch = NotificationBatch(now)
    for policy_id, firm_id, firm_name, cadre_id in targets:
        policy = by_id[policy_id]
        assert policy.apply_to is not None, "closing_policies() keeps policies with a closing date"
        days = (policy.apply_to - today).days
        when = "今天" if days == 0 else f"{policy.apply_to:%m月%d日}"
        title = f"政策申报{when}截止：{policy.title}"
        body = (
            f"{firm_name}符合「{policy.title}」的条件，尚未申报。申报截止日期为{policy.apply_to:%Y-%m-%d}"
            f"（{'今天截止' if days == 0 else f'还有{days}天'}），请提醒企业及时申报。"
        )
        if policy.contact:
            body += f"咨询：{policy.contact}"
        batch.add(
            cadres.get(cadre_id),
            KIND,
            title,
            body,
            dedupe_key=f"policy:{policy.id}:window:{policy.apply_to.isoformat()}:{firm_id}",
            enterprise_id=firm_id,
        )
    return {"policies": len(policies), "firms": len(targets), "created": batch.flush()}
