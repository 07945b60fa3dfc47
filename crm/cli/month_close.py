"""`flask --app wsgi crm month-close [--month YYYY-MM]` (月结 now) and `flask --app wsgi crm month-status`
(each recent month: 初稿 or 已月结, version, when and by whom, the close day)."""

import click
from flask.cli import with_appcontext

from crm.cli.core import fail
from crm.extensions import db
from crm.reporting.monthly.close import close_and_publish, close_due_months
from crm.services import ServiceError
from crm.services.closing.store import (
    close_day,
    close_workday,
    latest_closes,
    month_label,
    month_of,
    previous_month,
)
from crm.timeutil import to_local, today

EXIT_BAD_INPUT = 2
STATUS_MONTHS = 12


@click.command("month-close")
@click.option("--month", default=None, help="要结账的月份 YYYY-MM；不填则按计划结账（同定时任务“月结”）")
@with_appcontext
def month_close_command(month: str | None) -> None:
    """Close a month now (freeze its figures and make its official workbooks), or, without --month,
    whatever the scheduler's 月结 would close today."""
    day = today()
    try:
        if month is None:
            counts = close_due_months(day)
            db.session.commit()
            months = counts.get("closed", 0)
            head = f"已月结 {months} 个月" if months else "今天没有需要月结的月份"
            click.echo(f"{head}；生成报表 {counts.get('reports', 0)} 份")
            return
        closed, made = close_and_publish(month, None, day)
    except ServiceError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    db.session.commit()
    close = closed.close
    click.echo(
        f"已月结：{month_label(close.month)}（第{close.version}版），冻结数据 {closed.rows} 行，"
        f"用时 {closed.seconds:.1f} 秒；生成报表 {made['reports']} 份，通知 {made['users']} 人"
    )


@click.command("month-status")
@with_appcontext
def month_status_command() -> None:
    """The last months' state: 初稿 (and the day it closes) or 已月结 (version, when, by whom)."""
    day = today()
    months, month = [], month_of(day)
    for _ in range(STATUS_MONTHS):
        months.append(month)
        month = previous_month(month)
    closes = latest_closes(months)
    click.echo(f"结账日：次月第{close_workday()}个工作日")
    for month in months:
        close = closes.get(month)
        label = month_label(month)
        if close is None:
            when = close_day(month)
            click.echo(
                f"{label}　初稿　计划于 {when:%Y-%m-%d} 月结"
                + ("（已过结账日，尚未月结）" if when <= day else "")
            )
        elif close.is_closed:
            who = close.closed_by.name if close.closed_by else "系统自动"
            click.echo(
                f"{label}　已月结 第{close.version}版　{to_local(close.closed_at):%Y-%m-%d %H:%M}　{who}"
                f"　{close.snapshot_rows} 行"
            )
        else:
            who = close.reopened_by.name if close.reopened_by else ""
            at = to_local(close.reopened_at) if close.reopened_at else None
            click.echo(
                f"{label}　重新结账中（第{close.version}版已作废）　{at:%Y-%m-%d %H:%M}　{who}"
                f"　原因：{close.reopen_reason or ''}"
                if at
                else f"{label}　重新结账中"
            )


COMMANDS = [month_close_command, month_status_command]
