"""问题办理规则: time limits, the 137 checkpoints, warning and escalation thresholds (admins)."""

from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required

from crm.blueprints.admin.blueprint import bp
from crm.blueprints.admin.forms import CsrfForm
from crm.blueprints.boundary import run_step, saved
from crm.models.problem import LEVELS, PROBLEM_CATEGORIES, PROBLEM_URGENCIES
from crm.permissions import roles_required
from crm.services.problems.rules import (
    ESCALATE_RANGE,
    LABELS,
    LIMIT_RANGE,
    LIMITS,
    ProblemRules,
    problem_rules,
    update_problem_rules,
)

CHECKPOINTS = ("sign_days", "feedback_days", "progress_days")
WINDOWS = ("warn_share", "warn_days", "return_days", "extension_notice_days", "max_extension_days")


def form_values(rules: ProblemRules) -> dict[str, str]:
    """The rules as the form's field values (the keys update_problem_rules reads)."""
    values = {key: str(getattr(rules, key)) for key in LABELS}
    values |= {f"limit_{u}": str(rules.limits.get(u, "")) for u in PROBLEM_URGENCIES}
    values |= {
        f"cat_{c}_{u}": str(n) for c, limits in rules.category_limits.items() for u, n in limits.items()
    }
    values |= {f"escalate_{level}": str(days) for level, days in rules.escalate_after.items()}
    return values


@bp.route("/rules", methods=["GET", "POST"], endpoint="rules")
@login_required
@roles_required("settings.problems")
def rules_edit():
    form = CsrfForm()
    current = problem_rules()
    values, errors = form_values(current), []
    if form.validate_on_submit():
        values = {k: v.strip() for k, v in request.form.items() if k != "csrf_token"}
        done = saved("问题办理规则已保存", changed=lambda rules: rules != current)
        # A refusal lists every bad field next to the form, not in a flash.
        step = run_step(update_problem_rules, current_user, values, success=done, flash_error=False)
        if step:
            return redirect(url_for("admin.rules"))
        errors = step.error.split("；")
    return render_template(
        "admin/rules.html",
        form=form,
        values=values,
        defaults=form_values(ProblemRules()),
        errors=errors,
        labels=LABELS,
        ranges=LIMITS,
        limit_range=LIMIT_RANGE,
        escalate_range=ESCALATE_RANGE,
        checkpoints=CHECKPOINTS,
        windows=WINDOWS,
        categories=PROBLEM_CATEGORIES,
        urgencies=PROBLEM_URGENCIES,
        levels={level: LEVELS[level] for level in (2, 3, 4)},
    )
