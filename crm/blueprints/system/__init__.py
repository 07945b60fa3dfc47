"""Admin pages of the reminders: 任务状态 (job heartbeat), 通知渠道 (channel settings) and 投递记录."""

from crm.blueprints.system import routes  # noqa: F401 -- registers the routes
from crm.blueprints.system.blueprint import bp

__all__ = ["bp"]
