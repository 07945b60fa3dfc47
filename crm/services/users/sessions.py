"""Sessions that really end. A signed-in session (and a remember cookie) carries "<id>:<generation>"
(User.get_id); the account's generation rises to end every session it has handed out, on every device,
so a copied cookie stops working the moment its owner logs out, changes or is reset a password, or is
deactivated. The cookie itself is signed, so the generation in it cannot be forged.
"""

from typing import Optional

from crm.extensions import db
from crm.models import User
from crm.services.common.audit import record_audit


def session_user(session_id: str) -> Optional[User]:
    """The active user a session id names, or None when it is malformed, unknown, of a disabled account or
    of a generation that has since been ended (one query)."""
    user_id, sep, generation = (session_id or "").partition(":")
    if not sep or not user_id.isdigit() or not generation.isdigit():
        return None  # includes the bare ids of sessions signed in before generations existed
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active_user or user.session_generation != int(generation):
        return None
    return user


def end_sessions(user: User) -> None:
    """End every session of the account on every device (the next request of each is sent to the login)."""
    # In SQL, so that two requests ending sessions at once both count.
    user.session_generation = User.session_generation + 1
    db.session.flush()


def end_other_sessions(user: User) -> None:
    """退出其他设备: end every session of the account; the caller signs its own session in again."""
    end_sessions(user)
    record_audit(user, "user", user.id, "end_sessions", "退出其他设备上的登录")
