from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from crm.models import AuditLog, User
from crm.services import ServiceError
from crm.services.assignments.operations import handover_caseload
from crm.services.users.accounts import (
    create_user,
    is_locked,
    reset_password,
    set_active,
    unlock_user,
    update_user,
)
from crm.services.users.authentication import authenticate
from tests.support.factories import PASSWORD, make_department, make_enterprise, make_park, make_user

NOW = datetime(2026, 11, 2, 8, 0)


@pytest.fixture()
def park(db):
    return make_park("XT", "湘潭园区")


@pytest.fixture()
def admin(db):
    return make_user("admin", username="root")


def audit_count(db, user: User, action: str) -> int:
    return db.session.scalar(
        select(func.count(AuditLog.id)).where(
            AuditLog.entity_type == "user", AuditLog.entity_id == user.id, AuditLog.action == action
        )
    )


def test_create_user_applies_role_rules_and_audits(db, park, admin):
    dept = make_department("税务局")
    handler = create_user(
        "Tax01", "唐静", "handler", "abc12345", actor=admin, department=dept, phone="１３９"
    )
    assert handler.park_id is None and handler.department_id == dept.id and handler.phone == "139"
    assert audit_count(db, handler, "create") == 1
    park_dept = make_department("园区经济发展局", park)
    park_handler = create_user("h2", "曾美玲", "handler", "abc12345", actor=admin, department=park_dept)
    assert park_handler.park_id == park.id  # a park department's handler belongs to that park


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"username": " ", "name": "张三"}, "不能为空"),
        ({"role": "boss"}, "未知角色"),
        ({"username": "ROOT"}, "已存在"),
        ({"role": "cadre", "park": None}, "必须属于一个园区"),
        ({"role": "handler"}, "必须属于一个部门"),
        ({"password": "abc123"}, "至少8位"),
        ({"password": "12345678"}, "字母和数字"),
    ],
)
def test_create_user_refusals_create_nothing(db, park, admin, kwargs, message):
    args = {
        "username": "new1",
        "name": "张三",
        "role": "cadre",
        "password": "abc12345",
        "park": park,
    } | kwargs
    before = db.session.scalar(select(func.count(User.id)))
    with pytest.raises(ServiceError, match=message):
        create_user(
            args.pop("username"),
            args.pop("name"),
            args.pop("role"),
            args.pop("password"),
            actor=admin,
            **args,
        )
    assert db.session.scalar(select(func.count(User.id))) == before


def test_create_user_refuses_department_of_another_park(db, park, admin):
    other_dept = make_department("乙园区建设局", make_park())
    with pytest.raises(ServiceError, match="不属于"):
        create_user("h1", "李四", "handler", "abc12345", actor=admin, park=park, department=other_dept)


def test_update_user_changes_fields_and_audits_readable_values(db, park, admin):
    officer = make_user("officer", park, name="周晓梅")
    dept = make_department("税务局")
    changes = update_user(officer, admin, " 周晓梅 ", "handler", None, dept, "13800000000")
    assert officer.role == "handler" and officer.department_id == dept.id and officer.park_id is None
    assert set(changes) == {"电话", "角色", "园区", "部门"}
    entry = db.session.scalar(
        select(AuditLog).where(AuditLog.entity_id == officer.id, AuditLog.action == "update")
    )
    assert entry.changes["角色"] == ["园区管理员", "部门经办"]
    assert entry.changes["园区"] == ["湘潭园区", None]
    assert update_user(officer, admin, "周晓梅", "handler", None, dept, "13800000000") == {}


def test_cadre_with_firms_cannot_change_park_or_role_until_handed_over(db, park, admin):
    cadre, successor = make_user("cadre", park, name="李卫东"), make_user("cadre", park)
    make_enterprise(park, cadre=cadre, assigned_by=admin)
    other_park = make_park()
    with pytest.raises(ServiceError, match="名下还有 1 家联系企业.*请先办理交接"):
        update_user(cadre, admin, cadre.name, "cadre", other_park)
    with pytest.raises(ServiceError, match="请先办理交接"):
        update_user(cadre, admin, cadre.name, "officer", park)
    assert cadre.park_id == park.id and cadre.role == "cadre"
    update_user(cadre, admin, "李卫东（已改名）", "cadre", park)  # same park: fine
    handover_caseload(cadre, successor, admin, NOW.date(), "post_change")
    update_user(cadre, admin, cadre.name, "cadre", other_park)
    assert cadre.park_id == other_park.id


def test_update_user_refusals(db, park, admin):
    handler = make_user("handler", park, department=make_department("人社局", park))
    with pytest.raises(ServiceError, match="姓名不能为空"):
        update_user(handler, admin, "  ", "handler", park, handler.department)
    with pytest.raises(ServiceError, match="必须属于一个部门"):
        update_user(handler, admin, "王五", "handler", park, None)
    with pytest.raises(ServiceError, match="必须属于一个园区"):
        update_user(handler, admin, "王五", "officer", None, None)
    with pytest.raises(ServiceError, match="不能修改自己的角色"):
        update_user(admin, admin, admin.name, "leader")
    with pytest.raises(ServiceError, match="至少要保留一个启用的系统管理员"):
        update_user(admin, None, admin.name, "leader")
    with pytest.raises(ServiceError, match="权限"):
        update_user(handler, make_user("officer", park), "王五", "handler", park, handler.department)
    assert audit_count(db, handler, "update") == 0


def test_deactivate_and_activate(db, park, admin):
    leader = make_user("leader", username="leader1")
    set_active(leader, False, admin)
    assert not leader.is_active_user
    user, error = authenticate("leader1", PASSWORD, NOW)
    assert user is None and "停用" in error
    with pytest.raises(ServiceError, match="已是停用状态"):
        set_active(leader, False, admin)
    set_active(leader, True, admin)
    assert leader.is_active_user
    assert audit_count(db, leader, "deactivate") == 1 and audit_count(db, leader, "activate") == 1


def test_deactivate_refusals(db, park, admin):
    cadre = make_user("cadre", park, name="王芳")
    make_enterprise(park, cadre=cadre, assigned_by=admin)
    with pytest.raises(ServiceError, match="王芳 名下还有 1 家联系企业，请先办理交接"):
        set_active(cadre, False, admin)
    with pytest.raises(ServiceError, match="不能停用自己的账号"):
        set_active(admin, False, admin)
    with pytest.raises(ServiceError, match="至少要保留一个启用的系统管理员"):
        set_active(admin, False, None)
    with pytest.raises(ServiceError, match="权限"):
        set_active(make_user("leader"), False, make_user("officer", park))
    assert cadre.is_active_user and admin.is_active_user


def test_reset_password_checks_policy_and_never_audits_the_password(db, park, admin):
    cadre = make_user("cadre", park, username="c1")
    with pytest.raises(ServiceError, match="至少8位"):
        reset_password(cadre, "a1", admin)
    reset_password(cadre, "NewPass2026", admin)
    assert authenticate("c1", "NewPass2026", NOW)[0] == cadre
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "reset_password"))
    assert "NewPass2026" not in (entry.summary + str(entry.changes))


def test_unlock_user(db, park, admin):
    cadre = make_user("cadre", park, username="c2")
    with pytest.raises(ServiceError, match="未被锁定"):
        unlock_user(cadre, admin, NOW)
    for _ in range(5):
        authenticate("c2", "wrong-password1", NOW)
    assert is_locked(cadre, NOW)
    assert "锁定" in authenticate("c2", PASSWORD, NOW)[1]
    unlock_user(cadre, admin, NOW)
    assert not is_locked(cadre, NOW) and cadre.failed_logins == 0
    assert authenticate("c2", PASSWORD, NOW)[0] == cadre
    cadre.locked_until = NOW - timedelta(minutes=1)  # an expired lock is no lock
    with pytest.raises(ServiceError, match="未被锁定"):
        unlock_user(cadre, admin, NOW)
