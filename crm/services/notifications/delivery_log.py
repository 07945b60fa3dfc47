"""Reading the delivery log and the queue (the admin's 投递记录 page); constant queries per page."""

from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from crm.extensions import db
from crm.models import Delivery, DeliveryAttempt, JobRun, Notification, User
from crm.models.notification import CHANNELS, DELIVERY_STATUSES


def delivery_log_query(status: Optional[str] = None, channel: Optional[str] = None):
    """SELECT of delivery attempts, newest first, with their delivery, notification and recipient."""
    stmt = (
        select(DeliveryAttempt)
        .join(Delivery, Delivery.id == DeliveryAttempt.delivery_id)
        .join(Notification, Notification.id == Delivery.notification_id)
        .join(User, User.id == Notification.user_id)
        .options(
            contains_eager(DeliveryAttempt.delivery)
            .contains_eager(Delivery.notification)
            .contains_eager(Notification.user)
        )
        .order_by(DeliveryAttempt.at.desc(), DeliveryAttempt.id.desc())
    )
    if status in DELIVERY_STATUSES:
        stmt = stmt.where(DeliveryAttempt.status == status)
    if channel in CHANNELS:
        stmt = stmt.where(DeliveryAttempt.channel == channel)
    return stmt


def delivery_summary() -> dict[str, int]:
    """How many deliveries are in each status (the queue at a glance)."""
    rows = db.session.execute(select(Delivery.status, func.count(Delivery.id)).group_by(Delivery.status))
    counts = dict.fromkeys(DELIVERY_STATUSES, 0)
    counts.update({status: n for status, n in rows})
    return counts


def job_runs_query(job: Optional[str] = None):
    """SELECT of job runs, newest first (the history under the 任务状态 table)."""
    stmt = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc())
    return stmt.where(JobRun.job == job) if job else stmt
