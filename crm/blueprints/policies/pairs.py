"""The steps on a firm–policy pair (送达, 有意申报 … 已兑现), from a policy page or a firm's 政策 tab."""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from crm.blueprints.boundary import run_step
from crm.blueprints.policies.blueprint import bp
from crm.blueprints.policies.forms import StepForm
from crm.models.policy_workflow import STEPS
from crm.permissions import get_enterprise_or_404, get_policy_or_404
from crm.redirects import safe_next
from crm.services.policies.delivery import take_step
from crm.timeutil import today


@bp.route("/policies/<int:policy_id>/firms/<int:enterprise_id>/<step>", methods=["POST"])
@login_required
def step(policy_id: int, enterprise_id: int, step: str):
    policy = get_policy_or_404(policy_id)
    firm = get_enterprise_or_404(enterprise_id, "policy.deliver")
    if step not in STEPS:
        abort(404)
    back = safe_next(request.form.get("next")) or url_for(
        "enterprises.detail", enterprise_id=firm.id, tab="policies"
    )
    form = StepForm()
    if not form.validate_on_submit():
        flash(next(iter(form.errors.values()))[0], "danger")
        return redirect(back)
    label = STEPS[step].label
    run_step(
        take_step,
        current_user,
        policy,
        firm,
        step,
        today(),
        on=form.on.data,
        reason=form.reason.data,
        amount=form.amount.data,
        success=f"{firm.name}：{policy.title} — {label}",
    )
    return redirect(back)
