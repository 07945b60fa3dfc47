"""The working-day calendar's admin-editable part: holidays and make-up workdays (调休)."""

from datetime import date, datetime
from typing import Optional

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model
from crm.timeutil import utcnow


class CalendarDay(Model):
    """A day whose status overrides the chinese-calendar package (or fills a year it does not know)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_workday: Mapped[bool]
    name: Mapped[Optional[str]] = mapped_column(String(50))
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<CalendarDay {self.day} {'班' if self.is_workday else '休'}>"


class CalendarYear(Model):
    """An admin's statement that a year's holidays and make-up days are fully entered (from the notice)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    confirmed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[Optional[str]] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"<CalendarYear {self.year}>"
