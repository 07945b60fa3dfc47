"""Keeping the materialised home figures exact: every transaction that writes rows the figures read
bumps the version of each park it touched (or the epoch, for writes that reach every park) just before
it commits, inside the same transaction.

What a write touches is read from the session itself, so no service has to remember to call anything:
after each flush the new, changed and deleted objects are classified by table (see TOUCHES), and a bulk
INSERT/UPDATE/DELETE run through the session is classified by its table and parameters. Whatever cannot
be placed in one park (a renamed department, a bulk UPDATE, a table this module does not know) bumps
the epoch, which invalidates every park: a wrong guess costs a recomputation, never a stale figure.
"""

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, event, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session, attributes

from crm.extensions import db
from crm.models import Enterprise, FigureVersion, Problem
from crm.models.figures import EPOCH_ROW

_KEY = "figure_marks"

# Tables no home figure reads: writing them changes nothing on the home pages.
IGNORED = frozenset(
    {
        "attachments",
        "audit_logs",
        "callback_checks",
        "callback_draws",
        "common_issue_events",
        "common_issues",
        "deliveries",
        "delivery_attempts",
        "figure_versions",
        "firm_locations",
        "firm_qualifications",
        "generated_reports",
        "import_tasks",
        "job_runs",
        "login_failures",
        "notification_prefs",
        "notifications",
        "park_figures",
        "policies",
        "policy_events",
        "policy_matches",
        "policy_qualifications",
        "policy_sizes",
        "portal_hits",
        "portal_settings",
        "product_items",
        "service_codes",
        "stored_file_chunks",
        "stored_files",
        "tags",
        "tech_items",
        "typical_cases",
        "visit_locations",
        "withdrawals",
    }
)
# Tables every park's figures read (names, rules, the calendar, frozen months): any write bumps the epoch.
EVERY_PARK = frozenset(
    {
        "calendar_days",
        "calendar_years",
        "departments",
        "industry_chains",
        "month_closes",
        "month_snapshot_rows",
        "parks",
        "problem_rule_sets",
        "settings",
    }
)
# Tables of which only some columns are counted: a change to the others (a login, a new password, a
# phone number) leaves the figures as they are.
COUNTED_COLUMNS = {"users": frozenset({"role", "park_id", "is_active_user"})}
_LINKS = ("park_id", "enterprise_id", "problem_id")  # how a row names its park, most direct first
IN_CHUNK = 10_000  # ids per IN list when placing marked rows in their parks


# The figures come in parts stored apart, so that the most frequent write, a visit, outdates only the
# small part that counts visits. A table not named here reaches every part.
PARTS = ("main", "visits")
_PARTS_OF = {
    **dict.fromkeys(("visits", "firm_visit_summaries"), ("visits",)),
    **dict.fromkeys(("problems", "problem_events", "sales_items", "users"), ("main",)),
}


class _Marks:
    """The (id, part) pairs a transaction touched, by how the rows name their park; or the epoch."""

    def __init__(self) -> None:
        self.links: dict[str, set[tuple[int, str]]] = {link: set() for link in _LINKS}
        self.epoch = False

    def __bool__(self) -> bool:
        return self.epoch or any(self.links.values())

    def add(self, link: str, values: Iterable[Any], table: str) -> None:
        parts = _PARTS_OF.get(table, PARTS)
        self.links[link].update((int(v), part) for v in values if v is not None for part in parts)


def _marks(session: Session) -> _Marks:
    found = session.info.get(_KEY)
    if found is None:
        found = session.info[_KEY] = _Marks()
    return found


def _history(obj: Any, name: str) -> list[Any]:
    """Every value the attribute had in this flush: the new one and the one it replaced."""
    h = attributes.get_history(obj, name)
    return [*h.added, *h.unchanged, *h.deleted]


def _changes_counted(obj: Any, table: str) -> bool:
    counted = COUNTED_COLUMNS.get(table)
    if counted is None:
        return True
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in counted)


def _note_object(marks: _Marks, obj: Any, changed: bool = False) -> None:
    """changed: obj was already in the database (only its counted columns matter)."""
    table = getattr(obj, "__tablename__", None)
    if table is None or table in IGNORED or (changed and not _changes_counted(obj, table)):
        return
    if table in EVERY_PARK:
        marks.epoch = True
        return
    columns = inspect(type(obj)).columns.keys()
    for link in _LINKS:
        if link in columns:
            values = [v for v in _history(obj, link) if v is not None]
            if values or link == "park_id":  # a row without a park (a city-level user) touches none
                marks.add(link, values, table)
                return
    marks.epoch = True


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    marks = _marks(session)
    for obj in session.new:
        _note_object(marks, obj)
    for obj in session.deleted:
        _note_object(marks, obj)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            _note_object(marks, obj, changed=True)


def _statement_rows(state: ORMExecuteState) -> list[Any]:
    params = state.parameters
    rows = list(params) if isinstance(params, (list, tuple)) else ([params] if params else [])
    if not rows:
        try:
            rows = [cast(Any, state.statement).compile().params]
        except Exception:  # a statement that cannot compile alone: place it nowhere (the epoch)
            rows = []
    return rows


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table in IGNORED:
        return
    marks = _marks(state.session)
    if table is None or table in EVERY_PARK or not state.is_insert:
        marks.epoch = True  # an UPDATE or DELETE may move rows between parks: place it nowhere
        return
    rows = _statement_rows(state)
    for link in _LINKS:
        values = [row.get(link) for row in rows]
        if rows and all(isinstance(v, int) for v in values):
            marks.add(link, values, table)
            return
    marks.epoch = True


def _parks_of(session: Session, marks: _Marks) -> set[tuple[int, str]]:
    """The (park, part) pairs behind the marked parks, firms and problems (a query per kind of link)."""
    found = set(marks.links["park_id"])
    for link, stmt in (
        ("enterprise_id", select(Enterprise.id, Enterprise.park_id)),
        (
            "problem_id",
            select(Problem.id, Enterprise.park_id).join(Enterprise, Enterprise.id == Problem.enterprise_id),
        ),
    ):
        pairs = marks.links[link]
        ids = sorted({row_id for row_id, _part in pairs})
        park_of: dict[int, int] = {}
        for start in range(0, len(ids), IN_CHUNK):  # PostgreSQL takes at most 65,535 parameters
            chunk = stmt.where(stmt.selected_columns[0].in_(ids[start : start + IN_CHUNK]))
            park_of.update({row_id: park_id for row_id, park_id in session.execute(chunk)})
        found.update((park_of[row_id], part) for row_id, part in pairs if row_id in park_of)
    return found


def _bump(session: Session, keys: list[tuple[int, str]]) -> None:
    """version += 1 for each (park, part) row (created at 1), in ascending order so that concurrent
    writers take the row locks in the same order and never deadlock."""
    make = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    table = cast(Table, FigureVersion.__table__)
    for park_id, part in keys:
        stmt = make(table).values(park_id=park_id, part=part, version=1)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["park_id", "part"], set_={"version": table.c.version + 1}
            )
        )


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.flush()  # the commit's own flush would come after this hook: mark its objects now
    marks = session.info.pop(_KEY, None)
    if not marks:
        return
    if marks.epoch:
        _bump(session, [(EPOCH_ROW, part) for part in sorted(PARTS)])
    else:
        _bump(session, sorted(_parks_of(session, marks)))


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended (committed or rolled back)
        session.info.pop(_KEY, None)


def bump_every_park() -> None:
    """Invalidate every park's figures in the current transaction (after writes made outside the
    session, such as a bulk load through a raw connection)."""
    _marks(db.session()).epoch = True


def current_versions(park_ids: Iterable[int], part: str) -> dict[int, int]:
    """The committed version of one part of each park, and of the epoch (0 where never bumped)."""
    ids = sorted({EPOCH_ROW, *park_ids})
    stmt = select(FigureVersion.park_id, FigureVersion.version).where(
        FigureVersion.park_id.in_(ids), FigureVersion.part == part
    )
    found: dict[int, int] = {park_id: version for park_id, version in db.session.execute(stmt)}
    return {park_id: found.get(park_id, 0) for park_id in ids}
