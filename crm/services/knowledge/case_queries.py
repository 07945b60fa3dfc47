"""Finding cases in the 典型案例库: the search box, the filters, and the tags to filter by.

The search box is cut into words by the one tokenizer (crm.services.knowledge.text) and every word must
occur (AND) in the title, the summary, the basis or a tag, case-insensitively; LIKE wildcards typed in
the box match themselves. Tags live in a JSON list, which the two databases do not search alike, so the
tags of the cases in scope are read once (one narrow query) and matched here; the park's library is
hundreds of curated cases, not millions of rows.
"""

import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Optional

from sqlalchemy import Select, false, or_
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import TypicalCase, User
from crm.models.knowledge import CASE_STATUSES
from crm.models.problem import PROBLEM_CATEGORIES
from crm.permissions import can
from crm.permissions.knowledge import visible_cases
from crm.services.common.args import arg_choice, arg_id, arg_text
from crm.services.knowledge.text import tokenize

MAX_TERMS = 10  # a pasted paragraph would otherwise make one LIKE per word
# The office may also list withdrawn cases (to restore them); everyone else reads published ones only.
STATUS_FILTERS = {"withdrawn": "已撤下", "all": "全部（含已撤下）"}


@dataclass(frozen=True)
class CaseFilters:
    """The list's query string, cleaned: junk reads as absent."""

    q: str = ""
    category: str = ""
    department: Optional[int] = None
    tag: str = ""
    status: str = ""  # "" published; the office may ask for "withdrawn" or "all"

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> "CaseFilters":
        """Read the filters from a query string (request.args in a view)."""
        return cls(
            q=arg_text(args, "q"),
            category=arg_choice(args, "category", PROBLEM_CATEGORIES),
            department=arg_id(args, "department"),
            tag=arg_text(args, "tag", 20),
            status=arg_choice(args, "status", STATUS_FILTERS),
        )

    def as_args(self) -> dict[str, Any]:
        """The filters that are set, for links that keep them (export, pages)."""
        return {k: v for k, v in asdict(self).items() if v}


@dataclass
class CaseSearch:
    """The SELECT of the cases to list (ordered, newest first) and the tags offered as a filter."""

    stmt: Select
    tags: list[str]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def search_terms(q: str) -> list[str]:
    """The words of the search box, each of which a case must contain.

    A word that is part of another word of the query is dropped (出口 within 出口退税): requiring the longer
    one already requires it. A query of stop words or single characters only (慢, 问题) is searched as typed.
    """
    words = list(dict.fromkeys(tokenize(q)))
    terms = [w for w in words if not any(w != other and w in other for other in words)]
    if not terms and q.strip():
        terms = [_fold(q.strip())]
    return terms[:MAX_TERMS]


def like_pattern(term: str) -> str:
    """%term% with LIKE's wildcards and its escape character taken literally (escape character \\)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _scope(user: User, status: str) -> Select:
    manager = can(user, "case.manage")
    stmt = visible_cases(user, include_withdrawn=manager and status in STATUS_FILTERS)
    if status == "withdrawn":
        stmt = stmt.where(TypicalCase.status == "withdrawn") if manager else stmt.where(false())
    return stmt


def case_search(user: User, flt: CaseFilters) -> CaseSearch:
    """The cases the user may read that match the filters, and the tags in use in the user's scope."""
    stmt = _scope(user, flt.status)
    scope_ids = stmt.with_only_columns(TypicalCase.id, TypicalCase.tags).order_by(None)
    tag_rows = [(case_id, list(tags or [])) for case_id, tags in db.session.execute(scope_ids)]
    usage = Counter(tag for _, tags in tag_rows for tag in tags)
    offered = sorted(usage, key=lambda t: (-usage[t], t))[:100]
    if flt.tag and flt.tag not in offered:
        offered.append(flt.tag)  # the filter in use stays selectable
    if flt.category:
        stmt = stmt.where(TypicalCase.category == flt.category)
    if flt.department:
        stmt = stmt.where(TypicalCase.department_id == flt.department)
    if flt.tag:
        stmt = stmt.where(TypicalCase.id.in_([i for i, tags in tag_rows if flt.tag in tags] or [0]))
    for term in search_terms(flt.q):
        pattern = like_pattern(term)
        tagged = [i for i, tags in tag_rows if any(term in _fold(t) for t in tags)]
        stmt = stmt.where(
            or_(
                TypicalCase.title.ilike(pattern, escape="\\"),
                TypicalCase.summary.ilike(pattern, escape="\\"),
                TypicalCase.basis.ilike(pattern, escape="\\"),
                TypicalCase.id.in_(tagged or [0]),
            )
        )
    stmt = stmt.options(joinedload(TypicalCase.department), joinedload(TypicalCase.park))
    return CaseSearch(stmt.order_by(TypicalCase.created_at.desc(), TypicalCase.id.desc()), offered)


def status_label(code: str) -> str:
    """已发布 / 已撤下."""
    return CASE_STATUSES.get(code, code)
