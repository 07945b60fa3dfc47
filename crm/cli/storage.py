"""`flask --app wsgi crm storage status` and `crm storage migrate --to database|filesystem`."""

import click
from flask.cli import with_appcontext

from crm.cli.core import fail
from crm.services import ServiceError
from crm.services.storage.migrate import migrate_files
from crm.services.storage.store import AREAS, BACKENDS, backend_name, get_store


@click.group("storage", help="文件存储（附件、导入文件、报表）：查看状态，在文件系统和数据库之间迁移")
def storage_group() -> None:
    pass


@storage_group.command("status", help="显示当前存储方式，以及两处各有多少文件")
@with_appcontext
def status_command() -> None:
    try:
        current = backend_name()
    except ServiceError as exc:
        fail(str(exc))
    click.echo(f"当前存储方式：{BACKENDS[current]}（FILE_STORAGE={current}）")
    for area in AREAS:
        counts = [f"{BACKENDS[b]} {sum(1 for _ in get_store(area, b).keys())} 个" for b in BACKENDS]
        click.echo(f"  {area}：{'，'.join(counts)}")


@storage_group.command("migrate", help="把所有文件移到指定位置（可重复运行，中断后再运行即可继续）")
@click.option("--to", "target", type=click.Choice(sorted(BACKENDS)), required=True, help="目标存储方式")
@with_appcontext
def migrate_command(target: str) -> None:
    try:
        result = migrate_files(target)
    except ServiceError as exc:
        fail(str(exc))
    moved = "，".join(f"{area} {count} 个" for area, count in result.moved.items())
    click.echo(f"已迁移到{BACKENDS[target]}：{moved}，共 {result.bytes} 字节")
    click.echo(f"请把 CRM_FILE_STORAGE 设为 {target} 后重启各主机")


COMMANDS = [storage_group]
