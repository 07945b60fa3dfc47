"""走访覆盖: the officer's coverage view and 我的企业."""

from crm.blueprints.coverage import routes  # noqa: F401 -- registers the routes
from crm.blueprints.coverage.blueprint import bp

__all__ = ["bp"]
