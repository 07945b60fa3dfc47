"""Visit and coverage figures of a monthly report: 汇总 (走访), 干部走访, 未走访企业 and 产业链.

Definitions: crm.reporting.monthly.build. Everything is computed from the month's facts
(crm.reporting.monthly.facts: the firms at month end, the visits per firm and person, problem states,
sales, names) — no query here: the facts come live or from the month close's snapshot.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional

from crm.models.visit import VISIT_KINDS
from crm.reporting.monthly.facts import FirmFact, NameFact, PersonFact, SalesFact, VisitFact
from crm.reporting.monthly.period import Period
from crm.reporting.monthly.problems import rate
from crm.reporting.monthly.state import ProblemState

# The firm facts of the served firms (联系企业): 在营 with a liaison at month end.
ServedFirm = FirmFact


def served(firms: list[FirmFact]) -> list[FirmFact]:
    """联系企业: the firms 在营 with a liaison at month end, in the firms' order."""
    return [f for f in firms if f.served]


@dataclass
class VisitFigures:
    firms_served: int = 0
    cadres: int = 0
    contacted: int = 0
    visited: int = 0
    visits: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def unvisited(self) -> int:
        return self.firms_served - self.visited

    @property
    def contact_rate(self) -> Optional[float]:
        return rate("contact_coverage", self.contacted, self.firms_served)

    @property
    def onsite_rate(self) -> Optional[float]:
        return rate("onsite_coverage", self.visited, self.firms_served)


def visit_figures(firms: list[FirmFact], visits: list[VisitFact]) -> VisitFigures:
    """The 汇总 visit figures from the served firms and the month's visits."""
    by_kind: Counter = Counter()
    for v in visits:
        by_kind[v.kind] += v.visits
    return VisitFigures(
        firms_served=len(firms),
        cadres=len({f.cadre_id for f in firms}),
        contacted=sum(f.contacted for f in firms),
        visited=sum(f.visited for f in firms),
        visits=sum(by_kind.values()),
        by_kind={kind: by_kind.get(kind, 0) for kind in VISIT_KINDS},
    )


@dataclass
class CadreRow:
    user_id: int
    name: str = ""
    park: str = ""
    firms: int = 0
    contacts: int = 0  # visits of any kind the person logged in the period
    onsite_visits: int = 0
    contacted: int = 0  # of their firms, contacted in the period
    visited: int = 0  # of their firms, visited on site in the period
    overdue: int = 0
    raised: int = 0
    closed: int = 0
    evidenced: int = 0  # on-site visits with evidence (有佐证) the person logged in the period

    @property
    def contact_rate(self) -> Optional[float]:
        return rate("contact_coverage", self.contacted, self.firms)

    @property
    def onsite_rate(self) -> Optional[float]:
        return rate("onsite_coverage", self.visited, self.firms)

    @property
    def is_liaison(self) -> bool:
        """A 联企干部 of the month: served firms at month end (汇总's 联企干部数 counts these)."""
        return self.firms > 0


def cadre_rows(
    period: Period,
    park_id: Optional[int],
    firms: list[FirmFact],
    visits: list[VisitFact],
    states: list[ProblemState],
    people: list[PersonFact],
    park_names: dict[int, str],
    evidenced: Optional[dict[int, int]] = None,
) -> list[CadreRow]:
    """干部走访: every active cadre of the park(s) and anyone with firms, visits or problems in the period;
    lowest on-site coverage first. evidenced: {person: on-site visits with evidence in the period}."""
    rows: dict[int, CadreRow] = {}

    def row(user_id: int) -> CadreRow:
        found = rows.get(user_id)  # not setdefault: that would build a row on every call
        if found is None:
            found = rows[user_id] = CadreRow(user_id)
        return found

    for f in firms:
        assert f.cadre_id is not None, "served firms have a liaison"
        r = row(f.cadre_id)
        r.firms += 1
        r.contacted += f.contacted
        r.visited += f.visited
        r.overdue += f.overdue
    for v in visits:
        r = row(v.cadre_id)
        r.contacts += v.visits
        if v.kind == "onsite":
            r.onsite_visits += v.visits
    for user_id, n in (evidenced or {}).items():
        row(user_id).evidenced += n
    for s in states:
        if s.raised_by_id is None:
            continue
        raised = period.start <= s.raised_on <= period.end
        closed = s.closed_on is not None and period.start <= s.closed_on <= period.end
        if raised or closed:
            row(s.raised_by_id).raised += raised
            row(s.raised_by_id).closed += closed
    for p in people:
        in_park = park_id is None or p.park_id == park_id
        if p.user_id not in rows and not (p.role == "cadre" and p.active and in_park):
            continue
        r = row(p.user_id)
        r.name, r.park = p.name, park_names.get(p.park_id, "") if p.park_id is not None else ""
    return sorted(rows.values(), key=lambda r: (r.onsite_rate is None, r.onsite_rate or 0, r.park, r.name))


@dataclass
class ChainRow:
    chain_id: Optional[int]
    name: str
    firms: int = 0  # 在营 firms of the chain in scope at month end
    served: int = 0
    visited: int = 0
    visits: int = 0
    onsite_visits: int = 0
    new_problems: int = 0
    open_problems: int = 0
    overdue: int = 0
    sales_month: Decimal = Decimal(0)  # 万元, the 销售清单 of the month
    sales_year: Decimal = Decimal(0)  # 万元, January to the month

    @property
    def onsite_rate(self) -> Optional[float]:
        return rate("onsite_coverage", self.visited, self.served)


def chain_rows(
    period: Period,
    firms: list[FirmFact],
    visits: list[VisitFact],
    states: list[ProblemState],
    sales: list[SalesFact],
    chains: list[NameFact],
) -> list[ChainRow]:
    """产业链: per industry chain (and 未分类) firms, coverage, visits, problems and sales, each firm in the
    chain it had at month end."""
    rows: dict[Optional[int], ChainRow] = {c.id: ChainRow(c.id, c.name) for c in chains}

    def row(chain_id: Optional[int]) -> ChainRow:
        found = rows.get(chain_id)
        if found is None:
            found = rows[chain_id] = ChainRow(chain_id, "未分类")
        return found

    chain_of = {f.firm_id: f.chain_id for f in firms}
    for f in firms:
        if f.status != "active" and not f.served:
            continue  # no row for a chain of such firms alone
        r = row(f.chain_id)
        if f.status == "active":
            r.firms += 1
        if f.served:
            r.served += 1
            r.visited += f.visited
    for v in visits:
        r = row(chain_of.get(v.firm_id))
        r.visits += v.visits
        if v.kind == "onsite":
            r.onsite_visits += v.visits
    for s in states:
        r = row(s.chain_id)
        r.new_problems += s.raised_on >= period.start
        if s.open_on(period.end):
            r.open_problems += 1
            r.overdue += s.colour == "red"
    for sale in sales:
        r = row(chain_of.get(sale.firm_id))
        r.sales_month += sale.month_amount
        r.sales_year += sale.year_amount
    return list(rows.values())


def unvisited(firms: list[FirmFact]) -> list[FirmFact]:
    """未走访企业: firms served without an on-site visit in the period (key firms first)."""
    by_key = defaultdict(list)
    for f in firms:
        if not f.visited:
            by_key[not f.is_key].append(f)
    return by_key[False] + by_key[True]
