from flask import Blueprint

bp = Blueprint("lists", __name__)

from crm.blueprints.lists import routes  # noqa: E402,F401
