"""The notification centre (bell, list, mark read, profile) and the admin pages of the reminders."""

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.jobs import JOBS
from crm.models import DeliveryAttempt, JobRun, Notification, NotificationPref, Setting
from crm.services.notifications.inbox import notify
from crm.timeutil import utcnow
from tests.support import channel_servers
from tests.support.channel_servers import set_channels
from tests.support.reminders import new_problem

webhook = channel_servers.webhook  # fixtures
smtp_server = channel_servers.smtp_server
NOW = datetime(2026, 11, 2, 1, 0)


def note(user, key, kind="system", title="提醒", **link) -> Notification:
    nid = notify(user, kind, title, "正文第一行\n第二行", dedupe_key=key, now=NOW, **link)
    return db.session.get(Notification, nid)


@pytest.fixture()
def mine(world):
    """Three notifications of the cadre (one linking to a problem, one to a firm) and one of cadre2."""
    problem = new_problem(world.own_firm, world.cadre, "厂房漏水")
    out = {
        "problem": note(
            world.cadre,
            "p",
            "problem_event",
            "问题已办结",
            problem_id=problem.id,
            enterprise_id=world.own_firm.id,
        ),
        "firm": note(world.cadre, "f", "visit_due", "联系已逾期", enterprise_id=world.own_firm.id),
        "page": note(world.cadre, "w", "visit_weekly", "周报", endpoint="coverage.index"),
        "other": note(world.cadre2, "o", "system", "别人的通知"),
    }
    out["problem_id"] = problem.id
    db.session.commit()
    return out


def test_list_shows_only_own_notifications_and_the_bell(client, login_as, world, mine):
    login_as(world.cadre)
    html = client.get("/notifications/").get_data(as_text=True)
    assert "问题已办结" in html and "联系已逾期" in html and "周报" in html
    assert "别人的通知" not in html
    assert "data-unread-count>3</span>" in html  # the bell
    assert "正文第一行" in html


def test_another_users_notification_is_not_found(client, login_as, world, mine):
    login_as(world.cadre)
    other = mine["other"].id
    assert client.get(f"/notifications/{other}/open").status_code == 404
    assert client.post(f"/notifications/{other}/open").status_code == 404
    assert client.post(f"/notifications/{other}/read").status_code == 404
    client.post("/notifications/read-all")
    db.session.expire_all()
    assert db.session.get(Notification, other).read_at is None  # read-all touches only one's own


def test_opening_marks_read_and_leads_to_the_problem_firm_or_page(client, login_as, world, mine):
    login_as(world.cadre)
    resp = client.post(f"/notifications/{mine['problem'].id}/open")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/problems/{mine['problem_id']}")
    resp = client.post(f"/notifications/{mine['firm'].id}/open")
    assert resp.headers["Location"].endswith(f"/enterprises/{world.own_firm.id}")
    resp = client.post(f"/notifications/{mine['page'].id}/open")
    assert resp.headers["Location"].endswith("/coverage/")
    db.session.expire_all()
    assert all(db.session.get(Notification, mine[k].id).read_at for k in ("problem", "firm", "page"))
    assert "data-unread-count" not in client.get("/enterprises/").get_data(as_text=True)  # bell is quiet


def test_the_list_opens_a_notification_by_post_and_a_get_link_writes_nothing(client, login_as, world, mine):
    login_as(world.cadre)
    url = f"/notifications/{mine['firm'].id}/open"
    html = client.get("/notifications/").get_data(as_text=True)
    assert f'<form method="post" action="{url}">' in html and f'href="{url}"' not in html
    # The link in e-mail and WeCom messages: leads to the firm, but a GET (or a mail scanner) marks nothing.
    resp = client.get(url)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/enterprises/{world.own_firm.id}")
    db.session.expire_all()
    assert db.session.get(Notification, mine["firm"].id).read_at is None


def test_mark_one_and_all_read_and_filters(client, login_as, world, mine):
    login_as(world.cadre)
    resp = client.post(f"/notifications/{mine['firm'].id}/read", data={"next": "/notifications/?show=unread"})
    assert resp.headers["Location"] == "/notifications/?show=unread"
    unread = client.get("/notifications/?show=unread").get_data(as_text=True)
    assert "问题已办结" in unread and "联系已逾期" not in unread
    only_weekly = client.get("/notifications/?kind=visit_weekly").get_data(as_text=True)
    assert "周报" in only_weekly and "问题已办结" not in only_weekly
    evil = client.post(f"/notifications/{mine['page'].id}/read", data={"next": "https://evil.example/"})
    assert evil.headers["Location"] == "/notifications/"
    resp = client.post("/notifications/read-all", follow_redirects=True)
    assert "已将 1 条通知标为已读" in resp.get_data(as_text=True)
    assert "没有未读通知" in client.get("/notifications/?show=unread").get_data(as_text=True)


def test_list_and_bell_cost_a_constant_number_of_queries(client, login_as, world, count_queries):
    for i in range(3):
        note(world.cadre, f"a{i}")
    login_as(world.cadre)
    with count_queries() as few:
        client.get("/notifications/")
    for i in range(40):
        note(world.cadre, f"b{i}")
    db.session.commit()
    with count_queries() as many:
        client.get("/notifications/")
    assert few.count == many.count
    counts = [s for s in many.statements if "count(" in s.lower() and "FROM notifications" in s]
    assert len(counts) == 2  # the bell (shared by the heading) and the pagination total
    with count_queries() as page:
        assert client.get("/enterprises/").status_code == 200
    bell = [s for s in page.statements if "FROM notifications" in s]
    assert len(bell) == 1 and "count(" in bell[0].lower()


def test_profile_chooses_channels_that_an_admin_switched_on(client, login_as, world, webhook):
    login_as(world.cadre)
    refused = client.post(
        "/profile", data={"channels": ["wecom"], "daily_digest": "y"}, follow_redirects=True
    )
    assert "管理员尚未开启：企业微信" in refused.get_data(as_text=True)
    assert db.session.get(NotificationPref, world.cadre.id) is None  # nothing stored
    set_channels(
        wecom={"enabled": True, "webhook": webhook.url + "/ok"},
        email={"enabled": True, "host": "h", "sender": "a@b.cn"},
    )
    db.session.commit()
    no_mail = client.post("/profile", data={"channels": ["email"]}, follow_redirects=True)
    assert "选择电子邮件接收时请填写邮箱地址" in no_mail.get_data(as_text=True)
    saved = client.post(
        "/profile",
        data={"channels": ["wecom", "email"], "email": "c@example.cn", "daily_digest": "y"},
        follow_redirects=True,
    )
    assert "通知设置已保存" in saved.get_data(as_text=True)
    db.session.expire_all()
    pref = db.session.get(NotificationPref, world.cadre.id)
    assert (pref.channels, pref.email, pref.daily_digest) == (["email", "wecom"], "c@example.cn", True)


def test_job_status_page(client, login_as, world):
    now = utcnow() - timedelta(minutes=1)  # the page compares with the real clock
    db.session.add(
        JobRun(
            job="visit_reminders",
            started_at=now,
            finished_at=now + timedelta(seconds=2),
            status="ok",
            counts={"firms": 4, "created": 2},
        )
    )
    db.session.add(
        JobRun(
            job="escalations",
            started_at=now,
            finished_at=now,
            status="failed",
            error="RuntimeError: 连接中断",
        )
    )
    db.session.commit()
    login_as(world.admin)
    html = client.get("/admin/jobs").get_data(as_text=True)
    assert "走访到期提醒" in html and "每天 07:30" in html and "企业 4，新建提醒 2" in html
    assert "RuntimeError: 连接中断" in html and "等待首次运行" in html
    assert "最近一次运行失败" in html  # the admin banner on every page
    # Jobs are named in Chinese wherever a user reads them: never by their ids.
    shown = re.sub(r"<[^>]*>", " ", html)
    assert not [job for job in JOBS if job in shown]
    assert "自动提级协调" in shown and "外部渠道投递" in shown
    login_as(world.officer)
    assert "最近一次运行失败" not in client.get("/enterprises/").get_data(as_text=True)


def test_delivery_loop_leaves_no_row_a_minute_while_every_channel_is_off(app, client, login_as, world):
    from crm.jobs import run_job

    for _ in range(3):  # three minutes of the scheduler
        assert run_job(app, JOBS["deliver_pending"]).status == "skipped"
    db.session.rollback()
    assert db.session.scalar(select(func.count(JobRun.id))) == 0
    assert db.session.scalar(select(func.count(DeliveryAttempt.id))) == 0
    login_as(world.admin)
    html = client.get("/admin/jobs").get_data(as_text=True)
    row = html[html.index('data-job="deliver_pending"') :]
    row = row[: row.index("</tr>")]
    assert "暂不运行" in row and "未开启任何外部渠道，无需投递" in row and "未按时运行" not in row
    assert "暂无运行记录" in html  # the run log is not filled with it


def test_admin_sets_channels_and_sends_a_test_message(client, login_as, world, webhook, app, monkeypatch):
    login_as(world.admin)
    page = client.get("/admin/channels").get_data(as_text=True)
    for env in ("CRM_SMTP_PASSWORD", "CRM_WECOM_WEBHOOK", "CRM_DINGTALK_WEBHOOK", "CRM_DINGTALK_SECRET"):
        assert f"<code>{env}</code>" in page
    assert page.count("未配置") == 4 and "已配置" not in page
    bad = client.post(
        "/admin/channels", data={"wecom_enabled": "y", "email_port": "25"}, follow_redirects=True
    )
    assert (
        "开启企业微信需要先在服务器的环境变量 CRM_WECOM_WEBHOOK 中设置群机器人 Webhook 地址"
        in bad.get_data(as_text=True)
    )
    assert db.session.get(Setting, "channels") is None
    # The secrets come from the environment (the config keys of the same names).
    monkeypatch.setitem(app.config, "CRM_WECOM_WEBHOOK", webhook.url + "/ok")
    monkeypatch.setitem(app.config, "CRM_DINGTALK_SECRET", "SECabc")
    ok = client.post(
        "/admin/channels",
        data={
            "wecom_enabled": "y",
            "email_port": "25",
            # Fields of the old form: secrets typed into the page are not taken any more.
            "dingtalk_webhook": webhook.url + "/typed",
            "dingtalk_secret": "SECtyped",
            "email_password": "typed-password",
        },
        follow_redirects=True,
    )
    assert "通知渠道设置已保存" in ok.get_data(as_text=True)
    page = client.get("/admin/channels").get_data(as_text=True)
    assert webhook.url not in page and "SECabc" not in page  # secrets never go back to the browser
    assert page.count("已配置") == 2 and page.count("未配置") == 2
    sent = client.post("/admin/channels/test/wecom", follow_redirects=True).get_data(as_text=True)
    assert "企业微信测试消息已发送" in sent
    assert "测试消息" in webhook.requests[-1]["json"]["text"]["content"]
    off = client.post("/admin/channels/test/dingtalk", follow_redirects=True).get_data(as_text=True)
    assert "钉钉尚未开启" in off
    db.session.expire_all()
    stored = db.session.get(Setting, "channels").value
    assert stored["wecom"] == {"enabled": True} and stored["dingtalk"] == {"enabled": False}
    assert "password" not in stored["email"]
    assert "typed" not in str(stored) and "SEC" not in str(stored) and webhook.url not in str(stored)


def test_secrets_stored_by_an_earlier_version_are_ignored_and_dropped_on_save(
    client, login_as, world, webhook, app, monkeypatch
):
    db.session.add(Setting(key="channels", value={
        "base_url": "", "email": {"enabled": False, "host": "smtp.old.cn", "port": 25, "password": "old-pass",
                                  "sender": "a@old.cn", "security": "none", "username": "u"},
        "wecom": {"enabled": True, "webhook": webhook.url + "/stored"},
        "dingtalk": {"enabled": False, "webhook": "https://oapi.dingtalk.com/robot/send?access_token=t",
                     "secret": "SECold"},
    }))  # fmt: skip
    db.session.commit()
    from crm.services.notifications.channels import channel_settings

    settings = channel_settings()
    assert (settings["email"]["password"], settings["wecom"]["webhook"], settings["dingtalk"]["secret"]) == (
        "",
        "",
        "",
    )
    assert settings["email"]["host"] == "smtp.old.cn"  # the rest is kept
    login_as(world.admin)
    page = client.get("/admin/channels").get_data(as_text=True)
    assert "old-pass" not in page and "SECold" not in page and "/stored" not in page
    monkeypatch.setitem(app.config, "CRM_WECOM_WEBHOOK", webhook.url + "/env")
    data = {"wecom_enabled": "y", "email_host": "smtp.old.cn", "email_port": "25", "email_sender": "a@old.cn"}
    assert "通知渠道设置已保存" in client.post("/admin/channels", data=data, follow_redirects=True).get_data(
        as_text=True
    )
    db.session.expire_all()
    stored = str(db.session.get(Setting, "channels").value)
    assert "old-pass" not in stored and "SECold" not in stored and "webhook" not in stored
    client.post("/admin/channels/test/wecom")
    assert webhook.requests[-1]["path"] == "/env"  # the environment's address, not the stored one


def test_delivery_log_page(client, login_as, world, webhook):
    set_channels(wecom={"enabled": True, "webhook": webhook.url + "/fail"})
    db.session.add(NotificationPref(user_id=world.cadre.id, channels=["wecom"]))
    notify(world.cadre, "system", "投递失败的提醒", dedupe_key="x", now=NOW)
    from crm.services.notifications.delivery import deliver_pending

    deliver_pending(NOW)
    db.session.commit()
    assert db.session.scalar(select(DeliveryAttempt)).status == "failed"
    login_as(world.admin)
    html = client.get("/admin/deliveries?status=failed").get_data(as_text=True)
    assert "投递失败的提醒" in html and "HTTP 500" in html and world.cadre.name in html


def test_email_test_message_reaches_the_smtp_server(client, login_as, world, smtp_server):
    inbox, port = smtp_server
    login_as(world.admin)
    data = {
        "email_enabled": "y",
        "email_host": "127.0.0.1",
        "email_port": str(port),
        "email_sender": "a@crm.cn",
    }
    assert "通知渠道设置已保存" in client.post("/admin/channels", data=data, follow_redirects=True).get_data(
        as_text=True
    )
    missing = client.post("/admin/channels/test/email", follow_redirects=True).get_data(as_text=True)
    assert "请填写测试收件邮箱" in missing and inbox.messages == []
    sent = client.post("/admin/channels/test/email", data={"to_email": "it@crm.cn"}, follow_redirects=True)
    assert "电子邮件测试消息已发送" in sent.get_data(as_text=True)
    [mail] = inbox.messages
    assert mail["to"] == ["it@crm.cn"] and mail["message"]["Subject"] == "【联企通】测试消息"
