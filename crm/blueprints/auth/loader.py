"""Who is signed in, asked on every request: Flask-Login's user loader and its way to the login page.

The session (and a remember cookie) holds "<id>:<generation>" (User.get_id). Once the account's sessions
have been ended, its id no longer matches: the request is anonymous, the stale id is forgotten and the
login page says 您的登录已失效，请重新登录 instead of 请先登录.
"""

from typing import Optional

from flask import current_app, flash, g, redirect, request, session
from flask_login import login_url
from flask_login.config import COOKIE_NAME

from crm.models import User
from crm.services.users.sessions import session_user

SESSION_ENDED = "您的登录已失效，请重新登录"


def load_user(session_id: str) -> Optional[User]:
    """The user this session or remember cookie names, or None (and a one-time message) if it has ended."""
    user = session_user(session_id)
    if user is None and not g.get("session_ended"):
        g.session_ended = True
        # Forget the ended id, and have Flask-Login delete a remember cookie carrying it, so that the
        # message is said once. (logout_user() cannot be called here: it would load the user again.)
        for key in ("_user_id", "_fresh", "_id"):
            session.pop(key, None)
        if current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies:
            session["_remember"] = "clear"
        flash(SESSION_ENDED, "warning")
    return user


def unauthorized():
    """To the login page with the page asked for as `next`, saying why."""
    manager = current_app.login_manager
    if not g.get("session_ended"):
        flash(manager.login_message, manager.login_message_category)
    return redirect(login_url(manager.login_view, next_url=request.url))
