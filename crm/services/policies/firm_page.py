"""The firm's own view of its policies (the 政策 section of its 企业服务码 page): what it meets, in plain
words, with the application window and whom to ask; and its answer, 有意申报 or 不需要, counted against
the page's rate limits like every post there."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Optional

from crm.extensions import db
from crm.models import Enterprise, Policy, PolicyMatch, ServiceCode
from crm.models.policy_workflow import FIRM, steps_from
from crm.services import ServiceError
from crm.services.policies.delivery import firm_answer
from crm.services.policies.matching import PairRow, firm_policy_rows
from crm.services.portal.throttle import admit

# What each state of a pair says to the firm.
PLAIN = {
    "matched": "贵企业符合申报条件",
    "delivered": "联系干部已向贵企业送达",
    "interested": "贵企业已表示有意申报",
    "declined": "贵企业已表示不需要",
    "ineligible": "经核实暂不符合条件",
    "applied": "已申报，等待审核结果",
    "approved": "已兑现",
    "rejected": "未获批",
}
GONE = "该政策不存在或已撤回，请刷新页面"


@dataclass
class FirmPolicy:
    """One policy as the firm reads it."""

    row: PairRow
    window: str  # 申报截止：2026年11月30日（还有28天）
    closing: bool  # within the policy's reminder days
    choices: list[tuple[str, str]]  # (step code, label) the firm may take now

    @property
    def policy(self) -> Policy:
        return self.row.policy

    @property
    def plain(self) -> str:
        pair = self.row.pair
        text = PLAIN[self.row.status]
        if pair is not None and pair.status == "approved" and pair.amount is not None:
            return f"{text} {pair.amount.normalize():f} 万元"
        if pair is not None and pair.status in ("ineligible", "rejected") and pair.reason:
            return f"{text}（{pair.reason}）"
        return text


def window_text(policy: Policy, today: date) -> tuple[str, bool]:
    """The application window in words, and whether it closes within the policy's reminder days."""
    if policy.apply_from and policy.apply_from > today:
        return f"申报时间：{policy.apply_from:%Y年%m月%d日} 开始", False
    if policy.apply_to is None:
        return "长期可申报", False
    days = (policy.apply_to - today).days
    if days < 0:
        return f"申报已于 {policy.apply_to:%Y年%m月%d日} 截止", False
    left = "今天截止" if days == 0 else f"还有{days}天"
    return f"申报截止：{policy.apply_to:%Y年%m月%d日}（{left}）", days <= policy.remind_days


def firm_policies(firm: Enterprise, today: date) -> list[FirmPolicy]:
    """The published policies the firm meets today, and those already acted on (open windows first)."""
    out = []
    for row in firm_policy_rows(firm, today):
        if not row.matches and row.pair is None:
            continue
        text, closing = window_text(row.policy, today)
        choices = []
        if row.policy.in_force(today) or row.pair is not None:
            choices = [
                (s.code, "不需要" if s.code == "decline" else s.label) for s in steps_from(row.status, FIRM)
            ]
        if not row.policy.in_force(today):
            choices = [c for c in choices if c[0] == "decline"]
        out.append(FirmPolicy(row, text, closing, choices))
    return out


def answer_policy(
    code: ServiceCode,
    policy_id: int,
    choice: str,
    reason: Any,
    address: Optional[str],
    today: date,
    now: datetime,
) -> PolicyMatch:
    """The firm says 有意申报 (interest) or 不需要 (decline) on its own page; counted by the page's limits."""
    firm = code.enterprise
    policy = db.session.get(Policy, policy_id)
    if policy is None or policy.status != "published" or policy.park_id not in (None, firm.park_id):
        raise ServiceError(GONE)
    admit("act", code.id, address, now)
    return firm_answer(firm, policy, choice, today, reason=reason)
