"""`flask --app wsgi crm demo`: fill an empty database with a demo park and print the demo logins."""

import sys
import unicodedata

import click
from flask.cli import with_appcontext

from crm.cli.core import fail
from crm.demo.firm_voice import demo_service_link
from crm.demo.park import DEMO_PASSWORD, DEMO_URL, demo_logins, has_users, load_demo
from crm.extensions import db
from crm.models import User
from crm.reporting.monthly.close import close_recent_months
from crm.services import ServiceError
from crm.services.closing.store import month_label
from crm.timeutil import today

DEMO_CLOSED_MONTHS = 3  # the demo's months closed as in use (the three before the open ones)


def _width(text: str) -> int:
    """Terminal columns taken by text (CJK characters are two columns wide)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _scope(user: User) -> str:
    place = user.park.name if user.park else "全部园区"
    return f"{place} · {user.department.name}" if user.department else place


def echo_logins(users: list[User]) -> None:
    """Print the demo accounts as an aligned table, then the address to open."""
    rows = [("用户名", "姓名", "角色", "园区/部门")]
    rows += [(u.username, u.name, u.role_label, _scope(u)) for u in users]
    widths = [max(_width(row[i]) for row in rows) for i in range(3)]
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    for row in rows:
        cells = [_pad(cell, width) for cell, width in zip(row[:3], widths, strict=True)] + [row[3]]
        click.echo("  " + "  ".join(cells))
    click.echo(f"访问地址：{DEMO_URL}")
    if link := demo_service_link(DEMO_URL):
        click.echo(f"企业服务码（无需登录，用手机或浏览器打开）：{link[0]} {link[1]}")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="数据库中已有用户时不装入（make run 每次启动时调用）")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Load a realistic demo park into an empty database and print the demo logins."""
    if has_users():
        if not if_empty:
            click.echo(
                "数据库中已有数据，演示数据只能装入空数据库，未做任何修改。"
                "如需重新装入，请删除数据库（默认为 instance/crm.sqlite3）后执行 "
                "flask --app wsgi db upgrade 和 flask --app wsgi crm demo。",
                err=True,
            )
            if users := demo_logins():
                echo_logins(users)
            sys.exit(1)
    else:
        try:
            summary = load_demo(today())
        except ServiceError as exc:
            fail(str(exc))
        db.session.commit()
        # The past months are closed (月结), as they would be in use: 已月结 months and a current 初稿.
        closed = close_recent_months(today(), DEMO_CLOSED_MONTHS)
        db.session.commit()
        click.echo(
            f"演示数据已装入：用户 {summary['users']} 个，企业 {summary['firms']} 家"
            f"（已分配联系干部 {summary['assigned']} 家，未分配的在营企业 {summary['unassigned_active']} 家，"
            f"停产 {summary['suspended']} 家），交接 {summary['handovers']} 次；"
            f"走访记录 {summary['visits']} 条，产品 {summary['products']} 项、"
            f"销售记录 {summary['sales']} 条、技术事项 {summary['tech']} 项。"
        )
        labels = [month_label(c.close.month) for c in closed]
        click.echo(f"已月结：{labels[0]}至{labels[-1]}，共 {len(labels)} 个月，各生成正式版报表。")
    if users := demo_logins():
        echo_logins(users)


COMMANDS = [demo_command]
