from flask import abort, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from crm.blueprints.assignments.blueprint import bp
from crm.blueprints.assignments.forms import HandoverForm
from crm.blueprints.boundary import run_step
from crm.extensions import db
from crm.models import Handover, User
from crm.pagination import ListPage, paginate
from crm.permissions import get_cadre_or_404, roles_required, visible_cadres
from crm.reporting.exports.cadres import export_cadres, export_caseload, export_handover
from crm.services.assignments.caseload import (
    cadres_query,
    caseload_counts,
    handover_problems,
    handover_rows,
    handovers_query,
)
from crm.services.assignments.operations import HANDOVER_REASONS, handover_caseload
from crm.services.common.args import arg_id
from crm.services.policies.matching import pending_by_firm
from crm.services.visits.coverage import hydrate, my_firms
from crm.services.visits.handover import preview_handover
from crm.timeutil import today


@bp.route("/cadres/")
@login_required
@roles_required("cadre.caseload")
def cadres():
    if current_user.role == "cadre":
        return redirect(url_for("assignments.caseload", user_id=current_user.id))
    page = paginate(cadres_query(current_user), per_page=30)
    counts = caseload_counts([c.id for c in page.items])
    return render_template("assignments/cadres.html", page=page, counts=counts)


@bp.route("/cadres/<int:user_id>")
@login_required
def caseload(user_id: int):
    cadre = get_cadre_or_404(user_id)
    rows = my_firms(cadre, today())
    overdue = sum(r.is_overdue for r in rows)
    page = ListPage(rows, per_page=30)
    hydrate(page.items)
    pending = pending_by_firm([r.firm.id for r in page.items], today())  # 待送达 policies of the page's firms
    return render_template(
        "assignments/caseload.html", cadre=cadre, page=page, overdue=overdue, pending=pending
    )


@bp.route("/handovers/")
@login_required
@roles_required("handover.view")
def handovers():
    page = paginate(handovers_query(current_user), per_page=20)
    return render_template("assignments/handovers.html", page=page, reasons=HANDOVER_REASONS)


@bp.route("/handovers/new", methods=["GET", "POST"])
@login_required
@roles_required("handover.manage")
def handover_new():
    form = HandoverForm()
    cadres = list(db.session.scalars(visible_cadres(current_user).order_by(User.name)))
    # An empty first option, so the browser itself asks for a choice (the form checks again).
    form.from_cadre_id.choices = [("", "请选择")] + [(c.id, c.name) for c in cadres]
    form.to_cadre_id.choices = [("", "请选择")] + [(c.id, c.name) for c in cadres if c.is_active_user]
    from_cadre_id = arg_id(request.args, "from")
    if request.method == "GET" and from_cadre_id:
        form.from_cadre_id.data = from_cadre_id
    preview = None
    if form.validate_on_submit():
        from_cadre = get_cadre_or_404(form.from_cadre_id.data, "handover.manage")
        to_cadre = get_cadre_or_404(form.to_cadre_id.data, "handover.manage")
        args = (
            from_cadre,
            to_cadre,
            current_user,
            today(),
            form.reason.data,
            form.note.data or "",
            form.first_visit_days.data,
        )
        if request.form.get("confirm") and form.token.data:  # 确认交接 on the preview
            step = run_step(
                handover_caseload,
                *args,
                confirms=form.token.data,
                success=lambda done: f"交接完成：{len(handover_rows(done))} 家企业已移交给 {to_cadre.name}",
            )
            if step:
                return redirect(url_for("assignments.handover_detail", handover_id=step.value.id))
        # First the preview: what moves, checked by the same rules, nothing written.
        shown = run_step(preview_handover, *args, commit=False)
        if shown:
            preview = shown.value
            form.token.data = preview.token
    return render_template("assignments/handover_form.html", form=form, preview=preview)


@bp.route("/handovers/<int:handover_id>")
@login_required
@roles_required("handover.view")
def handover_detail(handover_id: int):
    handover = db.session.scalar(handovers_query(current_user).where(Handover.id == handover_id))
    if handover is None:
        abort(404)
    rows = handover_rows(handover)
    return render_template(
        "assignments/handover_detail.html",
        handover=handover,
        rows=rows,
        problems=handover_problems(rows),
        reasons=HANDOVER_REASONS,
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data, name: str):
    return send_file(data, as_attachment=True, download_name=f"{name}_{today():%Y%m%d}.xlsx", mimetype=XLSX)


@bp.route("/cadres/export.xlsx")
@login_required
@roles_required("cadre.caseload")
def cadres_export():
    cadres = list(db.session.scalars(cadres_query(current_user)))
    return _xlsx(export_cadres(cadres, caseload_counts([c.id for c in cadres])), "联企干部")


@bp.route("/cadres/<int:user_id>/export.xlsx")
@login_required
def caseload_export(user_id: int):
    cadre = get_cadre_or_404(user_id)
    return _xlsx(export_caseload(hydrate(my_firms(cadre, today()))), f"{cadre.name}_联系企业")


@bp.route("/handovers/<int:handover_id>/export.xlsx")
@login_required
@roles_required("handover.view")
def handover_export(handover_id: int):
    handover = db.session.scalar(handovers_query(current_user).where(Handover.id == handover_id))
    if handover is None:
        abort(404)
    name = f"交接清单_{handover.from_cadre.name}至{handover.to_cadre.name}"
    rows = handover_rows(handover)
    return _xlsx(export_handover(handover, rows, handover_problems(rows)), name)
