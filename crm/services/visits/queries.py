"""Read side of the visit log: the filtered, scoped visit query shared by the list page and its export."""

from dataclasses import dataclass, fields
from datetime import date
from typing import Optional

from sqlalchemy import Select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from crm.models import Enterprise, User, Visit
from crm.models.visit import VISIT_KINDS
from crm.permissions import enterprise_scope_clause, visible_visits
from crm.services.common.args import arg_choice, arg_date, arg_id, arg_text
from crm.services.common.firm_search import firm_ids_named

# Query-string names of the date range: "from" is a Python keyword, so the fields are named apart.
ARG_NAMES = {"date_from": "from", "date_to": "to"}


@dataclass
class VisitFilters:
    cadre: Optional[int] = None
    firm: str = ""
    kind: str = ""
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    chain: Optional[int] = None
    park: Optional[int] = None

    @classmethod
    def from_args(cls, args) -> "VisitFilters":
        """Parse query-string arguments; junk values are ignored rather than failing the page."""
        return cls(
            cadre=arg_id(args, "cadre"),
            firm=arg_text(args, "firm"),
            kind=arg_choice(args, "kind", VISIT_KINDS),
            date_from=arg_date(args, "from"),
            date_to=arg_date(args, "to"),
            chain=arg_id(args, "chain"),
            park=arg_id(args, "park"),
        )

    def as_args(self) -> dict:
        """The non-default filters as query-string arguments (for links such as export)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in (None, ""):
                out[ARG_NAMES.get(f.name, f.name)] = value.isoformat() if isinstance(value, date) else value
        return out

    @property
    def active(self) -> bool:
        return bool(self.as_args())


def visit_list_query(user: User, flt: VisitFilters) -> Select:
    """Scoped, filtered visits, newest first, with firm (park, chain), cadre and attachments eager-loaded."""
    stmt: Select = visible_visits(user).options(
        contains_eager(Visit.enterprise).joinedload(Enterprise.park),
        contains_eager(Visit.enterprise).joinedload(Enterprise.chain),
        joinedload(Visit.cadre),
        selectinload(Visit.attachments),
    )
    if flt.cadre:
        stmt = stmt.where(Visit.cadre_id == flt.cadre)
    if flt.firm:
        # By name, folded name or pinyin; each firm matched once, not once per visit.
        stmt = stmt.where(Visit.enterprise_id.in_(firm_ids_named(flt.firm, enterprise_scope_clause(user))))
    if flt.kind:
        stmt = stmt.where(Visit.kind == flt.kind)
    if flt.date_from:
        stmt = stmt.where(Visit.visited_on >= flt.date_from)
    if flt.date_to:
        stmt = stmt.where(Visit.visited_on <= flt.date_to)
    if flt.chain:
        stmt = stmt.where(Enterprise.chain_id == flt.chain)
    if flt.park:
        stmt = stmt.where(Enterprise.park_id == flt.park)
    return stmt.order_by(Visit.visited_on.desc(), Visit.id.desc())
