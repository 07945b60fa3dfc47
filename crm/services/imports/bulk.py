"""Enterprise import, writing the new firms of a checked file in bulk.

A park's first 台账 is thousands of new firms. Their rows were checked once, cell by cell, by
plan_import (validate.py): the same checks build_enterprise makes, against the same registry. So they
are written here without building an ORM object per firm: an executemany INSERT per table (firms, their
画像, their audit rows; later the audit rows of their first liaisons, which the assignment service makes)
and a query for the new ids, in the caller's transaction, in the order and with the values that
create_enterprise, start_first_assignment and their audit functions write (tests/unit/test_import_bulk.py
compares the two). The rights that depend on the park are still checked, once per park.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import FromClause, Table, TableClause, insert, select
from sqlalchemy.orm import InstrumentedAttribute

from crm.extensions import db
from crm.models import Assignment, AuditLog, Enterprise, FirmQualification, User
from crm.models.profile import enterprise_tags
from crm.permissions import can, manages_park
from crm.services import ServiceError
from crm.services.common.creditcode import fold_key
from crm.services.common.pinyin import initials, search_pinyin
from crm.services.enterprises.profile import clean_qualifications, clean_tag_ids
from crm.services.enterprises.registry import FIELD_LABELS
from crm.services.imports.registry import IN_CHUNK
from crm.services.imports.rows import insert_rows
from crm.services.imports.validate import RowPlan
from crm.timeutil import today as current_day

# Rows per executemany call (each row is its own set of parameters; this only bounds one call).
BATCH = 5_000
# SQLite's page cache while an import writes, in KiB (its default is 2 MB per connection).
SQLITE_CACHE_KIB = 256 * 1024
# What start_first_assignment sets on a new liaison (the other columns keep their defaults).
LIAISON_FIELDS = ("enterprise_id", "cadre_id", "start_on", "reason", "assigned_by_id")


class RowRefused(ServiceError):
    """A planned row the writer cannot take after all (its park is out of the actor's reach)."""

    def __init__(self, plan: RowPlan, message: str):
        super().__init__(message)
        self.plan = plan


@contextmanager
def roomy_cache() -> Iterator[None]:
    """On SQLite, the connection's page cache made large while the block writes, then set back.

    Thousands of new firms touch most pages of the firm table's ten indexes. In SQLite's default
    2 MB cache every page is written out to the WAL and read back many times over (100,000 firms:
    seconds of the import); in 256 MB they stay in memory until the commit. PostgreSQL keeps its own
    shared buffers, so nothing changes there.
    """
    conn = db.session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    conn.exec_driver_sql(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
    try:
        yield
    except BaseException:
        if not conn.invalidated:  # the error raised stays the one the caller sees
            conn.exec_driver_sql(f"PRAGMA cache_size = {before}")
        raise
    conn.exec_driver_sql(f"PRAGMA cache_size = {before}")


def _defaults() -> dict[str, Any]:
    """Every firm field a row may leave out, with the value the ORM would insert for it."""
    table = Enterprise.__table__
    out: dict[str, Any] = {}
    for key in FIELD_LABELS:
        default = table.c[key].default
        out[key] = default.arg if default is not None and default.is_scalar else None
    return out


def _insert(table: FromClause, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows (all with the same keys) as executemany batches: the drivers send one prepared
    statement many times (psycopg pipelines them), where a RETURNING INSERT would be one statement per row
    (SQLite) or one huge statement to parse per batch (psycopg)."""
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(cast(TableClause, table)), rows[start : start + BATCH])


def _new_ids(
    column: InstrumentedAttribute[Any], id_column: InstrumentedAttribute[int], keys: list[Any], *where: Any
) -> list[int]:
    """The ids of the rows just inserted, listed in the order of keys (a column unique among them)."""
    found: dict[Any, int] = {}
    for start in range(0, len(keys), IN_CHUNK):
        stmt = select(column, id_column).where(column.in_(keys[start : start + IN_CHUNK]), *where)
        found.update({key: row_id for key, row_id in db.session.execute(stmt)})
    return [found[key] for key in keys]


def _audit(actor: User, entity_type: str, entity_id: int, action: str, summary: str, **extra) -> dict:
    """An audit row as record_audit writes it (changes already in their stored [old, new] form)."""
    return {
        "actor_id": actor.id,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "enterprise_id": extra.get("enterprise_id"),
        "action": action,
        "summary": summary[:500],
        "changes": extra.get("changes"),
    }


def _check_rights(created: list[RowPlan], actor: User) -> None:
    """What build_enterprise checks of the actor, once per park."""
    if created and not can(actor, "enterprise.create"):
        raise RowRefused(created[0], "没有新建企业的权限")
    parks: dict[int, bool] = {}
    for plan in created:
        assert plan.park is not None, "plan_import gives every valid row its park"
        park_id = plan.park.id
        if park_id not in parks:
            parks[park_id] = manages_park(actor, park_id)
        if not parks[park_id]:
            raise RowRefused(plan, "只能管理本园区的企业")


def insert_new_firms(created: list[RowPlan], actor: User) -> list[int]:
    """Write the checked new firms of an import with their 画像 and audit rows in the caller's
    transaction; their new ids in the order of created. RowRefused (nothing written) when the actor may
    not."""
    _check_rights(created, actor)
    defaults = _defaults()
    day = current_day()
    rows: list[dict[str, Any]] = []
    profiles: list[tuple[dict[str, int | None] | None, list[int] | None]] = []
    for plan in created:
        given = plan.data
        try:
            quals = (
                clean_qualifications(given["qualifications"], day) if given.get("qualifications") else None
            )
            tag_ids = clean_tag_ids(given["tag_ids"]) if given.get("tag_ids") else None
        except ServiceError as exc:
            raise RowRefused(plan, str(exc)) from exc
        profiles.append((quals, tag_ids))
        # plan_import cleaned every value already (clean_enterprise_data); the 画像 keys are not columns.
        data = defaults | {key: value for key, value in given.items() if key in FIELD_LABELS}
        if "status" not in given:
            data["status"] = "active"  # as build_enterprise does
        name = data["name"]
        data |= {
            "name_initials": initials(name),
            "name_key": fold_key(name),
            "name_pinyin": search_pinyin(name),
        }
        rows.append(data)
    insert_rows(cast(Table, Enterprise.__table__), rows, marked_by="park_id")
    ids = _new_ids(Enterprise.credit_code, Enterprise.id, [row["credit_code"] for row in rows])
    quals_rows: list[dict[str, Any]] = []
    tag_rows: list[dict[str, Any]] = []
    for firm_id, (quals, tag_ids) in zip(ids, profiles, strict=True):
        for code, year in (quals or {}).items():
            quals_rows.append({"enterprise_id": firm_id, "code": code, "year": year})
        for tag_id in tag_ids or ():
            tag_rows.append({"enterprise_id": firm_id, "tag_id": tag_id})
    insert_rows(cast(Table, FirmQualification.__table__), quals_rows)  # read by no home figure
    _insert(enterprise_tags, tag_rows)
    audits = [
        _audit(actor, "enterprise", firm_id, "create", f"新建企业档案：{row['name']}", enterprise_id=firm_id)
        for firm_id, row in zip(ids, rows, strict=True)
    ]
    insert_rows(cast(Table, AuditLog.__table__), audits)  # read by no home figure
    return ids


def write_first_liaisons(actor: User, liaisons: list[tuple[Assignment, User]]) -> None:
    """Write the first liaisons start_first_assignment made (checked, pending in the session) with one
    executemany instead of the session's flush, then their audit rows as audit_first_assignment writes
    them one by one."""
    rows = []
    for assignment, _cadre in liaisons:
        db.session.expunge(assignment)  # written below, not by the next flush
        rows.append({key: getattr(assignment, key) for key in LIAISON_FIELDS})
    _insert(Assignment.__table__, rows)
    firm_ids = [row["enterprise_id"] for row in rows]
    ids = _new_ids(Assignment.enterprise_id, Assignment.id, firm_ids, Assignment.end_on.is_(None))
    audits = []
    for assignment_id, row, (_assignment, cadre) in zip(ids, rows, liaisons, strict=True):
        summary = f"分配联系干部：{cadre.name}" + (f"（{row['reason']}）" if row["reason"] else "")
        audits.append(
            _audit(
                actor,
                "assignment",
                assignment_id,
                "assign",
                summary,
                changes={"cadre": [None, cadre.name]},
                enterprise_id=row["enterprise_id"],
            )
        )
    insert_rows(cast(Table, AuditLog.__table__), audits)
