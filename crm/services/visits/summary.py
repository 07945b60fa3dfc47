"""Keeping FirmVisitSummary (each firm's last contact, last on-site visit and last on-site visit with
evidence) in step with the visits.

The visit service calls note_visit() when a visit is logged and resummarise() when one is corrected;
refresh_visit_summaries() rebuilds every row from the visit log (bulk loads, the daily job), so the
derived dates can never drift for long even if a write were lost.
"""

from collections.abc import Iterable
from datetime import date
from typing import Optional

from sqlalchemy import func, literal_column, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crm.extensions import db
from crm.models import FirmVisitSummary, Visit

TABLE = FirmVisitSummary.__table__


def _upsert():
    return sqlite_insert if db.session.get_bind().dialect.name == "sqlite" else pg_insert


def note_visit(enterprise_id: int, visited_on: date, kind: str) -> None:
    """A new visit: the firm's last dates move forward (never back), safe under concurrent logging."""
    onsite = visited_on if kind == "onsite" else None
    stmt = _upsert()(TABLE).values(
        enterprise_id=enterprise_id, last_contact_on=visited_on, last_onsite_on=onsite
    )
    excluded = stmt.excluded
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["enterprise_id"],
            set_={
                "last_contact_on": _later(TABLE.c.last_contact_on, excluded.last_contact_on),
                "last_onsite_on": _later(TABLE.c.last_onsite_on, excluded.last_onsite_on),
            },
        )
    )


def _later(current, new):
    """The later of two nullable dates, in SQL (NULL counts as "never"; SQLite's max() of two values
    is PostgreSQL's greatest())."""
    name = "max" if db.session.get_bind().dialect.name == "sqlite" else "greatest"
    return getattr(func, name)(func.coalesce(current, new), func.coalesce(new, current))


def resummarise(enterprise_ids: Iterable[int]) -> None:
    """Recompute the summaries of some firms exactly (after a visit's date or kind was corrected)."""
    ids = sorted(set(enterprise_ids))
    if ids:
        _store(_aggregate(ids))


_COLUMNS = ("enterprise_id", "last_contact_on", "last_onsite_on", "last_evidenced_on")


def _aggregate(ids: Optional[list[int]] = None):
    stmt = select(
        Visit.enterprise_id,
        func.max(Visit.visited_on),
        func.max(Visit.visited_on).filter(Visit.kind == literal_column("'onsite'")),
        func.max(Visit.visited_on).filter(
            Visit.kind == literal_column("'onsite'"), Visit.evidence == literal_column("'verified'")
        ),
    )
    # SQLite needs a WHERE in an INSERT … SELECT … ON CONFLICT (else ON is read as a join condition).
    stmt = stmt.where(Visit.enterprise_id.in_(ids)) if ids is not None else stmt.where(true())
    return stmt.group_by(Visit.enterprise_id)


def _store(aggregate) -> None:
    """Upsert the aggregate's rows: concurrent runs (two jobs, two corrections) never collide."""
    stmt = _upsert()(TABLE).from_select(list(_COLUMNS), aggregate)
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["enterprise_id"],
            set_={
                "last_contact_on": stmt.excluded.last_contact_on,
                "last_onsite_on": stmt.excluded.last_onsite_on,
                "last_evidenced_on": stmt.excluded.last_evidenced_on,
            },
        )
    )


def refresh_visit_summaries() -> int:
    """Rebuild every firm's summary from the visit log; returns the number of firms with visits."""
    _store(_aggregate())
    return db.session.scalar(select(func.count()).select_from(TABLE)) or 0
