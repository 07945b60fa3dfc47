"""User administration views: every action for the admin, 403 for every other role on every admin URL."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask import url_for

from crm.models import User
from crm.timeutil import utcnow
from tests.support.factories import (
    PASSWORD,
    make_chain,
    make_department,
    make_enterprise,
    make_park,
    make_user,
)

OTHER_ROLES = ["officer", "leader", "cadre", "handler"]


@pytest.fixture()
def staff(db):
    park = make_park("XT", "湘潭高新区")
    dept = make_department("税务局")
    s = SimpleNamespace(
        park=park,
        other_park=make_park("YH", "雨湖园区"),
        dept=dept,
        admin=make_user("admin", username="admin", name="胡管理"),
        officer=make_user("officer", park, username="officer", name="周晓梅"),
        leader=make_user("leader", park, username="leader", name="谭国平"),
        cadre=make_user("cadre", park, username="cadre", name="李卫东"),
        handler=make_user("handler", park, username="handler", name="唐静", department=dept),
    )
    s.firm = make_enterprise(park, "湘潭永达电机有限公司", cadre=s.cadre, assigned_by=s.officer)
    db.session.commit()
    return s


def admin_urls(app, user_id: int, items: dict[str, int] | None = None) -> list[tuple[str, str]]:
    """(method, url) for every route of the admin blueprint, built from the URL map; items gives the
    row id of an endpoint's item_id (default: user_id)."""
    out = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin."):
                continue
            args = {"user_id": user_id} if "user_id" in rule.arguments else {}
            if "item_id" in rule.arguments:
                args["item_id"] = (items or {}).get(rule.endpoint, user_id)
            if "kind" in rule.arguments:
                args["kind"] = "park"
            url = url_for(rule.endpoint, **args)
            out += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return out


def flashes(resp) -> str:
    return resp.get_data(as_text=True)


def test_admin_blueprint_covers_every_action(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")}
    assert endpoints == {
        "admin.users",
        "admin.user_create",
        "admin.user_edit",
        "admin.user_password",
        "admin.user_activate",
        "admin.user_deactivate",
        "admin.user_unlock",
        # 基础数据 (tests/web/test_admin_reference_views.py)
        "admin.reference",
        "admin.park_create",
        "admin.park_edit",
        "admin.chain_create",
        "admin.chain_edit",
        "admin.department_create",
        "admin.department_edit",
        "admin.reference_retire",
        "admin.reference_restore",
        "admin.reference_delete",
        # 节假日 and 问题办理规则 (tests/web/test_admin_calendar_views.py, test_admin_rules_views.py)
        "admin.calendar",
        "admin.calendar_day",
        "admin.calendar_day_delete",
        "admin.calendar_confirm",
        "admin.calendar_unconfirm",
        "admin.calendar_bulk",
        "admin.rules",
    }


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_get_403_on_every_admin_url(app, client, login_as, staff, role):
    login_as(getattr(staff, role))
    for method, url in admin_urls(app, staff.cadre.id):
        resp = client.open(url, method=method, data={"name": "x", "role": "admin", "active": "0"})
        assert resp.status_code == 403, (method, url)
    assert staff.cadre.is_active_user and staff.cadre.role == "cadre"


def test_anonymous_is_sent_to_login(app, client, staff):
    for method, url in admin_urls(app, staff.cadre.id):
        resp = client.open(url, method=method)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], (method, url)


def test_admin_sees_every_admin_page(app, client, login_as, staff, db):
    login_as(staff.admin)
    items = {
        "admin.park_edit": staff.park.id,
        "admin.chain_edit": make_chain("装备制造").id,
        "admin.department_edit": staff.dept.id,
    }
    db.session.commit()
    for method, url in admin_urls(app, staff.cadre.id, items):
        if method == "GET":
            assert client.get(url).status_code == 200, url
    menu = client.get("/").get_data(as_text=True)
    assert "用户管理" in menu


def test_user_list_filters_and_shows_locks(client, login_as, staff, db):
    staff.handler.locked_until = utcnow() + timedelta(minutes=10)
    staff.leader.is_active_user = False
    login_as(staff.admin)
    page = client.get("/admin/users/").get_data(as_text=True)
    assert all(u.name in page for u in (staff.admin, staff.officer, staff.leader, staff.cadre, staff.handler))
    assert "锁定至" in page and "已停用" in page and "联系企业 1 家" in page
    cadres = client.get("/admin/users/?role=cadre").get_data(as_text=True)
    assert "李卫东" in cadres and "周晓梅" not in cadres
    search = client.get("/admin/users/?q=handl").get_data(as_text=True)
    assert "唐静" in search and "李卫东" not in search
    inactive = client.get("/admin/users/?active=0").get_data(as_text=True)
    assert "谭国平" in inactive and "李卫东" not in inactive
    by_dept = client.get(f"/admin/users/?department={staff.dept.id}&park={staff.park.id}").get_data(
        as_text=True
    )
    assert "唐静" in by_dept and "周晓梅" not in by_dept
    assert client.get("/admin/users/?park=abc&role=boss&active=x&page=1").status_code == 200


def test_admin_creates_a_user(client, login_as, staff, db):
    login_as(staff.admin)
    resp = client.post(
        "/admin/users/new",
        data={
            "username": "cadre9",
            "name": "黄小燕",
            "role": "cadre",
            "park_id": staff.park.id,
            "department_id": "",
            "phone": "13900000000",
            "password": "Demo2026!",
            "confirm": "Demo2026!",
        },
    )
    assert resp.status_code == 302
    user = db.session.scalar(db.select(User).where(User.username == "cadre9"))
    assert user.role == "cadre" and user.park_id == staff.park.id and user.check_password("Demo2026!")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"password": "short1", "confirm": "short1"}, "密码至少8位"),
        ({"role": "cadre", "park_id": ""}, "联企干部必须属于一个园区"),
        ({"username": "Admin"}, "已存在"),
        ({"confirm": "Other2026!"}, "两次输入的密码不一致"),
        ({"username": "张三"}, "用户名只能包含"),
        ({"park_id": "abc"}, "选项无效"),
        ({"park_id": "99999"}, "请从列表中选择"),
    ],
)
def test_create_user_refusals_are_chinese_and_change_nothing(client, login_as, staff, db, change, message):
    login_as(staff.admin)
    before = db.session.scalar(db.select(db.func.count(User.id)))
    data = {
        "username": "new1",
        "name": "新人",
        "role": "officer",
        "park_id": staff.park.id,
        "department_id": "",
        "password": "Demo2026!",
        "confirm": "Demo2026!",
    } | change
    resp = client.post("/admin/users/new", data=data)
    assert resp.status_code == 200 and message in flashes(resp)
    assert db.session.scalar(db.select(db.func.count(User.id))) == before


def test_admin_edits_a_user(client, login_as, staff, db):
    login_as(staff.admin)
    resp = client.post(
        f"/admin/users/{staff.officer.id}/edit",
        data={
            "name": "周晓梅",
            "role": "leader",
            "park_id": "",
            "department_id": "",
            "phone": "0731-58880000",
        },
    )
    assert resp.status_code == 302
    db.session.refresh(staff.officer)
    assert staff.officer.role == "leader" and staff.officer.park_id is None
    assert "0731-58880000" in staff.officer.phone
    page = client.get(f"/admin/users/{staff.officer.id}/edit").get_data(as_text=True)
    assert "园区管理员 → 领导" in page  # the change history on the user's page


def test_moving_a_cadre_with_firms_to_another_park_is_refused(client, login_as, staff, db):
    login_as(staff.admin)
    resp = client.post(
        f"/admin/users/{staff.cadre.id}/edit",
        data={
            "name": "李卫东",
            "role": "cadre",
            "park_id": staff.other_park.id,
            "department_id": "",
        },
    )
    assert resp.status_code == 200 and "请先办理交接" in flashes(resp)
    db.session.refresh(staff.cadre)
    assert staff.cadre.park_id == staff.park.id


def test_admin_resets_a_password(client, login_as, staff, db):
    login_as(staff.admin)
    weak = client.post(
        f"/admin/users/{staff.cadre.id}/password", data={"password": "12345678", "confirm": "12345678"}
    )
    assert weak.status_code == 200 and "字母和数字" in flashes(weak)
    resp = client.post(
        f"/admin/users/{staff.cadre.id}/password", data={"password": "Reset2026x", "confirm": "Reset2026x"}
    )
    assert resp.status_code == 302
    db.session.refresh(staff.cadre)
    assert staff.cadre.check_password("Reset2026x") and not staff.cadre.check_password(PASSWORD)


def test_admin_deactivates_and_activates(client, login_as, staff, db):
    login_as(staff.admin)
    resp = client.post(
        f"/admin/users/{staff.leader.id}/deactivate", data={"next": "/admin/users/?role=leader"}
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/users/?role=leader"
    db.session.refresh(staff.leader)
    assert not staff.leader.is_active_user
    resp = client.post(f"/admin/users/{staff.leader.id}/activate", data={"next": "https://evil.example/"})
    assert resp.headers["Location"] == f"/admin/users/{staff.leader.id}/edit"
    db.session.refresh(staff.leader)
    assert staff.leader.is_active_user


def test_deactivation_refusals(client, login_as, staff, db):
    login_as(staff.admin)
    resp = client.post(f"/admin/users/{staff.cadre.id}/deactivate", follow_redirects=True)
    assert "名下还有 1 家联系企业，请先办理交接" in flashes(resp)
    resp = client.post(f"/admin/users/{staff.admin.id}/deactivate", follow_redirects=True)
    assert "不能停用自己的账号" in flashes(resp)
    db.session.expire_all()
    assert staff.cadre.is_active_user and staff.admin.is_active_user


def test_admin_unlocks_a_locked_account(client, login_as, staff, db):
    staff.handler.locked_until = utcnow() + timedelta(minutes=10)
    staff.handler.failed_logins = 2
    login_as(staff.admin)
    resp = client.post(f"/admin/users/{staff.handler.id}/unlock", follow_redirects=True)
    assert "已解除 唐静 的登录锁定" in flashes(resp)
    db.session.refresh(staff.handler)
    assert staff.handler.locked_until is None and staff.handler.failed_logins == 0
    again = client.post(f"/admin/users/{staff.handler.id}/unlock", follow_redirects=True)
    assert "未被锁定" in flashes(again)


def test_unknown_user_is_404(client, login_as, staff):
    login_as(staff.admin)
    assert client.get("/admin/users/999999/edit").status_code == 404
    assert client.post("/admin/users/999999/deactivate").status_code == 404


def test_reference_page_lists_parks_departments_and_chains(client, login_as, staff):
    login_as(staff.admin)
    page = client.get("/admin/reference").get_data(as_text=True)
    assert "湘潭高新区" in page and "雨湖园区" in page and "税务局" in page and "市级" in page


def test_user_list_runs_a_constant_number_of_queries(client, login_as, staff, db, count_queries):
    login_as(staff.admin)
    client.get("/admin/users/")  # warm-up: first-request work is not what we measure
    with count_queries() as few:
        client.get("/admin/users/")
    for i in range(15):
        make_enterprise(staff.park, cadre=make_user("cadre", staff.park), assigned_by=staff.officer)
        make_user("handler", department=make_department(f"部门{i}"))
    db.session.commit()
    with count_queries() as many:
        client.get("/admin/users/")
    assert many.count == few.count
