from flask import Blueprint

bp = Blueprint("enterprises", __name__)

from crm.blueprints.enterprises import routes  # noqa: E402,F401
