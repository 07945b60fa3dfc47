"""Similar past problems while a problem is typed: an HTML fragment the problem and visit forms fetch."""

from flask import render_template, request
from flask_login import current_user, login_required

from crm.blueprints.knowledge.blueprint import bp
from crm.permissions import roles_required
from crm.services.knowledge.similar import query_tokens, similar_problems


@bp.route("/similar")
@login_required
@roles_required("problem.similar")
def similar():
    """The fragment: up to five cards, or a quiet 暂无相似问题 (nothing at all before anything is typed)."""
    title, description = request.args.get("title", ""), request.args.get("description", "")
    hits = similar_problems(current_user, title, description, request.args.get("enterprise_id"))
    typed = bool(query_tokens(title, description))
    response = render_template("knowledge/_similar.html", hits=hits, typed=typed)
    return response, 200, {"Cache-Control": "no-store"}
