"""The `knowledge` blueprint object, on its own so that every route module can import it."""

from flask import Blueprint

bp = Blueprint("knowledge", __name__)
