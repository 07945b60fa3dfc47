"""四张清单 pages: a firm's product, sales and technology items."""

from crm.blueprints.lists import routes  # noqa: F401 -- registers the routes
from crm.blueprints.lists.blueprint import bp

__all__ = ["bp"]
