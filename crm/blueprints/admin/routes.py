from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.blueprints.admin.blueprint import bp
from crm.blueprints.admin.forms import PasswordResetForm, UserCreateForm, UserEditForm
from crm.blueprints.boundary import run_step, saved
from crm.extensions import db
from crm.models import AuditLog, Department, Park, User
from crm.models.user import LEADER_LEVELS, ROLES
from crm.pagination import paginate
from crm.permissions import roles_required
from crm.redirects import safe_next
from crm.services.users.accounts import (
    active_firm_count,
    create_user,
    is_locked,
    reset_password,
    set_active,
    unlock_user,
    update_user,
)
from crm.services.users.queries import (
    ACTIVE_CHOICES,
    UserFilters,
    active_firm_counts,
    departments,
    parks,
    user_list_query,
)
from crm.timeutil import utcnow

HISTORY_LIMIT = 20


def _get_user(user_id: int) -> User:
    # Admins see every account; the role check is done by @roles_required on each view.
    return db.get_or_404(User, user_id)


def _retired(row: Park | Department) -> str:
    return "" if row.is_active else "（已停用）"


def _prepare(form: UserEditForm, user: User | None = None) -> UserEditForm:
    # Retired parks and departments are offered only to the users who already have them.
    held_park, held_dept = (user.park_id, user.department_id) if user else (None, None)
    form.park_id.choices = [("", "无（全部园区）")] + [
        (p.id, p.name + _retired(p)) for p in parks([held_park])
    ]
    form.department_id.choices = [("", "无")] + [
        (d.id, f"{d.name}（{d.park.name if d.park else '市级'}）{_retired(d)}")
        for d in departments([held_dept])
    ]
    return form


def _placement(form: UserEditForm) -> tuple[Park | None, Department | None]:
    park = db.session.get(Park, form.park_id.data) if form.park_id.data else None
    dept = db.session.get(Department, form.department_id.data) if form.department_id.data else None
    return park, dept


def _back(user: User):
    """Return to the page the action came from when it is an admin page, else to the user's page."""
    return redirect(
        safe_next(request.form.get("next"), "/admin/") or url_for("admin.user_edit", user_id=user.id)
    )


@bp.route("/users/")
@login_required
@roles_required("user.manage")
def users():
    flt = UserFilters.from_args(request.args)
    page = paginate(user_list_query(flt), per_page=20)
    return render_template(
        "admin/users.html",
        page=page,
        flt=flt,
        roles=ROLES,
        parks=parks([flt.park]),
        departments=departments([flt.department]),
        active_choices=ACTIVE_CHOICES,
        firm_counts=active_firm_counts(page.items),
        leader_levels=LEADER_LEVELS,
        now=utcnow(),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
@roles_required("user.manage")
def user_create():
    form = _prepare(UserCreateForm())
    if form.validate_on_submit():
        park, dept = _placement(form)
        if run_step(
            create_user,
            form.username.data,
            form.name.data,
            form.role.data,
            form.password.data,
            actor=current_user,
            park=park,
            department=dept,
            phone=form.phone.data,
            is_dept_head=form.is_dept_head.data,
            leader_level=form.leader_level.data,
            success=lambda user: f"已创建用户 {user.username}（{user.role_label}）",
        ):
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
@roles_required("user.manage")
def user_edit(user_id: int):
    user = _get_user(user_id)
    form = _prepare(UserEditForm(obj=user), user)
    if form.validate_on_submit():
        park, dept = _placement(form)
        if run_step(
            update_user,
            user,
            current_user,
            form.name.data,
            form.role.data,
            park,
            dept,
            form.phone.data,
            is_dept_head=form.is_dept_head.data,
            leader_level=form.leader_level.data,
            success=saved(),
        ):
            return redirect(url_for("admin.user_edit", user_id=user.id))
    history = list(
        db.session.scalars(
            select(AuditLog)
            .where(AuditLog.entity_type == "user", AuditLog.entity_id == user.id)
            .options(joinedload(AuditLog.actor))
            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
            .limit(HISTORY_LIMIT)
        )
    )
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        history=history,
        firms=active_firm_count(user),
        locked=is_locked(user, utcnow()),
    )


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@login_required
@roles_required("user.manage")
def user_password(user_id: int):
    user = _get_user(user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        done = f"已重置 {user.name} 的密码，请将新密码告知本人并提醒其登录后修改"
        if run_step(reset_password, user, form.password.data, current_user, success=done):
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/password.html", form=form, user=user)


def _state_change(user_id: int, action, done: str):
    user = _get_user(user_id)
    run_step(action, user, success=done.format(name=user.name))
    return _back(user)


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@login_required
@roles_required("user.manage")
def user_activate(user_id: int):
    return _state_change(user_id, lambda u: set_active(u, True, current_user), "已启用 {name} 的账号")


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@login_required
@roles_required("user.manage")
def user_deactivate(user_id: int):
    return _state_change(user_id, lambda u: set_active(u, False, current_user), "已停用 {name} 的账号")


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@login_required
@roles_required("user.manage")
def user_unlock(user_id: int):
    return _state_change(
        user_id, lambda u: unlock_user(u, current_user, utcnow()), "已解除 {name} 的登录锁定"
    )
