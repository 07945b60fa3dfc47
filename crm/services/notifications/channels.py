"""External delivery channels (e-mail via SMTP, WeCom and DingTalk group robots): one JSON setting,
every channel off until an admin turns it on. In-app notifications never depend on these."""

import copy
import re
from typing import Any

from crm.extensions import db
from crm.models import Setting, User
from crm.models.notification import CHANNELS
from crm.permissions import can
from crm.services import ServiceError
from crm.services.common.audit import record_audit

SETTING_KEY = "channels"
SECURITY = {"none": "不加密", "starttls": "STARTTLS", "ssl": "SSL/TLS"}
DEFAULT_CHANNELS: dict[str, Any] = {
    # The address users open the system at; external messages end with a link when it is set.
    "base_url": "",
    "email": {
        "enabled": False,
        "host": "",
        "port": 25,
        "security": "none",
        "username": "",
        "password": "",
        "sender": "",
    },
    "wecom": {"enabled": False, "webhook": ""},
    "dingtalk": {"enabled": False, "webhook": "", "secret": ""},
}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_RE = re.compile(r"^https?://[^\s/]+\S*$")


def channel_settings() -> dict[str, Any]:
    """The channel settings, defaults filled in (a fresh copy the caller may change)."""
    row = db.session.get(Setting, SETTING_KEY)
    merged = copy.deepcopy(DEFAULT_CHANNELS)
    stored = (row.value if row else None) or {}
    merged["base_url"] = stored.get("base_url") or ""
    for channel in CHANNELS:
        merged[channel].update(stored.get(channel) or {})
    return merged


def enabled_channels(settings: dict[str, Any] | None = None) -> set[str]:
    """Names of the channels an admin has switched on."""
    settings = settings or channel_settings()
    return {name for name in CHANNELS if settings[name].get("enabled")}


def _text(value: Any, limit: int = 300) -> str:
    return str(value or "").strip()[:limit]


def _check_url(url: str, label: str, errors: list[str]) -> None:
    if url and not URL_RE.match(url):
        errors.append(f"{label}应以 http:// 或 https:// 开头")


def update_channel_settings(actor: User, data: dict[str, Any]) -> dict[str, Any]:
    """Validate and store the channel settings (admins); blank secrets keep the stored ones; audited.

    data: base_url, email_enabled, email_host, email_port, email_security, email_username,
    email_password, email_sender, wecom_enabled, wecom_webhook, dingtalk_enabled, dingtalk_webhook,
    dingtalk_secret. Nothing changes on any error.
    """
    if not can(actor, "settings.channels"):
        raise ServiceError("没有修改通知渠道的权限")
    old = channel_settings()
    new = copy.deepcopy(old)
    errors: list[str] = []
    new["base_url"] = _text(data.get("base_url")).rstrip("/")
    _check_url(new["base_url"], "系统访问地址", errors)
    email = new["email"]
    email["enabled"] = bool(data.get("email_enabled"))
    email["host"] = _text(data.get("email_host"), 200)
    try:
        email["port"] = int(str(data.get("email_port") or 25).strip())
    except ValueError:
        email["port"] = 0
    if not 1 <= email["port"] <= 65535:
        errors.append("SMTP 端口应为1到65535之间的整数")
    email["security"] = data.get("email_security") if data.get("email_security") in SECURITY else "none"
    email["username"] = _text(data.get("email_username"), 200)
    email["sender"] = _text(data.get("email_sender"), 200)
    if data.get("email_password"):
        email["password"] = str(data["email_password"])[:200]
    if email["sender"] and not EMAIL_RE.match(email["sender"]):
        errors.append("发件人地址格式不正确")
    if email["enabled"] and not (email["host"] and email["sender"]):
        errors.append("开启电子邮件需要填写 SMTP 服务器和发件人地址")
    for name, label in (("wecom", "企业微信"), ("dingtalk", "钉钉")):
        new[name]["enabled"] = bool(data.get(f"{name}_enabled"))
        new[name]["webhook"] = _text(data.get(f"{name}_webhook"), 500)
        _check_url(new[name]["webhook"], f"{label}机器人地址", errors)
        if new[name]["enabled"] and not new[name]["webhook"]:
            errors.append(f"开启{label}需要填写群机器人 Webhook 地址")
    if data.get("dingtalk_secret"):
        new["dingtalk"]["secret"] = _text(data["dingtalk_secret"], 200)
    if data.get("dingtalk_clear_secret"):
        new["dingtalk"]["secret"] = ""
    if errors:
        raise ServiceError("；".join(errors))
    changes = _diff(old, new)
    row = db.session.get(Setting, SETTING_KEY)
    if row is None:
        db.session.add(Setting(key=SETTING_KEY, value=new, updated_by_id=actor.id))
    else:
        row.value, row.updated_by_id = new, actor.id
    db.session.flush()
    if changes:
        record_audit(actor, "setting", 0, "update", "修改通知渠道设置：" + "、".join(changes))
    return new


def _diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Names of the changed fields (secrets are named, never shown)."""
    out = ["base_url"] if old["base_url"] != new["base_url"] else []
    for channel in CHANNELS:
        for key, value in new[channel].items():
            if old[channel].get(key) != value:
                out.append(f"{channel}.{key}")
    return out


def channel_form_data(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings flattened for the form (secrets never leave the server, only whether one is set)."""
    data: dict[str, Any] = {"base_url": settings["base_url"]}
    for channel in CHANNELS:
        for key, value in settings[channel].items():
            if (channel, key) not in (("email", "password"), ("dingtalk", "secret")):
                data[f"{channel}_{key}"] = value
    data["has_email_password"] = bool(settings["email"].get("password"))
    data["has_dingtalk_secret"] = bool(settings["dingtalk"].get("secret"))
    return data
