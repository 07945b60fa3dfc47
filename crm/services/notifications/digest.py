"""每日汇总: users who chose the digest get one external message a day summarising their notifications
instead of one message each. The bell is unchanged: every notification is still there one by one.

A digest covers the notifications created since the user's previous digest (or the last day), so no
notification is skipped or summarised twice; it is itself a notification (born read, kind "digest",
key digest:<date>), which makes it idempotent and sends it through the normal delivery queue.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Optional

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Notification, NotificationPref, User
from crm.services.notifications.channels import enabled_channels
from crm.services.notifications.inbox import notify, user_channels
from crm.timeutil import utcnow

DIGEST_LINES = 30


def daily_digest(today: date, now: Optional[datetime] = None) -> dict[str, int]:
    """Create today's digest for each user who opted in and has a channel; counts users and digests."""
    now = now or utcnow()
    enabled = enabled_channels()
    if not enabled:
        return {"users": 0, "created": 0}
    rows = db.session.execute(
        select(User, NotificationPref)
        .join(NotificationPref, NotificationPref.user_id == User.id)
        .where(NotificationPref.daily_digest.is_(True), User.is_active_user.is_(True))
        .order_by(User.id)
    ).all()
    users = {user.id: user for user, pref in rows if user_channels(user, pref, enabled)}
    if not users:
        return {"users": 0, "created": 0}
    last_digest = dict(
        db.session.execute(
            select(Notification.user_id, func.max(Notification.created_at))
            .where(Notification.user_id.in_(users), Notification.kind == "digest")
            .group_by(Notification.user_id)
        ).all()
    )
    earliest = min([now - timedelta(days=1), *last_digest.values()])
    items: dict[int, list[Notification]] = defaultdict(list)
    for n in db.session.scalars(
        select(Notification)
        .where(
            Notification.user_id.in_(users),
            Notification.kind != "digest",
            Notification.created_at >= earliest,
            Notification.created_at < now,
        )
        .order_by(Notification.created_at, Notification.id)
    ):
        since = last_digest.get(n.user_id) or now - timedelta(days=1)
        if n.created_at >= since:
            items[n.user_id].append(n)
    created = 0
    for user_id, notes in items.items():
        unread = sum(1 for n in notes if n.read_at is None)
        lines = [f"{i}. {n.title}" for i, n in enumerate(notes[:DIGEST_LINES], 1)]
        if len(notes) > DIGEST_LINES:
            lines.append(f"……另有{len(notes) - DIGEST_LINES}条，请登录系统查看")
        created += bool(
            notify(
                users[user_id],
                "digest",
                f"每日提醒汇总（{today:%m月%d日}）：{len(notes)}条，其中未读{unread}条",
                "\n".join(lines),
                dedupe_key=f"digest:{today.isoformat()}",
                endpoint="notifications.index",
                now=now,
                read=True,
            )
        )
    return {"users": len(users), "created": created}
