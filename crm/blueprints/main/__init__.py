"""Home pages (dashboards per role) and the shared error and health routes."""

from crm.blueprints.main import routes  # noqa: F401 -- registers the routes
from crm.blueprints.main.blueprint import bp

__all__ = ["bp"]
