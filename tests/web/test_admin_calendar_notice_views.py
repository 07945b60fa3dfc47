"""按通知批量录入 with the notice pasted whole: preview of every day off and make-up workday, all-or-nothing
saving, unreadable lines listed with nothing saved, the year field."""

from datetime import date

from sqlalchemy import func, select

from crm.models import CalendarDay
from tests.support.notices import NOTICE_2026

NOTICE_2027 = """\
国务院办公厅关于2027年部分节假日安排的通知
一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月6日（周六）至12日（周五）放假调休，共7天。2月14日（周日）上班。
"""


def page(resp) -> str:
    return resp.get_data(as_text=True)


def day_count(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(CalendarDay))


def test_the_pasted_notice_is_previewed_day_by_day_then_saved(client, login_as, world, db):
    login_as(world.admin)
    preview = client.post("/admin/calendar/bulk", data={"text": NOTICE_2027, "action": "preview"})
    shown = page(preview)
    assert preview.status_code == 200 and "预览：共 11 天" in shown and "data-notice-errors" not in shown
    assert "2027-02-14 <span" in shown and "周日" in shown and "春节调休" in shown and "调休上班" in shown
    assert "2027-01-01 <span" in shown and ">元旦<" in shown and "放假" in shown
    assert "data-notice-warnings" not in shown
    assert day_count(db) == 0
    saved = client.post("/admin/calendar/bulk", data={"text": NOTICE_2027, "action": "save"})
    assert saved.status_code == 302 and saved.headers["Location"] == "/admin/calendar/?year=2027"
    assert day_count(db) == 11
    assert db.session.get(CalendarDay, date(2027, 2, 14)).is_workday
    assert db.session.get(CalendarDay, date(2027, 2, 12)).name == "春节"


def test_the_real_2026_notice_previews_its_39_days(client, login_as, world, db):
    login_as(world.admin)
    shown = page(client.post("/admin/calendar/bulk", data={"text": NOTICE_2026, "action": "preview"}))
    assert "预览：共 39 天" in shown and "（休息 33 天，上班 6 天；其中 0 天改变工作日）" in shown
    assert "国庆节调休" in shown and "data-notice-errors" not in shown


def test_a_line_it_cannot_read_is_listed_and_nothing_is_saved(client, login_as, world, db):
    login_as(world.admin)
    text = NOTICE_2027 + "三、清明节：待定\n"
    for action in ("preview", "save"):
        shown = page(client.post("/admin/calendar/bulk", data={"text": text, "action": action}))
        assert "有 1 处错误，未保存任何日期" in shown and "第4行：无法识别“三、清明节:待定”" in shown
        assert "data-notice-preview" not in shown
    assert day_count(db) == 0


def test_the_year_field_dates_a_notice_pasted_without_its_title(client, login_as, world, db):
    login_as(world.admin)
    body = "\n".join(NOTICE_2027.splitlines()[1:])
    missing = page(client.post("/admin/calendar/bulk", data={"text": body, "action": "preview"}))
    assert "未能确定年份" in missing
    data = {"text": body, "notice_year": "２０２７", "action": "preview"}
    shown = page(client.post("/admin/calendar/bulk", data=data))
    assert "预览：共 11 天" in shown and 'name="notice_year" value="2027"' in shown  # kept for the save
    bad = page(client.post("/admin/calendar/bulk", data=data | {"notice_year": "1999"}))
    assert "年份应在2000–2100之间" in bad
    saved = client.post("/admin/calendar/bulk", data=data | {"action": "save"})
    assert saved.status_code == 302 and day_count(db) == 11


def test_weekdays_that_do_not_match_are_shown_as_warnings_before_saving(client, login_as, world, db):
    login_as(world.admin)
    data = {"text": NOTICE_2027.replace("2027年", "2028年"), "action": "preview"}
    shown = page(client.post("/admin/calendar/bulk", data=data))
    assert "data-notice-warnings" in shown and "1月1日是周六，与通知所写的“周五”不符" in shown
    assert "确认保存" in shown and day_count(db) == 0
