"""一企一档 pages: the registry list, the firm file and its form."""

from crm.blueprints.enterprises import routes  # noqa: F401 -- registers the routes
from crm.blueprints.enterprises.blueprint import bp

__all__ = ["bp"]
