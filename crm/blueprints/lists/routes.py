"""The firm's 产品/销售/技术 lists and raising a problem: thin views over crm.services.lists/problems."""

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from crm.blueprints.lists import bp
from crm.blueprints.lists.forms import ProblemForm, ProductForm, SalesForm, TechForm
from crm.extensions import db
from crm.models import Enterprise, ProductItem, SalesItem, TechItem
from crm.permissions import get_enterprise_or_404
from crm.services import ServiceError
from crm.services.attachments import ACCEPT, MAX_FILES, human_size, max_bytes
from crm.services.lists import (
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
from crm.services.locking import STALE_MESSAGE, is_stale, refusal_message
from crm.services.problems import raise_problem
from crm.timeutil import today

FIRM = "/enterprises/<int:enterprise_id>"


def _item_or_404(model: type, item_id: int, firm: Enterprise) -> Any:
    """An item of this firm; another firm's item id answers 404 like a missing one."""
    item = db.session.scalar(select(model).where(model.id == item_id, model.enterprise_id == firm.id))
    if item is None:
        abort(404)
    return item


# _run's result when the refusal was a stale form or a concurrent write (see crm.services.locking).
STALE = object()


def _run(call: Callable, *args, stale: str = STALE_MESSAGE) -> tuple[bool, Any]:
    """Run one service call and commit; on refusal roll back and flash the Chinese message.

    A write that lost a race with another user's (StaleDataError at flush) is refused like a stale
    form, with `stale` as its message; the result is then STALE.
    """
    try:
        result = call(*args)
        db.session.commit()
    except (ServiceError, StaleDataError) as exc:
        db.session.rollback()
        flash(refusal_message(exc, stale), "danger")
        return False, STALE if is_stale(exc) else None
    return True, result


def _edit(firm: Enterprise, item: Any, form: Any, update: Callable, stale: str, tab: str, template: str):
    """The edit page of a list item: save and go back to the tab; a stale save shows the latest values."""
    if form.validate_on_submit():
        ok, changes = _run(update, item, current_user, form.data_for_service(), stale=stale)
        if ok:
            _saved(changes)
            return _to_tab(firm.id, tab)
        if changes is STALE:
            return redirect(request.url)
    return render_template(template, firm=firm, form=form, item=item)


def _version() -> Any:
    """The version of the item the user saw, posted by the delete and tick-off buttons."""
    return request.form.get("version")


def _to_tab(enterprise_id: int, tab: str):
    return redirect(url_for("enterprises.detail", enterprise_id=enterprise_id, tab=tab))


def _saved(changes: dict) -> None:
    flash("已保存修改" if changes else "没有需要保存的修改", "success" if changes else "info")


# ---- 产品清单


@bp.route(f"{FIRM}/products/new", methods=["GET", "POST"])
@login_required
def product_new(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    form = ProductForm()
    if form.validate_on_submit():
        ok, item = _run(add_product, firm, current_user, form.data_for_service())
        if ok:
            flash(f"已新增产品：{item.name}", "success")
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
    if _run(delete_product, item, current_user, _version(), stale=PRODUCTS.stale)[0]:
        flash("已删除产品", "success")
    return _to_tab(enterprise_id, "products")


# ---- 销售清单


@bp.route(f"{FIRM}/sales/new", methods=["GET", "POST"])
@login_required
def sales_new(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    form = SalesForm()
    if form.validate_on_submit():
        ok, item = _run(add_sales, firm, current_user, form.data_for_service())
        if ok:
            flash(f"已新增 {item.period} 销售记录", "success")
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
    if _run(delete_sales, item, current_user, _version(), stale=SALES.stale)[0]:
        flash("已删除销售记录", "success")
    return _to_tab(enterprise_id, "sales")


# ---- 技术清单


@bp.route(f"{FIRM}/tech/new", methods=["GET", "POST"])
@login_required
def tech_new(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    form = TechForm()
    if form.validate_on_submit():
        ok, item = _run(add_tech, firm, current_user, form.data_for_service())
        if ok:
            flash(f"已新增技术事项：{item.title}", "success")
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
    if _run(delete_tech, item, current_user, _version(), stale=TECH.stale)[0]:
        flash("已删除技术事项", "success")
    return _to_tab(enterprise_id, "tech")


@bp.route(f"{FIRM}/tech/<int:item_id>/done", methods=["POST"])
@login_required
def tech_done(enterprise_id: int, item_id: int):
    firm = get_enterprise_or_404(enterprise_id, "lists.edit")
    item = _item_or_404(TechItem, item_id, firm)
    if _run(tick_off_tech, item, current_user, today(), _version(), stale=TECH.stale)[0]:
        flash("已标记为已解决", "success")
    return _to_tab(enterprise_id, "tech")


# ---- 问题清单: raising a problem (the hand-off workflow is crm.blueprints.problems)


@bp.route(f"{FIRM}/problems/new", methods=["GET", "POST"])
@login_required
def problem_new(enterprise_id: int):
    firm = get_enterprise_or_404(enterprise_id, "problem.raise")
    form = ProblemForm()
    if form.validate_on_submit():
        ok, problem = _run(
            raise_problem, firm, current_user, form.data_for_service(), None, today(), form.uploads()
        )
        if ok:
            flash(f"已反映问题：{problem.title}（待交办）", "success")
            return redirect(url_for("problems.detail", problem_id=problem.id))
    if form.is_submitted() and form.uploads():
        flash("附件未保存，请重新选择", "warning")  # a browser cannot refill a file input
    return render_template(
        "lists/problem_form.html",
        firm=firm,
        form=form,
        accept=ACCEPT,
        upload_hint=f"可拍照或选择文件，最多{MAX_FILES}个，每个不超过{human_size(max_bytes())}",
    )
