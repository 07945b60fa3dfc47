"""The enterprise file (一企一档) and its liaison assignments (一企一人)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.org import IndustryChain, Park
from crm.models.profile import QUALIFICATION_ORDER, FirmQualification, Tag, enterprise_tags
from crm.models.user import User
from crm.timeutil import utcnow

SCALE_TYPES = {"above": "规上", "below": "规下"}
SIZES = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
STATUSES = {"active": "在营", "suspended": "停产", "closed": "注销"}


class Enterprise(Model):
    __tablename__ = "enterprises"
    # Policy matching scans the firms' 画像 columns once per policy (crm.services.policies): this covering
    # index lets the scan read a narrow index instead of the wide rows.
    __table_args__ = (
        Index("ix_enterprises_profile", "status", "park_id", "chain_id", "size", "scale_type", "founded_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    # Pinyin initials of the name (湘潭高新 -> xtgx) for quick search on a phone.
    name_initials: Mapped[str] = mapped_column(String(200), default="", index=True)
    # The name folded (full-width to half-width, case, no spaces) for duplicate checks and search; the
    # name itself stays as typed, as on the business licence.
    name_key: Mapped[str] = mapped_column(String(200), default="", server_default="", index=True)
    # What a pinyin query is matched against: initials and full pinyin for each combination of the
    # readings of its polyphonic characters (湘潭长顺 -> xtzs xtcs … xiangtanchangshun …), bounded;
    # computed by crm.services.common.pinyin.search_pinyin whenever the name is saved.
    name_pinyin: Mapped[str] = mapped_column(Text, default="", server_default="")
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    legal_rep: Mapped[Optional[str]] = mapped_column(String(64))
    contact_name: Mapped[Optional[str]] = mapped_column(String(64))
    contact_phone: Mapped[Optional[str]] = mapped_column(String(64))
    address: Mapped[Optional[str]] = mapped_column(String(300))
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    chain_id: Mapped[Optional[int]] = mapped_column(ForeignKey("industry_chains.id"), index=True)
    scale_type: Mapped[Optional[str]] = mapped_column(String(8))
    size: Mapped[Optional[str]] = mapped_column(String(8))
    is_key: Mapped[bool] = mapped_column(default=False, index=True)
    founded_on: Mapped[Optional[date]]
    headcount: Mapped[Optional[int]]
    output_last_year: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))
    tax_last_year: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Optimistic locking (crm.services.common.locking): a stale edit is refused instead of overwriting.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    park: Mapped[Park] = relationship()
    chain: Mapped[Optional[IndustryChain]] = relationship()
    # 企业画像 (crm.models.profile): written by crm.services.enterprises.profile only.
    qualifications: Mapped[list[FirmQualification]] = relationship(
        cascade="all, delete-orphan", order_by=FirmQualification.code
    )
    tags: Mapped[list[Tag]] = relationship(secondary=enterprise_tags, order_by=(Tag.sort_order, Tag.id))
    # The current liaison, if any; viewonly because Assignment rows are managed by services only.
    active_assignment: Mapped[Optional["Assignment"]] = relationship(
        primaryjoin="and_(Assignment.enterprise_id == Enterprise.id, Assignment.end_on.is_(None))",
        viewonly=True,
        uselist=False,
    )

    def __repr__(self) -> str:
        return f"<Enterprise {self.credit_code} {self.name}>"

    @property
    def scale_label(self) -> str:
        return SCALE_TYPES.get(self.scale_type or "", "")

    @property
    def size_label(self) -> str:
        return SIZES.get(self.size or "", "")

    @property
    def qualification_list(self) -> list[FirmQualification]:
        """The firm's qualifications in the reference list's order."""
        return sorted(self.qualifications, key=lambda q: QUALIFICATION_ORDER.get(q.code, 99))

    @property
    def tag_names(self) -> str:
        """The tags as one line: 出口企业、技术改造项目"""
        return "、".join(tag.name for tag in self.tags)

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def cadre(self) -> Optional[User]:
        return self.active_assignment.cadre if self.active_assignment else None


class Handover(Model):
    """A cadre's whole caseload moved to a successor in one act (在职终身服务制)."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_cadre_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    to_cadre_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[Optional[str]] = mapped_column(Text)
    handed_on: Mapped[date]
    first_visit_due_on: Mapped[date]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    from_cadre: Mapped[User] = relationship(foreign_keys=[from_cadre_id])
    to_cadre: Mapped[User] = relationship(foreign_keys=[to_cadre_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    assignments: Mapped[list["Assignment"]] = relationship(
        back_populates="handover", order_by="Assignment.id", viewonly=True
    )

    def __repr__(self) -> str:
        return f"<Handover {self.from_cadre_id}->{self.to_cadre_id}>"


class Assignment(Model):
    """One liaison period of a cadre for a firm; end_on None means it is the current one."""

    __tablename__ = "assignments"
    __table_args__ = (
        # 一企一人, enforced by the database: at most one active liaison per firm.
        Index(
            "uq_assignments_active_enterprise",
            "enterprise_id",
            unique=True,
            sqlite_where=text("end_on IS NULL"),
            postgresql_where=text("end_on IS NULL"),
        ),
        Index("ix_assignments_cadre_active", "cadre_id", "end_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    cadre_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    start_on: Mapped[date]
    end_on: Mapped[Optional[date]]
    reason: Mapped[Optional[str]] = mapped_column(String(300))
    end_reason: Mapped[Optional[str]] = mapped_column(String(300))
    assigned_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    handover_id: Mapped[Optional[int]] = mapped_column(ForeignKey("handovers.id"), index=True)
    # Set for the successor's rows of a handover: the new cadre's first visit is due by then.
    first_visit_due_on: Mapped[Optional[date]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    enterprise: Mapped[Enterprise] = relationship()
    cadre: Mapped[User] = relationship(foreign_keys=[cadre_id])
    assigned_by: Mapped[Optional[User]] = relationship(foreign_keys=[assigned_by_id])
    handover: Mapped[Optional[Handover]] = relationship(back_populates="assignments")

    def __repr__(self) -> str:
        return f"<Assignment firm={self.enterprise_id} cadre={self.cadre_id} {self.start_on}..{self.end_on}>"

    @property
    def is_active(self) -> bool:
        return self.end_on is None
