"""现场 (the field app): the installable shell (manifest, service worker, offline page), the phone's
draft visits (待同步) and the JSON endpoints they are synced through."""

from crm.blueprints.field import api, routes  # noqa: F401 -- registers the routes
from crm.blueprints.field.blueprint import bp

__all__ = ["bp"]
