"""The firm's service page (企业服务码): public, no login, reached only through a firm's token."""

from crm.blueprints.firm_portal import cases, policies, routes  # noqa: F401 -- registers the routes
from crm.blueprints.firm_portal.blueprint import bp

__all__ = ["bp"]
