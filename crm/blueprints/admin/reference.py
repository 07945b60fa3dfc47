"""基础数据: parks, industry chains and departments (with their 部门负责人), kept by admins."""

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from crm.blueprints.admin.blueprint import bp
from crm.blueprints.admin.forms import ChainForm, DepartmentForm, ParkForm
from crm.blueprints.boundary import run_step, saved
from crm.extensions import db
from crm.models import Department, IndustryChain, Park
from crm.models.org import offered
from crm.permissions import roles_required
from crm.redirects import safe_next
from crm.services.reference.admin import (
    CITY_LEVEL,
    create_chain,
    create_department,
    create_park,
    delete_reference,
    restore_reference,
    retire_reference,
    update_chain,
    update_department,
    update_park,
)
from crm.services.reference.usage import (
    KINDS,
    LABELS,
    Reference,
    department_handlers,
    reference_history,
    reference_overview,
    usage_of,
)
from crm.timeutil import utcnow

EDIT_ENDPOINTS = {
    Park: "admin.park_edit",
    IndustryChain: "admin.chain_edit",
    Department: "admin.department_edit",
}


def _item(kind: str, item_id: int) -> Reference:
    # Admins see every row; @roles_required on each view does the role check.
    model = KINDS.get(kind)
    if model is None:
        abort(404)
    return db.get_or_404(model, item_id)


def _edit_url(item: Reference) -> str:
    return url_for(EDIT_ENDPOINTS[type(item)], item_id=item.id)


def _page(form, kind: str, item: Reference | None = None, **extra):
    return render_template(
        "admin/reference_form.html",
        form=form,
        kind=kind,
        label=LABELS[KINDS[kind]],
        item=item,
        usage=usage_of(item) if item else None,
        history=reference_history(item) if item else [],
        **extra,
    )


@bp.route("/reference")
@login_required
@roles_required("reference.manage")
def reference():
    return render_template("admin/reference.html", data=reference_overview())


@bp.route("/reference/parks/new", methods=["GET", "POST"])
@login_required
@roles_required("reference.manage")
def park_create():
    form = ParkForm()
    if form.validate_on_submit():
        step = run_step(
            create_park,
            current_user,
            form.code.data,
            form.name.data,
            success=lambda park: f"已新建园区：{park.name}（{park.code}）",
        )
        if step:
            return redirect(url_for("admin.reference", _anchor="parks"))
    return _page(form, "park")


@bp.route("/reference/parks/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
@roles_required("reference.manage")
def park_edit(item_id: int):
    park = db.get_or_404(Park, item_id)
    form = ParkForm(obj=park)
    if form.validate_on_submit():
        if run_step(update_park, current_user, park, form.code.data, form.name.data, success=saved()):
            return redirect(_edit_url(park))
    return _page(form, "park", park)


@bp.route("/reference/chains/new", methods=["GET", "POST"])
@login_required
@roles_required("reference.manage")
def chain_create():
    form = ChainForm()
    if form.validate_on_submit():
        step = run_step(
            create_chain,
            current_user,
            form.name.data,
            form.sort_order.data,
            success=lambda chain: f"已新建产业链：{chain.name}",
        )
        if step:
            return redirect(url_for("admin.reference", _anchor="chains"))
    return _page(form, "chain")


@bp.route("/reference/chains/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
@roles_required("reference.manage")
def chain_edit(item_id: int):
    chain = db.get_or_404(IndustryChain, item_id)
    form = ChainForm(obj=chain)
    if form.validate_on_submit():
        step = run_step(
            update_chain, current_user, chain, form.name.data, form.sort_order.data, success=saved()
        )
        if step:
            return redirect(_edit_url(chain))
    return _page(form, "chain", chain)


def _department_form(dept: Department | None = None) -> DepartmentForm:
    form = DepartmentForm(obj=dept)
    held = dept.park_id if dept else None
    parks = db.session.scalars(select(Park).where(offered(Park, [held])).order_by(Park.id))
    form.park_id.choices = [("", CITY_LEVEL)] + [
        (p.id, p.name if p.is_active else f"{p.name}（已停用）") for p in parks
    ]
    handlers = department_handlers(dept) if dept else []
    form.heads.choices = [(u.id, u.name) for u in handlers]
    if request.method == "GET":
        form.heads.data = [u.id for u in handlers if u.is_dept_head]
    return form


def _park(form: DepartmentForm) -> Park | None:
    return db.session.get(Park, form.park_id.data) if form.park_id.data else None


@bp.route("/reference/departments/new", methods=["GET", "POST"])
@login_required
@roles_required("reference.manage")
def department_create():
    form = _department_form()
    if form.validate_on_submit():
        step = run_step(
            create_department,
            current_user,
            form.name.data,
            _park(form),
            success=lambda dept: f"已新建部门：{dept.name}",
        )
        if step:
            return redirect(url_for("admin.reference", _anchor="departments"))
    return _page(form, "department")


@bp.route("/reference/departments/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
@roles_required("reference.manage")
def department_edit(item_id: int):
    dept = db.get_or_404(Department, item_id)
    form = _department_form(dept)
    if form.validate_on_submit():
        step = run_step(
            update_department,
            current_user,
            dept,
            form.name.data,
            _park(form),
            form.heads.data or [],
            success=saved(),
        )
        if step:
            return redirect(_edit_url(dept))
    return _page(form, "department", dept, handlers=department_handlers(dept))


def _back():
    """Back to the page the button was on (the list or the row's own page)."""
    return redirect(safe_next(request.form.get("next"), "/admin/reference") or url_for("admin.reference"))


KIND_PATH = "/reference/<kind>/<int:item_id>"  # kind: park, chain or department (else 404)


@bp.route(f"{KIND_PATH}/retire", methods=["POST"])
@login_required
@roles_required("reference.manage")
def reference_retire(kind: str, item_id: int):
    item = _item(kind, item_id)
    done = f"已停用{LABELS[type(item)]}：{item.name}。已有记录照常显示，新记录不再可选"
    run_step(retire_reference, current_user, item, utcnow(), success=done)
    return _back()


@bp.route(f"{KIND_PATH}/restore", methods=["POST"])
@login_required
@roles_required("reference.manage")
def reference_restore(kind: str, item_id: int):
    item = _item(kind, item_id)
    done = f"已恢复启用{LABELS[type(item)]}：{item.name}"
    run_step(restore_reference, current_user, item, success=done)
    return _back()


@bp.route(f"{KIND_PATH}/delete", methods=["POST"])
@login_required
@roles_required("reference.manage")
def reference_delete(kind: str, item_id: int):
    item = _item(kind, item_id)
    label = LABELS[type(item)]
    if run_step(delete_reference, current_user, item, success=lambda name: f"已删除{label}：{name}"):
        return redirect(url_for("admin.reference", _anchor=f"{kind}s"))
    return _back()
