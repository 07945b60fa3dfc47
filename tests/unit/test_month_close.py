"""月结: a closed month's workbooks never move, whatever happens afterwards, and reopening it (重新结账)
makes a version 2 whose 变更对照 lists exactly the figures that changed.

The crafted October (tests/support/reports.py) is closed on its close day; then each kind of later
change is applied in turn — registry edits, refused back-dated entries, late problem events, a rule
change, a calendar change, catch-up job runs — and after each one every cell of every sheet of the
workbooks of park A, park B and all parks is compared with the closed version (the generation time
is the only thing blanked out).
"""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from crm.jobs import JOBS, run_job
from crm.models import AuditLog, MonthClose, MonthSnapshotRow
from crm.reporting.monthly.close import close_month, snapshot_rows
from crm.reporting.monthly.period import Period
from crm.services import ServiceError
from crm.services.assignments.operations import assign_enterprise
from crm.services.closing.store import reopen_month
from crm.services.enterprises.lists import add_sales
from crm.services.enterprises.registry import create_enterprise, update_enterprise
from crm.services.problems.flow import apply_action
from crm.services.problems.recalc import confirm_year_and_recalc
from crm.services.problems.rules_admin import update_problem_rules
from crm.services.visits.records import log_visit
from crm.services.workdays.admin import CalendarEntry, set_calendar_days
from tests.support.factories import valid_credit_code
from tests.support.month_close import OCTOBER_CLOSE_DAY, cells, close, differences, rules_form
from tests.support.reports import report_world

NOV_5 = date(2026, 11, 5)
VISIT = {"visited_on": "2026-10-20", "kind": "onsite", "summary": "补录十月的上门走访"}


@pytest.fixture()
def w(db):
    world = report_world()
    db.session.commit()
    world.scopes = {"A": world.park_a, "B": world.park_b, "all": None}
    return world


def _all(w) -> dict:
    return {key: cells(park) for key, park in w.scopes.items()}


def test_a_closed_month_never_moves(app, db, w):
    draft = _all(w)
    closed = close()
    assert closed.created and closed.close.version == 1 and closed.rows > 0
    official = _all(w)
    for key in w.scopes:  # the close froze exactly what the draft showed: only its edition differs
        changed = {(sheet, row) for sheet, row, _a, _b in differences(draft[key], official[key])}
        assert changed == {("汇总", 1), ("汇总", 3), ("指标说明", 1)}, key  # titles and the edition line
    assert official["A"]["汇总"][0][0] == "甲园区2026年10月联企服务月报（正式版）"
    assert official["A"]["汇总"][2][0].startswith("正式版：已于2026年11月4日月结（第1版，系统自动）")

    def unchanged(after: str) -> None:
        for key, park in w.scopes.items():
            assert differences(official[key], cells(park)) == [], f"{after}: {key}"

    # The registry: a rename, a suspension, a chain and a park moved, a new firm, a new liaison, and
    # new names for a chain, a department and a cadre.
    update_enterprise(w.f1, {"name": "甲一电机（集团）有限公司"}, w.admin)
    update_enterprise(w.f2, {"status": "suspended"}, w.admin)
    update_enterprise(w.f3, {"chain_id": w.chain1.id}, w.admin)
    update_enterprise(w.f4, {"park_id": w.park_b.id}, w.admin)
    data = {"name": "甲八新能源有限公司", "credit_code": valid_credit_code(), "park_id": w.park_a.id}
    create_enterprise(data | {"chain_id": w.chain1.id}, w.admin)
    assign_enterprise(w.f1, w.c3, w.officer, NOV_5, "调整联系干部")
    w.chain1.name, w.dept1.name, w.c1.name = "高端装备", "区税务局", "张一鸣"
    db.session.commit()
    unchanged("registry edits")

    # Entries dated in October are refused, in Chinese, and change nothing.
    with pytest.raises(ServiceError) as refused:
        log_visit(w.f3, w.c1, VISIT, today=NOV_5)
    assert (
        str(refused.value) == "2026年10月已月结，不能再录入该月的走访。如需更正，请联系系统管理员重新结账。"
    )
    with pytest.raises(ServiceError, match="2026年10月已月结，不能再录入该月的销售记录"):
        add_sales(w.f1, w.officer, {"period": "2026-10", "amount": "50"}, today=NOV_5)
    db.session.rollback()
    unchanged("refused back-dated entries")

    # Problem events in November: a signature, a 督办, a resolution, a dispatch, a 满意 that closes.
    apply_action(w.p10, "dispatch", w.officer, {"department_id": w.dept1.id}, today=NOV_5)
    apply_action(w.p10, "accept", w.h1, {}, today=NOV_5)
    apply_action(w.p2, "supervise", w.officer, {"note": "请本周内办结"}, today=NOV_5)
    apply_action(w.p3, "resolve", w.h2, {"note": "增容已完成"}, today=NOV_5)
    apply_action(w.p3, "evaluate", w.c1, {"evaluation": "satisfied"}, today=NOV_5)
    db.session.commit()
    unchanged("late problem events")

    # The rules (签收 1 → 2 working days) and the calendar (a holiday inside October).
    assert update_problem_rules(w.admin, rules_form(sign_days=2)) is not None
    set_calendar_days(
        w.admin,
        [
            CalendarEntry(date(2026, 10, 29), False, "临时放假"),  # inside October
            CalendarEntry(date(2027, 1, 1), False, "元旦"),
            CalendarEntry(date(2027, 1, 9), True, "元旦调休"),
        ],
    )
    confirm_year_and_recalc(w.admin, 2027, "按国务院办公厅通知录入", NOV_5)  # a provisional year confirmed
    db.session.commit()
    unchanged("rule and calendar changes")

    # Catch-up runs: escalations for a later day, the close job again.
    for name in ("escalations", "month_close"):
        run = run_job(app, JOBS[name], today=date(2026, 11, 6))
        assert run.status == "ok", (name, run.error)
    unchanged("catch-up job runs")
    assert db.session.scalar(select(func.count(MonthClose.id)).where(MonthClose.month == "2026-10")) == 1


def _changes(wb) -> set[tuple[str, str, str]]:
    return {(sheet, row, column) for sheet, row, column, _v1, _v2 in wb["变更对照"][1:]}


def test_reopen_then_close_again_makes_version_2_with_exactly_the_changed_figures(db, w):
    close()
    with pytest.raises(ServiceError, match="2026年10月已月结，不能再录入该月的走访"):
        log_visit(w.f4, w.c2, VISIT, today=NOV_5)
    db.session.rollback()
    reopen_month(
        w.admin, "2026-10", "李二10月20日的上门走访漏录，补录后重新结账", now=datetime(2026, 11, 5, 1, 0)
    )
    db.session.commit()
    audit = db.session.scalar(select(AuditLog).where(AuditLog.entity_type == "month_close"))
    assert audit.action == "reopen" and audit.actor_id == w.admin.id and "漏录" in audit.summary
    draft = cells(w.park_a, today=NOV_5)
    assert draft["汇总"][0][0].endswith("（初稿）") and "第1版已重新结账" in draft["汇总"][2][0]

    log_visit(w.f4, w.c2, VISIT, today=NOV_5)  # accepted again
    db.session.commit()
    second = close_month("2026-10", None, NOV_5, datetime(2026, 11, 5, 2, 0))
    db.session.commit()
    assert (second.created, second.close.version) == (True, 2)
    versions = db.session.scalars(select(MonthClose).order_by(MonthClose.version)).all()
    assert [(c.version, c.status) for c in versions] == [(1, "reopened"), (2, "closed")]

    wb = cells(w.park_a, today=NOV_5)
    assert wb["汇总"][0][0] == "甲园区2026年10月联企服务月报（正式版（第2版））"
    assert wb["变更对照"][0] == ("工作表", "行", "列", "第1版", "第2版")
    # Worked out by hand: an on-site visit by 李二 to 甲四 (no chain), which had none in October.
    summary = {"联系覆盖率", "上门覆盖率", "本月未上门企业（家）", "走访次数合计", "\u3000其中：上门走访"}
    cadre = {"联系次数", "上门次数", "已联系企业", "已上门企业", "联系覆盖率", "上门覆盖率"}
    unvisited = {"企业名称", "所属园区", "产业链", "重点企业", "联系干部", "最近上门日期", "最近联系日期"}
    expected = (
        {("汇总", label, "本月") for label in summary}
        | {("干部走访", row, column) for row in ("李二（甲园区）", "合计") for column in cadre}
        | {("未走访企业", "甲四食品有限公司", column) for column in unvisited}
        | {("产业链", "未分类", column) for column in ("已上门企业", "上门覆盖率", "走访次数", "上门次数")}
    )
    assert _changes(wb) == expected
    rows = {(sheet, row, column): (v1, v2) for sheet, row, column, v1, v2 in wb["变更对照"][1:]}
    assert rows[("汇总", "上门覆盖率", "本月")] == ("50.0%", "75.0%")
    assert rows[("汇总", "走访次数合计", "本月")] == (6, 7)
    assert rows[("未走访企业", "甲四食品有限公司", "最近上门日期")] == ("2026-09-02", "—")
    # Park B and the city's version 2 list their own changes; version 1 stays as it was.
    assert "变更对照" in cells(None, today=NOV_5) and "变更对照" in cells(w.park_b, today=NOV_5)
    assert ("未走访企业", "甲四食品有限公司", "企业名称") not in _changes(cells(w.park_b, today=NOV_5))


def test_closing_takes_a_constant_number_of_queries_and_so_does_a_closed_month(db, w, count_queries):
    from tests.support.factories import make_enterprise
    from tests.support.reports import _raise, _step
    from tests.support.visits import make_visit

    def grow(n: int, tag: str, day: date = date(2026, 10, 12)) -> None:
        for i in range(n):
            start = date(2026, 9, 1)
            firm = make_enterprise(
                w.park_a, f"扩容企业{tag}{i}", cadre=w.c2, assigned_by=w.officer, today=start
            )
            make_visit(firm, w.c2, day, "onsite")
            problem = _raise(firm, w.c2, f"扩容问题{tag}{i}", day)
            _step(problem, "dispatch", w.officer, day, department_id=w.dept1.id)
            _step(problem, "accept", w.h1, date(2026, 11, 2))  # forces a replay
        db.session.commit()

    counts = []
    for n in (2, 25):  # October closed, reopened, grown tenfold and closed again
        grow(n, str(n))
        with count_queries() as q:
            closed = close_month("2026-10", None, OCTOBER_CLOSE_DAY)
        counts.append((q.count, closed.rows))
        reopen_month(w.admin, "2026-10", "扩容测试")
        db.session.commit()
    close()
    (small, small_rows), (big, big_rows) = counts
    assert big_rows > small_rows + 50 and big == small, counts
    built = []
    for park in (w.park_a, None):
        with count_queries() as q:
            cells(park)
        built.append(q.count)
    grow(10, "later", date(2026, 11, 2))  # November's: October is closed
    with count_queries() as q:
        cells(w.park_a)
    assert q.count == built[0] <= 12, built  # the close, its rows in one query, names for the 报表 title


def test_the_snapshot_holds_every_kind_and_one_bulk_insert(db, w, count_queries):
    rows = snapshot_rows(Period.parse("2026-10", OCTOBER_CLOSE_DAY))
    kinds = {kind for kind, _park, _data in rows}
    assert kinds >= {"firms", "visits", "problems", "events", "dispatches", "supervision", "sales", "lists"}
    assert kinds >= {"people", "parks", "chains", "departments", "summary", "previous", "previous_lists"}
    with count_queries() as q:
        close()
    inserts = [s for s in q.statements if s.lstrip().upper().startswith("INSERT INTO MONTH_SNAPSHOT_ROWS")]
    assert len(inserts) == 1
    stored = db.session.scalar(select(func.count(MonthSnapshotRow.id)))
    assert stored == len(rows) == db.session.scalar(select(MonthClose.snapshot_rows))
    firm = next(data for kind, _p, data in rows if kind == "firms" and data["name"] == "甲一电机有限公司")
    assert firm["park_id"] == w.park_a.id and firm["is_key"] is True and firm["start_on"] == "2026-09-01"
    sales = next(data for kind, _p, data in rows if kind == "sales" and data["firm_id"] == w.f1.id)
    assert sales["month_amount"] == "100.50" and sales["year_amount"] == "150.50"  # exact decimals
