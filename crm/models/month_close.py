"""月结: a month's figures frozen once the month is closed, and the facts they are built from.

A close is one version of a month: version 1 when the month is first closed, 2 after an admin reopened
(重新结账) and it was closed again, and so on. The latest version of a month decides its state: closed
(its snapshot is what the workbook and dashboards read, and entries dated in the month are refused) or
reopened (live figures, entries allowed again). Earlier versions stay, so version 2's workbook can list
every figure that changed since version 1.

The snapshot is a generic, typed envelope: each row holds one fact of one *kind* (a firm at month end, a
problem's month-end state, a cadre's visits to a firm …) as the JSON of a dataclass of plain values,
with the park the fact belongs to (None for city-wide reference facts such as names). The kinds and their
dataclasses are listed in crm.reporting.monthly.snapshot.
"""

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.user import User
from crm.timeutil import utcnow

CLOSE_STATUSES = {"closed": "已月结", "reopened": "已重新打开"}


class MonthClose(Model):
    __tablename__ = "month_closes"
    __table_args__ = (UniqueConstraint("month", "version", name="uq_month_closes_month_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    version: Mapped[int]  # 1, 2, … per month
    status: Mapped[str] = mapped_column(String(16), default="closed")
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)  # naive UTC
    closed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))  # None: the scheduler
    snapshot_rows: Mapped[int] = mapped_column(default=0)
    reopened_at: Mapped[Optional[datetime]]
    reopened_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reopen_reason: Mapped[Optional[str]] = mapped_column(String(500))

    closed_by: Mapped[Optional[User]] = relationship(foreign_keys=[closed_by_id])
    reopened_by: Mapped[Optional[User]] = relationship(foreign_keys=[reopened_by_id])

    def __repr__(self) -> str:
        return f"<MonthClose {self.month} v{self.version} {self.status}>"

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"

    @property
    def month_label(self) -> str:
        year, month = self.month.split("-")
        return f"{year}年{int(month)}月"


class MonthSnapshotRow(Model):
    """One fact of a closed month: kind names its dataclass, data its fields (dates ISO, decimals as text)."""

    __tablename__ = "month_snapshot_rows"
    __table_args__ = (Index("ix_month_snapshot_rows_close_kind_park", "close_id", "kind", "park_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    close_id: Mapped[int] = mapped_column(ForeignKey("month_closes.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # The park the fact belongs to at month end (no foreign key: a snapshot outlives a deleted park);
    # None for city-wide facts (names, the calendar, summaries).
    park_id: Mapped[Optional[int]]
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<MonthSnapshotRow {self.kind} close={self.close_id}>"
