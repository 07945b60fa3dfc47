"""The firm page's 政策 section: the policies the firm meets, in plain words with the window and whom to
ask, and its answer 有意申报 or 不需要 (rate-limited like every post of the page)."""

from flask import abort, flash, redirect, request, url_for

from crm.blueprints.boundary import run_step
from crm.blueprints.firm_portal.blueprint import bp
from crm.blueprints.firm_portal.forms import PolicyAnswerForm
from crm.blueprints.firm_portal.routes import _code, _guarded, _page, _status
from crm.models import Enterprise
from crm.services.policies.firm_page import FirmPolicy, answer_policy, firm_policies
from crm.timeutil import today, utcnow

DONE = {
    "interest": "已收到：贵企业有意申报，联系干部会尽快与您联系，指导准备申报材料。",
    "decline": "已记录：贵企业暂不需要该政策。",
}
PREVIEW = 3  # the home page lists this many, then links to the rest


def _policies_page(code, token: str, error: str | None = None, status: int = 200):
    rows = firm_policies(code.enterprise, today())
    return _page(
        "policies.html", code, token, rows=rows, form=PolicyAnswerForm(formdata=None), error=error
    ), status


@bp.route("/<token>/policies")
def policies(token: str):
    return _policies_page(_code(token), token)


@bp.route("/<token>/policies/<int:policy_id>/<choice>", methods=["POST"])
def policy_answer(token: str, policy_id: int, choice: str):
    code = _code(token)
    if choice not in DONE:  # the firm may only say 有意申报 or 不需要
        abort(404)
    form = PolicyAnswerForm()
    if not form.validate_on_submit():
        typed = [e for field in form if field.name != "csrf_token" for e in field.errors]
        return _policies_page(code, token, typed[0] if typed else "页面已过期，请刷新后重试", 400)
    step = run_step(
        _guarded(answer_policy),
        code,
        policy_id,
        choice,
        form.reason.data,
        request.remote_addr,
        today(),
        utcnow(),
        flash_error=False,
    )
    if not step:
        return _policies_page(code, token, step.error, _status() if _status() != 200 else 400)
    flash(DONE[choice], "success")
    return redirect(url_for("firm_portal.policies", token=token))


def policy_preview(firm: Enterprise) -> tuple[list[FirmPolicy], int]:
    """The first policies of the firm (for its home page) and how many there are."""
    rows = firm_policies(firm, today())
    return rows[:PREVIEW], len(rows)


bp.add_app_template_global(policy_preview, "portal_policy_preview")
