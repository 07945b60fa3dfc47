"""四张清单: the firm's product, sales and technology lists (the problem list is in problem.py)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model
from crm.timeutil import utcnow

TECH_KINDS = {"demand": "技术需求", "achievement": "技术成果", "patent": "专利", "project": "研发项目"}
TECH_STATUSES = {"pending": "待对接", "matching": "对接中", "solved": "已解决"}


class ProductItem(Model):
    __tablename__ = "product_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[Optional[str]] = mapped_column(String(100))
    capacity: Mapped[Optional[Decimal]] = mapped_column(Numeric(16, 2))
    unit: Mapped[Optional[str]] = mapped_column(String(32))
    main_market: Mapped[Optional[str]] = mapped_column(String(200))
    note: Mapped[Optional[str]] = mapped_column(Text)
    # 停产/下架: the business date the product stopped (None: still made). A retired product stays on
    # the list, greyed, and leaves the active count from that day; deleting is for mistaken entries.
    retired_on: Mapped[Optional[date]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Optimistic locking (crm.services.common.locking): a stale edit, delete or tick-off is refused.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<ProductItem {self.name}>"

    @property
    def is_retired(self) -> bool:
        return self.retired_on is not None


class SalesItem(Model):
    __tablename__ = "sales_items"
    __table_args__ = (Index("ix_sales_items_enterprise_period", "enterprise_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    product: Mapped[Optional[str]] = mapped_column(String(200))
    market: Mapped[Optional[str]] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2))  # 万元
    quantity: Mapped[Optional[Decimal]] = mapped_column(Numeric(16, 2))
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Optimistic locking (crm.services.common.locking): a stale edit, delete or tick-off is refused.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<SalesItem {self.period} {self.amount}>"


class TechItem(Model):
    __tablename__ = "tech_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[Optional[str]] = mapped_column(Text)
    partner: Mapped[Optional[str]] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    solved_on: Mapped[Optional[date]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Optimistic locking (crm.services.common.locking): a stale edit, delete or tick-off is refused.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<TechItem {self.kind} {self.title}>"

    @property
    def kind_label(self) -> str:
        return TECH_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return TECH_STATUSES.get(self.status, self.status)
