from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.blueprints.boundary import run_step, saved
from crm.blueprints.enterprises.blueprint import bp
from crm.blueprints.enterprises.forms import AssignForm, EnterpriseForm, UnassignForm
from crm.extensions import db
from crm.models import Enterprise, IndustryChain, Park, User
from crm.models.enterprise import SCALE_TYPES, SIZES, STATUSES
from crm.models.org import offered
from crm.models.profile import QUALIFICATIONS
from crm.pagination import paginate, requested_page
from crm.permissions import can, get_enterprise_or_404, roles_required, visible_cadres, visible_parks
from crm.reporting.exports.enterprises import export_enterprises
from crm.reporting.monthly.firm_lists import firm_list_history, totals
from crm.services.assignments.operations import assign_enterprise, unassign_enterprise
from crm.services.common.args import arg_choice
from crm.services.enterprises.firm_file import TABS, tab_counts, tab_data
from crm.services.enterprises.lists import AUDIT_LABELS
from crm.services.enterprises.profile import firm_qualifications, offered_tags
from crm.services.enterprises.queries import SORT_LABELS, EnterpriseFilters, enterprise_list_query
from crm.services.enterprises.registry import (
    FIELD_LABELS,
    PROFILE_LABELS,
    STALE_FIRM,
    create_enterprise,
    update_enterprise,
)
from crm.services.policies.delivery import pair_timeline
from crm.services.policies.matching import firm_policy_rows, pending_by_firm
from crm.services.users.queries import cadre_choices
from crm.services.visits.coverage import firm_cadence
from crm.timeutil import today


# Retired parks and chains are offered only where a firm or the filter already holds them.
def _parks(keep: int | None = None) -> list[Park]:
    return list(db.session.scalars(visible_parks(current_user).where(offered(Park, [keep]))))


def _chains(keep: int | None = None) -> list[IndustryChain]:
    return list(
        db.session.scalars(
            select(IndustryChain)
            .where(offered(IndustryChain, [keep]))
            .order_by(IndustryChain.sort_order, IndustryChain.id)
        )
    )


def _prepare_form(form: EnterpriseForm, firm: Enterprise | None = None) -> EnterpriseForm:
    form.park_id.choices = [(p.id, p.name) for p in _parks(firm.park_id if firm else None)]
    form.chain_id.choices = [("", "请选择")] + [
        (c.id, c.name) for c in _chains(firm.chain_id if firm else None)
    ]
    held = [t.id for t in firm.tags] if firm else []
    form.tag_ids.choices = [(t.id, t.name) for t in offered_tags(held)]
    if firm is not None and request.method == "GET":
        form.quals.form.fill(firm_qualifications(firm))
        form.tag_ids.data = held
    return form


@bp.route("/")
@login_required
@roles_required("enterprise.view")
def index():
    flt = EnterpriseFilters.from_args(request.args)
    page = paginate(enterprise_list_query(current_user, flt), per_page=20)
    cadres = []
    if current_user.role != "cadre":
        cadres = cadre_choices(current_user)
    return render_template(
        "enterprises/index.html",
        page=page,
        flt=flt,
        parks=_parks(flt.park),
        chains=_chains(flt.chain),
        cadres=cadres,
        sorts=SORT_LABELS,
        scales=SCALE_TYPES,
        sizes=SIZES,
        statuses=STATUSES,
        qualifications=QUALIFICATIONS,
        tags=offered_tags([flt.tag] if flt.tag else []),
    )


@bp.route("/export.xlsx")
@login_required
@roles_required("enterprise.export")
def export():
    flt = EnterpriseFilters.from_args(request.args)
    stmt = enterprise_list_query(current_user, flt).options(
        selectinload(Enterprise.qualifications), selectinload(Enterprise.tags)
    )
    data = export_enterprises(db.session.scalars(stmt).unique())
    filename = f"企业档案_{today():%Y%m%d}.xlsx"
    return send_file(
        data,
        as_attachment=True,
        download_name=filename,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@bp.route("/<int:enterprise_id>")
@login_required
def detail(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id)
    tabs = [(key, label) for key, label, action in TABS if action is None or can(current_user, action, firm)]
    tab = arg_choice(request.args, "tab", dict(tabs), "basic")
    return render_template(
        "enterprises/detail.html",
        firm=firm,
        tabs=tabs,
        tab=tab,
        counts=tab_counts(firm) | {"policies": len(pending_by_firm([firm.id], today()).get(firm.id, []))},
        cadence=firm_cadence(firm, today()),
        field_labels=FIELD_LABELS | PROFILE_LABELS | {"cadre": "联系干部"},
        entity_labels=AUDIT_LABELS,
        **tab_data(tab, firm, current_user, page=requested_page()),
        **(_list_changes(firm) if tab == "changes" else {}),
        **(_policies(firm) if tab == "policies" else {}),
    )


def _policies(firm: Enterprise) -> dict:
    """The 政策 tab: the policies the firm meets (and those acted on), why, and each step so far."""
    return {
        "policy_rows": firm_policy_rows(firm, today(), current_user),
        "policy_events": pair_timeline(firm),
    }


def _list_changes(firm: Enterprise) -> dict:
    """The 清单变化 tab: the firm's last twelve months of list figures."""
    history = firm_list_history(firm, today())
    return {"history": history, "history_totals": totals(history)}


@bp.route("/new", methods=["GET", "POST"])
@login_required
@roles_required("enterprise.create")
def create():
    form = _prepare_form(EnterpriseForm())
    if request.method == "GET" and current_user.park_id:
        form.park_id.data = current_user.park_id
    if form.validate_on_submit():
        step = run_step(
            create_enterprise,
            form.data_for_service(),
            current_user,
            success=lambda firm: f"已新建企业档案：{firm.name}",
        )
        if step:
            return redirect(url_for("enterprises.detail", enterprise_id=step.value.id))
    return render_template("enterprises/form.html", form=form, firm=None)


@bp.route("/<int:enterprise_id>/edit", methods=["GET", "POST"])
@login_required
def edit(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, "enterprise.edit")
    form = _prepare_form(EnterpriseForm(obj=firm), firm)
    if form.validate_on_submit():
        data = form.data_for_service()
        step = run_step(update_enterprise, firm, data, current_user, success=saved(), stale=STALE_FIRM)
        if step:
            return redirect(url_for("enterprises.detail", enterprise_id=firm.id))
        if step.stale:  # someone saved first: show the latest values instead of the stale form
            return redirect(url_for("enterprises.edit", enterprise_id=enterprise_id))
    return render_template("enterprises/form.html", form=form, firm=firm)


@bp.route("/<int:enterprise_id>/assign", methods=["GET", "POST"])
@login_required
def assign(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, "enterprise.assign")
    form = AssignForm()
    cadres = db.session.scalars(
        visible_cadres(current_user)
        .where(User.is_active_user.is_(True), (User.park_id == firm.park_id) | User.park_id.is_(None))
        .order_by(User.name)
    )
    form.cadre_id.choices = [(0, "请选择")] + [(c.id, c.name) for c in cadres]
    if form.validate_on_submit():
        cadre = db.session.get(User, form.cadre_id.data)
        if cadre is None:
            abort(400)
        done = f"已将 {firm.name} 分配给 {cadre.name}"
        if run_step(assign_enterprise, firm, cadre, current_user, today(), form.reason.data, success=done):
            return redirect(url_for("enterprises.detail", enterprise_id=firm.id, tab="liaison"))
    return render_template("enterprises/assign.html", firm=firm, form=form, unassign_form=UnassignForm())


@bp.route("/<int:enterprise_id>/unassign", methods=["POST"])
@login_required
def unassign(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, "enterprise.assign")
    form = UnassignForm()
    if not form.validate_on_submit():
        flash(form.reason.errors[0] if form.reason.errors else "请填写解除联系的原因", "danger")
        return redirect(url_for("enterprises.assign", enterprise_id=firm.id))
    run_step(unassign_enterprise, firm, current_user, today(), form.reason.data, success="已解除联系干部")
    return redirect(url_for("enterprises.detail", enterprise_id=firm.id, tab="liaison"))
