"""问题 pages: the list, the problem page with its action buttons, and the work desks."""

from crm.blueprints.problems import desks, helpers, routes  # noqa: F401 -- registers the routes
from crm.blueprints.problems.blueprint import bp

__all__ = ["bp"]
