"""A crafted October 2026 for the monthly report: two parks, firms, visits and problems in real states.

Everything happens in date order through the real services (assignments, raise_problem, apply_action),
so the event history is what production would hold. The expected figures for park A (甲园区) are worked
out by hand in EXPECTED and checked independently against the database by the tests.

Problems of park A (dept1 税务局 and dept2 供电公司 are city-level departments):
  P1 f1  raised 09-10 by c1 → 税务局, resolved 10-09 (late, due 09-23), 满意 10-12 → closed (carried)
  P2 f2  raised 09-20 by c1 → 税务局, signed, feedback; 督办 10-14, 提级 10-16 (→2), 提级 11-02 (→3):
         open and red at month end (carried)
  P3 f3  raised 10-08 by c2 → 税务局 退回 10-09 → 改派 供电公司 10-10, signed late 10-13, 延期 7 days
         approved 10-19 (due 11-03), progress 10-20: open and yellow at month end
  P4 f1  raised 10-12 by c1, solved on the spot, 满意 10-13 → closed (no limit)
  P5 f4  raised 10-20 by c2 → 供电公司, signed 10-21, no feedback (due 10-23): red at month end;
         resolved 11-02 (so its row must be replayed)
  P6 f2  raised 10-08 by the officer → 税务局, signed 10-09, resolved 10-15, 不满意 10-16 (重办),
         resolved 10-26 (due 10-30, on time), 基本满意 10-28 → closed
  P7 f4  raised 11-01 (outside October);  P8 f1 closed 09-30 (outside October)
  P10 f3 raised 10-20 by c1 (after the reassignment): 待交办, green
  P9 is park B's (乙园区), dispatched to 税务局 10-15.
"""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from crm.extensions import db
from crm.models import SalesItem
from crm.services.assignments.operations import assign_enterprise
from crm.services.problems.flow import apply_action
from crm.services.problems.intake import raise_problem
from tests.support.factories import make_chain, make_department, make_enterprise, make_park, make_user
from tests.support.visits import make_visit

HYPERLINK = '=HYPERLINK("http://x","y")'
SEPT_1 = date(2026, 9, 1)

# Park A, October 2026, worked out by hand from the story above.
EXPECTED = {
    "firms_served": 4,  # f1 f2 f3 (c1), f4 (c2); f5 unassigned, f6 停产, f7 assigned in November
    "cadres": 2,
    "contacted": 3,  # f1 f2 f3
    "visited": 2,  # f1 f3
    "visits": 6,
    "onsite": 4,
    "phone": 2,
    "carried": 2,
    "new": 5,
    "closed": 3,
    "open_end": 4,
    "overdue": 2,
    "resolved": 2,
    "on_time": 1,
    "evaluations": 4,
    "satisfied": 3,
    "escalations": 1,
    "supervisions": 1,
}


def _d(month: int, day: int) -> date:
    return date(2026, month, day)


def _raise(firm, actor, title: str, on: date, category: str = "utilities"):
    data = {"title": title, "description": f"{title}的详细情况", "category": category, "urgency": "normal"}
    return raise_problem(firm, actor, data | {"source": "visit"}, today=on)


def _step(problem, action: str, actor, on: date, **data):
    return apply_action(problem, action, actor, data, today=on)


def report_world() -> SimpleNamespace:
    """Build the crafted month (commits nothing; the caller commits if a live server needs it)."""
    w = SimpleNamespace()
    w.park_a, w.park_b = make_park("A", "甲园区"), make_park("B", "乙园区")
    w.chain1, w.chain2 = make_chain("装备制造"), make_chain("医药化工")
    w.dept1, w.dept2 = make_department("税务局"), make_department("供电公司")
    w.admin = make_user("admin", username="admin")
    w.leader = make_user("leader", username="leader", name="城区领导")  # city-wide
    w.leader.leader_level = 4
    w.leader_a = make_user("leader", w.park_a, username="leader_a", name="甲园区领导")
    w.leader_a.leader_level = 3
    w.officer = make_user("officer", w.park_a, username="officer_a", name="周管理")
    w.officer_b = make_user("officer", w.park_b, username="officer_b")
    w.c1 = make_user("cadre", w.park_a, username="cadre_a", name="张一")
    w.c2 = make_user("cadre", w.park_a, username="cadre_a2", name="李二")
    w.c3 = make_user("cadre", w.park_a, username="cadre_a3", name="王三")
    w.cadre_b = make_user("cadre", w.park_b, username="cadre_b", name="赵乙")
    w.h1 = make_user("handler", username="handler_1", name="税务经办", department=w.dept1)
    w.h2 = make_user("handler", username="handler_2", name="供电经办", department=w.dept2)

    def firm(name, cadre=None, park=None, on=SEPT_1, **fields):
        park = park or w.park_a
        officer = w.officer if park is w.park_a else w.officer_b
        return make_enterprise(park, name, cadre=cadre, assigned_by=officer, today=on, **fields)

    w.f1 = firm("甲一电机有限公司", w.c1, chain=w.chain1, is_key=True)
    w.f2 = firm(HYPERLINK, w.c1, chain=w.chain1)
    w.f3 = firm("甲三制药有限公司", w.c2, chain=w.chain2)
    w.f4 = firm("甲四食品有限公司", w.c2)
    w.f5 = firm("甲五未分配有限公司")
    w.f6 = firm("甲六停产有限公司", w.c2, status="suspended")
    w.fb1 = firm("乙一物流有限公司", w.cadre_b, park=w.park_b)

    visits = [
        (w.f1, w.c1, _d(9, 28), "phone"),
        (w.f1, w.c1, _d(10, 9), "onsite"),
        (w.f1, w.c1, _d(10, 28), "phone"),
        (w.f1, w.c1, _d(11, 1), "onsite"),
        (w.f2, w.c1, _d(9, 15), "onsite"),
        (w.f2, w.c1, _d(10, 12), "phone"),
        (w.f3, w.c2, _d(10, 13), "onsite"),
        (w.f4, w.c2, _d(9, 2), "onsite"),
        (w.f4, w.c2, _d(11, 1), "phone"),
        (w.f6, w.c2, _d(10, 10), "onsite"),
        (w.fb1, w.cadre_b, _d(10, 15), "onsite"),
    ]
    for f, who, on, kind in visits:
        make_visit(f, who, on, kind)
    for f, period, amount in [
        (w.f1, "2026-10", "100.5"),
        (w.f1, "2026-09", "50"),
        (w.f3, "2026-10", "20"),
        (w.fb1, "2026-10", "999"),
    ]:
        db.session.add(SalesItem(enterprise_id=f.id, period=period, product="产品", amount=Decimal(amount)))

    o, h1, h2, c1, c2 = w.officer, w.h1, w.h2, w.c1, w.c2
    w.p8 = _raise(w.f1, c1, "八月的老问题", _d(8, 3))
    _step(w.p8, "dispatch", o, _d(8, 3), department_id=w.dept1.id)
    _step(w.p8, "accept", h1, _d(8, 4))
    _step(w.p8, "resolve", h1, _d(9, 28), note="已办结")
    _step(w.p8, "evaluate", c1, _d(9, 30), evaluation="satisfied")
    w.p1 = _raise(w.f1, c1, "出口退税慢", _d(9, 10), "policy")
    _step(w.p1, "dispatch", o, _d(9, 10), department_id=w.dept1.id)
    _step(w.p1, "accept", h1, _d(9, 11))
    _step(w.p1, "progress", h1, _d(9, 15), note="正在核实")
    w.p2 = _raise(w.f2, c1, "发票额度不足", _d(9, 20), "policy")
    _step(w.p2, "dispatch", o, _d(9, 21), department_id=w.dept1.id)
    _step(w.p2, "accept", h1, _d(9, 22))
    _step(w.p2, "feedback", h1, _d(9, 23), note="已受理")
    # October, in date order.
    w.p3 = _raise(w.f3, c2, "用电增容", _d(10, 8))
    w.p6 = _raise(w.f2, o, "税务登记变更", _d(10, 8), "approval")
    _step(w.p3, "dispatch", o, _d(10, 8), department_id=w.dept1.id)
    _step(w.p6, "dispatch", o, _d(10, 8), department_id=w.dept1.id)
    _step(w.p1, "resolve", h1, _d(10, 9), note="退税已到账")
    _step(w.p3, "return", h1, _d(10, 9), note="不属于本部门职责")
    _step(w.p6, "accept", h1, _d(10, 9))
    _step(w.p3, "dispatch", o, _d(10, 10), department_id=w.dept2.id)
    _step(w.p1, "evaluate", c1, _d(10, 12), evaluation="satisfied")
    w.p4 = _raise(w.f1, c1, "厂区路灯损坏", _d(10, 12), "other")
    _step(w.p4, "solve_on_spot", c1, _d(10, 12), note="已联系物业修复")
    _step(w.p3, "accept", h2, _d(10, 13))
    _step(w.p4, "evaluate", c1, _d(10, 13), evaluation="satisfied")
    _step(w.p2, "supervise", o, _d(10, 14), note="请加快办理")
    assign_enterprise(w.f3, c1, o, _d(10, 15), "调整联系干部")
    _step(w.p6, "resolve", h1, _d(10, 15), note="已变更")
    _step(w.p2, "escalate", o, _d(10, 16), note="逾期未办结")
    _step(w.p3, "request_extension", h2, _d(10, 16), days=7, note="需要上级电网审批")
    _step(w.p6, "evaluate", c1, _d(10, 16), evaluation="unsatisfied", note="变更信息有误")
    _step(w.p3, "approve_extension", o, _d(10, 19))
    w.p5 = _raise(w.f4, c2, "变压器老化", _d(10, 20))
    w.p10 = _raise(w.f3, c1, "招工补贴咨询", _d(10, 20), "labour")
    _step(w.p3, "progress", h2, _d(10, 20), note="已报上级审批")
    _step(w.p5, "dispatch", o, _d(10, 20), department_id=w.dept2.id)
    _step(w.p5, "accept", h2, _d(10, 21))
    _step(w.p6, "resolve", h1, _d(10, 26), note="已重新办理")
    _step(w.p6, "evaluate", c1, _d(10, 28), evaluation="basic")
    w.p9 = _raise(w.fb1, w.cadre_b, "乙园区物流问题", _d(10, 15), "logistics")
    _step(w.p9, "dispatch", w.officer_b, _d(10, 15), department_id=w.dept1.id)
    # November: must not count for October, and forces the replay of P2 and P5.
    w.p7 = _raise(w.f4, c2, "十一月的新问题", _d(11, 1))
    _step(w.p2, "escalate", o, _d(11, 2), note="再次提级")
    _step(w.p5, "resolve", h2, _d(11, 2), note="已更换变压器")
    w.f7 = firm("甲七新材料有限公司", w.c2, on=_d(11, 2))
    make_visit(w.f7, o, _d(10, 20), "onsite")  # visited by the officer before it had a liaison
    db.session.flush()
    return w
