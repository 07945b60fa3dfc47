"""Read side of user administration: the filtered account list and reference-data overviews."""

from dataclasses import dataclass, fields
from typing import Optional

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Assignment, Department, Enterprise, IndustryChain, Park, User
from crm.models.user import ROLES
from crm.services.common.creditcode import normalize_text

ACTIVE_CHOICES = {"1": "启用", "0": "停用"}


@dataclass
class UserFilters:
    q: str = ""
    role: str = ""
    park: Optional[int] = None
    department: Optional[int] = None
    active: str = ""

    @classmethod
    def from_args(cls, args) -> "UserFilters":
        """Parse query-string arguments; junk values are ignored rather than failing the page."""

        def as_int(name):
            try:
                return int(args.get(name, ""))
            except ValueError:
                return None

        role = args.get("role", "")
        active = args.get("active", "")
        return cls(
            q=normalize_text(args.get("q", ""))[:64],
            role=role if role in ROLES else "",
            park=as_int("park"),
            department=as_int("department"),
            active=active if active in ACTIVE_CHOICES else "",
        )

    def as_args(self) -> dict:
        """The non-default filters as query-string arguments."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {name: value for name, value in values.items() if value not in (None, "")}


def user_list_query(flt: UserFilters) -> Select:
    """Accounts matching the filters, park and department eager-loaded; active first, then by role."""
    role_order = case({role: i for i, role in enumerate(ROLES)}, value=User.role, else_=len(ROLES))
    stmt = select(User).options(joinedload(User.park), joinedload(User.department))
    if flt.q:
        like = f"%{flt.q}%"
        stmt = stmt.where(or_(User.name.ilike(like), User.username.ilike(like)))
    if flt.role:
        stmt = stmt.where(User.role == flt.role)
    if flt.park:
        stmt = stmt.where(User.park_id == flt.park)
    if flt.department:
        stmt = stmt.where(User.department_id == flt.department)
    if flt.active:
        stmt = stmt.where(User.is_active_user.is_(flt.active == "1"))
    return stmt.order_by(User.is_active_user.desc(), role_order, User.username)


def active_firm_counts(users: list[User]) -> dict[int, int]:
    """{cadre id: firms currently served} for the given users, in one query."""
    ids = [u.id for u in users if u.role == "cadre"]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Assignment.cadre_id, func.count(Assignment.id))
        .where(Assignment.cadre_id.in_(ids), Assignment.end_on.is_(None))
        .group_by(Assignment.cadre_id)
    )
    return {cadre_id: count for cadre_id, count in rows}


def parks() -> list[Park]:
    """All parks in a stable order."""
    return list(db.session.scalars(select(Park).order_by(Park.id)))


def departments() -> list[Department]:
    """All departments, city-level first, park loaded."""
    return list(
        db.session.scalars(
            select(Department)
            .options(joinedload(Department.park))
            .order_by(Department.park_id.is_not(None), Department.park_id, Department.id)
        )
    )


def reference_overview() -> dict:
    """Parks, departments and industry chains with how many firms and users each has (constant queries)."""
    firms_by_park = dict(
        db.session.execute(
            select(Enterprise.park_id, func.count(Enterprise.id)).group_by(Enterprise.park_id)
        ).all()
    )
    users_by_park = dict(
        db.session.execute(
            select(User.park_id, func.count(User.id)).where(User.park_id.is_not(None)).group_by(User.park_id)
        ).all()
    )
    users_by_dept = dict(
        db.session.execute(
            select(User.department_id, func.count(User.id))
            .where(User.department_id.is_not(None))
            .group_by(User.department_id)
        ).all()
    )
    firms_by_chain = dict(
        db.session.execute(
            select(Enterprise.chain_id, func.count(Enterprise.id))
            .where(Enterprise.chain_id.is_not(None))
            .group_by(Enterprise.chain_id)
        ).all()
    )
    chains = list(
        db.session.scalars(select(IndustryChain).order_by(IndustryChain.sort_order, IndustryChain.id))
    )
    return {
        "parks": [(p, firms_by_park.get(p.id, 0), users_by_park.get(p.id, 0)) for p in parks()],
        "departments": [(d, users_by_dept.get(d.id, 0)) for d in departments()],
        "chains": [(c, firms_by_chain.get(c.id, 0)) for c in chains],
    }
