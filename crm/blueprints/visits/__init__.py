"""走访 pages: the visit form, the visit log and attachments."""

from crm.blueprints.visits import routes  # noqa: F401 -- registers the routes
from crm.blueprints.visits.blueprint import bp

__all__ = ["bp"]
