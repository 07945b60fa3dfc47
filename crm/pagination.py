"""Pagination of an in-memory list, with the same interface as Flask-SQLAlchemy's (for the macro).

Used where rows must be ranked in Python first (e.g. by computed cadence urgency) — the rows come
from a constant number of queries and are bounded by a cadre's caseload or a park's firms.
"""

import math
from collections.abc import Iterator, Sequence
from typing import Any

from flask import request


class ListPage:
    def __init__(self, rows: Sequence[Any], page: int | None = None, per_page: int = 30):
        if page is None:
            try:
                page = int(request.args.get("page", 1))
            except ValueError:
                page = 1
        self.total = len(rows)
        self.per_page = per_page
        self.pages = max(1, math.ceil(self.total / per_page))
        self.page = min(max(1, page), self.pages)
        start = (self.page - 1) * per_page
        self.items = list(rows[start : start + per_page])

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(self, left_edge=2, left_current=2, right_current=4, right_edge=2) -> Iterator[int | None]:
        last = 0
        for num in range(1, self.pages + 1):
            if (
                num <= left_edge
                or self.page - left_current - 1 < num < self.page + right_current
                or num > self.pages - right_edge
            ):
                if last + 1 != num:
                    yield None
                yield num
                last = num


def paginate(stmt, per_page: int = 20, max_per_page: int = 100):
    """db.paginate that never answers 404 on a page number.

    A junk or negative page shows page 1 and a page past the end (a bookmark, or the last row was just
    deleted) shows the last page, instead of "页面不存在".
    """
    from crm.extensions import db

    page = db.paginate(stmt, per_page=per_page, max_per_page=max_per_page, error_out=False)
    if not page.items and page.page > 1 and page.pages:
        last = page.pages
        page = db.paginate(stmt, page=last, per_page=per_page, max_per_page=max_per_page, error_out=False)
    return page
