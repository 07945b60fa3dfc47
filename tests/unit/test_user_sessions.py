"""Session generations and the login's answers, at the service level (the views: tests/web/test_sessions.py
and test_auth_views.py)."""

from datetime import datetime

import pytest
from sqlalchemy import select

from crm.models import AuditLog
from crm.services import RecordedRefusal, ServiceError
from crm.services.users.accounts import reset_password, set_active
from crm.services.users.authentication import _dummy_hash, authenticate, change_password
from crm.services.users.sessions import end_other_sessions, end_sessions, session_user
from tests.support.factories import PASSWORD, make_user

NOW = datetime(2026, 11, 2, 8, 0)


def test_a_session_id_names_the_user_and_the_generation(db):
    user = make_user("cadre")
    assert user.get_id() == f"{user.id}:0"
    assert session_user(user.get_id()) is user
    for stale in (str(user.id), f"{user.id}:1", f"{user.id}:", "x:0", f"{user.id}:0:0", "", "999999:0"):
        assert session_user(stale) is None, stale
    end_sessions(user)
    assert user.session_generation == 1 and session_user(f"{user.id}:0") is None
    assert session_user(user.get_id()) is user


def test_a_disabled_account_has_no_session(db):
    user = make_user("cadre")
    user.is_active_user = False
    assert session_user(user.get_id()) is None


def test_what_ends_the_sessions(db):
    admin, user = make_user("admin"), make_user("leader")
    reset_password(user, "Newpass2026", admin)
    assert user.session_generation == 1
    set_active(user, False, admin)
    assert user.session_generation == 2
    set_active(user, True, admin)  # enabling does not end anything (and revives nothing)
    assert user.session_generation == 2
    change_password(user, "Newpass2026", "Other2026x", NOW)
    assert user.session_generation == 3
    end_other_sessions(user)
    assert user.session_generation == 4
    assert db.session.scalar(select(AuditLog.summary).where(AuditLog.action == "end_sessions"))


def test_unknown_names_are_checked_against_a_hash_made_like_the_stored_ones(db):
    user = make_user("cadre")
    # method:cost (e.g. scrypt:32768:8:1) is what decides how long a check takes
    assert _dummy_hash().split("$")[0] == user.password_hash.split("$")[0]


def test_the_login_answers_alike_until_the_account_locks(db):
    make_user("cadre", username="c1")
    assert authenticate("nobody", "Wrong-pass1", NOW) == (None, "用户名或密码错误")
    for _ in range(4):
        assert authenticate("c1", "Wrong-pass1", NOW) == (None, "用户名或密码错误")
    assert authenticate("c1", "Wrong-pass1", NOW) == (None, "连续5次密码错误，账号已锁定15分钟")
    user, error = authenticate("c1", PASSWORD, NOW)
    assert user is None and error.startswith("连续登录失败次数过多，账号已锁定，请 ")


def test_a_wrong_old_password_counts_toward_the_lock(db):
    user = make_user("cadre")
    user.failed_logins = 3
    db.session.flush()
    with pytest.raises(RecordedRefusal, match="^原密码不正确$"):
        change_password(user, "Wrong-pass1", "Newpass2026", NOW)
    assert user.failed_logins == 4 and user.session_generation == 0
    with pytest.raises(RecordedRefusal, match="账号已锁定15分钟"):
        change_password(user, "Wrong-pass1", "Newpass2026", NOW)
    assert user.locked_until is not None and user.session_generation == 1
    with pytest.raises(ServiceError, match="账号已锁定") as refused:  # not even the right one, meanwhile
        change_password(user, PASSWORD, "Newpass2026", NOW)
    assert not isinstance(refused.value, RecordedRefusal)
    assert user.check_password(PASSWORD)
