from flask import Blueprint

bp = Blueprint("problems", __name__)

from crm.blueprints.problems import desks, helpers, routes  # noqa: E402,F401
