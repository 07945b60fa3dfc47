"""Pagination for views: the page number comes from the request's `?page=`; the paging itself is
crm.services.common.paging (which never reads the request)."""

from collections.abc import Sequence
from typing import Any

from flask import request
from sqlalchemy import Select

from crm.services.common import paging
from crm.services.common.args import arg_page
from crm.services.common.paging import Page


def requested_page() -> int:
    """The `?page=` of the request; junk reads as page 1 (and paging clamps past-the-end pages)."""
    return arg_page(request.args)


def paginate(stmt: Select, per_page: int = 20) -> Page:
    """The requested page of the entities a SELECT lists."""
    return paging.paginate(stmt, per_page=per_page, page=requested_page())


def ListPage(rows: Sequence[Any], per_page: int = 30) -> paging.ListPage:  # noqa: N802 -- reads as the class
    """The requested page of rows already ranked in Python."""
    return paging.ListPage(rows, page=requested_page(), per_page=per_page)
