"""A crafted autumn of 四张清单 for two parks: items dated on the edges of months, with every figure of
September, October and November 2026 (November runs to TODAY, 11-02) worked out by hand in EXPECTED.

Times are naive UTC as stored; Beijing is UTC+8, so 2026-09-30 16:30 UTC is 10-01 00:30 in Beijing.

甲园区 (park A)
  f1 湘潭电机有限公司 (cadre c1)
    products  P1 put on 08-15                         active throughout
              P2 put on 10-01 00:30 Beijing            added in October (the UTC date is 09-30)
              P3 put on 10-31 23:59 Beijing            added in October
              P4 put on 11-01 00:00 Beijing            added in November (the UTC date is 10-31)
              P5 put on 07-01, retired 10-31           retired in October, active at September's end
              P6 put on 07-01, retired 11-01           active at October's end, retired in November
              P7 put on 07-01, retired 09-30           retired in September
    sales     2026-09: 100.00 + 20.50;  2026-10: 150.25;  2026-11: none yet
    tech      T1 demand put on 09-10, solved 10-31;  T2 demand put on 10-05, pending;
              T3 demand put on 10-20, solved 11-01;  T4 an achievement put on 10-10 (not a need)
    problems  Q1 raised 09-20, closed 10-01;  Q2 raised 10-31, open;  Q3 raised 10-01, closed 10-31;
              Q4 raised 08-03, closed 09-30
  f2 安源化工有限公司: sales of 80.00 in September only
  f3 白石机械有限公司: nothing at all
乙园区 (park B)
  g1 乙园区新材料有限公司: one product put on 10-15
"""

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

from crm.extensions import db
from crm.models import Problem, ProductItem, SalesItem, TechItem
from tests.support.factories import make_chain, make_department, make_enterprise, make_park, make_user
from tests.support.problems import make_problem


def _at(*parts: int) -> datetime:
    return datetime(*parts)


def _noon(day: date) -> datetime:
    """An office-hours timestamp (UTC) of the Beijing day."""
    return datetime(day.year, day.month, day.day, 3, 0)


# {firm: {month: figures}}; a month missing means the firm has no row that month.
EXPECTED = {
    "f1": {
        "2026-09": dict(
            products=3,  # P1 P5 P6
            products_added=0,
            products_retired=1,  # P7
            sales_amount=Decimal("120.50"),
            tech_open=1,  # T1
            tech_opened=1,
            tech_met=0,
            problems_open=1,  # Q1
            problems_opened=1,
            problems_closed=1,  # Q4
        ),
        "2026-10": dict(
            products=4,  # P1 P2 P3 P6
            products_added=2,  # P2 P3
            products_retired=1,  # P5
            sales_amount=Decimal("150.25"),
            tech_open=2,  # T2 T3
            tech_opened=2,
            tech_met=1,  # T1
            problems_open=1,  # Q2
            problems_opened=2,  # Q2 Q3
            problems_closed=2,  # Q1 Q3
        ),
        "2026-11": dict(
            products=4,  # P1 P2 P3 P4
            products_added=1,  # P4
            products_retired=1,  # P6
            sales_amount=Decimal(0),
            tech_open=1,  # T2
            tech_opened=0,
            tech_met=1,  # T3
            problems_open=1,  # Q2
            problems_opened=0,
            problems_closed=0,
        ),
    },
    "f2": {"2026-09": dict(sales_amount=Decimal("80.00"))},
    "g1": {
        "2026-10": dict(products=1, products_added=1),
        "2026-11": dict(products=1),
    },
}


def list_world() -> SimpleNamespace:
    """Build the story (flushes; the caller commits)."""
    w = SimpleNamespace()
    w.park_a, w.park_b = make_park("LA", "甲园区"), make_park("LB", "乙园区")
    w.chain = make_chain("装备制造")
    w.dept = make_department("税务局")
    w.officer = make_user("officer", w.park_a, username="lists_officer")
    w.c1 = make_user("cadre", w.park_a, username="lists_cadre")
    w.f1 = make_enterprise(
        w.park_a, "湘潭电机有限公司", cadre=w.c1, chain=w.chain, assigned_by=w.officer, today=date(2026, 6, 1)
    )
    w.f2 = make_enterprise(w.park_a, "安源化工有限公司")
    w.f3 = make_enterprise(w.park_a, "白石机械有限公司")
    w.g1 = make_enterprise(w.park_b, "乙园区新材料有限公司")
    for firm in (w.f1, w.f2, w.f3, w.g1):
        firm.created_at = _at(2026, 6, 1, 2, 0)
    f1 = w.f1.id
    products = [
        ("P1", _noon(date(2026, 8, 15)), None),
        ("P2", _at(2026, 9, 30, 16, 30), None),
        ("P3", _at(2026, 10, 31, 15, 59), None),
        ("P4", _at(2026, 10, 31, 16, 0), None),
        ("P5", _noon(date(2026, 7, 1)), date(2026, 10, 31)),
        ("P6", _noon(date(2026, 7, 1)), date(2026, 11, 1)),
        ("P7", _noon(date(2026, 7, 1)), date(2026, 9, 30)),
    ]
    w.products = {
        name: ProductItem(enterprise_id=f1, name=name, created_at=at, retired_on=retired)
        for name, at, retired in products
    }
    w.products["G1"] = ProductItem(enterprise_id=w.g1.id, name="G1", created_at=_noon(date(2026, 10, 15)))
    db.session.add_all(w.products.values())
    db.session.add_all(
        [
            SalesItem(enterprise_id=f1, period="2026-09", amount=Decimal("100.00")),
            SalesItem(enterprise_id=f1, period="2026-09", amount=Decimal("20.50")),
            SalesItem(enterprise_id=f1, period="2026-10", amount=Decimal("150.25")),
            SalesItem(enterprise_id=w.f2.id, period="2026-09", amount=Decimal("80.00")),
        ]
    )
    tech = [
        ("T1", "demand", date(2026, 9, 10), date(2026, 10, 31)),
        ("T2", "demand", date(2026, 10, 5), None),
        ("T3", "demand", date(2026, 10, 20), date(2026, 11, 1)),
        ("T4", "achievement", date(2026, 10, 10), None),
    ]
    db.session.add_all(
        [
            TechItem(
                enterprise_id=f1,
                kind=kind,
                title=title,
                status="solved" if solved else "pending",
                solved_on=solved,
                created_at=_noon(put),
            )
            for title, kind, put, solved in tech
        ]
    )
    w.problems = {
        "Q1": make_problem(w.f1, w.c1, "closed", w.dept, raised_on=date(2026, 9, 20), on=date(2026, 10, 1)),
        "Q2": make_problem(w.f1, w.c1, "new", raised_on=date(2026, 10, 31)),
        "Q3": make_problem(w.f1, w.c1, "closed", w.dept, raised_on=date(2026, 10, 1), on=date(2026, 10, 31)),
        "Q4": make_problem(w.f1, w.c1, "closed", w.dept, raised_on=date(2026, 8, 3), on=date(2026, 9, 30)),
    }
    db.session.flush()
    assert [w.problems[q].closed_on for q in ("Q1", "Q3", "Q4")] == [
        date(2026, 10, 1),
        date(2026, 10, 31),
        date(2026, 9, 30),
    ], "the workflow closes a problem on the day of its evaluation"
    assert all(isinstance(p, Problem) for p in w.problems.values())
    return w
