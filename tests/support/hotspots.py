"""A small fixed world for 热点分析: two parks, two chains, two departments, problems in September and
October 2026 (the month under test), earlier problems for the repeat rule, a 重办 and case answers.

    甲园区: f1 (装备制造), f2 (医药化工)      乙园区: f3 (装备制造)
    供电公司 (D1) and 人社局 (D2) serve every park.

September (last month): s1 f1 融资 "贷款融资困难", s2 f2 融资 "融资担保", s3 f3 用工 "招工难".
October:
    o1 f1 水电气要素 "用电增容" 10-12, D1 dispatched 10-12, resolved 10-16, 不满意 10-19 (重办), resolved
       10-21 → 7 working days; a repeat of e1 (f1 水电气要素 resolved 08-10: 63 days).
    o2 f2 技术 "技术改造研发合作" 10-13, answered from cp (a published 典型案例).
    o3 f2 用地 "用地指标" 10-12, D2 dispatched 10-12, resolved 10-23 → 9 working days, satisfied 10-26;
       e2 (f2 用地 resolved 07-13) is 91 days before: no repeat.
    o4 f3 水电气要素 "用电增容变电" 10-12, D1 dispatched 10-13, resolved 10-15 → 2 working days; a repeat of
       e3 (f3 水电气要素 resolved 07-14: 90 days).
    o5 f3 融资 "融资贷款" 10-20, answered from s1 (a past problem, no case).
    o6 f1 融资 "贷款融资难，贷款利率高" 10-14 (贷款 twice: counted once).
"""

from datetime import date
from types import SimpleNamespace

from crm.extensions import db
from crm.models import Problem
from crm.models.knowledge import TypicalCase
from crm.services.problems.intake import raise_problem
from tests.support.factories import make_chain, make_department, make_enterprise, make_park, make_user
from tests.support.problems import step


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def raise_on(firm, cadre, title: str, category: str, on: date) -> Problem:
    """A problem of firm raised by cadre on a given day (its description repeats the title)."""
    problem = raise_problem(
        firm,
        cadre,
        {
            "title": title,
            "description": f"{title}。",
            "category": category,
            "urgency": "normal",
            "source": "visit",
        },
        today=on,
    )
    db.session.flush()
    return problem


def _done(p: Problem, officer, dept, handler, dispatched: date, resolved: date) -> Problem:
    step(p, "dispatch", officer, dispatched, department_id=dept.id)
    step(p, "accept", handler, dispatched)
    step(p, "resolve", handler, resolved, note="已协调解决")
    return p


def hotspot_world() -> SimpleNamespace:
    """The world above, committed."""
    w = SimpleNamespace()
    w.park_a, w.park_b = make_park(name="甲园区"), make_park(name="乙园区")
    w.c1, w.c2 = make_chain("装备制造"), make_chain("医药化工")
    w.d1, w.d2 = make_department("供电公司"), make_department("人社局")
    w.officer_a, w.officer_b = make_user("officer", w.park_a), make_user("officer", w.park_b)
    w.cadre_a, w.cadre_b = make_user("cadre", w.park_a), make_user("cadre", w.park_b)
    w.h1 = make_user("handler", w.park_a, department=w.d1)
    w.h2 = make_user("handler", w.park_a, department=w.d2)
    w.leader = make_user("leader")  # city-wide
    w.park_leader = make_user("leader", w.park_a)
    w.admin = make_user("admin")
    w.f1 = make_enterprise(w.park_a, "甲一机械有限公司", cadre=w.cadre_a, chain=w.c1, assigned_by=w.admin)
    w.f2 = make_enterprise(w.park_a, "甲二制药有限公司", cadre=w.cadre_a, chain=w.c2, assigned_by=w.admin)
    w.f3 = make_enterprise(w.park_b, "乙三装备有限公司", cadre=w.cadre_b, chain=w.c1, assigned_by=w.admin)
    # Earlier problems: the repeat rule's, and the published case.
    w.e1 = _done(
        raise_on(w.f1, w.cadre_a, "供电容量不足", "utilities", d(8, 3)),
        w.officer_a,
        w.d1,
        w.h1,
        d(8, 3),
        d(8, 10),
    )
    w.e2 = _done(
        raise_on(w.f2, w.cadre_a, "厂房用地", "land", d(7, 1)), w.officer_a, w.d2, w.h2, d(7, 1), d(7, 13)
    )
    w.e3 = _done(
        raise_on(w.f3, w.cadre_b, "电压不稳", "utilities", d(7, 1)),
        w.officer_b,
        w.d1,
        w.h1,
        d(7, 1),
        d(7, 14),
    )
    w.cp = _done(
        raise_on(w.f3, w.cadre_b, "研发合作对接", "technology", d(3, 2)),
        w.officer_b,
        w.d2,
        w.h2,
        d(3, 2),
        d(3, 6),
    )
    db.session.add(
        TypicalCase(
            problem_id=w.cp.id,
            park_id=w.park_b.id,
            category="technology",
            title="研发合作对接",
            summary="已对接高校",
        )
    )
    # September.
    w.s1 = raise_on(w.f1, w.cadre_a, "贷款融资困难", "finance", d(9, 8))
    w.s2 = raise_on(w.f2, w.cadre_a, "融资担保", "finance", d(9, 9))
    w.s3 = raise_on(w.f3, w.cadre_b, "招工难", "labour", d(9, 10))
    # October.
    w.o1 = _done(
        raise_on(w.f1, w.cadre_a, "用电增容", "utilities", d(10, 12)),
        w.officer_a,
        w.d1,
        w.h1,
        d(10, 12),
        d(10, 16),
    )
    step(w.o1, "evaluate", w.cadre_a, d(10, 19), evaluation="unsatisfied", note="企业不满意")
    step(w.o1, "resolve", w.h1, d(10, 21), note="已再次协调")
    w.o2 = raise_on(w.f2, w.cadre_a, "技术改造研发合作", "technology", d(10, 13))
    w.o2.answered_from_id = w.cp.id
    w.o3 = _done(
        raise_on(w.f2, w.cadre_a, "用地指标", "land", d(10, 12)),
        w.officer_a,
        w.d2,
        w.h2,
        d(10, 12),
        d(10, 23),
    )
    step(w.o3, "evaluate", w.cadre_a, d(10, 26), evaluation="satisfied", note="满意")
    w.o4 = _done(
        raise_on(w.f3, w.cadre_b, "用电增容变电", "utilities", d(10, 12)),
        w.officer_b,
        w.d1,
        w.h1,
        d(10, 13),
        d(10, 15),
    )
    w.o5 = raise_on(w.f3, w.cadre_b, "融资贷款", "finance", d(10, 20))
    w.o5.answered_from_id = w.s1.id
    w.o6 = raise_on(w.f1, w.cadre_a, "贷款融资难，贷款利率高", "finance", d(10, 14))
    db.session.commit()
    return w
