"""惠企政策: the policy library with its conditions as data, and the firm–policy pairs on the cadre's round.

A policy's conditions are rows and columns, never prose: the parks, industry chains, sizes,
qualifications and tags it asks for (any one of each listed kind; a kind with nothing listed does not
restrict), 规上/规下, a window for the founding date and a first recognition year for the
qualification. Which firms meet them is a query (crm.services.policies.matching), so a change to a firm
or a policy shows at once. A pair row exists from the first step taken on it (crm.models.policy_workflow).
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import Column, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.enterprise import Enterprise
from crm.models.org import IndustryChain, Park
from crm.models.policy_workflow import STATUSES
from crm.models.profile import Tag
from crm.models.user import User
from crm.timeutil import utcnow

LEVELS = {"national": "国家", "province": "省级", "city": "市级", "district": "区县", "park": "园区"}
BENEFIT_KINDS = {
    "fund": "资金补助",
    "tax": "税费减免",
    "factor": "要素保障",
    "talent": "人才支持",
    "finance": "融资支持",
    "other": "其他",
}
POLICY_STATUSES = {"draft": "草稿", "published": "已发布", "withdrawn": "已撤回"}
DEFAULT_REMIND_DAYS = 10

policy_parks = Table(
    "policy_parks",
    Model.metadata,
    Column("policy_id", ForeignKey("policies.id"), primary_key=True),
    Column("park_id", ForeignKey("parks.id"), primary_key=True, index=True),
)
policy_chains = Table(
    "policy_chains",
    Model.metadata,
    Column("policy_id", ForeignKey("policies.id"), primary_key=True),
    Column("chain_id", ForeignKey("industry_chains.id"), primary_key=True, index=True),
)
policy_tags = Table(
    "policy_tags",
    Model.metadata,
    Column("policy_id", ForeignKey("policies.id"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id"), primary_key=True, index=True),
)


class PolicySize(Model):
    """A size (大中小微) a policy is for."""

    __tablename__ = "policy_sizes"

    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), primary_key=True)
    size: Mapped[str] = mapped_column(String(8), primary_key=True)

    def __repr__(self) -> str:
        return f"<PolicySize {self.policy_id} {self.size}>"


class PolicyQualification(Model):
    """A qualification (crm.models.profile.QUALIFICATIONS) a policy is for."""

    __tablename__ = "policy_qualifications"

    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(24), primary_key=True)

    def __repr__(self) -> str:
        return f"<PolicyQualification {self.policy_id} {self.code}>"


class Policy(Model):
    __tablename__ = "policies"
    __table_args__ = (Index("ix_policies_status_apply_to", "status", "apply_to"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Whose policy it is: a park's office keeps its own; None is a city-wide policy kept by admins.
    park_id: Mapped[Optional[int]] = mapped_column(ForeignKey("parks.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    doc_no: Mapped[Optional[str]] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(Text)  # in plain words: what the firm gets and what it must do
    body: Mapped[Optional[str]] = mapped_column(Text)
    # The official text as a file (stored under UPLOAD_FOLDER like attachments; never in the database).
    file_name: Mapped[Optional[str]] = mapped_column(String(200))
    file_stored: Mapped[Optional[str]] = mapped_column(String(100))
    file_type: Mapped[Optional[str]] = mapped_column(String(100))
    file_size: Mapped[Optional[int]]
    valid_from: Mapped[Optional[date]]
    valid_to: Mapped[Optional[date]]
    apply_from: Mapped[Optional[date]]
    apply_to: Mapped[Optional[date]]
    benefit_kind: Mapped[str] = mapped_column(String(16))
    max_amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))  # 万元
    contact: Mapped[Optional[str]] = mapped_column(String(200))  # whom a firm asks: 科技局 张科长 0731-…
    remind_days: Mapped[int] = mapped_column(default=DEFAULT_REMIND_DAYS, server_default="10")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    published_on: Mapped[Optional[date]]
    # Conditions held on the row; the set-valued ones are the link rows below.
    scale_type: Mapped[Optional[str]] = mapped_column(String(8))
    founded_from: Mapped[Optional[date]]
    founded_to: Mapped[Optional[date]]
    qualified_since: Mapped[Optional[int]]  # the qualification recognised in this year or later
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    park: Mapped[Optional[Park]] = relationship()
    created_by: Mapped[Optional[User]] = relationship()
    parks: Mapped[list[Park]] = relationship(secondary=policy_parks, order_by=Park.id)
    chains: Mapped[list[IndustryChain]] = relationship(
        secondary=policy_chains, order_by=(IndustryChain.sort_order, IndustryChain.id)
    )
    tags: Mapped[list[Tag]] = relationship(secondary=policy_tags, order_by=(Tag.sort_order, Tag.id))
    sizes: Mapped[list[PolicySize]] = relationship(cascade="all, delete-orphan", order_by=PolicySize.size)
    qualifications: Mapped[list[PolicyQualification]] = relationship(
        cascade="all, delete-orphan", order_by=PolicyQualification.code
    )

    def __repr__(self) -> str:
        return f"<Policy {self.id} {self.title}>"

    @property
    def level_label(self) -> str:
        return LEVELS.get(self.level, self.level)

    @property
    def benefit_label(self) -> str:
        return BENEFIT_KINDS.get(self.benefit_kind, self.benefit_kind)

    @property
    def status_label(self) -> str:
        return POLICY_STATUSES.get(self.status, self.status)

    @property
    def size_codes(self) -> list[str]:
        return [s.size for s in self.sizes]

    @property
    def qualification_codes(self) -> list[str]:
        return [q.code for q in self.qualifications]

    def in_force(self, today: date) -> bool:
        """Published and within its validity."""
        return (
            self.status == "published"
            and (self.valid_from is None or self.valid_from <= today)
            and (self.valid_to is None or self.valid_to >= today)
        )

    def window_open(self, today: date) -> bool:
        """Firms can still apply (no window given counts as open while the policy is in force)."""
        return (self.apply_from is None or self.apply_from <= today) and (
            self.apply_to is None or self.apply_to >= today
        )


class PolicyMatch(Model):
    """A firm–policy pair once a step was taken on it (送达, 有意申报 …); 已匹配 pairs have no row."""

    __tablename__ = "policy_matches"
    __table_args__ = (
        UniqueConstraint("policy_id", "enterprise_id", name="uq_policy_matches_policy_firm"),
        Index("ix_policy_matches_enterprise_status", "enterprise_id", "status"),
        Index("ix_policy_matches_status_policy", "status", "policy_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    status: Mapped[str] = mapped_column(String(16))
    delivered_on: Mapped[Optional[date]]
    delivered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    visit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("visits.id"), index=True)
    applied_on: Mapped[Optional[date]]
    decided_on: Mapped[Optional[date]]  # 兑现 or 未获批
    amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))  # 万元 paid
    reason: Mapped[Optional[str]] = mapped_column(String(300))  # of the last 不符合 / 不需要 / 未获批 / 撤销
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    policy: Mapped[Policy] = relationship()
    enterprise: Mapped[Enterprise] = relationship()
    delivered_by: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return f"<PolicyMatch policy={self.policy_id} firm={self.enterprise_id} {self.status}>"

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)


class PolicyEvent(Model):
    """One step on a pair (全程留痕): who (a user, or the firm on its own page), what, when."""

    __tablename__ = "policy_events"
    __table_args__ = (
        Index("ix_policy_events_policy_day", "policy_id", "happened_on"),
        Index("ix_policy_events_enterprise_at", "enterprise_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("policy_matches.id"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    by_firm: Mapped[bool] = mapped_column(default=False)
    happened_on: Mapped[
        date
    ]  # the business date (送达日期, 申报日期, 兑现日期; else the day it was recorded)
    note: Mapped[Optional[str]] = mapped_column(String(300))
    amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))
    visit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("visits.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[Optional[User]] = relationship()
    policy: Mapped[Policy] = relationship()

    def __repr__(self) -> str:
        return f"<PolicyEvent {self.action} policy={self.policy_id} firm={self.enterprise_id}>"
