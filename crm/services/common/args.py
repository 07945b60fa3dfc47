"""Reading query-string arguments: every value a view or a filter takes from a URL goes through here.

Anyone can type anything after the `?`, so each reader returns a clean value or the default, never
raises: ids are ASCII digits within a database INTEGER (a bigger number would fail the query, not
just match nothing), dates are strict YYYY-MM-DD within years the calendar arithmetic handles,
choices are from a known list, text is short and free of control characters (PostgreSQL refuses
NUL). A junk value reads exactly as if it were absent. `args` is any mapping (request.args in a
view); nothing here reads the request.
"""

import re
import unicodedata
from collections.abc import Container, Mapping
from datetime import date
from typing import Any, Optional

MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER; SQLite holds more, but both databases get one bound
MAX_PAGE = 100_000
TEXT_LIMIT = 100
YEARS = (1900, 2999)
_DIGITS = re.compile(r"[0-9]{1,10}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TRUE = ("1", "on", "true")


def _raw(args: Mapping[str, Any], name: str) -> str:
    value = args.get(name)
    return value.strip() if isinstance(value, str) else ""


def arg_int(args: Mapping[str, Any], name: str, low: int, high: int) -> Optional[int]:
    """A whole number low..high written in ASCII digits, else None."""
    text = _raw(args, name)
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def arg_id(args: Mapping[str, Any], name: str) -> Optional[int]:
    """A database id (1..MAX_ID), else None: an id that does not exist simply matches nothing."""
    return arg_int(args, name, 1, MAX_ID)


def arg_page(args: Mapping[str, Any], name: str = "page") -> int:
    """A page number (paging clamps one past the end to the last page), else 1."""
    return arg_int(args, name, 1, MAX_PAGE) or 1


def arg_date(args: Mapping[str, Any], name: str) -> Optional[date]:
    """A real calendar day written YYYY-MM-DD, else None (2026-13-45, 20261102 and 2026-W45-1 are not)."""
    text = _raw(args, name)
    if not _DATE.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if YEARS[0] <= day.year <= YEARS[1] else None


def arg_choice(args: Mapping[str, Any], name: str, allowed: Container[str], default: str = "") -> str:
    """One of the allowed values (a dict's keys, a tuple …), else `default`."""
    value = args.get(name)
    return value if isinstance(value, str) and value in allowed else default


def arg_flag(args: Mapping[str, Any], name: str) -> bool:
    """A checkbox: "1", "on" or "true"."""
    return args.get(name) in _TRUE


def clean_text(value: object, limit: int = TEXT_LIMIT) -> str:
    """Half-width (NFKC), without control or format characters (NUL, bidi overrides), single-spaced,
    at most `limit` characters."""
    text = unicodedata.normalize("NFKC", str(value or "")[: limit * 4])
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
    return " ".join(text.split())[:limit]


def arg_text(args: Mapping[str, Any], name: str, limit: int = TEXT_LIMIT) -> str:
    """Free text such as a search box: see clean_text."""
    value = args.get(name)
    return clean_text(value, limit) if isinstance(value, str) else ""
