"""`flask --app wsgi crm backup --out FILE` and `crm restore --from FILE` (SQLite; PostgreSQL: pg_dump)."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from crm.cli.core import fail
from crm.services import ServiceError
from crm.services.system.backup import (
    backup_sqlite,
    database_kind,
    postgresql_advice,
    restore_sqlite,
    sqlite_file,
)

FILE = click.Path(dir_okay=False, path_type=Path)


def _url() -> str:
    return current_app.config["SQLALCHEMY_DATABASE_URI"]


def _head_revisions() -> set[str]:
    """The migration heads of this code (empty if they cannot be read)."""
    try:
        from alembic.script import ScriptDirectory

        cfg = current_app.extensions["migrate"].migrate.get_config()
        return set(ScriptDirectory.from_config(cfg).get_heads())
    except Exception:  # a hint only: never fail a restore over it
        return set()


@click.command(
    "backup",
    help="备份数据库。SQLite：在线备份（系统运行中也可安全执行），得到一致的单个文件；"
    "PostgreSQL：给出 pg_dump 命令并以状态码 2 退出。",
)
@click.option("--out", "out", required=True, type=FILE, help="备份文件路径，如 backups/crm-20261102.sqlite3")
@click.option("--force", is_flag=True, help="覆盖已存在的备份文件")
@with_appcontext
def backup_command(out: Path, force: bool) -> None:
    """Back up the SQLite database to --out with the online backup API; PostgreSQL: print pg_dump."""
    url = _url()
    if database_kind(url) == "postgresql":
        fail(postgresql_advice(url, out), code=2)
    if database_kind(url) != "sqlite":
        fail(f"不支持备份该类型的数据库：{database_kind(url)}")
    try:
        info = backup_sqlite(sqlite_file(url), out, overwrite=force)
    except ServiceError as exc:
        fail(f"备份失败：{exc}")
    click.echo(
        f"备份完成：{info.path}（{info.size / 1024 / 1024:.1f} MB，企业 {info.enterprises} 家，"
        f"问题 {info.problems} 个，数据库版本 {info.revision or '未知'}，完整性检查通过）"
    )


@click.command(
    "restore",
    help="从 crm backup 生成的文件恢复 SQLite 数据库（先校验文件，并把当前数据库另存一份）。"
    "当前数据库已有数据时必须加 --yes。PostgreSQL 请用 pg_restore。",
)
@click.option("--from", "src", required=True, type=FILE, help="备份文件路径")
@click.option("--yes", is_flag=True, help="确认覆盖当前数据库中的数据")
@with_appcontext
def restore_command(src: Path, yes: bool) -> None:
    """Replace the SQLite database with a checked backup (a safety copy of the current one is kept)."""
    url = _url()
    if database_kind(url) == "postgresql":
        fail(postgresql_advice(url, src, restore=True), code=2)
    if database_kind(url) != "sqlite":
        fail(f"不支持恢复该类型的数据库：{database_kind(url)}")
    try:
        info, safety = restore_sqlite(src, sqlite_file(url), overwrite=yes)
    except ServiceError as exc:
        fail(f"恢复失败：{exc}")
    click.echo(f"恢复完成：企业 {info.enterprises} 家，问题 {info.problems} 个，数据库版本 {info.revision}")
    if safety is not None:
        click.echo(f"恢复前的数据库已另存为：{safety}")
    heads = _head_revisions()
    if heads and info.revision not in heads:
        click.echo("该备份来自其他版本的程序，请运行 flask --app wsgi db upgrade 后再启动系统")
    click.echo("请重启应用（gunicorn 与 crm scheduler）以确保所有进程使用恢复后的数据")


COMMANDS = [backup_command, restore_command]
