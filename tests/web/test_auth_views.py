import re
import statistics
import time

from crm.extensions import db as _db
from tests.support.factories import PASSWORD, make_user

ALERT = re.compile(r'<div class="alert alert-danger[^"]*"[^>]*>\s*(.*?)\s*<', re.S)


def _alert(body: str) -> str:
    """The text of the page's error message (the one flashed by the login)."""
    found = ALERT.findall(body)
    assert len(found) == 1, found
    return found[0]


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
        assert _alert(body) == "用户名或密码错误"  # no 再错N次: that would tell the name exists
    body = client.post("/login", data={"username": "li", "password": "wrong"}).get_data(as_text=True)
    assert _alert(body) == "连续5次密码错误，账号已锁定15分钟"
    body = client.post("/login", data={"username": "li", "password": PASSWORD}).get_data(as_text=True)
    assert "锁定" in body and "分钟后再试" in body
    _db.session.refresh(user)
    assert user.locked_until is not None


def test_unknown_name_and_wrong_password_get_the_same_answer(client, db):
    make_user("cadre", username="known")
    db.session.commit()
    unknown = client.post("/login", data={"username": "unknown", "password": "Wrong-pass1"})
    known = client.post("/login", data={"username": "known", "password": "Wrong-pass1"})
    assert unknown.status_code == known.status_code == 200
    assert (
        _alert(unknown.get_data(as_text=True)) == _alert(known.get_data(as_text=True)) == "用户名或密码错误"
    )


def test_unknown_name_and_wrong_password_take_the_same_time(app, client, db, monkeypatch):
    """An unknown name is checked against a dummy hash: the medians stay within 2× of each other (they
    were 8 ms against 150 ms when only real accounts were hashed)."""
    make_user("cadre", username="timed")
    db.session.commit()
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 1000)  # the account never locks meanwhile

    def seconds(username: str, client_ip: str) -> float:
        start = time.perf_counter()
        resp = client.post(
            "/login",
            data={"username": username, "password": "Wrong-pass1"},
            environ_base={"REMOTE_ADDR": client_ip},  # one address per name: the throttle allows 20
        )
        elapsed = time.perf_counter() - start
        assert _alert(resp.get_data(as_text=True)) == "用户名或密码错误"
        return elapsed

    seconds("nobody", "198.51.100.1")  # warm-up: the dummy hash is made on first use
    seconds("timed", "198.51.100.2")
    unknown, known = [], []
    for i in range(10):  # interleaved, so that a busy moment of the machine slows both alike
        unknown.append(seconds(f"nobody{i}", "198.51.100.1"))
        known.append(seconds("timed", "198.51.100.2"))
    slow, fast = sorted([statistics.median(unknown), statistics.median(known)], reverse=True)
    assert slow / fast < 2, (statistics.median(unknown), statistics.median(known))


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
