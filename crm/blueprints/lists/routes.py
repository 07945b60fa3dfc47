"""The firm's 产品/销售/技术 lists and raising a problem: thin views over the list and problem services."""

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from crm.blueprints.boundary import run_step, saved
from crm.blueprints.lists.blueprint import bp
from crm.blueprints.lists.forms import (
    TECH_KIND_DEFAULT,
    ProblemForm,
    ProductForm,
    RetireForm,
    SalesForm,
    TechForm,
    problem_source_default,
)
from crm.extensions import db
from crm.models import Enterprise, ProductItem, SalesItem, TechItem
from crm.permissions import get_enterprise_or_404
from crm.services.common.attachments import ACCEPT, MAX_FILES, human_size, max_bytes
from crm.services.enterprises.lists import (
    PRODUCTS,
    SALES,
    TECH,
    add_product,
    add_sales,
    add_tech,
    delete_product,
    delete_sales,
    delete_tech,
    tick_off_tech,
    update_product,
    update_sales,
    update_tech,
)
from crm.services.enterprises.products import restore_product, retire_product
from crm.services.problems.answered import raise_problem_from_form
from crm.timeutil import today

FIRM = "/enterprises/<int:enterprise_id>"


Item = TypeVar("Item", ProductItem, SalesItem, TechItem)


def _item_or_404(model: type[Item], item_id: int, firm: Enterprise) -> Item:
    """An item of this firm; another firm's item id answers 404 like a missing one."""
    item = db.session.scalar(select(model).where(model.id == item_id, model.enterprise_id == firm.id))
    if item is None:
        abort(404)
    return item


def _edit(firm: Enterprise, item: Any, form: Any, update: Callable, stale: str, tab: str, template: str):
    """The edit page of a list item: save and go back to the tab; a stale save shows the latest values."""
    if form.validate_on_submit():
        step = run_step(update, item, current_user, form.data_for_service(), success=saved(), stale=stale)
        if step:
            return _to_tab(firm.id, tab)
        if step.stale:
            return redirect(request.url)
    return render_template(template, firm=firm, form=form, item=item)


def _version() -> str:
    """The version of the item the user saw, posted by the delete and tick-off buttons ("" when a
    button posted none: the service refuses it rather than taking it for an import's None)."""
    return request.form.get("version", "")


def _to_tab(enterprise_id: int, tab: str):
    return redirect(url_for("enterprises.detail", enterprise_id=enterprise_id, tab=tab))


# ---- 产品清单


@bp.route(f"{FIRM}/products/new", methods=["GET", "POST"])
@login_required
def product_new(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    form = ProductForm()
    if form.validate_on_submit():
        data = form.data_for_service()
        if run_step(add_product, firm, current_user, data, success=lambda row: f"已新增产品：{row.name}"):
            return _to_tab(enterprise_id, "products")
    return render_template("lists/product_form.html", firm=firm, form=form, item=None)


@bp.route(f"{FIRM}/products/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def product_edit(enterprise_id: int, item_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    item = _item_or_404(ProductItem, item_id, firm)
    form = ProductForm(obj=item)
    return _edit(firm, item, form, update_product, PRODUCTS.stale, "products", "lists/product_form.html")


@bp.route(f"{FIRM}/products/<int:item_id>/delete", methods=["POST"])
@login_required
def product_delete(enterprise_id: int, item_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    item = _item_or_404(ProductItem, item_id, firm)
    run_step(delete_product, item, current_user, _version(), success="已删除产品", stale=PRODUCTS.stale)
    return _to_tab(enterprise_id, "products")


@bp.route(f"{FIRM}/products/<int:item_id>/retire", methods=["GET", "POST"])
@login_required
def product_retire(enterprise_id: int, item_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    item = _item_or_404(ProductItem, item_id, firm)
    if item.retired_on is not None:
        flash(f"该产品已于 {item.retired_on:%Y-%m-%d} 停产/下架", "warning")
        return _to_tab(enterprise_id, "products")
    form = RetireForm(obj=item)
    if request.method == "GET":
        form.retired_on.data = today().isoformat()
    if form.validate_on_submit():
        name, data = item.name, form.data_for_service()
        step = run_step(
            retire_product,
            item,
            current_user,
            data,
            today(),
            success=lambda day: f"已登记停产/下架：{name}（{day:%Y-%m-%d}）",
            stale=PRODUCTS.stale,
        )
        if step or step.stale:
            return _to_tab(enterprise_id, "products")
    return render_template("lists/retire_form.html", firm=firm, form=form, item=item)


@bp.route(f"{FIRM}/products/<int:item_id>/restore", methods=["POST"])
@login_required
def product_restore(enterprise_id: int, item_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    item = _item_or_404(ProductItem, item_id, firm)
    done = f"已恢复在产：{item.name}"
    run_step(restore_product, item, current_user, _version(), success=done, stale=PRODUCTS.stale)
    return _to_tab(enterprise_id, "products")


# ---- 销售清单


@bp.route(f"{FIRM}/sales/new", methods=["GET", "POST"])
@login_required
def sales_new(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    form = SalesForm()
    if form.validate_on_submit():
        data = form.data_for_service()
        if run_step(add_sales, firm, current_user, data, success=lambda row: f"已新增 {row.period} 销售记录"):
            return _to_tab(enterprise_id, "sales")
    return render_template("lists/sales_form.html", firm=firm, form=form, item=None)


@bp.route(f"{FIRM}/sales/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def sales_edit(enterprise_id: int, item_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    item = _item_or_404(SalesItem, item_id, firm)
    return _edit(firm, item, SalesForm(obj=item), update_sales, SALES.stale, "sales", "lists/sales_form.html")


@bp.route(f"{FIRM}/sales/<int:item_id>/delete", methods=["POST"])
@login_required
def sales_delete(enterprise_id: int, item_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    item = _item_or_404(SalesItem, item_id, firm)
    run_step(delete_sales, item, current_user, _version(), success="已删除销售记录", stale=SALES.stale)
    return _to_tab(enterprise_id, "sales")


# ---- 技术清单


@bp.route(f"{FIRM}/tech/new", methods=["GET", "POST"])
@login_required
def tech_new(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    form = TechForm()
    if request.method == "GET":
        form.kind.data = TECH_KIND_DEFAULT
    if form.validate_on_submit():
        data = form.data_for_service()
        if run_step(add_tech, firm, current_user, data, success=lambda row: f"已新增技术事项：{row.title}"):
            return _to_tab(enterprise_id, "tech")
    return render_template("lists/tech_form.html", firm=firm, form=form, item=None)


@bp.route(f"{FIRM}/tech/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def tech_edit(enterprise_id: int, item_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    item = _item_or_404(TechItem, item_id, firm)
    return _edit(firm, item, TechForm(obj=item), update_tech, TECH.stale, "tech", "lists/tech_form.html")


@bp.route(f"{FIRM}/tech/<int:item_id>/delete", methods=["POST"])
@login_required
def tech_delete(enterprise_id: int, item_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    item = _item_or_404(TechItem, item_id, firm)
    run_step(delete_tech, item, current_user, _version(), success="已删除技术事项", stale=TECH.stale)
    return _to_tab(enterprise_id, "tech")


@bp.route(f"{FIRM}/tech/<int:item_id>/done", methods=["POST"])
@login_required
def tech_done(enterprise_id: int, item_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    item = _item_or_404(TechItem, item_id, firm)
    done = "已标记为已解决"
    run_step(tick_off_tech, item, current_user, today(), _version(), success=done, stale=TECH.stale)
    return _to_tab(enterprise_id, "tech")


# ---- 问题清单: raising a problem (the hand-off workflow is crm.blueprints.problems)


@bp.route(f"{FIRM}/problems/new", methods=["GET", "POST"])
@login_required
def problem_new(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, "problem.raise")
    form = ProblemForm()
    if request.method == "GET":
        form.source.data = problem_source_default(current_user.role)
    if form.validate_on_submit():
        step = run_step(
            raise_problem_from_form,  # 现场解答 when a similar problem's answer was chosen
            firm,
            current_user,
            form.data_for_service(),
            None,
            today(),
            form.uploads(),
            success=lambda problem: f"已反映问题：{problem.title}（{problem.status_label}）",
        )
        if step:
            return redirect(url_for("problems.detail", problem_id=step.value.id))
    # A browser cannot refill a file input: name the files that were not kept, next to the picker.
    dropped = [f.filename for f in form.uploads()] if form.is_submitted() else []
    return render_template(
        "lists/problem_form.html",
        firm=firm,
        form=form,
        dropped=dropped,
        accept=ACCEPT,
        upload_hint=f"可拍照或选择文件，最多{MAX_FILES}个，每个不超过{human_size(max_bytes())}",
    )
