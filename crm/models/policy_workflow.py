"""送政策: the firm–policy pair's steps declared once.

A firm that meets a policy's conditions is 已匹配 (computed, no row). The first step taken on the pair
stores it (crm.models.policy.PolicyMatch); every step writes a PolicyEvent and an audit entry. This table
says who may take each step, from which states, to which state, and what the step asks for; the
transition function (crm.services.policies.delivery), the permissions, the buttons on the pages and the
firm's own page read it. Pure data: imports nothing from crm.

    已匹配 ─送达─▶ 已送达 ─有意申报─▶ 有意申报 ─已申报─▶ 已申报 ─兑现─▶ 已兑现
       │             │  └─不符合(原因)─▶ 不符合                     └─未获批─▶ 未获批
       │             └─不需要─▶ 企业不需要 (the firm, or its cadre for it; it may change its mind)
       └─ the firm may say 有意申报 / 不需要 on its own page before any delivery
"""

from dataclasses import dataclass
from typing import Optional

STATUSES: dict[str, str] = {
    "matched": "已匹配",
    "delivered": "已送达",
    "interested": "有意申报",
    "declined": "企业不需要",
    "ineligible": "不符合",
    "applied": "已申报",
    "approved": "已兑现",
    "rejected": "未获批",
}
# Not yet brought to the firm: what a cadre still has to deliver (待送达).
PENDING = ("matched",)
# The firm has not applied yet and has not ruled it out: the window-closing reminder is for these.
OPEN = ("matched", "delivered", "interested")
# Reached the firm in some way (送达 on a visit, or the firm answered on its own page).
REACHED = ("delivered", "interested", "declined", "ineligible", "applied", "approved", "rejected")
APPLIED = ("applied", "approved", "rejected")
CLOSED = ("declined", "ineligible", "approved", "rejected")

CADRE_SIDE = frozenset({"admin", "officer", "cadre"})
FIRM = "firm"  # the firm itself, on its 企业服务码 page (no account)


@dataclass(frozen=True)
class PairStep:
    """One step on a firm–policy pair; `code` names it in routes, events and audit entries."""

    code: str
    label: str  # the verb on the button, in messages and on the timeline
    from_states: tuple[str, ...]
    to_state: str
    roles: frozenset[str]  # user roles (crm.permissions adds the firm's scope); FIRM: the firm's page
    date_label: Optional[str] = None  # the step records a business date under this label
    reason: Optional[str] = None  # "required" or "optional": a reason (原因) is asked for
    amount: bool = False  # the amount paid (万元) is required
    needs_match: bool = False  # only while the firm meets the policy's conditions
    needs_current: bool = False  # only while the policy is published and in force
    css: str = "btn-outline-primary"
    hint: str = ""  # a line under the form

    @property
    def firm_may(self) -> bool:
        return FIRM in self.roles


_STEPS = (
    PairStep(
        "deliver",
        "送达",
        ("matched",),
        "delivered",
        CADRE_SIDE,
        date_label="送达日期",
        needs_match=True,
        needs_current=True,
        css="btn-primary",
        hint="已把政策内容和申报要求告知企业",
    ),
    PairStep(
        "interest",
        "有意申报",
        ("matched", "delivered", "declined"),
        "interested",
        CADRE_SIDE | {FIRM},
        needs_current=True,
        css="btn-success",
    ),
    PairStep(
        "decline",
        "企业不需要",
        ("matched", "delivered", "interested"),
        "declined",
        CADRE_SIDE | {FIRM},
        reason="optional",
        css="btn-outline-secondary",
    ),
    PairStep(
        "ineligible",
        "不符合",
        ("matched", "delivered", "interested"),
        "ineligible",
        CADRE_SIDE,
        reason="required",
        css="btn-outline-secondary",
        hint="如：研发投入比例不达标、已享受同类政策",
    ),
    PairStep(
        "apply",
        "已申报",
        ("interested",),
        "applied",
        CADRE_SIDE,
        date_label="申报日期",
        css="btn-primary",
    ),
    PairStep(
        "approve",
        "已兑现",
        ("applied",),
        "approved",
        CADRE_SIDE,
        date_label="兑现日期",
        amount=True,
        css="btn-success",
    ),
    PairStep(
        "reject",
        "未获批",
        ("applied",),
        "rejected",
        CADRE_SIDE,
        date_label="结果日期",
        reason="optional",
        css="btn-outline-danger",
    ),
    PairStep(
        "undeliver",
        "撤销送达",
        ("delivered",),
        "matched",
        CADRE_SIDE,
        reason="required",
        css="btn-outline-danger",
        hint="误勾选送达时使用",
    ),
)
STEPS: dict[str, PairStep] = {step.code: step for step in _STEPS}
# Timeline labels of the events: one per step.
EVENT_LABELS: dict[str, str] = {step.code: step.label for step in _STEPS}


def steps_from(status: str, role: str) -> list[PairStep]:
    """The steps a role may take on a pair in this status, in declaration order."""
    return [s for s in _STEPS if status in s.from_states and role in s.roles]
