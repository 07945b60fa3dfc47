"""Organisation and reference data: parks, departments, industry chains.

A park, department or chain that records use is retired (is_active False, retired_at set) rather than
deleted: existing firms, users, problems and reports keep showing it, but pickers and filters no longer
offer it for new records (see `offered`).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Optional

from sqlalchemy import ColumnElement, ForeignKey, String, or_, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model


class Park(Model):
    __tablename__ = "parks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    retired_at: Mapped[Optional[datetime]]

    def __repr__(self) -> str:
        return f"<Park {self.code}>"


class Department(Model):
    """A functional department; park_id None means a city-level department serving all parks."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    park_id: Mapped[Optional[int]] = mapped_column(ForeignKey("parks.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    retired_at: Mapped[Optional[datetime]]

    park: Mapped[Optional[Park]] = relationship()

    def __repr__(self) -> str:
        return f"<Department {self.name}>"


class IndustryChain(Model):
    __tablename__ = "industry_chains"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    retired_at: Mapped[Optional[datetime]]

    def __repr__(self) -> str:
        return f"<IndustryChain {self.name}>"


def offered(
    entity: type[Park] | type[Department] | type[IndustryChain], keep: Iterable[Optional[int]] = ()
) -> ColumnElement[bool]:
    """WHERE clause of a picker or filter: active rows, plus those a record or filter already holds (keep)."""
    held = [i for i in keep if i]
    active = entity.is_active.is_(True)
    return or_(active, entity.id.in_(held)) if held else active
