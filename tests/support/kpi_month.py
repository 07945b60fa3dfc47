"""A running October 2026, seen on Thursday 10-29, with every KPI's ordinary case and exclusions.

Everything happens in date order through the real services and nothing is dated after 10-29, so the
dashboards (which read the rows as they are now) and the workbook of the running month (which reads the
month-end states) describe the same moment. The figures of park A (甲园区) are worked out by hand in
EXPECTED from the story below and the official calendar (国庆 10-01..10-07 off; Saturday 10-10 and
Sunday 09-20 are working days; 中秋 09-25 off). Default rules: sign within 1 working day, resolve within
10 (normal urgency).

Firms of park A, all assigned 09-01 (f5's liaison is a city-level cadre without a park):
  f1 c1 chain1  onsite 10-09                f2 c1 chain1  phone 10-27 (this week)
  f3 c2 chain2  onsite 10-28 (this week)    f4 c2         phone 09-20 only
  f5 cc chain2  onsite 10-12                f8 c1         phone 10-20
  f9 c2         never visited               f6 unassigned, f7 停产 (onsite 10-15): not served
  fb (park B)   onsite 10-13: another park

Problems of park A:
  PA f1 09-01 → 税务局, signed 09-02, never resolved (due 09-15): open, red, 应办结
  PR f4 09-28 → 税务局, signed 09-28, never resolved (due 10-16): open, red, 应办结
  PJ f2 09-21 → 供电公司, signed 09-22, resolved 10-22 (due 10-12: late; 18 working days): open
  PL f5 10-08 → 税务局, signed 10-09 (due 10-09: on time), resolved 10-13, 不满意 10-14 (重办),
     强制销号 10-16: closed, not solved, not resolved at month end
  PB f3 10-09 → 税务局, signed 10-09 (due 10-10: on time), resolved 10-15 (5 working days, due 10-22),
     满意 10-16: closed, solved
  PC f1 10-12 → 供电公司, signed 10-14 (due 10-13: late), resolved 10-20, 不满意 10-21 (重办, due
     11-04), resolved 10-23 (9 working days since 10-12), 基本满意 10-26: closed, solved
  PD f4 10-13 → 供电公司, never signed (due 10-14: missed; final limit 10-27 passed): open, red, 应办结
  PN f3 10-15 → 税务局, signed 10-16 (due 10-16: on time), resolved 10-19 (2 working days), 满意 10-27
  PG f4 10-06 solved on the spot, 满意 10-07: closed, solved; no limit, so no 办结 figure
  PE f2 10-29 → 税务局 today: its signature is due 10-30, not yet, so it is no 按时签收 figure
  PH f1 10-20 待交办 (no department)
  PK (park B) 10-13 → 税务局, resolved 10-14: another park
"""

from datetime import date
from types import SimpleNamespace

from crm.extensions import db
from tests.support.factories import make_chain, make_department, make_enterprise, make_park, make_user
from tests.support.reports import _raise, _step
from tests.support.visits import make_visit

DAY = date(2026, 10, 29)
MONTH = "2026-10"

# (part, whole, value) of park A, worked out by hand from the story.
EXPECTED = {
    "contact_coverage": (5, 7, 71.4),  # f1 f2 f3 f5 f8 of 7 served
    "weekly_contact_coverage": (2, 7, 28.6),  # f2 f3 since Monday 10-26
    "onsite_coverage": (3, 7, 42.9),  # f1 f3 f5
    "evidenced_coverage": (0, 7, 0.0),  # no park collects on-site evidence
    "signed_on_time_rate": (3, 5, 60.0),  # PL PB PN of PL PB PC PD PN (PE not yet due)
    "on_time_rate": (3, 4, 75.0),  # PB PC PN of PJ PB PC PN
    "resolution_rate": (4, 7, 57.1),  # 4 resolved of 4 + PA PR PD
    "solved_rate": (4, 5, 80.0),  # PB PC PG PN of the closed PB PC PG PL PN
    "satisfaction_rate": (4, 6, 66.7),  # PG PB PC(基本) PN of 6 evaluations (PL, PC 不满意)
    "overdue_rate": (3, 6, 50.0),  # PA PR PD of the open PA PR PJ PD PE PH
    "avg_resolution_workdays": (34, 4, 8.5),  # PJ 18 + PB 5 + PC 9 + PN 2
}
# Per department (按时签收 a/b, 按期办结 a/b), also this year's on-time ranking on the dashboard.
EXPECTED_DEPARTMENTS = {
    "税务局": ((3, 3), (2, 2)),  # signed PL PB PN; resolved PB PN on time
    "供电公司": ((0, 2), (1, 2)),  # PC late, PD never; PJ late, PC on time
}
# On-site coverage per industry chain: (visited, served).
EXPECTED_CHAINS = {"装备制造": (1, 2), "医药化工": (2, 2)}


def _d(month: int, day: int) -> date:
    return date(2026, month, day)


def kpi_month() -> SimpleNamespace:
    """Build the month (commits nothing)."""
    w = SimpleNamespace()
    w.park_a, w.park_b = make_park("KA", "甲园区"), make_park("KB", "乙园区")
    w.chain1, w.chain2 = make_chain("装备制造"), make_chain("医药化工")
    w.dept1, w.dept2 = make_department("税务局"), make_department("供电公司")
    w.officer = make_user("officer", w.park_a, username="officer_a", name="周管理")
    w.officer_b = make_user("officer", w.park_b, username="officer_b")
    w.leader = make_user("leader", username="leader", name="城区领导")
    w.c1 = make_user("cadre", w.park_a, username="cadre_a", name="张一")
    w.c2 = make_user("cadre", w.park_a, username="cadre_a2", name="李二")
    w.cc = make_user("cadre", None, username="cadre_city", name="市级干部")
    w.cadre_b = make_user("cadre", w.park_b, username="cadre_b", name="赵乙")
    w.h1 = make_user("handler", username="handler_1", name="税务经办", department=w.dept1)
    w.h2 = make_user("handler", username="handler_2", name="供电经办", department=w.dept2)

    def firm(name, cadre=None, park=None, **fields):
        park = park or w.park_a
        officer = w.officer if park is w.park_a else w.officer_b
        return make_enterprise(park, name, cadre=cadre, assigned_by=officer, today=_d(9, 1), **fields)

    w.f1 = firm("甲一电机有限公司", w.c1, chain=w.chain1)
    w.f2 = firm("甲二机械有限公司", w.c1, chain=w.chain1)
    w.f3 = firm("甲三制药有限公司", w.c2, chain=w.chain2)
    w.f4 = firm("甲四食品有限公司", w.c2)
    w.f5 = firm("甲五化工有限公司", w.cc, chain=w.chain2)
    w.f6 = firm("甲六未分配有限公司")
    w.f7 = firm("甲七停产有限公司", w.c2, status="suspended")
    w.f8 = firm("甲八纺织有限公司", w.c1)
    w.f9 = firm("甲九包装有限公司", w.c2)
    w.fb = firm("乙一物流有限公司", w.cadre_b, park=w.park_b)
    for f, who, on, kind in [
        (w.f4, w.c2, _d(9, 20), "phone"),
        (w.f1, w.c1, _d(10, 9), "onsite"),
        (w.f5, w.cc, _d(10, 12), "onsite"),
        (w.fb, w.cadre_b, _d(10, 13), "onsite"),
        (w.f7, w.c2, _d(10, 15), "onsite"),
        (w.f8, w.c1, _d(10, 20), "phone"),
        (w.f2, w.c1, _d(10, 27), "phone"),
        (w.f3, w.c2, _d(10, 28), "onsite"),
    ]:
        make_visit(f, who, on, kind)

    o, h1, h2, c1, c2, cc = w.officer, w.h1, w.h2, w.c1, w.c2, w.cc
    d1, d2 = w.dept1.id, w.dept2.id
    # September: carried over.
    w.pa = _raise(w.f1, c1, "土地证办理", _d(9, 1))
    _step(w.pa, "dispatch", o, _d(9, 1), department_id=d1)
    _step(w.pa, "accept", h1, _d(9, 2))
    w.pj = _raise(w.f2, c1, "线路改造", _d(9, 21))
    _step(w.pj, "dispatch", o, _d(9, 21), department_id=d2)
    _step(w.pj, "accept", h2, _d(9, 22))
    w.pr = _raise(w.f4, c2, "税务核查", _d(9, 28))
    _step(w.pr, "dispatch", o, _d(9, 28), department_id=d1)
    _step(w.pr, "accept", h1, _d(9, 28))
    # October, in date order.
    w.pg = _raise(w.f4, c2, "厂区围墙破损", _d(10, 6), "other")
    _step(w.pg, "solve_on_spot", c2, _d(10, 6), note="已协调物业修复")
    _step(w.pg, "evaluate", c2, _d(10, 7), evaluation="satisfied")
    w.pl = _raise(w.f5, cc, "环评批复", _d(10, 8))
    _step(w.pl, "dispatch", o, _d(10, 8), department_id=d1)
    w.pb = _raise(w.f3, c2, "出口退税", _d(10, 9), "policy")
    _step(w.pb, "dispatch", o, _d(10, 9), department_id=d1)
    _step(w.pb, "accept", h1, _d(10, 9))
    _step(w.pl, "accept", h1, _d(10, 9))
    w.pc = _raise(w.f1, c1, "用电增容", _d(10, 12))
    _step(w.pc, "dispatch", o, _d(10, 12), department_id=d2)
    _step(w.pl, "resolve", h1, _d(10, 13), note="已出具意见")
    w.pd = _raise(w.f4, c2, "变压器老化", _d(10, 13))
    _step(w.pd, "dispatch", o, _d(10, 13), department_id=d2)
    w.pk = _raise(w.fb, w.cadre_b, "乙园区物流问题", _d(10, 13), "logistics")
    _step(w.pk, "dispatch", w.officer_b, _d(10, 13), department_id=d1)
    _step(w.pk, "accept", h1, _d(10, 13))
    _step(w.pc, "accept", h2, _d(10, 14))
    _step(w.pl, "evaluate", cc, _d(10, 14), evaluation="unsatisfied", note="批复内容与申请不符")
    _step(w.pk, "resolve", h1, _d(10, 14), note="已办结")
    _step(w.pb, "resolve", h1, _d(10, 15), note="退税已到账")
    w.pn = _raise(w.f3, c2, "社保补贴", _d(10, 15), "labour")
    _step(w.pn, "dispatch", o, _d(10, 15), department_id=d1)
    _step(w.pb, "evaluate", c2, _d(10, 16), evaluation="satisfied")
    _step(w.pl, "force_close", o, _d(10, 16), note="企业已撤回申请，不再办理")
    _step(w.pn, "accept", h1, _d(10, 16))
    _step(w.pn, "resolve", h1, _d(10, 19), note="补贴已发放")
    _step(w.pc, "resolve", h2, _d(10, 20), note="已增容")
    w.ph = _raise(w.f1, c1, "招工咨询", _d(10, 20), "labour")
    _step(w.pc, "evaluate", c1, _d(10, 21), evaluation="unsatisfied", note="容量仍不够")
    _step(w.pj, "resolve", h2, _d(10, 22), note="线路已改造")
    _step(w.pc, "resolve", h2, _d(10, 23), note="已再次增容")
    _step(w.pc, "evaluate", c1, _d(10, 26), evaluation="basic")
    _step(w.pn, "evaluate", c2, _d(10, 27), evaluation="satisfied")
    w.pe = _raise(w.f2, c1, "排污许可", _d(10, 29))
    _step(w.pe, "dispatch", o, _d(10, 29), department_id=d1)
    db.session.flush()
    return w
