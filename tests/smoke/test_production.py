"""Production run, for real: a fresh PostgreSQL database migrated with `flask db upgrade`, `crm seed` and
`crm demo`, then `gunicorn -w 3` and ONE `flask crm scheduler` process, driven over real HTTP.

Runs in the PostgreSQL pass of scripts/test.sh (TEST_DATABASE_URL names the server; the test creates and
drops its own database there). With CI=true a missing PostgreSQL or gunicorn fails the test; elsewhere
it is skipped with the reason. Session cookies stay Secure (production config unchanged): the client
plays the TLS-terminating proxy's part, see bench/httpclient.py.
"""

import fcntl
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, select, text

from bench import serve
from bench.httpclient import Browser
from crm.jobs import JOBS
from crm.models import JobRun, Problem
from crm.scheduler import CLUSTER_LOCK_KEY

pytestmark = pytest.mark.production
PASSWORD = "Demo2026!"  # the demo accounts' password (crm/services/demo.py)
WORKERS = 3
IN_CI = os.environ.get("CI") == "true"
CHINESE = re.compile(r"[\u4e00-\u9fff]{2,}")


def _lock_is_free(path: str) -> bool:
    """Whether nobody holds the scheduler lock (a web worker that had started a scheduler would)."""
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def _leader_sessions(engine) -> int:
    """Sessions holding the schedulers' cluster lock (PostgreSQL's advisory lock)."""
    stmt = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND ((classid::bigint << 32) | objid::bigint) = :key"
    )
    with engine.connect() as conn:
        return conn.execute(stmt, {"key": CLUSTER_LOCK_KEY}).scalar_one()


def _runs(engine) -> list[JobRun]:
    with engine.connect() as conn:
        return list(conn.execute(select(JobRun.job, JobRun.status, JobRun.started_at, JobRun.error)))


def _wait_for_catch_up(engine, sched, log, timeout: float = 90) -> None:
    """The scheduler runs every never-run job once at start: wait until each has finished (but the
    delivery loop, which is not run while no channel is switched on)."""
    expected = {name for name, job in JOBS.items() if job.idle is None}
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        done = {r.job for r in _runs(engine) if r.status != "running"}
        if done >= expected:
            return
        assert sched.poll() is None, f"调度进程退出了：\n{serve.tail(log)}"
        time.sleep(0.5)
    raise AssertionError(f"补运行没有在 {timeout} 秒内完成：{_runs(engine)}\n{serve.tail(log)}")


def _chinese_page(browser: Browser, path: str, *words: str) -> str:
    page = browser.get(path)
    assert page.status == 200, (browser, path, page.status, page.text[:500])
    assert page.headers.get("Content-Type", "").startswith("text/html"), path
    assert CHINESE.search(page.text) and "联企通" in page.text, path
    for word in words:
        assert word in page.text, (path, word)
    return page.text


def _first_problem(browser: Browser, query: str) -> str:
    listing = _chinese_page(browser, f"/problems/?{query}", "问题")
    found = re.search(r'href="(/problems/\d+)"', listing)
    assert found, f"/problems/?{query} lists no problem"
    return found.group(1)


def walk(username: str, base: str) -> list[str]:
    """Log one demo user in over HTTP and open the main pages of their role; the paths opened."""
    browser = Browser(base)
    home = browser.login(username, PASSWORD)
    assert home.status == 200 and "/login" not in home.url, (username, home.url, home.flashes())
    assert [code for code, _ in home.redirects][:1] == [302]
    session = browser.cookie("session")
    assert session is not None and session.secure, "production session cookie must be Secure"
    assert session.has_nonstandard_attr("HttpOnly")
    assert CHINESE.search(home.text) and "联企通" in home.text
    if username.startswith("cadre"):
        assert "我的企业" in home.text  # a cadre's home page is their own caseload
    opened = [home.url.removeprefix(base)]
    pages = {
        "common": [("/enterprises/", "企业"), ("/problems/", "问题"), ("/notifications/", "通知")],
        "admin": [("/admin/jobs", "任务状态"), ("/reports/", "报表"), ("/problems/board", "交办")],
        "officer": [("/problems/board", "交办"), ("/reports/", "报表"), ("/coverage/", "走访")],
        "leader": [("/reports/", "报表"), ("/problems/escalations", "协调")],
        "cadre": [("/visits/", "走访")],
        "handler": [("/problems/inbox", "待办")],
    }
    role = re.sub(r"\d+$", "", username)
    for path, word in pages["common"] + pages[role]:
        _chinese_page(browser, path, word)
        opened.append(path)
    firm = re.search(r'href="(/enterprises/\d+)"', browser.get("/enterprises/").text)
    assert firm, f"{username} sees no firm"
    _chinese_page(browser, firm.group(1), "企业")
    problem = _first_problem(browser, "open=1")
    _chinese_page(browser, problem, "问题")
    return [*opened, firm.group(1), problem]


def dispatch_one(base: str, engine) -> tuple[int, str]:
    """An officer dispatches a new problem to 税务局 through the real form (CSRF token, version)."""
    officer = Browser(base)
    officer.login("officer", PASSWORD)
    path = _first_problem(officer, "status=new")
    detail = officer.get(path)
    form = re.search(rf'<form method="post" action="{path}/dispatch".*?</form>', detail.text, re.S)
    assert form, "no dispatch form for the officer"
    body = form.group(0)
    department = re.search(r'<option value="(\d+)">税务局</option>', body).group(1)
    version = re.search(r'name="version" value="(\d+)"', body).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
    without_token = officer.post(f"{path}/dispatch", {"department_id": department, "version": version})
    assert without_token.status == 400 and "页面已过期" in without_token.text
    fields = {"csrf_token": token, "department_id": department, "version": version, "note": "冒烟测试"}
    done = officer.post(f"{path}/dispatch", fields)
    assert done.status == 200 and done.url.endswith(path), done.url
    assert any("已交办给税务局" in f for f in done.flashes()), done.flashes()
    problem_id = int(path.rsplit("/", 1)[1])
    with engine.connect() as conn:
        status = conn.execute(select(Problem.status).where(Problem.id == problem_id)).scalar_one()
    assert status == "dispatched"
    stale = officer.post(
        f"{path}/dispatch", {"csrf_token": token, "department_id": department, "version": version}
    )
    assert stale.status == 200 and stale.flashes() and "已交办给" not in " ".join(stale.flashes())
    return problem_id, path


def test_gunicorn_and_one_scheduler_serve_the_demo(database_url, tmp_path):
    env = serve.production_env(database_url, tmp_path)
    started = time.monotonic()
    serve.flask(["db", "upgrade"], env)
    serve.flask(["crm", "seed"], env)
    assert "演示数据已装入" in serve.flask(["crm", "demo"], env)
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    port = serve.free_port()
    base = f"http://127.0.0.1:{port}"
    web_log, sched_log = tmp_path / "gunicorn.log", tmp_path / "scheduler.log"
    web = sched = None
    try:
        web = serve.gunicorn(port, WORKERS, env, web_log)
        serve.wait_until_up(base, web, web_log)
        assert len(serve.children(web.pid)) == WORKERS
        # Every worker has loaded the app: none of them started a scheduler (no lock held, no runs).
        time.sleep(1)
        assert _lock_is_free(env["CRM_SCHEDULER_LOCK"]) and _leader_sessions(engine) == 0
        assert _runs(engine) == []
        sched = serve.scheduler(env, sched_log)
        _wait_for_catch_up(engine, sched, sched_log)
        users = ["admin", "officer", "leader", "cadre1", "handler1"]
        with ThreadPoolExecutor(len(users)) as pool:
            walked = dict(zip(users, pool.map(lambda u: walk(u, base), users), strict=True))
        assert all(len(paths) >= 6 for paths in walked.values()), walked
        problem_id, path = dispatch_one(base, engine)
        handler = Browser(base)
        handler.login("handler1", PASSWORD)
        assert path in handler.get("/problems/inbox").text  # the other workers see the dispatch
        jobs_page = Browser(base)
        jobs_page.login("admin", PASSWORD)
        assert "定时提醒任务从未运行" not in jobs_page.get("/admin/jobs").text
        assert _leader_sessions(engine) == 1  # the scheduler process leads the cluster
    finally:
        web_code, sched_code = serve.stop(web), serve.stop(sched)
    elapsed = time.monotonic() - started
    runs = _runs(engine)
    engine.dispose()
    assert web_code == 0, serve.tail(web_log)
    assert sched_code == 0, serve.tail(sched_log)
    assert "提醒调度器已在本进程内启动" not in web_log.read_text()
    assert "Traceback" not in web_log.read_text() + sched_log.read_text()
    assert "调度器已停止" in sched_log.read_text()
    failed = [(r.job, r.error) for r in runs if r.status != "ok"]
    assert failed == [], failed
    counts = {name: sum(r.job == name for r in runs) for name in JOBS}
    for name, job in JOBS.items():
        if job.every is None:
            assert counts[name] == 1, (name, counts)  # once, not once per process
        elif job.idle is not None:  # the delivery loop: no channel is switched on here, so it never runs
            assert counts[name] == 0, (name, counts)
        else:  # the catch-up run, then one per interval since: never two at the same tick
            starts = sorted(r.started_at for r in runs if r.job == name)
            assert 1 <= counts[name] <= 1 + elapsed // job.every.total_seconds() + 1, (name, counts)
            gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:], strict=False)]
            assert all(g > job.every.total_seconds() / 2 for g in gaps), (name, gaps)
    assert elapsed < 120, f"the smoke test took {elapsed:.0f} s"
