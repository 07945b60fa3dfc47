"""Sessions that really end: a cookie copied from a signed-in browser stops working once its account's
sessions are ended (logout, password change, an administrator's reset, deactivation, 退出其他设备), and so
does a remember cookie from before. Each test signs in through the real /login form and copies the
session cookie into a second client, as someone who lifted it would."""

from datetime import timedelta

from flask_login.utils import encode_cookie

from crm.models import User
from crm.timeutil import utcnow
from tests.support.factories import PASSWORD, make_user

ENDED = "您的登录已失效，请重新登录"
NEW_PASSWORD = "Newpass2026"


def _signed_in(app, username, password=PASSWORD):
    """A new browser signed in through the login form."""
    browser = app.test_client()
    resp = browser.post("/login", data={"username": username, "password": password})
    assert resp.status_code == 302 and "/login" not in resp.headers["Location"], resp.get_data(as_text=True)
    return browser


def _copy(app, browser):
    """Another client holding a copy of the browser's session cookie."""
    thief = app.test_client()
    cookie = browser.get_cookie("session")
    thief.set_cookie(cookie.key, cookie.value)
    return thief


def _in(browser) -> bool:
    return browser.get("/enterprises/").status_code == 200  # a page every role may open


def _refused(browser) -> bool:
    """Sent to the login page, which says the session has ended."""
    resp = browser.get("/enterprises/")
    if resp.status_code != 302 or "/login?next=" not in resp.headers["Location"]:
        return False
    page = browser.get(resp.headers["Location"]).get_data(as_text=True)
    return ENDED in page and "请先登录" not in page


def _reload(db, user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_logout_ends_a_copied_session(app, db):
    make_user("officer", username="wang")
    db.session.commit()
    browser = _signed_in(app, "wang")
    thief = _copy(app, browser)
    assert _in(thief)
    browser.post("/logout")
    assert not _in(browser)
    assert _refused(thief)
    assert _in(_signed_in(app, "wang"))  # and a new login works as before


def test_password_change_ends_other_sessions_and_keeps_this_one(app, db):
    user = make_user("cadre", username="li")
    db.session.commit()
    browser, laptop = _signed_in(app, "li"), _signed_in(app, "li")
    thief = _copy(app, browser)
    resp = browser.post(
        "/password",
        data={"old_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        follow_redirects=True,
    )
    assert "密码已修改，其他设备上的登录已退出" in resp.get_data(as_text=True)
    assert _in(browser)
    assert _refused(laptop) and _refused(thief)
    assert _reload(db, user).check_password(NEW_PASSWORD)


def test_an_administrators_password_reset_ends_the_users_sessions(app, db):
    make_user("admin", username="root")
    user = make_user("cadre", username="zhang")
    db.session.commit()
    victim = _signed_in(app, "zhang")
    thief = _copy(app, victim)
    admin = _signed_in(app, "root")
    resp = admin.post(
        f"/admin/users/{user.id}/password", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert resp.status_code == 302
    assert _in(admin)
    assert _refused(victim) and _refused(thief)
    assert _in(_signed_in(app, "zhang", NEW_PASSWORD))


def test_deactivation_ends_the_sessions_and_reactivation_does_not_revive_them(app, db):
    make_user("admin", username="root")
    user = make_user("leader", username="zhao")
    db.session.commit()
    browser = _signed_in(app, "zhao")
    thief = _copy(app, browser)
    admin = _signed_in(app, "root")
    assert admin.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert not _reload(db, user).is_active_user
    assert _refused(thief)
    assert admin.post(f"/admin/users/{user.id}/activate").status_code == 302
    assert not _in(browser)
    assert _in(_signed_in(app, "zhao"))


def test_logout_others_ends_every_other_session_and_keeps_this_one(app, db):
    make_user("officer", username="sun")
    db.session.commit()
    browser, phone = _signed_in(app, "sun"), _signed_in(app, "sun")
    thief = _copy(app, browser)
    assert "退出其他设备" in browser.get("/password").get_data(as_text=True)
    resp = browser.post("/logout-others", follow_redirects=True)
    assert "已退出其他设备上的登录" in resp.get_data(as_text=True)
    assert _in(browser)
    assert _refused(phone) and _refused(thief)
    # Only the sessions from before end: signing in again afterwards works on every device.
    assert _in(_signed_in(app, "sun"))


def _remember_cookie(app, session_id: str) -> str:
    with app.test_request_context():
        return encode_cookie(session_id)


def _remembered(app, cookie: str):
    """A browser whose session has expired but that still holds a remember cookie."""
    browser = app.test_client()
    browser.set_cookie(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"), cookie)
    return browser


def test_a_remember_cookie_from_before_the_sessions_ended_is_refused(app, db):
    user = make_user("officer", username="qian")
    db.session.commit()
    cookie = _remember_cookie(app, user.get_id())
    assert _in(_remembered(app, cookie))  # a current one signs the browser in
    _signed_in(app, "qian").post("/logout")
    stale = _remembered(app, cookie)
    assert _refused(stale)
    assert stale.get_cookie("remember_token") is None  # and is deleted, not offered again
    # An id without a generation, as remembered before generations existed, is refused as well.
    assert _refused(_remembered(app, _remember_cookie(app, str(user.id))))


def test_a_session_from_before_generations_is_refused(app, db):
    user = make_user("cadre", username="legacy")
    db.session.commit()
    browser = app.test_client()
    with browser.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = str(user.id), True  # the bare id sessions used to carry
    assert _refused(browser)


def test_the_login_page_says_once_that_the_session_ended(app, db):
    make_user("officer", username="zhou")
    db.session.commit()
    browser = _signed_in(app, "zhou")
    thief = _copy(app, browser)
    browser.post("/logout")
    assert ENDED in thief.get("/login").get_data(as_text=True)
    assert ENDED not in thief.get("/login").get_data(as_text=True)
    resp = thief.get("/enterprises/", follow_redirects=True)
    assert "请先登录" in resp.get_data(as_text=True)


# --- /password: old-password guesses count toward the login lock-out --------------------------------


def _change(browser, old):
    return browser.post(
        "/password", data={"old_password": old, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )


def test_old_password_guesses_lock_the_account_and_end_its_sessions(app, db):
    user = make_user("cadre", username="guess")
    db.session.commit()
    browser, phone = _signed_in(app, "guess"), _signed_in(app, "guess")
    for _ in range(4):
        body = _change(browser, "Wrong-guess1").get_data(as_text=True)
        assert "原密码不正确" in body and "再错" not in body
    assert _reload(db, user).failed_logins == 4
    resp = _change(browser, "Wrong-guess1")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    body = browser.get(resp.headers["Location"]).get_data(as_text=True)
    assert "账号已锁定15分钟" in body and "请在解锁后重新登录" in body
    assert not _in(browser) and _refused(phone)
    user = _reload(db, user)
    assert user.locked_until is not None and user.check_password(PASSWORD)
    # The right password does not help until the lock ends; then it signs in again.
    body = (
        app.test_client()
        .post("/login", data={"username": "guess", "password": PASSWORD})
        .get_data(as_text=True)
    )
    assert "账号已锁定" in body
    user.locked_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert _in(_signed_in(app, "guess"))


def test_login_failures_and_old_password_failures_share_one_count(app, db):
    user = make_user("cadre", username="mixed")
    db.session.commit()
    browser = _signed_in(app, "mixed")
    for _ in range(3):
        app.test_client().post("/login", data={"username": "mixed", "password": "Wrong-guess1"})
    assert "原密码不正确" in _change(browser, "Wrong-guess1").get_data(as_text=True)
    assert _change(browser, "Wrong-guess1").status_code == 302  # the fifth wrong password in all
    assert _reload(db, user).locked_until is not None and not _in(browser)


def test_a_locked_account_cannot_guess_the_old_password_and_keeps_its_session(app, db):
    user = make_user("cadre", username="held")
    db.session.commit()
    browser = _signed_in(app, "held")
    user = _reload(db, user)
    user.locked_until = utcnow() + timedelta(minutes=10)  # locked by someone guessing at the login page
    db.session.commit()
    body = _change(browser, PASSWORD).get_data(as_text=True)
    assert "账号已锁定" in body
    user = _reload(db, user)
    assert user.check_password(PASSWORD) and user.failed_logins == 0
    assert _in(browser)


def test_a_right_old_password_clears_the_count(app, db):
    user = make_user("cadre", username="clear")
    db.session.commit()
    browser = _signed_in(app, "clear")
    _change(browser, "Wrong-guess1")
    assert _reload(db, user).failed_logins == 1
    assert _change(browser, PASSWORD).status_code == 302
    assert _reload(db, user).failed_logins == 0
