"""Real-browser journeys: import and assign, login lock-out, phone layout, reassignment and handover.

Every test builds its data with the factories inside the `db` app context and commits, so the live
server (another thread, same database) sees it; the `db` fixture wipes the tables afterwards.
"""

import os
import re
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture turns this into a failure under CI=true
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("跳过浏览器测试：未安装 Python 包 playwright", allow_module_level=True)

from tests.e2e.conftest import SCREENSHOTS
from tests.support.factories import (
    PASSWORD,
    make_chain,
    make_enterprise,
    make_park,
    make_user,
    valid_credit_code,
)
from tests.support.policies import give_profile

pytestmark = pytest.mark.e2e


def _alert(page, text: str):
    return page.locator(".alert").filter(has_text=text)


def _firm_names_in_list(page) -> list[str]:
    """Names in the enterprise list table (企业档案), in page order."""
    return [n.strip() for n in page.locator("table tbody td:first-child a").all_inner_texts()]


def _firm_names_in_caseload(page) -> list[str]:
    """Names of the firms listed on a caseload page (我的企业): links to a firm's detail page."""
    return page.evaluate(
        "() => [...document.querySelectorAll('main .list-group a')]"
        ".filter(a => /^\\/enterprises\\/\\d+$/.test(a.getAttribute('href')))"
        ".map(a => a.textContent.trim())"
    )


def _write_xlsx(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(["企业名称", "统一社会信用代码", "所属园区", "所属产业链"])
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def test_csrf_is_enforced_on_live_server(db, page):
    """The live server runs with CSRF on: a form post without the token is refused."""
    make_user("officer", make_park(), username="csrf_officer")
    db.session.commit()
    page.goto("/login")  # gets a session cookie, like a real visitor
    response = page.request.post(
        "/login", form={"username": "csrf_officer", "password": PASSWORD}, max_redirects=0
    )
    assert response.status == 400
    assert "页面已过期" in response.text()


def test_import_assign_and_cadre_sees_only_that_firm(db, new_page, login, tmp_path):
    park = make_park("XT", "湘潭高新区")
    chain = make_chain("装备制造")
    officer = make_user("officer", park, username="officer_imp", name="周管理")
    cadre = make_user("cadre", park, username="cadre_imp", name="王联络")
    make_user("cadre", park, username="cadre_other", name="李服务")
    db.session.commit()
    names = ["湘潭智造电机有限公司", "湘潭绿源食品有限公司", "湘潭华芯电子有限公司"]
    target, others = names[0], names[1:]
    sheet = _write_xlsx(
        tmp_path / "企业导入.xlsx", [(name, valid_credit_code(), park.name, chain.name) for name in names]
    )

    page = login(new_page(), officer)
    page.locator("nav").get_by_role("button", name="管理", exact=True).click()  # the office's 管理 menu
    page.locator("nav").get_by_role("link", name="导入").click()
    expect(page).to_have_url(re.compile(r"/imports/"))
    page.locator("input[type=file][name=file]").set_input_files(sheet)
    page.get_by_role("button", name="上传并预览").click()
    confirm = page.get_by_role("button", name="确认导入")
    expect(confirm).to_be_visible()
    expect(page.locator("main")).to_contain_text("共 3 行，没有发现错误")
    for name in names:  # the preview lists the rows before anything is written
        expect(page.locator("table").get_by_text(name)).to_be_visible()
    confirm.click()
    expect(page).to_have_url(re.compile(r"/enterprises/(\?.*)?$"))
    expect(_alert(page, "导入完成")).to_be_visible()
    assert sorted(_firm_names_in_list(page)) == sorted(names)

    page.locator("table").get_by_role("link", name=target).click()
    page.get_by_role("link", name="分配联系干部").click()
    expect(page).to_have_url(re.compile(r"/enterprises/\d+/assign$"))
    page.get_by_label("联系干部").select_option(label=cadre.name)
    page.get_by_role("button", name="确定分配").click()
    expect(_alert(page, f"已将 {target} 分配给 {cadre.name}")).to_be_visible()

    cadre_page = login(new_page(), cadre)  # a new context: the cadre's own browser
    cadre_page.goto("/enterprises/")
    expect(cadre_page.locator("h1")).to_have_text("企业档案")
    assert _firm_names_in_list(cadre_page) == [target]
    for other in others:
        expect(cadre_page.get_by_text(other)).to_have_count(0)
    cadre_page.locator("nav").get_by_role("link", name="我的企业").click()
    expect(cadre_page.locator("h1")).to_have_text("我的企业")
    expect(cadre_page.locator("main")).to_contain_text("共 1 家")
    assert _firm_names_in_caseload(cadre_page) == [target]


def test_login_failures_show_chinese_errors_and_lock_the_account(db, page, login):
    make_user("cadre", make_park(), username="lock_me")
    db.session.commit()
    page.goto("/login")

    def attempt(username: str, password: str) -> None:
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(password)
        with page.expect_navigation():  # each check below must read the freshly rendered page
            page.get_by_role("button", name="登录").click()

    attempt("nobody_here", "Wrong123!")
    expect(page.locator(".alert-danger")).to_have_text(re.compile(r"^\s*用户名或密码错误\s*$"))

    for _ in range(4):  # the same answer as for an unknown name: nothing tells the account exists
        attempt("lock_me", "Wrong123!")
        expect(page).to_have_url(re.compile(r"/login"))
        expect(page.locator(".alert-danger")).to_have_text(re.compile(r"^\s*用户名或密码错误\s*$"))
    attempt("lock_me", "Wrong123!")  # the fifth failure locks the account
    expect(page.locator(".alert-danger")).to_contain_text("账号已锁定")
    expect(page.locator(".alert-danger")).not_to_contain_text("再错")

    attempt("lock_me", PASSWORD)  # the right password no longer helps
    expect(page.locator(".alert-danger")).to_contain_text("账号已锁定")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator("nav.navbar")).to_have_count(0)
    page.goto("/enterprises/")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def _no_horizontal_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"页面出现横向滚动：scrollWidth={width}"


def test_phone_cadre_navigates_and_reads_firms(db, phone_page, login):
    park = make_park("XT", "湘潭高新区")
    chain = make_chain("电力电子")
    officer = make_user("officer", park, username="officer_phone")
    cadre = make_user("cadre", park, username="cadre_phone", name="赵小联")
    long_name = "湘潭高新区智能装备制造与新能源电力电子技术研究院有限责任公司"
    firm = make_enterprise(
        park,
        long_name,
        cadre=cadre,
        chain=chain,
        assigned_by=officer,
        is_key=True,
        scale_type="above",
        size="medium",
        legal_rep="欧阳建国",
        contact_name="刘经理",
        contact_phone="0731-58881234",
        address="湖南省湘潭市岳塘区晓塘路9号高新区创新创业服务中心东楼十八层1808室",
        headcount=326,
        note="主要产品为大功率变流器和风电控制系统，出口东南亚。",
    )
    give_profile(firm, {"srdi": 2024, "hnte": 2023})  # a long 资质 line on the 基本信息 tab
    make_enterprise(
        park,
        "湘潭绿色食品有限公司",
        cadre=cadre,
        chain=chain,
        assigned_by=officer,
        contact_name="陈会计",
        contact_phone="13800001111",
    )
    db.session.commit()
    SCREENSHOTS.mkdir(exist_ok=True)

    page = login(phone_page, cadre)
    expect(page.locator("h1")).to_have_text("我的企业")  # a cadre lands on their caseload
    toggler = page.locator(".navbar-toggler")
    my_firms = page.locator("#mainnav").get_by_role("link", name="我的企业")
    expect(toggler).to_be_visible()
    expect(my_firms).to_be_hidden()
    toggler.tap()
    expect(page.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))  # the collapse animation ended
    expect(my_firms).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "phone-1-menu-open.png"))
    my_firms.tap()
    expect(page.locator("h1")).to_have_text("我的企业")
    assert sorted(_firm_names_in_caseload(page)) == sorted([long_name, "湘潭绿色食品有限公司"])
    _no_horizontal_overflow(page)

    page.goto("/enterprises/")
    expect(page.locator("h1")).to_have_text("企业档案")
    expect(page.locator("table tbody tr")).to_have_count(2)
    expect(page.locator("table thead")).to_be_hidden()  # rows become cards on a phone
    _no_horizontal_overflow(page)
    page.screenshot(path=str(SCREENSHOTS / "phone-2-firm-list.png"), full_page=True)

    page.get_by_role("link", name=long_name).tap()
    expect(page).to_have_url(re.compile(rf"/enterprises/{firm.id}$"))
    title = page.locator("h1")
    expect(title).to_contain_text(long_name)
    _no_horizontal_overflow(page)
    box = title.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box  # wraps, not cut off
    expect(page.get_by_role("link", name="0731-58881234")).to_have_attribute("href", "tel:0731-58881234")
    expect(page.locator("main")).to_contain_text("赵小联")
    font_px = float(page.evaluate("parseFloat(getComputedStyle(document.querySelector('dd')).fontSize)"))
    assert font_px >= 14, f"正文字号过小：{font_px}px"
    page.screenshot(path=str(SCREENSHOTS / "phone-3-firm-detail.png"), full_page=True)

    # The tab strip scrolls sideways on a phone; the liaison tab is still reachable and readable.
    page.locator(".nav-tabs").get_by_role("link", name="联系干部").tap()
    expect(page).to_have_url(re.compile(r"tab=liaison"))
    current = page.locator("table tbody tr").first
    expect(current).to_contain_text("赵小联")
    expect(current).to_contain_text("当前")
    _no_horizontal_overflow(page)


def test_officer_reassigns_and_sees_liaison_history(db, page, login):
    park = make_park("XT", "湘潭高新区")
    officer = make_user("officer", park, username="officer_re", name="周管理")
    first = make_user("cadre", park, username="cadre_first", name="王联络")
    second = make_user("cadre", park, username="cadre_second", name="李服务")
    firm = make_enterprise(park, "湘潭精密轴承有限公司", cadre=first, assigned_by=officer)
    db.session.commit()

    login(page, officer)
    page.goto(f"/enterprises/{firm.id}")
    page.get_by_role("link", name="调整联系干部").click()
    page.get_by_label("联系干部").select_option(label=second.name)
    page.get_by_label("原因", exact=True).fill("工作调整")
    page.get_by_role("button", name="确定分配").click()
    expect(_alert(page, f"已将 {firm.name} 分配给 {second.name}")).to_be_visible()

    expect(page.get_by_role("link", name="联系干部", exact=True)).to_have_class(re.compile(r"\bactive\b"))
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(second.name)
    expect(rows.nth(0)).to_contain_text("当前")
    expect(rows.nth(0)).to_contain_text("工作调整")
    expect(rows.nth(1)).to_contain_text(first.name)
    expect(rows.nth(1)).not_to_contain_text("当前")
    expect(rows.nth(1).locator("td[data-label=结束]")).to_have_text("2026-11-02")
    expect(rows.nth(1).locator("td[data-label=结束原因]")).to_have_text("工作调整")
    expect(page.locator(".alert").filter(has_text="联系干部：")).to_contain_text(second.name)


def test_officer_hands_over_a_caseload_and_gets_the_list(db, page, login):
    park = make_park("XT", "湘潭高新区")
    officer = make_user("officer", park, username="officer_ho", name="周管理")
    leaving = make_user("cadre", park, username="cadre_leaving", name="王联络")
    successor = make_user("cadre", park, username="cadre_successor", name="李服务")
    kept = make_user("cadre", park, username="cadre_kept", name="张其他")
    moved = [
        make_enterprise(park, n, cadre=leaving, assigned_by=officer, contact_phone="0731-5555")
        for n in ("湘潭精密轴承有限公司", "湘潭新材料科技有限公司")
    ]
    untouched = make_enterprise(park, "湘潭不相关企业有限公司", cadre=kept, assigned_by=officer)
    db.session.commit()

    login(page, officer)
    page.goto("/handovers/new")
    page.get_by_label("移交人").select_option(label=leaving.name)
    page.get_by_label("接收人").select_option(label=successor.name)
    page.get_by_label("交接原因").select_option(label="岗位调整")
    page.get_by_role("button", name="预览交接").click()
    expect(page.locator("[data-handover-preview]")).to_contain_text("交接预览（尚未生效）")
    page.get_by_role("button", name="确认交接 2 家企业").click()

    expect(_alert(page, f"交接完成：2 家企业已移交给 {successor.name}")).to_be_visible()
    expect(page.locator("h1")).to_have_text("联系企业交接清单")
    main = page.locator("main")
    expect(main).to_contain_text(f"移交人：{leaving.name}")
    expect(main).to_contain_text(f"接收人：{successor.name}")
    expect(main).to_contain_text("交接原因：岗位调整")
    expect(main).to_contain_text("首次走访期限：2026-11-17")  # 15 days after CRM_TODAY 2026-11-02
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    for firm in moved:
        expect(rows.filter(has_text=firm.name)).to_contain_text(firm.credit_code)
    expect(main).not_to_contain_text(untouched.name)
    expect(main).to_contain_text("共 2 家企业")

    page.goto(f"/enterprises/{moved[0].id}?tab=liaison")
    history = page.locator("table tbody tr")
    expect(history.nth(0)).to_contain_text(successor.name)
    expect(history.nth(1).locator("td[data-label=结束原因]")).to_have_text("交接：岗位调整")


def _prefetch_cut_short(req) -> bool:
    """The field app keeps a cadre's visit forms for offline use by fetching them in the background;
    leaving the page cancels that fetch (ERR_ABORTED), which is expected, not an error."""
    return req.failure == "net::ERR_ABORTED" and "/field/" in req.url


def test_pages_load_only_local_assets_without_errors(db, new_page, login, live_server):
    """Intranet rule: every asset comes from the app itself, loads, and passes the CSP; icons render."""
    park = make_park("XT", "湘潭高新区")
    officer = make_user("officer", park, username="officer_assets")
    cadre = make_user("cadre", park, username="cadre_assets")
    firm = make_enterprise(park, "湘潭资源检查有限公司", cadre=cadre, assigned_by=officer)
    db.session.commit()
    problems: list[str] = []

    def watch(pg):
        def on_request(req):
            if not req.url.startswith((live_server, "data:")):
                problems.append(f"外部请求 {req.url}")

        def on_response(resp):
            if resp.status >= 400 and not resp.url.endswith("/favicon.ico"):
                problems.append(f"{resp.status} {resp.url}")

        def on_console(msg):
            if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
                problems.append(f"控制台错误 {msg.text} @ {pg.url}")

        pg.on("request", on_request)
        pg.on("response", on_response)
        pg.on(
            "requestfailed",
            lambda req: (
                None if _prefetch_cut_short(req) else problems.append(f"请求失败 {req.url} {req.failure}")
            ),
        )
        pg.on("console", on_console)
        pg.on("pageerror", lambda exc: problems.append(f"脚本错误 {exc} @ {pg.url}"))
        return pg

    icon_fonts = {}
    officer_page = watch(new_page())
    login(officer_page, officer)
    for path in [
        "/",
        "/enterprises/",
        f"/enterprises/{firm.id}",
        f"/enterprises/{firm.id}?tab=liaison",
        f"/enterprises/{firm.id}?tab=audit",
        f"/enterprises/{firm.id}/assign",
        "/enterprises/new",
        "/cadres/",
        f"/cadres/{cadre.id}",
        "/handovers/",
        "/handovers/new",
    ]:
        response = officer_page.goto(path)
        assert response is not None and response.status == 200, (path, response and response.status)
        # Icon fonts load after "load"; leaving the page earlier would abort them (a false failure).
        officer_page.evaluate("() => document.fonts.ready.then(() => true)")
        icon_fonts[path] = officer_page.evaluate(
            "() => { const i = document.querySelector('.bi');"
            " return i ? getComputedStyle(i, '::before').fontFamily : null; }"
        )
    cadre_page = watch(new_page())
    login(cadre_page, cadre)
    cadre_page.goto(f"/enterprises/{firm.id}")  # goto waits for "load": styles and scripts are in
    cadre_page.evaluate("() => document.fonts.ready.then(() => true)")

    assert not problems, "\n".join(dict.fromkeys(problems))
    assert icon_fonts["/enterprises/"] is not None
    missing = {path: font for path, font in icon_fonts.items() if font and "bootstrap-icons" not in font}
    assert missing == {}, "Bootstrap Icons 字体未生效（图标不显示）"


def test_logout_through_the_user_menu(db, page, login):
    user = make_user("officer", make_park(), username="officer_out", name="周退出")
    db.session.commit()
    login(page, user)
    page.locator("nav").get_by_role("button", name=re.compile(user.name)).click()
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(_alert(page, "已退出登录")).to_be_visible()
    page.goto("/enterprises/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(_alert(page, "请先登录")).to_be_visible()


def test_logout_others_signs_out_the_other_browser(db, new_page, login):
    user = make_user("officer", make_park(), username="two_browsers")
    db.session.commit()
    desk, phone = login(new_page(), user), login(new_page(), user)
    desk.goto("/password")
    desk.get_by_role("button", name="退出其他设备").click()
    expect(_alert(desk, "已退出其他设备上的登录")).to_be_visible()
    desk.goto("/enterprises/")
    expect(desk).to_have_url(re.compile(r"/enterprises/$"))  # this browser stays signed in
    phone.goto("/enterprises/")
    expect(phone).to_have_url(re.compile(r"/login\?next="))
    expect(_alert(phone, "您的登录已失效，请重新登录")).to_be_visible()
