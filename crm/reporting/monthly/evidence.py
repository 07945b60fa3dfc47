"""上门走访（有佐证）of a month: on-site visits whose evidence (location near the firm, a photo) holds, per
firm and person, for the 干部走访 and 汇总 sheets and their coverage counted with evidence.

A fact like the month's other facts (crm.reporting.monthly.facts): plain values tagged with the firm's
park at month end, gathered live by collect_evidence (one query) or kept by the month close. The
evidence is as the park office had judged it when the facts were gathered (a later 核实无误 counts from
then on; a closed month keeps what it had).
"""

from collections import Counter
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Visit
from crm.reporting.monthly.registry import LiveMonth
from crm.services.kpi import KPIS

SHEET_LABEL = "上门(有佐证)"  # the column header on 干部走访 and the row label on 汇总
KPI = "evidenced_coverage"  # 上门覆盖率（有佐证）


@dataclass(slots=True)
class EvidenceFact:
    """On-site visits with evidence one person logged to one firm in the month."""

    park_id: int
    firm_id: int
    cadre_id: int
    visits: int


def collect_evidence(ctx: LiveMonth) -> list[EvidenceFact]:
    """The month's on-site visits with evidence per firm and person (one query)."""
    period = ctx.period
    rows = db.session.execute(
        select(Visit.enterprise_id, Visit.cadre_id, func.count(Visit.id))
        .where(
            ctx.candidates(Visit.enterprise_id),
            Visit.visited_on.between(period.start, period.end),
            Visit.kind == "onsite",
            Visit.evidence == "verified",
        )
        .group_by(Visit.enterprise_id, Visit.cadre_id)
        .order_by(Visit.enterprise_id, Visit.cadre_id)
    )
    out = []
    for firm_id, cadre_id, n in rows:
        park_id = ctx.park_of(firm_id)
        if park_id is not None:
            out.append(EvidenceFact(park_id, firm_id, cadre_id, n))
    return out


def evidenced_visits_by_person(facts: list[EvidenceFact]) -> dict[int, int]:
    """干部走访: {person id: on-site visits with evidence they logged in the month}."""
    out: Counter = Counter()
    for fact in facts:
        out[fact.cadre_id] += fact.visits
    return dict(out)


def evidenced_firms(facts: list[EvidenceFact]) -> set[int]:
    """The firms visited on site with evidence in the month (coverage with evidence)."""
    return {fact.firm_id for fact in facts}


@dataclass(frozen=True)
class EvidenceFigures:
    """汇总: on-site visits with evidence, and the served firms they covered."""

    visits: int = 0
    firms: int = 0  # served firms with an on-site visit with evidence
    firms_served: int = 0

    @property
    def rate(self) -> Optional[float]:
        """上门覆盖率（有佐证） in percent (84.6), as the dashboards show it."""
        return KPIS[KPI].value(self.firms, self.firms_served)

    @property
    def fraction(self) -> Optional[float]:
        """The same figure as the fraction a spreadsheet formats as % (0.846)."""
        return KPIS[KPI].fraction(self.firms, self.firms_served)


def evidence_figures(facts: list[EvidenceFact], served_firm_ids: set[int]) -> EvidenceFigures:
    """The 汇总 figures from the month's evidence facts and the ids of the served firms (联系企业)."""
    return EvidenceFigures(
        visits=sum(f.visits for f in facts),
        firms=len(evidenced_firms(facts) & served_firm_ids),
        firms_served=len(served_firm_ids),
    )
