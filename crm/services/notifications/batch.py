"""Many notifications at once, for the city-wide reminder jobs.

Same guarantees as notify() — a (user, dedupe_key) pair is created at most once, by the database
(INSERT … ON CONFLICT DO NOTHING) — but rows go in by the hundred, and the users' channel choices
are read once per chunk, so a job that reminds 30,000 people does not run 90,000 statements.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import Row, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crm.extensions import db
from crm.models import Delivery, Notification, NotificationPref, User
from crm.models.notification import NOTIFICATION_KINDS
from crm.services.notifications.channels import enabled_channels
from crm.services.notifications.inbox import BODY_MAX, TITLE_MAX, notify, user_channels
from crm.timeutil import utcnow

CHUNK = 500


class NotificationBatch:
    """Collect notifications with add(); they are written every CHUNK rows and by flush()."""

    def __init__(self, now: Optional[datetime] = None):
        self.now = now or utcnow()
        self.created = 0
        self._rows: list[dict[str, Any]] = []
        self._users: dict[int, User] = {}
        self._enabled: Optional[set[str]] = None

    def add(
        self,
        user: Optional[User],
        kind: str,
        title: str,
        body: str = "",
        *,
        dedupe_key: str,
        problem_id: Optional[int] = None,
        enterprise_id: Optional[int] = None,
        endpoint: Optional[str] = None,
    ) -> None:
        """Queue one notification (skipped for a missing or deactivated user, like notify())."""
        if user is None or not user.is_active_user:
            return
        if kind not in NOTIFICATION_KINDS:
            raise ValueError(f"unknown notification kind {kind}")
        self._users[user.id] = user
        self._rows.append(
            {
                "user_id": user.id,
                "kind": kind,
                "title": title[:TITLE_MAX],
                "body": (body or "")[:BODY_MAX],
                "problem_id": problem_id,
                "enterprise_id": enterprise_id,
                "endpoint": endpoint,
                "dedupe_key": dedupe_key[:160],
                "created_at": self.now,
                "read_at": None,
            }
        )
        if len(self._rows) >= CHUNK:
            self.flush()

    def flush(self) -> int:
        """Write what was added so far; returns the number of notifications created in total."""
        rows, self._rows = self._rows, []
        if not rows:
            return self.created
        dialect = db.session.get_bind().dialect.name
        if dialect not in ("sqlite", "postgresql"):  # elsewhere: one by one, through notify()
            for row in rows:
                user = self._users[row.pop("user_id")]
                row.pop("created_at"), row.pop("read_at")
                self.created += notify(user, now=self.now, **row) is not None
            return self.created
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        stmt = (
            insert(Notification)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
            .returning(Notification.id, Notification.user_id)
        )
        created = db.session.execute(stmt).all()
        self.created += len(created)
        self._queue_deliveries(created)
        return self.created

    def _queue_deliveries(self, created: Sequence[Row[int, int]]) -> None:
        """External deliveries of the new notifications (users on a daily digest get theirs there)."""
        user_ids = {user_id for _, user_id in created}
        if not user_ids:
            return
        chosen = select(NotificationPref).where(NotificationPref.user_id.in_(user_ids))
        prefs = {p.user_id: p for p in db.session.scalars(chosen)}
        if not prefs:
            return
        if self._enabled is None:
            self._enabled = enabled_channels()
        for notification_id, user_id in created:
            pref = prefs.get(user_id)
            if pref is None or pref.daily_digest:
                continue
            for channel in user_channels(self._users[user_id], pref, self._enabled):
                db.session.add(
                    Delivery(
                        notification_id=notification_id,
                        channel=channel,
                        status="pending",
                        next_attempt_at=self.now,
                        created_at=self.now,
                    )
                )
        db.session.flush()
