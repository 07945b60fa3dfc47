"""Reading the State Council's notice (国务院办公厅关于YYYY年部分节假日安排的通知) pasted as it is.

A holiday line reads 「一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。」: a holiday
name, then dates or ranges each followed by 放假 (days off) or 上班 / 补班 / 调休上班 (make-up workdays).
Dates without a year take the notice's year (the admin's year field, else the title's); a range whose end
comes before its start in the calendar (12月31日至1月2日) ends in the next year. Weekday annotations such
as （周日） and the 共N天 total are checked against the dates: a mismatch (a wrong year, a typo) is a warning
the admin reads in the preview before saving. The title, the addressees, the closing paragraph and the
signature are recognised and skipped.

Only reading lives here; crm.services.workdays.admin turns the days into calendar entries and saves them.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional

WEEKDAYS = "一二三四五六日"
HINT = (
    "可直接粘贴通知原文（如“元旦：1月1日至3日放假调休，共3天。1月4日（周日）上班。”），"
    "或按行填写“2027-01-01 休 元旦”"
)
NO_YEAR = "未能确定年份，请填写“通知年份”，或一并粘贴通知标题（国务院办公厅关于YYYY年部分节假日安排的通知）"

_TITLE_YEAR = re.compile(r"关于\s*(\d{4})\s*年.*节假日安排")
# The notice's own prose: title, document number, addressees, opening and closing paragraphs, issuer,
# signature date, publication note. Nothing in them is a day off or a workday.
_BOILERPLATE = re.compile(
    r"节假日安排的通知|国办发|^国务院办公厅$|人民政府|经国务院批准|通知如下|节假日期间|此件公开发布|鼓励各单位"
    r"|^\d{4}年\d{1,2}月\d{1,2}日$"
)
_HEAD = re.compile(
    r"^(?:[一二三四五六七八九十]+\s*[、.]|\d{1,2}\s*[、.](?!\d)|\(\s*[一二三四五六七八九十\d]+\s*\))?\s*"
    r"(?:(?P<name>[\u4e00-\u9fff、]{1,20}?)\s*:)?\s*(?P<body>.*)$"
)
_TOKEN = re.compile(
    r"(?P<date>(?:(?P<y>\d{4})\s*年\s*)?(?:(?P<m>\d{1,2})\s*月\s*)?(?P<d>\d{1,2})\s*日)"
    r"|(?P<iso>(?P<iy>\d{4})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2}))"
    r"|(?P<note>\((?P<inner>[^)]*)\))"
    r"|(?P<to>至|到|~|—+|–|-)"
    r"|(?P<off>放假调休|放假|休息|休假)"
    r"|(?P<work>调休上班|上班|补班)"
    r"|(?P<total>共\s*(?P<n>\d+)\s*天)"
    r"|(?P<stop>[。;])"
)
_WEEKDAY_NOTE = re.compile(r"(?:周|星期)([一二三四五六日天])\s*$")
_ANY_DATE = re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")


@dataclass(frozen=True)
class NoticeDay:
    """One day read from the notice: off (放假) or a make-up workday (上班), and its holiday's name."""

    day: date
    is_workday: bool
    holiday: Optional[str]

    @property
    def name(self) -> Optional[str]:
        """The name stored on the calendar: 春节 for a day off, 春节调休 for its make-up workday."""
        if not self.is_workday or self.holiday is None:
            return self.holiday
        return f"{self.holiday}调休"


def notice_year(lines: list[str], explicit: Optional[int]) -> tuple[Optional[int], Optional[str]]:
    """The notice's year: the admin's year field, else the title's; (None, Chinese error) when they differ."""
    titled = next((int(m.group(1)) for line in lines if (m := _TITLE_YEAR.search(line))), None)
    if explicit and titled and explicit != titled:
        return None, f"通知标题中的年份（{titled}年）与填写的年份（{explicit}年）不一致，请核对"
    return explicit or titled, None


def is_boilerplate(line: str) -> bool:
    """Whether a (normalised) line is the notice's prose rather than a holiday line."""
    if _BOILERPLATE.search(line):
        return True
    # Any other sentence without a digit is prose too (an explanation, a reminder); a short fragment
    # without a date ("元旦放假一天") is not, and is refused as unreadable.
    return not re.search(r"\d", line) and len(line) >= 15 and line.endswith(("。", ":"))


def is_notice_line(line: str) -> bool:
    """Whether a line is written as in the notice (dates as 1月1日, sentences with 。 or 共N天) rather than
    as one of the form's own lines ("2027-01-01 休 元旦", which starts with its year)."""
    if not re.match(r"\d{4}\s*[-/.年]", line):
        return True
    return "。" in line or re.search(r"共\s*\d+\s*天", line) is not None


class _Unreadable(ValueError):
    pass


class _Reader:
    """Walks one line's tokens: dates gather into a clause until 放假 or 上班 says what they are."""

    def __init__(self, year: Optional[int], max_range_days: int):
        self.year: Optional[int] = year
        self.month: Optional[int] = None
        self.max_range_days = max_range_days
        self.pending: list[tuple[date, date]] = []  # ranges waiting for 放假 / 上班
        self.to = False  # a 至 waits for the end of a range
        self.last: Optional[date] = None
        self.last_off: Optional[list[date]] = None  # the days of the last 放假 clause, for 共N天
        self.days: list[tuple[date, bool]] = []
        self.warnings: list[str] = []

    def _day(self, y: Optional[str], m: Optional[str], d: str, text: str) -> date:
        if y:
            self.year = int(y)
        if m:
            self.month = int(m)
        if self.year is None:
            raise _Unreadable(NO_YEAR)
        if self.month is None:
            raise _Unreadable(f"日期“{text}”缺少月份")
        try:
            return date(self.year, self.month, int(d))
        except ValueError:
            raise _Unreadable(f"日期无效（{self.year}年{self.month}月{d}日）") from None

    def date(self, y: Optional[str], m: Optional[str], d: str, text: str) -> None:
        if self.to:
            start = self.pending[-1][0]
            end = self._day(y, m, d, text)
            if end < start and not y:
                # 12月31日至1月2日: the range runs into the next year, and so do the dates after it.
                self.year = start.year + 1
                end = self._day(None, m, d, text)
            if end < start:
                raise _Unreadable(f"结束日期 {end} 早于开始日期 {start}")
            if (end - start).days >= self.max_range_days:
                raise _Unreadable(f"日期范围超过{self.max_range_days}天，请检查")
            self.pending[-1] = (start, end)
            self.to = False
            self.last = end
        else:
            day = self._day(y, m, d, text)
            self.pending.append((day, day))
            self.last = day

    def weekday(self, name: str) -> None:
        if self.last is None:
            return
        expected = "日" if name == "天" else name
        actual = WEEKDAYS[self.last.weekday()]
        if expected != actual:
            self.warnings.append(
                f"{self.last.month}月{self.last.day}日是周{actual}，与通知所写的“周{expected}”不符，请核对年份和日期"
            )

    def range_to(self) -> None:
        if not self.pending or self.to:
            raise _Unreadable("“至”前后应各有一个日期")
        self.to = True

    def kind(self, is_workday: bool) -> None:
        if self.to:
            raise _Unreadable("“至”后缺少结束日期")
        clause = [
            start + timedelta(days=i) for start, end in self.pending for i in range((end - start).days + 1)
        ]
        self.days += [(day, is_workday) for day in clause]
        self.last_off = None if is_workday else clause
        self.pending, self.last = [], None

    def total(self, count: int) -> None:
        if self.last_off and len(self.last_off) != count:
            self.warnings.append(f"放假日期共{len(self.last_off)}天，与通知所写的“共{count}天”不符")

    def stop(self) -> None:
        if self.pending or self.to:
            raise _Unreadable("日期后缺少“放假”或“上班”")


def read_holiday_line(
    line: str, year: Optional[int], max_range_days: int = 31
) -> tuple[list[NoticeDay], list[str]]:
    """The days of one normalised notice line, named after its holiday, and Chinese warnings (weekdays or
    totals that do not match the dates); ValueError (Chinese) if the line cannot be read."""
    head = _HEAD.match(line)
    assert head is not None, "every line matches: all its parts are optional"
    name, body = head.group("name"), head.group("body")
    if not _ANY_DATE.search(body):
        raise ValueError(f"无法识别“{line}”，{HINT}")
    reader = _Reader(year, max_range_days)
    try:
        for token in _TOKEN.finditer(body):
            if token.group("date"):
                reader.date(token.group("y"), token.group("m"), token.group("d"), token.group("date"))
            elif token.group("iso"):
                reader.date(token.group("iy"), token.group("im"), token.group("id"), token.group("iso"))
            elif token.group("note"):
                # （周日） or （农历腊月二十八、周日）: a weekday at the end is checked, other notes skipped.
                if weekday := _WEEKDAY_NOTE.search(token.group("inner")):
                    reader.weekday(weekday.group(1))
            elif token.group("to"):
                reader.range_to()
            elif token.group("off"):
                reader.kind(is_workday=False)
            elif token.group("work"):
                reader.kind(is_workday=True)
            elif token.group("total"):
                reader.total(int(token.group("n")))
            else:
                reader.stop()
        reader.stop()
    except _Unreadable as exc:
        raise ValueError(str(exc)) from None
    if not reader.days:
        raise ValueError(f"无法识别“{line}”，{HINT}")
    return [NoticeDay(day, is_workday, name) for day, is_workday in reader.days], reader.warnings
