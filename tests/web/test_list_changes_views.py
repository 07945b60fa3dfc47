"""The firm file's 清单变化 tab (per role, constant queries) and 停产/下架 / 恢复在产 on the 产品清单 tab."""

import re
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.models import ProductItem, SalesItem, TechItem
from crm.reporting.monthly.close import close_month
from crm.services.enterprises.lists import delete_product
from crm.services.enterprises.products import retire_product
from tests.support.dates import TODAY


def body(resp):
    return resp.get_data(as_text=True)


def changes_url(firm):
    return f"/enterprises/{firm.id}?tab=changes"


def month_row(page: str, month: str) -> str:
    """The wide table's row of a month (YYYY-MM), as HTML."""
    match = re.search(rf'<tr data-month="{month}">(.*?)</tr>', page, re.S)
    assert match, month
    return match.group(1)


def cells(row_html: str) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", " ", c).split())
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row_html, re.S)
    ]


@pytest.fixture()
def moved(world, db):
    """October: the product put on the list and retired; a second month of sales to compare with."""
    world.own_firm.created_at = datetime(2025, 6, 1, 2, 0)  # on file long enough for twelve months
    world.product.created_at = datetime(2026, 9, 1, 2, 0)
    db.session.add(SalesItem(enterprise_id=world.own_firm.id, period="2026-09", amount=Decimal("100")))
    db.session.add(
        ProductItem(enterprise_id=world.own_firm.id, name="伺服电机", created_at=datetime(2026, 10, 8, 2))
    )
    world.tech.created_at = datetime(2026, 10, 9, 2, 0)
    db.session.commit()
    retire_product(
        world.product, world.cadre, {"retired_on": "2026-10-20", "version": world.product.version}, TODAY
    )
    db.session.commit()
    return world


@pytest.mark.parametrize("role", ["cadre", "officer", "leader", "admin"])
def test_the_tab_shows_twelve_months_with_the_changes(client, login_as, moved, role):
    login_as(getattr(moved, role))
    page = body(client.get(changes_url(moved.own_firm)))
    assert f'href="/enterprises/{moved.own_firm.id}?tab=changes"' in page
    assert len(re.findall(r'<tr data-month="', page)) == 12
    november, october = month_row(page, "2026-11"), month_row(page, "2026-10")
    assert "截至今天" in november
    # 月份 | 在产 新增 停产 | 本月 环比 | 技术需求 新增 解决 待解决 | 问题 新增 销号 在办
    assert cells(october) == ["2026年10月", "1", "+1", "1", "120.50", "+20.5%", "1", "0", "1", "0", "0", "0"]
    assert cells(month_row(page, "2026-09"))[1:6] == ["1", "+1", "0", "100.00", "—"]
    assert "新增问题" in page and "问题数仅对园区和联系干部显示" not in page


def test_a_handler_sees_the_lists_but_not_the_firms_problem_counts(client, login_as, moved):
    login_as(moved.handler)
    page = body(client.get(changes_url(moved.own_firm)))
    assert len(cells(month_row(page, "2026-10"))) == 9
    assert "问题数仅对园区和联系干部显示" in page and "新增问题" not in page


@pytest.mark.parametrize("role", ["officer_b", "cadre_b", "cadre2"])
def test_people_outside_the_firms_scope_get_404(client, login_as, moved, role):
    login_as(getattr(moved, role))
    assert client.get(changes_url(moved.own_firm)).status_code == 404


def test_closed_months_are_marked_and_keep_their_figures(client, login_as, moved, db):
    close_month("2026-09", None, TODAY)
    close_month("2026-10", None, TODAY)
    db.session.commit()
    # A product put on in October deleted as a mistake after the close: October as closed is unchanged.
    servo = db.session.scalar(select(ProductItem).where(ProductItem.name == "伺服电机"))
    delete_product(servo, moved.cadre, servo.version)
    db.session.commit()
    login_as(moved.officer)
    page = body(client.get(changes_url(moved.own_firm)))
    october, november = month_row(page, "2026-10"), month_row(page, "2026-11")
    assert "已月结" in october and "已月结" in month_row(page, "2026-09") and "已月结" not in november
    assert cells(october) == [
        "2026年10月 已月结",
        "1",
        "+1",
        "1",
        "120.50",
        "+20.5%",
        "1",
        "0",
        "1",
        "0",
        "0",
        "0",
    ]
    assert cells(november)[1] == "0"  # live: the deleted product is gone from the running month
    assert "已月结" in page.split('id="changes-cards"')[1]  # the phone cards say so too


def test_anonymous_is_sent_to_login(client, moved):
    resp = client.get(changes_url(moved.own_firm))
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_the_tab_is_phone_friendly_markup(client, login_as, moved):
    """Cards below md, the wide table above; no inline style or script (CSP)."""
    login_as(moved.cadre)
    page = body(client.get(changes_url(moved.own_firm)))
    assert 'class="list-group d-md-none" id="changes-cards"' in page
    assert 'class="card d-none d-md-block"' in page
    assert " style=" not in page and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)


def test_the_tab_costs_the_same_queries_however_long_the_history(client, login_as, world, db, count_queries):
    login_as(world.cadre)
    url = changes_url(world.own_firm)
    client.get(url)

    def measure():
        with count_queries() as q:
            assert client.get(url).status_code == 200
        return q.count

    few = measure()
    for i in range(24):
        stamp = datetime(2025 + (i + 10) // 12, (i + 10) % 12 + 1, 5, 2)
        db.session.add(ProductItem(enterprise_id=world.own_firm.id, name=f"产品{i}", created_at=stamp))
        db.session.add(SalesItem(enterprise_id=world.own_firm.id, period=f"{stamp:%Y-%m}", amount=Decimal(i)))
        db.session.add(
            TechItem(enterprise_id=world.own_firm.id, kind="demand", title=f"需求{i}", created_at=stamp)
        )
    db.session.commit()
    assert measure() == few


# ---- 停产/下架 and 恢复在产 on the 产品清单 tab


def test_cadre_retires_and_restores_a_product(client, login_as, world, db):
    world.product.created_at = datetime(2026, 9, 1, 2, 0)
    db.session.commit()
    login_as(world.cadre)
    firm, product = world.own_firm, world.product
    base = f"/enterprises/{firm.id}/products/{product.id}"
    tab = body(client.get(f"/enterprises/{firm.id}?tab=products"))
    assert f"{base}/retire" in tab and "在产 1 项" in tab
    form = body(client.get(f"{base}/retire"))
    assert 'value="2026-11-02"' in form and 'type="date"' in form and "停产/下架：永磁同步电机" in form
    resp = client.post(
        f"{base}/retire", data={"retired_on": "2026-10-30", "reason": "改产新型号", "version": "2"}
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(
        f"/enterprises/{firm.id}?tab=products"
    )
    page = body(client.get(resp.headers["Location"]))
    assert "已登记停产/下架：永磁同步电机（2026-10-30）" in page
    assert 'class="product-retired"' in page and "已停产/下架 2026-10-30" in page
    assert "在产 0 项，停产/下架 1 项" in page and f"{base}/restore" in page and f"{base}/retire" not in page
    version = db.session.scalar(select(ProductItem.version).where(ProductItem.id == product.id))
    resp = client.post(f"{base}/restore", data={"version": str(version)})
    assert resp.status_code == 302
    page = body(client.get(resp.headers["Location"]))
    assert "已恢复在产：永磁同步电机" in page and "product-retired" not in page
    login_as(world.officer)  # the 变更记录 tab is the park office's
    audit = body(client.get(f"/enterprises/{firm.id}?tab=audit"))
    assert "产品停产/下架：永磁同步电机（2026-10-30），原因：改产新型号" in audit
    assert "停产/下架日期：（空） → 2026-10-30" in audit


def test_a_bad_day_is_shown_on_the_form_and_changes_nothing(client, login_as, world, db):
    login_as(world.officer)
    base = f"/enterprises/{world.own_firm.id}/products/{world.product.id}"
    resp = client.post(f"{base}/retire", data={"retired_on": "2026-11-30", "version": "1"})
    assert resp.status_code == 200 and "停产/下架日期不能晚于今天" in body(resp)
    resp = client.post(f"{base}/retire", data={"retired_on": "", "version": "1"})
    assert resp.status_code == 200 and "请填写停产/下架日期" in body(resp)
    db.session.expire_all()
    assert db.session.get(ProductItem, world.product.id).retired_on is None


def test_a_stale_retire_or_restore_is_refused(client, login_as, world, db):
    login_as(world.cadre)
    base = f"/enterprises/{world.own_firm.id}/products/{world.product.id}"
    resp = client.post(f"{base}/retire", data={"retired_on": "2026-11-01", "version": "0"})
    assert resp.status_code == 302
    assert "该产品记录已被其他人修改" in body(client.get(resp.headers["Location"]))
    retire_product(world.product, world.officer, {"version": world.product.version}, TODAY)
    db.session.commit()
    resp = client.post(f"{base}/restore", data={"version": "1"})
    assert "该产品记录已被其他人修改" in body(client.get(resp.headers["Location"]))
    # Opening the form of a product someone has just retired says so instead.
    resp = client.get(f"{base}/retire")
    assert resp.status_code == 302 and "该产品已于 2026-11-02 停产/下架" in body(
        client.get(resp.headers["Location"])
    )
    db.session.expire_all()
    assert db.session.get(ProductItem, world.product.id).retired_on == TODAY
