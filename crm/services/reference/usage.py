"""What uses each park, department and industry chain, read from the foreign keys themselves.

Any table that references one of them by foreign key counts, so a table added later (policies, month
snapshots …) blocks deletion without this module knowing it; only the rows that belong to a park (its
settings) go with it.
"""

from dataclasses import dataclass, field
from typing import Union

from sqlalchemy import Column, func, select
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import AuditLog, Department, IndustryChain, Park, User

Reference = Union[Park, Department, IndustryChain]
ReferenceModel = Union[type[Park], type[Department], type[IndustryChain]]

# URL word and Chinese name of each kind, and its audit entity type.
KINDS: dict[str, ReferenceModel] = {"park": Park, "chain": IndustryChain, "department": Department}
LABELS: dict[ReferenceModel, str] = {Park: "园区", IndustryChain: "产业链", Department: "部门"}
ENTITIES: dict[ReferenceModel, str] = {
    Park: "park",
    IndustryChain: "industry_chain",
    Department: "department",
}

# Referencing tables as a reader counts them; any other table is "其他记录".
TABLE_LABELS = {
    "enterprises": ("企业", "家"),
    "users": ("用户", "名"),
    "departments": ("部门", "个"),
    "problems": ("问题", "件"),
    "problem_events": ("问题办理记录", "条"),
    "generated_reports": ("月度报表", "份"),
}
OWNED = {"park_settings"}  # the park's own cadence settings: deleted with the park


def _references(model: ReferenceModel) -> list[Column]:
    """Columns of other tables that point at the model's table, in a stable order."""
    target = model.__table__
    return [
        fk.parent
        for table in db.metadata.sorted_tables
        if table.name not in OWNED
        for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name)
        if fk.column.table is target
    ]


def _label(column: Column) -> tuple[str, str]:
    return TABLE_LABELS.get(column.table.name, ("其他记录", "条"))


@dataclass
class Usage:
    """How many records of each kind reference one row ({"企业": 3, …}, zero counts left out)."""

    counts: dict[str, int] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

    def add(self, column: Column, count: int) -> None:
        if count:
            label, unit = _label(column)
            self.counts[label] = self.counts.get(label, 0) + count
            self.units[label] = unit

    @property
    def in_use(self) -> bool:
        return bool(self.counts)

    @property
    def shown(self) -> dict[str, int]:
        """The counts worth reading: a problem's handling steps go without saying beside its problems."""
        implied = {"问题办理记录"} if "问题" in self.counts else set()
        return {label: n for label, n in self.counts.items() if label not in implied}

    def describe(self) -> str:
        """The counts in Chinese: 企业 3 家、用户 2 名."""
        return "、".join(f"{label} {n} {self.units[label]}" for label, n in self.shown.items())


def usage_of(item: Reference) -> Usage:
    """What references one row (one query per referencing column)."""
    found = Usage()
    for column in _references(type(item)):
        found.add(column, db.session.scalar(select(func.count()).where(column == item.id)) or 0)
    return found


def usage_by_id(model: ReferenceModel) -> dict[int, Usage]:
    """{row id: Usage} for every row of a kind, one grouped query per referencing column."""
    found: dict[int, Usage] = {}
    for column in _references(model):
        rows = db.session.execute(
            select(column, func.count()).where(column.is_not(None)).group_by(column)
        ).all()
        for item_id, count in rows:
            found.setdefault(item_id, Usage()).add(column, count)
    return found


@dataclass
class OverviewRow:
    item: Reference
    usage: Usage


def reference_overview() -> dict[str, list[OverviewRow]]:
    """Parks, chains and departments (active first) with what uses each, in a constant number of queries."""
    parks = db.session.scalars(select(Park).order_by(Park.is_active.desc(), Park.id))
    chains = db.session.scalars(
        select(IndustryChain).order_by(
            IndustryChain.is_active.desc(), IndustryChain.sort_order, IndustryChain.id
        )
    )
    departments = db.session.scalars(
        select(Department)
        .options(joinedload(Department.park))
        .order_by(
            Department.is_active.desc(), Department.park_id.is_not(None), Department.park_id, Department.id
        )
    )
    out: dict[str, list[OverviewRow]] = {}
    for key, model, items in (
        ("parks", Park, parks),
        ("chains", IndustryChain, chains),
        ("departments", Department, departments),
    ):
        usage = usage_by_id(model)
        out[key] = [OverviewRow(item, usage.get(item.id, Usage())) for item in items]
    return out


def department_handlers(dept: Department) -> list[User]:
    """The department's handlers (heads first), from whom its 部门负责人 are chosen."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.department_id == dept.id, User.role == "handler")
            .order_by(User.is_dept_head.desc(), User.is_active_user.desc(), User.name, User.id)
        )
    )


def reference_history(item: Reference, limit: int = 20) -> list[AuditLog]:
    """The row's audit trail, newest first (not that of a deleted row whose id the database reused)."""
    entity = ENTITIES[type(item)]
    same = (AuditLog.entity_type == entity, AuditLog.entity_id == item.id)
    deleted = select(func.max(AuditLog.id)).where(*same, AuditLog.action == "delete").scalar_subquery()
    return list(
        db.session.scalars(
            select(AuditLog)
            .where(*same, AuditLog.id > func.coalesce(deleted, 0))
            .options(joinedload(AuditLog.actor))
            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
            .limit(limit)
        )
    )
