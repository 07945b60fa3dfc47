"""Text with control characters: what users paste, and old rows stored before input refused it.

    soil(problem, title=dirty("断电问题"))   # an UPDATE round the services, as old data would be

dirty() puts in characters an .xlsx cannot hold (openpyxl's IllegalCharacterError), NUL too where the
database can store it (SQLite; PostgreSQL refuses NUL in text).
"""

from crm.extensions import db

# One of each kind the input refuses: C0 controls, DEL, a C1 control, a bidi override, a noncharacter.
REFUSED = ["\x00", "\x01", "\x1b", "\x0b", "\x7f", "\x85", "\u202e", "\u2066", "\uffff"]
# Refused in one-line fields only.
LINE_BREAKS = ["\t", "\n", "\r\n", "\u2028"]


def dirty(text: str) -> str:
    """text with control characters inside it (and NUL where the database stores it)."""
    nul = "\x00" if db.engine.dialect.name == "sqlite" else ""
    return f"{text[:1]}\x01{nul}{text[1:]}\x1b[0m\x0b"


def soil(row, **values) -> None:
    """Write values into row's database row with a plain UPDATE (no validation), then reload it."""
    table = type(row).__table__
    key = table.primary_key.columns.values()[0]
    db.session.execute(table.update().where(key == getattr(row, key.key)).values(**values))
    db.session.expire(row)
