from flask import Blueprint

bp = Blueprint("imports", __name__)

from crm.blueprints.imports import routes  # noqa: E402,F401
