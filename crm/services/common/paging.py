"""Pages of rows with the interface of Flask-SQLAlchemy's Pagination (for the `pagination` macro).

The page number is an argument: views read it from the request (crm.pagination), services never do.

- paginate(stmt): a page of a SELECT, in three constant queries (count, the page's ids, the rows);
- ListPage(rows): a page of rows ranked in Python first (e.g. by computed cadence urgency).
A junk page number shows page 1 and one past the end shows the last page (never a 404).
"""

import math
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Select, func, select

from crm.extensions import db


class Page:
    def __init__(self, items: list, total: int, page: int, per_page: int):
        self.items, self.total, self.page, self.per_page = items, total, page, per_page
        self.pages = max(1, math.ceil(total / per_page))

    @staticmethod
    def clamp(page: int | None, total: int, per_page: int) -> int:
        pages = max(1, math.ceil(total / per_page))
        return min(max(1, page if page is not None else 1), pages)

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


class ListPage(Page):
    def __init__(self, rows: Sequence[Any], page: int | None = None, per_page: int = 30):
        page = self.clamp(page, len(rows), per_page)
        start = (page - 1) * per_page
        super().__init__(list(rows[start : start + per_page]), len(rows), page, per_page)


def paginate(stmt: Select, per_page: int = 20, page: int | None = None) -> Page:
    """A page of the entities a SELECT lists, in the SELECT's order.

    Sorting and counting run on the primary keys only (a "deferred join"): the database orders narrow
    rows, then loads just this page's rows with their eager loads. Sorting thousands of wide rows (a
    visit's text, a problem's computed colour) is what made long lists slow.
    """
    entity = stmt.column_descriptions[0]["entity"]
    ids_stmt = stmt.with_only_columns(entity.id)
    total = db.session.scalar(select(func.count()).select_from(ids_stmt.order_by(None).subquery())) or 0
    page = Page.clamp(page, total, per_page)
    ids = list(db.session.scalars(ids_stmt.limit(per_page).offset((page - 1) * per_page)))
    items = []
    if ids:
        rows = db.session.scalars(stmt.where(entity.id.in_(ids)).order_by(None)).unique()
        by_id = {row.id: row for row in rows}
        items = [by_id[i] for i in ids if i in by_id]
    return Page(items, total, page, per_page)
