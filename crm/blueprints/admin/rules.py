"""问题办理规则: time limits, the 137 checkpoints, warning and escalation thresholds (admins), kept as
versions: a save adds one for the problems dispatched from then on; the page lists every version."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from crm.blueprints.admin.blueprint import bp
from crm.blueprints.admin.forms import CsrfForm
from crm.blueprints.boundary import run_step, saved
from crm.models.problem import LEVELS, PROBLEM_CATEGORIES, PROBLEM_URGENCIES
from crm.pagination import paginate
from crm.permissions import roles_required
from crm.services.problems.rules import ProblemRules, rule_set_at, rules_from_json
from crm.services.problems.rules_admin import (
    ESCALATE_RANGE,
    LABELS,
    LIMIT_RANGE,
    LIMITS,
    NOTE_MAX,
    STALE_RULES,
    history_rows,
    rule_history_query,
    update_problem_rules,
)

CHECKPOINTS = ("sign_days", "feedback_days", "progress_days")
WINDOWS = ("warn_share", "return_days", "extension_notice_days", "max_extension_days")


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
    current = rule_set_at()
    number = current.number if current else 0
    values, errors = form_values(rules_from_json(current.rules) if current else ProblemRules()), []
    if form.validate_on_submit():
        values = {k: v.strip() for k, v in request.form.items() if k != "csrf_token"}
        values.setdefault("version", "")  # a form without the version it showed is refused, never forced
        done = saved("问题办理规则已保存为新版本，适用于此后交办的问题", changed=lambda row: row is not None)
        # A refusal lists every bad field next to the form, not in a flash.
        step = run_step(
            update_problem_rules, current_user, values, success=done, stale=STALE_RULES, flash_error=False
        )
        if step:
            return redirect(url_for("admin.rules"))
        if step.stale:  # a colleague saved a version meanwhile: show it, not the stale form
            flash(step.error, "warning")
            return redirect(url_for("admin.rules"))
        errors = step.error.split("；")
    page = paginate(rule_history_query(), per_page=10)
    return render_template(
        "admin/rules.html",
        form=form,
        values=values,
        version=number,
        defaults=form_values(ProblemRules()),
        errors=errors,
        labels=LABELS,
        ranges=LIMITS,
        limit_range=LIMIT_RANGE,
        escalate_range=ESCALATE_RANGE,
        note_max=NOTE_MAX,
        checkpoints=CHECKPOINTS,
        windows=WINDOWS,
        categories=PROBLEM_CATEGORIES,
        urgencies=PROBLEM_URGENCIES,
        levels={level: LEVELS[level] for level in (2, 3, 4)},
        page=page,
        history=history_rows(page.items, current.number if current else None),
    )
