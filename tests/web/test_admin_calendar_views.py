"""节假日 pages: admins only; single days, the notice box with preview, confirming a year, the banner."""

from datetime import date

import pytest
from sqlalchemy import func, select

from crm.models import CalendarDay, CalendarYear
from crm.services.workdays.admin import CalendarEntry, set_calendar_days

OTHER_ROLES = ["officer", "leader", "cadre", "handler"]
NOTICE = "2027-01-01 休 元旦\n2027-02-06~2027-02-12 休 春节\n2027-02-14 班 春节调休"
# Every calendar route with a request that would change something if it were allowed.
REQUESTS = [
    ("GET", "/admin/calendar/", None),
    ("GET", "/admin/calendar/?year=2027&day=2027-01-01", None),
    ("POST", "/admin/calendar/day", {"day": "2027-01-01", "kind": "holiday", "name": "元旦"}),
    ("POST", "/admin/calendar/day/delete", {"day": "2027-01-02"}),
    ("POST", "/admin/calendar/confirm", {"year": "2027"}),
    ("POST", "/admin/calendar/unconfirm", {"year": "2028"}),
    ("GET", "/admin/calendar/bulk?year=2027", None),
    ("POST", "/admin/calendar/bulk", {"text": NOTICE, "action": "save"}),
]


def page(resp) -> str:
    return resp.get_data(as_text=True)


def day_count(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(CalendarDay))


@pytest.fixture()
def entered(db, world):
    """2027-01-02 entered and 2028 confirmed, so delete and unconfirm would have something to change."""
    set_calendar_days(
        world.admin, [CalendarEntry(date(2027, 1, 2), False, "测试"), CalendarEntry(date(2028, 1, 1), False)]
    )
    db.session.add(CalendarYear(year=2028, confirmed_by_id=world.admin.id))
    db.session.commit()
    return world


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_get_403_and_change_nothing(client, login_as, entered, db, role):
    login_as(getattr(entered, role))
    for method, url, data in REQUESTS:
        assert client.open(url, method=method, data=data).status_code == 403, (method, url)
    assert day_count(db) == 2 and db.session.get(CalendarYear, 2028) is not None
    assert db.session.get(CalendarYear, 2027) is None


def test_anonymous_is_sent_to_login(client, entered, db):
    for method, url, data in REQUESTS:
        resp = client.open(url, method=method, data=data)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], (method, url)
    assert day_count(db) == 2


def test_year_page_shows_the_package_year_and_a_missing_year(client, login_as, world):
    login_as(world.admin)
    this_year = page(client.get("/admin/calendar/"))  # CRM_TODAY is 2026-11-02
    assert "节假日与调休 · 2026年" in this_year and 'data-year-status="package"' in this_year
    assert '10-10</span> <span class="text-muted small">周六' in this_year and "国庆节调休" in this_year
    assert "内置" in this_year
    assert "不会改变已确定的办理期限" in this_year
    assert 'href="/admin/calendar/?year=2027"' in this_year  # next year is offered
    missing = page(client.get("/admin/calendar/?year=2027"))
    assert 'data-year-status="missing"' in missing and "周一至周五" in missing and "确认已完整录入" in missing
    assert "节假日与调休 · 2026年" in page(client.get("/admin/calendar/?year=abc"))
    assert "节假日与调休 · 2026年" in page(client.get("/admin/calendar/?year=1900&day=1900-01-01"))
    menu = page(client.get("/admin/users/"))
    assert 'href="/admin/calendar/"' in menu and 'href="/admin/rules"' in menu  # the admin sub-menu


def test_admin_adds_changes_and_deletes_a_single_day(client, login_as, world, db):
    login_as(world.admin)
    resp = client.post("/admin/calendar/day", data={"day": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/calendar/?year=2027"
    row = db.session.get(CalendarDay, date(2027, 1, 1))
    assert not row.is_workday and row.name == "元旦" and row.updated_by_id == world.admin.id
    shown = page(client.get("/admin/calendar/?year=2027"))
    assert "元旦" in shown and "管理员录入" in shown and "录入2027年节假日安排：1天" in shown
    form = page(client.get("/admin/calendar/?day=2027-01-01"))
    assert 'value="2027-01-01"' in form and 'value="元旦"' in form
    client.post("/admin/calendar/day", data={"day": "2027-01-01", "kind": "workday", "name": "改为上班"})
    db.session.expire_all()
    assert db.session.get(CalendarDay, date(2027, 1, 1)).is_workday
    resp = client.post("/admin/calendar/day/delete", data={"day": "2027-01-01"}, follow_redirects=True)
    assert "已删除 2027-01-01 的设置" in page(resp) and day_count(db) == 0
    again = client.post("/admin/calendar/day/delete", data={"day": "2027-01-01"}, follow_redirects=True)
    assert "没有管理员录入的设置" in page(again)
    assert "日期无效" in page(
        client.post("/admin/calendar/day/delete", data={"day": "x"}, follow_redirects=True)
    )


@pytest.mark.parametrize(
    "data, message",
    [
        ({"day": "", "kind": "holiday"}, "请选择日期"),
        ({"day": "2027-02-30", "kind": "holiday"}, "日期无效，请按“年-月-日”填写"),
        ({"day": "2027-01-01", "kind": "maybe"}, "请从列表中选择"),
        ({"day": "2027-01-01", "kind": "holiday", "name": "长" * 51}, "名称不能超过50字"),
        ({"day": "1999-01-01", "kind": "holiday"}, "年份超出范围"),
    ],
)
def test_single_day_refusals_are_chinese_and_change_nothing(client, login_as, world, db, data, message):
    login_as(world.admin)
    resp = client.post("/admin/calendar/day", data=data | {"year": "2027"})
    assert resp.status_code == 200 and message in page(resp)
    assert day_count(db) == 0


def test_bulk_preview_saves_nothing_then_save_stores_everything(client, login_as, world, db):
    login_as(world.admin)
    assert "按国务院办公厅通知批量录入" in page(client.get("/admin/calendar/bulk?year=2027"))
    preview = client.post("/admin/calendar/bulk", data={"text": NOTICE, "action": "preview", "year": "2027"})
    shown = page(preview)
    assert preview.status_code == 200 and "预览：共 9 天" in shown and "确认保存" in shown
    assert "由工作日改为休息日" in shown and "由休息日改为工作日" in shown
    # Days 01-01 and 02-08 (初三) are statutory holidays by the rule already: 02-09..12 and 02-14 change.
    assert "（休息 8 天，上班 1 天；其中 5 天改变工作日）" in shown
    assert day_count(db) == 0
    saved = client.post("/admin/calendar/bulk", data={"text": NOTICE, "action": "save"})
    assert saved.status_code == 302 and saved.headers["Location"] == "/admin/calendar/?year=2027"
    assert day_count(db) == 9
    assert "已保存：新增9天" in page(client.get("/admin/calendar/?year=2027"))


def test_bulk_with_bad_lines_lists_them_and_saves_nothing(client, login_as, world, db):
    login_as(world.admin)
    text = "2027-01-01 休 元旦\n2027-02-30 休 春节\n元旦放假\n2027-02-14 班"
    for action in ("preview", "save"):
        resp = client.post("/admin/calendar/bulk", data={"text": text, "action": action})
        shown = page(resp)
        assert resp.status_code == 200 and "有 2 处错误，未保存任何日期" in shown
        assert "第2行：日期无效（2027-02-30）" in shown and "第3行：无法识别“元旦放假”" in shown
        assert "data-notice-preview" not in shown
    assert "请输入至少一行" in page(client.post("/admin/calendar/bulk", data={"text": "", "action": "save"}))
    assert day_count(db) == 0


def test_confirming_a_year_removes_the_december_banner(app, client, login_as, world, db, monkeypatch):
    monkeypatch.setitem(app.config, "CRM_TODAY", "2026-12-05")
    login_as(world.admin)
    banner = page(client.get("/admin/users/"))
    assert "data-system-warning" in banner and "2027年的法定节假日安排尚未录入" in banner
    assert "2027年的法定节假日安排尚未录入" in page(client.get("/admin/calendar/?year=2026"))
    refused = client.post("/admin/calendar/confirm", data={"year": "2027"}, follow_redirects=True)
    assert "还没有录入任何法定节假日" in page(refused)
    assert db.session.get(CalendarYear, 2027) is None
    client.post("/admin/calendar/bulk", data={"text": NOTICE, "action": "save"})
    client.post("/admin/calendar/confirm", data={"year": "2027"})
    assert db.session.get(CalendarYear, 2027) is not None
    after = page(client.get("/admin/calendar/?year=2027"))
    assert "法定节假日安排尚未录入" not in after and 'data-year-status="confirmed"' in after
    assert "撤销确认" in after
    client.post("/admin/calendar/unconfirm", data={"year": "2027"})
    assert "2027年的法定节假日安排尚未录入" in page(client.get("/admin/users/"))
    login_as(world.officer)
    assert "法定节假日安排尚未录入" not in page(client.get("/"))


def test_a_missing_current_year_shows_the_fallback_banner(app, client, login_as, world, db, monkeypatch):
    monkeypatch.setitem(app.config, "CRM_TODAY", "2027-03-01")
    login_as(world.admin)
    shown = page(client.get("/admin/calendar/"))
    assert "2027年的法定节假日安排尚未录入，工作日暂按周一至周五计算" in shown
    set_calendar_days(world.admin, [CalendarEntry(date(2027, 1, 1), False, "元旦")])
    db.session.add(CalendarYear(year=2027, confirmed_by_id=world.admin.id))
    db.session.commit()
    assert "法定节假日安排尚未录入" not in page(client.get("/admin/calendar/"))
    resp = client.post("/admin/calendar/unconfirm", data={"year": "2027"}, follow_redirects=True)
    assert "已撤销2027年的确认" in page(resp) and "工作日暂按周一至周五计算" in page(resp)
    login_as(world.cadre)
    assert "法定节假日安排尚未录入" not in page(client.get("/"))


def test_calendar_page_runs_a_constant_number_of_queries(client, login_as, world, db, count_queries):
    login_as(world.admin)
    client.get("/admin/calendar/?year=2027")  # warm-up
    with count_queries() as few:
        client.get("/admin/calendar/?year=2027")
    entries = [CalendarEntry(date(2027, m, d), False, "假日") for m in range(1, 13) for d in (1, 2, 3)]
    set_calendar_days(world.admin, entries)
    for d in (4, 5, 6):
        set_calendar_days(world.admin, [CalendarEntry(date(2027, 1, d), True, "上班")])
    db.session.commit()
    with count_queries() as many:
        client.get("/admin/calendar/?year=2027")
    assert many.count == few.count
