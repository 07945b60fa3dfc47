"""Spreadsheet import pages: upload, preview, apply and the error workbook."""

from crm.blueprints.imports import routes  # noqa: F401 -- registers the routes
from crm.blueprints.imports.blueprint import bp

__all__ = ["bp"]
