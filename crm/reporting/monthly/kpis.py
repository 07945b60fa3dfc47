"""The monthly report's KPIs: which of its counts are each KPI's 分子 and 分母 (crm.services.kpi).

The 指标说明 sheet shows these counts next to each definition; the dashboards' 本月指标 are the same
counts for the running month (month_problem_kpis) and, once closed, last month's as frozen
(closed_month_problem_kpis), so a card and the month's workbook agree.
"""

from dataclasses import dataclass
from typing import Optional, Union

from crm.reporting.monthly.evidence import EvidenceFigures
from crm.reporting.monthly.facts import DispatchFact
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.problems import DeptRow, ProblemFigures, department_rows, problem_figures
from crm.reporting.monthly.snapshot import SummaryFact, source_for
from crm.reporting.monthly.visits import VisitFigures
from crm.services.closing.codec import decoder
from crm.services.closing.store import latest_closes, read_kind
from crm.services.kpi import KPIS, Kpi

Number = Union[int, float]


@dataclass(frozen=True)
class KpiCount:
    """A KPI's numerator and denominator for one scope and period, and the figure they give."""

    kpi: Kpi
    part: Number
    whole: Number

    @property
    def value(self) -> Optional[float]:
        return self.kpi.value(self.part, self.whole)

    @property
    def fraction(self) -> Optional[float]:
        return self.kpi.fraction(self.part, self.whole)


def _in_order(counts: dict[str, tuple[Number, Number]]) -> dict[str, KpiCount]:
    return {key: KpiCount(KPIS[key], *counts[key]) for key in KPIS if key in counts}


def visit_kpis(v: VisitFigures) -> dict[str, KpiCount]:
    """联系覆盖率 and 上门覆盖率 of the 汇总 visit figures."""
    return _in_order(
        {
            "contact_coverage": (v.contacted, v.firms_served),
            "onsite_coverage": (v.visited, v.firms_served),
        }
    )


def problem_kpis(p: ProblemFigures, departments: Optional[DeptRow] = None) -> dict[str, KpiCount]:
    """The problem KPIs of the 汇总 problem figures, and the 按时签收率 of the 部门办理 合计 row if given."""
    counts: dict[str, tuple[Number, Number]] = {
        "on_time_rate": (p.on_time, p.resolved),
        "resolution_rate": (p.resolved, p.resolved + p.due_unresolved),
        "solved_rate": (p.closed_solved, p.closed),
        "satisfaction_rate": (p.satisfied, p.evaluations),
        "overdue_rate": (p.overdue, p.open_end),
        "avg_resolution_workdays": (p.resolved_workdays, p.resolved),
    }
    if departments is not None:
        counts["signed_on_time_rate"] = (departments.signed, departments.sign_due)
    return _in_order(counts)


def evidence_kpis(e: EvidenceFigures) -> dict[str, KpiCount]:
    """上门覆盖率（有佐证） of the 汇总 evidence figures."""
    return _in_order({"evidenced_coverage": (e.firms, e.firms_served)})


def report_kpis(report) -> dict[str, KpiCount]:
    """Every KPI a MonthlyReport has for its own period and scope, in KPIS order."""
    summary = report.summary
    both = visit_kpis(summary.visits) | evidence_kpis(summary.evidence)
    both |= problem_kpis(summary.problems, report.department_total)
    return {key: both[key] for key in KPIS if key in both}


def month_problem_kpis(scope: ReportScope, period: Period) -> dict[str, KpiCount]:
    """The problem KPIs of one period from the month's facts, counted exactly as its workbook counts them
    (without building the other sheets): the dashboards' 本月指标."""
    source = source_for(period, scope.park_id)
    states, events = source.rows("problems"), source.rows("events")
    _rows, total = department_rows(period, states, events, source.rows("dispatches"), {})
    return problem_kpis(problem_figures(period, states, events), total)


def closed_month_problem_kpis(scope: ReportScope, period: Period) -> dict[str, KpiCount]:
    """A closed month's problem KPIs as its close froze them (nothing for a month not closed): its 汇总
    figures and its dispatches, two reads of the snapshot instead of the whole month's facts."""
    close = latest_closes([period.month]).get(period.month)
    if close is None or not close.is_closed or period.is_running:
        return {}
    summary = decoder(SummaryFact)
    frozen = (summary(data) for _id, data in read_kind([close.id], "summary"))
    figures = next((fact.problems for fact in frozen if fact.park_id == scope.park_id), None)
    if figures is None:  # a park created after the close: no figures of its own that month
        return {}
    dispatch = decoder(DispatchFact)
    dispatches = [dispatch(data) for _id, data in read_kind([close.id], "dispatches")]
    if scope.park_id is not None:
        dispatches = [d for d in dispatches if d.park_id == scope.park_id]
    _rows, total = department_rows(period, [], [], dispatches, {})
    return problem_kpis(figures, total)
