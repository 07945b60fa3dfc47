"""Audit trail: who changed what, when."""

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.user import User
from crm.timeutil import utcnow


class AuditLog(Model):
    __tablename__ = "audit_logs"
    __table_args__ = (Index("ix_audit_logs_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int]
    # The firm the change concerns, so the firm page can show its whole history with one query.
    enterprise_id: Mapped[Optional[int]] = mapped_column(ForeignKey("enterprises.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(500), default="")
    changes: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    actor: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return f"<AuditLog {self.entity_type}#{self.entity_id} {self.action}>"
