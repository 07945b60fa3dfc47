"""External delivery channels (e-mail via SMTP, WeCom and DingTalk group robots): one JSON setting,
every channel off until an admin turns it on. In-app notifications never depend on these.

Secrets never reach the database: the SMTP password and the robots' webhook addresses (their key or
access token is in the URL) and DingTalk's signing secret come from environment variables (SECRETS,
read into the app config by config.Config). The settings page says which are set, never what they are;
anything a former version stored under those names is ignored and dropped on the next save.
"""

import copy
import re
from dataclasses import dataclass
from typing import Any

from flask import current_app

from crm.extensions import db
from crm.models import Setting, User
from crm.models.notification import CHANNELS
from crm.permissions import can
from crm.services import ServiceError
from crm.services.common.audit import record_audit
from crm.services.common.validators import control_char_error

SETTING_KEY = "channels"
SECURITY = {"none": "不加密", "starttls": "STARTTLS", "ssl": "SSL/TLS"}
DEFAULT_CHANNELS: dict[str, Any] = {
    # The address users open the system at; external messages end with a link when it is set.
    "base_url": "",
    "email": {"enabled": False, "host": "", "port": 25, "security": "none", "username": "", "sender": ""},
    "wecom": {"enabled": False},
    "dingtalk": {"enabled": False},
}


@dataclass(frozen=True)
class Secret:
    channel: str
    key: str  # where the channel's settings carry it (cfg["password"], cfg["webhook"] …)
    env: str  # the environment variable (and app config key) it comes from
    label: str


SECRETS = (
    Secret("email", "password", "CRM_SMTP_PASSWORD", "SMTP 登录密码"),
    Secret("wecom", "webhook", "CRM_WECOM_WEBHOOK", "企业微信机器人 Webhook 地址"),
    Secret("dingtalk", "webhook", "CRM_DINGTALK_WEBHOOK", "钉钉机器人 Webhook 地址"),
    Secret("dingtalk", "secret", "CRM_DINGTALK_SECRET", "钉钉加签密钥"),
)
SECRET_KEYS = {(s.channel, s.key) for s in SECRETS}
WEBHOOKS = {s.channel: s for s in SECRETS if s.key == "webhook"}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_RE = re.compile(r"^https?://[^\s/]+\S*$")
# The settings typed as text, with the labels of their form fields.
TEXT_SETTINGS = {
    "base_url": "系统访问地址",
    "email_host": "SMTP 服务器",
    "email_username": "登录用户名",
    "email_sender": "发件人地址",
}


def secret_value(secret: Secret) -> str:
    """The secret from the environment ("" when it is not set)."""
    return str(current_app.config.get(secret.env) or "").strip()


def without_secrets(value: dict[str, Any]) -> dict[str, Any]:
    """The settings as they may be stored: every secret left out."""
    out = copy.deepcopy(value)
    for secret in SECRETS:
        (out.get(secret.channel) or {}).pop(secret.key, None)
    return out


def channel_settings() -> dict[str, Any]:
    """The channel settings, defaults filled in, secrets from the environment (a fresh copy the caller
    may change, but never store: see without_secrets)."""
    row = db.session.get(Setting, SETTING_KEY)
    merged = copy.deepcopy(DEFAULT_CHANNELS)
    stored = without_secrets((row.value if row else None) or {})
    merged["base_url"] = stored.get("base_url") or ""
    for channel in CHANNELS:
        merged[channel].update(stored.get(channel) or {})
    for secret in SECRETS:
        merged[secret.channel][secret.key] = secret_value(secret)
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
    """Validate and store the channel settings (admins), never a secret; audited.

    data: base_url, email_enabled, email_host, email_port, email_security, email_username,
    email_sender, wecom_enabled, dingtalk_enabled (secrets are the environment's: a robot can only be
    switched on once its webhook address is set there). Nothing changes on any error.
    Returns the settings as stored.
    """
    if not can(actor, "settings.channels"):
        raise ServiceError("没有修改通知渠道的权限")
    old = without_secrets(channel_settings())
    new = copy.deepcopy(old)
    errors: list[str] = [
        msg for key, label in TEXT_SETTINGS.items() if (msg := control_char_error(data.get(key), label))
    ]
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
    if email["sender"] and not EMAIL_RE.match(email["sender"]):
        errors.append("发件人地址格式不正确")
    if email["enabled"] and not (email["host"] and email["sender"]):
        errors.append("开启电子邮件需要填写 SMTP 服务器和发件人地址")
    for name, label in (("wecom", "企业微信"), ("dingtalk", "钉钉")):
        new[name]["enabled"] = bool(data.get(f"{name}_enabled"))
        if new[name]["enabled"]:
            env, url = WEBHOOKS[name].env, secret_value(WEBHOOKS[name])
            if not url:
                errors.append(f"开启{label}需要先在服务器的环境变量 {env} 中设置群机器人 Webhook 地址")
            elif not URL_RE.match(url):
                errors.append(f"环境变量 {env} 中的{label}机器人地址应以 http:// 或 https:// 开头")
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
    """Names of the changed fields."""
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
            if (channel, key) not in SECRET_KEYS:
                data[f"{channel}_{key}"] = value
    return data


def secrets_status() -> dict[str, list[tuple[Secret, bool]]]:
    """{channel: [(secret, whether its environment variable is set)]} for the settings page."""
    out: dict[str, list[tuple[Secret, bool]]] = {channel: [] for channel in CHANNELS}
    for secret in SECRETS:
        out[secret.channel].append((secret, bool(secret_value(secret))))
    return out
