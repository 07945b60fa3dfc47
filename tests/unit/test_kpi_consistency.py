"""One definition per KPI: the workbook, its 指标说明 sheet and the dashboards show the same figures.

The running October of tests/support/kpi_month.py is seen on 10-29 by both sides: the workbook of the
month (month-end states, its facts) and the dashboards (live SQL over the rows, the coverage page's
counts). Every KPI is checked against the hand-worked figures, and each side against the other.
"""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from crm.reporting.monthly.build import build_monthly_report
from crm.reporting.monthly.kpis import closed_month_problem_kpis, month_problem_kpis, report_kpis
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.writer import write_monthly_workbook
from crm.services.dashboard.figures import officer_dashboard
from crm.services.dashboard.stats import home_stats
from crm.services.kpi import KPIS
from crm.services.visits.coverage import coverage_report
from tests.support.dates import TODAY
from tests.support.kpi_month import DAY, EXPECTED, EXPECTED_CHAINS, EXPECTED_DEPARTMENTS, MONTH, kpi_month
from tests.support.month_close import close
from tests.support.reports import report_world

IN_WORKBOOK = [k for k in EXPECTED if k != "weekly_contact_coverage"]  # a dashboard-only figure


@pytest.fixture()
def m(db):
    world = kpi_month()
    db.session.commit()
    return world


def _report(scope: ReportScope):
    return build_monthly_report(scope, Period.parse(MONTH, DAY))


def _book(report):
    return load_workbook(BytesIO(write_monthly_workbook(report).getvalue()))


def _rows(ws, first: int) -> dict:
    return {row[0]: row for row in ws.iter_rows(min_row=first, values_only=True) if row[0]}


def test_the_month_gives_the_hand_worked_figures(db, m):
    report = _report(ReportScope(m.park_a))
    assert report.period.is_running  # 截至 10-29
    counts = report_kpis(report)
    assert list(counts) == [k for k in KPIS if k in counts]  # in the order of the 指标说明 sheet
    assert set(counts) == set(IN_WORKBOOK)
    for key in IN_WORKBOOK:
        c = counts[key]
        assert (c.part, c.whole, c.value) == EXPECTED[key], key


def test_every_rate_cell_of_the_workbook_is_the_modules_figure(db, m):
    report = _report(ReportScope(m.park_a))
    wb = _book(report)
    # 汇总: every KPI it shows, in the fraction Excel formats as 0.0%.
    summary = _rows(wb["汇总"], 5)
    shown = 0
    for key in IN_WORKBOOK:
        k = KPIS[key]
        if k.label in summary:
            shown += 1
            assert summary[k.label][1] == k.fraction(*EXPECTED[key][:2]), k.label
            assert k.numerator in summary[k.label][4]  # its 口径说明 is the definition
    assert shown == len(IN_WORKBOOK) - 1  # all but 按时签收率, which 部门办理 and 指标说明 show
    # 指标说明: one row per KPI with this month's 分子, 分母 and value.
    sheet = _rows(wb["指标说明"], 5)
    for key, k in KPIS.items():
        row = sheet[k.label]
        assert row[1:5] == (k.formula, k.numerator, k.denominator, k.note)
        if key in IN_WORKBOOK:
            part, whole, _value = EXPECTED[key]
            assert row[5:] == (part, whole, k.fraction(part, whole)), k.label
    assert sheet["本周联系覆盖率"][5:] == (None, None, "不在月报中统计")
    assert sheet["平均办结工作日"][7] == 8.5 and sheet["上门覆盖率"][7] == 0.429
    conventions = [
        row[0] for row in wb["指标说明"].iter_rows(values_only=True) if str(row[0]).startswith("3.")
    ]
    assert conventions == ["3. 问题按件计"]
    # 部门办理: each department's rates and the 合计.
    depts = _rows(wb["部门办理"], 2)
    headers = next(wb["部门办理"].iter_rows(max_row=1, values_only=True))
    col = {h: i for i, h in enumerate(headers)}
    for name, ((signed, due), (on_time, resolved)) in EXPECTED_DEPARTMENTS.items():
        row = depts[name]
        assert (row[col["按时签收"]], row[col["按时签收率"]]) == (
            signed,
            KPIS["signed_on_time_rate"].fraction(signed, due),
        ), name
        assert (row[col["按期办结"]], row[col["本月办结"]], row[col["按期办结率"]]) == (
            on_time,
            resolved,
            KPIS["on_time_rate"].fraction(on_time, resolved),
        ), name
    total = depts["合计"]
    assert total[col["按时签收率"]] == KPIS["signed_on_time_rate"].fraction(
        *EXPECTED["signed_on_time_rate"][:2]
    )
    assert total[col["按期办结率"]] == KPIS["on_time_rate"].fraction(*EXPECTED["on_time_rate"][:2])
    assert total[col["满意率"]] == KPIS["satisfaction_rate"].fraction(*EXPECTED["satisfaction_rate"][:2])
    # 产业链 and 干部走访 rates.
    chains = _rows(wb["产业链"], 2)
    for name, (visited, served) in EXPECTED_CHAINS.items():
        assert chains[name][4] == KPIS["onsite_coverage"].fraction(visited, served), name
    cadres = _rows(wb["干部走访"], 2)
    assert cadres["张一"][8] == KPIS["onsite_coverage"].fraction(1, 3)  # f1 of f1 f2 f8: 0.333


def test_dashboards_show_the_workbooks_figures(db, m):
    """The officer's home page of park A on 10-29 against the workbook of the running month."""
    report = _report(ReportScope(m.park_a))
    book = report_kpis(report)
    board = officer_dashboard(m.officer, DAY)
    stats = home_stats(m.officer, DAY)
    month = month_problem_kpis(ReportScope(m.park_a), Period.parse(MONTH, DAY))
    # Coverage cards: the coverage page's own counts (last-visit summary), the city cadre's firm included.
    assert board.visits is not None and board.visits.firms == 7
    assert board.visits.month_pct == book["onsite_coverage"].value == 42.9
    assert board.visits.week_pct == EXPECTED["weekly_contact_coverage"][2]
    page = coverage_report(m.officer, DAY)
    assert (page.totals.firms, page.totals.month_pct, page.totals.week_pct) == (7, 42.9, 28.6)
    assert page.others.firms == 1  # f5: its liaison is not one of the park's cadres
    # 本月办理指标: the same counts as the workbook, KPI by KPI.
    problem_keys = [k for k in IN_WORKBOOK if KPIS[k].group == "问题办理"]
    assert list(month) == problem_keys
    for key in problem_keys:
        assert (month[key].part, month[key].whole, month[key].value) == EXPECTED[key], key
        assert (month[key].part, month[key].whole) == (book[key].part, book[key].whole), key
    # 超期率 agrees with the 红色预警 and 在办问题 cards, which count with the problem list's own SQL.
    p = stats.problems
    assert (p.by_colour["red"], p.open) == EXPECTED["overdue_rate"][:2]
    assert KPIS["overdue_rate"].value(p.by_colour["red"], p.open) == month["overdue_rate"].value
    # The department ranking (this year = October here) and the chain overview use the same module.
    rows = {d.name: d for d in report.departments}
    for rank in stats.departments:
        _signed, (on_time, resolved) = EXPECTED_DEPARTMENTS[rank.name]
        assert (rank.on_time, rank.resolved) == (on_time, resolved), rank.name
        assert rank.on_time_pct == KPIS["on_time_rate"].value(on_time, resolved)
        assert rows[rank.name].on_time_rate == KPIS["on_time_rate"].fraction(rank.on_time, rank.resolved)
    assert {d.name for d in stats.departments} == set(EXPECTED_DEPARTMENTS)
    chains = {c.name: c for c in stats.chains}
    for name, (visited, served) in EXPECTED_CHAINS.items():
        assert (chains[name].visited, chains[name].served) == (visited, served)
        assert chains[name].visited_pct == KPIS["onsite_coverage"].value(visited, served)


def test_city_wide_dashboard_matches_the_city_workbook(db, m):
    """A city-wide leader sees both parks: park B's served firm, visit and problem count too."""
    book = report_kpis(_report(ReportScope(None)))
    board = officer_dashboard(m.leader, DAY)
    stats = home_stats(m.leader, DAY)
    month = month_problem_kpis(ReportScope(None), Period.parse(MONTH, DAY))
    assert board.visits is not None
    assert board.visits.month_pct == book["onsite_coverage"].value == 50.0  # 4 of 8
    assert (board.visits.firms, book["onsite_coverage"].whole) == (8, 8)
    for key, count in month.items():
        assert (count.part, count.whole) == (book[key].part, book[key].whole), key
    # PK (park B) was dispatched, signed on time and resolved on time the day after.
    assert (month["on_time_rate"].part, month["on_time_rate"].whole) == (4, 5)
    assert (month["signed_on_time_rate"].part, month["signed_on_time_rate"].whole) == (4, 6)
    assert KPIS["overdue_rate"].value(stats.problems.by_colour["red"], stats.problems.open) == (
        month["overdue_rate"].value
    )


def test_a_closed_months_frozen_kpis_are_its_workbooks(db):
    """Last month on the dashboard: read from the close's frozen 汇总 and dispatches, the same as its book."""
    w = report_world()
    db.session.commit()
    october = Period.parse("2026-10", TODAY)
    assert closed_month_problem_kpis(ReportScope(w.park_a), october) == {}  # a draft: nothing frozen yet
    close()
    for park in (w.park_a, w.park_b, None):
        frozen = closed_month_problem_kpis(ReportScope(park), october)
        book = report_kpis(build_monthly_report(ReportScope(park), october))
        assert list(frozen) == [k for k in book if KPIS[k].group == "问题办理"], park
        for key, count in frozen.items():
            assert (count.part, count.whole) == (book[key].part, book[key].whole), (park, key)
    a = closed_month_problem_kpis(ReportScope(w.park_a), october)
    assert (a["on_time_rate"].part, a["on_time_rate"].whole) == (1, 2)  # P1 late, P6 on time
    assert (a["signed_on_time_rate"].part, a["signed_on_time_rate"].whole) == (2, 4)  # P6, P5 of 4 due
