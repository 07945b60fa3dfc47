"""Demo history: rows the demo creates today are dated on the days they happened (firms filed, liaisons
assigned, visits logged, list items added), so the firm's 变更记录 and the correction windows are real.

Bulk UPDATEs by primary key at the end: one round trip per table instead of one per row.
"""

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import Table, bindparam, select, update

from crm.extensions import Model, db
from crm.models import Assignment, AuditLog, Enterprise, Handover, ProductItem, SalesItem, TechItem, Visit

MODELS = ((Visit, "visit"), (ProductItem, "product_item"), (SalesItem, "sales_item"), (TechItem, "tech_item"))


def stamp_on(day: date, rnd: random.Random) -> datetime:
    """A naive UTC timestamp during office hours (09:00-17:59 Beijing time) of the given day."""
    return datetime.combine(day, time(rnd.randint(1, 9), rnd.randint(0, 59)))


def _bulk_update(model: type[Model], rows: list[dict]) -> None:
    """UPDATE … WHERE id = :id for every row in one executemany.

    Core on the table rather than the ORM's bulk UPDATE: backdating is no user's edit, so it must
    neither need nor bump the optimistic-lock version of firms and list items.
    """
    if rows:
        table = model.__table__
        assert isinstance(table, Table), f"{model.__name__} is mapped to one table"
        params = [{"_id": row["id"], **{k: v for k, v in row.items() if k != "id"}} for row in rows]
        db.session.execute(update(table).where(table.c.id == bindparam("_id")), params)


LATER_STEPS = ("solve", "retire")  # audited steps after an item was added, stamped on their own day


def _last_change(stamps: dict[tuple[str, int], datetime], entity: str, key: int, added: datetime) -> datetime:
    return max([added] + [at for step in LATER_STEPS if (at := stamps.get((f"{entity}_{step}", key)))])


def backdate_activity(stamps: dict[tuple[str, int], datetime]) -> None:
    """Date visits and list items, and their audit rows; stamps maps (entity, id) to when it happened.

    ("tech_item_solve", id) is when a technology item was ticked off, ("product_item_retire", id) when a
    product was retired (停产/下架): their last change.
    """
    db.session.flush()
    for model, entity in MODELS:
        rows = [
            {"id": key, "created_at": at, "updated_at": _last_change(stamps, entity, key, at)}
            for (kind, key), at in stamps.items()
            if kind == entity
        ]
        _bulk_update(model, rows)
    audit = db.session.execute(
        select(AuditLog.id, AuditLog.entity_type, AuditLog.entity_id, AuditLog.action).where(
            AuditLog.entity_type.in_([entity for _model, entity in MODELS])
        )
    )
    rows = []
    for audit_id, entity, key, action in audit:
        at = stamps.get((f"{entity}_{action}" if action in LATER_STEPS else entity, key))
        if at is not None:
            rows.append({"id": audit_id, "at": at})
    _bulk_update(AuditLog, rows)


def backdate_registry(rnd: random.Random, today: date) -> None:
    """Date the firms' creation, assignments and handovers (and their audit rows) on their business dates."""
    db.session.flush()
    first_start: dict[int, date] = {}
    stamps: dict[tuple[str, int], datetime] = {}
    assignments = db.session.execute(
        select(Assignment.id, Assignment.enterprise_id, Assignment.start_on).order_by(
            Assignment.start_on, Assignment.id
        )
    )
    for key, firm_id, start_on in assignments:
        first_start.setdefault(firm_id, start_on)
        stamps[("assignment", key)] = stamp_on(start_on, rnd)
    for key, handed_on in db.session.execute(select(Handover.id, Handover.handed_on)):
        stamps[("handover", key)] = stamp_on(handed_on, rnd)
    for firm_id, founded_on in db.session.execute(select(Enterprise.id, Enterprise.founded_on)):
        # Put on file a few days before the first liaison (or some weeks ago for a firm without one).
        filed = first_start.get(firm_id, today) - timedelta(days=rnd.randint(2, 20))
        stamps[("enterprise", firm_id)] = stamp_on(max(filed, founded_on or filed), rnd)
    for model, entity, columns in (
        (Assignment, "assignment", ("created_at",)),
        (Handover, "handover", ("created_at",)),
        (Enterprise, "enterprise", ("created_at", "updated_at")),
    ):
        _bulk_update(
            model,
            [
                dict({"id": key}, **dict.fromkeys(columns, at))
                for (kind, key), at in stamps.items()
                if kind == entity
            ],
        )
    audit = db.session.execute(
        select(AuditLog.id, AuditLog.entity_type, AuditLog.entity_id).where(
            AuditLog.entity_type.in_(("enterprise", "assignment", "handover"))
        )
    )
    _bulk_update(AuditLog, [{"id": a, "at": stamps[(e, k)]} for a, e, k in audit if (e, k) in stamps])
    # The bulk UPDATEs bypassed the objects in the session: reload them on next use.
    db.session.expire_all()
