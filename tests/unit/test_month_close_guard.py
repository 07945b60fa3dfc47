"""Entries dated in a closed month are refused by the services themselves (so the web forms, the import
and the phones' offline sync all obey), in Chinese, naming the month and who can reopen it; nothing is
changed. After 重新结账 they are accepted again. Only admins close and reopen."""

import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from crm.models import MonthClose, ProblemEvent, SalesItem, TechItem, Visit
from crm.reporting.monthly.close import close_and_publish
from crm.services import ServiceError
from crm.services.closing.store import begin_close, reopen_month
from crm.services.enterprises.lists import (
    add_product,
    add_sales,
    add_tech,
    delete_sales,
    tick_off_tech,
    update_sales,
    update_tech,
)
from crm.services.enterprises.products import restore_product, retire_product
from crm.services.problems.flow import apply_action
from crm.services.problems.intake import raise_problem
from crm.services.visits.records import log_visit, update_visit
from tests.support.factories import make_user
from tests.support.month_close import close
from tests.support.reports import report_world

NOV_5 = date(2026, 11, 5)
OCTOBER_CLOSED = "2026年10月已月结，不能再录入该月的{}。如需更正，请联系系统管理员重新结账。"


def refused(what: str):
    return pytest.raises(ServiceError, match="^" + re.escape(OCTOBER_CLOSED.format(what)) + "$")


@pytest.fixture()
def w(db):
    """The crafted October with a sales row, a technology need solved and a product retired in it, closed."""
    world = report_world()
    f1, c1 = world.f1, world.c1
    world.tech = add_tech(f1, c1, {"kind": "demand", "title": "伺服控制算法"}, today=date(2026, 10, 5))
    tick_off_tech(world.tech, c1, date(2026, 10, 20))
    world.product = add_product(f1, c1, {"name": "永磁电机"}, today=date(2026, 10, 5))
    world.other = add_product(f1, c1, {"name": "步进电机"}, today=date(2026, 10, 5))
    for item in (world.product, world.other):
        item.created_at = datetime(2026, 10, 5, 2, 0)  # put on the list on 10-05
    retire_product(world.product, c1, {"retired_on": "2026-10-25"}, today=date(2026, 10, 25))
    world.sale = db.session.scalar(select(SalesItem).where(SalesItem.period == "2026-10"))
    world.visit = db.session.scalar(select(Visit).where(Visit.visited_on == date(2026, 10, 28)))
    db.session.commit()
    close()
    return world


def _counts(db) -> tuple:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Visit, SalesItem, ProblemEvent)
    )


def test_every_back_dated_entry_is_refused_in_chinese_and_changes_nothing(db, w):
    before = _counts(db)
    visit = {"visited_on": "2026-10-30", "kind": "onsite", "summary": "补录"}
    with refused("走访"):
        log_visit(w.f1, w.c1, visit, today=NOV_5)
    with refused("走访"):  # correcting an October visit
        update_visit(w.visit, w.officer, {"summary": "改写"}, today=NOV_5)
    november = log_visit(w.f1, w.c1, visit | {"visited_on": "2026-11-03"}, today=NOV_5)
    with refused("走访"):  # moving a November visit into October
        update_visit(
            november, w.officer, {"visited_on": "2026-10-30", "version": november.version}, today=NOV_5
        )
    with refused("销售记录"):
        add_sales(w.f1, w.c1, {"period": "2026-10", "amount": "10"}, today=NOV_5)
    with refused("销售记录"):
        update_sales(w.sale, w.c1, {"amount": "1"}, today=NOV_5)
    with refused("销售记录"):
        delete_sales(w.sale, w.c1, w.sale.version)
    with refused("技术事项解决情况"):  # reopening a need met in October
        update_tech(w.tech, w.c1, {"status": "pending"}, today=NOV_5)
    with refused("产品停产/下架"):
        restore_product(w.product, w.c1, w.product.version)
    with refused("产品停产/下架"):
        retire_product(w.other, w.c1, {"retired_on": "2026-10-30"}, today=NOV_5)
    with refused("问题"):
        data = {"title": "补报", "description": "十月的问题", "category": "other", "source": "visit"}
        raise_problem(w.f1, w.c1, data, today=date(2026, 10, 30))
    with refused("问题办理记录"):
        apply_action(w.p10, "dispatch", w.officer, {"department_id": w.dept1.id}, today=date(2026, 10, 30))
    db.session.rollback()  # as the web boundary does after a refusal
    assert _counts(db) == before
    db.session.refresh(w.sale)
    db.session.refresh(w.tech)
    assert (w.sale.amount, w.tech.status, w.product.retired_on) == (100.5, "solved", date(2026, 10, 25))
    # November's entries are accepted.
    add_sales(w.f1, w.c1, {"period": "2026-11", "amount": "10"}, today=NOV_5)
    update_tech(w.tech, w.c1, {"title": "伺服控制算法（二期）"}, today=NOV_5)  # a title is no figure
    retire_product(w.other, w.c1, {"retired_on": "2026-11-05"}, today=NOV_5)


def test_after_reopening_the_month_takes_entries_again(db, w):
    reopen_month(w.admin, "2026-10", "补录十月的销售数据")
    log_visit(w.f1, w.c1, {"visited_on": "2026-10-30", "kind": "phone", "summary": "补录"}, today=NOV_5)
    update_sales(w.sale, w.c1, {"amount": "120.50"}, today=NOV_5)
    restore_product(w.product, w.c1, w.product.version)
    db.session.commit()
    assert db.session.get(TechItem, w.tech.id).status == "solved"


def test_only_admins_close_and_reopen_and_a_reason_is_required(db, w):
    for role in ("officer", "leader", "cadre", "handler"):
        user = make_user(
            role, w.park_a if role != "handler" else None, department=w.dept1 if role == "handler" else None
        )
        with pytest.raises(ServiceError, match="只有系统管理员可以重新结账"):
            reopen_month(user, "2026-10", "原因")
        with pytest.raises(ServiceError, match="只有系统管理员可以结账"):
            begin_close("2026-09", user)
    for reason in ("", "   ", None):
        with pytest.raises(ServiceError, match="重新结账原因不能为空"):
            reopen_month(w.admin, "2026-10", reason)
    with pytest.raises(ServiceError, match="2026年9月尚未月结，无需重新结账"):
        reopen_month(w.admin, "2026-09", "原因")
    with pytest.raises(ServiceError, match="月份格式应为 YYYY-MM"):
        reopen_month(w.admin, "2026-13", "原因")
    with pytest.raises(ServiceError, match="已月结（第1版），无需再次结账"):
        close_and_publish("2026-10", w.admin, NOV_5)
    with pytest.raises(ServiceError, match="2026年11月尚未结束，不能结账"):
        close_and_publish("2026-11", w.admin, NOV_5)
    assert db.session.scalar(select(func.count(MonthClose.id))) == 1
