from flask import Blueprint

bp = Blueprint("coverage", __name__)

from crm.blueprints.coverage import routes  # noqa: E402,F401
