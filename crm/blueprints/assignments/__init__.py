"""一企一人 pages: assignments, caseloads, handover and its printable list."""

from crm.blueprints.assignments import routes  # noqa: F401 -- registers the routes
from crm.blueprints.assignments.blueprint import bp

__all__ = ["bp"]
