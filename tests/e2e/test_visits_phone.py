"""Real browser at 390 px: a cadre logs an on-site visit that adds a product and raises a problem."""

import os
import re
from datetime import date

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture turns this into a failure under CI=true
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("跳过浏览器测试：未安装 Python 包 playwright", allow_module_level=True)

from sqlalchemy import select

from crm.models import Attachment, Problem, ProductItem, Visit
from tests.e2e.conftest import SCREENSHOTS
from tests.support.factories import make_chain, make_enterprise, make_park, make_user
from tests.support.uploads import png_bytes

pytestmark = pytest.mark.e2e


def _no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"页面横向溢出：{width}px"


def test_phone_cadre_logs_onsite_visit_with_product_and_problem(db, phone_page, login, tmp_path):
    park = make_park("XT", "湘潭高新区")
    officer = make_user("officer", park, username="officer_visit")
    cadre = make_user("cadre", park, username="cadre_visit", name="王联络")
    firm = make_enterprise(
        park,
        "湘潭智造电机有限公司",
        cadre=cadre,
        chain=make_chain("装备制造"),
        assigned_by=officer,
        today=date(2026, 10, 1),  # its liaison since October, never visited: overdue
    )
    db.session.commit()
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(png_bytes(64, 48, (25, 135, 84)))
    SCREENSHOTS.mkdir(exist_ok=True)

    page = login(phone_page, cadre)
    page.goto(f"/enterprises/{firm.id}")
    expect(page.locator(".badge", has_text="联系·已逾期")).to_be_visible()  # never visited: overdue
    page.get_by_role("link", name="记录走访").first.tap()
    expect(page).to_have_url(re.compile(rf"/enterprises/{firm.id}/visits/new$"))
    expect(page.locator("input[name=visited_on]")).to_have_value("2026-11-02")  # today (CRM_TODAY)
    expect(page.locator("#kind-onsite")).to_be_checked()  # 上门走访 preselected
    _no_horizontal_scroll(page)

    page.locator("textarea[name=summary]").fill("上门了解新产线建设进度，企业反映用电容量不足。")
    page.locator("input[name=participants]").fill("李总（总经理）")

    page.get_by_role("button", name="添加产品").tap()
    product_name = page.locator("input[name='product-name']")
    expect(product_name).to_be_visible()
    product_name.fill("永磁同步电机")
    page.locator("input[name='product-capacity']").fill("5000")
    page.locator("input[name='product-unit']").fill("台/年")

    page.get_by_role("button", name="反映问题").tap()
    problem_title = page.locator("input[name='problem-title']")
    expect(problem_title).to_be_visible()
    problem_title.fill("新产线用电增容")
    page.locator("textarea[name='problem-description']").fill("需要增容至 2000kVA，希望供电公司尽快对接。")
    page.locator("select[name='problem-category']").select_option("utilities")
    problem_title.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "visit-phone-1-problem-section.png"))

    page.locator("input[type=file][name=files]").set_input_files(str(photo))
    # the picker is a Chinese button (the browser's own "Choose Files" follows its locale) naming the files
    expect(page.locator("label[for=files]")).to_have_text("拍照或选择文件")
    expect(page.locator("#files-chosen")).to_have_text("已选择 1 个文件：现场照片.png")
    _no_horizontal_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "visit-phone-1-form.png"), full_page=True)

    page.get_by_role("button", name="保存走访").tap()
    expect(page.locator(".alert-success")).to_contain_text("走访记录已保存")
    expect(page).to_have_url(re.compile(rf"/enterprises/{firm.id}\?tab=visits$"))
    expect(page.locator(".badge", has_text="联系·正常")).to_be_visible()  # the cadence turned 正常
    expect(page.locator(".badge", has_text="上门·正常")).to_be_visible()
    expect(page.locator(".list-group-item", has_text="上门了解新产线建设进度")).to_be_visible()
    _no_horizontal_scroll(page)
    # every tab of the firm file is on screen (they wrap on a phone), the open one included
    tabs = page.locator(".firm-tabs .nav-link")
    assert tabs.count() == 9  # a cadre has every tab but 变更记录 (政策 and 清单变化 included)
    for i in range(tabs.count()):
        box = tabs.nth(i).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, tabs.nth(i).inner_text()
    expect(page.locator(".firm-tabs .nav-link.active")).to_contain_text("走访记录")
    page.screenshot(path=str(SCREENSHOTS / "visit-phone-2-firm-visits.png"), full_page=True)

    page.locator(".list-group-item", has_text="上门了解新产线建设进度").tap()
    thumb = page.locator("img[alt='现场照片.png']")
    expect(thumb).to_be_visible()
    # the thumbnail is lazy-loaded: wait until the browser has decoded the served file
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert page.evaluate("(img) => img.naturalWidth", thumb.element_handle()) == 64  # the file was served
    expect(page.get_by_text("新产线用电增容")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "visit-phone-3-detail.png"), full_page=True)

    page.goto(f"/enterprises/{firm.id}?tab=products")
    expect(page.locator("table").get_by_text("永磁同步电机")).to_be_visible()
    page.goto(f"/enterprises/{firm.id}?tab=problems")
    row = page.locator("tr", has_text="新产线用电增容")
    expect(row).to_be_visible()
    expect(row).to_contain_text("待交办")
    page.screenshot(path=str(SCREENSHOTS / "visit-phone-4-problems.png"), full_page=True)

    page.goto("/visits/")
    expect(page.locator("tbody tr", has_text="上门了解新产线建设进度")).to_be_visible()
    _no_horizontal_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "visit-phone-5-list.png"), full_page=True)

    db.session.expire_all()
    visit = db.session.scalar(select(Visit).where(Visit.enterprise_id == firm.id))
    assert (visit.kind, visit.cadre_id, visit.participants) == ("onsite", cadre.id, "李总（总经理）")
    assert db.session.scalar(select(ProductItem.unit).where(ProductItem.enterprise_id == firm.id)) == "台/年"
    problem = db.session.scalar(select(Problem).where(Problem.enterprise_id == firm.id))
    assert (problem.status, problem.visit_id, problem.category) == ("new", visit.id, "utilities")
    assert (
        db.session.scalar(select(Attachment.filename).where(Attachment.owner_id == visit.id))
        == "现场照片.png"
    )
