from flask import Blueprint

bp = Blueprint("admin", __name__)

from crm.blueprints.admin import calendar, routes, rules  # noqa: E402,F401
