from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from crm.blueprints.boundary import run_step
from crm.blueprints.notifications.blueprint import bp
from crm.blueprints.notifications.forms import PreferencesForm
from crm.extensions import db
from crm.models import Notification
from crm.models.notification import CHANNELS, NOTIFICATION_KINDS
from crm.pagination import paginate
from crm.permissions import get_notification_or_404, roles_required
from crm.redirects import safe_next
from crm.services.common.args import arg_choice
from crm.services.notifications.channels import enabled_channels
from crm.services.notifications.inbox import (
    mark_all_read,
    mark_read,
    notification_list_query,
    notification_pref,
    unread_count,
    update_preferences,
)


@bp.app_context_processor
def inject_unread_count():
    """The bell: a callable so the COUNT runs only when the navbar renders (never for anonymous users)."""

    def count() -> int:
        if not current_user.is_authenticated:
            return 0
        if "_unread_count" not in g:  # once per request, however many templates ask
            g._unread_count = unread_count(current_user)
        return g._unread_count

    return {"unread_notifications": count}


def notification_target(note: Notification) -> str:
    """Where a notification leads: its problem, else its firm, else its page, else the list."""
    views = current_app.view_functions
    if note.problem_id and "problems.detail" in views:
        return url_for("problems.detail", problem_id=note.problem_id)
    if note.enterprise_id:
        return url_for("enterprises.detail", enterprise_id=note.enterprise_id)
    if note.endpoint and note.endpoint in views:
        try:
            return url_for(note.endpoint)
        except BuildError:  # an endpoint that needs arguments: stay on the list
            pass
    return url_for("notifications.index")


def _back():
    """Back to the list page the action came from (same filters), never elsewhere."""
    return redirect(safe_next(request.form.get("next"), "/notifications/") or url_for("notifications.index"))


@bp.route("/notifications/")
@login_required
@roles_required("notification.view")
def index():
    show = arg_choice(request.args, "show", ("unread", "all"), "all")
    kind = arg_choice(request.args, "kind", NOTIFICATION_KINDS)
    page = paginate(notification_list_query(current_user, show == "unread", kind or None), per_page=20)
    return render_template(
        "notifications/index.html", page=page, show=show, kind=kind, kinds=NOTIFICATION_KINDS
    )


@bp.route("/notifications/<int:notification_id>/open", methods=["GET", "POST"])
@login_required
def open(notification_id: int):
    """Go to what the notification is about; opening it from the list (a POST) also marks it read.

    A GET never writes: it is the link in e-mail and WeCom messages, which mail scanners and link
    previews follow without the user.
    """
    note = get_notification_or_404(notification_id)
    if request.method == "POST":
        mark_read(current_user, note)
        db.session.commit()
    return redirect(notification_target(note))


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id: int):
    note = get_notification_or_404(notification_id)
    mark_read(current_user, note)
    db.session.commit()
    return _back()


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
@roles_required("notification.view")
def read_all():
    count = mark_all_read(current_user)
    db.session.commit()
    flash(f"已将 {count} 条通知标为已读" if count else "没有未读通知", "success" if count else "info")
    return _back()


@bp.route("/profile", methods=["GET", "POST"])
@login_required
@roles_required("notification.view")
def profile():
    pref = notification_pref(current_user)
    form = PreferencesForm(obj=pref)
    if form.validate_on_submit():
        if run_step(update_preferences, current_user, form.data, success="通知设置已保存"):
            return redirect(url_for("notifications.profile"))
    return render_template(
        "notifications/profile.html", form=form, channels=CHANNELS, enabled=enabled_channels()
    )
