"""The 政策兑现 figures and sheet against a hand-counted October 2026: three policies, four firms in two
parks, pairs walked through their steps on known days (one of them after the month)."""

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.writer import monthly_workbook
from crm.services.policies.delivery import take_step
from crm.services.policies.figures import policy_card, policy_report
from tests.support.dates import TODAY
from tests.support.factories import make_enterprise, make_park, make_user
from tests.support.policies import give_profile, make_policy

OCT_START, OCT_END = date(2026, 10, 1), date(2026, 10, 31)
LONG_AGO = datetime(2026, 1, 1)  # the firms were on file before any policy was published


@pytest.fixture()
def oct(db):
    a, b = make_park("A", "甲园区"), make_park("B", "乙园区")
    admin = make_user("admin", username="admin")
    officer_a, officer_b = make_user("officer", a), make_user("officer", b)
    cadre_a, cadre_b = make_user("cadre", a), make_user("cadre", b)

    def firm(park, name, cadre, officer, **fields):
        return make_enterprise(park, name, cadre=cadre, assigned_by=officer, created_at=LONG_AGO, **fields)

    w = SimpleNamespace(a=a, b=b, cadre_a=cadre_a, cadre_b=cadre_b)
    w.a1 = give_profile(firm(a, "甲一规上高企", cadre_a, officer_a, scale_type="above"), {"hnte": 2020})
    w.a2 = firm(a, "甲二规上企业", cadre_a, officer_a, scale_type="above")
    w.a3 = give_profile(firm(a, "甲三规下高企", cadre_a, officer_a, scale_type="below"), {"hnte": 2021})
    w.b1 = give_profile(firm(b, "乙一规上高企", cadre_b, officer_b, scale_type="above"), {"hnte": 2022})
    w.p1 = make_policy(
        officer_a, title="甲园区规上稳岗补贴", scale_type="above", max_amount="50",
        apply_from=date(2026, 9, 1), apply_to=OCT_END, today=date(2026, 9, 1),
    )  # fmt: skip
    w.p2 = make_policy(admin, title="全市高企奖励", qualifications=["hnte"], today=date(2026, 10, 10))
    w.p3 = make_policy(officer_b, title="乙园区开办补助", apply_from=None, today=date(2026, 10, 1))
    make_policy(officer_a, title="草稿政策", publish=False)

    def walk(cadre, policy, firm_, *steps):
        for code, day, extra in steps:
            take_step(cadre, policy, firm_, code, TODAY, on=day, **extra)

    walk(cadre_a, w.p1, w.a1, ("deliver", date(2026, 9, 10), {}), ("interest", date(2026, 9, 12), {}),
         ("apply", date(2026, 9, 20), {}), ("approve", date(2026, 10, 15), {"amount": "10"}))  # fmt: skip
    walk(cadre_a, w.p1, w.a2, ("deliver", date(2026, 10, 5), {}), ("interest", None, {}))
    walk(cadre_a, w.p2, w.a1, ("deliver", date(2026, 10, 20), {}))
    walk(
        cadre_a,
        w.p2,
        w.a3,
        ("deliver", date(2026, 10, 12), {}),
        ("ineligible", None, {"reason": "研发费用不足"}),
    )
    walk(cadre_b, w.p2, w.b1, ("deliver", date(2026, 11, 1), {}))  # after October
    walk(cadre_b, w.p3, w.b1, ("deliver", date(2026, 10, 2), {}), ("interest", date(2026, 10, 2), {}),
         ("apply", date(2026, 10, 3), {}), ("reject", date(2026, 10, 25), {"reason": "缺材料"}))  # fmt: skip
    db.session.commit()
    return w


def figures(f):
    return (f.matched, f.reached, f.reached_month, f.interested, f.applied, f.approved, f.rejected, f.amount,
            f.amount_month)  # fmt: skip


TEN = Decimal("10.00")
ZERO = Decimal("0")


def test_all_parks_in_october(db, oct):
    report = policy_report(None, OCT_START, OCT_END)
    got = {row.policy.title: figures(row.figures) for row in report.policies}
    # Steps without a date given are dated the day they were recorded (2 November): after October.
    assert got == {
        "甲园区规上稳岗补贴": (2, 2, 1, 0, 1, 1, 0, TEN, TEN),
        "全市高企奖励": (3, 2, 2, 0, 0, 0, 0, ZERO, ZERO),
        "乙园区开办补助": (1, 1, 1, 0, 1, 0, 1, ZERO, ZERO),
    }
    assert figures(report.total) == (6, 5, 4, 0, 2, 1, 1, TEN, TEN)
    assert {p.name: figures(p.figures) for p in report.parks} == {
        "甲园区": (4, 4, 3, 0, 1, 1, 0, TEN, TEN),
        "乙园区": (2, 1, 1, 0, 1, 0, 1, ZERO, ZERO),
    }
    # 政策送达及时率 for the policies due in October: P2 (by 25 Oct) A1 yes, A3 yes, B1 no; P3 (by 16 Oct) B1
    # yes. P1 came due in September (A1 on time, A2 not): that month's figure.
    assert (report.on_time, report.due) == (3, 4)
    september = policy_report(None, date(2026, 9, 1), date(2026, 9, 30))
    assert (september.on_time, september.due) == (1, 2)


def test_one_park_and_november_so_far(db, oct):
    report = policy_report(oct.a.id, OCT_START, OCT_END)
    assert [row.policy.title for row in report.policies] == ["甲园区规上稳岗补贴", "全市高企奖励"]
    assert figures(report.total) == (4, 4, 3, 0, 1, 1, 0, TEN, TEN)
    assert (report.on_time, report.due) == (2, 2)
    nov = policy_report(None, date(2026, 11, 1), TODAY)
    got = {row.policy.title: figures(row.figures) for row in nov.policies}
    assert got["全市高企奖励"] == (3, 3, 1, 0, 0, 0, 0, ZERO, ZERO)  # B1 delivered on the 1st
    assert got["甲园区规上稳岗补贴"] == (2, 2, 0, 1, 1, 1, 0, TEN, ZERO)  # A2's interest on the 2nd


def test_dashboard_card(db, oct):
    card = policy_card(oct.a.id, TODAY)
    # In force: P1 (window closed on 31 Oct) and P2; only P2's window is open: A1 reached, A3 reached.
    assert (card.in_force, card.pending, card.closing) == (2, 0, 0)
    assert (card.reached_month, card.applied_year, card.approved_year, card.amount_year) == (0, 1, 1, TEN)
    city = policy_card(None, TODAY)
    assert (city.in_force, city.pending, city.reached_month) == (3, 0, 1)


def test_the_workbook_sheet_and_its_kpi(db, oct, app):
    data = monthly_workbook(ReportScope(None), Period.parse("2026-10", TODAY))
    wb = load_workbook(data)
    ws = wb["政策兑现"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:6] == ("政策名称", "发文机关", "层级", "申报截止", "匹配企业", "已送达")
    body = {r[0]: r[4:] for r in rows[1:4]}
    assert body["甲园区规上稳岗补贴"] == (2, 2, 1, 0, 1, 1, 0, 10, 10)
    assert rows[4][0] == "合计" and rows[4][4:] == (6, 5, 4, 0, 2, 1, 1, 10, 10)
    parks = {r[0]: r[4:] for r in rows if r and r[0] in ("甲园区", "乙园区")}
    assert parks == {"甲园区": (4, 4, 3, 0, 1, 1, 0, 10, 0 + 10), "乙园区": (2, 1, 1, 0, 1, 0, 1, 0, 0)}
    kpi_row = next(r for r in wb["指标说明"].iter_rows(values_only=True) if r[0] == "政策送达及时率")
    assert kpi_row[5:8] == (3, 4, 0.75)
