"""Delivering notifications on external channels, with a log of every attempt and bounded retries.

The queue is the `deliveries` table. A run (the deliver_pending job) works in three steps so no
database transaction stays open during network I/O:
  1. claim_due_deliveries(now): due rows are claimed with a conditional UPDATE (attempts = attempts+1,
     a lease), so two runners never send the same attempt; the caller commits;
  2. send_claimed(messages): SMTP and webhook calls, no database;
  3. record_delivery_results(results, now): one DeliveryAttempt row each; a failure is retried after
     BACKOFF_BASE * 2**(attempt-1) until MAX_ATTEMPTS, then marked failed. The notification itself is
     never touched: the bell keeps it whatever happens here.
"""

import base64
import hashlib
import hmac
import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Optional

from sqlalchemy import select, update

from crm.extensions import db
from crm.models import Delivery, DeliveryAttempt, Notification, NotificationPref, User
from crm.models.notification import CHANNELS
from crm.services.notifications.channels import WEBHOOKS, channel_settings, enabled_channels
from crm.timeutil import utcnow

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)  # waits of 1, 2, 4, 8 minutes between the five attempts
LEASE = timedelta(minutes=10)  # a claimed delivery whose runner died is due again after this
BATCH = 50
TIMEOUT_SECONDS = 10
WECOM_MAX_BYTES = 2000  # WeCom text messages are limited to 2048 bytes
DUE_STATUSES = ("pending", "sending")


@dataclass
class Message:
    delivery_id: int
    attempt: int
    channel: str
    subject: str
    text: str
    email: Optional[str] = None
    mobiles: list[str] = field(default_factory=list)


def backoff(attempt: int) -> timedelta:
    """Wait before the attempt after `attempt` (exponential: 1, 2, 4, 8 … minutes)."""
    return BACKOFF_BASE * (2 ** (attempt - 1))


def compose(notification: Notification, base_url: str = "") -> tuple[str, str]:
    """(subject, text) of a notification for external channels; a link when the site address is set."""
    subject = f"【联企通】{notification.title}"
    text = subject + (f"\n{notification.body}" if notification.body else "")
    if base_url:
        text += f"\n查看详情：{base_url}/notifications/{notification.id}/open"
    return subject, text


# --- transports: no database; each returns None on success or a short Chinese error ---


def send_email(cfg: dict[str, Any], to: str, subject: str, text: str) -> Optional[str]:
    """Send a plain-text e-mail through the configured SMTP server."""
    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = subject, cfg["sender"], to
    msg.set_content(text)
    try:
        if cfg.get("security") == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(cfg["host"], int(cfg["port"]), timeout=TIMEOUT_SECONDS)
        else:
            server = smtplib.SMTP(cfg["host"], int(cfg["port"]), timeout=TIMEOUT_SECONDS)
        with server:
            if cfg.get("security") == "starttls":
                server.starttls()
            if cfg.get("username"):
                server.login(cfg["username"], cfg.get("password") or "")
            server.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        return f"邮件发送失败：{exc}"[:500]
    return None


def _post_json(url: str, payload: dict[str, Any]) -> Optional[str]:
    """POST JSON to a group robot; success is HTTP 2xx with errcode 0 (or no errcode)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read(65536)
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"网络错误：{getattr(exc, 'reason', exc)}"[:500]
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        return None
    if isinstance(answer, dict) and answer.get("errcode", 0) != 0:
        return f"机器人返回错误 {answer.get('errcode')}：{answer.get('errmsg', '')}"[:500]
    return None


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore") + "…"


def send_wecom(cfg: dict[str, Any], text: str, mobiles: list[str]) -> Optional[str]:
    """Post a text message to the WeCom group robot, @-mentioning the users by mobile number."""
    payload = {
        "msgtype": "text",
        "text": {"content": _cut_bytes(text, WECOM_MAX_BYTES), "mentioned_mobile_list": mobiles},
    }
    return _post_json(cfg["webhook"], payload)


def dingtalk_url(webhook: str, secret: str, timestamp_ms: Optional[int] = None) -> str:
    """The webhook URL, signed when the robot has a secret (加签: HMAC-SHA256 of "timestamp\\nsecret")."""
    if not secret:
        return webhook
    timestamp = str(timestamp_ms if timestamp_ms is not None else round(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{webhook}{'&' if '?' in webhook else '?'}timestamp={timestamp}&sign={sign}"


def send_dingtalk(cfg: dict[str, Any], text: str, mobiles: list[str]) -> Optional[str]:
    """Post a text message to the DingTalk group robot, @-mentioning the users by mobile number."""
    payload = {"msgtype": "text", "text": {"content": text}, "at": {"atMobiles": mobiles}}
    return _post_json(dingtalk_url(cfg["webhook"], cfg.get("secret") or ""), payload)


def send_message(settings: dict[str, Any], msg: Message) -> Optional[str]:
    """Send one message on its channel; None on success, else the error."""
    if msg.channel == "email":
        if not msg.email:
            return "用户未设置邮箱"
        return send_email(settings["email"], msg.email, msg.subject, msg.text)
    if msg.channel in WEBHOOKS and not settings[msg.channel].get("webhook"):
        # Secrets come from the environment: this process may have been started without it.
        return f"未设置环境变量 {WEBHOOKS[msg.channel].env}（群机器人 Webhook 地址）"
    if msg.channel == "wecom":
        return send_wecom(settings["wecom"], msg.text, msg.mobiles)
    if msg.channel == "dingtalk":
        return send_dingtalk(settings["dingtalk"], msg.text, msg.mobiles)
    return f"未知渠道 {msg.channel}"


def send_test_message(channel: str, actor: User, to_email: Optional[str] = None) -> Optional[str]:
    """Send a test message on one channel with the stored settings (the admin's "发送测试消息")."""
    settings = channel_settings()
    if channel not in CHANNELS:
        return "未知渠道"
    if not settings[channel].get("enabled"):
        return f"{CHANNELS[channel]}尚未开启，请先保存设置"
    if channel == "email" and not to_email:
        pref = db.session.get(NotificationPref, actor.id)
        to_email = pref.email if pref else None
        if not to_email:
            return "请填写测试收件邮箱，或先在“通知设置”中填写您的邮箱"
    text = f"【联企通】测试消息：{actor.name}正在检查{CHANNELS[channel]}通知渠道，收到即表示配置正确。"
    msg = Message(0, 0, channel, "【联企通】测试消息", text, to_email, [actor.phone] if actor.phone else [])
    return send_message(settings, msg)


# --- the queue ---


def claim_due_deliveries(now: Optional[datetime] = None, limit: int = BATCH) -> list[Message]:
    """Claim the deliveries due now and return their messages; deliveries of a switched-off channel
    are cancelled (logged). The caller commits before sending."""
    now = now or utcnow()
    settings = channel_settings()
    enabled = enabled_channels(settings)
    rows = db.session.execute(
        select(Delivery, Notification, User, NotificationPref.email)
        .join(Notification, Notification.id == Delivery.notification_id)
        .join(User, User.id == Notification.user_id)
        .outerjoin(NotificationPref, NotificationPref.user_id == User.id)
        .where(Delivery.status.in_(DUE_STATUSES), Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    ).all()
    messages = []
    for delivery, notification, user, email in rows:
        channel, attempt = delivery.channel, delivery.attempts + 1
        claimed = db.session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery.id,
                Delivery.attempts == delivery.attempts,
                Delivery.status.in_(DUE_STATUSES),
                Delivery.next_attempt_at <= now,
            )
            .values(status="sending", attempts=Delivery.attempts + 1, next_attempt_at=now + LEASE)
        )
        # An UPDATE returns a CursorResult, which Session.execute's stubs type as a plain Result.
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another runner took it
        if channel not in enabled:
            _log(delivery.id, channel, attempt, "cancelled", "渠道已被管理员关闭", now)
            _finish(delivery.id, "cancelled", "渠道已被管理员关闭", next_attempt_at=None)
            continue
        subject, text = compose(notification, settings["base_url"])
        mobiles = [user.phone] if user.phone else []
        messages.append(Message(delivery.id, attempt, channel, subject, text, email, mobiles))
    db.session.flush()
    return messages


def delivery_idle_reason(now: Optional[datetime] = None) -> Optional[str]:
    """Why the delivery loop has nothing to do (no channel switched on and an empty queue), else None.

    The deliver_pending job is then not run at all, so the job log gains no row a minute. Deliveries
    still queued when a channel was switched off keep it running until it has cancelled them.
    """
    if enabled_channels():
        return None
    queued = db.session.scalar(select(Delivery.id).where(Delivery.status.in_(DUE_STATUSES)).limit(1))
    return None if queued is not None else "未开启任何外部渠道，无需投递"


def send_claimed(messages: list[Message], settings: Optional[dict[str, Any]] = None) -> list[tuple]:
    """Send the claimed messages (network only): [(message, error or None)]."""
    if not messages:
        return []
    if settings is None:
        raise ValueError("settings are read before the transaction ends")
    return [(msg, send_message(settings, msg)) for msg in messages]


def _log(delivery_id, channel, attempt, status, error, now, next_retry_at=None) -> None:
    db.session.add(
        DeliveryAttempt(
            delivery_id=delivery_id,
            channel=channel,
            attempt=attempt,
            status=status,
            error=error,
            at=now,
            next_retry_at=next_retry_at,
        )
    )


def _finish(delivery_id: int, status: str, error: Optional[str], **values) -> None:
    db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id).values(status=status, last_error=error, **values)
    )


def record_delivery_results(results: list[tuple], now: Optional[datetime] = None) -> dict[str, int]:
    """Log each attempt; schedule a retry with back-off, or give up after MAX_ATTEMPTS."""
    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for msg, error in results:
        if error is None:
            _log(msg.delivery_id, msg.channel, msg.attempt, "sent", None, now)
            _finish(msg.delivery_id, "sent", None, sent_at=now, next_attempt_at=None)
            counts["sent"] += 1
        elif msg.attempt >= MAX_ATTEMPTS:
            _log(msg.delivery_id, msg.channel, msg.attempt, "failed", error, now)
            _finish(msg.delivery_id, "failed", error, next_attempt_at=None)
            counts["failed"] += 1
        else:
            retry_at = now + backoff(msg.attempt)
            _log(msg.delivery_id, msg.channel, msg.attempt, "failed", error, now, retry_at)
            _finish(msg.delivery_id, "pending", error, next_attempt_at=retry_at)
            counts["retry"] += 1
    db.session.flush()
    return counts


def deliver_pending(now: Optional[datetime] = None) -> dict[str, int]:
    """Claim, send and record in one go (tests and small runs; the job commits between the steps)."""
    now = now or utcnow()
    settings = channel_settings()
    messages = claim_due_deliveries(now)
    return record_delivery_results(send_claimed(messages, settings), now)
