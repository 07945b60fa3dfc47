"""Read side of user administration: the filtered account list and the park and department pickers."""

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any, Optional

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import Assignment, Department, Park, User
from crm.models.org import offered
from crm.models.user import ROLES
from crm.permissions import visible_cadres
from crm.services.common.args import arg_choice, arg_id, arg_text

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
        return cls(
            q=arg_text(args, "q", limit=64),
            role=arg_choice(args, "role", ROLES),
            park=arg_id(args, "park"),
            department=arg_id(args, "department"),
            active=arg_choice(args, "active", ACTIVE_CHOICES),
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


def parks(keep: Iterable[Optional[int]] = ()) -> list[Park]:
    """Parks to pick or filter by: the active ones, plus those already held (keep), in a stable order."""
    return list(db.session.scalars(select(Park).where(offered(Park, keep)).order_by(Park.id)))


def departments(keep: Iterable[Optional[int]] = ()) -> list[Department]:
    """Departments to pick or filter by (active, plus keep), city-level first, park loaded."""
    return list(
        db.session.scalars(
            select(Department)
            .where(offered(Department, keep))
            .options(joinedload(Department.park))
            .order_by(Department.park_id.is_not(None), Department.park_id, Department.id)
        )
    )


def cadre_choices(user: User) -> list[Any]:
    """(id, name) rows of the cadres a list may be filtered by: rows, not users, because a city-wide
    list offers thousands of them."""
    stmt = visible_cadres(user).with_only_columns(User.id, User.name).order_by(User.name, User.id)
    return list(db.session.execute(stmt))
