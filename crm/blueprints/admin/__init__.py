"""系统管理 pages: user accounts, reference data, the working-day calendar and the problem rules."""

from crm.blueprints.admin import calendar, reference, routes, rules  # noqa: F401 -- registers the routes
from crm.blueprints.admin.blueprint import bp

__all__ = ["bp"]
