"""The firm's product, sales and technology lists: validation, audit and rights."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm.models import AuditLog, ProductItem, SalesItem, TechItem
from crm.services import ServiceError
from crm.services.common.validators import latest_period, parse_decimal, parse_period
from crm.services.enterprises.firm_file import sales_summary, tab_data
from crm.services.enterprises.lists import (
    add_product,
    add_sales,
    add_tech,
    delete_product,
    delete_sales,
    delete_tech,
    tick_off_tech,
    update_product,
    update_sales,
    update_tech,
)
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park, make_user


@pytest.fixture()
def park(db):
    return make_park()


@pytest.fixture()
def cadre(park):
    return make_user("cadre", park)


@pytest.fixture()
def firm(park, cadre):
    return make_enterprise(park, "湘潭电机有限公司", cadre=cadre)


def counts(db):
    """(product rows, sales rows, tech rows, audit rows) — to prove a refusal changed nothing."""
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (ProductItem, SalesItem, TechItem, AuditLog)
    )


def audits(db, firm, entity_type):
    return db.session.scalars(
        select(AuditLog)
        .where(AuditLog.enterprise_id == firm.id, AuditLog.entity_type == entity_type)
        .order_by(AuditLog.id)
    ).all()


def sale(**overrides):
    return {"period": "2026-10", "product": "电机", "market": "国家电网", "amount": "120.5"} | overrides


# ---- products


def test_add_product_normalises_and_audits(db, firm, cadre):
    data = {"name": "　永磁　同步电机 ", "capacity": "１，２００", "unit": " 台 "}
    item = add_product(firm, cadre, data | {"note": " 一期，\n\n\n\n二期 "})
    assert (item.name, item.capacity, item.unit) == ("永磁 同步电机", Decimal("1200.00"), "台")
    assert item.note == "一期，\n\n二期"  # prose keeps its line breaks and Chinese punctuation
    assert item.enterprise_id == firm.id
    (entry,) = audits(db, firm, "product_item")
    assert (entry.action, entry.entity_id, entry.actor_id) == ("create", item.id, cadre.id)
    assert entry.summary == "新增产品：永磁 同步电机"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": ""}, "产品名称不能为空"),
        ({"name": "   "}, "产品名称不能为空"),
        ({}, "产品名称不能为空"),
        ({"name": "电机", "capacity": "-1"}, "产能不能为负数"),
        ({"name": "电机", "capacity": Decimal("-0.01")}, "产能不能为负数"),
        ({"name": "电机", "capacity": "很多"}, "产能应为数字"),
        ({"name": "电机", "capacity": "NaN"}, "产能应为数字"),
        ({"name": "电机", "capacity": "1.234"}, "产能最多保留两位小数"),
        ({"name": "电机", "capacity": "1e20"}, "产能数值过大"),
        ({"name": "电" * 201}, "产品名称不能超过200字"),
        ({"name": "电机", "unit": "台" * 33}, "单位不能超过32字"),
    ],
)
def test_bad_product_is_refused_and_changes_nothing(db, firm, cadre, data, message):
    before = counts(db)
    with pytest.raises(ServiceError, match=message):
        add_product(firm, cadre, data)
    assert counts(db) == before


def test_all_errors_are_reported_at_once(db, firm, cadre):
    with pytest.raises(ServiceError) as exc:
        add_product(firm, cadre, {"name": "", "capacity": "-5"})
    assert str(exc.value) == "产品名称不能为空；产能不能为负数"


def test_update_product_records_changes_and_skips_noop(db, firm, cadre):
    item = add_product(firm, cadre, {"name": "电机", "capacity": "100"})
    changes = update_product(item, cadre, {"name": "电机", "capacity": "150", "unit": "台", "note": ""})
    assert changes == {"capacity": (Decimal("100.00"), Decimal("150.00")), "unit": (None, "台")}
    assert item.capacity == Decimal("150")
    assert update_product(item, cadre, {"name": "电机", "capacity": Decimal("150"), "unit": "台"}) == {}
    entries = audits(db, firm, "product_item")
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].summary == "修改产品：电机"
    assert entries[1].changes == {"capacity": ["100.00", "150.00"], "unit": [None, "台"]}


def test_bad_update_changes_nothing(db, firm, cadre):
    item = add_product(firm, cadre, {"name": "电机", "capacity": "100"})
    db.session.commit()
    before = counts(db)
    with pytest.raises(ServiceError, match="产能不能为负数"):
        update_product(item, cadre, {"name": "新名称", "capacity": "-1"})
    assert (item.name, item.capacity) == ("电机", Decimal("100"))
    assert not db.session.dirty
    assert counts(db) == before


def test_delete_product_keeps_a_snapshot_in_the_audit(db, firm, cadre):
    item = add_product(firm, cadre, {"name": "电机", "capacity": "100", "unit": "台"})
    item_id = item.id
    delete_product(item, cadre)
    assert db.session.get(ProductItem, item_id) is None
    entry = audits(db, firm, "product_item")[-1]
    assert (entry.action, entry.entity_id, entry.summary) == ("delete", item_id, "删除产品：电机")
    assert entry.changes == {"name": ["电机", None], "capacity": ["100.00", None], "unit": ["台", None]}


# ---- sales


@pytest.mark.parametrize("period", ["2026-13", "2026-00", "2026-1", "26-01", "abc", "2026/10", "2026-10-01"])
def test_unreal_periods_are_refused(db, firm, cadre, period):
    before = counts(db)
    with pytest.raises(ServiceError, match="销售期间应为YYYY-MM格式的真实月份"):
        add_sales(firm, cadre, sale(period=period), today=TODAY)
    assert counts(db) == before


@pytest.mark.parametrize("period", ["1999-12", "2027-12", "2099-01"])
def test_periods_out_of_range_are_refused(db, firm, cadre, period):
    before = counts(db)
    with pytest.raises(ServiceError, match="销售期间应在 2000-01 至 2027-11 之间"):
        add_sales(firm, cadre, sale(period=period), today=TODAY)
    assert counts(db) == before


@pytest.mark.parametrize("period", ["2000-01", "2026-11", "2027-11", "２０２６－１０"])
def test_periods_in_range_are_accepted(db, firm, cadre, period):
    item = add_sales(firm, cadre, sale(period=period), today=TODAY)
    assert len(item.period) == 7 and item.period[4] == "-"


def test_latest_period_wraps_the_year():
    assert latest_period(date(2026, 1, 31)) == "2027-01"
    assert latest_period(date(2026, 12, 1)) == "2027-12"
    assert parse_period(" 2027-12 ", date(2026, 12, 1)) == "2027-12"


@pytest.mark.parametrize(
    "data, message",
    [
        (sale(amount="-0.5"), "销售金额不能为负数"),
        (sale(amount=""), "销售金额不能为空"),
        (sale(amount=None), "销售金额不能为空"),
        (sale(amount="十万"), "销售金额应为数字"),
        (sale(quantity="-3"), "数量不能为负数"),
        (sale(period=""), "销售期间不能为空"),
        (sale(market="客" * 201), "市场/客户不能超过200字"),
    ],
)
def test_bad_sales_are_refused_and_change_nothing(db, firm, cadre, data, message):
    before = counts(db)
    with pytest.raises(ServiceError, match=message):
        add_sales(firm, cadre, data, today=TODAY)
    assert counts(db) == before


def test_sales_numbers_from_any_type(db, firm, cadre):
    item = add_sales(firm, cadre, sale(amount=Decimal("12.3"), quantity=7), today=TODAY)
    assert (item.amount, item.quantity) == (Decimal("12.30"), Decimal("7.00"))
    assert add_sales(firm, cadre, sale(amount=0.1), today=TODAY).amount == Decimal("0.10")
    assert add_sales(firm, cadre, sale(amount="1,234.50"), today=TODAY).amount == Decimal("1234.50")
    assert parse_decimal(None, "数量") is None and parse_decimal(" ", "数量") is None
    with pytest.raises(ServiceError, match="数量应为数字"):
        parse_decimal(True, "数量")


def test_update_sales_audits_changes(db, firm, cadre):
    item = add_sales(firm, cadre, sale(), today=TODAY)
    changes = update_sales(item, cadre, {"amount": "130", "period": "2026-09"}, today=TODAY)
    assert changes == {"amount": (Decimal("120.50"), Decimal("130.00")), "period": ("2026-10", "2026-09")}
    entry = audits(db, firm, "sales_item")[-1]
    assert entry.summary == "修改销售：2026-09 电机 130万元"
    assert entry.changes == {"amount": ["120.50", "130.00"], "period": ["2026-10", "2026-09"]}
    with pytest.raises(ServiceError, match="销售期间应为YYYY-MM格式的真实月份"):
        update_sales(item, cadre, {"period": "2026-13"}, today=TODAY)
    assert item.period == "2026-09"


def test_delete_sales(db, firm, cadre):
    item = add_sales(firm, cadre, sale(), today=TODAY)
    delete_sales(item, cadre)
    assert db.session.scalar(select(func.count(SalesItem.id))) == 0
    assert audits(db, firm, "sales_item")[-1].summary == "删除销售：2026-10 电机 120.5万元"


def test_sales_summary_totals_per_period(db, firm, cadre):
    for period, amount in [("2026-09", "30"), ("2026-10", "100"), ("2026-10", "20.5"), ("2025-12", "0")]:
        add_sales(firm, cadre, sale(period=period, amount=amount), today=TODAY)
    summary = sales_summary(list(db.session.scalars(select(SalesItem))))
    assert list(summary) == ["2026-10", "2026-09", "2025-12"]
    assert summary["2026-10"] == {"count": 2, "amount": Decimal("120.5")}
    assert summary["2025-12"] == {"count": 1, "amount": Decimal("0")}
    data = tab_data("sales", firm, cadre)
    assert data["sales_total"] == Decimal("150.5")
    assert [s.period for s in data["sales"]] == ["2026-10", "2026-10", "2026-09", "2025-12"]


def test_sales_summary_of_no_rows_is_empty(db, firm, cadre):
    data = tab_data("sales", firm, cadre)
    assert (list(data["sales"]), dict(data["sales_summary"]), data["sales_total"]) == ([], {}, 0)


# ---- technology


def test_add_tech_defaults_to_pending(db, firm, cadre):
    item = add_tech(firm, cadre, {"kind": "demand", "title": "电机能效提升", "partner": "湘潭大学"})
    assert (item.status, item.status_label, item.solved_on) == ("pending", "待对接", None)
    assert audits(db, firm, "tech_item")[0].summary == "新增技术：【技术需求】电机能效提升"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "wish", "title": "x"}, "技术类型取值无效"),
        ({"kind": "", "title": "x"}, "请选择技术类型"),
        ({"kind": "demand", "title": "x", "status": "done"}, "对接状态取值无效"),
        ({"kind": "demand", "title": ""}, "名称不能为空"),
    ],
)
def test_bad_tech_is_refused_and_changes_nothing(db, firm, cadre, data, message):
    before = counts(db)
    with pytest.raises(ServiceError, match=message):
        add_tech(firm, cadre, data)
    assert counts(db) == before


def test_tick_off_sets_status_and_date(db, firm, cadre):
    item = add_tech(firm, cadre, {"kind": "patent", "title": "一种电机"})
    tick_off_tech(item, cadre, TODAY)
    assert (item.status, item.solved_on) == ("solved", TODAY)
    entry = audits(db, firm, "tech_item")[-1]
    assert (entry.action, entry.summary) == ("solve", "技术已解决：【专利】一种电机")
    assert entry.changes == {"status": ["pending", "solved"], "solved_on": [None, "2026-11-02"]}
    before = counts(db)
    with pytest.raises(ServiceError, match="已标记为已解决"):
        tick_off_tech(item, cadre, date(2026, 11, 3))
    assert item.solved_on == TODAY and counts(db) == before


def test_status_change_by_edit_keeps_solved_on_consistent(db, firm, cadre):
    item = add_tech(firm, cadre, {"kind": "project", "title": "研发"})
    changes = update_tech(item, cadre, {"status": "solved"}, today=TODAY)
    assert changes == {"status": ("pending", "solved"), "solved_on": (None, TODAY)}
    changes = update_tech(item, cadre, {"status": "matching"}, today=TODAY)
    assert changes == {"status": ("solved", "matching"), "solved_on": (TODAY, None)}
    solved = add_tech(firm, cadre, {"kind": "achievement", "title": "成果", "status": "solved"}, TODAY)
    assert solved.solved_on == TODAY


def test_delete_tech(db, firm, cadre):
    item = add_tech(firm, cadre, {"kind": "demand", "title": "需求"})
    delete_tech(item, cadre)
    assert db.session.scalar(select(func.count(TechItem.id))) == 0
    assert audits(db, firm, "tech_item")[-1].action == "delete"


# ---- rights


def test_officer_of_the_park_may_edit(db, park, firm):
    officer = make_user("officer", park)
    item = add_product(firm, officer, {"name": "电机"})
    assert update_product(item, officer, {"name": "新电机"}) == {"name": ("电机", "新电机")}


@pytest.mark.parametrize("role", ["handler", "leader", "other_park_officer", "other_cadre"])
def test_others_are_refused_by_the_service(db, park, firm, cadre, role):
    product = add_product(firm, cadre, {"name": "电机"})
    sales = add_sales(firm, cadre, sale(), today=TODAY)
    tech = add_tech(firm, cadre, {"kind": "demand", "title": "需求"})
    db.session.commit()
    actor = {
        "handler": lambda: make_user("handler", park),
        "leader": lambda: make_user("leader", park),
        "other_park_officer": lambda: make_user("officer", make_park()),
        "other_cadre": lambda: make_user("cadre", park),
    }[role]()
    before = counts(db)
    calls = [
        lambda: add_product(firm, actor, {"name": "x"}),
        lambda: update_product(product, actor, {"name": "x"}),
        lambda: delete_product(product, actor),
        lambda: add_sales(firm, actor, sale(), today=TODAY),
        lambda: update_sales(sales, actor, {"amount": "1"}, today=TODAY),
        lambda: delete_sales(sales, actor),
        lambda: add_tech(firm, actor, {"kind": "demand", "title": "x"}),
        lambda: update_tech(tech, actor, {"title": "x"}),
        lambda: delete_tech(tech, actor),
        lambda: tick_off_tech(tech, actor, TODAY),
    ]
    for call in calls:
        with pytest.raises(ServiceError, match="没有编辑该企业清单的权限"):
            call()
    assert counts(db) == before
    assert (product.name, sales.amount, tech.status) == ("电机", Decimal("120.5"), "pending")
