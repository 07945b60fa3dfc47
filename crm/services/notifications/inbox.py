"""In-app notifications: create one exactly once, queue its external deliveries, read them, and each
user's channel preferences.

notify() inserts with INSERT … ON CONFLICT DO NOTHING on the (user_id, dedupe_key) unique constraint
(SQLite and PostgreSQL), so two jobs running at the same moment, or a job re-run after a crash, can
never create a second copy: the database decides, not a SELECT beforehand.
"""

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from crm.extensions import db
from crm.models import Delivery, Notification, NotificationPref, User
from crm.models.notification import CHANNELS, NOTIFICATION_KINDS
from crm.services import ServiceError
from crm.services.common.audit import record_audit
from crm.services.common.validators import control_char_error
from crm.services.notifications.channels import EMAIL_RE, enabled_channels
from crm.timeutil import utcnow

TITLE_MAX = 200
BODY_MAX = 4000


def _insert_once(values: dict[str, Any]) -> Optional[int]:
    """Insert the row unless (user_id, dedupe_key) exists; the new id, or None if it existed."""
    dialect = db.session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        stmt = (
            insert(Notification)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
            .returning(Notification.id)
        )
        return db.session.execute(stmt).scalar()
    # Any other database: a savepoint; the unique constraint's IntegrityError means "already there".
    row = Notification(**values)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return None
    return row.id


def notify(
    user: User,
    kind: str,
    title: str,
    body: str = "",
    *,
    dedupe_key: str,
    problem_id: Optional[int] = None,
    enterprise_id: Optional[int] = None,
    endpoint: Optional[str] = None,
    now: Optional[datetime] = None,
    read: bool = False,
) -> Optional[int]:
    """Give the user this notification once per dedupe_key and queue its external deliveries.

    Returns the new notification's id, or None when the user already has it (or is deactivated).
    read=True stores it as already read (a digest repeats what the bell already showed).
    """
    if user is None or not user.is_active_user:
        return None
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification kind {kind}")
    now = now or utcnow()
    new_id = _insert_once(
        {
            "user_id": user.id,
            "kind": kind,
            "title": title[:TITLE_MAX],
            "body": (body or "")[:BODY_MAX],
            "problem_id": problem_id,
            "enterprise_id": enterprise_id,
            "endpoint": endpoint,
            "dedupe_key": dedupe_key[:160],
            "created_at": now,
            "read_at": now if read else None,
        }
    )
    if new_id is not None:
        queue_deliveries(user, new_id, now, digest=kind == "digest")
    return new_id


def user_channels(user: User, pref: Optional[NotificationPref], enabled: set[str]) -> list[str]:
    """The external channels this user is reachable on now (chosen, switched on, address known)."""
    if pref is None:
        return []
    out = []
    for channel in CHANNELS:
        if channel not in (pref.channels or []) or channel not in enabled:
            continue
        if channel == "email" and not pref.email:
            continue
        out.append(channel)
    return out


def queue_deliveries(user: User, notification_id: int, now: datetime, digest: bool = False) -> int:
    """Queue one delivery per channel of the user (none for digest users: the digest carries them)."""
    pref = db.session.get(NotificationPref, user.id)
    if pref is None or (pref.daily_digest and not digest):
        return 0
    channels = user_channels(user, pref, enabled_channels())
    for channel in channels:
        db.session.add(
            Delivery(
                notification_id=notification_id,
                channel=channel,
                status="pending",
                next_attempt_at=now,
                created_at=now,
            )
        )
    db.session.flush()
    return len(channels)


def unread_count(user: User) -> int:
    """Unread notifications of the user (the bell): one COUNT on an index."""
    return db.session.execute(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    ).scalar_one()


def notification_list_query(user: User, unread_only: bool = False, kind: Optional[str] = None):
    """SELECT of the user's own notifications, newest first, optionally unread only or one kind."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if kind in NOTIFICATION_KINDS:
        stmt = stmt.where(Notification.kind == kind)
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


def mark_read(user: User, notification: Notification, now: Optional[datetime] = None) -> bool:
    """Mark one of the user's notifications read; False if it already was."""
    if notification.user_id != user.id:
        raise ServiceError("只能处理自己的通知")
    if notification.read_at is not None:
        return False
    notification.read_at = now or utcnow()
    db.session.flush()
    return True


def mark_all_read(user: User, now: Optional[datetime] = None) -> int:
    """Mark every unread notification of the user read; returns how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
    # An UPDATE returns a CursorResult, which Session.execute's stubs type as a plain Result.
    return result.rowcount or 0  # type: ignore[attr-defined]


def notification_pref(user: User) -> NotificationPref:
    """The user's preferences, or an unsaved row with the defaults (in-app only, no digest)."""
    return db.session.get(NotificationPref, user.id) or NotificationPref(
        user_id=user.id, email=None, channels=[], daily_digest=False
    )


def update_preferences(user: User, data: dict[str, Any]) -> NotificationPref:
    """Store the user's own channels, e-mail address and digest choice; audited.

    data: email, channels (list of channel names), daily_digest. Only channels an admin has switched on
    may be chosen; e-mail needs an address.
    """
    email = str(data.get("email") or "").strip()[:120] or None
    channels = [c for c in CHANNELS if c in set(data.get("channels") or [])]
    enabled = enabled_channels()
    errors = []
    if message := control_char_error(data.get("email"), "电子邮箱"):
        errors.append(message)
    elif email and not EMAIL_RE.match(email):
        errors.append("邮箱地址格式不正确")
    off = [CHANNELS[c] for c in channels if c not in enabled]
    if off:
        errors.append("管理员尚未开启：" + "、".join(off))
    if "email" in channels and not email:
        errors.append("选择电子邮件接收时请填写邮箱地址")
    if errors:
        raise ServiceError("；".join(errors))
    pref = db.session.get(NotificationPref, user.id)
    if pref is None:
        pref = NotificationPref(user_id=user.id)
        db.session.add(pref)
    pref.email, pref.channels, pref.daily_digest = email, channels, bool(data.get("daily_digest"))
    db.session.flush()
    summary = "修改通知设置：" + ("、".join(CHANNELS[c] for c in channels) or "仅站内通知")
    summary += "，每日汇总" if pref.daily_digest else ""
    record_audit(user, "user", user.id, "notification_prefs", summary)
    return pref
