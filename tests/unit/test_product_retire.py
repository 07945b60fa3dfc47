"""停产/下架 and 恢复在产 of a product (crm.services.enterprises.products)."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from crm.models import AuditLog, ProductItem
from crm.services import ServiceError
from crm.services.common.locking import MISSING_VERSION_MESSAGE, StaleError
from crm.services.enterprises.firm_file import tab_counts, tab_data
from crm.services.enterprises.lists import PRODUCTS, add_product
from crm.services.enterprises.products import added_on, restore_product, retire_product
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park, make_user


@pytest.fixture()
def world(db):
    park = make_park()
    cadre = make_user("cadre", park)
    firm = make_enterprise(park, "湘潭电机有限公司", cadre=cadre)
    product = add_product(firm, cadre, {"name": "永磁同步电机"}, today=TODAY)
    product.created_at = datetime(2026, 9, 1, 2, 0)  # put on the list on 2026-09-01 (Beijing)
    db.session.commit()
    return park, cadre, firm, product


def state(db, product):
    """What a refusal must leave untouched: the product's date and version, and the audit rows."""
    db.session.expire_all()
    row = db.session.get(ProductItem, product.id)
    return row.retired_on, row.version, db.session.scalar(select(func.count()).select_from(AuditLog))


def test_retire_on_a_given_day_is_audited(db, world):
    _park, cadre, firm, product = world
    seen = product.version
    day = retire_product(
        product, cadre, {"retired_on": "2026-10-15", "reason": "订单转向新型号", "version": seen}, TODAY
    )
    db.session.commit()
    assert day == product.retired_on == date(2026, 10, 15) and product.is_retired
    assert product.version == seen + 1
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "retire")).one()
    assert (entry.entity_type, entry.entity_id, entry.enterprise_id) == ("product_item", product.id, firm.id)
    assert entry.summary == "产品停产/下架：永磁同步电机（2026-10-15），原因：订单转向新型号"
    assert entry.changes == {"retired_on": [None, "2026-10-15"]}


@pytest.mark.parametrize(
    "typed, day",
    [("", TODAY), (None, TODAY), ("２０２６-１０-０１", date(2026, 10, 1)), ("2026/9/1", date(2026, 9, 1))],
)
def test_the_day_defaults_to_today_and_is_read_as_typed(db, world, typed, day):
    _park, cadre, _firm, product = world
    assert retire_product(product, cadre, {"retired_on": typed, "version": product.version}, TODAY) == day


@pytest.mark.parametrize(
    "data, message",
    [
        ({"retired_on": "2026-11-03"}, "停产/下架日期不能晚于今天"),
        ({"retired_on": "2026-08-31"}, "停产/下架日期不能早于该产品录入清单的日期 2026-09-01"),
        ({"retired_on": "2026-02-30"}, "停产/下架日期应为YYYY-MM-DD格式的真实日期"),
        ({"retired_on": "上个月"}, "停产/下架日期应为YYYY-MM-DD格式的真实日期"),
        ({"reason": "停" * 201}, "停产/下架原因不能超过200字"),
        ({"reason": "原因\x00"}, "停产/下架原因"),
        ({"retired_on": "2099-01-01", "reason": "x" * 201}, "不能晚于今天；停产/下架原因不能超过200字"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_changes_nothing(db, world, data, message):
    _park, cadre, _firm, product = world
    before = state(db, product)
    with pytest.raises(ServiceError, match=message):
        retire_product(product, cadre, data | {"version": product.version}, TODAY)
    db.session.rollback()
    assert state(db, product) == before


def test_a_stale_or_missing_version_is_refused(db, world):
    _park, cadre, _firm, product = world
    before = state(db, product)
    with pytest.raises(StaleError, match=PRODUCTS.stale):
        retire_product(product, cadre, {"version": product.version - 1}, TODAY)
    with pytest.raises(StaleError, match=MISSING_VERSION_MESSAGE):
        retire_product(product, cadre, {"version": ""}, TODAY)
    db.session.rollback()
    assert state(db, product) == before


def test_retiring_twice_says_when_it_was_retired(db, world):
    _park, cadre, _firm, product = world
    retire_product(product, cadre, {"retired_on": "2026-10-15", "version": product.version}, TODAY)
    db.session.commit()
    with pytest.raises(ServiceError, match="该产品已于 2026-10-15 停产/下架"):
        retire_product(product, cadre, {"version": product.version}, TODAY)


def test_only_those_who_keep_the_lists_may_retire_or_restore(db, world):
    park, _cadre, _firm, product = world
    for outsider in (make_user("cadre", park), make_user("leader"), make_user("officer", make_park())):
        with pytest.raises(ServiceError, match="没有编辑该企业清单的权限"):
            retire_product(product, outsider, {"version": product.version}, TODAY)
    officer = make_user("officer", park)
    retire_product(product, officer, {"version": product.version}, TODAY)
    with pytest.raises(ServiceError, match="没有编辑该企业清单的权限"):
        restore_product(product, make_user("leader"), product.version)


def test_restore_puts_the_product_back_and_is_audited(db, world):
    _park, cadre, firm, product = world
    retire_product(product, cadre, {"retired_on": "2026-10-15", "version": product.version}, TODAY)
    db.session.commit()
    assert tab_counts(firm)["products"] == 0  # the badge counts products still made
    listed = tab_data("products", firm, cadre)
    assert listed["retired_count"] == 1
    restore_product(product, cadre, product.version)
    db.session.commit()
    assert product.retired_on is None and tab_counts(firm)["products"] == 1
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "restore")).one()
    assert entry.summary == "产品恢复在产：永磁同步电机（原停产/下架日期 2026-10-15）"
    assert entry.changes == {"retired_on": ["2026-10-15", None]}


def test_restore_refusals(db, world):
    _park, cadre, _firm, product = world
    with pytest.raises(ServiceError, match="该产品未停产/下架，无需恢复"):
        restore_product(product, cadre, product.version)
    retire_product(product, cadre, {"version": product.version}, TODAY)
    db.session.commit()
    before = state(db, product)
    with pytest.raises(StaleError, match=PRODUCTS.stale):
        restore_product(product, cadre, product.version - 1)
    db.session.rollback()
    assert state(db, product) == before


def test_retired_products_are_listed_after_the_ones_still_made(db, world):
    _park, cadre, firm, product = world
    add_product(firm, cadre, {"name": "伺服电机"}, today=TODAY)
    retire_product(product, cadre, {"version": product.version}, TODAY)
    db.session.commit()
    assert [p.name for p in tab_data("products", firm, cadre)["products"]] == ["伺服电机", "永磁同步电机"]


def test_a_product_stamped_after_today_may_still_be_retired_today(db, world):
    """A clock ahead of the business day (a pinned CRM_TODAY) must not lock a product in."""
    _park, cadre, _firm, product = world
    product.created_at = datetime(2026, 11, 20, 2, 0)
    assert added_on(product) == date(2026, 11, 20)
    assert retire_product(product, cadre, {"version": product.version}, TODAY) == TODAY


def test_deleting_a_retired_product_keeps_its_date_in_the_audit(db, world):
    from crm.services.enterprises.lists import delete_product

    _park, cadre, _firm, product = world
    retire_product(product, cadre, {"retired_on": "2026-10-15", "version": product.version}, TODAY)
    db.session.commit()
    delete_product(product, cadre, product.version)
    db.session.commit()
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "delete")).one()
    assert entry.changes["retired_on"] == ["2026-10-15", None]
