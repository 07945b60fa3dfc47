"""企业之声 pages of the park office: service codes and their cards, 撤单质检, 回访抽查 and their settings."""

from crm.blueprints.firm_voice import callbacks, routes  # noqa: F401 -- registers the routes
from crm.blueprints.firm_voice.blueprint import bp

__all__ = ["bp"]
