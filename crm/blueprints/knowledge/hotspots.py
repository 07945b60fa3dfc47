"""热点分析: a month's top categories and words, repeat problems, slowest categories, departments' 重办率 and
case-library answers for one park (officers: their own) or the city — frozen once the month is closed,
as the monthly workbook's 热点分析 sheet; every figure links to its problems."""

from typing import Optional

from flask import abort, flash, render_template, request
from flask_login import current_user, login_required

from crm.blueprints.knowledge.blueprint import bp
from crm.extensions import db
from crm.models import Park
from crm.models.problem import PROBLEM_CATEGORIES
from crm.pagination import ListPage
from crm.permissions import is_city_wide, is_park_limited, roles_required, visible_parks
from crm.reporting.monthly.hotspots import hotspots_of
from crm.reporting.monthly.period import Period
from crm.services import ServiceError
from crm.services.common.args import arg_id
from crm.services.knowledge.hotspot_figures import DEFINITIONS
from crm.timeutil import today

ANSWER_LIMIT = 20  # answered problems listed per source (the sheet lists them all)


def _park() -> Optional[Park]:
    """The park asked for within the user's scope: park-limited users their own (another park is 404);
    city-wide users any park, or None for all parks (an unknown park: a message, all parks)."""
    asked = arg_id(request.args, "park")
    if is_park_limited(current_user):
        if request.args.get("park") and asked != current_user.park_id:
            abort(404)
        return db.session.get(Park, current_user.park_id)
    if not is_city_wide(current_user):
        abort(403)  # an officer with no park has no scope
    if request.args.get("park") in (None, ""):
        return None
    park = db.session.get(Park, asked) if asked is not None else None
    if park is None:
        flash("所选园区不存在，已显示全部园区", "warning")
    return park


def _period() -> Period:
    day = today()
    text = request.args.get("month")
    if text:
        try:
            return Period.parse(text[:20], day)
        except ServiceError as exc:
            flash(f"{exc}，已显示本月", "warning")
    return Period.of(day.year, day.month, day)


@bp.route("/hotspots")
@login_required
@roles_required("hotspot.view")
def hotspots():
    park = _park()
    period = _period()
    scope_name = park.name if park is not None else "全部园区"
    figures, close = hotspots_of(period, park.id if park is not None else None, scope_name)
    return render_template(
        "knowledge/hotspots.html",
        h=figures,
        close=close,
        period=period,
        park=park,
        parks=list(db.session.scalars(visible_parks(current_user))) if is_city_wide(current_user) else [],
        definitions=DEFINITIONS,
        repeats=ListPage(figures.repeats, per_page=30),
        categories=PROBLEM_CATEGORIES,
        answer_limit=ANSWER_LIMIT,
    )
