"""The admin calendar pages' read side: a year's holidays and make-up days with where each comes from,
the years to offer, and the preview of entered lines beside each day's current status."""

from dataclasses import dataclass
from datetime import date
from typing import Optional

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import AuditLog, CalendarYear, User
from crm.services.workdays.admin import WEEKDAYS, CalendarEntry
from crm.services.workdays.calendar import WorkCalendar


@dataclass
class CalendarRow:
    day: date
    is_workday: bool
    name: Optional[str]
    builtin: Optional[bool]  # the package's status for the day if it lists it, else None
    override: bool

    @property
    def weekday(self) -> str:
        return "周" + WEEKDAYS[self.day.weekday()]

    @property
    def source(self) -> str:
        if self.override:
            return "管理员录入（覆盖内置）" if self.builtin is not None else "管理员录入"
        return "内置"


@dataclass
class YearView:
    year: int
    status: str  # package / confirmed / missing
    rows: list[CalendarRow]
    confirmation: Optional[CalendarYear]
    confirmed_by: Optional[str]
    history: list[AuditLog]

    @property
    def holidays(self) -> int:
        return sum(not r.is_workday for r in self.rows)

    @property
    def makeup_days(self) -> int:
        return sum(r.is_workday and r.day.weekday() >= 5 for r in self.rows)

    @property
    def overrides(self) -> int:
        return sum(r.override for r in self.rows)


def _builtin_days(year: int, cal: WorkCalendar) -> dict[date, bool]:
    if not cal.package_knows(year):
        return {}
    days = {d: False for d in chinese_calendar.holidays if d.year == year}
    days.update({d: True for d in chinese_calendar.workdays if d.year == year})
    return days


def year_view(year: int, cal: WorkCalendar, history_limit: int = 10) -> YearView:
    """The year's holidays and make-up workdays from the package and the overrides (three queries)."""
    builtin = _builtin_days(year, cal)
    days = set(builtin) | {d for d in cal.overrides if d.year == year}
    rows = []
    for d in sorted(days):
        name = cal.day_name(d)
        if d not in cal.overrides and builtin.get(d) and name:
            name += "调休"  # the package names a make-up day after its holiday
        rows.append(CalendarRow(d, cal.is_workday(d), name, builtin.get(d), d in cal.overrides))
    found = db.session.execute(
        select(CalendarYear, User.name)
        .outerjoin(User, User.id == CalendarYear.confirmed_by_id)
        .where(CalendarYear.year == year)
    ).first()
    confirmation, confirmed_by = (found[0], found[1]) if found else (None, None)
    status = "package" if cal.package_knows(year) else "confirmed" if confirmation else "missing"
    history = list(
        db.session.scalars(
            select(AuditLog)
            .where(AuditLog.entity_type == "calendar", AuditLog.entity_id == year)
            .options(joinedload(AuditLog.actor))
            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
            .limit(history_limit)
        )
    )
    return YearView(year, status, rows, confirmation, confirmed_by, history)


def calendar_years(today: date, cal: WorkCalendar) -> list[int]:
    """Years to offer on the page: this year, next year and any year an admin has touched."""
    years = {today.year, today.year + 1} | {d.year for d in cal.overrides} | cal.confirmed_years
    return sorted(years)


@dataclass
class PreviewRow:
    entry: CalendarEntry
    was_workday: bool
    was_name: Optional[str]
    was_override: bool

    @property
    def weekday(self) -> str:
        return "周" + WEEKDAYS[self.entry.day.weekday()]

    @property
    def effect(self) -> str:
        """What saving the line does to the day, in Chinese."""
        if self.was_workday != self.entry.is_workday:
            return "由工作日改为休息日" if self.was_workday else "由休息日改为工作日"
        return "仅修改名称" if (self.entry.name or None) != self.was_name else "无变化"


def preview_rows(entries: list[CalendarEntry], cal: WorkCalendar) -> list[PreviewRow]:
    """Each parsed entry beside the day's current status, for the preview before saving."""
    return [
        PreviewRow(e, cal.is_workday(e.day), cal.day_name(e.day), e.day in cal.overrides) for e in entries
    ]
