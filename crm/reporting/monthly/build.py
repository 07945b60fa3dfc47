"""The monthly workbook (联企服务月报) for one park or all parks: what each figure means, and the builder.

Definitions — used the same way in every sheet, on the 报表 page, by the CLI, the scheduler and the tests:

- Month: the calendar month YYYY-MM. Business dates (`*_on`) are Asia/Shanghai dates. The period ends on
  the month's last day, or today while the month is still running ("截至今天"). "At month end" means on
  that last day of the period.
- Scope: firms whose park is the report's park (or any park); their visits and problems follow them.
- 联系企业 (firms served): 在营 firms with a liaison assignment active at month end
  (start_on <= end and end_on null or after end). Cadres = distinct liaisons of those firms.
- 联系覆盖率 = firms served with a contact of any kind in the month / firms served.
  上门覆盖率 = firms served with an on-site visit (上门走访) in the month / firms served.
  未走访企业 = firms served without an on-site visit in the month (so 未走访 = 联系企业 − 已上门).
- 逾期企业 (per cadre) = firms served whose 一周一联系 or 一月一进企 cadence (crm.services.visits.cadence, the
  park's rules) is overdue when the month closes: judged on the next month's 1st (today while it runs)
  from the visits up to month end.
- Per cadre, 联系次数 / 上门次数 = visits the person logged in the month to firms in scope (the firm
  figures are about their firms, whoever visited); 反映问题 = problems they raised in the month;
  销号问题 = problems they raised that were closed in the month.
- Problems: 上月结转 (carried over) = raised before the month and not closed before it; 本月新增 (new) =
  raised_on in the month; 本月销号 (closed) = closed_on in the month; 月末在办 (open at month end) = raised
  on or before month end and not closed by then. Hence carried + new − closed = open. 问题清单 lists
  carried ∪ new: every problem open at some point in the month.
- Status, department, deadlines, 三色 colour, working days used and level are as of month end: the
  current row if nothing happened to the problem after month end, else replayed from its
  ProblemEvents dated on or before month end (crm.reporting.monthly.state).
- 月末超期 (overdue) = open at month end and red at month end (crm.services.problems.deadlines).
- 本月办结 = resolved_on (as of month end) in the month, for problems with a final limit; on time =
  resolved_on <= due_on. Problems never dispatched (solved on the spot) have no limit and are left out.
- 满意率 = (满意 + 基本满意) / 回访评价 events of the month.
- 提级协调 / 督办 = 'escalate' / 'supervise' ProblemEvents dated in the month.
- 部门办理, per department: 收到 = problems dispatched (交办/改派) to it in the month; 按时签收 = of those,
  signed by it within the 137 sign limit (working days, even if the signature falls early next month);
  办结 / 按期 / 销号 / 在办 / 超期 = as above, for problems in its hands at month end; 延期 = extensions
  approved, 退回 = returns it made, 满意率 = its evaluations — all dated in the month.
- 产业链: 在营 firms of the chain (today's registry), the figures above per chain, and 销售清单 totals in
  万元 for the month and from January to the month.
- Working days come from crm.services.workdays.calendar (Chinese official calendar with 调休).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import Department, Park
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.problems import (
    DeptRow,
    ProblemFigures,
    SupervisionRow,
    counted_events,
    department_rows,
    problem_figures,
    supervision_rows,
)
from crm.reporting.monthly.state import ProblemState, problem_states
from crm.reporting.monthly.visits import (
    CadreRow,
    ChainRow,
    ServedFirm,
    VisitFigures,
    cadre_rows,
    chain_rows,
    served_firms,
    unvisited,
    visit_counts,
    visit_figures,
)
from crm.services.problems.rules import problem_rules
from crm.services.workdays.calendar import get_calendar, provisional_note
from crm.timeutil import utcnow

__all__ = ["MonthlyReport", "Period", "ReportScope", "build_monthly_report"]


@dataclass
class Summary:
    visits: VisitFigures
    problems: ProblemFigures


@dataclass
class MonthlyReport:
    scope: ReportScope
    period: Period
    generated_at: datetime  # naive UTC
    summary: Summary
    previous: Summary
    cadres: list[CadreRow]
    unvisited: list[ServedFirm]
    problems: list[ProblemState]
    departments: list[DeptRow]
    chains: list[ChainRow]
    supervision: list[SupervisionRow]
    parks: dict[int, str]
    cadre_names: dict[int, str]
    department_names: dict[int, str]
    chain_names: dict[int, str]
    # The caveat when deadlines in the book fall in a year whose 调休 is not entered yet (provisional).
    calendar_note: Optional[str] = None

    @property
    def title(self) -> str:
        return f"{self.scope.title}{self.period.label}联企服务月报"


def _summary(scope: ReportScope, period: Period, rules, cal) -> Summary:
    """Only the 汇总 figures of a period (for the previous-month comparison)."""
    firms = served_firms(scope, period)
    states = problem_states(scope, period, rules, cal)
    return Summary(
        visit_figures(firms, visit_counts(scope, period)),
        problem_figures(period, states, counted_events(scope, period)),
    )


def build_monthly_report(scope: ReportScope, period: Period, now: Optional[datetime] = None) -> MonthlyReport:
    """All sheets' figures for the scope and period (a constant number of SQL queries, no ORM rows)."""
    rules, cal = problem_rules(), get_calendar()
    firms = served_firms(scope, period)
    counts = visit_counts(scope, period)
    states = problem_states(scope, period, rules, cal)
    events = counted_events(scope, period)
    cadres = cadre_rows(scope, period, firms, counts)
    departments = department_rows(scope, period, states, events, rules, cal)
    chains = chain_rows(scope, period, firms, counts, states)
    names = dict(db.session.execute(select(Park.id, Park.name)).all())
    dept_names = {d.department_id: d.name for d in departments}
    missing = {s.department_id for s in states if s.department_id and s.department_id not in dept_names}
    if missing:
        stmt = select(Department.id, Department.name).where(Department.id.in_(list(missing)))
        dept_names.update(db.session.execute(stmt).all())
    return MonthlyReport(
        scope=scope,
        period=period,
        generated_at=now or utcnow(),
        summary=Summary(visit_figures(firms, counts), problem_figures(period, states, events)),
        previous=_summary(scope, period.previous(), rules, cal),
        cadres=cadres,
        unvisited=unvisited(firms),
        problems=states,
        departments=departments,
        chains=chains,
        supervision=supervision_rows(scope, period),
        parks=names,
        cadre_names={r.user_id: r.name for r in cadres},
        department_names=dept_names,
        chain_names={c.chain_id: c.name for c in chains if c.chain_id is not None},
        calendar_note=provisional_note(
            cal.provisional_years(
                day for s in states for day in (s.sign_due_on, s.feedback_due_on, s.progress_due_on, s.due_on)
            )
        ),
    )
