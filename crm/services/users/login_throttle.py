"""Login throttle per client address, across usernames: at most LOGIN_IP_MAX_FAILURES failed logins in
LOGIN_IP_WINDOW_MINUTES from one address, then every login from it is refused until the window frees up.

The account lock-out (5 failures on one account) stops guessing one password; this stops one client
trying a few passwords on many accounts. Failures are rows in the database, so all gunicorn workers
count together. The address is request.remote_addr; X-Forwarded-For counts only when the app is
configured to sit behind trusted proxies (TRUSTED_PROXY_COUNT, applied by ProxyFix in create_app).
"""

from datetime import datetime, timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import delete, select

from crm.extensions import db
from crm.models import LoginFailure
from crm.services.common.validators import strip_control_chars


def _window() -> tuple[int, timedelta]:
    cfg = current_app.config
    return cfg["LOGIN_IP_MAX_FAILURES"], timedelta(minutes=cfg["LOGIN_IP_WINDOW_MINUTES"])


def login_block(client_ip: Optional[str], now: datetime) -> Optional[str]:
    """A Chinese refusal while the client has used up its failed logins, else None (one query)."""
    if not client_ip:
        return None
    limit, window = _window()
    recent = db.session.scalars(
        select(LoginFailure.at)
        .where(LoginFailure.client_ip == client_ip, LoginFailure.at > now - window)
        .order_by(LoginFailure.at.desc())
        .limit(limit)
    ).all()
    if len(recent) < limit:
        return None
    # Free again once the oldest of the last `limit` failures leaves the window.
    minutes = max(1, int((recent[-1] + window - now).total_seconds() // 60) + 1)
    return f"登录失败次数过多，当前网络地址已暂停登录，请 {minutes} 分钟后再试"


def record_login_failure(client_ip: Optional[str], username: str, now: datetime) -> None:
    """Count one failed login from this client; forget failures older than the window (all clients)."""
    if not client_ip:
        return
    _limit, window = _window()
    db.session.execute(delete(LoginFailure).where(LoginFailure.at <= now - window))
    typed = strip_control_chars(username or "")[:64]  # as typed, less what the log cannot hold (NUL)
    db.session.add(LoginFailure(client_ip=client_ip[:45], username=typed, at=now))
    db.session.flush()
