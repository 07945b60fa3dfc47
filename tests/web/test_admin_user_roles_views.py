"""User admin pages: 部门负责人 and 领导级别 in the forms and the list."""

import pytest
from sqlalchemy import func, select

from crm.models import User


def page(resp) -> str:
    return resp.get_data(as_text=True)


def new_user(world, **change) -> dict:
    return {
        "username": "new1",
        "name": "新人",
        "role": "leader",
        "park_id": "",
        "department_id": "",
        "leader_level": "4",
        "password": "Demo2026!",
        "confirm": "Demo2026!",
    } | change


def test_admin_creates_a_main_leader_and_a_department_head(client, login_as, world, db):
    login_as(world.admin)
    form = page(client.get("/admin/users/new"))
    assert "领导级别" in form and "部门负责人" in form and "js/admin_users.js" in form
    assert client.post("/admin/users/new", data=new_user(world)).status_code == 302
    head = new_user(world, username="head1", role="handler", department_id=world.dept.id, leader_level="")
    assert client.post("/admin/users/new", data=head | {"is_dept_head": "y"}).status_code == 302
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert users["new1"].leader_level == 4 and not users["new1"].is_dept_head
    assert users["head1"].is_dept_head and users["head1"].leader_level is None
    listing = page(client.get("/admin/users/"))
    assert "区主要领导" in listing and "部门负责人" in listing
    assert "区分管领导" in listing  # world.leader has no level stored: shown as the default


@pytest.mark.parametrize(
    "change, message",
    [
        ({"role": "officer", "park_id": "PARK", "leader_level": "3"}, "只有领导需要设置领导级别"),
        (
            {"role": "cadre", "park_id": "PARK", "leader_level": "", "is_dept_head": "y"},
            "只有部门经办可以设为部门负责人",
        ),
        ({"leader_level": "5"}, "请从列表中选择"),
        ({"leader_level": "x"}, "选项无效"),
    ],
)
def test_bad_combinations_are_refused_in_chinese(client, login_as, world, db, change, message):
    login_as(world.admin)
    if change.get("park_id") == "PARK":
        change = change | {"park_id": world.park_a.id}
    before = db.session.scalar(select(func.count(User.id)))
    resp = client.post("/admin/users/new", data=new_user(world, **change))
    assert resp.status_code == 200 and message in page(resp)
    assert db.session.scalar(select(func.count(User.id))) == before


def test_admin_edits_the_fields_and_the_history_shows_them(client, login_as, world, db):
    login_as(world.admin)
    url = f"/admin/users/{world.handler.id}/edit"
    data = {
        "name": world.handler.name,
        "role": "handler",
        "park_id": world.park_a.id,
        "department_id": world.dept.id,
        "leader_level": "",
    }
    assert client.post(url, data=data | {"is_dept_head": "y"}).status_code == 302
    db.session.refresh(world.handler)
    assert world.handler.is_dept_head
    assert "部门负责人：否 → 是" in page(client.get(url))
    refused = client.post(url, data=data | {"is_dept_head": "y", "leader_level": "3"})
    assert refused.status_code == 200 and "只有领导需要设置领导级别" in page(refused)
    leader_url = f"/admin/users/{world.leader.id}/edit"
    leader = {
        "name": world.leader.name,
        "role": "leader",
        "park_id": "",
        "department_id": "",
        "leader_level": "4",
    }
    assert client.post(leader_url, data=leader).status_code == 302
    db.session.refresh(world.leader)
    assert world.leader.leader_level == 4
    assert 'selected value="4"' in page(client.get(leader_url))
