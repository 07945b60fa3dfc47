"""Working days (工作日) on the Chinese official calendar, including 调休 make-up workdays.

Three sources, in order: the admin-editable table (CalendarDay) overrides everything; then the
`chinese-calendar` package for the years it knows (2004–2026 in 1.11.0); then the statutory holidays
by the national rule (crm.services.workdays.statutory, from 2025) and Monday–Friday. A year that
neither the package knows nor an admin has confirmed (CalendarYear) is "missing" (provisional):
deadlines in it still compute (rule holidays, Mon–Fri, no 调休), everyone who sees such a deadline is
told (provisional_note), and admins see a warning until the State Council notice is entered.

A calendar is built once per request or job run (two small queries) and answers in O(1) from
per-year cumulative counts, so colouring thousands of problems stays cheap.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Optional

import chinese_calendar
from flask import g, has_request_context
from sqlalchemy import select

from crm.extensions import db
from crm.models import CalendarDay, CalendarYear
from crm.services.workdays.statutory import statutory_holidays

MAX_STEP_DAYS = 3660  # add_workdays never searches further than ten years


def package_years() -> range:
    """The years the installed chinese-calendar package has official data for."""
    years = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    return range(years[0], years[-1] + 1)


_PACKAGE_YEARS = package_years()


def _package_is_workday(day: date) -> bool:
    if day in chinese_calendar.workdays:  # dict lookups: no exception for unknown years
        return True
    if day in chinese_calendar.holidays:
        return False
    return day.weekday() < 5


@lru_cache(maxsize=64)
def _rule_holidays(year: int) -> dict[date, str]:
    """The year's statutory holidays by the rule, computed once per process (never mutated)."""
    return statutory_holidays(year)


@dataclass
class WorkCalendar:
    overrides: dict[date, bool] = field(default_factory=dict)
    names: dict[date, str] = field(default_factory=dict)
    confirmed_years: set[int] = field(default_factory=set)
    _cumulative: dict[int, list[int]] = field(default_factory=dict, repr=False)

    # --- which years are known ---
    def package_knows(self, year: int) -> bool:
        return year in _PACKAGE_YEARS

    def year_known(self, year: int) -> bool:
        """Official data for the year: from the package, or confirmed complete by an admin."""
        return self.package_knows(year) or year in self.confirmed_years

    def missing_years(self, years: Iterable[int]) -> list[int]:
        return sorted(y for y in set(years) if not self.year_known(y))

    def is_provisional(self, year: int) -> bool:
        """Deadlines in the year are estimated: rule holidays and Mon–Fri, the 调休 not yet entered."""
        return not self.year_known(year)

    def provisional_years(self, days: Iterable[Optional[date]]) -> list[int]:
        """The provisional years among the given dates (None is skipped), in order."""
        return sorted({d.year for d in days if d is not None and self.is_provisional(d.year)})

    # --- single days ---
    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if self.package_knows(day.year):
            return _package_is_workday(day)
        if day in _rule_holidays(day.year):
            return False
        return day.weekday() < 5

    def day_name(self, day: date) -> Optional[str]:
        """The holiday's or make-up day's name, if any (for the admin calendar page)."""
        if day in self.names:
            return self.names[day]
        if self.package_knows(day.year):
            detail = chinese_calendar.get_holiday_detail(day)[1]
            return HOLIDAY_NAMES.get(detail, detail) if detail else None
        return _rule_holidays(day.year).get(day)

    # --- counting ---
    def _year_counts(self, year: int) -> list[int]:
        """counts[i] = working days from Jan 1 up to and including day i (0-based) of the year."""
        counts = self._cumulative.get(year)
        if counts is None:
            counts, total, day = [], 0, date(year, 1, 1)
            while day.year == year:
                total += self.is_workday(day)
                counts.append(total)
                day += timedelta(days=1)
            self._cumulative[year] = counts
        return counts

    def workdays_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end (negative when end is before start)."""
        if end < start:
            return -self.workdays_between(end, start)
        first = self._year_counts(start.year)
        if end.year == start.year:
            return first[_index(end)] - first[_index(start)]
        total = first[-1] - first[_index(start)]
        total += sum(self._year_counts(y)[-1] for y in range(start.year + 1, end.year))
        return total + self._year_counts(end.year)[_index(end)]

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after start (start itself never counts); n == 0 gives start."""
        if n < 0:
            raise ValueError("n must not be negative")
        day, left = start, n
        for _ in range(MAX_STEP_DAYS):
            if left == 0:
                return day
            day += timedelta(days=1)
            left -= self.is_workday(day)
        raise ValueError("no working day found within ten years")


def _index(day: date) -> int:
    return day.timetuple().tm_yday - 1


HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def load_calendar() -> WorkCalendar:
    """Build the calendar from the database (two small queries)."""
    cal = WorkCalendar()
    for row in db.session.scalars(select(CalendarDay)):
        cal.overrides[row.day] = row.is_workday
        if row.name:
            cal.names[row.day] = row.name
    cal.confirmed_years = set(db.session.scalars(select(CalendarYear.year)))
    return cal


def get_calendar() -> WorkCalendar:
    """The calendar for this request (built once per request), or a fresh one outside requests."""
    if has_request_context():
        cal = g.get("_work_calendar")
        if cal is None:
            cal = g._work_calendar = load_calendar()
        return cal
    return load_calendar()


def forget_calendar() -> None:
    """Drop the request's cached calendar after an admin changed the table."""
    if has_request_context():
        g.pop("_work_calendar", None)


def provisional_note(years: Iterable[int]) -> Optional[str]:
    """The caveat shown next to deadlines that fall in provisional years (None when there are none)."""
    ys = sorted(set(years))
    if not ys:
        return None
    return (
        f"{'、'.join(str(y) for y in ys)}年调休安排尚未录入，期限按法定节假日和周一至周五推算，"
        "录入后将自动调整。"
    )


def calendar_warnings(today: date, cal: Optional[WorkCalendar] = None) -> list[str]:
    """Chinese warnings for admins: the current year unknown, or (from December) next year unknown."""
    cal = cal or get_calendar()
    warnings = []
    if not cal.year_known(today.year):
        warnings.append(
            f"{today.year}年的法定节假日安排尚未录入，工作日暂按周一至周五计算"
            "（法定节假日按放假办法推算，不含调休），期限可能不准确。"
            "请在“节假日”页面按国务院办公厅通知录入并确认。"
        )
    if today.month == 12 and not cal.year_known(today.year + 1):
        warnings.append(
            f"{today.year + 1}年的法定节假日安排尚未录入。国务院办公厅通知发布后，"
            "请在“节假日”页面录入并确认，否则跨年的办理期限将按法定节假日和周一至周五计算（不含调休）。"
        )
    return warnings
