"""The month and the park(s) a monthly report covers (see crm.reporting.monthly.build for the definitions)."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import true

from crm.models import Enterprise, Park
from crm.services import ServiceError

MONTH_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")
EARLIEST_YEAR = 2000


@dataclass(frozen=True)
class Period:
    """A calendar month YYYY-MM; `end` is its last day, or today while the month is still running."""

    month: str
    start: date
    end: date
    month_end: date

    @classmethod
    def of(cls, year: int, month: int, today: date) -> "Period":
        start = date(year, month, 1)
        last = start.replace(day=calendar.monthrange(year, month)[1])
        return cls(f"{year:04d}-{month:02d}", start, min(last, today), last)

    @classmethod
    def parse(cls, text: Optional[str], today: date) -> "Period":
        """Parse YYYY-MM (also 2026/10, 2026年10月); refuse future months with a Chinese message."""
        match = MONTH_RE.match(str(text or ""))
        if not match:
            raise ServiceError("月份格式应为 YYYY-MM，例如 2026-10")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or year < EARLIEST_YEAR:
            raise ServiceError("月份格式应为 YYYY-MM，例如 2026-10")
        if date(year, month, 1) > today:
            raise ServiceError(f"{year}年{month}月尚未开始，不能生成报表")
        return cls.of(year, month, today)

    @classmethod
    def last_complete(cls, today: date) -> "Period":
        """The month before today's (what the scheduler reports on the 1st)."""
        prev = today.replace(day=1) - timedelta(days=1)
        return cls.of(prev.year, prev.month, today)

    def previous(self) -> "Period":
        prev = self.start - timedelta(days=1)
        return Period.of(prev.year, prev.month, self.end)

    @property
    def is_running(self) -> bool:
        return self.end < self.month_end

    @property
    def judged_on(self) -> date:
        """The day cadence is judged for the month: the next month's 1st, or today while it runs."""
        return self.end if self.is_running else self.month_end + timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.start.year}年{self.start.month}月"

    @property
    def year_start_month(self) -> str:
        return f"{self.start.year:04d}-01"


@dataclass(frozen=True)
class ReportScope:
    """One park, or all parks (park None)."""

    park: Optional[Park] = None

    @property
    def park_id(self) -> Optional[int]:
        return self.park.id if self.park else None

    @property
    def title(self) -> str:
        return self.park.name if self.park else "全部园区"

    @property
    def slug(self) -> str:
        """ASCII name part for stored files."""
        return f"park{self.park.id}" if self.park else "all"

    def firm_clause(self):
        """WHERE clause restricting Enterprise rows to the report's park(s)."""
        return Enterprise.park_id == self.park.id if self.park else true()
