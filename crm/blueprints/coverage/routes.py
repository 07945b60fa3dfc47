from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from crm.blueprints.boundary import run_step, saved
from crm.blueprints.coverage.blueprint import bp
from crm.blueprints.coverage.forms import CadenceForm, EvidenceForm
from crm.extensions import db
from crm.models import IndustryChain, Park
from crm.models.org import offered
from crm.pagination import ListPage
from crm.permissions import can, roles_required, visible_parks
from crm.reporting.exports.coverage import export_coverage
from crm.services.common.args import arg_id
from crm.services.visits.coverage import coverage_report, hydrate
from crm.services.visits.evidence import evidence_rules
from crm.services.visits.settings import park_setting, update_cadence_settings, update_evidence_settings
from crm.timeutil import today

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scoped_parks() -> list[Park]:
    return list(db.session.scalars(visible_parks(current_user)))


def _filters() -> tuple[int | None, int | None]:
    return arg_id(request.args, "park"), arg_id(request.args, "chain")


@bp.route("/coverage/")
@login_required
@roles_required("coverage.view")
def index():
    park, chain = _filters()
    report = coverage_report(current_user, today(), park, chain)
    # Retired parks and chains leave the filters unless chosen already.
    chains = db.session.scalars(
        select(IndustryChain)
        .where(offered(IndustryChain, [chain]))
        .order_by(IndustryChain.sort_order, IndustryChain.id)
    )
    return render_template(
        "coverage/index.html",
        report=report,
        cadres=ListPage(report.cadres, per_page=50),
        overdue=hydrate(report.overdue[:50]),
        parks=[p for p in _scoped_parks() if p.is_active or p.id == park],
        chains=list(chains),
        park=park,
        chain=chain,
    )


@bp.route("/coverage/export.xlsx")
@login_required
@roles_required("coverage.view")
def export():
    park, chain = _filters()
    report = coverage_report(current_user, today(), park, chain)
    name = f"走访覆盖_{report.today:%Y%m%d}.xlsx"
    hydrate(report.overdue)
    return send_file(export_coverage(report), as_attachment=True, download_name=name, mimetype=XLSX)


@bp.route("/settings/cadence", methods=["GET", "POST"])
@login_required
@roles_required("settings.cadence")
def cadence_settings():
    parks = _scoped_parks()
    if not parks:
        abort(404)
    park = next((p for p in parks if p.id == arg_id(request.args, "park")), parks[0])
    if not can(current_user, "settings.cadence", park):
        abort(403)
    form = CadenceForm(obj=park_setting(park))
    if form.validate_on_submit():
        if run_step(update_cadence_settings, park, current_user, form.data, success=saved("设置已保存")):
            return redirect(url_for("coverage.cadence_settings", park=park.id))
    rules = evidence_rules(park.id)
    evidence_form = EvidenceForm(
        formdata=None,
        data={
            "evidence_enabled": rules.enabled,
            "evidence_max_distance_m": rules.max_distance_m,
            "evidence_max_accuracy_m": rules.max_accuracy_m,
        },
    )
    return render_template(
        "coverage/settings.html", form=form, evidence_form=evidence_form, park=park, parks=parks
    )


@bp.route("/settings/<int:park_id>/evidence", methods=["POST"])
@login_required
@roles_required("settings.cadence")
def evidence_settings(park_id: int):
    """现场佐证 settings of a park (a second form on the settings page)."""
    park = next((p for p in _scoped_parks() if p.id == park_id), None)
    if park is None:
        abort(404)
    form = EvidenceForm()
    if form.validate_on_submit():
        run_step(update_evidence_settings, park, current_user, form.data, success=saved("现场佐证设置已保存"))
    else:
        flash("；".join(e for errors in form.errors.values() for e in errors), "danger")
    return redirect(url_for("coverage.cadence_settings", park=park.id))
