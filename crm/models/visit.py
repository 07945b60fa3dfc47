"""走访: visits and contacts, and files attached to them."""

from datetime import date, datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.enterprise import Enterprise
from crm.models.evidence import EVIDENCE_CSS, EVIDENCE_LABELS
from crm.models.user import User
from crm.timeutil import utcnow

VISIT_KINDS = {"onsite": "上门走访", "phone": "电话", "online": "线上", "forum": "座谈/政企面对面"}


class Visit(Model):
    __tablename__ = "visits"
    __table_args__ = (
        # kind is included so cadence and report aggregates are answered from the index alone.
        Index("ix_visits_enterprise_date_kind", "enterprise_id", "visited_on", "kind"),
        # A visit saved on a phone carries an id made there: resending it (a retry after a lost answer,
        # a second tab syncing the same draft) finds this row instead of logging the visit twice.
        UniqueConstraint("cadre_id", "client_id", name="uq_visits_cadre_client"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    # The cadre (or officer) who made the contact; also the author allowed to correct it.
    cadre_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    visited_on: Mapped[date] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    participants: Mapped[Optional[str]] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    findings: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Optimistic locking (crm.services.common.locking): a stale correction is refused, not overwritten.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # The id the browser gave the visit when it was typed (a UUID); None for visits logged otherwise.
    client_id: Mapped[Optional[str]] = mapped_column(String(36))
    # 现场佐证 of an on-site visit (crm.models.evidence.EVIDENCE_LABELS); None when not collected.
    evidence: Mapped[Optional[str]] = mapped_column(String(16), index=True)

    __mapper_args__ = {"version_id_col": version}

    enterprise: Mapped[Enterprise] = relationship()
    cadre: Mapped[User] = relationship()
    attachments: Mapped[list["Attachment"]] = relationship(
        primaryjoin="and_(Attachment.owner_type == 'visit', foreign(Attachment.owner_id) == Visit.id)",
        viewonly=True,
        order_by="Attachment.id",
    )

    def __repr__(self) -> str:
        return f"<Visit firm={self.enterprise_id} {self.visited_on} {self.kind}>"

    @property
    def kind_label(self) -> str:
        return VISIT_KINDS.get(self.kind, self.kind)

    @property
    def evidence_label(self) -> str:
        return EVIDENCE_LABELS.get(self.evidence or "", "")

    @property
    def evidence_css(self) -> str:
        return EVIDENCE_CSS.get(self.evidence or "", "secondary")


class Attachment(Model):
    """A file stored on disk (never in the database), reachable only through its firm's permissions."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_owner", "owner_type", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int]
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Attachment {self.owner_type}#{self.owner_id} {self.filename}>"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class FirmVisitSummary(Model):
    """Each firm's last contact and last on-site visit, kept by the visit service.

    Cadence pages and jobs read these two dates instead of aggregating the whole visit log, so a
    page costs the same with 30,000 visits or 3,000,000. Derived data: refresh_visit_summaries()
    rebuilds it from the visits at any time (the daily reminder job does).
    """

    __tablename__ = "firm_visit_summaries"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    last_contact_on: Mapped[Optional[date]]
    last_onsite_on: Mapped[Optional[date]]
    # The last on-site visit with evidence (位置、照片 verified), for coverage counted with evidence.
    last_evidenced_on: Mapped[Optional[date]]

    def __repr__(self) -> str:
        return f"<FirmVisitSummary firm={self.enterprise_id} {self.last_contact_on} {self.last_onsite_on}>"
