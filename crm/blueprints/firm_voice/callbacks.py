"""撤单质检 and 回访抽查 pages, and the park's 企业之声 settings."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, true

from crm.blueprints.boundary import run_step, saved
from crm.blueprints.firm_voice.blueprint import bp
from crm.blueprints.firm_voice.forms import CallbackForm, PortalSettingsForm
from crm.blueprints.firm_voice.helpers import requested_month
from crm.extensions import db
from crm.models import CallbackCheck, CallbackDraw, Park
from crm.pagination import paginate
from crm.permissions import can, is_city_wide, roles_required, visible_parks
from crm.redirects import safe_next
from crm.services.common.args import arg_flag, arg_id
from crm.services.portal.callbacks import (
    check_counts,
    draw_callbacks,
    month_bounds,
    previous_month,
    record_callback,
    visible_checks,
    visible_draws,
)
from crm.services.portal.settings import FIELDS, portal_rules, update_portal_rules
from crm.services.portal.withdrawals import unreviewed_count, visible_withdrawals
from crm.timeutil import today


@bp.route("/firm-voice/withdrawals")
@login_required
@roles_required("withdrawal.view")
def withdrawals():
    month = requested_month()
    unreviewed = unreviewed_count(current_user)
    # Opened without a month, the page starts with what waits for a review, whatever its month.
    pending = arg_flag(request.args, "pending") or ("month" not in request.args and unreviewed > 0)
    start, end = month_bounds(month)
    stmt = (
        visible_withdrawals(current_user, None, None, True)
        if pending
        else visible_withdrawals(current_user, start, end)
    )
    return render_template(
        "firm_voice/withdrawals.html",
        page=paginate(stmt, per_page=20),
        month=month,
        pending=pending,
        unreviewed=unreviewed,
    )


@bp.route("/firm-voice/callbacks")
@login_required
@roles_required("callback.view")
def callbacks():
    month = requested_month(previous_month(today()))
    return render_template(
        "firm_voice/callbacks.html",
        page=paginate(visible_checks(current_user, month), per_page=20),
        month=month,
        draws=visible_draws(current_user, month),
        counts=check_counts(current_user, month),
        parks=list(db.session.scalars(visible_parks(current_user))),
        this_month=f"{today():%Y-%m}",
        form=CallbackForm(formdata=None),
    )


@bp.route("/firm-voice/callbacks/draw", methods=["POST"])
@login_required
@roles_required("callback.record")
def draw():
    park = db.session.scalar(
        visible_parks(current_user).where(Park.id == (arg_id(request.form, "park") or 0))
    )
    month = str(request.form.get("month") or "")[:7]
    if park is None:
        abort(404)
    try:
        month_bounds(month)
    except ValueError:
        flash("月份格式应为 YYYY-MM", "danger")
        return redirect(url_for("firm_voice.callbacks"))
    run_step(
        draw_callbacks,
        park,
        month,
        today(),
        current_user,
        success=lambda d: (
            f"{park.name}{month}回访抽查名单：从{d.population}件销号问题中抽取{len(d.checks)}件"
        ),
    )
    return redirect(url_for("firm_voice.callbacks", month=month))


@bp.route("/firm-voice/callbacks/<int:check_id>", methods=["POST"])
@login_required
@roles_required("callback.record")
def record(check_id: int):
    check = db.session.scalar(
        select(CallbackCheck)
        .join(CallbackDraw, CallbackDraw.id == CallbackCheck.draw_id)
        .where(
            CallbackCheck.id == check_id,
            true() if is_city_wide(current_user) else CallbackDraw.park_id == (current_user.park_id or 0),
        )
    )
    if check is None:
        abort(404)
    form = CallbackForm()
    back = safe_next(form.next.data) or url_for("firm_voice.callbacks", month=check.draw.month)
    if not form.validate_on_submit():
        typed = [e for field in form if field.name != "csrf_token" for e in field.errors]
        flash(typed[0] if typed else "页面已过期，请刷新后重试", "danger")
        return redirect(back)
    data = {k: form[k].data for k in ("status", "confirmed", "satisfaction", "note", "version")}
    run_step(record_callback, check, current_user, data, today(), success="回访结果已登记")
    return redirect(back)


@bp.route("/firm-voice/settings", methods=["GET", "POST"])
@login_required
@roles_required("callback.settings")
def settings():
    parks = list(db.session.scalars(visible_parks(current_user)))
    park = next((p for p in parks if p.id == arg_id(request.args, "park")), None) or (
        next((p for p in parks if p.id == current_user.park_id), None) or (parks[0] if parks else None)
    )
    if park is None or not can(current_user, "callback.settings", park):
        abort(404)
    rules = portal_rules(park.id)
    form = PortalSettingsForm(data={name: getattr(rules, name) for name in FIELDS})
    if form.validate_on_submit():
        data = {name: form[name].data for name in FIELDS}
        if run_step(update_portal_rules, park, current_user, data, success=saved()):
            return redirect(url_for("firm_voice.settings", park=park.id))
    return render_template("firm_voice/settings.html", form=form, park=park, parks=parks)
