"""The `policies` blueprint object, on its own so that every route module can import it."""

from flask import Blueprint

bp = Blueprint("policies", __name__)
