"""clean control characters out of stored text

Input refuses control characters since this revision; rows typed before it may still hold some, and
one such character made every .xlsx export and the monthly report fail. Data only: one-line columns
lose them (a tab or line break becomes a space), multi-line columns keep tab and line feed (CR LF
becomes LF). Rows are read in batches and cleaned in Python, so it runs alike on SQLite and PostgreSQL
(which never stored NUL, but the other characters it did).

Revision ID: 1e5838ac3500
Revises: 0bab97a1b22f
Create Date: 2026-12-02 07:32:10.727685

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1e5838ac3500'
down_revision = '0bab97a1b22f'
branch_labels = None
depends_on = None

BATCH = 1000
# The characters crm.services.common.validators refuses (a migration imports nothing from crm, which
# moves on while this file must keep meaning what it meant): C0 controls, DEL, C1 controls, the bidi
# embeddings, overrides and isolates, and U+FFFE/U+FFFF.
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")
# What Python's splitlines() reads as a line break besides LF and CR.
BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
MULTILINE_BREAKS = re.compile(f"\r\n|[\r{BREAKS}]")
ONE_LINE_BREAKS = re.compile(f" *[\t\n\r{BREAKS}]+ *")

# table -> (key column, one-line columns, multi-line columns)
TEXT_COLUMNS = {
    "enterprises": (
        "id",
        ("name", "name_initials", "legal_rep", "contact_name", "contact_phone", "address", "tags"),
        ("note",),
    ),
    "assignments": ("id", ("reason", "end_reason"), ()),
    "handovers": ("id", (), ("note",)),
    "product_items": ("id", ("name", "category", "unit", "main_market"), ("note",)),
    "sales_items": ("id", ("product", "market"), ("note",)),
    "tech_items": ("id", ("title", "partner"), ("detail",)),
    "visits": ("id", ("participants",), ("summary", "findings")),
    "attachments": ("id", ("filename",), ()),
    "problems": (
        "id",
        ("title",),
        ("description", "extension_reason", "resolution", "evaluation_note", "forced_close_reason"),
    ),
    "problem_events": ("id", (), ("note",)),
    "notifications": ("id", ("title",), ("body",)),
    "notification_prefs": ("user_id", ("email",), ()),
    "users": ("id", ("username", "name", "phone"), ()),
    "login_failures": ("id", ("username",), ()),
    "calendar_days": ("day", ("name",), ()),
    "calendar_years": ("year", ("note",), ()),
    "parks": ("id", ("name",), ()),
    "departments": ("id", ("name",), ()),
    "industry_chains": ("id", ("name",), ()),
}
# Unique columns: a cleaned value that another row already holds is left as it was (a collision would
# stop the migration); usernames are unique regardless of case.
UNIQUE = {("users", "username"): str.lower, ("parks", "name"): str, ("industry_chains", "name"): str}


def clean_one_line(text):
    """A name, title or phone without control characters; a tab or line break becomes one space."""
    return CONTROLS.sub("", ONE_LINE_BREAKS.sub(" ", text)).strip(" ")


def clean_multiline(text):
    """Prose without control characters; tab and line feed kept, every other line break made LF."""
    return CONTROLS.sub("", MULTILINE_BREAKS.sub("\n", text))


def _clean_table(bind, name, key, one_line, multiline):
    nullable = {col["name"]: col["nullable"] for col in sa.inspect(bind).get_columns(name)}
    columns = (*one_line, *multiline)
    table = sa.table(name, sa.column(key), *(sa.column(col) for col in columns))
    taken = {}
    for col in columns:
        if (name, col) in UNIQUE:
            fold = UNIQUE[(name, col)]
            taken[col] = {fold(v) for v in bind.execute(sa.select(table.c[col])).scalars() if v is not None}
    last = None
    while True:
        query = sa.select(table.c[key], *(table.c[col] for col in columns)).order_by(table.c[key])
        if last is not None:
            query = query.where(table.c[key] > last)
        rows = bind.execute(query.limit(BATCH)).all()
        if not rows:
            return
        last = rows[-1][0]
        for row in rows:
            changes = {}
            for col, value in zip(columns, row[1:]):
                if not isinstance(value, str):
                    continue
                cleaned = clean_multiline(value) if col in multiline else clean_one_line(value)
                if cleaned == value:
                    continue
                if col in taken:
                    fold = UNIQUE[(name, col)]
                    if fold(cleaned) in taken[col]:
                        continue
                    taken[col].add(fold(cleaned))
                changes[col] = None if not cleaned and nullable.get(col) else cleaned
            if changes:
                bind.execute(table.update().where(table.c[key] == row[0]).values(**changes))


def upgrade():
    bind = op.get_bind()
    for name, (key, one_line, multiline) in TEXT_COLUMNS.items():
        _clean_table(bind, name, key, one_line, multiline)


def downgrade():
    pass  # the characters removed were never meant to be there; nothing to put back
