"""The admin-editable calendar: the notice parser, all-or-nothing saving, its effect on working days,
confirming a year and the admin warnings."""

from datetime import date

import pytest
from sqlalchemy import func, select

from crm.models import AuditLog, CalendarDay, CalendarYear
from crm.services import ServiceError
from crm.services.system.warnings import system_warnings
from crm.services.workdays.admin import (
    CalendarEntry,
    confirm_year,
    delete_calendar_day,
    parse_notice,
    set_calendar_days,
    unconfirm_year,
)
from crm.services.workdays.calendar import calendar_warnings, get_calendar
from crm.services.workdays.overview import preview_rows, year_view
from tests.support.factories import make_user

NOTICE_2027 = """\
# 国务院办公厅关于2027年部分节假日安排的通知（示例）
2027-01-01 休 元旦
２０２７－０２－０６～２０２７－０２－１２　放假　春节

2027年2月14日 补班 春节调休
2027-04-03至04-05 休息 清明节
2027-10-01（周五）到7日 休 国庆节
2027/10/09 上班 国庆节调休
"""


@pytest.fixture()
def admin(db):
    return make_user("admin", username="root")


def days_in_db(db) -> int:
    return db.session.scalar(select(func.count()).select_from(CalendarDay))


def audits(db, action: str | None = None) -> int:
    stmt = select(func.count(AuditLog.id)).where(AuditLog.entity_type == "calendar")
    if action:
        stmt = stmt.where(AuditLog.action == action)
    return db.session.scalar(stmt)


# --- the parser -------------------------------------------------------------------------------------


def test_parser_reads_ranges_full_width_and_every_keyword():
    entries, errors = parse_notice(NOTICE_2027)
    assert errors == []
    by_day = {e.day: e for e in entries}
    assert len(entries) == 1 + 7 + 1 + 3 + 7 + 1
    assert by_day[date(2027, 1, 1)] == CalendarEntry(date(2027, 1, 1), False, "元旦", 2)
    assert [d for d in by_day if by_day[d].name == "春节"] == [date(2027, 2, d) for d in range(6, 13)]
    assert by_day[date(2027, 2, 14)].is_workday and by_day[date(2027, 2, 14)].line == 5
    assert not by_day[date(2027, 4, 5)].is_workday and by_day[date(2027, 4, 5)].name == "清明节"
    assert by_day[date(2027, 10, 7)].name == "国庆节" and by_day[date(2027, 10, 7)].line == 7
    assert by_day[date(2027, 10, 9)].is_workday and by_day[date(2027, 10, 9)].name == "国庆节调休"
    assert entries == sorted(entries, key=lambda e: e.day)


@pytest.mark.parametrize(
    "line, day, is_workday, name",
    [
        ("2027-05-01 休", date(2027, 5, 1), False, None),
        ("2027-5-1 放假 劳动节", date(2027, 5, 1), False, "劳动节"),
        ("2027.05.08 班", date(2027, 5, 8), True, None),
        ("2027-05-08，上班，劳动节调休", date(2027, 5, 8), True, "劳动节调休"),
        ("２０２７年５月８日　补班", date(2027, 5, 8), True, None),
        ("2027-05-08 调休上班 劳动节", date(2027, 5, 8), True, "劳动节"),
        ("2027-05-01 休息日 劳动节", date(2027, 5, 1), False, "劳动节"),
        ("2027-05-01 — 2027-05-01 休", date(2027, 5, 1), False, None),
        ("2027-05-01 - 05-01 休", date(2027, 5, 1), False, None),
    ],
)
def test_parser_accepts_the_usual_ways_of_writing_a_day(line, day, is_workday, name):
    entries, errors = parse_notice(line)
    assert errors == [] and entries == [CalendarEntry(day, is_workday, name, 1)]


@pytest.mark.parametrize(
    "text, message",
    [
        ("2027-01-01 休 元旦\n2027-02-30 休", "第2行：日期无效（2027-02-30）"),
        ("2027-13-01 休", "第1行：日期无效"),
        ("\n\n元旦放假一天", "第3行：无法识别“元旦放假一天”"),
        ("2027-01-01 元旦", "第1行：缺少“休”或“班”"),
        ("2027-02-12~2027-02-06 休 春节", "第1行：结束日期 2027-02-06 早于开始日期 2027-02-12"),
        ("2027-02-06~2027-02-31 休", "第1行：结束日期无效"),
        ("2027-01-01~2027-03-01 休", "第1行：日期范围超过31天"),
        ("1999-01-01 休", "第1行：年份超出范围"),
        ("2027-02-06~02-12 休 春节\n\n2027-02-10 班", "第3行：2027-02-10 已在第1行出现"),
        ("2027-01-01 休 " + "长" * 51, "第1行：名称不能超过50字"),
        ("", "请至少输入一行"),
        ("# 只有注释\n\n", "请至少输入一行"),
    ],
)
def test_parser_reports_bad_lines_in_chinese_with_line_numbers(text, message):
    entries, errors = parse_notice(text)
    assert entries == []
    assert any(message in e for e in errors), errors


def test_parser_lists_every_bad_line_and_returns_no_entries():
    entries, errors = parse_notice("2027-01-01 休 元旦\nfoo\n2027-02-30 休\n2027-10-01 休 国庆节\nbar")
    assert entries == []
    assert [e.split("：")[0] for e in errors] == ["第2行", "第3行", "第5行"]


# --- saving -----------------------------------------------------------------------------------------


def test_saving_the_notice_changes_working_days(db, admin):
    cal = get_calendar()
    assert not cal.is_workday(date(2027, 1, 1))  # 元旦 by the statutory rule while 2027 is missing
    assert not cal.is_workday(date(2027, 2, 14))  # a Sunday: no 调休 until the notice is entered
    assert cal.is_workday(date(2027, 10, 4))  # the rule's 国庆 is 10-1..10-3 only
    entries, _ = parse_notice(NOTICE_2027)
    counts = set_calendar_days(admin, entries)
    assert counts == {"added": len(entries), "changed": 0, "unchanged": 0}
    cal = get_calendar()
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)  # skips the holiday and weekend
    assert cal.is_workday(date(2027, 2, 14))  # a Sunday made a workday (调休)
    assert cal.add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 14)  # across the Spring Festival
    assert (
        cal.workdays_between(date(2027, 9, 30), date(2027, 10, 11)) == 3
    )  # working days 10-08, 10-09 (Sat), 10-11
    assert cal.day_name(date(2027, 2, 14)) == "春节调休"
    assert audits(db, "set_days") == 1


def test_an_override_beats_the_package_and_deleting_it_restores_the_package(db, admin):
    assert get_calendar().is_workday(date(2026, 10, 9))
    set_calendar_days(admin, [CalendarEntry(date(2026, 10, 9), False, "临时放假")])
    assert not get_calendar().is_workday(date(2026, 10, 9))
    delete_calendar_day(admin, date(2026, 10, 9))
    assert get_calendar().is_workday(date(2026, 10, 9)) and days_in_db(db) == 0
    assert audits(db, "delete_day") == 1
    with pytest.raises(ServiceError, match="没有管理员录入的设置"):
        delete_calendar_day(admin, date(2026, 10, 9))


def test_saving_is_all_or_nothing(db, admin):
    set_calendar_days(admin, [CalendarEntry(date(2027, 1, 1), False, "元旦")])
    db.session.commit()
    bad = [
        CalendarEntry(date(2027, 1, 1), True, "改成上班"),
        CalendarEntry(date(2027, 2, 6), False, "春节"),
        CalendarEntry(date(2027, 2, 7), False, "长" * 51),
    ]
    with pytest.raises(ServiceError, match="名称不能超过50字"):
        set_calendar_days(admin, bad)
    db.session.rollback()
    assert days_in_db(db) == 1 and not db.session.get(CalendarDay, date(2027, 1, 1)).is_workday
    with pytest.raises(ServiceError, match="同一天不能出现两次"):
        set_calendar_days(
            admin, [CalendarEntry(date(2027, 2, 6), False), CalendarEntry(date(2027, 2, 6), True)]
        )
    with pytest.raises(ServiceError, match="没有要保存的日期"):
        set_calendar_days(admin, [])
    assert days_in_db(db) == 1


def test_saving_again_changes_only_what_differs(db, admin):
    entries, _ = parse_notice("2027-01-01 休 元旦\n2027-02-14 班")
    set_calendar_days(admin, entries)
    again, _ = parse_notice("2027-01-01 休 元旦\n2027-02-14 班 春节调休")
    assert set_calendar_days(admin, again) == {"added": 0, "changed": 1, "unchanged": 1}
    assert set_calendar_days(admin, again) == {"added": 0, "changed": 0, "unchanged": 2}
    assert audits(db, "set_days") == 2  # the unchanged save writes no audit row
    last = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert last.entity_id == 2027 and last.changes == {"2027-02-14": ["班", "班·春节调休"]}


@pytest.mark.parametrize("role", ["officer", "leader", "cadre", "handler"])
def test_only_admins_change_the_calendar(db, admin, role):
    user = make_user(role)
    set_calendar_days(admin, [CalendarEntry(date(2027, 1, 1), False, "元旦")])
    with pytest.raises(ServiceError, match="没有维护节假日的权限"):
        set_calendar_days(user, [CalendarEntry(date(2027, 1, 2), False)])
    with pytest.raises(ServiceError, match="没有维护节假日的权限"):
        delete_calendar_day(user, date(2027, 1, 1))
    with pytest.raises(ServiceError, match="没有维护节假日的权限"):
        confirm_year(user, 2027)
    assert days_in_db(db) == 1 and db.session.get(CalendarYear, 2027) is None


# --- confirming a year and the warnings -------------------------------------------------------------


def test_december_warns_about_next_year_until_it_is_confirmed(db, admin):
    december = date(2026, 12, 5)
    warnings = calendar_warnings(december)
    assert len(warnings) == 1 and "2027年的法定节假日安排尚未录入" in warnings[0]
    assert calendar_warnings(date(2026, 11, 30)) == []  # before December: no warning yet
    with pytest.raises(ServiceError, match="还没有录入任何法定节假日"):
        confirm_year(admin, 2027)
    entries, _ = parse_notice(NOTICE_2027)
    set_calendar_days(admin, entries)
    assert calendar_warnings(december) != []  # entered but not confirmed: still warned
    confirm_year(admin, 2027, "依据国办发明电〔2026〕X号")
    assert calendar_warnings(december) == []
    assert calendar_warnings(date(2027, 3, 1)) == []
    assert db.session.get(CalendarYear, 2027).confirmed_by_id == admin.id
    assert audits(db, "confirm") == 1


def test_a_missing_current_year_warns_that_it_falls_back_to_monday_to_friday(db, admin):
    warnings = calendar_warnings(date(2027, 3, 1))
    assert len(warnings) == 1 and "2027年" in warnings[0] and "周一至周五" in warnings[0]
    set_calendar_days(admin, [CalendarEntry(date(2027, 1, 1), False, "元旦")])
    confirm_year(admin, 2027)
    assert calendar_warnings(date(2027, 3, 1)) == []
    unconfirm_year(admin, 2027)
    assert "周一至周五" in calendar_warnings(date(2027, 3, 1))[0]
    assert audits(db, "unconfirm") == 1


def test_confirm_refusals(db, admin):
    with pytest.raises(ServiceError, match="已由内置日历提供"):
        confirm_year(admin, 2026)
    set_calendar_days(admin, [CalendarEntry(date(2027, 1, 1), False, "元旦")])
    confirm_year(admin, 2027)
    with pytest.raises(ServiceError, match="已确认过"):
        confirm_year(admin, 2027)
    with pytest.raises(ServiceError, match="尚未确认"):
        unconfirm_year(admin, 2028)


@pytest.mark.parametrize("role", ["officer", "leader", "cadre", "handler"])
def test_only_admins_see_the_calendar_warning(db, admin, role):
    december = date(2026, 12, 5)
    assert system_warnings(admin, december) and system_warnings(make_user(role), december) == []


# --- what the pages read ----------------------------------------------------------------------------


def test_year_view_merges_the_package_and_the_overrides(db, admin):
    set_calendar_days(admin, [CalendarEntry(date(2026, 10, 10), False, "改为放假")])
    view = year_view(2026, get_calendar())
    assert view.status == "package"
    rows = {r.day: r for r in view.rows}
    assert rows[date(2026, 10, 1)].source == "内置" and rows[date(2026, 10, 1)].name == "国庆节"
    assert rows[date(2026, 1, 4)].is_workday and rows[date(2026, 1, 4)].weekday == "周日"
    assert rows[date(2026, 1, 4)].name == "元旦调休"
    assert (
        rows[date(2026, 10, 10)].source == "管理员录入（覆盖内置）"
        and not rows[date(2026, 10, 10)].is_workday
    )
    assert view.overrides == 1 and view.makeup_days == 5  # day 10-10 is no longer a make-up day
    missing = year_view(2027, get_calendar())
    assert missing.status == "missing" and missing.rows == []
    set_calendar_days(admin, [CalendarEntry(date(2027, 1, 1), False, "元旦")])
    confirm_year(admin, 2027)
    confirmed = year_view(2027, get_calendar())
    assert confirmed.status == "confirmed" and confirmed.confirmed_by == admin.name
    assert [r.source for r in confirmed.rows] == ["管理员录入"]
    assert [h.action for h in confirmed.history] == ["confirm", "set_days"]


def test_preview_says_what_each_line_changes(db, admin):
    set_calendar_days(admin, [CalendarEntry(date(2027, 1, 1), False, "元旦")])
    entries, _ = parse_notice("2027-01-01 休 元旦\n2027-01-02 休\n2027-02-06 休 春节\n2027-02-14 班")
    effects = [(r.entry.day.day, r.effect, r.was_override) for r in preview_rows(entries, get_calendar())]
    assert effects == [
        (1, "无变化", True),
        (2, "无变化", False),  # a Saturday is already a day off
        (6, "无变化", False),  # 春节 (初一) by the statutory rule already
        (14, "由休息日改为工作日", False),
    ]
    entries, _ = parse_notice("2027-01-09 休 元旦\n2027-02-09 休 春节")
    effects = [r.effect for r in preview_rows(entries, get_calendar())]
    assert effects == ["仅修改名称", "由工作日改为休息日"]  # day 01-09 is a Saturday; 02-09 a Tuesday
