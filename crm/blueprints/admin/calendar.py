"""节假日: the admin-editable working-day calendar (overrides of chinese-calendar, confirmed years)."""

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from crm.blueprints.admin.blueprint import bp
from crm.blueprints.admin.forms import CalendarDayForm, NoticeForm
from crm.blueprints.boundary import run_step
from crm.permissions import roles_required
from crm.services.common.args import arg_date
from crm.services.problems.recalc import confirm_year_and_recalc
from crm.services.workdays.admin import (
    YEARS,
    CalendarEntry,
    delete_calendar_day,
    read_notice,
    set_calendar_days,
    unconfirm_year,
)
from crm.services.workdays.calendar import get_calendar
from crm.services.workdays.overview import calendar_years, preview_rows, year_view
from crm.timeutil import today


def _year(value) -> int:
    """The year asked for, or this year when it is missing or absurd."""
    try:
        year = int(value)
    except (TypeError, ValueError):
        return today().year
    return year if YEARS[0] <= year <= YEARS[1] else today().year


def _page(year: int, form: CalendarDayForm):
    cal = get_calendar()
    return render_template(
        "admin/calendar.html",
        view=year_view(year, cal),
        years=sorted(set(calendar_years(today(), cal)) | {year}),
        form=form,
    )


def _done(counts: dict[str, int]) -> str:
    parts = [
        f"{label}{counts[key]}天" for key, label in (("added", "新增"), ("changed", "修改")) if counts[key]
    ]
    return "已保存：" + "，".join(parts) if parts else "没有需要保存的修改"


def _day_done(counts: dict[str, int]) -> tuple[str, str]:
    # A day saved as it already was changed nothing: information, not success.
    return _done(counts), "success" if counts["unchanged"] == 0 else "info"


@bp.route("/calendar/")
@login_required
@roles_required("calendar.manage")
def calendar():
    year = _year(request.args.get("year"))
    form = CalendarDayForm(formdata=None, year=year)
    # ?day=YYYY-MM-DD fills the form to change that day's override.
    day = arg_date(request.args, "day")
    if day is not None and YEARS[0] <= day.year <= YEARS[1]:
        cal = get_calendar()
        form.day.data = day
        form.kind.data = "workday" if cal.is_workday(day) else "holiday"
        form.name.data = cal.day_name(day) or ""
        year = day.year
    return _page(year, form)


@bp.route("/calendar/day", methods=["POST"])
@login_required
@roles_required("calendar.manage")
def calendar_day():
    form = CalendarDayForm()
    if form.validate_on_submit():
        entry = CalendarEntry(form.day.data, form.kind.data == "workday", form.name.data)
        if run_step(set_calendar_days, current_user, [entry], success=_day_done):
            return redirect(url_for("admin.calendar", year=form.day.data.year))
    return _page(_year(form.year.data), form)


@bp.route("/calendar/day/delete", methods=["POST"])
@login_required
@roles_required("calendar.manage")
def calendar_day_delete():
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        flash("日期无效", "danger")
        return redirect(url_for("admin.calendar"))
    done = f"已删除 {day} 的设置，该日恢复按内置日历（或周一至周五）计算"
    run_step(delete_calendar_day, current_user, day, success=done)
    return redirect(url_for("admin.calendar", year=day.year))


@bp.route("/calendar/confirm", methods=["POST"])
@login_required
@roles_required("calendar.manage")
def calendar_confirm():
    year = _year(request.form.get("year"))

    def done(result) -> str:
        moved = result[1]
        return f"已确认{year}年节假日安排完整，工作日将按录入的安排计算" + (
            f"；已按新安排调整{moved}个在办问题的期限" if moved else ""
        )

    run_step(
        confirm_year_and_recalc,
        current_user,
        year,
        request.form.get("note"),
        today(),
        cal=get_calendar(),
        success=done,
    )
    return redirect(url_for("admin.calendar", year=year))


@bp.route("/calendar/unconfirm", methods=["POST"])
@login_required
@roles_required("calendar.manage")
def calendar_unconfirm():
    year = _year(request.form.get("year"))
    done = (f"已撤销{year}年的确认，系统将重新提示录入该年的节假日安排", "warning")
    run_step(unconfirm_year, current_user, year, success=done)
    return redirect(url_for("admin.calendar", year=year))


@bp.route("/calendar/bulk", methods=["GET", "POST"])
@login_required
@roles_required("calendar.manage")
def calendar_bulk():
    form = NoticeForm(year=_year(request.args.get("year")))
    year = _year(form.year.data)
    entries, errors, warnings, preview = [], [], [], None
    if form.validate_on_submit():
        reading = read_notice(form.text.data, form.notice_year.data)
        entries, errors, warnings = reading.entries, reading.errors, reading.warnings
        if not errors and request.form.get("action") == "save":
            # A refusal is listed with the notice's parse errors, not flashed.
            step = run_step(set_calendar_days, current_user, entries, success=_done, flash_error=False)
            if step:
                return redirect(url_for("admin.calendar", year=entries[0].day.year))
            errors = [step.error]
        if not errors:
            preview = preview_rows(entries, get_calendar())
    return render_template(
        "admin/calendar_bulk.html", form=form, year=year, errors=errors, warnings=warnings, preview=preview
    )
