"""Problem list, export, the problem file (detail + timeline), the workflow steps and attachments."""

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from crm.blueprints.attachments import send_attachment
from crm.blueprints.boundary import run_step
from crm.blueprints.problems.blueprint import bp
from crm.blueprints.problems.forms import ActionForm
from crm.blueprints.problems.helpers import DISPLAY_ORDER, problem_clock_now
from crm.extensions import db
from crm.models import Enterprise, Problem, ProblemEvent
from crm.models.problem import LEVELS, PROBLEM_CATEGORIES, PROBLEM_STATUSES
from crm.pagination import paginate
from crm.permissions import can, get_attachment_or_404, get_problem_or_404, roles_required
from crm.redirects import safe_next
from crm.reporting.exports.problems import export_problem_list
from crm.services.common.attachments import ACCEPT, MAX_FILES, human_size, max_bytes
from crm.services.knowledge.similar import similar_problems
from crm.services.problems.deadlines import COLOUR_CSS, COLOUR_LABELS
from crm.services.problems.flow import STEPS, apply_action, available_actions
from crm.services.problems.queries import (
    SORTS,
    ProblemFilters,
    colour_counts,
    department_handlers,
    dispatch_departments,
    filter_choices,
    problem_list_query,
)

STALE = "该问题刚被其他人更新，请刷新后重试"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload_context() -> dict:
    return {
        "accept": ACCEPT,
        "upload_hint": f"最多{MAX_FILES}个文件，每个不超过{human_size(max_bytes())}",
        "colour_css": COLOUR_CSS,
        "colour_labels": COLOUR_LABELS,
        "levels": LEVELS,
    }


def dispatch_context(problems: list[Problem]) -> dict:
    """Departments serving the problems' parks and their handlers (for the dispatch forms)."""
    departments = dispatch_departments({p.enterprise.park_id for p in problems})
    return {"departments": departments, "handlers": department_handlers(departments)}


@bp.route("/")
@login_required
@roles_required("problem.view")
def index():
    flt = ProblemFilters.from_args(request.args)
    clock = problem_clock_now()
    page = paginate(problem_list_query(current_user, flt, clock.today), per_page=20)
    firm = db.session.get(Enterprise, flt.firm) if flt.firm else None
    return render_template(
        "problems/index.html",
        page=page,
        flt=flt,
        firm=firm if firm is not None and can(current_user, "enterprise.view", firm) else None,
        counts=colour_counts(current_user, flt, clock.today),
        statuses=PROBLEM_STATUSES,
        categories=PROBLEM_CATEGORIES,
        sorts=SORTS,
        **filter_choices(current_user, flt),
        **upload_context(),
    )


@bp.route("/export.xlsx")
@login_required
@roles_required("problem.export")
def export():
    flt = ProblemFilters.from_args(request.args)
    clock = problem_clock_now()
    # Streamed in batches of plain rows: 100,000 problems never sit in memory at once.
    stmt = problem_list_query(current_user, flt, clock.today)
    return send_file(
        export_problem_list(stmt, clock),
        as_attachment=True,
        download_name=f"问题清单_{clock.today:%Y%m%d}.xlsx",
        mimetype=XLSX,
    )


@bp.route("/<int:problem_id>")
@login_required
def detail(problem_id: int):
    problem = get_problem_or_404(problem_id)
    clock = problem_clock_now()
    events = db.session.scalars(
        select(ProblemEvent)
        .where(ProblemEvent.problem_id == problem.id)
        .options(
            joinedload(ProblemEvent.actor),
            joinedload(ProblemEvent.department),
            selectinload(ProblemEvent.attachments),
        )
        .order_by(ProblemEvent.at, ProblemEvent.id)
    ).all()
    actions = sorted(
        available_actions(current_user, problem, clock.today, clock.rules_of(problem), clock.cal),
        key=DISPLAY_ORDER.index,
    )
    return render_template(
        "problems/detail.html",
        p=problem,
        firm=problem.enterprise,
        events=events,
        actions=actions,
        **(dispatch_context([problem]) if "dispatch" in actions else {}),
        answer_cases=_answer_cases(problem) if "solve_on_spot" in actions else [],
        **upload_context(),
    )


def _answer_cases(problem: Problem) -> list:
    """Solved problems of the park like this one, which a 现场解决 may name as the answer it gave."""
    found = similar_problems(current_user, problem.title, problem.description, problem.enterprise_id)
    return [case for case in found if case.solved and case.id != problem.id]


def _back(form: ActionForm, problem: Problem):
    """Where to go after a step: a same-site path the form named (board, inbox), else the detail page."""
    return redirect(safe_next(form.next.data) or url_for("problems.detail", problem_id=problem.id))


def _success(action: str, problem: Problem) -> str:
    if action == "evaluate":
        if problem.status == "closed":
            return "回访评价已记录，问题已销号"
        return f"企业不满意，问题已转为{problem.status_label}（第{problem.redo_count}次重办）"
    if action == "dispatch":
        assert problem.department is not None, "dispatching sets the department"
        return f"已交办给{problem.department.name}"
    return f"{STEPS[action].label}成功"


@bp.route("/<int:problem_id>/<action>", methods=["POST"])
@login_required
def act(problem_id: int, action: str):
    if action not in STEPS:
        abort(404)
    problem = get_problem_or_404(problem_id)
    form = ActionForm()
    if not can(current_user, f"problem.{action}", problem):
        # A colleague's step (签收 by another handler …) may have taken the right away since the page was
        # opened: that is a stale page, not a forbidden action.
        if form.version.data and form.version.data != str(problem.version):
            flash(STALE, "danger")
            return _back(form, problem)
        abort(403)
    if not form.validate_on_submit():
        # A typed field's own complaint (control characters) says what to fix; otherwise the page is stale.
        typed = [error for field in form if field.name != "csrf_token" for error in field.errors]
        flash(typed[0] if typed else "提交无效，请刷新页面后重试", "danger")
        return _back(form, problem)
    if form.uploads() and not can(current_user, "problem.attach", problem):
        flash("没有上传附件的权限，未做任何修改", "danger")
        return _back(form, problem)
    data, files = form.data_for_service(), form.uploads()
    run_step(
        apply_action,
        problem,
        action,
        current_user,
        data,
        today=problem_clock_now().today,
        files=files,
        success=lambda _: _success(action, problem),
        stale=STALE,
    )
    return _back(form, problem)


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    return send_attachment(get_attachment_or_404(attachment_id, through="problem"))
