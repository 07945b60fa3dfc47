"""Rate limits of the firm's public page, counted in the database (every gunicorn worker counts together).

Each accepted post adds one PortalHit per bucket: the service code ("code:<id>") and the client address
("addr:<address>"). A post that would exceed either limit in the window is refused with a Chinese
message and nothing is kept (the view rolls back), so a burst of a hundred posts writes the allowed few
and nothing more. The count and the insert are one atomic step across workers: on PostgreSQL a
transaction-scoped advisory lock per bucket; on SQLite the purge of old rows comes first, and being a
write it takes the database's one write lock before anything is counted.
"""

import hashlib
import math
from datetime import datetime, timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import delete, func, select, text

from crm.extensions import db
from crm.models import PortalHit
from crm.services import ServiceError

# kind -> (config key of the per-code limit, of the per-address limit, what is limited, in Chinese)
LIMITS = {
    "submit": ("PORTAL_SUBMITS_PER_CODE", "PORTAL_SUBMITS_PER_ADDRESS", "提交诉求"),
    "act": ("PORTAL_ACTIONS_PER_CODE", "PORTAL_ACTIONS_PER_ADDRESS", "评价和确认"),
}
DEFAULTS = {
    "PORTAL_SUBMITS_PER_CODE": 5,
    "PORTAL_SUBMITS_PER_ADDRESS": 10,
    "PORTAL_ACTIONS_PER_CODE": 30,
    "PORTAL_ACTIONS_PER_ADDRESS": 60,
    "PORTAL_WINDOW_MINUTES": 60,
}


class RateLimited(ServiceError):
    """Too many posts in the window; the message says when to try again."""


def _setting(name: str) -> int:
    return int(current_app.config.get(name) or DEFAULTS[name])


def window() -> timedelta:
    return timedelta(minutes=_setting("PORTAL_WINDOW_MINUTES"))


def _lock(bucket: str) -> None:
    """Serialise writers of one bucket until the transaction ends (PostgreSQL; a no-op elsewhere)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(f"portal:{bucket}".encode()).digest()[:8], "big", signed=True)
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def admit(kind: str, code_id: int, address: Optional[str], now: datetime) -> None:
    """Count one post of this kind for the code and the client address, or refuse it (RateLimited).

    One query counts both buckets; the refusal writes nothing.
    """
    per_code, per_address, what = LIMITS[kind]
    buckets = {f"code:{code_id}": _setting(per_code)}
    if address:
        buckets[f"addr:{address[:45]}"] = _setting(per_address)
    for bucket in sorted(buckets):
        _lock(bucket)
    span = window()
    since = now - span
    # First, so that on SQLite this transaction holds the write lock while it counts.
    db.session.execute(delete(PortalHit).where(PortalHit.at <= since))
    rows = db.session.execute(
        select(PortalHit.bucket, func.count(), func.min(PortalHit.at))
        .where(PortalHit.kind == kind, PortalHit.bucket.in_(buckets), PortalHit.at > since)
        .group_by(PortalHit.bucket)
    ).all()
    hour = span.total_seconds() / 3600
    period = "每小时" if hour == 1 else f"每{span.total_seconds() / 60:g}分钟"
    for bucket, count, oldest in rows:
        limit = buckets[bucket]
        if count >= limit:
            minutes = max(1, math.ceil((oldest + span - now).total_seconds() / 60))
            who = "该企业服务码" if bucket.startswith("code:") else "当前网络"
            raise RateLimited(
                f"{who}{what}过于频繁（{period}最多{limit}次），请 {minutes} 分钟后再试；"
                "如有急事，请直接致电联系干部。"
            )
    db.session.add_all(PortalHit(kind=kind, bucket=bucket, at=now) for bucket in buckets)
    db.session.flush()
