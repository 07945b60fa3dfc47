"""Enterprise import, handing thousands of checked rows to the database driver.

session.execute(insert(table), rows) builds a parameter dict per row, runs each column's bind
processor and each column default row by row in Python: 100,000 firms spend more time there than in
the database. insert_rows() compiles the same INSERT once, fills the columns' Python-side defaults
once (one timestamp for the whole import), runs the same bind processors (each column type's own, for
this dialect), and passes the values to the driver's executemany, in the session's transaction.

Rows that go round the session are not seen by its events. The home figures' versions
(crm.services.dashboard.versions) place a bulk INSERT by the values of its rows' park (or firm) column,
so marked_by names that column: the first row of each of its values is written through the session,
which marks it there, and the rows after it that share the value go straight to the driver.
"""

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any, Optional, cast

from sqlalchemy import Connection, Table, insert

from crm.extensions import db

BATCH = 5_000  # rows per executemany call


class _Statement:
    """One table's INSERT for a set of keys, compiled for the session's dialect, with how to turn a row
    into the driver's parameters."""

    def __init__(self, conn: Connection, table: Table, keys: list[str]) -> None:
        dialect = conn.dialect
        # Columns with a Python-side default the rows leave out: filled once for all rows.
        self.extra: dict[str, Any] = {}
        context_free = True
        for column in table.columns:
            default = column.default
            if column.key in keys or default is None or not (default.is_scalar or default.is_callable):
                continue  # given, none, or an SQL expression the INSERT itself holds
            arg = cast(Any, default).arg
            try:
                self.extra[column.key] = arg if default.is_scalar else arg(None)  # callables take a context
            except Exception:  # a default that reads the row being inserted: the session computes it
                context_free = False
        if not context_free:
            self.extra = {}
        compiled = insert(table).compile(dialect=dialect, column_keys=[*keys, *self.extra])
        self.sql = compiled.string
        self.positional = compiled.positional
        names = list(compiled.positiontup or ()) if compiled.positional else [*keys, *self.extra]
        # Every bound value must come from the row or the defaults above (under its own name), else
        # the session writes the rows.
        self.usable = (
            context_free
            and sorted(compiled.binds) == sorted(names) == sorted([*keys, *self.extra])
            and not getattr(compiled, "escaped_bind_names", None)
            and len(keys) > 1
        )
        self.names = names
        processors = {
            name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        }
        extra = {name: (p(value) if (p := processors[name]) else value) for name, value in self.extra.items()}
        self.get = itemgetter(*keys)
        source = {key: i for i, key in enumerate(keys)}
        # Per driver position: the row's value at this index, or a processed default (index None).
        self.plan = [(source.get(name), extra.get(name)) for name in names]
        self.processed: list[tuple[int, Callable[[Any], Any]]] = [
            (position, process)
            for position, name in enumerate(names)
            if (process := processors[name]) is not None and name in source
        ]

    def parameters(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        out: list[Any] = []
        plan, processed, get = self.plan, self.processed, self.get
        for row in rows:
            given = get(row)
            values = [given[i] if i is not None else constant for i, constant in plan]
            for position, process in processed:
                values[position] = process(values[position])
            out.append(tuple(values) if self.positional else dict(zip(self.names, values, strict=True)))
        return out

    def send(self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if not self.usable:
            db.session.execute(insert(table), list(rows))
            return
        conn.exec_driver_sql(self.sql, self.parameters(rows))


def insert_rows(table: Table, rows: Sequence[dict[str, Any]], marked_by: Optional[str] = None) -> None:
    """INSERT rows (all with the same keys) in their order, in the session's transaction.

    marked_by: the column by which the home figures place a row (park_id); without it the table must be
    one no home figure reads (audit rows, qualifications).
    """
    if not rows:
        return
    db.session.flush()  # whatever the session holds goes first, as one flush would have sent it
    conn = db.session.connection()
    statement = _Statement(conn, table, list(rows[0]))
    pending: list[dict[str, Any]] = []
    marked: set[Any] = set()
    for row in rows:
        if marked_by is not None and row[marked_by] not in marked:
            marked.add(row[marked_by])
            statement.send(conn, table, pending)
            pending = []
            db.session.execute(insert(table), [row | statement.extra])
            continue
        pending.append(row)
        if len(pending) >= BATCH:
            statement.send(conn, table, pending)
            pending = []
    statement.send(conn, table, pending)
