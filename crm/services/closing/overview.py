"""The 报表 page's 月结 table: each recent month's state, its version, who closed or reopened it and when,
and the day it closes (a constant number of queries)."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import MonthClose
from crm.services.closing.store import close_day, close_workday, month_label, month_of, previous_month
from crm.services.workdays.calendar import get_calendar

MONTHS_SHOWN = 12
STATE_LABELS = {
    "running": "本月进行中",
    "draft": "初稿",
    "due": "初稿（已到结账日）",
    "closed": "已月结",
    "reopened": "重新结账中",
}


@dataclass(frozen=True)
class MonthRow:
    month: str
    label: str
    state: str  # running / draft / due / closed / reopened
    close_on: date  # the scheduled close day
    version: Optional[int] = None  # the latest version (closed, or reopened)
    closed_at: Optional[datetime] = None
    closed_by: Optional[str] = None  # None with a version: the scheduler
    reopened_at: Optional[datetime] = None
    reopened_by: Optional[str] = None
    reopen_reason: Optional[str] = None
    earlier: tuple[int, ...] = ()  # earlier versions of the month

    @property
    def state_label(self) -> str:
        if self.state == "closed" and self.version:
            return f"已月结 第{self.version}版"
        return STATE_LABELS[self.state]

    @property
    def may_close(self) -> bool:
        return self.state in ("draft", "due", "reopened")

    @property
    def may_reopen(self) -> bool:
        return self.state == "closed"


def month_overview(today: date, months: int = MONTHS_SHOWN) -> list[MonthRow]:
    """This month and the ones before it, newest first, with their state (2 queries + the calendar)."""
    wanted, month = [], month_of(today)
    for _ in range(months):
        wanted.append(month)
        month = previous_month(month)
    rows = db.session.scalars(
        select(MonthClose)
        .where(MonthClose.month.in_(wanted))
        .options(joinedload(MonthClose.closed_by), joinedload(MonthClose.reopened_by))
        .order_by(MonthClose.month, MonthClose.version)
    )
    history: dict[str, list[MonthClose]] = {}
    for row in rows:
        history.setdefault(row.month, []).append(row)
    cal, workday = get_calendar(), close_workday()
    out = []
    for month in wanted:
        versions = history.get(month, [])
        on = close_day(month, cal, workday)
        if not versions:
            state = "running" if month == month_of(today) else ("due" if on <= today else "draft")
            out.append(MonthRow(month, month_label(month), state, on))
            continue
        latest = versions[-1]
        out.append(
            MonthRow(
                month,
                month_label(month),
                "closed" if latest.is_closed else "reopened",
                on,
                latest.version,
                latest.closed_at,
                latest.closed_by.name if latest.closed_by else None,
                latest.reopened_at,
                latest.reopened_by.name if latest.reopened_by else None,
                latest.reopen_reason,
                tuple(v.version for v in versions[:-1]),
            )
        )
    return out
