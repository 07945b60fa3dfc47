from flask import Blueprint

bp = Blueprint("assignments", __name__)

from crm.blueprints.assignments import routes  # noqa: E402,F401
