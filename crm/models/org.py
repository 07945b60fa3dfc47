"""Organisation and reference data: parks, departments, industry chains."""

from typing import Optional

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model


class Park(Model):
    __tablename__ = "parks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)

    def __repr__(self) -> str:
        return f"<Park {self.code}>"


class Department(Model):
    """A functional department; park_id None means a city-level department serving all parks."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    park_id: Mapped[Optional[int]] = mapped_column(ForeignKey("parks.id"))
    is_active: Mapped[bool] = mapped_column(default=True)

    park: Mapped[Optional[Park]] = relationship()

    def __repr__(self) -> str:
        return f"<Department {self.name}>"


class IndustryChain(Model):
    __tablename__ = "industry_chains"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    sort_order: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<IndustryChain {self.name}>"
