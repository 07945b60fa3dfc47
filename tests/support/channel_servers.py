"""Real local servers for delivery tests: an SMTP server (aiosmtpd) and a group-robot webhook
(http.server), both on 127.0.0.1 in background threads."""

import json
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import current_app

from crm.extensions import db
from crm.models import Setting
from crm.services.notifications.channels import DEFAULT_CHANNELS, SECRETS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpInbox:
    """Messages received by the local SMTP server, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        msg = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append({"to": envelope.rcpt_tos, "from": envelope.mail_from, "message": msg})
        return "250 OK"


@pytest.fixture()
def smtp_server():
    """(inbox, port) of an SMTP server on 127.0.0.1."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


class Webhook:
    """A robot endpoint: records each POST; answers per path ("/ok", "/fail" → 500, "/refuse" → errcode)."""

    def __init__(self):
        self.requests = []
        self.fail = {"/fail"}
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server API)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                parts = urlsplit(self.path)
                recorder.requests.append({"path": parts.path, "query": parse_qs(parts.query), "json": body})
                if parts.path in recorder.fail:
                    self.send_response(500)
                    self.end_headers()
                    return
                answer = {"errcode": 0, "errmsg": "ok"}
                if parts.path == "/refuse":
                    answer = {"errcode": 310000, "errmsg": "keywords not in content"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


def set_channels(**channels) -> None:
    """Store channel settings: set_channels(email={...}, wecom={...}); unnamed channels stay off.

    Secrets (email password, webhook, DingTalk secret) go where production keeps them: the environment's
    config keys (CRM_WECOM_WEBHOOK …), which the db fixture restores after the test; unnamed ones unset.
    """
    value = json.loads(json.dumps(DEFAULT_CHANNELS))
    value["base_url"] = channels.pop("base_url", "")
    secrets = dict.fromkeys((s.env for s in SECRETS), "")
    for name, cfg in channels.items():
        cfg = dict(cfg)
        for secret in SECRETS:
            if secret.channel == name and secret.key in cfg:
                secrets[secret.env] = cfg.pop(secret.key)
        value[name].update(cfg)
    current_app.config.update(secrets)
    row = db.session.get(Setting, "channels")
    if row is None:
        db.session.add(Setting(key="channels", value=value))
    else:
        row.value = value
    db.session.flush()
