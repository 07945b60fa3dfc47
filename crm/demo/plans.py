"""What the demo plans for each firm before anything is logged: its cadence profile and visits."""

from dataclasses import dataclass, field
from datetime import date
from typing import Optional

from crm.models import Enterprise


@dataclass
class PlannedVisit:
    day: date
    kind: str
    product: Optional[dict] = None
    tech: Optional[dict] = None
    logged: bool = False


@dataclass
class FirmPlan:
    firm: Enterprise
    chain: str
    industry: str
    profile: str  # ok | soon | overdue | never | new | quiet (suspended) | none (no liaison)
    contact_title: str = "总经理"
    products: list[dict] = field(default_factory=list)
    visits: list[PlannedVisit] = field(default_factory=list)
