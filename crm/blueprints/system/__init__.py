"""Admin pages of the reminders: 任务状态 (job heartbeat), 通知渠道 (channel settings) and 投递记录."""

from flask import Blueprint

bp = Blueprint("system", __name__)

from crm.blueprints.system import routes  # noqa: E402,F401
