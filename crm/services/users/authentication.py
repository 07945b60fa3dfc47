"""Proving who one is: the login with its lock-out and per-address throttle, and changing one's own
password, whose old-password check counts toward the same lock-out.

A failed login says 用户名或密码错误 and nothing more, after the same work, whether the name exists or
not: an unknown name is checked against a dummy hash made like the stored ones. Only a locked account
says so (and when it unlocks).
"""

from datetime import datetime, timedelta
from functools import cache
from secrets import token_hex
from typing import Optional

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from crm.extensions import db
from crm.models import User
from crm.services import RecordedRefusal, ServiceError
from crm.services.common.audit import record_audit
from crm.services.common.validators import has_control_chars
from crm.services.users.accounts import is_locked, password_error
from crm.services.users.login_throttle import login_block, record_login_failure
from crm.services.users.sessions import end_sessions

WRONG_CREDENTIALS = "用户名或密码错误"


@cache
def _dummy_hash() -> str:
    """A hash of a random password made the way User.set_password makes every stored one (same method and
    cost), once per process."""
    return generate_password_hash(token_hex(16))


def _password_matches(user: Optional[User], password: str) -> bool:
    """Check the password against the user's hash, or against the dummy when there is no such user."""
    if user is None:
        check_password_hash(_dummy_hash(), password)  # the same work as a real check, result ignored
        return False
    return user.check_password(password)


def _locked_message(user: User, now: datetime) -> str:
    assert user.locked_until is not None
    minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
    return f"连续登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试"


def _count_failure(user: User, now: datetime) -> Optional[str]:
    """Count one wrong password on the account; the lock message when this one locks it, else None."""
    cfg = current_app.config
    # Counted in SQL, so that guesses sent in parallel cannot overwrite each other's count.
    user.failed_logins = User.failed_logins + 1
    db.session.flush()
    if user.failed_logins < cfg["LOGIN_MAX_FAILURES"]:
        return None
    user.failed_logins = 0
    user.locked_until = now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
    db.session.flush()
    return f"连续{cfg['LOGIN_MAX_FAILURES']}次密码错误，账号已锁定{cfg['LOGIN_LOCK_MINUTES']}分钟"


def authenticate(
    username: str, password: str, now: datetime, client_ip: Optional[str] = None
) -> tuple[Optional[User], Optional[str]]:
    """Check credentials with the client throttle and the account lock-out; returns (user, None) or
    (None, Chinese error). Wrong names, wrong passwords and tries on a locked account count against
    the client; the right password of a disabled account does not."""
    if (blocked := login_block(client_ip, now)) is not None:
        return None, blocked  # the password is not even checked: nothing to learn from the answer
    user, error = _check_credentials(username, password, now)
    if user is None:
        record_login_failure(client_ip, username, now)
    return (user, None) if error is None else (None, error)


def _check_credentials(username: str, password: str, now: datetime) -> tuple[Optional[User], Optional[str]]:
    """(user, None) on success; (None, error) for a bad attempt; (user, error) for a disabled account."""
    login_name = (username or "").strip().lower()
    # No account has a name with control characters, and PostgreSQL cannot even compare one with NUL.
    query = select(User).where(func.lower(User.username) == login_name)
    user = None if has_control_chars(login_name) else db.session.scalar(query)
    matches = _password_matches(user, password or "")
    if user is None:
        return None, WRONG_CREDENTIALS
    if is_locked(user, now):
        return None, _locked_message(user, now)
    if not matches:
        return None, _count_failure(user, now) or WRONG_CREDENTIALS
    if not user.is_active_user:
        return user, "该账号已停用，请联系管理员"
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user, None


def change_password(user: User, old: str, new: str, now: datetime) -> None:
    """Change one's own password after checking the old one and the policy, which ends every session of
    the account (the caller signs its own session in again).

    A wrong old password counts toward the login lock-out and is raised as a RecordedRefusal, so the
    boundary keeps the count; the failure that locks the account also ends every session. While the
    account is locked the old password is not even checked.
    """
    if is_locked(user, now):
        raise ServiceError(_locked_message(user, now))
    if not user.check_password(old or ""):
        if (locked := _count_failure(user, now)) is not None:
            end_sessions(user)
            raise RecordedRefusal(f"原密码不正确，{locked}，请在解锁后重新登录")
        raise RecordedRefusal("原密码不正确")
    if old == new:
        raise ServiceError("新密码不能与原密码相同")
    if (msg := password_error(new)) is not None:
        raise ServiceError(msg)
    user.set_password(new)
    user.failed_logins = 0
    end_sessions(user)
    record_audit(user, "user", user.id, "password", "修改密码")
