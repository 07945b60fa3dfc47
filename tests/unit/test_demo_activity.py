"""The demo park's visits and lists: realistic (cadence mix, four kinds, lists), deterministic."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm.demo.park import load_demo
from crm.models import (
    Assignment,
    AuditLog,
    Enterprise,
    ProductItem,
    SalesItem,
    TechItem,
    User,
    Visit,
)
from crm.permissions import can
from crm.services.visits.coverage import coverage_report, my_firms
from crm.timeutil import to_local
from tests.support.dates import TODAY


@pytest.fixture()
def demo(db):
    started = time.perf_counter()
    summary = load_demo(TODAY)
    elapsed = time.perf_counter() - started
    db.session.commit()
    return summary, elapsed


def _visits(db) -> list[Visit]:
    return list(db.session.scalars(select(Visit).order_by(Visit.id)))


def test_demo_logs_visits_of_every_kind_over_three_months(db, demo):
    summary, elapsed = demo
    visits = _visits(db)
    assert summary["visits"] == len(visits) >= 400
    if db.engine.dialect.name == "sqlite":  # `make run`'s database; about 3 s here, PostgreSQL ~2-3x
        assert elapsed < 10, f"demo took {elapsed:.1f} s"
    assert {v.kind for v in visits} == {"onsite", "phone", "online", "forum"}
    days = [v.visited_on for v in visits]
    assert min(days) >= TODAY - timedelta(days=90) and max(days) <= TODAY
    assert (TODAY - min(days)).days >= 80  # about three months of history
    assert all(d.weekday() < 5 for d in days)  # office days
    for v in visits:
        assert v.summary and "{" not in v.summary and "}" not in v.summary
        assert any("\u4e00" <= ch <= "\u9fff" for ch in v.summary)
        assert v.participants
    assert sum(1 for v in visits if v.findings) >= 20
    assert len({v.summary for v in visits}) >= 40  # not one sentence repeated


def test_every_visit_is_by_the_liaison_of_that_day_or_the_park_office(db, demo):
    history: dict[int, list[Assignment]] = {}
    for row in db.session.scalars(select(Assignment)):
        history.setdefault(row.enterprise_id, []).append(row)
    for v in _visits(db):
        if v.cadre.role == "officer":
            assert v.kind == "forum"
            continue
        serving = [
            a
            for a in history[v.enterprise_id]
            if a.start_on <= v.visited_on and (a.end_on is None or v.visited_on < a.end_on)
        ]
        assert [a.cadre_id for a in serving] == [v.cadre_id], (v, serving)


def test_cadence_is_a_realistic_mix(db, demo):
    rows = [
        row
        for cadre in db.session.scalars(select(User).where(User.role == "cadre"))
        for row in my_firms(cadre, TODAY)
        if row.contact is not None
    ]
    contact = Counter(r.contact.status for r in rows)
    never = [r for r in rows if r.last_visit is None]
    assert contact["ok"] > len(rows) / 2, contact
    assert contact["soon"] >= 3 and contact["overdue"] >= 5, contact
    assert 2 <= len(never) <= 4
    assert sum(r.onsite.status == "ok" for r in rows) > len(rows) / 2
    # Every cadre has work on the page, and not all of it is red.
    officer = db.session.scalar(select(User).where(User.username == "officer"))
    report = coverage_report(officer, TODAY)
    assert all(c.firms > 0 for c in report.cadres)
    assert 0 < report.totals.contact_overdue < report.totals.firms / 2
    assert report.totals.onsite_month > 0


def test_handed_over_firms_got_their_first_visit_from_the_successor(db, demo):
    rows = db.session.scalars(select(Assignment).where(Assignment.handover_id.is_not(None))).all()
    assert rows
    for row in rows:
        onsite = db.session.scalar(
            select(func.min(Visit.visited_on)).where(
                Visit.enterprise_id == row.enterprise_id,
                Visit.kind == "onsite",
                Visit.visited_on >= row.start_on,
                Visit.cadre_id == row.cadre_id,
            )
        )
        if row.enterprise.status == "active":
            assert onsite is not None and onsite <= row.first_visit_due_on


def test_demo_fills_the_three_lists(db, demo):
    summary, _ = demo
    firms = db.session.scalar(select(func.count(Enterprise.id)))

    def firms_with(model) -> int:
        return db.session.scalar(select(func.count(func.distinct(model.enterprise_id))))

    assert firms_with(ProductItem) >= firms * 0.6
    assert firms_with(SalesItem) >= firms * 0.3
    assert firms_with(TechItem) >= firms * 0.2
    assert summary["products"] == db.session.scalar(select(func.count(ProductItem.id)))
    periods = set(db.session.scalars(select(SalesItem.period)))
    assert periods == {f"2026-{m:02d}" for m in range(5, 11)}  # the six months before November
    assert db.session.scalar(select(func.min(SalesItem.amount))) > 0
    tech = db.session.scalars(select(TechItem)).all()
    assert {t.status for t in tech} == {"pending", "matching", "solved"}
    assert all((t.solved_on is not None) == (t.status == "solved") for t in tech)
    assert all(t.solved_on <= TODAY for t in tech if t.solved_on)
    # Some items were added in the visit form, as a cadre does on site.
    assert (
        db.session.scalar(
            select(func.count(AuditLog.id)).where(
                AuditLog.entity_type == "visit", AuditLog.summary.contains("并添加")
            )
        )
        >= 3
    )


def test_history_is_dated_when_it_happened(db, demo):
    visits = _visits(db)
    assert all(to_local(v.created_at).date() == v.visited_on for v in visits)
    audit = {
        row.entity_id: row
        for row in db.session.scalars(select(AuditLog).where(AuditLog.entity_type == "visit"))
    }
    assert all(to_local(audit[v.id].at).date() == v.visited_on for v in visits)
    # so the author's correction window is over for old demo visits, as it would be in real life
    old = next(v for v in visits if v.cadre.role == "cadre" and (TODAY - v.visited_on).days > 30)
    assert not can(old.cadre, "visit.edit", old)
    first = db.session.scalar(select(func.min(AuditLog.at)).where(AuditLog.entity_type == "assignment"))
    assert to_local(first).date() < TODAY - timedelta(days=100)
    # every list item was added by someone serving the firm on the day it is dated (or the park office)
    serving = {
        (a.enterprise_id, a.cadre_id, a.start_on, a.end_on) for a in db.session.scalars(select(Assignment))
    }
    entities = {"product_item": ProductItem, "sales_item": SalesItem, "tech_item": TechItem}
    created = db.session.scalars(
        select(AuditLog).where(AuditLog.entity_type.in_(entities), AuditLog.action == "create")
    ).all()
    assert len(created) > 100
    for row in created:
        item = db.session.get(entities[row.entity_type], row.entity_id)
        day = to_local(item.created_at).date()
        assert day <= TODAY and to_local(row.at).date() == day
        if row.actor.role == "cadre":
            assert any(
                f == item.enterprise_id and c == row.actor_id and s <= day and (e is None or day < e)
                for f, c, s, e in serving
            ), (row.entity_type, item.id, day)
        if isinstance(item, TechItem) and item.solved_on:
            assert item.solved_on >= day


def _fingerprint(db) -> list[tuple]:
    rows = db.session.execute(
        select(Enterprise.credit_code, Visit.visited_on, Visit.kind, Visit.summary, User.username)
        .join(Visit, Visit.enterprise_id == Enterprise.id)
        .join(User, User.id == Visit.cadre_id)
        .order_by(Enterprise.credit_code, Visit.visited_on, Visit.kind)
    ).all()
    items = db.session.execute(
        select(SalesItem.period, SalesItem.amount).order_by(SalesItem.period, SalesItem.amount)
    ).all()
    return [tuple(r) for r in rows] + [tuple(r) for r in items]


def test_demo_is_deterministic_for_a_given_today(db):
    load_demo(TODAY)
    first = _fingerprint(db)
    db.session.rollback()
    load_demo(TODAY)
    assert _fingerprint(db) == first
    db.session.rollback()
    load_demo(TODAY + timedelta(days=7))
    assert _fingerprint(db) != first


def test_demo_retires_some_products_and_their_sales_stop(db, demo):
    """停产/下架 through the service: some products stopped weeks ago; nothing is sold after that month."""
    retired = db.session.scalars(select(ProductItem).where(ProductItem.retired_on.is_not(None))).all()
    assert len(retired) >= 2
    for item in retired:
        assert to_local(item.created_at).date() <= item.retired_on < TODAY
        entry = db.session.scalars(
            select(AuditLog).where(
                AuditLog.entity_type == "product_item",
                AuditLog.entity_id == item.id,
                AuditLog.action == "retire",
            )
        ).one()
        assert to_local(entry.at).date() == item.retired_on and "原因" in entry.summary
        sold = db.session.scalars(
            select(SalesItem.period).where(
                SalesItem.enterprise_id == item.enterprise_id, SalesItem.product == item.name
            )
        ).all()
        assert all(period <= f"{item.retired_on:%Y-%m}" for period in sold), item.name
