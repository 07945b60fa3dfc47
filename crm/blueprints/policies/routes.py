"""The policy library: list, entry, edit, publish and withdraw, a policy's page with its matched firms."""

from typing import Optional

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from crm.blueprints.boundary import run_step, saved
from crm.blueprints.policies.blueprint import bp
from crm.blueprints.policies.forms import PolicyForm, StepForm, WithdrawForm
from crm.extensions import db
from crm.models import IndustryChain, Park, Policy
from crm.models.enterprise import SIZES
from crm.models.org import offered
from crm.models.policy import BENEFIT_KINDS, LEVELS, POLICY_STATUSES
from crm.models.policy_workflow import EVENT_LABELS, steps_from
from crm.models.profile import QUALIFICATIONS
from crm.pagination import paginate
from crm.permissions import (
    can,
    get_policy_or_404,
    is_park_limited,
    roles_required,
    visible_parks,
    visible_policies,
)
from crm.services.common.args import arg_choice, arg_flag, arg_text
from crm.services.dashboard.cache import cached_figures
from crm.services.enterprises.profile import offered_tags
from crm.services.policies.conditions import current_clause, window_clause
from crm.services.policies.figures import PolicyCard, policy_card
from crm.services.policies.library import (
    STALE_POLICY,
    create_policy,
    policy_file,
    publish_policy,
    update_policy,
    withdraw_policy,
)
from crm.services.policies.matching import (
    CONDITION_LOADS,
    FIRM_FILTERS,
    pairs_of,
    policy_counts,
    policy_firms_query,
)
from crm.timeutil import today

STATES = {"current": "有效", "open": "可申报", "draft": "草稿", "withdrawn": "已撤回", "expired": "已过期"}


def library_query():
    """The policies the user sees, filtered by the query string; newest first."""
    day = today()
    stmt = visible_policies(current_user).options(*CONDITION_LOADS)
    q = arg_text(request.args, "q")
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Policy.title.ilike(like), Policy.issuer.ilike(like), Policy.doc_no.ilike(like)))
    level = arg_choice(request.args, "level", LEVELS)
    if level:
        stmt = stmt.where(Policy.level == level)
    benefit = arg_choice(request.args, "benefit", BENEFIT_KINDS)
    if benefit:
        stmt = stmt.where(Policy.benefit_kind == benefit)
    state = arg_choice(request.args, "state", STATES)
    if state == "current":
        stmt = stmt.where(current_clause(day))
    elif state == "open":
        stmt = stmt.where(current_clause(day), window_clause(day))
    elif state in ("draft", "withdrawn"):
        stmt = stmt.where(Policy.status == state)
    elif state == "expired":
        stmt = stmt.where(Policy.status == "published", Policy.valid_to < day)
    filters = {"q": q, "level": level, "benefit": benefit, "state": state}
    return stmt.order_by(Policy.id.desc()), filters


@bp.route("/policies/")
@login_required
@roles_required("policy.view")
def index():
    stmt, filters = library_query()
    page = paginate(stmt, per_page=20)
    return render_template(
        "policies/index.html",
        page=page,
        counts=policy_counts(page.items, today(), current_user),
        flt=filters,
        args={k: v for k, v in filters.items() if v},
        levels=LEVELS,
        benefits=BENEFIT_KINDS,
        states=STATES,
        today=today(),
    )


def _form(policy: Policy | None = None) -> PolicyForm:
    form = PolicyForm(obj=policy)
    admin = current_user.role == "admin"
    keep_parks = [p.id for p in policy.parks] if policy else []
    keep_chains = [c.id for c in policy.chains] if policy else []
    parks = db.session.scalars(visible_parks(current_user).where(offered(Park, keep_parks)))
    chains = db.session.scalars(
        select(IndustryChain)
        .where(offered(IndustryChain, keep_chains))
        .order_by(IndustryChain.sort_order, IndustryChain.id)
    )
    tags = offered_tags([t.id for t in policy.tags] if policy else [])
    form.prepare(list(parks), list(chains), tags, admin)
    if policy is not None and request.method == "GET":
        form.fill(policy)
    return form


@bp.route("/policies/new", methods=["GET", "POST"])
@login_required
@roles_required("policy.manage")
def create():
    form = _form()
    if form.validate_on_submit():
        publish = request.form.get("publish") == "1"
        step = run_step(
            create_policy,
            current_user,
            form.data_for_service(current_user.role == "admin"),
            today(),
            publish=publish,
            file=form.file.data or None,
            success=lambda p: f"已{'发布' if publish else '保存草稿'}：{p.title}",
        )
        if step:
            return redirect(url_for("policies.detail", policy_id=step.value.id))
    return render_template("policies/form.html", form=form, policy=None)


@bp.route("/policies/<int:policy_id>/edit", methods=["GET", "POST"])
@login_required
def edit(policy_id: int):
    policy = get_policy_or_404(policy_id, "policy.manage")
    form = _form(policy)
    if form.validate_on_submit():
        data = form.data_for_service(current_user.role == "admin")
        step = run_step(
            update_policy,
            current_user,
            policy,
            data,
            today(),
            file=form.file.data or None,
            success=saved(),
            stale=STALE_POLICY,
        )
        if step:
            return redirect(url_for("policies.detail", policy_id=policy.id))
        if step.stale:
            return redirect(url_for("policies.edit", policy_id=policy.id))
    return render_template("policies/form.html", form=form, policy=policy)


@bp.route("/policies/<int:policy_id>")
@login_required
def detail(policy_id: int):
    policy = get_policy_or_404(policy_id)
    status = arg_choice(request.args, "status", FIRM_FILTERS)
    page = paginate(policy_firms_query(current_user, policy, status), per_page=20)
    return render_template(
        "policies/detail.html",
        policy=policy,
        rows=pairs_of(policy, page.items),
        page=page,
        status=status,
        filters=FIRM_FILTERS,
        counts=policy_counts([policy], today(), current_user)[policy.id],
        steps_from=steps_from,
        step_form=StepForm(),
        withdraw_form=WithdrawForm(),
        today=today(),
        statuses=POLICY_STATUSES,
    )


@bp.route("/policies/<int:policy_id>/file")
@login_required
def file(policy_id: int):
    policy = get_policy_or_404(policy_id)
    stream = policy_file(policy)
    if stream is None:
        abort(404)
    # PDFs and images open in the browser; Word and Excel files download. nosniff is set globally.
    inline = (policy.file_type or "").startswith(("image/", "application/pdf"))
    response = send_file(
        stream, mimetype=policy.file_type, as_attachment=not inline, download_name=policy.file_name
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/policies/<int:policy_id>/publish", methods=["POST"])
@login_required
def publish(policy_id: int):
    policy = get_policy_or_404(policy_id, "policy.manage")
    run_step(publish_policy, current_user, policy, today(), success=f"已发布：{policy.title}")
    return redirect(url_for("policies.detail", policy_id=policy.id))


@bp.route("/policies/<int:policy_id>/withdraw", methods=["POST"])
@login_required
def withdraw(policy_id: int):
    policy = get_policy_or_404(policy_id, "policy.manage")
    form = WithdrawForm()
    if form.validate_on_submit():
        run_step(withdraw_policy, current_user, policy, form.reason.data, success=f"已撤回：{policy.title}")
    else:
        flash(form.reason.errors[0] if form.reason.errors else "请填写撤回原因", "danger")
    return redirect(url_for("policies.detail", policy_id=policy.id))


def policy_card_for(park_id: Optional[int] = None) -> Optional[PolicyCard]:
    """The dashboards' 惠企政策 card (officers, leaders, admins) for the page's park or the user's own;
    cached a few minutes like the rest of the dashboard."""
    if not can(current_user, "policy.view") or not can(current_user, "dashboard.officer"):
        return None
    scope = current_user.park_id if is_park_limited(current_user) else park_id
    day = today()
    fresh = arg_flag(request.args, "fresh")  # the dashboard's 刷新 recomputes this card too
    card, _at = cached_figures(("policy_card", scope, day), lambda: policy_card(scope, day), fresh=fresh)
    return card


def can_step(policy: Policy, firm) -> bool:
    """Whether the current user may take steps on this policy for this firm (templates ask)."""
    return can(current_user, "policy.deliver", firm) and can(current_user, "policy.view", policy)


def _steps(status: str) -> list:
    return steps_from(status, current_user.role)


def _labels(mapping: dict[str, str]):
    return lambda codes: "、".join(mapping.get(code, code) for code in codes)


bp.add_app_template_global(can_step, "can_policy_step")
bp.add_app_template_global(policy_card_for, "policy_card_for")
bp.add_app_template_global(_steps, "policy_steps")
bp.add_app_template_global(lambda code: EVENT_LABELS.get(code, code), "policy_event_label")
bp.add_app_template_global(lambda: today().isoformat(), "policy_today")
bp.add_app_template_global(_labels(SIZES), "size_labels")
bp.add_app_template_global(_labels(QUALIFICATIONS), "qualification_labels")
