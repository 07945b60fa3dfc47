"""The admin side of the working-day calendar: holidays and make-up workdays (调休) entered from the
State Council notice, and the statement that a year's table is complete.

Every change goes through here: it is audited (entity "calendar", id = the year) and drops the cached
calendar. Deadlines already set on problems do not move when days are entered; confirming the year
moves the open problems' deadlines it changes (crm.services.problems.recalc, which calls confirm_year).
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import CalendarDay, CalendarYear, User
from crm.permissions import can
from crm.services import ServiceError
from crm.services.common.audit import record_audit
from crm.services.common.validators import CONTROL_CHARS, has_control_chars, refuse_control_chars
from crm.services.workdays.calendar import WorkCalendar, forget_calendar, load_calendar
from crm.services.workdays.notice import is_boilerplate, is_notice_line, notice_year, read_holiday_line

NAME_MAX = 50
MAX_RANGE_DAYS = 31  # the longest holiday period in a notice is about 9 days; longer is a typo
MAX_ENTRIES = 400
YEARS = (2000, 2100)
WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class CalendarEntry:
    """One day to store: a holiday (休) or a make-up workday (班), from notice line `line` (0: form)."""

    day: date
    is_workday: bool
    name: Optional[str] = None
    line: int = 0


# --- parsing the notice ----------------------------------------------------------------------------

HOLIDAY_WORDS = ("放假", "休息日", "休息", "休假", "休")
WORKDAY_WORDS = ("补班", "上班", "工作日", "调休上班", "班")
_KIND = "|".join(sorted(HOLIDAY_WORDS + WORKDAY_WORDS, key=len, reverse=True))
_SEP = r"[\s,、:;]*"
_WEEKDAY = r"(?:\s*\((?:周|星期)[一二三四五六日天]\))?"
_LINE = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    + _WEEKDAY
    + r"(?:\s*(?:~|至|到|—+|–|〜|-(?=\s))\s*(?:(?P<y2>\d{4})\s*[-/.年]\s*)?(?:(?P<m2>\d{1,2})\s*[-/.月]\s*)?"
    r"(?P<d2>\d{1,2})\s*日?" + _WEEKDAY + ")?" + _SEP + rf"(?P<kind>{_KIND})" + _SEP + r"(?P<name>.*)$"
)
_DATE_ONLY = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}")
FORMAT_HINT = "格式应为“2027-01-01 休 元旦”“2027-02-15~2027-02-21 休 春节”或“2027-02-14 班 春节调休”"


def _normalise(line: str) -> str:
    # NFKC turns full-width digits, letters and punctuation (２０２７－０１－０１，～) into ASCII.
    return unicodedata.normalize("NFKC", line).replace("\u3000", " ").strip()


def _make_date(y: str, m: str, d: str) -> Optional[date]:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def _parse_line(text: str, n: int) -> tuple[list[CalendarEntry], Optional[str]]:
    match = _LINE.match(text)
    if match is None:
        if _DATE_ONLY.match(text) and not re.search(_KIND, text):
            return [], f"第{n}行：缺少“休”或“班”（{text}）"
        return [], f"第{n}行：无法识别“{text}”，{FORMAT_HINT}"
    g = match.groupdict()
    start = _make_date(g["y"], g["m"], g["d"])
    if start is None:
        return [], f"第{n}行：日期无效（{g['y']}-{g['m']}-{g['d']}）"
    end = start
    if g["d2"]:
        y2, m2 = g["y2"] or g["y"], g["m2"] or g["m"]
        range_end = _make_date(y2, m2, g["d2"])
        if range_end is None:
            return [], f"第{n}行：结束日期无效（{y2}-{m2}-{g['d2']}）"
        end = range_end
        if end < start:
            return [], f"第{n}行：结束日期 {end} 早于开始日期 {start}"
        if (end - start).days >= MAX_RANGE_DAYS:
            return [], f"第{n}行：日期范围超过{MAX_RANGE_DAYS}天，请检查"
    if not YEARS[0] <= start.year <= YEARS[1] or not YEARS[0] <= end.year <= YEARS[1]:
        return [], f"第{n}行：年份超出范围（{YEARS[0]}–{YEARS[1]}）"
    name = g["name"].strip() or None
    if has_control_chars(name):
        return [], f"第{n}行：名称{CONTROL_CHARS}"
    if name and len(name) > NAME_MAX:
        return [], f"第{n}行：名称不能超过{NAME_MAX}字"
    is_workday = g["kind"] in WORKDAY_WORDS
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return [CalendarEntry(day, is_workday, name, n) for day in days], None


def _parse_notice_line(
    text: str, n: int, year: Optional[int], warnings: list[str]
) -> tuple[list[CalendarEntry], Optional[str]]:
    """One line in the notice's own wording (元旦：1月1日至3日放假调休，共3天。1月4日（周日）上班。)."""
    try:
        days, notes = read_holiday_line(text, year, MAX_RANGE_DAYS)
    except ValueError as exc:
        return [], f"第{n}行：{exc}"
    if any(not YEARS[0] <= d.day.year <= YEARS[1] for d in days):
        return [], f"第{n}行：年份超出范围（{YEARS[0]}–{YEARS[1]}）"
    warnings.extend(f"第{n}行：{note}" for note in notes)
    return [CalendarEntry(d.day, d.is_workday, d.name, n) for d in days], None


@dataclass
class NoticeReading:
    """What was read from the notice: entries (none when there are errors), errors, warnings, the year."""

    entries: list[CalendarEntry]
    errors: list[str]
    warnings: list[str]
    year: Optional[int]


def read_notice(text: str, year: Optional[int] = None) -> NoticeReading:
    """Read the notice into entries, or Chinese line-numbered errors (then no entries), with warnings.

    The State Council's notice may be pasted whole (see crm.services.workdays.notice): its holiday lines
    are read, its title gives the year unless `year` (the admin's year field) is given, its prose is
    skipped. Lines of the form's own format work too: a date or a range (~ / 至 / 到), 休/休息/放假 or
    班/上班/补班, and an optional name. Blank lines and lines starting with # are skipped; full-width
    characters are accepted.
    """
    entries: list[CalendarEntry] = []
    errors: list[str] = []
    warnings: list[str] = []
    seen: dict[date, int] = {}
    lines = [_normalise(raw) for raw in (text or "").splitlines()]
    year, year_error = notice_year(lines, year)
    if year_error:
        return NoticeReading([], [year_error], [], None)
    for n, line in enumerate(lines, start=1):
        if not line or line.startswith("#") or is_boilerplate(line):
            continue
        if is_notice_line(line):
            found, error = _parse_notice_line(line, n, year, warnings)
        else:
            found, error = _parse_line(line, n)
        if error:
            errors.append(error)
            continue
        for entry in found:
            if entry.day in seen:
                errors.append(f"第{n}行：{entry.day} 已在第{seen[entry.day]}行出现")
                break
            seen[entry.day] = n
        else:
            entries.extend(found)
    if not entries and not errors:
        errors.append(f"请至少输入一行，{FORMAT_HINT}")
    if len(entries) > MAX_ENTRIES:
        errors.append(f"一次最多录入{MAX_ENTRIES}天，请分批录入")
    return NoticeReading([] if errors else sorted(entries, key=lambda e: e.day), errors, warnings, year)


def parse_notice(text: str, year: Optional[int] = None) -> tuple[list[CalendarEntry], list[str]]:
    """read_notice() as (entries, errors)."""
    reading = read_notice(text, year)
    return reading.entries, reading.errors


# --- changes -----------------------------------------------------------------------------------------


def _check(actor: Optional[User]) -> None:
    if actor is None or not can(actor, "calendar.manage"):
        raise ServiceError("没有维护节假日的权限")


def _label(is_workday: Optional[bool], name: Optional[str]) -> Optional[str]:
    if is_workday is None:
        return None
    return ("班" if is_workday else "休") + (f"·{name}" if name else "")


def set_calendar_days(actor: User, entries: list[CalendarEntry]) -> dict[str, int]:
    """Add or change overrides, all or nothing; one audit row per year. Returns added/changed/unchanged."""
    _check(actor)
    if not entries:
        raise ServiceError("没有要保存的日期")
    if len({e.day for e in entries}) != len(entries):
        raise ServiceError("同一天不能出现两次")
    for entry in entries:
        if has_control_chars(entry.name):
            raise ServiceError(f"{entry.day} 的名称{CONTROL_CHARS}")
        if entry.name and len(entry.name) > NAME_MAX:
            raise ServiceError(f"{entry.day} 的名称不能超过{NAME_MAX}字")
        if not YEARS[0] <= entry.day.year <= YEARS[1]:
            raise ServiceError(f"{entry.day} 的年份超出范围")
    existing = {
        row.day: row
        for row in db.session.scalars(
            select(CalendarDay).where(CalendarDay.day.in_([e.day for e in entries]))
        )
    }
    counts = {"added": 0, "changed": 0, "unchanged": 0}
    changes: dict[int, dict[str, tuple]] = {}
    for entry in sorted(entries, key=lambda e: e.day):
        name = (entry.name or "").strip() or None
        row = existing.get(entry.day)
        if row is not None and row.is_workday == entry.is_workday and row.name == name:
            counts["unchanged"] += 1
            continue
        old = _label(row.is_workday, row.name) if row else None
        if row is None:
            db.session.add(
                CalendarDay(day=entry.day, is_workday=entry.is_workday, name=name, updated_by_id=actor.id)
            )
            counts["added"] += 1
        else:
            row.is_workday, row.name, row.updated_by_id = entry.is_workday, name, actor.id
            counts["changed"] += 1
        changes.setdefault(entry.day.year, {})[str(entry.day)] = (old, _label(entry.is_workday, name))
    db.session.flush()
    for year, year_changes in changes.items():
        record_audit(
            actor,
            "calendar",
            year,
            "set_days",
            f"录入{year}年节假日安排：{len(year_changes)}天",
            year_changes,
        )
    forget_calendar()
    return counts


def delete_calendar_day(actor: User, day: date) -> None:
    """Remove an admin's override: the day follows the package (or Mon–Fri) again."""
    _check(actor)
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise ServiceError(f"{day} 没有管理员录入的设置")
    old = _label(row.is_workday, row.name)
    db.session.delete(row)
    db.session.flush()
    record_audit(
        actor, "calendar", day.year, "delete_day", f"删除 {day} 的节假日设置", {str(day): (old, None)}
    )
    forget_calendar()


def confirm_year(
    actor: User, year: int, note: Optional[str] = None, cal: Optional[WorkCalendar] = None
) -> CalendarYear:
    """State that a year's holidays and make-up days are fully entered: its warning disappears."""
    _check(actor)
    refuse_control_chars(note, "说明")
    cal = cal or load_calendar()
    if cal.package_knows(year):
        raise ServiceError(f"{year}年的节假日安排已由内置日历提供，无需确认")
    if db.session.get(CalendarYear, year) is not None:
        raise ServiceError(f"{year}年已确认过")
    holidays = [d for d, work in cal.overrides.items() if d.year == year and not work]
    if not holidays:
        raise ServiceError(f"{year}年还没有录入任何法定节假日，请先按国务院办公厅通知录入，再确认")
    row = CalendarYear(year=year, confirmed_by_id=actor.id, note=(note or "").strip()[:200] or None)
    db.session.add(row)
    db.session.flush()
    record_audit(actor, "calendar", year, "confirm", f"确认{year}年节假日安排已完整录入")
    forget_calendar()
    return row


def unconfirm_year(actor: User, year: int) -> None:
    """Withdraw the confirmation: the year is "missing" again and admins see the warning."""
    _check(actor)
    row = db.session.get(CalendarYear, year)
    if row is None:
        raise ServiceError(f"{year}年尚未确认，无需撤销")
    db.session.delete(row)
    db.session.flush()
    record_audit(actor, "calendar", year, "unconfirm", f"撤销{year}年节假日安排的确认")
    forget_calendar()
