"""`flask --app wsgi crm create-user`: the five roles' accounts, refusals in Chinese with a non-zero exit."""

from sqlalchemy import func, select

from crm.models import User
from crm.services.users.authentication import authenticate
from crm.timeutil import utcnow
from tests.support.factories import make_department, make_park

PASSWORD = "Liaison2026"


def create(runner, username: str, role: str, *extra: str, password: str = PASSWORD):
    args = ["crm", "create-user", "--username", username, "--name", "张三", "--role", role]
    return runner.invoke(args=args + ["--password", password, *extra])


def users(db) -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_create_user_with_park_and_department(runner, db):
    park = make_park("XTGX", "湘潭高新区")
    make_department("税务局")
    db.session.commit()
    cadre = create(runner, "zhangsan", "cadre", "--park", "XTGX", "--phone", "13800000000")
    assert cadre.exit_code == 0, cadre.output
    assert "已创建用户 zhangsan（联企干部）" in cadre.output
    handler = create(runner, "tax1", "handler", "--department", "税务局")
    assert handler.exit_code == 0, handler.output
    db.session.expire_all()
    made = {u.username: u for u in db.session.scalars(select(User))}
    assert made["zhangsan"].park_id == park.id and made["zhangsan"].phone == "13800000000"
    assert made["tax1"].department.name == "税务局"
    assert authenticate("zhangsan", PASSWORD, utcnow())[0] is not None  # stored hashed, usable


def test_create_user_refusals_exit_non_zero_and_create_nothing(runner, db):
    make_park("XTGX", "湘潭高新区")
    db.session.commit()
    cases = [
        (("u1", "cadre", "--park", "NOPE"), "园区代码 NOPE 不存在"),
        (("u2", "handler", "--department", "不存在的局"), "部门 不存在的局 不存在"),
        (("u3", "cadre"), "必须属于一个园区"),
        (("u4", "handler"), "部门经办必须属于一个部门"),
    ]
    for args, message in cases:
        result = create(runner, *args)
        assert result.exit_code == 1 and message in result.output, result.output
    weak = create(runner, "u5", "admin", password="123")
    assert weak.exit_code == 1 and "密码" in weak.output
    assert users(db) == 0
    assert create(runner, "same", "admin").exit_code == 0
    again = create(runner, "same", "admin")
    assert again.exit_code == 1 and "用户名 same 已存在" in again.output
    assert users(db) == 1
    bad_role = create(runner, "u6", "boss")
    assert bad_role.exit_code == 2  # click refuses an unknown role before anything runs
