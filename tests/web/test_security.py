"""Security hardening proven route by route: CSRF on every state-changing request, production settings,
headers, and the password policy wherever a password is set. Elsewhere: upload limits
(test_upload_limits.py), login throttle (test_login_throttle.py), redirects (test_redirects.py), every
route × role (test_permission_matrix.py), gunicorn in production (tests/smoke/test_production.py)."""

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from config import DEFAULT_SECRET, ProductionConfig
from crm import create_app
from crm.models import User
from tests.support.factories import PASSWORD, make_user

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture()
def csrf_app(app):
    """The same database as the suite's app, with CSRF protection switched on as in production."""
    settings = {k: v for k, v in app.config.items() if k.isupper()} | {"WTF_CSRF_ENABLED": True}
    return create_app(type("CsrfConfig", (), settings))


def _sample_url(app, rule) -> str:
    """A concrete URL for a rule: 1 for every int argument, a token-like string otherwise."""
    values = {
        name: 1 if isinstance(conv, IntegerConverter) else "x1" for name, conv in rule._converters.items()
    }
    return app.url_map.bind("localhost").build(rule.endpoint, values, method=sorted(rule.methods)[0])


def test_every_state_changing_route_refuses_a_request_without_csrf_token(csrf_app, db):
    admin = make_user("admin", username="csrf_admin")
    db.session.commit()
    client = csrf_app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = admin.get_id()
        sess["_fresh"] = True
    checked = []
    for rule in csrf_app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            resp = client.open(_sample_url(csrf_app, rule), method=method, data={"note": "x"})
            assert resp.status_code == 400, (rule.rule, method, resp.status_code)
            assert "页面已过期" in resp.get_data(as_text=True)
            checked.append((rule.endpoint, method))
    assert len(checked) >= 20  # the walk really covered the application's forms


def test_login_post_without_token_is_refused(csrf_app, db):
    make_user("officer", username="csrf_officer")
    db.session.commit()
    resp = csrf_app.test_client().post("/login", data={"username": "csrf_officer", "password": "x"})
    assert resp.status_code == 400


def test_production_refuses_the_default_secret(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", DEFAULT_SECRET)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_session_cookie_is_secure_httponly_lax(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "a-long-random-test-secret-0123456789")
    app = create_app(ProductionConfig)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_security_headers_on_every_kind_of_response(client, db):
    for path in ("/login", "/does-not-exist", "/static/css/app.css"):
        headers = client.get(path).headers
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "same-origin", path
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path


WEAK = [
    ("abc123", "密码至少8位"),
    ("12345678", "密码需同时包含字母和数字"),
    ("abcdefgh", "密码需同时包含字母和数字"),
]


def _hash(db, user) -> str:
    db.session.expire_all()
    return db.session.get(User, user.id).password_hash


@pytest.mark.parametrize("weak, message", WEAK)
def test_password_policy_on_changing_ones_own(client, login_as, db, weak, message):
    user = make_user("cadre", username="own_pw")
    before = _hash(db, user)
    resp = login_as(user).post(
        "/password", data={"old_password": PASSWORD, "new_password": weak, "confirm": weak}
    )
    assert resp.status_code == 200 and message in resp.get_data(as_text=True)
    assert _hash(db, user) == before


@pytest.mark.parametrize("weak, message", WEAK)
def test_password_policy_on_an_admin_reset(client, login_as, db, weak, message):
    admin, user = make_user("admin", username="pw_admin"), make_user("leader", username="pw_target")
    before = _hash(db, user)
    resp = login_as(admin).post(f"/admin/users/{user.id}/password", data={"password": weak, "confirm": weak})
    assert resp.status_code == 200 and message in resp.get_data(as_text=True)
    assert _hash(db, user) == before


@pytest.mark.parametrize("weak, message", WEAK)
def test_password_policy_on_creating_a_user(client, login_as, db, weak, message):
    admin = make_user("admin", username="pw_admin")
    data = {"username": "newbie", "name": "新用户", "role": "leader", "password": weak, "confirm": weak}
    resp = login_as(admin).post("/admin/users/new", data=data)
    assert resp.status_code == 200 and message in resp.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "newbie")) is None


@pytest.mark.parametrize("weak, message", WEAK)
def test_password_policy_on_the_command_line(runner, db, weak, message):
    args = ["crm", "create-user", "--username", "clinew", "--name", "张三", "--role", "leader"]
    result = runner.invoke(args=[*args, "--password", weak])
    assert result.exit_code != 0 and message in result.output
    assert db.session.scalar(select(User).where(User.username == "clinew")) is None


def test_password_policy_holds_in_production():
    assert ProductionConfig.PASSWORD_MIN_LENGTH >= 8
