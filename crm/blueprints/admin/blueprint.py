"""The `admin` blueprint object, on its own so that every route module can import it."""

from flask import Blueprint

bp = Blueprint("admin", __name__)
