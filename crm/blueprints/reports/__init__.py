"""报表 pages: the monthly workbook on demand and the stored reports."""

from crm.blueprints.reports import closing, routes  # noqa: F401 -- registers the routes
from crm.blueprints.reports.blueprint import bp

__all__ = ["bp"]
