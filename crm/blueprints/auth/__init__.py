"""Login, logout and changing one's own password."""

from crm.blueprints.auth import routes  # noqa: F401 -- registers the routes
from crm.blueprints.auth.blueprint import bp

__all__ = ["bp"]
