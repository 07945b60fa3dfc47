from flask import Blueprint

bp = Blueprint("visits", __name__)

from crm.blueprints.visits import routes  # noqa: E402,F401
