from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from crm.blueprints.auth.blueprint import bp
from crm.blueprints.auth.forms import LoginForm, PasswordForm
from crm.blueprints.boundary import run_step
from crm.extensions import db
from crm.redirects import safe_next
from crm.services.users.accounts import authenticate, change_password
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
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        old, new = form.old_password.data, form.new_password.data
        if run_step(change_password, current_user, old, new, success="密码已修改"):
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)
