"""External delivery against real local servers: SMTP (aiosmtpd) and group-robot webhooks (http.server).
Every attempt is logged; failures are retried with exponential back-off a bounded number of times;
the in-app notification stays whatever happens."""

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Delivery, DeliveryAttempt, Notification, NotificationPref
from crm.services.notifications.delivery import MAX_ATTEMPTS, deliver_pending, dingtalk_url
from crm.services.notifications.digest import daily_digest
from crm.services.notifications.inbox import notify
from tests.support import channel_servers
from tests.support.channel_servers import set_channels
from tests.support.factories import make_park, make_user

NOW = datetime(2026, 11, 2, 0, 0)
smtp_server = channel_servers.smtp_server  # fixtures shared with the view tests
webhook = channel_servers.webhook


@pytest.fixture()
def user(db):
    u = make_user("cadre", make_park(), username="deliv_cadre", name="王联络")
    u.phone = "13800000001"
    db.session.flush()
    return u


def choose(user, *channels, email="wang@example.com", digest=False):
    db.session.add(
        NotificationPref(user_id=user.id, channels=list(channels), email=email, daily_digest=digest)
    )
    db.session.flush()


def attempts():
    return db.session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id)).all()


def test_nothing_is_queued_while_channels_are_off(user):
    choose(user, "email", "wecom")
    assert notify(user, "system", "提醒", dedupe_key="k", now=NOW)
    assert db.session.scalars(select(Delivery)).all() == []
    assert deliver_pending(NOW) == {"sent": 0, "retry": 0, "failed": 0}


def test_email_reaches_a_real_smtp_server(user, smtp_server):
    inbox, port = smtp_server
    set_channels(
        base_url="http://crm.local",
        email={"enabled": True, "host": "127.0.0.1", "port": port, "sender": "noreply@crm.local"},
    )
    choose(user, "email")
    nid = notify(user, "visit_due", "联系已逾期：湘潭电机有限公司", "已逾期3天。", dedupe_key="k", now=NOW)
    assert deliver_pending(NOW) == {"sent": 1, "retry": 0, "failed": 0}
    [mail] = inbox.messages
    assert mail["to"] == ["wang@example.com"] and mail["from"] == "noreply@crm.local"
    assert mail["message"]["Subject"] == "【联企通】联系已逾期：湘潭电机有限公司"
    body = mail["message"].get_content()
    assert "已逾期3天。" in body and f"http://crm.local/notifications/{nid}/open" in body
    [log] = attempts()
    assert (log.channel, log.attempt, log.status, log.error) == ("email", 1, "sent", None)
    delivery = db.session.scalar(select(Delivery))
    assert (delivery.status, delivery.sent_at, delivery.next_attempt_at) == ("sent", NOW, None)
    assert deliver_pending(NOW + timedelta(hours=1)) == {"sent": 0, "retry": 0, "failed": 0}  # sent once


def test_wecom_and_signed_dingtalk_webhooks(user, webhook):
    set_channels(
        wecom={"enabled": True, "webhook": webhook.url + "/wecom?key=abc"},
        dingtalk={"enabled": True, "webhook": webhook.url + "/ding?access_token=t", "secret": "SECtest"},
    )
    choose(user, "wecom", "dingtalk")
    notify(user, "problem_deadline", "签收期限已过：用电增容", "请尽快办理", dedupe_key="k", now=NOW)
    assert deliver_pending(NOW)["sent"] == 2
    wecom = next(r for r in webhook.requests if r["path"] == "/wecom")
    assert wecom["query"] == {"key": ["abc"]}
    assert wecom["json"] == {
        "msgtype": "text",
        "text": {
            "content": "【联企通】签收期限已过：用电增容\n请尽快办理",
            "mentioned_mobile_list": ["13800000001"],
        },
    }
    ding = next(r for r in webhook.requests if r["path"] == "/ding")
    assert ding["json"]["msgtype"] == "text" and ding["json"]["at"] == {"atMobiles": ["13800000001"]}
    assert ding["json"]["text"]["content"].startswith("【联企通】签收期限已过")
    timestamp, sign = ding["query"]["timestamp"][0], ding["query"]["sign"][0]
    expected = hmac.new(b"SECtest", f"{timestamp}\nSECtest".encode(), hashlib.sha256).digest()
    assert sign == base64.b64encode(expected).decode()  # parse_qs has already unquoted it
    assert {a.channel for a in attempts()} == {"wecom", "dingtalk"}


def test_dingtalk_url_is_unchanged_without_secret():
    assert dingtalk_url("http://h/robot?access_token=t", "") == "http://h/robot?access_token=t"
    signed = dingtalk_url("http://h/robot?access_token=t", "S", 1700000000000)
    assert "&timestamp=1700000000000&sign=" in signed


def test_failing_endpoint_is_retried_with_backoff_then_given_up(user, webhook):
    set_channels(wecom={"enabled": True, "webhook": webhook.url + "/fail"})
    choose(user, "wecom")
    nid = notify(user, "system", "一条提醒", dedupe_key="k", now=NOW)
    at = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver_pending(at - timedelta(seconds=1)) == {"sent": 0, "retry": 0, "failed": 0}  # not due
        result = deliver_pending(at)
        if attempt < MAX_ATTEMPTS:
            assert result == {"sent": 0, "retry": 1, "failed": 0}
            wait = timedelta(minutes=2 ** (attempt - 1))  # 1, 2, 4, 8 minutes
            log = attempts()[-1]
            assert (log.attempt, log.status, log.error, log.next_retry_at) == (
                attempt,
                "failed",
                "HTTP 500",
                at + wait,
            )
            at += wait
        else:
            assert result == {"sent": 0, "retry": 0, "failed": 1}
    assert len(webhook.requests) == MAX_ATTEMPTS
    delivery = db.session.scalar(select(Delivery))
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", MAX_ATTEMPTS, "HTTP 500")
    assert deliver_pending(at + timedelta(days=1))["failed"] == 0  # bounded: never tried again
    note = db.session.get(Notification, nid)
    assert note is not None and note.read_at is None and note.title == "一条提醒"  # the bell keeps it


def test_a_recovered_endpoint_succeeds_on_retry(user, webhook):
    set_channels(dingtalk={"enabled": True, "webhook": webhook.url + "/fail"})
    choose(user, "dingtalk")
    notify(user, "system", "一条提醒", dedupe_key="k", now=NOW)
    assert deliver_pending(NOW)["retry"] == 1
    webhook.fail.clear()
    assert deliver_pending(NOW + timedelta(minutes=1))["sent"] == 1
    assert [(a.attempt, a.status) for a in attempts()] == [(1, "failed"), (2, "sent")]


def test_robot_error_codes_and_unreachable_servers_are_failures(user, webhook):
    set_channels(
        wecom={"enabled": True, "webhook": webhook.url + "/refuse"},
        dingtalk={"enabled": True, "webhook": "http://127.0.0.1:9/unreachable"},
    )
    choose(user, "wecom", "dingtalk")
    notify(user, "system", "一条提醒", dedupe_key="k", now=NOW)
    assert deliver_pending(NOW)["retry"] == 2
    errors = {a.channel: a.error for a in attempts()}
    assert errors["wecom"] == "机器人返回错误 310000：keywords not in content"
    assert errors["dingtalk"].startswith("网络错误")


def test_a_process_started_without_the_webhook_logs_a_clear_error(user, webhook, app, monkeypatch):
    """Secrets come from the environment: a scheduler started without CRM_WECOM_WEBHOOK says so."""
    set_channels(wecom={"enabled": True, "webhook": webhook.url + "/ok"})
    choose(user, "wecom")
    notify(user, "system", "一条提醒", dedupe_key="k", now=NOW)
    monkeypatch.setitem(app.config, "CRM_WECOM_WEBHOOK", "")
    assert deliver_pending(NOW)["retry"] == 1
    assert [a.error for a in attempts()] == ["未设置环境变量 CRM_WECOM_WEBHOOK（群机器人 Webhook 地址）"]
    assert webhook.requests == []


def test_a_channel_switched_off_cancels_its_queue(user, webhook):
    set_channels(wecom={"enabled": True, "webhook": webhook.url + "/ok"})
    choose(user, "wecom")
    notify(user, "system", "一条提醒", dedupe_key="k", now=NOW)
    set_channels()  # all off again
    assert deliver_pending(NOW) == {"sent": 0, "retry": 0, "failed": 0}
    assert [(a.status, a.error) for a in attempts()] == [("cancelled", "渠道已被管理员关闭")]
    assert webhook.requests == []


def test_digest_users_get_one_message_a_day(user, webhook):
    set_channels(wecom={"enabled": True, "webhook": webhook.url + "/ok"})
    choose(user, "wecom", digest=True)
    for i in range(3):
        notify(user, "visit_due", f"提醒{i}", dedupe_key=f"k{i}", now=NOW - timedelta(hours=5 - i))
    assert db.session.scalars(select(Delivery)).all() == []  # no single messages
    morning = NOW + timedelta(minutes=30)
    assert daily_digest(NOW.date(), morning) == {"users": 1, "created": 1}
    assert daily_digest(NOW.date(), morning + timedelta(hours=1)) == {"users": 1, "created": 0}
    digest = db.session.scalar(select(Notification).where(Notification.kind == "digest"))
    assert digest.title == "每日提醒汇总（11月02日）：3条，其中未读3条"
    assert digest.body == "1. 提醒0\n2. 提醒1\n3. 提醒2"
    assert digest.read_at is not None  # the bell already shows the three
    assert deliver_pending(morning)["sent"] == 1
    assert len(webhook.requests) == 1 and "提醒2" in webhook.requests[0]["json"]["text"]["content"]
    # The next day's digest covers only what came after this one.
    notify(user, "visit_due", "第二天的提醒", dedupe_key="k9", now=morning + timedelta(hours=2))
    daily_digest(NOW.date() + timedelta(days=1), morning + timedelta(days=1))
    latest = db.session.scalars(
        select(Notification).where(Notification.kind == "digest").order_by(Notification.id.desc())
    ).first()
    assert latest.body == "1. 第二天的提醒"


def test_a_claim_is_exclusive_and_a_crashed_sender_is_recovered(user, webhook):
    from crm.services.notifications.delivery import LEASE, claim_due_deliveries

    set_channels(wecom={"enabled": True, "webhook": webhook.url + "/ok"})
    choose(user, "wecom")
    notify(user, "system", "一条提醒", dedupe_key="k", now=NOW)
    [claimed] = claim_due_deliveries(NOW)
    assert claimed.attempt == 1
    assert claim_due_deliveries(NOW) == []  # a second runner finds nothing to send
    db.session.commit()  # ... and the first runner dies before sending
    assert deliver_pending(NOW + LEASE - timedelta(seconds=1))["sent"] == 0
    assert deliver_pending(NOW + LEASE) == {"sent": 1, "retry": 0, "failed": 0}
    assert [(a.attempt, a.status) for a in attempts()] == [(2, "sent")]
    assert len(webhook.requests) == 1
