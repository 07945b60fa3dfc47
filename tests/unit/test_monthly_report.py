"""The monthly workbook reconciles with the database.

The crafted October (tests/support/reports.py) is counted here a second time, straight from the tables with
plain SQL/ORM, and every figure of 汇总, 干部走访 and 部门办理 *as written in the workbook* must match.
"""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from crm.models import Problem, ProblemEvent
from crm.reporting.monthly.build import build_monthly_report
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.state import problem_states, replay
from crm.reporting.monthly.writer import write_monthly_workbook
from crm.services import ServiceError
from crm.services.problems.rules import RuleBook
from crm.services.workdays.calendar import get_calendar
from tests.support.dates import TODAY
from tests.support.reports import EXPECTED, report_world

START, END = date(2026, 10, 1), date(2026, 10, 31)
IN_PARK_A = "JOIN enterprises e ON e.id = {t}.enterprise_id WHERE e.park_id = :park"
HALF_DIGIT = 0.0005  # rates are published rounded to 0.1 percentage point (crm.services.kpi)


@pytest.fixture()
def w(db):
    world = report_world()
    db.session.commit()
    return world


def _workbook(world, park="A", month="2026-10"):
    period = Period.parse(month, TODAY)
    scope = ReportScope(world.park_a if park == "A" else park)
    data = write_monthly_workbook(build_monthly_report(scope, period))
    return load_workbook(BytesIO(data.getvalue()))


def _summary(wb) -> dict[str, tuple]:
    """{label: (本月, 上月)} of the 汇总 sheet."""
    ws = wb["汇总"]
    return {row[0]: (row[1], row[2]) for row in ws.iter_rows(min_row=5, values_only=True) if row[0]}


def _table(wb, title: str) -> dict[str, dict]:
    """{first cell: {header: value}} of a table sheet (the 合计 row included)."""
    rows = list(wb[title].iter_rows(values_only=True))
    headers = rows[0]
    return {row[0]: dict(zip(headers, row, strict=True)) for row in rows[1:]}


def _count(db, sql: str, **params) -> int:
    return db.session.execute(text(sql), params).scalar()


def _evaluations(db, park_id: int, department_id=None) -> tuple[int, int]:
    """(evaluations, 满意+基本满意) of October's 回访评价 events of park A, straight from the events."""
    events = db.session.scalars(
        select(ProblemEvent)
        .join(Problem, Problem.id == ProblemEvent.problem_id)
        .where(ProblemEvent.action == "evaluate", ProblemEvent.happened_on.between(START, END))
    ).all()
    chosen = [
        e
        for e in events
        if e.problem.enterprise.park_id == park_id and department_id in (None, e.department_id)
    ]
    return len(chosen), sum(e.data["evaluation"] in ("satisfied", "basic") for e in chosen)


def test_summary_reconciles_with_the_database(db, w):
    p = {"park": w.park_a.id, "start": START, "end": END}
    served = (
        "FROM assignments a JOIN enterprises e ON e.id = a.enterprise_id WHERE e.park_id = :park "
        "AND e.status = 'active' AND a.start_on <= :end AND (a.end_on IS NULL OR a.end_on > :end)"
    )
    visit_in_month = (
        "SELECT 1 FROM visits v WHERE v.enterprise_id = e.id AND v.visited_on BETWEEN :start AND :end"
    )
    problems = f"SELECT count(*) FROM problems p {IN_PARK_A.format(t='p')}"
    events = (
        "SELECT count(*) FROM problem_events ev JOIN problems p ON p.id = ev.problem_id "
        "JOIN enterprises e ON e.id = p.enterprise_id WHERE e.park_id = :park "
        "AND ev.happened_on BETWEEN :start AND :end AND ev.action = :action"
    )
    visits = (
        f"SELECT count(*) FROM visits v {IN_PARK_A.format(t='v')} AND v.visited_on BETWEEN :start AND :end"
    )
    evaluations, satisfied = _evaluations(db, w.park_a.id)
    independent = {
        "联系企业数（家）": _count(db, f"SELECT count(*) {served}", **p),
        "联企干部数（人）": _count(db, f"SELECT count(DISTINCT a.cadre_id) {served}", **p),
        "联系覆盖率": _count(db, f"SELECT count(*) {served} AND EXISTS ({visit_in_month})", **p)
        / _count(db, f"SELECT count(*) {served}", **p),
        "上门覆盖率": _count(
            db, f"SELECT count(*) {served} AND EXISTS ({visit_in_month} AND v.kind = 'onsite')", **p
        )
        / _count(db, f"SELECT count(*) {served}", **p),
        "本月未上门企业（家）": _count(
            db, f"SELECT count(*) {served} AND NOT EXISTS ({visit_in_month} AND v.kind = 'onsite')", **p
        ),
        "走访次数合计": _count(db, visits, **p),
        "\u3000其中：上门走访": _count(db, visits + " AND v.kind = 'onsite'", **p),
        "\u3000其中：电话": _count(db, visits + " AND v.kind = 'phone'", **p),
        "\u3000其中：线上": _count(db, visits + " AND v.kind = 'online'", **p),
        "上月结转（件）": _count(
            db, problems + " AND p.raised_on < :start AND (p.closed_on IS NULL OR p.closed_on >= :start)", **p
        ),
        "本月新增（件）": _count(db, problems + " AND p.raised_on BETWEEN :start AND :end", **p),
        "本月销号（件）": _count(db, problems + " AND p.closed_on BETWEEN :start AND :end", **p),
        "月末在办（件）": _count(
            db, problems + " AND p.raised_on <= :end AND (p.closed_on IS NULL OR p.closed_on > :end)", **p
        ),
        "本月办结（件）": _count(
            db, problems + " AND p.resolved_on BETWEEN :start AND :end AND p.due_on IS NOT NULL", **p
        ),
        "按期办结率": _count(
            db,
            problems + " AND p.resolved_on BETWEEN :start AND :end AND p.due_on IS NOT NULL "
            "AND p.resolved_on <= p.due_on",
            **p,
        )
        / _count(db, problems + " AND p.resolved_on BETWEEN :start AND :end AND p.due_on IS NOT NULL", **p),
        "回访评价（次）": evaluations,
        "满意率": satisfied / evaluations,
        "提级协调（次）": _count(db, events, action="escalate", **p),
        "督办（次）": _count(db, events, action="supervise", **p),
        # Red at month end needs the deadlines as they stood on 10-31: worked out by hand (P2, P5).
        "月末超期（件）": EXPECTED["overdue"],
    }
    sheet = _summary(_workbook(w))
    for label, want in independent.items():
        assert sheet[label][0] == pytest.approx(want, abs=HALF_DIGIT), label
    # …and the hand-worked story agrees with both.
    assert (
        sheet["联系企业数（家）"][0] == EXPECTED["firms_served"]
        and sheet["本月新增（件）"][0] == EXPECTED["new"]
    )
    assert sheet["满意率"][0] == pytest.approx(
        EXPECTED["satisfied"] / EXPECTED["evaluations"], abs=HALF_DIGIT
    )


def test_carried_plus_new_minus_closed_is_open_every_month_and_scope(db, w):
    for park in (w.park_a, w.park_b, None):
        for month in ("2026-08", "2026-09", "2026-10", "2026-11"):
            report = build_monthly_report(ReportScope(park), Period.parse(month, TODAY))
            for summary in (report.summary, report.previous):
                f = summary.problems
                assert f.carried + f.new - f.closed == f.open_end, (park, month)
                assert f.carried + f.new == sum(f.by_status.values())
    f = build_monthly_report(ReportScope(w.park_a), Period.parse("2026-10", TODAY)).summary.problems
    assert (f.carried, f.new, f.closed, f.open_end) == (2, 5, 3, 4)
    wb = _workbook(w)
    assert "核对：上月结转 2 ＋ 本月新增 5 − 本月销号 3 ＝ 月末在办 4" in [
        c.value for c in wb["汇总"]["A"] if c.value
    ]


def test_cadre_sheet_reconciles_with_the_database(db, w):
    rows = _table(_workbook(w), "干部走访")
    p = {"park": w.park_a.id, "start": START, "end": END}
    for person, overdue in ((w.c1, 2), (w.c2, 1), (w.c3, 0), (w.officer, 0)):
        row = rows[person.name]
        q = p | {"who": person.id}
        served = (
            "SELECT count(*) FROM assignments a JOIN enterprises e ON e.id = a.enterprise_id "
            "WHERE e.park_id = :park AND e.status = 'active' AND a.cadre_id = :who AND a.start_on <= :end "
            "AND (a.end_on IS NULL OR a.end_on > :end)"
        )
        visited = (
            "EXISTS (SELECT 1 FROM visits v WHERE v.enterprise_id = e.id "
            "AND v.visited_on BETWEEN :start AND :end"
        )
        logged = (
            f"SELECT count(*) FROM visits v {IN_PARK_A.format(t='v')} AND v.cadre_id = :who "
            "AND v.visited_on BETWEEN :start AND :end"
        )
        raised = f"SELECT count(*) FROM problems p {IN_PARK_A.format(t='p')} AND p.raised_by_id = :who"
        firms = _count(db, served, **q)
        assert row["联系企业数"] == firms
        assert row["联系次数"] == _count(db, logged, **q)
        assert row["上门次数"] == _count(db, logged + " AND v.kind = 'onsite'", **q)
        assert row["已联系企业"] == _count(db, f"{served} AND {visited})", **q)
        assert row["已上门企业"] == _count(db, f"{served} AND {visited} AND v.kind = 'onsite')", **q)
        if firms:
            assert row["上门覆盖率"] == pytest.approx(row["已上门企业"] / firms, abs=HALF_DIGIT)
        else:
            assert row["上门覆盖率"] is None
        assert row["反映问题"] == _count(db, raised + " AND p.raised_on BETWEEN :start AND :end", **q)
        assert row["销号问题"] == _count(db, raised + " AND p.closed_on BETWEEN :start AND :end", **q)
        assert row["逾期企业"] == overdue  # contact or on-site cadence overdue on 11-01 (worked out by hand)
    assert (
        rows["张一"]["联系企业数"] == 3 and rows["张一"]["已上门企业"] == 2 and rows["李二"]["上门次数"] == 2
    )
    assert w.cadre_b.name not in rows  # park B's cadre is not in park A's report
    total = rows["合计"]
    assert total["联系企业数"] == EXPECTED["firms_served"] and total["联系次数"] == EXPECTED["visits"]


def test_department_sheet_reconciles_with_the_database(db, w):
    rows = _table(_workbook(w), "部门办理")
    p = {"park": w.park_a.id, "start": START, "end": END}
    for dept, signed, open_end, overdue in ((w.dept1, 1, 1, 1), (w.dept2, 1, 2, 1)):
        row = rows[dept.name]
        q = p | {"dept": dept.id}
        events = (
            "FROM problem_events ev JOIN problems p ON p.id = ev.problem_id JOIN enterprises e "
            "ON e.id = p.enterprise_id WHERE e.park_id = :park AND ev.department_id = :dept "
            "AND ev.happened_on BETWEEN :start AND :end"
        )
        problems = f"SELECT count(*) FROM problems p {IN_PARK_A.format(t='p')} AND p.department_id = :dept"
        resolved = problems + " AND p.resolved_on BETWEEN :start AND :end AND p.due_on IS NOT NULL"
        evaluations, satisfied = _evaluations(db, w.park_a.id, dept.id)
        received = (
            f"SELECT count(DISTINCT ev.problem_id) {events} AND ev.action IN ('dispatch', 'redispatch')"
        )
        assert row["本月收到"] == _count(db, received, **q)
        assert row["本月销号"] == _count(db, problems + " AND p.closed_on BETWEEN :start AND :end", **q)
        assert row["本月办结"] == _count(db, resolved, **q)
        assert row["按期办结"] == _count(db, resolved + " AND p.resolved_on <= p.due_on", **q)
        assert row["延期（次）"] == _count(
            db, f"SELECT count(*) {events} AND ev.action = 'approve_extension'", **q
        )
        assert row["退回（次）"] == _count(db, f"SELECT count(*) {events} AND ev.action = 'return'", **q)
        assert row["回访评价"] == evaluations
        assert row["满意率"] == (
            pytest.approx(satisfied / evaluations, abs=HALF_DIGIT) if evaluations else None
        )
        # Signed within 1 working day and the month-end state need the calendar: worked out by hand.
        assert (row["按时签收"], row["月末在办"], row["月末超期"]) == (signed, open_end, overdue)
    assert (
        rows["税务局"]["本月收到"] == 2
        and rows["税务局"]["退回（次）"] == 1
        and rows["供电公司"]["延期（次）"] == 1
    )
    # P3 went to both departments: once in each row, once in the total (distinct problems).
    assert rows["合计"]["本月收到"] == 3


def test_problem_list_shows_the_state_at_month_end(db, w):
    period = Period.parse("2026-10", TODAY)
    states = {s.id: s for s in problem_states(ReportScope(w.park_a), period, RuleBook.load(), get_calendar())}
    assert set(states) == {w.p1.id, w.p2.id, w.p3.id, w.p4.id, w.p5.id, w.p6.id, w.p10.id}
    p2, p5 = states[w.p2.id], states[w.p5.id]
    assert w.p2.level == 3 and p2.level == 2  # escalated again on 11-02
    assert w.p5.status == "resolved" and (p5.status, p5.resolved_on, p5.colour) == (
        "in_progress",
        None,
        "red",
    )
    assert states[w.p3.id].colour == "yellow" and states[w.p3.id].department_id == w.dept2.id
    assert states[w.p3.id].due_on == date(2026, 11, 3)  # the approved extension
    assert states[w.p1.id].colour == "grey" and states[w.p10.id].colour == "green"
    ws = _workbook(w)["问题清单"]
    titles = [row[3] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert titles[:2] == ["发票额度不足", "变压器老化"]  # red first
    assert "十一月的新问题" not in titles and "八月的老问题" not in titles and "乙园区物流问题" not in titles


def test_replaying_all_events_gives_the_current_row(db, w):
    """The replay mirrors problem_flow: with no cut-off it rebuilds every problem exactly."""
    book, cal = RuleBook.load(), get_calendar()
    period = Period.parse("2026-11", TODAY)  # the running month: nothing after its end
    states = problem_states(ReportScope(None), period, book, cal)
    fields = [
        "status",
        "department_id",
        "dispatched_on",
        "accepted_on",
        "first_feedback_on",
        "progress_on",
        "resolved_on",
        "evaluated_on",
        "closed_on",
        "sign_due_on",
        "feedback_due_on",
        "progress_due_on",
        "due_on",
        "level",
        "evaluation",
        "on_spot",
    ]
    for state in states:
        problem = db.session.get(Problem, state.id)
        events = [(e.action, e.to_status, e.department_id, e.data, e.happened_on) for e in problem.events]
        replay(state, events, book, cal)
        assert [getattr(state, f) for f in fields] == [getattr(problem, f) for f in fields], problem.title


def test_officer_report_contains_only_their_park(db, w):
    from crm.reporting.monthly.generate import generate_report, report_path

    report = generate_report(w.officer, "2026-10", w.park_a, TODAY)
    wb = load_workbook(report_path(report))
    text_cells = {
        c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)
    }
    assert "甲一电机有限公司" in text_cells and "乙一物流有限公司" not in text_cells
    assert (
        "乙园区" not in text_cells and "乙园区物流问题" not in text_cells and w.cadre_b.name not in text_cells
    )
    with pytest.raises(ServiceError, match="只能生成本园区"):
        generate_report(w.officer, "2026-10", w.park_b, TODAY)
    with pytest.raises(ServiceError, match="只能生成本园区"):
        generate_report(w.officer, "2026-10", None, TODAY)
    city = _workbook(w, park=None)  # a city-wide report holds both parks
    firms = {row[0] for row in city["未走访企业"].iter_rows(min_row=2, values_only=True)}
    problems = {row[3] for row in city["问题清单"].iter_rows(min_row=2, values_only=True)}
    assert "乙园区物流问题" in problems and "甲四食品有限公司" in firms


def test_period_parsing(db):
    assert Period.parse("2026-10", TODAY).end == date(2026, 10, 31)
    assert Period.parse("2026年11月", TODAY).end == TODAY  # the running month stops today
    assert Period.parse("2026/9", TODAY).previous().month == "2026-08"
    for bad, message in (("2026-13", "格式"), ("abc", "格式"), ("", "格式"), ("2026-12", "尚未开始")):
        with pytest.raises(ServiceError, match=message):
            Period.parse(bad, TODAY)


def test_report_query_count_does_not_grow_with_data(db, w, count_queries):
    from tests.support.factories import make_enterprise
    from tests.support.reports import _raise, _step
    from tests.support.visits import make_visit

    period = Period.parse("2026-10", TODAY)

    def add(n):
        for i in range(n):
            firm = make_enterprise(
                w.park_a, f"扩容企业{i}{n}", cadre=w.c2, assigned_by=w.officer, today=date(2026, 9, 1)
            )
            make_visit(firm, w.c2, date(2026, 10, 12), "onsite")
            problem = _raise(firm, w.c2, f"扩容问题{i}", date(2026, 10, 12))
            _step(problem, "dispatch", w.officer, date(2026, 10, 12), department_id=w.dept1.id)
            _step(problem, "accept", w.h1, date(2026, 11, 2))  # forces a replay
        db.session.commit()

    add(3)
    with count_queries() as small:
        write_monthly_workbook(build_monthly_report(ReportScope(w.park_a), period))
    add(30)
    with count_queries() as big:
        write_monthly_workbook(build_monthly_report(ReportScope(w.park_a), period))
    # Each kind of fact of the month and of the month before (for 上月 and 四张清单变化) is one or two
    # grouped queries, the registry at month end two more, and whether the month before is closed: about
    # fifty, whatever the data.
    assert big.count == small.count <= 52
