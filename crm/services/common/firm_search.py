"""Finding firms by what a user types for their name: the name as typed, width- and case-folded
(湘潭华宇(集团) finds 湘潭华宇（集团）), or pinyin (initials or full, any reading of a polyphone)."""

from typing import Optional

from sqlalchemy import ColumnElement, Select, or_, select

from crm.models import Enterprise
from crm.services.common.creditcode import fold_key
from crm.services.common.pinyin import pinyin_query


def firm_name_clause(q: str) -> ColumnElement[bool]:
    """A WHERE clause on Enterprise matching q in the firm's name, folded name or pinyin."""
    clauses = [Enterprise.name.icontains(q, autoescape=True)]
    if key := fold_key(q):
        clauses.append(Enterprise.name_key.contains(key, autoescape=True))
    # Only a query of letters (and digits) can be pinyin; a Chinese query skips the longer column.
    if letters := pinyin_query(q):
        clauses.append(Enterprise.name_pinyin.contains(letters, autoescape=True))
    return or_(*clauses)


def firm_ids_named(q: str, within: Optional[ColumnElement[bool]] = None) -> Select:
    """SELECT of the ids of firms matching q, for lists of other rows (visits, problems): the firms are
    matched once each instead of once per joined row; `within` (the user's firm scope) narrows the firms
    searched first, so a park's user scans the park's firms only."""
    stmt = select(Enterprise.id).where(firm_name_clause(q)).correlate(None)
    return stmt if within is None else stmt.where(within)
