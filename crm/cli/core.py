"""`flask --app wsgi crm …` commands; each calls a service function and commits once."""

import sys
from typing import NoReturn

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from crm.extensions import db
from crm.models import Department, Park
from crm.services import ServiceError


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a Chinese error to stderr and exit non-zero."""
    db.session.rollback()
    click.echo(message, err=True)
    sys.exit(code)


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Load reference data (parks, industry chains, departments); safe to run again."""
    from crm.services.reference.seed import load_reference_data

    added = load_reference_data()
    db.session.commit()
    click.echo("基础数据已就绪：" + "，".join(f"{k} +{v}" for k, v in added.items()))


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "officer", "leader", "cadre", "handler"]))
@click.option("--password", required=True)
@click.option("--park", "park_code", default=None, help="园区代码")
@click.option("--department", default=None, help="部门名称")
@click.option("--phone", default=None)
@click.option("--dept-head", is_flag=True, help="部门负责人（仅部门经办）")
@click.option(
    "--leader-level", type=click.Choice(["3", "4"]), default=None, help="3 区分管领导 / 4 区主要领导"
)
@with_appcontext
def create_user_command(
    username, name, role, password, park_code, department, phone, dept_head, leader_level
) -> None:
    """Create a user account."""
    from crm.services.users.accounts import create_user

    park = None
    if park_code:
        park = db.session.scalar(select(Park).where(Park.code == park_code))
        if park is None:
            fail(f"园区代码 {park_code} 不存在")
    dept = None
    if department:
        stmt = select(Department).where(Department.name == department)
        if park is not None:
            stmt = stmt.where((Department.park_id == park.id) | Department.park_id.is_(None))
        dept = db.session.scalars(stmt).first()
        if dept is None:
            fail(f"部门 {department} 不存在")
    try:
        user = create_user(
            username,
            name,
            role,
            password,
            park=park,
            department=dept,
            phone=phone,
            is_dept_head=dept_head,
            leader_level=int(leader_level) if leader_level else None,
        )
    except ServiceError as exc:
        fail(str(exc))
    db.session.commit()
    click.echo(f"已创建用户 {user.username}（{user.role_label}）")


COMMANDS = [seed_command, create_user_command]
