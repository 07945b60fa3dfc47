"""`flask --app wsgi crm import-enterprises FILE [--dry-run] [--include-hidden]`: the import page's service.

Files too big for the page (IMPORT_WEB_MAX_ROWS) come here: the command has the larger IMPORT_MAX_ROWS.
"""

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from crm.cli.core import fail
from crm.extensions import db
from crm.models import User
from crm.services import ServiceError
from crm.services.common.locking import refusal_message
from crm.services.imports.enterprises import STALE_IMPORT, import_enterprises
from crm.timeutil import today


def _actor(username: str | None) -> User:
    """The importing user: --user, else the first active administrator."""
    if username:
        user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
        if user is None:
            fail(f"用户 {username} 不存在")
        return user
    user = db.session.scalar(
        select(User).where(User.role == "admin", User.is_active_user.is_(True)).order_by(User.id)
    )
    if user is None:
        fail("系统中没有可用的管理员账号，请用 --user 指定执行导入的用户")
    return user


@click.command(
    "import-enterprises",
    help="从 .xlsx/.csv 文件导入企业：全部通过校验才写入，任何一行有错误则不做任何修改并以状态码 1 退出。",
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只校验并显示将要做的修改，不写入数据库")
@click.option("--include-hidden", is_flag=True, help="同时导入在 Excel 中被隐藏或筛选掉的行（默认跳过）")
@click.option("--user", "username", default=None, help="以该用户的身份导入（默认：第一个系统管理员）")
@with_appcontext
def import_enterprises_command(file: Path, dry_run: bool, include_hidden: bool, username: str | None) -> None:
    """Import enterprises from an .xlsx/.csv file, all-or-nothing; exit 1 if any row is bad."""
    if not file.is_file():
        fail(f"文件不存在：{file}")
    actor = _actor(username)
    try:
        result = import_enterprises(file, actor, today(), dry_run=dry_run, keep_hidden=include_hidden)
    except (ServiceError, StaleDataError) as exc:
        fail(f"导入失败：{refusal_message(exc, STALE_IMPORT)}")
    for notice in result.notices:
        click.echo(notice)
    if result.skipped:
        click.echo("如需导入隐藏行，请加 --include-hidden 参数重新运行")
    if not result.ok:
        for message in result.errors:
            click.echo(message, err=True)
        fail(f"导入失败：共 {result.error_count} 处错误，未做任何修改")
    if dry_run:
        db.session.rollback()
        click.echo(f"试运行（未写入数据库）：共 {len(result.planned)} 行，{result.summary()}")
        return
    try:
        db.session.commit()
    except StaleDataError as exc:
        fail(f"导入失败：{refusal_message(exc, STALE_IMPORT)}")
    click.echo(f"导入完成：共 {len(result.planned)} 行，{result.summary()}")


COMMANDS = [import_enterprises_command]
