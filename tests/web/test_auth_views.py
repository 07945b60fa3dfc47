from crm.extensions import db as _db
from tests.support.factories import PASSWORD, make_user


def test_login_and_logout(client, db):
    make_user("officer", username="wang")
    db.session.commit()
    resp = client.post("/login", data={"username": "wang", "password": PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_five_failures_lock_for_fifteen_minutes(client, db):
    user = make_user("cadre", username="li")
    db.session.commit()
    for _ in range(4):
        body = client.post("/login", data={"username": "li", "password": "wrong"}).get_data(as_text=True)
        assert "用户名或密码错误" in body
    body = client.post("/login", data={"username": "li", "password": "wrong"}).get_data(as_text=True)
    assert "锁定" in body and "15" in body
    body = client.post("/login", data={"username": "li", "password": PASSWORD}).get_data(as_text=True)
    assert "锁定" in body and "分钟后再试" in body
    _db.session.refresh(user)
    assert user.locked_until is not None


def test_next_target_is_validated(client, db):
    make_user("officer", username="zhao")
    db.session.commit()
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        resp = client.post(f"/login?next={evil}", data={"username": "zhao", "password": PASSWORD})
        assert resp.headers["Location"] == "/"
        client.post("/logout")
    resp = client.post("/login?next=/enterprises/", data={"username": "zhao", "password": PASSWORD})
    assert resp.headers["Location"] == "/enterprises/"


def test_change_password_policy(client, login_as, db):
    user = make_user("cadre")
    login_as(user)
    resp = client.post(
        "/password", data={"old_password": PASSWORD, "new_password": "short", "confirm": "short"}
    )
    assert "至少8位" in resp.get_data(as_text=True)
    resp = client.post(
        "/password", data={"old_password": "nope", "new_password": "Newpass123", "confirm": "Newpass123"}
    )
    assert "原密码不正确" in resp.get_data(as_text=True)
    resp = client.post(
        "/password", data={"old_password": PASSWORD, "new_password": "Newpass123", "confirm": "Newpass123"}
    )
    assert resp.status_code == 302
    _db.session.refresh(user)
    assert user.check_password("Newpass123")


def test_inactive_user_cannot_log_in(client, db):
    user = make_user("cadre", username="gone")
    user.is_active_user = False
    db.session.commit()
    body = client.post("/login", data={"username": "gone", "password": PASSWORD}).get_data(as_text=True)
    assert "停用" in body


def test_security_headers(client, db):
    resp = client.get("/login")
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
