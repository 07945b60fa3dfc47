"""The 典型案例库: the list with its search and filters, a case's page, promoting a closed problem, editing,
撤下 and 恢复, and the export of what the list shows."""

from typing import Any, Optional

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from crm.blueprints.boundary import run_step, saved
from crm.blueprints.knowledge.blueprint import bp
from crm.blueprints.knowledge.case_forms import CaseEditForm, CaseForm, WithdrawCaseForm
from crm.extensions import db
from crm.models import AuditLog, Policy, Problem, TypicalCase
from crm.models.problem import PROBLEM_CATEGORIES
from crm.pagination import paginate
from crm.permissions import (
    can,
    get_problem_or_404,
    is_park_limited,
    roles_required,
    visible_departments,
    visible_policies,
    visible_problems,
)
from crm.permissions.knowledge import get_case_or_404
from crm.reporting.exports.cases import export_cases
from crm.services.knowledge.case_queries import STATUS_FILTERS, CaseFilters, case_search
from crm.services.knowledge.cases import (
    ENTITY,
    STALE_CASE,
    case_draft,
    case_of_problem,
    cited_counts,
    offered_departments,
    offered_policies,
    promote_problem,
    promotion_refusal,
    restore_case,
    update_case,
    withdraw_case,
)
from crm.timeutil import today

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/cases/")
@login_required
@roles_required("case.view")
def cases():
    flt = CaseFilters.from_args(request.args)
    found = case_search(current_user, flt)
    page = paginate(found.stmt, per_page=20)
    departments = db.session.scalars(visible_departments(current_user)).all()
    return render_template(
        "knowledge/cases.html",
        page=page,
        flt=flt,
        args=flt.as_args(),
        tags=found.tags,
        cited=cited_counts([c.problem_id for c in page.items]),
        categories=PROBLEM_CATEGORIES,
        departments=departments,
        statuses=STATUS_FILTERS,
        show_park=not is_park_limited(current_user),
    )


@bp.route("/cases/export.xlsx")
@login_required
@roles_required("case.export")
def cases_export():
    flt = CaseFilters.from_args(request.args)
    rows = db.session.scalars(case_search(current_user, flt).stmt).unique()
    return send_file(
        export_cases(rows),
        as_attachment=True,
        download_name=f"典型案例_{today():%Y%m%d}.xlsx",
        mimetype=XLSX,
    )


@bp.route("/cases/<int:case_id>")
@login_required
def case(case_id: int):
    tc = get_case_or_404(case_id)
    problem = db.session.scalar(visible_problems(current_user).where(Problem.id == tc.problem_id))
    policy = db.session.get(Policy, tc.policy_id) if tc.policy_id else None
    policy_visible = policy is not None and (
        db.session.scalar(visible_policies(current_user).where(Policy.id == policy.id)) is not None
    )
    manager = can(current_user, "case.manage", tc)
    history = (
        db.session.scalars(
            select(AuditLog)
            .where(AuditLog.entity_type == ENTITY, AuditLog.entity_id == tc.id)
            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
            .limit(50)
        ).all()
        if manager
        else []
    )
    return render_template(
        "knowledge/case_detail.html",
        case=tc,
        category_label=PROBLEM_CATEGORIES.get(tc.category, tc.category),
        problem=problem,
        policy=policy,
        policy_visible=policy_visible,
        cited=cited_counts([tc.problem_id]).get(tc.problem_id, 0),
        manager=manager,
        history=history,
        withdraw_form=WithdrawCaseForm(formdata=None),
    )


def _form(form_class: type[CaseForm], park_id: int, data: dict[str, Any], held: Optional[TypicalCase] = None):
    form = form_class(data=data)
    departments = offered_departments(park_id, held.department_id if held else None)
    policies = offered_policies(current_user, park_id, held.policy_id if held else None)
    return form.prepare(departments, policies)


def _as_form_data(values: dict[str, Any]) -> dict[str, Any]:
    """Service values as the form shows them: ids as text, tags joined with 、."""
    out = dict(values)
    for key in ("policy_id", "department_id"):
        out[key] = str(out[key]) if out.get(key) else ""
    if isinstance(out.get("tags"), list):
        out["tags"] = "、".join(out["tags"])
    return out


@bp.route("/cases/promote/<int:problem_id>", methods=["GET", "POST"])
@login_required
def case_promote(problem_id: int):
    problem = get_problem_or_404(problem_id, "case.manage")
    existing = case_of_problem(problem.id)
    if existing is not None:
        flash("该问题已在典型案例库中", "info")
        return redirect(url_for("knowledge.case", case_id=existing.id))
    refusal = promotion_refusal(problem)
    if refusal:
        flash(refusal, "warning")
        return redirect(url_for("problems.detail", problem_id=problem.id))
    form = _form(CaseForm, problem.enterprise.park_id, _as_form_data(case_draft(problem)))
    if form.validate_on_submit():
        step = run_step(
            promote_problem,
            current_user,
            problem,
            form.data_for_service(),
            success=lambda c: f"已设为典型案例：{c.title}",
        )
        if step:
            return redirect(url_for("knowledge.case", case_id=step.value.id))
    return render_template("knowledge/case_form.html", form=form, problem=problem, case=None)


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@login_required
def case_edit(case_id: int):
    tc = get_case_or_404(case_id, "case.manage")
    values = {
        "title": tc.title,
        "category": tc.category,
        "summary": tc.summary,
        "basis": tc.basis or "",
        "policy_id": tc.policy_id,
        "department_id": tc.department_id,
        "tags": list(tc.tags or []),
        "version": str(tc.version),
    }
    form = _form(CaseEditForm, tc.park_id, _as_form_data(values), held=tc)
    if form.validate_on_submit():
        step = run_step(
            update_case, current_user, tc, form.data_for_service(), success=saved(), stale=STALE_CASE
        )
        if step:
            return redirect(url_for("knowledge.case", case_id=tc.id))
        if step.stale:
            return redirect(url_for("knowledge.case_edit", case_id=tc.id))
    return render_template("knowledge/case_form.html", form=form, problem=tc.problem, case=tc)


@bp.route("/cases/<int:case_id>/withdraw", methods=["POST"])
@login_required
def case_withdraw(case_id: int):
    tc = get_case_or_404(case_id, "case.manage")
    form = WithdrawCaseForm()
    if form.validate_on_submit():
        run_step(withdraw_case, current_user, tc, form.reason.data, success=f"已撤下：{tc.title}")
    else:
        flash(form.reason.errors[0] if form.reason.errors else "请填写撤下原因", "danger")
    return redirect(url_for("knowledge.case", case_id=tc.id))


@bp.route("/cases/<int:case_id>/restore", methods=["POST"])
@login_required
def case_restore(case_id: int):
    tc = get_case_or_404(case_id, "case.manage")
    run_step(restore_case, current_user, tc, success=f"已恢复发布：{tc.title}")
    return redirect(url_for("knowledge.case", case_id=tc.id))


def case_entry(problem: Problem) -> dict[str, Any]:
    """For a problem's page: its case if the user may open it, and whether the user may promote it."""
    found = case_of_problem(problem.id)
    shown = found if found is not None and can(current_user, "case.view", found) else None
    if shown is not None and shown.status != "published" and not can(current_user, "case.manage", shown):
        shown = None
    promotable = (
        found is None and can(current_user, "case.manage", problem) and promotion_refusal(problem) is None
    )
    return {"case": shown, "promotable": promotable}


bp.add_app_template_global(case_entry, "typical_case_entry")
