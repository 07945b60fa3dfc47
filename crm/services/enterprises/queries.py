"""Read side of the registry: the filtered, sorted, scoped firm query shared by the list and export."""

from dataclasses import dataclass, fields
from typing import Any, Optional

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import joinedload, selectinload

from crm.models import Assignment, Enterprise, FirmQualification, User
from crm.models.enterprise import SCALE_TYPES, SIZES, STATUSES
from crm.models.profile import QUALIFICATIONS, enterprise_tags
from crm.permissions import visible_enterprises
from crm.services.common.args import arg_choice, arg_flag, arg_id, arg_text
from crm.services.common.creditcode import normalize_credit_code
from crm.services.common.firm_search import firm_name_clause

SORTS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "name": (Enterprise.name_initials.asc(), Enterprise.id.asc()),
    "-created": (Enterprise.created_at.desc(), Enterprise.id.desc()),
    "-output": (Enterprise.output_last_year.desc().nulls_last(), Enterprise.id.asc()),
    "-headcount": (Enterprise.headcount.desc().nulls_last(), Enterprise.id.asc()),
    "credit_code": (Enterprise.credit_code.asc(),),
}
SORT_LABELS = {
    "name": "按名称",
    "-created": "最新录入",
    "-output": "产值从高到低",
    "-headcount": "人数从多到少",
    "credit_code": "按信用代码",
}


def unassigned_clause():
    """Active firms with no current liaison."""
    has_active = (
        select(Assignment.id)
        .where(Assignment.enterprise_id == Enterprise.id, Assignment.end_on.is_(None))
        .exists()
    )
    return (Enterprise.status == "active") & ~has_active


@dataclass
class EnterpriseFilters:
    q: str = ""
    park: Optional[int] = None
    chain: Optional[int] = None
    scale: str = ""
    size: str = ""
    status: str = ""
    key: bool = False
    cadre: Optional[int] = None
    unassigned: bool = False
    qual: str = ""  # a qualification code (crm.models.profile.QUALIFICATIONS)
    tag: Optional[int] = None
    sort: str = "name"

    @classmethod
    def from_args(cls, args) -> "EnterpriseFilters":
        """Parse query-string arguments; junk values are ignored rather than failing the page."""
        return cls(
            q=arg_text(args, "q"),
            park=arg_id(args, "park"),
            chain=arg_id(args, "chain"),
            scale=arg_choice(args, "scale", SCALE_TYPES),
            size=arg_choice(args, "size", SIZES),
            status=arg_choice(args, "status", STATUSES),
            key=arg_flag(args, "key"),
            cadre=arg_id(args, "cadre"),
            unassigned=arg_flag(args, "unassigned"),
            qual=arg_choice(args, "qual", QUALIFICATIONS),
            tag=arg_id(args, "tag"),
            sort=arg_choice(args, "sort", SORTS, "name"),
        )

    def as_args(self) -> dict:
        """The non-default filters as query-string arguments (for links such as export)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in (None, "", False) and not (f.name == "sort" and value == "name"):
                out[f.name] = "1" if value is True else value
        return out


def enterprise_list_query(user: User, flt: EnterpriseFilters) -> Select:
    """Scoped, filtered and sorted firms with park, chain and current cadre eager-loaded."""
    stmt: Select = visible_enterprises(user).options(
        joinedload(Enterprise.park),
        joinedload(Enterprise.chain),
        selectinload(Enterprise.active_assignment).joinedload(Assignment.cadre),
    )
    if flt.q:
        # The name as typed, width-folded (湘潭华宇(集团) finds 湘潭华宇（集团）) or as pinyin; or the code.
        clause = firm_name_clause(flt.q)
        if code := normalize_credit_code(flt.q):
            clause = or_(clause, Enterprise.credit_code.contains(code, autoescape=True))
        stmt = stmt.where(clause)
    if flt.park:
        stmt = stmt.where(Enterprise.park_id == flt.park)
    if flt.chain:
        stmt = stmt.where(Enterprise.chain_id == flt.chain)
    if flt.scale:
        stmt = stmt.where(Enterprise.scale_type == flt.scale)
    if flt.size:
        stmt = stmt.where(Enterprise.size == flt.size)
    if flt.status:
        stmt = stmt.where(Enterprise.status == flt.status)
    if flt.key:
        stmt = stmt.where(Enterprise.is_key.is_(True))
    if flt.cadre:
        stmt = stmt.where(
            select(Assignment.id)
            .where(
                Assignment.enterprise_id == Enterprise.id,
                Assignment.end_on.is_(None),
                Assignment.cadre_id == flt.cadre,
            )
            .exists()
        )
    if flt.unassigned:
        stmt = stmt.where(unassigned_clause())
    if flt.qual:
        held = select(FirmQualification.enterprise_id).where(
            FirmQualification.enterprise_id == Enterprise.id, FirmQualification.code == flt.qual
        )
        stmt = stmt.where(held.exists())
    if flt.tag:
        tagged = select(enterprise_tags.c.enterprise_id).where(
            enterprise_tags.c.enterprise_id == Enterprise.id, enterprise_tags.c.tag_id == flt.tag
        )
        stmt = stmt.where(tagged.exists())
    return stmt.order_by(*SORTS[flt.sort])
