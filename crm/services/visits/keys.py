"""The id a browser gives each visit it sends: one visit per (author, client id), whatever the retries.

A phone that loses the server's answer sends the same visit again, a second tab may sync the same draft
at the same moment: the unique key on visits (cadre_id, client_id) makes the second insert a no-op,
and the caller gets the visit that is already there.
"""

import re
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from crm.extensions import db
from crm.models import User, Visit
from crm.services import ServiceError

CLIENT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def clean_client_id(value: Any) -> Optional[str]:
    """The client id as stored (a lower-case UUID), None when absent; anything else is refused."""
    text = str(value or "").strip().lower()
    if not text:
        return None
    if not CLIENT_ID.match(text):
        raise ServiceError("走访记录的设备编号无效，请刷新页面后重新填写")
    return text


def synced_visit(actor: User, client_id: Optional[str]) -> Optional[Visit]:
    """The visit this author already sent with this client id, if any."""
    if not client_id:
        return None
    return db.session.scalar(select(Visit).where(Visit.cadre_id == actor.id, Visit.client_id == client_id))


def claim_visit(values: dict[str, Any]) -> Optional[Visit]:
    """Insert the visit row; None when values' (cadre_id, client_id) is taken (another request won)."""
    if not values.get("client_id"):
        visit = Visit(**values)
        db.session.add(visit)
        db.session.flush()
        return visit
    dialect = db.session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        # No savepoint: pysqlite's SAVEPOINT handling would commit early. A concurrent insert of the
        # same key waits for the first transaction and then does nothing.
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        stmt = (
            insert(Visit)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["cadre_id", "client_id"])
            .returning(Visit.id)
        )
        new_id = db.session.execute(stmt).scalar()
        return db.session.get(Visit, new_id) if new_id is not None else None
    # Any other database: a savepoint; the unique constraint's IntegrityError means "already there".
    visit = Visit(**values)
    try:
        with db.session.begin_nested():
            db.session.add(visit)
    except IntegrityError:
        return None
    return visit
