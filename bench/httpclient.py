"""A tiny browser for the production smoke test and the load test: urllib, one cookie jar per user.

Production session cookies are Secure, and a client must not send a Secure cookie over plain http.
In production a TLS-terminating proxy (nginx) sits in front of gunicorn: the browser sends the cookie
over https and the proxy passes it on over http to 127.0.0.1. These tools talk to gunicorn directly,
so they play that proxy's part: their cookie policy sends Secure cookies to the local server over
http. The app itself runs its unchanged production configuration (no flag weakens the cookie).
"""

import html
import re
import uuid
from dataclasses import dataclass, field
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from urllib.error import HTTPError
from urllib.parse import quote, urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class BehindTlsProxy(DefaultCookiePolicy):
    """Send Secure cookies over http, as the TLS-terminating proxy in front of gunicorn does."""

    def return_ok_secure(self, cookie: Cookie, request) -> bool:
        return True


@dataclass
class Page:
    status: int
    url: str  # after redirects
    text: str
    headers: dict = field(default_factory=dict)
    redirects: list = field(default_factory=list)  # (status, Location) of each redirect followed
    body: bytes = b""  # the raw response (downloads)

    def csrf_token(self) -> str:
        """The CSRF token of the first form on the page."""
        match = CSRF.search(self.text)
        if not match:
            raise AssertionError(f"{self.url}: no csrf_token on the page")
        return html.unescape(match.group(1))

    def flashes(self) -> list[str]:
        """The flash messages shown on the page (alert boxes), as plain text."""
        boxes = re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', self.text, re.S)
        return [" ".join(re.sub(r"<[^>]+>", " ", html.unescape(b)).split()) for b in boxes]


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type."""
    boundary = f"----crm{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{item}\r\n'.encode()
            )
    for name, (filename, data, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{quote(filename)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class _Recorder(HTTPRedirectHandler):
    def __init__(self) -> None:
        self.seen: list[tuple[int, str]] = []

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self.seen.append((code, headers.get("Location", "")))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Browser:
    """One user: a cookie jar, redirects followed, every response returned (errors included)."""

    def __init__(self, base: str, timeout: float = 30) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.jar = CookieJar(policy=BehindTlsProxy())
        self._redirects = _Recorder()
        self.opener = build_opener(HTTPCookieProcessor(self.jar), self._redirects)

    def open(self, path: str, fields: dict | None = None, files: dict | None = None) -> Page:
        """GET (or POST the urlencoded fields, or multipart with files) and return the final page,
        whatever its status. files: {field: (filename, bytes, content type)}."""
        url = quote(path if path.startswith("http") else self.base + path, safe=":/?&=%#+@;,")
        headers = {}
        if files:
            data, headers["Content-Type"] = _multipart(fields or {}, files)
        else:
            data = urlencode(fields, doseq=True).encode() if fields is not None else None
        self._redirects.seen = []
        try:
            with self.opener.open(Request(url, data=data, headers=headers), timeout=self.timeout) as resp:
                status, final, headers, body = resp.status, resp.url, dict(resp.headers), resp.read()
        except HTTPError as err:
            status, final, headers, body = err.code, err.url, dict(err.headers), err.read()
        text = body.decode("utf-8", "replace")
        return Page(status, final, text, headers, list(self._redirects.seen), body)

    def get(self, path: str) -> Page:
        return self.open(path)

    def post(self, path: str, fields: dict, files: dict | None = None) -> Page:
        return self.open(path, fields, files)

    def login(self, username: str, password: str) -> Page:
        """Log in through the real form (its CSRF token included); returns the page after the redirect."""
        form = self.get("/login")
        token = form.csrf_token()
        return self.post("/login", {"csrf_token": token, "username": username, "password": password})

    def cookie(self, name: str) -> Cookie | None:
        return next((c for c in self.jar if c.name == name), None)
