"""按通知批量录入: the State Council's notice pasted whole, read into days off and make-up workdays."""

from datetime import date

import chinese_calendar
import pytest

from crm.services.workdays.admin import CalendarEntry, parse_notice, read_notice, set_calendar_days
from crm.services.workdays.calendar import get_calendar
from tests.support.factories import make_user
from tests.support.notices import MAKEUP_2026, NOTICE_2026


def test_the_2026_notice_reads_as_chinese_calendar_has_it():
    reading = read_notice(NOTICE_2026)
    assert reading.errors == [] and reading.warnings == [] and reading.year == 2026
    off = {e.day for e in reading.entries if not e.is_workday}
    work = {e.day for e in reading.entries if e.is_workday}
    assert date(2026, 10, 1) in off and work == MAKEUP_2026
    assert all(day.weekday() >= 5 for day in work)  # make-up workdays are weekend days
    for day in off:
        assert chinese_calendar.is_holiday(day) and chinese_calendar.get_holiday_detail(day)[1], day
    for day in work:
        assert chinese_calendar.is_workday(day), day
    # Not just consistent but complete: every statutory day off and every make-up day of 2026.
    assert off == {d for d in chinese_calendar.holidays if d.year == 2026}
    assert work == {d for d in chinese_calendar.workdays if d.year == 2026}


def test_each_day_is_named_after_its_holiday_and_its_line():
    by_day = {e.day: e for e in read_notice(NOTICE_2026).entries}
    assert by_day[date(2026, 1, 1)] == CalendarEntry(date(2026, 1, 1), False, "元旦", 6)
    assert by_day[date(2026, 2, 14)] == CalendarEntry(date(2026, 2, 14), True, "春节调休", 7)
    assert by_day[date(2026, 2, 23)].name == "春节" and by_day[date(2026, 2, 28)].name == "春节调休"
    assert by_day[date(2026, 4, 6)].name == "清明节"  # full-width digits
    assert by_day[date(2026, 5, 9)] == CalendarEntry(date(2026, 5, 9), True, "劳动节调休", 9)  # 调休上班
    assert by_day[date(2026, 9, 20)].name == "国庆节调休" and by_day[date(2026, 10, 7)].name == "国庆节"
    assert len([e for e in by_day.values() if e.name == "春节"]) == 9


def test_the_year_comes_from_the_year_field_when_the_title_is_not_pasted():
    line = "元旦：1月1日至3日放假调休，共3天。"
    entries, errors = parse_notice(line)
    assert entries == [] and errors == [
        "第1行：未能确定年份，请填写“通知年份”，或一并粘贴通知标题（国务院办公厅关于YYYY年部分节假日安排的通知）"
    ]
    entries, errors = parse_notice(line, 2027)
    assert errors == [] and [e.day for e in entries] == [date(2027, 1, d) for d in (1, 2, 3)]
    entries, errors = parse_notice("国务院办公厅关于2026年部分节假日安排的通知\n" + line, 2027)
    assert entries == [] and errors == ["通知标题中的年份（2026年）与填写的年份（2027年）不一致，请核对"]


@pytest.mark.parametrize(
    "line, year, days",
    [
        # A range across the new year ends in the next year's January.
        (
            "元旦：12月31日至1月2日放假调休，共3天。",
            2027,
            [date(2027, 12, 31), date(2028, 1, 1), date(2028, 1, 2)],
        ),
        # Years written out win (the 2023 notice wrote 2022年12月31日至2023年1月2日).
        (
            "一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。",
            2023,
            [date(2022, 12, 31), date(2023, 1, 1), date(2023, 1, 2)],
        ),
        (
            "国庆节：9月30日至10月2日放假，共3天",
            2027,
            [date(2027, 9, 30), date(2027, 10, 1), date(2027, 10, 2)],
        ),
        ("（一）劳动节：５月１日～３日放假；", 2027, [date(2027, 5, 1), date(2027, 5, 2), date(2027, 5, 3)]),
        ("中秋节、国庆节：2027-10-01至2027-10-02放假。", None, [date(2027, 10, 1), date(2027, 10, 2)]),
    ],
)
def test_ranges_across_months_and_years(line, year, days):
    entries, errors = parse_notice(line, year)
    assert errors == [] and [e.day for e in entries] == days and not any(e.is_workday for e in entries)


def test_make_up_days_after_a_range_into_the_new_year_are_in_that_year():
    entries, errors = parse_notice("元旦：12月31日至1月2日放假调休，共3天。1月4日上班。", 2027)
    assert errors == [] and [e.day for e in entries if e.is_workday] == [date(2028, 1, 4)]


def test_weekdays_and_totals_that_do_not_match_are_warnings_shown_before_saving():
    # The weekdays of 2021 read as 2026: a wrong year shows on every annotated day.
    reading = read_notice("春节：2月11日（周四）至17日（周三）放假调休，共8天。2月7日（周日）上班。", 2026)
    assert [e.day for e in reading.entries][:1] == [date(2026, 2, 7)]
    assert reading.warnings == [
        "第1行：2月11日是周三，与通知所写的“周四”不符，请核对年份和日期",
        "第1行：2月17日是周二，与通知所写的“周三”不符，请核对年份和日期",
        "第1行：放假日期共7天，与通知所写的“共8天”不符",
        "第1行：2月7日是周六，与通知所写的“周日”不符，请核对年份和日期",
    ]
    assert read_notice("春节：2月11日（周四）至17日（星期三）放假调休，共7天。", 2021).warnings == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("元旦放假一天", "第1行：无法识别“元旦放假一天”"),
        ("元旦：元月一日放假", "第1行：无法识别“元旦:元月一日放假”"),
        ("元旦：1月1日至3日，共3天。", "第1行：日期后缺少“放假”或“上班”"),
        ("元旦：1日至3日放假。", "第1行：无法识别"),
        ("春节：2月30日放假。", "第1行：日期无效（2027年2月30日）"),
        ("春节：2月11日至放假。", "第1行：“至”后缺少结束日期"),
        ("春节：至2月11日放假。", "第1行：“至”前后应各有一个日期"),
        ("春节：1月1日至3月1日放假。", "第1行：日期范围超过31天"),
        ("国庆节：10月1日至7日放假。\n国庆节：10月7日上班。", "第2行：2027-10-07 已在第1行出现"),
        ("lorem ipsum", "第1行：无法识别“lorem ipsum”"),
    ],
)
def test_lines_it_cannot_read_are_refused_in_chinese(text, message):
    entries, errors = parse_notice(text, 2027)
    assert entries == []
    assert any(message in e for e in errors), errors


def test_one_garbage_line_in_a_whole_notice_refuses_it_all():
    text = NOTICE_2026.replace("三、清明节", "三、清明节：看情况再定\n三、清明节")
    entries, errors = parse_notice(text)
    assert (
        entries == [] and len(errors) == 1 and errors[0].startswith("第8行：无法识别“三、清明节:看情况再定”")
    )


def test_the_forms_own_lines_still_work_beside_the_notice():
    text = (
        "2027-01-01 休 元旦\n"
        "春节：2月6日至12日放假调休，共7天。2月14日（周日）上班。\n"
        "2027/10/09 上班 国庆节调休"
    )
    entries, errors = parse_notice(text, 2027)
    assert errors == [] and len(entries) == 1 + 7 + 1 + 1
    assert entries[-1] == CalendarEntry(date(2027, 10, 9), True, "国庆节调休", 3)


def test_saving_the_notice_overrides_the_calendar_all_or_nothing(db):
    admin = make_user("admin")
    text = NOTICE_2026.replace("2026年部分", "2027年部分").replace("（周", "（星期")
    reading = read_notice(text)
    assert reading.year == 2027 and reading.errors == [] and reading.warnings  # 2026's weekdays, 2027's dates
    set_calendar_days(admin, reading.entries)
    cal = get_calendar()
    assert not cal.is_workday(date(2027, 10, 1)) and cal.is_workday(date(2027, 10, 10))
    assert cal.day_name(date(2027, 2, 14)) == "春节调休"
