"""The working-day clock (已用工作日) stops when the problem is resolved or closed, wherever it is shown:
the problem list and page, the list export and the monthly workbook (as the problem stood at month end)."""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from crm.reporting.exports.problems import export_problems
from crm.reporting.monthly.build import build_monthly_report
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.writer import write_monthly_workbook
from crm.services.problems.queries import problem_clock
from tests.support.problems import make_problem, problem_world, step

DISPATCHED = date(2026, 11, 4)  # a Wednesday
FORCED = date(2026, 11, 9)  # the Monday after: 11-05, 11-06, 11-09 are the three working days
YEAR_END = date(2026, 12, 31)


@pytest.fixture()
def w(db):
    return problem_world()


def _dispatched(w, state: str, title: str):
    """A problem raised and dispatched on DISPATCHED, taken to state (a key of PATHS) that day."""
    return make_problem(
        w.firm, w.cadre, state, w.dept, w.handler, title=title, raised_on=DISPATCHED, on=DISPATCHED
    )


def _used_in_export(problem, today) -> int:
    wb = load_workbook(BytesIO(export_problems([problem], problem_clock(today)).getvalue()))
    header, row = list(wb.active.iter_rows(values_only=True))[:2]
    return dict(zip(header, row, strict=True))["已用工作日"]


def _used_in_workbook(w, month: int, today=YEAR_END) -> dict[str, int]:
    """{title: 已用工作日} of the 问题清单 sheet of the park's workbook for 2026-<month>."""
    report = build_monthly_report(ReportScope(w.park), Period.of(2026, month, today))
    ws = load_workbook(BytesIO(write_monthly_workbook(report).getvalue()))["问题清单"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    return {r[header.index("问题标题")]: r[header.index("已用工作日")] for r in rows[1:] if r[0]}


def test_a_forced_close_stops_the_clock(db, w):
    p = _dispatched(w, "dispatched", "强制销号")
    step(p, "force_close", w.officer, on=FORCED, note="企业已迁出本区")
    assert (p.status, p.resolved_on, p.closed_on) == ("closed", None, FORCED)
    for today in (FORCED, date(2026, 11, 30), YEAR_END):
        assert problem_clock(today).used(p) == 3
        assert _used_in_export(p, today) == 3
    assert _used_in_workbook(w, 11) == {"强制销号": 3}
    assert "强制销号" not in _used_in_workbook(w, 12)  # closed before December: not in its list


def test_a_forced_close_after_month_end_counts_to_the_close(db, w):
    """November's workbook replays the problem as it stood on 11-30 (open); December's stops at 12-02."""
    p = _dispatched(w, "dispatched", "十二月销号")
    step(p, "force_close", w.officer, on=date(2026, 12, 2), note="企业已迁出本区")
    assert _used_in_workbook(w, 11) == {"十二月销号": 18}  # working days 11-05 … 11-30
    assert _used_in_workbook(w, 12) == {"十二月销号": 20}  # … 12-01, 12-02
    assert problem_clock(YEAR_END).used(p) == 20


def test_resolved_and_closed_problems_count_to_the_resolution(db, w):
    p = _dispatched(w, "resolved", "已办结")
    assert problem_clock(YEAR_END).used(p) == 0  # resolved on the day of dispatch
    q = _dispatched(w, "in_progress", "回访销号")
    step(q, "resolve", w.handler, on=date(2026, 11, 6), note="已协调解决")
    step(q, "evaluate", w.cadre, on=date(2026, 11, 20), evaluation="satisfied")
    assert problem_clock(YEAR_END).used(q) == 2
    assert _used_in_workbook(w, 11)["回访销号"] == 2


def test_a_redo_runs_the_clock_again_until_the_latest_resolution(db, w):
    """重办: the unsatisfied evaluation clears the resolution; the clock counts from the dispatch to today,
    then to the second resolution."""
    p = _dispatched(w, "in_progress", "重办")
    step(p, "resolve", w.handler, on=date(2026, 11, 6), note="已协调解决")
    assert problem_clock(date(2026, 11, 10)).used(p) == 2
    step(p, "evaluate", w.cadre, on=date(2026, 11, 10), evaluation="unsatisfied", note="问题没有解决")
    assert (p.status, p.resolved_on) == ("in_progress", None)
    assert problem_clock(date(2026, 11, 12)).used(p) == 6
    step(p, "resolve", w.handler, on=date(2026, 11, 13), note="再次协调，已解决")
    step(p, "evaluate", w.cadre, on=date(2026, 11, 16), evaluation="satisfied")
    assert problem_clock(YEAR_END).used(p) == 7
    assert _used_in_workbook(w, 11)["重办"] == 7
