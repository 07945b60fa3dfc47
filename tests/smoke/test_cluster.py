"""Two hosts, one PostgreSQL, for real: two gunicorn instances on their own ports with their own disks
(CRM_FILE_STORAGE=database), and two `flask crm scheduler` processes. A photo uploaded through one host is
downloaded through the other; killing the scheduler leader makes the standby take over; every scheduled
job ran exactly once across the whole run.

Runs in the PostgreSQL pass of scripts/test.sh, like the production smoke test (whose fixtures it shares).
"""

import os
import re
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from bench import serve
from bench.httpclient import Browser
from crm.jobs import JOBS
from tests.smoke.test_production import PASSWORD, _runs
from tests.support.uploads import png_bytes

pytestmark = pytest.mark.production
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')


def _host_env(database_url: str, folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    return serve.production_env(database_url, folder, CRM_FILE_STORAGE="database", CRM_SCHEDULER_POLL="2")


def _hidden_fields(form_html: str) -> dict[str, str]:
    fields = {}
    for tag in HIDDEN.findall(form_html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def _log_visit_with_photo(base: str, photo: bytes) -> tuple[Browser, str]:
    """cadre1 logs an on-site visit with a photo through host `base`; the firm's page path."""
    cadre = Browser(base)
    cadre.login("cadre1", PASSWORD)
    firm = re.search(r'href="(/enterprises/\d+)"', cadre.get("/enterprises/").text).group(1)
    form = cadre.get(f"{firm}/visits/new")
    assert form.status == 200, form.text[:300]
    fields = _hidden_fields(form.text) | {
        "visited_on": time.strftime("%Y-%m-%d"),
        "kind": "onsite",
        "participants": "王总",
        "summary": "集群冒烟测试走访",
    }
    done = cadre.post(f"{firm}/visits/new", fields, files={"files": ("现场照片.png", photo, "image/png")})
    assert done.status == 200 and any("走访记录已保存" in f for f in done.flashes()), done.flashes()
    return cadre, firm


def _wait(predicate, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"{what}：{timeout} 秒内没有发生")


def test_two_hosts_and_two_schedulers_on_one_database(database_url, tmp_path):
    a, b = _host_env(database_url, tmp_path / "a"), _host_env(database_url, tmp_path / "b")
    serve.flask(["db", "upgrade"], a)
    serve.flask(["crm", "seed"], a)
    serve.flask(["crm", "demo"], a)
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    ports = serve.free_port(), serve.free_port()
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    logs = {name: tmp_path / f"{name}.log" for name in ("web-a", "web-b", "sched-a", "sched-b")}
    procs: dict[str, object] = {}
    started = time.monotonic()
    try:
        procs["web-a"] = serve.gunicorn(ports[0], 2, a, logs["web-a"])
        procs["web-b"] = serve.gunicorn(ports[1], 2, b, logs["web-b"])
        serve.wait_until_up(bases[0], procs["web-a"], logs["web-a"])
        serve.wait_until_up(bases[1], procs["web-b"], logs["web-b"])
        procs["sched-a"] = serve.scheduler(a, logs["sched-a"])
        procs["sched-b"] = serve.scheduler(b, logs["sched-b"])

        # Files: uploaded through host A, served by host B (whose disk never saw it).
        photo = png_bytes(24, 24, (200, 30, 30))
        _cadre, firm = _log_visit_with_photo(bases[0], photo)
        viewer = Browser(bases[1])
        viewer.login("cadre1", PASSWORD)
        visits = re.findall(r"/visits/(\d+)", viewer.get(f"{firm}?tab=visits").text)
        assert visits, "no visit listed on host B"
        page = viewer.get(f"/visits/{max(int(v) for v in visits)}")
        assert "集群冒烟测试走访" in page.text
        links = re.findall(r"/attachments/(\d+)", page.text)
        assert links, "the visit's photo is not listed on host B"
        newest = max(int(x) for x in links)
        download = viewer.get(f"/attachments/{newest}")
        assert download.status == 200 and download.body == photo
        assert not [p for p in (tmp_path / "a" / "uploads").rglob("*.png")]  # not on host A's disk either

        # Schedulers: one leads and runs the catch-up, the other stands by.
        once = {name for name, job in JOBS.items() if job.every is None}
        _wait(lambda: once <= {r.job for r in _runs(engine) if r.status == "ok"}, 120, "领导者补运行全部任务")
        texts = {name: logs[name].read_text() for name in ("sched-a", "sched-b")}
        leaders = [name for name, text in texts.items() if "调度器已启动" in text]
        assert len(leaders) == 1, texts
        leader = leaders[0]
        standby = "sched-b" if leader == "sched-a" else "sched-a"
        assert "本进程待命" in texts[standby]
        os.killpg(procs[leader].pid, signal.SIGKILL)  # the leader's host dies
        procs[leader].wait(timeout=10)
        killed_at = time.monotonic()
        _wait(lambda: "本进程接替运行任务" in logs[standby].read_text(), 60, "待命进程接替")
        assert time.monotonic() - killed_at < 60  # within a minute
        _wait(lambda: "调度器已启动" in logs[standby].read_text(), 30, "接替后启动调度")
        time.sleep(3)
    finally:
        codes = {name: serve.stop(proc) for name, proc in procs.items()}
    runs = _runs(engine)
    engine.dispose()
    for name in ("web-a", "web-b"):
        assert codes[name] == 0, serve.tail(logs[name])
        assert "Traceback" not in logs[name].read_text()
    assert "Traceback" not in logs[standby].read_text()
    failed = [(r.job, r.error) for r in runs if r.status == "failed"]
    assert failed == [], failed
    for name, job in JOBS.items():
        if job.every is None:  # across both schedulers, the leader's catch-up and the takeover: once
            assert sum(r.job == name for r in runs) == 1, (name, [(r.job, r.status) for r in runs])
    assert time.monotonic() - started < 240
