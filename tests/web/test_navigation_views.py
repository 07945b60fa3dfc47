"""The main menu: the office's problem desks and its management pages sit under two dropdowns, so that
the menu stays on one line; a role that sees only one page of a group gets that page as a plain link."""

import re


def _menu(body: str) -> str:
    return body[body.index('id="mainnav"') : body.index("user-menu")]


def _groups(menu: str) -> dict[str, list[str]]:
    """Dropdown label -> the labels of its entries."""
    found = re.findall(
        r'nav-group.*?dropdown-toggle[^>]*>([^<]+)</a>\s*<ul class="dropdown-menu">(.*?)</ul>', menu, re.S
    )
    return {
        label: re.findall(r'class="dropdown-item[^"]*" href="[^"]+">([^<]+)<', items)
        for label, items in found
    }


def test_the_admin_menu_groups_the_problem_desks_and_the_management_pages(client, login_as, world):
    login_as(world.admin)
    menu = _menu(client.get("/").get_data(as_text=True))
    assert _groups(menu) == {
        "问题": ["问题清单", "交办台", "升级协调"],
        "管理": ["交接", "导入", "用户管理", "基础数据"],
    }
    # The desks stay out of the collapsed phone menu, as their own tabs reach them there.
    assert re.search(
        r'<li class="d-none d-xl-block"><a class="dropdown-item[^"]*" href="/problems/board"', menu
    )


def test_the_officer_gets_the_management_pages_the_office_may_use(client, login_as, world):
    login_as(world.officer)
    groups = _groups(_menu(client.get("/").get_data(as_text=True)))
    assert groups["管理"] == ["交接", "导入"]  # users and reference data are the admin's
    assert groups["问题"] == ["问题清单", "交办台", "升级协调"]


def test_a_cadre_and_a_handler_see_plain_links_and_no_dropdown(client, login_as, world):
    for user, expected in ((world.cadre, ["问题", "我的企业"]), (world.handler, ["待办", "问题"])):
        login_as(user)
        menu = _menu(client.get("/", follow_redirects=True).get_data(as_text=True))
        assert _groups(menu) == {}
        links = re.findall(r'<a class="nav-link[^"]*" href="[^"]+">([^<]+)</a>', menu)
        assert all(label in links for label in expected), links
        assert "管理" not in links and "交办台" not in links
