"""惠企政策 pages: the policy library (list, entry, edit, publish), a policy's matched firms, the steps on a
firm–policy pair, the spreadsheet import of policies, and the managed tag list (标签库)."""

from crm.blueprints.policies import imports, pairs, routes, tags  # noqa: F401 -- registers the routes
from crm.blueprints.policies.blueprint import bp

__all__ = ["bp"]
