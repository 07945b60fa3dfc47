"""提醒: in-app notifications, each user's delivery preferences, the delivery queue and its per-attempt
log, and the heartbeat of scheduled job runs.

A notification is unique per (user, dedupe_key): the key names the subject and the period ("visit
contact overdue, firm 12, due 2026-11-01"), so however often or concurrently a job runs, the database
itself refuses a second copy. External channels (e-mail, WeCom, DingTalk) are deliveries of a
notification; a failed delivery never touches the notification itself.
"""

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.user import User
from crm.timeutil import utcnow

NOTIFICATION_KINDS = {
    "visit_due": "走访提醒",
    "visit_weekly": "逾期走访周报",
    "problem_deadline": "问题期限",
    "problem_event": "问题动态",
    "escalation": "提级协调",
    "policy_window": "政策申报提醒",
    "digest": "每日汇总",
    "report": "月度报表",
    "system": "系统消息",
}
CHANNELS = {"email": "电子邮件", "wecom": "企业微信", "dingtalk": "钉钉"}
DELIVERY_STATUSES = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "发送失败",
    "cancelled": "已取消",
}
JOB_STATUSES = {"running": "运行中", "ok": "成功", "failed": "失败"}


class Notification(Model):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_key"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(24), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # What it links to: a problem, else a firm, else a page (an endpoint without arguments).
    problem_id: Mapped[Optional[int]] = mapped_column(ForeignKey("problems.id"), index=True)
    enterprise_id: Mapped[Optional[int]] = mapped_column(ForeignKey("enterprises.id"), index=True)
    endpoint: Mapped[Optional[str]] = mapped_column(String(64))
    dedupe_key: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[Optional[datetime]]
    # A reminder whose cause went away (the overdue visit was logged, the deadline was met) is done:
    # read, no longer current, with what settled it (crm.services.notifications.settle).
    done_at: Mapped[Optional[datetime]]
    done_note: Mapped[Optional[str]] = mapped_column(String(200))

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Notification {self.id} user={self.user_id} {self.dedupe_key}>"

    @property
    def kind_label(self) -> str:
        return NOTIFICATION_KINDS.get(self.kind, self.kind)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class NotificationPref(Model):
    """A user's choice of external channels and of the daily digest (absent row: in-app only)."""

    __tablename__ = "notification_prefs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email: Mapped[Optional[str]] = mapped_column(String(120))
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    daily_digest: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<NotificationPref user={self.user_id} {self.channels}>"


class Delivery(Model):
    """One notification on one external channel: the retry queue (status, attempts, next attempt)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_deliveries_notification_channel"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[Optional[datetime]]
    last_error: Mapped[Optional[str]] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[Optional[datetime]]

    notification: Mapped[Notification] = relationship()

    def __repr__(self) -> str:
        return f"<Delivery {self.id} {self.channel} {self.status} x{self.attempts}>"

    @property
    def status_label(self) -> str:
        return DELIVERY_STATUSES.get(self.status, self.status)

    @property
    def channel_label(self) -> str:
        return CHANNELS.get(self.channel, self.channel)


class DeliveryAttempt(Model):
    """The delivery log: one row per attempt, with its result and when the next try is due."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (UniqueConstraint("delivery_id", "attempt", name="uq_delivery_attempts_attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))  # sent / failed / cancelled
    error: Mapped[Optional[str]] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    next_retry_at: Mapped[Optional[datetime]]

    delivery: Mapped[Delivery] = relationship()

    def __repr__(self) -> str:
        return f"<DeliveryAttempt {self.delivery_id}#{self.attempt} {self.status}>"

    @property
    def status_label(self) -> str:
        return DELIVERY_STATUSES.get(self.status, self.status)

    @property
    def channel_label(self) -> str:
        return CHANNELS.get(self.channel, self.channel)


class JobRun(Model):
    """Heartbeat: one row per run of a scheduled job, written when it starts and when it ends.

    A running row is also the job's lock: the database allows one per job, so two runs of the same job
    (cron's `run-jobs` beside the scheduler, two by hand) never overlap; the second waits its turn.
    """

    __tablename__ = "job_runs"
    __table_args__ = (
        Index("ix_job_runs_job_started", "job", "started_at"),
        Index(
            "uq_job_runs_running_job",
            "job",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    run_for: Mapped[Optional[date]]  # the business date the run used ("today")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]]
    status: Mapped[str] = mapped_column(String(16), default="running")
    counts: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    error: Mapped[Optional[str]] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<JobRun {self.job} {self.status} {self.started_at}>"

    @property
    def status_label(self) -> str:
        return JOB_STATUSES.get(self.status, self.status)
