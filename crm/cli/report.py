"""`flask --app wsgi crm report --month YYYY-MM [--park CODE] --out FILE`: the monthly workbook to a file."""

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from crm.cli.core import fail
from crm.extensions import db
from crm.models import Park
from crm.reporting.monthly.generate import build_report_file
from crm.services import ServiceError
from crm.timeutil import today

EXIT_BAD_INPUT = 2
EXIT_WRITE_FAILED = 3


@click.command("report")
@click.option("--month", required=True, help="月份，格式 YYYY-MM，例如 2026-10")
@click.option("--park", "park_code", default=None, help="园区代码；不填为全部园区")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="输出的 .xlsx 文件")
@with_appcontext
def report_command(month: str, park_code: str | None, out: str) -> None:
    """Write the monthly workbook (the same one as the 报表 page and the scheduler) to a file."""
    park = None
    if park_code:
        park = db.session.scalar(select(Park).where(Park.code == park_code))
        if park is None:
            fail(f"园区代码 {park_code} 不存在", EXIT_BAD_INPUT)
    try:
        data, name = build_report_file(month, park, today())
    except ServiceError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    path = Path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.getbuffer())
    except OSError as exc:
        fail(f"无法写入文件 {out}：{exc.strerror or exc}", EXIT_WRITE_FAILED)
    click.echo(f"已生成{name.removesuffix('.xlsx')}：{path}（{path.stat().st_size // 1024 or 1} KB）")


COMMANDS = [report_command]
