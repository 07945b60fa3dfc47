"""Login throttle per client address (20 failed logins in 10 minutes, across usernames), stored in the
database so every gunicorn worker counts together; X-Forwarded-For only behind a trusted proxy."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm import create_app
from crm.models import LoginFailure, User
from crm.timeutil import utcnow
from tests.support.factories import PASSWORD, make_user

ATTACKER, NEIGHBOUR = "203.0.113.7", "198.51.100.20"
BLOCKED = "登录失败次数过多，当前网络地址已暂停登录"


def _app_like(app, **overrides):
    """Another app instance on the same database (another gunicorn worker), config overridden."""
    settings = {k: v for k, v in app.config.items() if k.isupper()} | overrides
    return create_app(type("WorkerConfig", (), settings))


def _login(client, username, password, ip=ATTACKER, **headers):
    resp = client.post(
        "/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": ip},
        headers=headers,
    )
    return resp, resp.get_data(as_text=True)


def _fail_many(client, n=20, ip=ATTACKER, **headers):
    """n failed logins from one address, each on another name (no account reaches its own lock-out)."""
    for i in range(n):
        resp, body = _login(client, f"nobody{i}", "wrong-pass1", ip, **headers)
        assert resp.status_code == 200 and "用户名或密码错误" in body


@pytest.fixture()
def victim(db):
    user = make_user("officer", username="zhou")
    db.session.commit()
    return user


def _logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_twenty_failures_from_one_address_block_it_across_usernames(client, db, victim):
    _fail_many(client, 19)
    resp, body = _login(client, "zhou", PASSWORD)  # the 20th try is still allowed, and succeeds
    assert resp.status_code == 302 and _logged_in(client)
    client.post("/logout")
    _login(client, "zhou", "wrong-pass1")  # 20 failures now
    resp, body = _login(client, "zhou", PASSWORD)  # the right password no longer helps
    assert resp.status_code == 200 and BLOCKED in body and "请 10 分钟后再试" in body
    assert not _logged_in(client)
    db.session.expire_all()
    assert db.session.get(User, victim.id).locked_until is None  # the account itself is not locked
    # Refused attempts are not counted again (the window frees up on time).
    assert db.session.scalar(select(func.count(LoginFailure.id))) == 20


def test_another_address_still_logs_in(client, db, victim):
    _fail_many(client)
    assert BLOCKED in _login(client, "zhou", PASSWORD)[1]
    resp, _ = _login(client, "zhou", PASSWORD, ip=NEIGHBOUR)
    assert resp.status_code == 302 and _logged_in(client)


def _age(db, delta: timedelta) -> None:
    """Move every recorded failure back in time (portable: no date arithmetic in SQL)."""
    for row in db.session.scalars(select(LoginFailure)):
        row.at -= delta
    db.session.commit()


def test_the_block_lifts_when_the_window_passes(client, db, victim):
    _fail_many(client)
    _age(db, timedelta(minutes=6))
    assert "请 4 分钟后再试" in _login(client, "zhou", PASSWORD)[1]
    _age(db, timedelta(minutes=4, seconds=1))
    resp, _ = _login(client, "zhou", PASSWORD)
    assert resp.status_code == 302


def test_every_worker_sees_the_same_count(app, client, db, victim):
    """Failures through one app instance block the client in another: the count is in the database."""
    other_worker = _app_like(app).test_client()
    _fail_many(client, 10)
    _fail_many(other_worker, 10)
    for c in (client, other_worker):
        assert BLOCKED in _login(c, "zhou", PASSWORD)[1]


def test_old_failures_are_purged(client, db, victim):
    old = utcnow() - timedelta(minutes=30)
    db.session.add_all([LoginFailure(client_ip=NEIGHBOUR, username="x", at=old) for _ in range(50)])
    db.session.commit()
    _login(client, "nobody", "wrong-pass1")
    assert db.session.scalar(select(func.count(LoginFailure.id))) == 1


def test_locked_account_tries_count_and_a_disabled_account_with_its_password_does_not(client, db, victim):
    gone = make_user("cadre", username="gone")
    gone.is_active_user = False
    db.session.commit()
    assert "该账号已停用" in _login(client, "gone", PASSWORD)[1]
    assert db.session.scalar(select(func.count(LoginFailure.id))) == 0
    _login(client, "gone", "wrong-pass1")
    for _ in range(5):
        _login(client, "zhou", "wrong-pass1")  # the fifth locks the account
    assert "账号已锁定" in _login(client, "zhou", PASSWORD)[1]
    assert db.session.scalar(select(func.count(LoginFailure.id))) == 7


def test_forwarded_for_is_ignored_without_a_trusted_proxy(client, db, victim):
    """Without TRUSTED_PROXY_COUNT a client cannot dodge the throttle by inventing X-Forwarded-For."""
    assert client.application.config["TRUSTED_PROXY_COUNT"] == 0
    for i in range(20):
        _login(client, f"nobody{i}", "wrong-pass1", **{"X-Forwarded-For": f"10.0.0.{i}"})
    body = _login(client, "zhou", PASSWORD, **{"X-Forwarded-For": "10.9.9.9"})[1]
    assert BLOCKED in body
    assert set(db.session.scalars(select(LoginFailure.client_ip))) == {ATTACKER}


def test_behind_a_trusted_proxy_the_forwarded_client_counts(app, db, victim):
    """Behind one proxy (127.0.0.1 here) the client is the address the proxy appended, not a forged one."""
    proxied = _app_like(app, TRUSTED_PROXY_COUNT=1).test_client()
    forged = {"X-Forwarded-For": "10.9.9.9, 10.0.0.1"}  # the client wrote 10.9.9.9; the proxy added .1
    _fail_many(proxied, ip="127.0.0.1", **forged)
    assert set(db.session.scalars(select(LoginFailure.client_ip))) == {"10.0.0.1"}
    assert BLOCKED in _login(proxied, "zhou", PASSWORD, "127.0.0.1", **{"X-Forwarded-For": "10.0.0.1"})[1]
    resp, _ = _login(proxied, "zhou", PASSWORD, "127.0.0.1", **{"X-Forwarded-For": "10.0.0.2"})
    assert resp.status_code == 302


def test_limits_are_the_documented_ones(app):
    assert app.config["LOGIN_IP_MAX_FAILURES"] == 20 and app.config["LOGIN_IP_WINDOW_MINUTES"] == 10
