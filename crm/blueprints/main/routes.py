from dataclasses import replace

from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from crm.blueprints.main.blueprint import bp
from crm.blueprints.main.charts import home_charts
from crm.extensions import db
from crm.models import Park
from crm.permissions import can, is_city_wide
from crm.reporting.home import home_figures
from crm.reporting.svg import meter
from crm.services.common.args import arg_flag, arg_id
from crm.services.dashboard.figures import firms_by_ids
from crm.services.kpi import kpi
from crm.timeutil import today

bp.add_app_template_global(meter, "svg_meter")
bp.add_app_template_global(kpi, "kpi_def")  # a KPI's definition, for labels and formula tooltips


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
    figures = home_figures(current_user, today(), park, fresh=arg_flag(request.args, "fresh"))
    data = replace(figures.data, unassigned_firms=firms_by_ids(figures.data.unassigned_ids))
    template = "main/leader.html" if current_user.role == "leader" else "main/officer.html"
    return render_template(
        template,
        data=data,
        computed_at=figures.computed_at,
        stats=figures.stats,
        month=figures.month,
        last_month=figures.last_month,
        charts=home_charts(figures.stats),
        parks=parks,
        park=park,
    )
