"""A month that is not closed is still counted as it stood at its end: registry edits after month end
(a firm created, suspended, moved to another chain or park, renamed) never change it; and the sheets
count alike (部门办理's 合计 equals 汇总, 本月收到 counts distinct problems, 干部走访 counts cadres and other
people apart, 按时签收 counts only the signatures due in the month). Plus the close day, the months the
scheduler closes, and the lossless codec of the snapshot."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Optional

import pytest

from crm.reporting.monthly.build import build_monthly_report
from crm.reporting.monthly.facts import FirmFact
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.snapshot import KINDS, SummaryFact
from crm.reporting.monthly.visits import VisitFigures
from crm.services import ServiceError
from crm.services.closing.codec import decoder, encode
from crm.services.closing.store import (
    close_day,
    due_month,
    months_to_close,
    reopen_month,
    update_close_workday,
)
from crm.services.enterprises.registry import create_enterprise, update_enterprise
from tests.support.dates import TODAY
from tests.support.factories import make_user, valid_credit_code
from tests.support.month_close import cells, close, differences
from tests.support.problems import make_problem, problem_world, step
from tests.support.reports import EXPECTED, report_world


@pytest.fixture()
def w(db):
    world = report_world()
    db.session.commit()
    return world


def _report(park, month="2026-10", today=TODAY):
    return build_monthly_report(ReportScope(park), Period.parse(month, today))


def test_registry_edits_after_month_end_do_not_change_an_open_month(db, w):
    """October is not closed; edits made in November (the audit's findings) leave it as it was."""
    before = {
        key: cells(park, today=TODAY) for key, park in (("A", w.park_a), ("B", w.park_b), ("all", None))
    }
    chain_counts = {c.name: c.firms for c in _report(w.park_a).chains}
    update_enterprise(w.f1, {"name": "甲一电机（集团）有限公司", "is_key": False}, w.admin)
    update_enterprise(w.f2, {"status": "suspended"}, w.admin)  # 联系企业 would lose it
    update_enterprise(w.f3, {"chain_id": w.chain1.id}, w.admin)  # 医药化工 would lose its visits
    update_enterprise(w.f4, {"park_id": w.park_b.id}, w.admin)  # park B would gain it
    update_enterprise(w.f5, {"chain_id": w.chain2.id, "status": "closed"}, w.admin)
    for i in range(2):  # firms filed in November count in no October figure
        data = {"name": f"甲九新材料{i}有限公司", "credit_code": valid_credit_code(), "park_id": w.park_a.id}
        create_enterprise(data | {"chain_id": w.chain2.id}, w.admin)
    db.session.commit()
    for key, park in (("A", w.park_a), ("B", w.park_b), ("all", None)):
        assert differences(before[key], cells(park, today=TODAY)) == [], key
    assert {c.name: c.firms for c in _report(w.park_a).chains} == chain_counts
    # November (running) sees today's registry: the suspended firm is not served, f4 is park B's.
    november = _report(w.park_a, "2026-11")
    assert november.summary.visits.firms_served == EXPECTED["firms_served"] - 2 + 1  # f2, f4 out; f7 in
    assert {c.name: c.firms for c in november.chains}["医药化工"] == chain_counts["医药化工"] - 1 + 2


def test_a_firm_counts_from_its_filing_or_first_record(db, w):
    """A firm filed after month end with nothing before it is not in the month; one filed later whose
    visit is dated in the month (it was visited before being filed) is."""
    late = create_enterprise(
        {"name": "甲十后建档有限公司", "credit_code": valid_credit_code(), "park_id": w.park_a.id}, w.admin
    )
    db.session.commit()
    october = _report(w.park_a).source.rows("firms")
    assert late.id not in {f.firm_id for f in october}
    assert w.f7.id in {f.firm_id for f in october}  # filed 11-02, but visited on 10-20


def test_department_totals_equal_the_summary_with_a_row_for_no_department(db, w):
    report = _report(w.park_a)
    total, summary = report.department_total, report.summary.problems
    assert total is not None and total.name == "合计"
    assert (total.open_end, total.closed, total.resolved, total.on_time, total.overdue) == (
        summary.open_end,
        summary.closed,
        summary.resolved,
        summary.on_time,
        summary.overdue,
    )
    assert (total.evaluations, total.satisfied) == (summary.evaluations, summary.satisfied)
    rows = {d.name: d for d in report.departments}
    none = rows["未交办（无承办部门）"]
    assert report.departments[-1] is none  # after the departments
    assert (none.open_end, none.closed, none.evaluations) == (1, 1, 1)  # P10 waiting; P4 solved on the spot
    # 收到 counts distinct problems: P3 went to both departments, once in each row and once in all.
    assert rows["税务局"].received == rows["供电公司"].received == 2 and total.received == 3
    wb = cells(w.park_a, today=TODAY)["部门办理"]
    assert wb[0][:5] == ("承办部门", "本月收到", "应签收", "按时签收", "按时签收率")
    assert [r[0] for r in wb[1:]] == ["供电公司", "税务局", "未交办（无承办部门）", "合计"]
    assert wb[-1][9] == EXPECTED["open_end"] and wb[-1][1] == 3


def test_cadre_sheet_counts_liaisons_as_the_summary_does_and_others_apart(db, w):
    report = _report(w.park_a)
    assert report.summary.visits.cadres == 2
    total = cells(w.park_a, today=TODAY)["干部走访"][-1]
    # 张一, 李二 serve firms; 王三 (an active cadre without firms) and the officer who visited are others.
    assert total[:2] == ("合计", "联企干部2人，其他2人")


def test_signatures_are_counted_in_the_month_they_are_due(db):
    """按时签收率: a signature due next month waits for next month; one due this month and made next month
    is late; one not yet due in the running month is not counted."""
    w = problem_world()
    on_time = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, on=date(2026, 10, 28))
    step(on_time, "accept", w.handler, on=date(2026, 10, 29))  # due 10-29
    late = make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, on=date(2026, 10, 29))
    step(late, "accept", w.handler, on=date(2026, 11, 2))  # due 10-30, signed in November: late
    make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, on=date(2026, 10, 30))  # due 11-02
    make_problem(w.firm, w.cadre, "dispatched", w.dept, w.handler, on=TODAY)  # due 11-03: not yet
    october = _report(w.park).department_total
    assert (october.received, october.sign_due, october.signed) == (3, 2, 1)
    november = _report(w.park, "2026-11").department_total
    assert (november.received, november.sign_due, november.signed) == (1, 1, 0)  # 10-30's, due 11-02


def test_close_day_is_the_nth_working_day_and_admins_set_n(db):
    admin, officer = make_user("admin"), make_user("officer")
    assert close_day("2026-10") == date(2026, 11, 4)
    assert close_day("2026-09") == date(2026, 10, 10)  # 国庆 to the 7th; the 8th, 9th, 10th (调休 Sat)
    assert due_month(date(2026, 11, 3)) == "2026-09" and due_month(date(2026, 11, 4)) == "2026-10"
    with pytest.raises(ServiceError, match="没有修改月结设置的权限"):
        update_close_workday(officer, 5)
    for bad, message in (("0", "第1到第10个工作日"), ("11", "第1到第10个工作日"), ("三", "应为整数")):
        with pytest.raises(ServiceError, match=message):
            update_close_workday(admin, bad)
    assert update_close_workday(admin, "5") == 5 and close_day("2026-10") == date(2026, 11, 6)


def test_months_the_scheduler_closes(db, w):
    assert months_to_close(date(2026, 11, 4)) == ["2026-10"]  # never closed anything: the due month
    close("2026-09")
    assert months_to_close(date(2026, 12, 10)) == ["2026-10", "2026-11"]  # what a stopped scheduler missed
    close("2026-10")
    reopen_month(w.admin, "2026-09", "补录")
    assert months_to_close(date(2026, 11, 5)) == ["2026-09"]  # a reopened month is closed again


def test_the_codec_gives_back_equal_rows():
    firm = FirmFact(
        1, "湘潭华宇（集团）", "xthy", 2, None, "active", "above", True, 7, date(2026, 9, 1), None, None
    )
    assert decoder(FirmFact)(encode(firm)) == firm

    @dataclass
    class Money:
        amount: Decimal
        at: Optional[datetime]
        share: float

    money = Money(Decimal("100.50"), datetime(2026, 11, 4, 0, 30), 0.846)
    assert encode(money) == {"amount": "100.50", "at": "2026-11-04T00:30:00", "share": 0.846}
    assert decoder(Money)(encode(money)) == money
    summary = SummaryFact(None, VisitFigures(4, 2, 3, 2, 6, {"onsite": 4}), _report_figures())
    assert decoder(SummaryFact)(encode(summary)) == summary
    assert all(kind.row.__dataclass_fields__ for kind in KINDS.values())


def _report_figures():
    from crm.reporting.monthly.problems import ProblemFigures

    return ProblemFigures(carried=2, new=5, by_status={"new": 1}, by_colour={"red": 2})
