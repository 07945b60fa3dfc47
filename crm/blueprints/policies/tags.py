"""标签库: the managed firm tags, kept by admins (list with usage, add, rename, retire, restore, delete)."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from crm.blueprints.boundary import run_step, saved
from crm.blueprints.policies.blueprint import bp
from crm.blueprints.policies.forms import TagForm
from crm.extensions import db
from crm.models import Tag
from crm.permissions import roles_required
from crm.services.enterprises.tags import create_tag, delete_tag, set_tag_active, tag_usage, update_tag


@bp.route("/tags/")
@login_required
@roles_required("tag.manage")
def tags():
    rows = list(db.session.scalars(select(Tag).order_by(Tag.is_active.desc(), Tag.sort_order, Tag.id)))
    return render_template(
        "policies/tags.html", tags=rows, usage=tag_usage([t.id for t in rows]), form=TagForm()
    )


@bp.route("/tags/new", methods=["POST"])
@login_required
@roles_required("tag.manage")
def tag_create():
    form = TagForm()
    if form.validate_on_submit():
        run_step(
            create_tag,
            current_user,
            form.name.data,
            form.sort_order.data,
            success=lambda t: f"已新增标签：{t.name}",
        )
    else:
        flash(next(iter(form.errors.values()))[0], "danger")
    return redirect(url_for("policies.tags"))


@bp.route("/tags/<int:tag_id>/edit", methods=["GET", "POST"])
@login_required
@roles_required("tag.manage")
def tag_edit(tag_id: int):
    tag = db.get_or_404(Tag, tag_id)
    form = TagForm(obj=tag)
    if form.validate_on_submit():
        if run_step(update_tag, current_user, tag, form.name.data, form.sort_order.data, success=saved()):
            return redirect(url_for("policies.tags"))
    return render_template("policies/tag_form.html", form=form, tag=tag)


def _set_active(tag_id: int, active: bool):
    tag = db.get_or_404(Tag, tag_id)
    done = f"已{'恢复' if active else '停用'}标签：{tag.name}"
    run_step(set_tag_active, current_user, tag, active, success=done)
    return redirect(url_for("policies.tags"))


@bp.route("/tags/<int:tag_id>/retire", methods=["POST"])
@login_required
@roles_required("tag.manage")
def tag_retire(tag_id: int):
    return _set_active(tag_id, False)


@bp.route("/tags/<int:tag_id>/restore", methods=["POST"])
@login_required
@roles_required("tag.manage")
def tag_restore(tag_id: int):
    return _set_active(tag_id, True)


@bp.route("/tags/<int:tag_id>/delete", methods=["POST"])
@login_required
@roles_required("tag.manage")
def tag_delete(tag_id: int):
    tag = db.get_or_404(Tag, tag_id)
    name = tag.name
    run_step(delete_tag, current_user, tag, success=f"已删除标签：{name}")
    return redirect(url_for("policies.tags"))
