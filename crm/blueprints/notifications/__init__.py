"""The notification centre: the bell, the list and marking as read."""

from crm.blueprints.notifications import routes  # noqa: F401 -- registers the routes
from crm.blueprints.notifications.blueprint import bp

__all__ = ["bp"]
