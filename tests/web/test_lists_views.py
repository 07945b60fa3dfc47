"""The firm page's 产品/销售/技术/问题 tabs and their forms (crm.blueprints.lists)."""

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.models import AuditLog, Problem, ProductItem, SalesItem, TechItem
from crm.services.enterprises.lists import add_product, add_sales, add_tech


def body(resp):
    return resp.get_data(as_text=True)


def tab_url(firm, tab):
    return f"/enterprises/{firm.id}?tab={tab}"


def version(db, item) -> dict:
    """The item's version as its pages show it now: what their forms post back."""
    model = type(item)
    return {"version": str(db.session.scalar(select(model.version).where(model.id == item.id)))}


def list_routes(firm_id, product_id, sales_id, tech_id):
    """Every lists.* URL of one firm, with the method it answers to."""
    base = f"/enterprises/{firm_id}"
    routes = [("GET", f"{base}/problems/new"), ("POST", f"{base}/problems/new")]
    for kind, item_id in (("products", product_id), ("sales", sales_id), ("tech", tech_id)):
        routes += [
            ("GET", f"{base}/{kind}/new"),
            ("POST", f"{base}/{kind}/new"),
            ("GET", f"{base}/{kind}/{item_id}/edit"),
            ("POST", f"{base}/{kind}/{item_id}/edit"),
            ("POST", f"{base}/{kind}/{item_id}/delete"),
        ]
    product = f"{base}/products/{product_id}"
    routes += [("GET", f"{product}/retire"), ("POST", f"{product}/retire"), ("POST", f"{product}/restore")]
    return routes + [("POST", f"{base}/tech/{tech_id}/done")]


def own_routes(w):
    return list_routes(w.own_firm.id, w.product.id, w.sales.id, w.tech.id)


def test_every_lists_route_is_exercised(app, world):
    """list_routes() must follow the blueprint: a new lists.* route needs a line there."""
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("lists.")}
    assert len(rules) == len({url for _, url in own_routes(world)}) == 13


# ---- the cadre keeps the lists of their own firm


def test_cadre_adds_edits_and_deletes_a_product(client, login_as, world, db):
    login_as(world.cadre)
    firm_id = world.own_firm.id
    resp = client.post(
        f"/enterprises/{firm_id}/products/new",
        data={
            "name": "伺服电机",
            "category": "电机",
            "capacity": "２０００",
            "unit": "台",
            "main_market": "华东",
        },
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(
        f"/enterprises/{firm_id}?tab=products"
    )
    item = db.session.scalar(select(ProductItem).where(ProductItem.name == "伺服电机"))
    assert (item.enterprise_id, item.capacity) == (firm_id, Decimal("2000"))
    page = body(client.get(resp.headers["Location"]))
    assert "已新增产品：伺服电机" in page and "伺服电机" in page and "2,000 台" in page

    resp = client.post(
        f"/enterprises/{firm_id}/products/{item.id}/edit",
        data={"name": "伺服电机", "capacity": "2500"} | version(db, item),
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(ProductItem, item.id).capacity == Decimal("2500")

    delete = client.post(f"/enterprises/{firm_id}/products/{item.id}/delete", data=version(db, item))
    assert delete.status_code == 302
    assert db.session.scalar(select(func.count()).where(ProductItem.id == item.id)) == 0
    summaries = db.session.scalars(
        select(AuditLog.summary).where(AuditLog.entity_type == "product_item").order_by(AuditLog.id)
    ).all()
    assert summaries == ["新增产品：伺服电机", "修改产品：伺服电机", "删除产品：伺服电机"]


def test_edit_form_is_prefilled(client, login_as, world):
    login_as(world.cadre)
    page = body(client.get(f"/enterprises/{world.own_firm.id}/sales/{world.sales.id}/edit"))
    assert 'value="2026-10"' in page and 'value="120.50"' in page and "编辑销售记录" in page
    page = body(client.get(f"/enterprises/{world.own_firm.id}/tech/{world.tech.id}/edit"))
    assert 'value="电机能效提升"' in page and '<option selected value="demand">' in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({"period": "2026-13", "amount": "10"}, "销售期间应为YYYY-MM格式的真实月份"),
        ({"period": "2026-1", "amount": "10"}, "销售期间应为YYYY-MM格式的真实月份"),
        ({"period": "2028-01", "amount": "10"}, "销售期间应在 2000-01 至 2027-11 之间"),
        ({"period": "2026-10", "amount": "-1"}, "销售金额不能为负数"),
        ({"period": "2026-10", "amount": ""}, "销售金额不能为空"),
        ({"period": "2026-10", "amount": "1", "quantity": "-2"}, "数量不能为负数"),
    ],
)
def test_bad_sales_form_shows_chinese_error_and_adds_nothing(client, login_as, world, db, data, message):
    login_as(world.cadre)
    before = db.session.scalar(select(func.count(SalesItem.id)))
    resp = client.post(f"/enterprises/{world.own_firm.id}/sales/new", data=data)
    assert resp.status_code == 200
    assert message in body(resp) and "is-invalid" in body(resp)
    assert db.session.scalar(select(func.count(SalesItem.id))) == before


def test_cadre_edits_sales(client, login_as, world, db):
    login_as(world.cadre)
    resp = client.post(
        f"/enterprises/{world.own_firm.id}/sales/{world.sales.id}/edit",
        data={"period": "2026-09", "product": "永磁同步电机", "amount": "99"} | version(db, world.sales),
    )
    assert resp.headers["Location"].endswith("?tab=sales")
    db.session.expire_all()
    assert (world.sales.period, world.sales.amount) == ("2026-09", Decimal("99"))
    assert "已保存修改" in body(client.get(resp.headers["Location"]))


def test_tech_added_and_ticked_off_with_today(client, login_as, world, db):
    login_as(world.officer)
    resp = client.post(
        f"/enterprises/{world.own_firm.id}/tech/new",
        data={"kind": "patent", "title": "一种电机冷却结构", "partner": "湘潭大学", "status": "matching"},
    )
    assert resp.headers["Location"].endswith("?tab=tech")
    item = db.session.scalar(select(TechItem).where(TechItem.title == "一种电机冷却结构"))
    done = client.post(f"/enterprises/{world.own_firm.id}/tech/{item.id}/done", data=version(db, item))
    assert done.status_code == 302
    db.session.expire_all()
    assert (item.status, item.solved_on) == ("solved", date(2026, 11, 2))  # CRM_TODAY of the tests
    page = body(client.get(tab_url(world.own_firm, "tech")))
    assert "已解决" in page and "2026-11-02" in page
    # Only the unsolved world item still offers the tick-off button.
    assert page.count("标记已解决") == 1


def test_ticking_off_twice_is_refused_with_a_message(client, login_as, world, db):
    login_as(world.cadre)
    url = f"/enterprises/{world.own_firm.id}/tech/{world.tech.id}/done"
    seen = version(db, world.tech)  # two clicks on the same page
    client.post(url, data=seen)
    resp = client.post(url, data=seen, follow_redirects=True)
    assert "该技术事项已标记为已解决" in body(resp)


def test_cadre_raises_a_problem_outside_a_visit(client, login_as, world, db):
    login_as(world.cadre)
    firm = world.own_firm
    assert "反映问题" in body(client.get(f"/enterprises/{firm.id}/problems/new"))
    resp = client.post(
        f"/enterprises/{firm.id}/problems/new",
        data={
            "title": "用电增容",
            "category": "utilities",
            "urgency": "urgent",
            "source": "phone",
            "description": "新厂房需要增容",
        },
    )
    problem = db.session.scalar(select(Problem))
    assert resp.headers["Location"].endswith(f"/problems/{problem.id}")  # the new problem's file
    assert (problem.status, problem.raised_by_id, problem.visit_id) == ("new", world.cadre.id, None)
    page = body(client.get(resp.headers["Location"]))
    assert "用电增容" in page and "待交办" in page and "紧急" in page and world.cadre.name in page


def test_problem_form_requires_a_source(client, login_as, world, db):
    login_as(world.cadre)
    resp = client.post(
        f"/enterprises/{world.own_firm.id}/problems/new",
        data={"title": "用电增容", "category": "utilities", "urgency": "normal", "description": "x"},
    )
    assert resp.status_code == 200 and "请选择问题来源" in body(resp)
    assert db.session.scalar(select(func.count(Problem.id))) == 0


# ---- who may do what


@pytest.mark.parametrize("role", ["cadre", "officer_b"])
def test_out_of_scope_firm_is_404_on_every_route(client, login_as, world, db, role):
    """cadre: another cadre's firm; officer_b: a firm of another park."""
    firm = world.other_firm
    product = add_product(firm, world.officer, {"name": "别家产品"})
    sales = add_sales(firm, world.officer, {"period": "2026-10", "amount": "1"})
    tech = add_tech(firm, world.officer, {"kind": "demand", "title": "别家需求"})
    db.session.commit()
    login_as(getattr(world, role))
    for method, url in list_routes(firm.id, product.id, sales.id, tech.id):
        assert client.open(url, method=method).status_code == 404, (method, url)
    assert client.get(tab_url(firm, "products")).status_code == 404
    db.session.expire_all()
    assert db.session.get(ProductItem, product.id).name == "别家产品"


def test_handler_reads_the_tabs_but_gets_403_on_every_edit_route(client, login_as, world, db):
    login_as(world.handler)
    for method, url in own_routes(world):
        assert client.open(url, method=method).status_code == 403, (method, url)
    for tab, text in [
        ("products", "永磁同步电机"),
        ("sales", "120.5"),
        ("tech", "电机能效提升"),
        ("problems", "暂无问题"),
    ]:
        page = body(client.get(tab_url(world.own_firm, tab)))
        assert text in page, tab
        assert "/delete" not in page and "/edit" not in page and "/new" not in page, tab
        assert "/retire" not in page and "/restore" not in page, tab
    db.session.expire_all()
    assert db.session.scalar(select(func.count(ProductItem.id))) == 1
    assert world.tech.status == "pending"


def test_leader_reads_but_may_not_edit(client, login_as, world):
    login_as(world.leader)
    assert "永磁同步电机" in body(client.get(tab_url(world.own_firm, "products")))
    assert client.get(f"/enterprises/{world.own_firm.id}/products/new").status_code == 403


@pytest.mark.parametrize("who", ["cadre", "officer", "admin"])
def test_item_of_another_firm_is_404(client, login_as, world, db, who):
    """The own firm's URL with an item id of another firm: never found, never changed."""
    foreign_item = add_product(world.other_firm, world.officer, {"name": "别家产品"})
    foreign_tech = add_tech(world.other_firm, world.officer, {"kind": "demand", "title": "别家需求"})
    db.session.commit()
    login_as(getattr(world, who))
    base = f"/enterprises/{world.own_firm.id}"
    assert client.get(f"{base}/products/{foreign_item.id}/edit").status_code == 404
    assert client.post(f"{base}/products/{foreign_item.id}/edit", data={"name": "改"}).status_code == 404
    assert client.post(f"{base}/products/{foreign_item.id}/delete").status_code == 404
    assert client.post(f"{base}/tech/{foreign_tech.id}/done").status_code == 404
    assert client.post(f"{base}/sales/{world.sales.id + 1000}/delete").status_code == 404
    db.session.expire_all()
    assert db.session.get(ProductItem, foreign_item.id).name == "别家产品"


# ---- the tab pages


def test_sales_tab_shows_per_period_totals(client, login_as, world, db):
    add_sales(world.own_firm, world.cadre, {"period": "2026-10", "product": "配件", "amount": "79.5"})
    add_sales(world.own_firm, world.cadre, {"period": "2026-09", "amount": "30", "quantity": "12"})
    db.session.commit()
    login_as(world.cadre)
    page = body(client.get(tab_url(world.own_firm, "sales")))
    summary = page[
        page.index('id="sales-summary"') : page.index("</table>", page.index('id="sales-summary"'))
    ]
    cells = [
        re.sub(r"<[^>]+>", " ", row).split() for row in re.findall(r"<tr[^>]*>(.*?)</tr>", summary, re.S)
    ]
    # amounts in 万元 always show two decimals so the column lines up
    assert cells[1:] == [["2026-10", "2", "200.00"], ["2026-09", "1", "30.00"], ["合计", "3", "230.00"]]
    assert "配件" in page and "79.50" in page
    assert 'data-confirm="确定删除？"' in page


def test_tabs_render_items_and_buttons_for_editors(client, login_as, world):
    login_as(world.cadre)
    firm_id = world.own_firm.id
    page = body(client.get(tab_url(world.own_firm, "products")))
    assert "永磁同步电机" in page and "5,000 台" in page
    assert f"/enterprises/{firm_id}/products/new" in page
    assert f"/enterprises/{firm_id}/products/{world.product.id}/edit" in page
    assert 'data-label="类别"' in page and 'data-confirm="确定删除？"' in page
    page = body(client.get(tab_url(world.own_firm, "tech")))
    assert "电机能效提升" in page and "待对接" in page and "技术需求" in page and "标记已解决" in page
    page = body(client.get(tab_url(world.own_firm, "problems")))
    assert "暂无问题" in page and f"/enterprises/{firm_id}/problems/new" in page


def test_empty_tabs_say_so_in_chinese(client, login_as, world):
    login_as(world.officer)
    for tab, text in [
        ("products", "暂无产品"),
        ("sales", "暂无销售记录"),
        ("tech", "暂无技术事项"),
        ("problems", "暂无问题"),
    ]:
        assert text in body(client.get(tab_url(world.other_firm, tab))), tab


def test_pages_have_no_inline_script_or_style(client, login_as, world):
    """The CSP forbids inline scripts and style attributes."""
    login_as(world.cadre)
    base = f"/enterprises/{world.own_firm.id}"
    urls = [tab_url(world.own_firm, t) for t in ("products", "sales", "tech", "problems")]
    urls += [f"{base}/products/new", f"{base}/sales/new", f"{base}/tech/new", f"{base}/problems/new"]
    for url in urls:
        page = body(client.get(url))
        assert " style=" not in page and "onclick" not in page, url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url


def test_list_tabs_query_count_does_not_grow(client, login_as, world, db, count_queries):
    login_as(world.cadre)
    urls = [tab_url(world.own_firm, t) for t in ("products", "sales", "tech", "problems")]
    for url in urls:
        client.get(url)  # warm-up

    def measure():
        result = []
        for url in urls:
            with count_queries() as q:
                assert client.get(url).status_code == 200
            result.append(q.count)
        return result

    few = measure()
    for i in range(30):
        add_product(world.own_firm, world.cadre, {"name": f"产品{i}"})
        add_sales(world.own_firm, world.cadre, {"period": f"2025-{i % 12 + 1:02d}", "amount": str(i)})
        add_tech(world.own_firm, world.cadre, {"kind": "demand", "title": f"需求{i}"})
    db.session.commit()
    assert measure() == few
