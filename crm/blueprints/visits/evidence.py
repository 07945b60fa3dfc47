"""现场佐证 pages: the park office's review of check-ins (现场核验) and a firm's location."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from crm.blueprints.boundary import run_step
from crm.blueprints.visits.blueprint import bp
from crm.blueprints.visits.forms import FirmLocationForm, ReviewForm
from crm.pagination import paginate
from crm.permissions import get_enterprise_or_404, get_visit_or_404, roles_required
from crm.redirects import safe_next
from crm.services.visits.evidence import evidence_rules
from crm.services.visits.geo import wgs84_to_gcj02
from crm.services.visits.locations import (
    confirm_check_in,
    firm_location,
    firm_locations_of,
    locations_of,
    reject_check_in,
    review_queue,
    review_visit,
    set_firm_location,
)
from crm.timeutil import utcnow

bp.add_app_template_global(wgs84_to_gcj02, "gcj02")  # the location as 高德/腾讯 maps read it


@bp.route("/visits/evidence")
@login_required
@roles_required("visit.review")
def evidence_queue():
    """现场核验: check-ins waiting for the park office (待确认位置, 位置存疑)."""
    page = paginate(review_queue(current_user), per_page=20)
    return render_template(
        "visits/evidence.html",
        page=page,
        locations=locations_of(page.items),
        firm_locations=firm_locations_of(page.items),
        form=ReviewForm(),
    )


def _back(visit_id: int):
    return redirect(safe_next(request.form.get("next")) or url_for("visits.detail", visit_id=visit_id))


@bp.route("/visits/<int:visit_id>/evidence/confirm", methods=["POST"])
@login_required
def evidence_confirm(visit_id: int):
    visit = get_visit_or_404(visit_id, "visit.review")
    run_step(confirm_check_in, visit, current_user, utcnow(), success="已将该定位确认为企业位置")
    return _back(visit.id)


@bp.route("/visits/<int:visit_id>/evidence/<verdict>", methods=["POST"])
@login_required
def evidence_review(visit_id: int, verdict: str):
    """不采用 a first check-in (reject), or an officer's verdict on a doubtful one (verified, doubtful)."""
    visit = get_visit_or_404(visit_id, "visit.review")
    if verdict not in ("reject", "verified", "doubtful"):
        abort(404)
    form = ReviewForm()
    if form.validate_on_submit():
        if verdict == "reject":
            run_step(reject_check_in, visit, current_user, form.note.data, utcnow(), success="已标为位置存疑")
        else:
            run_step(
                review_visit, visit, current_user, verdict, form.note.data, utcnow(), success="核验结果已保存"
            )
    else:
        flash("；".join(e for errors in form.errors.values() for e in errors), "danger")
    return _back(visit.id)


@bp.route("/enterprises/<int:enterprise_id>/location", methods=["GET", "POST"])
@login_required
def firm_location_edit(enterprise_id: int):
    """A firm's location, typed from a map (no map is shown: the park's network may have no internet)."""
    firm = get_enterprise_or_404(enterprise_id, "firm.locate")
    current = firm_location(firm)
    form = FirmLocationForm()
    if request.method == "GET" and current is not None:
        form.datum.data = "wgs84"
        form.latitude.data, form.longitude.data = f"{current.latitude:.6f}", f"{current.longitude:.6f}"
    if form.validate_on_submit():
        data = {"datum": form.datum.data, "latitude": form.latitude.data, "longitude": form.longitude.data}
        if run_step(set_firm_location, firm, current_user, data, utcnow(), success="企业位置已保存"):
            return redirect(url_for("enterprises.detail", enterprise_id=firm.id))
    return render_template(
        "visits/location.html", form=form, firm=firm, current=current, rules=evidence_rules(firm.park_id)
    )
