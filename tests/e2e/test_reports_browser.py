"""Real browser: a leader's dashboard numbers open their lists, and the month's workbook downloads."""

import os

import pytest
from openpyxl import load_workbook

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture turns this into a failure under CI=true
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("跳过浏览器测试：未安装 Python 包 playwright", allow_module_level=True)

from crm.reporting.monthly.writer import SHEETS
from tests.e2e.conftest import PHONE
from tests.support.reports import report_world

pytestmark = pytest.mark.e2e


def test_leader_clicks_a_kpi_and_lands_on_the_filtered_list(db, page, login):
    w = report_world()
    db.session.commit()
    login(page, w.leader)
    page.goto("/")
    red = page.locator("[data-kpi=red]")
    expect(red).to_contain_text("2")
    red.click()
    expect(page).to_have_url("/problems/?colour=red")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("main table")).to_contain_text("发票额度不足")
    expect(page.locator("main table")).to_contain_text("乙园区物流问题")
    expect(page.locator("main table")).not_to_contain_text("用电增容")  # yellow
    # Back on the dashboard, a bar of the status chart opens the status's list.
    page.go_back()
    page.locator("svg.chart-hbar a[href='/problems/?status=new']").click()
    expect(page).to_have_url("/problems/?status=new")
    expect(page.locator("main table")).to_contain_text("招工补贴咨询")


def test_leader_generates_and_downloads_the_months_workbook(db, page, login, tmp_path):
    w = report_world()
    db.session.commit()
    login(page, w.leader)
    page.get_by_role("link", name="报表").first.click()
    expect(page.locator("h1")).to_have_text("联企服务月报")
    page.select_option("#month", "2026-10")
    page.select_option("#park", "all")
    page.get_by_role("button", name="生成报表").click()
    expect(page.locator(".alert-success")).to_contain_text("联企服务月报_2026年10月_全部园区.xlsx")
    with page.expect_download() as info:
        page.locator("[data-report-list] tr.table-success a", has_text="下载").click()
    download = info.value
    assert download.suggested_filename == "联企服务月报_2026年10月_全部园区.xlsx"
    path = tmp_path / "report.xlsx"
    download.save_as(path)
    wb = load_workbook(path)
    assert wb.sheetnames == SHEETS and "四张清单变化" in SHEETS
    assert wb["汇总"]["A1"].value == "全部园区2026年10月联企服务月报（初稿）"
    assert len(wb["干部走访"]._charts) == 1


def test_dashboard_and_report_page_fit_a_phone(db, new_page, login):
    w = report_world()
    db.session.commit()
    phone = new_page(PHONE)
    login(phone, w.officer)
    for path in ("/", "/reports/"):
        phone.goto(path)
        overflow = phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, path
    phone.goto("/")
    expect(phone.locator("svg.chart-donut")).to_be_visible()
