from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from crm.blueprints.boundary import run_step
from crm.blueprints.reports.blueprint import bp
from crm.blueprints.reports.forms import CloseDayForm, CloseMonthForm, ReopenMonthForm, ReportForm
from crm.extensions import db
from crm.models import GeneratedReport
from crm.pagination import paginate
from crm.permissions import (
    get_report_or_404,
    is_city_wide,
    report_parks,
    roles_required,
    visible_reports,
)
from crm.reporting.monthly.generate import generate_report, open_report
from crm.reporting.monthly.writer import SHEETS
from crm.services.closing.overview import month_overview
from crm.services.closing.store import close_workday
from crm.services.common.args import arg_id
from crm.services.kpi.definitions import CONVENTIONS, GROUPS, KPIS
from crm.timeutil import today

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(form: ReportForm):
    stmt = visible_reports(current_user).options(
        joinedload(GeneratedReport.park), joinedload(GeneratedReport.created_by)
    )
    page = paginate(stmt, per_page=20)
    return render_template(
        "reports/index.html",
        form=form,
        page=page,
        new_id=arg_id(request.args, "new"),
        sheets=SHEETS,
        months=month_overview(today()),  # 月结: each recent month's state
        close_workday=close_workday(),
        close_forms=(CloseMonthForm(), ReopenMonthForm(), CloseDayForm()),
    )


def _form() -> tuple[ReportForm, list]:
    parks = list(db.session.scalars(report_parks(current_user)))
    return ReportForm().setup(today(), parks, is_city_wide(current_user)), parks


@bp.route("/")
@login_required
@roles_required("report.view")
def index():
    form, _parks = _form()
    return _page(form)


@bp.route("/generate", methods=["POST"])
@login_required
@roles_required("report.generate")
def generate():
    form, parks = _form()
    if form.validate_on_submit():
        valid, park = form.chosen_park(parks)
        if not valid:
            flash("请选择有权限的园区", "danger")
            return _page(form)
        step = run_step(
            generate_report,
            current_user,
            form.month.data,
            park,
            today(),
            success=lambda report: f"报表已生成：{report.filename}",
        )
        if step:
            return redirect(url_for("reports.index", new=step.value.id))
    return _page(form)


@bp.route("/<int:report_id>/download")
@login_required
@roles_required("report.view")
def download(report_id: int):
    report = get_report_or_404(report_id)
    stream = open_report(report)
    if stream is None:
        abort(404)
    response = send_file(stream, as_attachment=True, download_name=report.filename, mimetype=XLSX)
    response.content_length = report.size
    return response


@bp.route("/definitions")
@login_required
def definitions():
    """指标说明: the definition of every published rate and the counting conventions (no figures, so
    anyone signed in may read how the numbers they see are counted)."""
    groups = [(group, [k for k in KPIS.values() if k.group == group]) for group in GROUPS]
    return render_template("reports/definitions.html", groups=groups, conventions=CONVENTIONS)
