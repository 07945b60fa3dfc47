"""The firm's service page: 首页 (its cadre, what waits for it, 我的诉求), 提交诉求, a problem's progress
with its 评价 and its answer to a 撤单申请. Every URL carries the token; any miss is the plain 404 of a
wrong URL."""

from collections.abc import Callable

from flask import abort, flash, g, redirect, render_template, request, url_for

from crm.blueprints.boundary import run_step
from crm.blueprints.firm_portal.blueprint import bp
from crm.blueprints.firm_portal.forms import RateForm, SubmitForm, WithdrawalForm
from crm.models import Problem, ServiceCode
from crm.pagination import requested_page
from crm.services.portal.codes import code_for_token
from crm.services.portal.firm_steps import answer_withdrawal, firm_problem, firm_steps, rate_problem
from crm.services.portal.public import (
    firm_files,
    firm_of,
    firm_problems,
    plain_status,
    promised,
    public_timeline,
    waiting_count,
)
from crm.services.portal.submissions import ACCEPT, MAX_FILES, submit_problem, upload_hint
from crm.services.portal.throttle import RateLimited
from crm.timeutil import today

TOO_MANY = 429


def _code(token: str) -> ServiceCode:
    code = code_for_token(token)
    if code is None:
        abort(404)
    return code


def _guarded(service):
    """The service, noting a rate-limit refusal so the page answers 429 (run_step shows the message)."""

    def run(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except RateLimited:
            g.rate_limited = True
            raise

    return run


def _status() -> int:
    return TOO_MANY if g.get("rate_limited") else 200


def _page(template: str, code: ServiceCode, token: str, **context):
    firm, cadre = firm_of(code)
    return render_template(f"firm_portal/{template}", token=token, firm=firm, cadre=cadre, **context)


@bp.route("/<token>")
def home(token: str):
    code = _code(token)
    page = firm_problems(code.enterprise_id, requested_page())
    return _page(
        "home.html",
        code,
        token,
        page=page,
        waiting=waiting_count(code.enterprise_id),
        plain_status=plain_status,
    )


@bp.route("/<token>/new", methods=["GET", "POST"])
def submit(token: str):
    code = _code(token)
    form = SubmitForm()
    error = None
    if form.validate_on_submit():
        step = run_step(
            _guarded(submit_problem),
            code,
            form.data_for_service(),
            form.uploads(),
            request.remote_addr,
            today(),
            flash_error=False,
        )
        if step:
            flash("诉求已提交，园区将尽快安排承办部门。您可以随时在本页查看办理进度。", "success")
            return redirect(url_for("firm_portal.problem", token=token, problem_id=step.value.id))
        error = step.error
    elif form.is_submitted():
        typed = [e for field in form if field.name != "csrf_token" for e in field.errors]
        error = typed[0] if typed else "页面已过期，请刷新后重新提交"
    return (
        _page(
            "submit.html",
            code,
            token,
            form=form,
            error=error,
            accept=ACCEPT,
            max_files=MAX_FILES,
            hint=upload_hint(),
        ),
        _status() if error else 200,
    )


def _problem_or_404(code: ServiceCode, problem_id: int):
    problem = firm_problem(code, problem_id)
    if problem is None:
        abort(404)
    return problem


@bp.route("/<token>/p/<int:problem_id>")
def problem(token: str, problem_id: int):
    code = _code(token)
    p = _problem_or_404(code, problem_id)
    return _problem_page(code, token, p)


def _problem_page(code: ServiceCode, token: str, p, error=None, status: int = 200):
    rate_form, withdrawal_form = RateForm(formdata=None), WithdrawalForm(formdata=None)
    rate_form.version.data = withdrawal_form.version.data = str(p.version)
    return (
        _page(
            "problem.html",
            code,
            token,
            p=p,
            status_text=plain_status(p),
            steps=firm_steps(p),
            deadlines=promised(p, today()),
            timeline=public_timeline(p),
            files=firm_files(p),
            rate_form=rate_form,
            withdrawal_form=withdrawal_form,
            error=error,
        ),
        status,
    )


def _act(token: str, problem_id: int, form, service, done: Callable[[Problem], str]):
    code = _code(token)
    p = _problem_or_404(code, problem_id)
    if not form.validate_on_submit():
        typed = [e for field in form if field.name != "csrf_token" for e in field.errors]
        return _problem_page(code, token, p, typed[0] if typed else "页面已过期，请刷新后重试", 400)
    data = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
    step = run_step(_guarded(service), code, p, data, request.remote_addr, today(), flash_error=False)
    if not step:
        return _problem_page(code, token, p, step.error, _status())
    flash(done(p), "success")
    return redirect(url_for("firm_portal.problem", token=token, problem_id=p.id))


def _rated(p: Problem) -> str:
    if p.status == "closed":
        return "感谢您的评价，问题已办结销号。"
    return "已收到您的评价，问题已退回承办部门重新办理，我们会尽快给您答复。"


@bp.route("/<token>/p/<int:problem_id>/rate", methods=["POST"])
def rate(token: str, problem_id: int):
    return _act(token, problem_id, RateForm(), rate_problem, _rated)


def _answered(p: Problem) -> str:
    return "您已同意撤单，该诉求不再办理。" if p.status == "closed" else "您不同意撤单，承办部门将继续办理。"


@bp.route("/<token>/p/<int:problem_id>/withdrawal", methods=["POST"])
def withdrawal(token: str, problem_id: int):
    return _act(token, problem_id, WithdrawalForm(), answer_withdrawal, _answered)
