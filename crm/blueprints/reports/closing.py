"""月结 on the 报表 page (admins): close a month now (结账), reopen a closed one with a reason (重新结账),
and set the close day. Each is one POST that runs its service step and returns to the page."""

from flask import flash, redirect, url_for
from flask_login import current_user, login_required

from crm.blueprints.boundary import run_step
from crm.blueprints.reports.blueprint import bp
from crm.blueprints.reports.forms import CloseDayForm, CloseMonthForm, ReopenMonthForm
from crm.permissions import roles_required
from crm.reporting.monthly.close import close_and_publish
from crm.services.closing.store import month_label, reopen_month, update_close_workday
from crm.timeutil import today

BACK = "reports.index"


def _back():
    return redirect(url_for(BACK, _anchor="months"))


def _refuse(form) -> None:
    """Show why a form was not accepted (the page it came from is the 报表 page)."""
    messages = [m for errors in form.errors.values() for m in errors]
    flash("；".join(str(m) for m in messages) or "请求无效，请刷新页面后重试", "danger")


def _closed_message(result) -> str:
    closed, made = result
    close = closed.close
    return (
        f"已月结：{month_label(close.month)}（第{close.version}版），冻结数据 {closed.rows} 行，"
        f"已生成正式版报表 {made['reports']} 份"
    )


@bp.route("/months/<month>/close", methods=["POST"])
@login_required
@roles_required("month.close")
def close_month(month: str):
    form = CloseMonthForm()
    if form.validate_on_submit():
        run_step(close_and_publish, month, current_user, today(), success=_closed_message)
    else:
        _refuse(form)
    return _back()


@bp.route("/months/<month>/reopen", methods=["POST"])
@login_required
@roles_required("month.reopen")
def reopen_month_view(month: str):
    form = ReopenMonthForm()
    if form.validate_on_submit():
        run_step(
            reopen_month,
            current_user,
            month,
            form.reason.data,
            success=lambda close: (
                f"已重新结账：{close.month_label}可以补录和更正，再次结账后生成第{close.version + 1}版",
                "warning",
            ),
        )
    else:
        _refuse(form)
    return _back()


@bp.route("/close-day", methods=["POST"])
@login_required
@roles_required("month.close")
def close_day_setting():
    form = CloseDayForm()
    if form.validate_on_submit():
        run_step(
            update_close_workday,
            current_user,
            form.workday.data,
            success=lambda n: f"已保存：每月于次月第{n}个工作日月结",
        )
    else:
        _refuse(form)
    return _back()
