import uuid
from datetime import timedelta

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from crm.blueprints.attachments import send_attachment
from crm.blueprints.boundary import run_step, saved
from crm.blueprints.visits.blueprint import bp
from crm.blueprints.visits.forms import SECTIONS, VisitEditForm, VisitFields, VisitForm
from crm.extensions import db
from crm.models import IndustryChain, Park, Problem
from crm.models.org import offered
from crm.models.visit import VISIT_KINDS
from crm.pagination import paginate
from crm.permissions import (
    can,
    get_attachment_or_404,
    get_enterprise_or_404,
    get_visit_or_404,
    is_city_wide,
    roles_required,
)
from crm.reporting.exports.visits import export_visits
from crm.services.common.attachments import ACCEPT, MAX_FILES, human_size, max_bytes
from crm.services.policies.matching import pending_by_firm
from crm.services.users.queries import cadre_choices
from crm.services.visits.evidence import evidence_rules, visit_location
from crm.services.visits.locations import firm_location
from crm.services.visits.queries import VisitFilters, visit_list_query
from crm.services.visits.records import MAX_BACKDATE_DAYS, STALE_VISIT, log_visit, update_visit
from crm.timeutil import today


def _form_context() -> dict:
    day = today()
    return {
        "today": day,
        "earliest": day - timedelta(days=MAX_BACKDATE_DAYS),
        "accept": ACCEPT,
        "upload_hint": f"可拍照或选择文件，最多{MAX_FILES}个，每个不超过{human_size(max_bytes())}",
    }


def _files_dropped(form: VisitFields) -> None:
    # A browser cannot refill a file input, so say so whenever the form comes back.
    if form.uploads():
        flash("附件未保存，请重新选择", "warning")


@bp.route("/enterprises/<int:enterprise_id>/visits/new", methods=["GET", "POST"])
@login_required
def create(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, "visit.log")
    form = VisitForm()
    if request.method == "GET":
        form.visited_on.data = today().isoformat()
        # Without the page's script this id still makes a double submission log one visit; the script
        # gives every visit typed on the page an id of its own.
        form.client_id.data = str(uuid.uuid4())
    if form.validate_on_submit():
        data, files, sections = form.visit_data(), form.uploads(), form.sections()
        done = "走访记录已保存"
        step = run_step(
            log_visit,
            firm,
            current_user,
            data,
            today(),
            files=files,
            client_id=form.client_id.data,
            location=form.location_data(),
            **sections,
            success=done,
        )
        if step:
            return redirect(url_for("enterprises.detail", enterprise_id=firm.id, tab="visits"))
    if form.is_submitted():  # refused by the form or by the service
        _files_dropped(form)
    return render_template(
        "visits/form.html",
        form=form,
        firm=firm,
        visit=None,
        sections=SECTIONS,
        evidence=evidence_rules(firm.park_id),
        pending_policies=pending_by_firm([firm.id], today()).get(firm.id, []),
        **_form_context(),
    )


@bp.route("/visits/<int:visit_id>/edit", methods=["GET", "POST"])
@login_required
def edit(visit_id: int):
    visit = get_visit_or_404(visit_id, "visit.edit")
    form = VisitEditForm(obj=visit)
    if request.method == "GET":
        form.visited_on.data = visit.visited_on.isoformat()
    if form.validate_on_submit():
        data, files = form.visit_data(), form.uploads()
        done = saved("走访记录已修改")
        step = run_step(
            update_visit, visit, current_user, data, today(), files=files, success=done, stale=STALE_VISIT
        )
        if step:
            return redirect(url_for("visits.detail", visit_id=visit.id))
        if step.stale:  # someone saved first: show the latest values instead of the stale form
            _files_dropped(form)
            return redirect(url_for("visits.edit", visit_id=visit.id))
    if form.is_submitted():  # refused by the form or by the service
        _files_dropped(form)
    return render_template(
        "visits/form.html", form=form, firm=visit.enterprise, visit=visit, sections={}, **_form_context()
    )


@bp.route("/visits/<int:visit_id>")
@login_required
def detail(visit_id: int):
    visit = get_visit_or_404(visit_id)
    problems = db.session.scalars(
        select(Problem).where(Problem.visit_id == visit.id).order_by(Problem.id)
    ).all()
    located = visit.evidence is not None and can(current_user, "visit.location", visit)
    return render_template(
        "visits/detail.html",
        visit=visit,
        firm=visit.enterprise,
        problems=problems,
        location=visit_location(visit) if located else None,
        firm_loc=firm_location(visit.enterprise) if located else None,
        located=located,
    )


@bp.route("/visits/")
@login_required
@roles_required("visit.view")
def index():
    flt = VisitFilters.from_args(request.args)
    page = paginate(visit_list_query(current_user, flt), per_page=20)
    cadres = []
    if current_user.role != "cadre":
        cadres = cadre_choices(current_user)
    # Retired chains and parks leave the filters unless chosen already.
    chains = db.session.scalars(
        select(IndustryChain)
        .where(offered(IndustryChain, [flt.chain]))
        .order_by(IndustryChain.sort_order, IndustryChain.id)
    ).all()
    parks = []
    if is_city_wide(current_user):
        parks = db.session.scalars(select(Park).where(offered(Park, [flt.park])).order_by(Park.id)).all()
    return render_template(
        "visits/index.html", page=page, flt=flt, cadres=cadres, chains=chains, kinds=VISIT_KINDS, parks=parks
    )


@bp.route("/visits/export.xlsx")
@login_required
@roles_required("visit.export")
def export():
    flt = VisitFilters.from_args(request.args)
    data = export_visits(db.session.scalars(visit_list_query(current_user, flt)))
    return send_file(
        data,
        as_attachment=True,
        download_name=f"走访记录_{today():%Y%m%d}.xlsx",
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    return send_attachment(get_attachment_or_404(attachment_id, through="firm"))
