"""The `firm_portal` blueprint object, on its own so that every route module can import it."""

from flask import Blueprint

bp = Blueprint("firm_portal", __name__)


@bp.after_request
def _private(response):
    """The page holds a firm's data behind its token: never cached, indexed or sent on as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
