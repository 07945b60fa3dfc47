from dataclasses import replace
from datetime import date
from typing import Optional

from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from crm.blueprints.main.blueprint import bp
from crm.blueprints.main.charts import home_charts
from crm.extensions import db
from crm.models import Park
from crm.permissions import can, is_city_wide
from crm.reporting.monthly.kpis import closed_month_problem_kpis, month_problem_kpis
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.svg import meter
from crm.services.common.args import arg_flag, arg_id
from crm.services.dashboard.cache import cached_figures
from crm.services.dashboard.figures import firms_by_ids, officer_dashboard
from crm.services.dashboard.stats import home_stats
from crm.services.kpi import kpi
from crm.timeutil import today

bp.add_app_template_global(meter, "svg_meter")
bp.add_app_template_global(kpi, "kpi_def")  # a KPI's definition, for labels and formula tooltips


def _month_scope(park: Optional[Park]) -> Optional[ReportScope]:
    """The monthly report's scope that matches the page: the chosen park, the user's park, or every park
    for a city-wide user (None for a park-level user without a park: nothing to show)."""
    if park is not None:
        return ReportScope(park)
    if is_city_wide(current_user):
        return ReportScope(None)
    return ReportScope(current_user.park) if current_user.park is not None else None


def _month_kpis(park: Optional[Park], day: date) -> tuple[dict, dict]:
    """This month's problem KPIs, and last month's once it is closed, counted as their workbooks do."""
    scope = _month_scope(park)
    if scope is None:
        return {}, {}
    period = Period.of(day.year, day.month, day)
    return month_problem_kpis(scope, period), closed_month_problem_kpis(scope, period.previous())


def _parks() -> list[Park]:
    """Parks a city-wide user may narrow the home page to (none for park-level users)."""
    return list(db.session.scalars(select(Park).order_by(Park.id))) if is_city_wide(current_user) else []


@bp.route("/")
@login_required
def index():
    if current_user.role == "cadre":
        return redirect(url_for("assignments.caseload", user_id=current_user.id))
    if can(current_user, "problem.inbox"):
        return redirect(url_for("problems.inbox"))
    if not can(current_user, "dashboard.officer"):
        return render_template("main/home.html")
    parks = _parks()
    park = next((p for p in parks if p.id == arg_id(request.args, "park")), None)
    park_id, day = park.id if park else None, today()
    # The aggregates are cached a few minutes per scope (figure_cache); ?fresh=1 recomputes them.
    key = ("home", current_user.role, current_user.park_id, park_id, day)
    (data, stats, (month, last_month)), computed_at = cached_figures(
        key,
        lambda: (
            officer_dashboard(current_user, day, park_id),
            home_stats(current_user, day, park_id),
            _month_kpis(park, day),
        ),
        fresh=arg_flag(request.args, "fresh"),
    )
    data = replace(data, unassigned_firms=firms_by_ids(data.unassigned_ids))
    template = "main/leader.html" if current_user.role == "leader" else "main/officer.html"
    return render_template(
        template,
        data=data,
        computed_at=computed_at,
        stats=stats,
        month=month,
        last_month=last_month,
        charts=home_charts(stats),
        parks=parks,
        park=park,
    )
