"""走访 pages: the visit form, the visit log and attachments, 现场核验 and firms' locations."""

from crm.blueprints.visits import evidence, routes  # noqa: F401 -- registers the routes
from crm.blueprints.visits.blueprint import bp

__all__ = ["bp"]
