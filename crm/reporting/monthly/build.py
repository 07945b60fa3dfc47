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
- 部门办理, per department: 收到 = distinct problems dispatched (交办/改派) to it in the month (a problem
  re-assigned in the month counts once for each department it went to, and once in the 合计); 应签收 =
  signatures due in the month (dispatches whose 137 签收 deadline, under the rules that dispatch was made
  with, falls in the month and, while it runs, by today: not-yet-due ones count in their own month);
  按时签收 = of those, signed by the deadline (a signature after month end is late); 办结 / 按期 / 销号 /
  在办 / 超期 = as above, for problems in its hands at month end; 延期 = extensions approved, 退回 =
  returns it made, 满意率 = its evaluations — all dated in the month. Problems in no department's hands at
  month end (未交办, 现场解决, 退回) are a row of their own, 未交办（无承办部门）, so the 合计 of every
  column equals 汇总 (收到 counts distinct problems).
- 干部走访: one row per person — the park's active cadres and anyone with firms, visits or problems in
  the month (an officer who visited is listed). Its 合计 counts 联企干部 (people with served firms at
  month end, as 汇总's 联企干部数) and the other people apart.
- 产业链: 在营 firms of the chain at month end, the figures above per chain (each firm in the chain it
  had at month end), and 销售清单 totals in 万元 for the month and from January to the month.
- The registry at month end: each firm's park, chain, status, scale, key flag and name as they were on the
  month's last day (today's row with later audited changes undone, crm.reporting.monthly.registry); a firm
  counts from the day it was filed or first had anything recorded. Registry edits after month end never
  change the month.
- 初稿 and 正式版: a month closes (月结) on the Nth working day of the next month (default the 3rd;
  crm.reporting.monthly.close). Until then its workbook is a draft (初稿) computed from the live tables;
  from then on it is computed only from the facts frozen at the close (crm.reporting.monthly.snapshot),
  including the 上月 column, so later entries, events, registry, rule or calendar changes never move it.
  An admin may reopen a month (重新结账); closing it again makes version 2, whose workbook adds 变更对照,
  every figure that differs from version 1.
- Working days come from crm.services.workdays.calendar (Chinese official calendar with 调休).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from crm.reporting.monthly.evidence import EvidenceFigures, evidence_figures, evidenced_visits_by_person
from crm.reporting.monthly.facts import FirmFact, SupervisionRow
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.problems import DeptRow, ProblemFigures, department_rows, problem_figures
from crm.reporting.monthly.snapshot import (
    Edition,
    LiveSource,
    SnapshotSource,
    Source,
    SummaryFact,
    source_for,
)
from crm.reporting.monthly.state import ProblemState
from crm.reporting.monthly.visits import (
    CadreRow,
    ChainRow,
    VisitFigures,
    cadre_rows,
    chain_rows,
    served,
    unvisited,
    visit_figures,
)
from crm.services.workdays.calendar import provisional_note
from crm.timeutil import utcnow

__all__ = ["MonthlyReport", "Period", "ReportScope", "build_monthly_report"]


@dataclass
class Summary:
    visits: VisitFigures
    problems: ProblemFigures
    evidence: EvidenceFigures = field(default_factory=EvidenceFigures)


@dataclass(frozen=True)
class Change:
    """One figure that differs between two versions of a closed month (变更对照)."""

    sheet: str
    row: str
    column: str
    before: object
    after: object


@dataclass
class MonthlyReport:
    scope: ReportScope
    period: Period
    generated_at: datetime  # naive UTC
    summary: Summary
    previous: Summary
    cadres: list[CadreRow]
    unvisited: list[FirmFact]
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
    # 部门办理's 合计 (distinct problems received; every other column the rows' sum, equal to 汇总).
    department_total: Optional[DeptRow] = None
    edition: Optional[Edition] = None  # 初稿 or 正式版 (version N)
    source: Optional[Source] = None  # where the month's facts came from (the other sheets read it too)
    changes: Optional[list[Change]] = field(default=None)  # version 2+: what differs from the version before

    @property
    def title(self) -> str:
        return f"{self.scope.title}{self.period.label}联企服务月报"

    @property
    def heading(self) -> str:
        """The title with the edition: 甲园区2026年10月联企服务月报（初稿）."""
        return f"{self.title}（{self.edition.label}）" if self.edition is not None else self.title


def summarise(source: Source) -> Summary:
    """The 汇总 figures of a source's month and scope."""
    serving = served(source.rows("firms"))
    return Summary(
        visit_figures(serving, source.rows("visits")),
        problem_figures(source.period, source.rows("problems"), source.rows("events")),
        evidence_figures(source.rows("evidence"), {f.firm_id for f in serving}),
    )


def _frozen_summary(facts: list[SummaryFact], park_id: Optional[int]) -> Optional[Summary]:
    for fact in facts:
        if fact.park_id == park_id:
            return Summary(fact.visits, fact.problems, fact.evidence or EvidenceFigures())
    return None  # a park created after the close: no figures of its own that month


def previous_summary(source: Source) -> Summary:
    """The month before's 汇总 figures for the 上月 column: as frozen with a closed month; else, when the
    month before is closed, its own 汇总 as its close froze it (the figures its workbook shows); else
    computed from that month's facts."""
    if isinstance(source, SnapshotSource):
        frozen = _frozen_summary(source.rows("previous"), source.park_id)
        if frozen is not None:
            return frozen
    before = (
        source.previous()
        if isinstance(source, LiveSource)
        else source_for(source.period.previous(), source.park_id, eager=False)
    )
    if isinstance(before, SnapshotSource):
        own = _frozen_summary(before.rows("summary"), before.park_id)
        if own is not None:
            return own
    return summarise(before)


def build_monthly_report(
    scope: ReportScope, period: Period, now: Optional[datetime] = None, source: Optional[Source] = None
) -> MonthlyReport:
    """All sheets' figures for the scope and period from the month's facts (a closed month's snapshot, or
    the live tables): a constant number of SQL queries, no ORM rows."""
    src = source or source_for(period, scope.park_id)
    firms = src.rows("firms")
    serving = served(firms)
    visits, states, events = src.rows("visits"), src.rows("problems"), src.rows("events")
    park_names = {p.id: p.name for p in src.rows("parks")}
    dept_names = {d.id: d.name for d in src.rows("departments")}
    chain_names = {c.id: c.name for c in src.rows("chains")}
    people = src.rows("people")
    evidence = src.rows("evidence")
    cadres = cadre_rows(
        period,
        scope.park_id,
        serving,
        visits,
        states,
        people,
        park_names,
        evidenced_visits_by_person(evidence),
    )
    departments, department_total = department_rows(
        period, states, events, src.rows("dispatches"), dept_names
    )
    chains = chain_rows(period, firms, visits, states, src.rows("sales"), src.rows("chains"))
    provisional = {c.year for c in src.rows("calendar")}
    years = {
        day.year
        for s in states
        for day in (s.sign_due_on, s.feedback_due_on, s.progress_due_on, s.due_on)
        if day is not None and day.year in provisional
    }
    return MonthlyReport(
        scope=scope,
        period=period,
        generated_at=now or utcnow(),
        summary=Summary(
            visit_figures(serving, visits),
            problem_figures(period, states, events),
            evidence_figures(evidence, {f.firm_id for f in serving}),
        ),
        previous=previous_summary(src),
        cadres=cadres,
        unvisited=unvisited(serving),
        problems=states,
        departments=departments,
        chains=chains,
        supervision=src.rows("supervision"),
        parks=park_names,
        cadre_names={r.user_id: r.name for r in cadres},
        department_names=dept_names,
        chain_names=chain_names,
        calendar_note=provisional_note(years),
        department_total=department_total,
        edition=src.edition,
        source=src,
    )
