"""The `firm_voice` blueprint object, on its own so that every route module can import it."""

from flask import Blueprint

bp = Blueprint("firm_voice", __name__)
