"""部门负责人 and 领导级别 on accounts (who receives escalated problems): service rules and the CLI."""

import pytest
from sqlalchemy import func, select

from crm.models import AuditLog, User
from crm.services import ServiceError
from crm.services.users.accounts import create_user, update_user
from tests.support.factories import make_department, make_park, make_user

PASSWORD = "abc12345"


@pytest.fixture()
def park(db):
    return make_park("XT", "湘潭园区")


@pytest.fixture()
def dept(db):
    return make_department("税务局")


@pytest.fixture()
def admin(db):
    return make_user("admin", username="root")


def test_create_handler_head_and_leaders(db, admin, dept):
    head = create_user("head", "唐局长", "handler", PASSWORD, actor=admin, department=dept, is_dept_head=True)
    assert head.is_dept_head and head.leader_level is None and head.escalation_level == 2
    deputy = create_user("deputy", "谭副区长", "leader", PASSWORD, actor=admin)
    assert deputy.leader_level == 3 and not deputy.is_dept_head  # leaders default to 区分管领导
    chief = create_user("chief", "区长", "leader", PASSWORD, actor=admin, leader_level=4)
    assert chief.leader_level == 4 and chief.escalation_level == 4
    plain = create_user("plain", "唐静", "handler", PASSWORD, actor=admin, department=dept)
    assert not plain.is_dept_head and plain.escalation_level is None


@pytest.mark.parametrize(
    "role, kwargs, message",
    [
        ("cadre", {"is_dept_head": True}, "只有部门经办可以设为部门负责人"),
        ("leader", {"is_dept_head": True}, "只有部门经办可以设为部门负责人"),
        ("officer", {"leader_level": 3}, "只有领导需要设置领导级别"),
        ("handler", {"leader_level": 4}, "只有领导需要设置领导级别"),
        ("leader", {"leader_level": 2}, "领导级别应为 3（区分管领导）或 4（区主要领导）"),
        ("leader", {"leader_level": "x"}, "领导级别应为 3（区分管领导）或 4（区主要领导）"),
    ],
)
def test_create_refuses_combinations_that_make_no_sense(db, admin, park, dept, role, kwargs, message):
    before = db.session.scalar(select(func.count(User.id)))
    with pytest.raises(ServiceError, match=message):
        create_user("x1", "某人", role, PASSWORD, actor=admin, park=park, department=dept, **kwargs)
    assert db.session.scalar(select(func.count(User.id))) == before


def test_update_sets_checks_and_audits_the_fields(db, admin, park, dept):
    handler = make_user("handler", park, department=dept)
    changes = update_user(handler, admin, handler.name, "handler", park, dept, is_dept_head=True)
    assert handler.is_dept_head and changes == {"部门负责人": ("否", "是")}
    with pytest.raises(ServiceError, match="只有部门经办可以设为部门负责人"):
        update_user(handler, admin, handler.name, "cadre", park, None, is_dept_head=True)
    # Not given: a role that cannot hold the flag drops it.
    update_user(handler, admin, handler.name, "officer", park, None)
    assert not handler.is_dept_head and handler.role == "officer"
    with pytest.raises(ServiceError, match="只有领导需要设置领导级别"):
        update_user(handler, admin, handler.name, "officer", park, None, leader_level=4)
    changes = update_user(handler, admin, handler.name, "leader", None, None, leader_level=4)
    assert handler.leader_level == 4 and changes["领导级别"] == (None, "区主要领导")
    update_user(handler, admin, "改名", "leader", None, None)  # not given: a leader keeps the level
    assert handler.leader_level == 4
    update_user(handler, admin, handler.name, "officer", park, None)
    assert handler.leader_level is None
    summaries = db.session.scalars(
        select(AuditLog.summary).where(AuditLog.entity_type == "user", AuditLog.entity_id == handler.id)
    ).all()
    assert any("部门负责人" in s for s in summaries) and any("领导级别" in s for s in summaries)


def test_a_leader_created_before_levels_existed_gets_the_default(db, admin):
    old = make_user("leader")  # leader_level NULL, as after the migration
    assert old.leader_level is None and old.escalation_level == 3
    update_user(old, admin, "新名字", "leader", None, None)
    assert old.leader_level == 3


def create(runner, username: str, role: str, *extra: str):
    args = ["crm", "create-user", "--username", username, "--name", "某人", "--role", role]
    return runner.invoke(args=args + ["--password", PASSWORD, *extra])


def test_cli_create_user_takes_dept_head_and_leader_level(runner, db, dept):
    ok = create(runner, "head", "handler", "--department", "税务局", "--dept-head")
    assert ok.exit_code == 0, ok.output
    chief = create(runner, "chief", "leader", "--leader-level", "4")
    assert chief.exit_code == 0, chief.output
    db.session.expire_all()
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert users["head"].is_dept_head and users["chief"].leader_level == 4
    bad = create(runner, "l1", "leader", "--dept-head")
    assert bad.exit_code == 1 and "只有部门经办可以设为部门负责人" in bad.output
    wrong = create(runner, "l5", "leader", "--leader-level", "5")
    assert wrong.exit_code == 2
    assert {u.username for u in db.session.scalars(select(User))} == {"head", "chief"}
