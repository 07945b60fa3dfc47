"""Browser-test fixtures: a live server for the shared `app`, Playwright with the system Chromium.

Design notes
- The live server serves the very same `app` object as tests/conftest.py. That app uses a
  temporary SQLite *file* (or TEST_DATABASE_URL), so rows a test commits through the factories
  in its own thread are visible to the server thread, and the `db` fixture's wipe after each
  test cleans up what the browser created too.
- TestConfig disables CSRF for the test client, but a real browser must go through CSRF like a
  user does. We flip ``WTF_CSRF_ENABLED`` on for the duration of each e2e test and restore it
  afterwards, rather than building a second app on the same database URL: Flask-WTF reads the
  setting per request, so the flip is immediate; one app means one engine and one connection
  pool (no second SQLite/PostgreSQL pool racing the `db` fixture's wipe) and exactly the same
  configuration (CRM_TODAY, upload folders) as the rest of the suite. Tests run one at a time,
  so no web test can observe the flipped value. ``test_csrf_is_enforced`` proves the flip works.
- Chromium comes from Debian (never `playwright install`). Without it the e2e tests skip
  locally, but fail when CI=true: browser tests are required in CI.
- On failure, a screenshot of every open page is written to screenshots/ (gitignored).
"""

import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.support.factories import PASSWORD

CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
DEFAULT_TIMEOUT_MS = 10_000
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}


def _unavailable(reason: str) -> None:
    """Skip locally, fail in CI: browser tests are required there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI 需要浏览器测试，但{reason}", pytrace=False)
    pytest.skip(f"跳过浏览器测试：{reason}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


class _QuietHandler(WSGIRequestHandler):
    """Log only 5xx responses; a passing run should not print every request."""

    def log_request(self, code="-", size="-"):
        if str(code).startswith("5"):
            super().log_request(code, size)


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """Base URL of the shared app served from a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="crm-live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _csrf_enabled(app) -> Iterator[None]:
    """Real browsers go through CSRF protection; restore the test-client setting afterwards."""
    old = app.config.get("WTF_CSRF_ENABLED")
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = old


@pytest.fixture(scope="session")
def browser():
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"找不到 Chromium（{CHROMIUM}）；请执行 apt-get install chromium fonts-wqy-zenhei")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("未安装 Python 包 playwright；请执行 make test 安装 requirements-dev.txt")
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:  # a broken binary must not look like a pass
        pw.stop()
        _unavailable(f"Chromium 无法启动：{exc}")
    yield browser
    browser.close()
    pw.stop()


@pytest.fixture()
def new_page(request, browser, live_server, db) -> Iterator[Callable]:
    """new_page(profile=DESKTOP): a page in a fresh context (own cookies), closed after the test.

    Depends on `db` so the tables are wiped only after every browser context is closed.
    """
    contexts = []
    server_errors: list[str] = []

    def _on_response(response) -> None:
        if response.status >= 500:
            server_errors.append(f"{response.status} {response.request.method} {response.url}")

    def _new(profile: dict | None = None):
        context = browser.new_context(base_url=live_server, **(profile or DESKTOP))
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.on("response", _on_response)
        contexts.append(context)
        return context.new_page()

    yield _new
    reports = (getattr(request.node, f"rep_{when}", None) for when in ("setup", "call"))
    failed = any(rep is not None and rep.failed for rep in reports)
    if server_errors:  # a 500 is a bug even when the page "looked" right; say which request
        print("服务器错误：", *server_errors, sep="\n  ")
    if failed:
        SCREENSHOTS.mkdir(exist_ok=True)
        stem = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        n = 0
        for context in contexts:
            for pg in context.pages:
                n += 1
                try:
                    pg.screenshot(path=str(SCREENSHOTS / f"FAILED-{stem}-{n}.png"), full_page=True)
                except Exception:  # best effort: never mask the real failure
                    pass
    for context in contexts:
        context.close()
    if server_errors and not failed:
        pytest.fail("浏览器请求出现服务器错误：" + "；".join(server_errors), pytrace=False)


@pytest.fixture()
def page(new_page):
    """A desktop page: 1280×800, zh-CN."""
    return new_page(DESKTOP)


@pytest.fixture()
def phone_page(new_page):
    """A phone page: 390×844, mobile viewport with touch, zh-CN."""
    return new_page(PHONE)


@pytest.fixture()
def login() -> Callable:
    """login(page, user_or_username, password=PASSWORD): sign in through the real /login form."""
    from playwright.sync_api import expect

    def _login(pg, user, password: str = PASSWORD):
        username = user if isinstance(user, str) else user.username
        pg.goto("/login")
        pg.locator("input[name=username]").fill(username)
        pg.locator("input[name=password]").fill(password)
        pg.get_by_role("button", name="登录").click()
        expect(pg.locator("nav.navbar"), f"{username} 登录失败").to_be_visible()
        # Let the home page finish loading: a goto() right away would abort its scripts (ERR_ABORTED).
        pg.wait_for_load_state("load")
        return pg

    return _login
