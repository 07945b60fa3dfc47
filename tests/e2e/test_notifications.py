"""Real browser: the bell shows the unread count, the list opens, a click leads to the problem."""

import os
import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture turns this into a failure under CI=true
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("跳过浏览器测试：未安装 Python 包 playwright", allow_module_level=True)

from crm.services.notifications.inbox import notify
from tests.e2e.conftest import PHONE
from tests.support.factories import make_enterprise, make_park, make_user
from tests.support.reminders import new_problem

pytestmark = pytest.mark.e2e


def _cadre_with_notifications(db):
    park = make_park()
    cadre = make_user("cadre", park, username="bell_cadre", name="铃铛干部")
    firm = make_enterprise(park, "湘潭铃铛电机有限公司", cadre=cadre)
    problem = new_problem(firm, cadre, "新厂房用电增容迟迟未批")
    notify(
        cadre,
        "problem_event",
        "问题已办结，请回访企业：新厂房用电增容迟迟未批",
        "办理结果：已完成增容",
        dedupe_key="e2e:1",
        problem_id=problem.id,
        enterprise_id=firm.id,
    )
    notify(cadre, "visit_due", "联系已逾期：湘潭铃铛电机有限公司", dedupe_key="e2e:2", enterprise_id=firm.id)
    db.session.commit()
    return cadre, problem


def test_bell_list_and_click_through_to_the_problem(db, page, login):
    cadre, problem = _cadre_with_notifications(db)
    login(page, cadre)
    bell = page.locator("[data-bell]")
    expect(bell.locator("[data-unread-count]")).to_have_text("2")
    bell.click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    expect(page.locator("h1")).to_contain_text("通知")
    items = page.locator("[data-notification]")
    expect(items).to_have_count(2)
    # Opening is a POST (no GET writes), so the title is a button styled as a link.
    page.get_by_role("button", name="问题已办结，请回访企业：新厂房用电增容迟迟未批").click()
    expect(page).to_have_url(re.compile(rf"/problems/{problem.id}$"))
    expect(page.locator("main")).to_contain_text("新厂房用电增容迟迟未批")
    expect(page.locator("[data-bell] [data-unread-count]")).to_have_text("1")  # opening marked it read
    page.goto("/notifications/")
    page.get_by_role("button", name="全部标为已读").click()
    expect(page.locator(".alert-success")).to_contain_text("已将 1 条通知标为已读")
    expect(page.locator("[data-bell] [data-unread-count]")).to_have_count(0)


def test_bell_is_visible_on_a_phone_without_opening_the_menu(db, new_page, login):
    cadre, _problem = _cadre_with_notifications(db)
    phone = new_page(PHONE)
    login(phone, cadre)
    bell = phone.locator("[data-bell]")
    expect(bell).to_be_visible()
    expect(bell.locator("[data-unread-count]")).to_have_text("2")
    box = bell.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    bell.click()
    expect(phone.locator("[data-notification]").first).to_be_visible()
