"""Real browser: a cadre on a phone marks a product 停产/下架, puts it back, and reads the firm's 清单变化;
the same tab on a desk screen."""

import os
import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture turns this into a failure under CI=true
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("跳过浏览器测试：未安装 Python 包 playwright", allow_module_level=True)

from sqlalchemy import select

from crm.models import ProductItem
from tests.e2e.conftest import SCREENSHOTS
from tests.support.list_facts import list_world

pytestmark = pytest.mark.e2e


def _no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"页面横向溢出：{width}px"


def test_phone_cadre_retires_restores_and_reads_the_changes(db, phone_page, login):
    w = list_world()
    db.session.commit()
    SCREENSHOTS.mkdir(exist_ok=True)
    page = login(phone_page, w.c1)

    page.goto(f"/enterprises/{w.f1.id}?tab=products")
    row = page.locator("tr", has_text="P1")
    row.get_by_role("link", name="停产/下架").tap()
    expect(page.locator("input[name=retired_on]")).to_have_value("2026-11-02")
    _no_horizontal_scroll(page)
    page.locator("input[name=retired_on]").fill("2026-10-20")
    page.locator("input[name=reason]").fill("产品升级换代，老型号停产")
    page.get_by_role("button", name="确认停产/下架").tap()
    expect(page.locator(".alert-success")).to_contain_text("已登记停产/下架：P1（2026-10-20）")
    retired = page.locator("tr.product-retired", has_text="P1")
    expect(retired).to_contain_text("已停产/下架 2026-10-20")
    _no_horizontal_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "products_retired_phone.png"), full_page=True)

    page.goto(f"/enterprises/{w.f1.id}?tab=changes")
    october = page.locator("#changes-cards [data-month='2026-10']")
    expect(october).to_be_visible()
    expect(page.locator("#changes-table")).to_be_hidden()  # the wide table is for desks
    expect(october).to_contain_text("停产/下架 2")  # P5 and now P1
    expect(october).to_contain_text("150.25")
    expect(october).to_contain_text("+24.7%")
    _no_horizontal_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "list_changes_phone.png"), full_page=True)

    page.goto(f"/enterprises/{w.f1.id}?tab=products")
    page.locator("tr.product-retired", has_text="P1").get_by_role("button", name="恢复在产").tap()
    page.get_by_role("dialog").get_by_role("button", name="确定恢复在产").tap()  # the page's own confirm
    expect(page.locator(".alert-success")).to_contain_text("已恢复在产：P1")
    db.session.expire_all()
    item = db.session.scalar(select(ProductItem).where(ProductItem.name == "P1"))
    assert item.retired_on is None


def test_desk_reads_twelve_months(db, new_page, login):
    w = list_world()
    w.f1.created_at = w.f1.created_at.replace(year=2025)  # on file long enough for a full year
    db.session.commit()
    page = login(new_page(), w.officer)
    page.goto(f"/enterprises/{w.f1.id}?tab=changes")
    table = page.locator("#changes-table")
    expect(table).to_be_visible()
    expect(page.locator("#changes-cards")).to_be_hidden()
    expect(table.locator("tbody tr")).to_have_count(12)
    expect(table.locator("tr[data-month='2026-11']")).to_contain_text("截至今天")
    october = table.locator("tr[data-month='2026-10'] td")
    texts = [re.sub(r"\s+", " ", t).strip() for t in october.all_inner_texts()]
    assert texts == ["2026年10月", "4", "+2", "1", "150.25", "+24.7%", "2", "1", "2", "2", "2", "1"]
    page.screenshot(path=str(SCREENSHOTS / "list_changes_desk.png"), full_page=True)
