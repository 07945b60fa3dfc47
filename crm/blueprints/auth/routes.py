from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_fresh, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME

from crm.blueprints.auth.blueprint import bp
from crm.blueprints.auth.forms import LoginForm, PasswordForm
from crm.blueprints.boundary import run_step
from crm.extensions import db
from crm.models import User
from crm.redirects import safe_next
from crm.services.users.authentication import authenticate, change_password
from crm.services.users.sessions import end_other_sessions, end_sessions
from crm.timeutil import utcnow


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    return safe_next(target) or url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user, error = authenticate(form.username.data, form.password.data, utcnow(), request.remote_addr)
        db.session.commit()  # failed attempts and lock-outs must be stored too
        if user is None:
            flash(error, "danger")
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Ended on the server too, so a copy of this session's cookie no longer works (nor, since the
    # generation is per account, the account's sessions on other devices).
    run_step(end_sessions, current_user._get_current_object())
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        old, new = form.old_password.data, form.new_password.data
        generation = user.session_generation
        if run_step(change_password, user, old, new, utcnow(), success="密码已修改，其他设备上的登录已退出"):
            _carry_on(user, fresh=True)
            return redirect(url_for("main.index"))
        if user.session_generation != generation:  # this wrong old password locked the account
            logout_user()
            return redirect(url_for("auth.login"))
    return render_template("auth/password.html", form=form)


@bp.route("/logout-others", methods=["POST"])
@login_required
def logout_others():
    user = current_user._get_current_object()
    if run_step(end_other_sessions, user, success="已退出其他设备上的登录"):
        _carry_on(user, fresh=login_fresh())
    return redirect(url_for("auth.password"))


def _carry_on(user: User, fresh: bool) -> None:
    """Sign this session in again under the generation that just ended all the account's sessions (and
    renew its remember cookie, if it has one)."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies
    login_user(user, remember=remembered, fresh=fresh)
