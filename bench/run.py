"""The benchmark: a synthetic city on SQLite and PostgreSQL, at full and 1/10 scale.

For each database and scale it generates the city, then measures every main page (p50/p95 server
time through the WSGI app, SQL statements per request) next to a floor page measured in the same
run; at full scale also the monthly report (time, peak memory, next to openpyxl write-only floors),
imports of 20,000 and 100,000 rows, the export of 100,000 problems and the scheduled jobs. Prints a
table and writes bench/results.md.

    python -m bench.run [--scale 1.0] [--pg URL] [--skip-sqlite] [--quick]
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Optional

from sqlalchemy import event, select

from bench.pgserver import postgres_bin, throwaway_postgres

HERE = Path(__file__).resolve().parent
TODAY = "2026-11-02"
REQUESTS = 15


@dataclass
class PageResult:
    name: str
    p50: float
    p95: float
    queries: int
    floor_p50: float
    cold: float  # the first request of a fresh process (the home pages read their stored figures)
    # The home pages: the first request after a visit / a new problem in the officer's park.
    after_visit: Optional[float] = None
    after_problem: Optional[float] = None


@dataclass
class RunResult:
    backend: str
    scale: float
    counts: dict
    generate_seconds: float
    pages: list[PageResult] = field(default_factory=list)
    tasks: dict = field(default_factory=dict)


def _users(app) -> dict[str, int]:
    """One user of each kind, chosen so each page shows a realistic amount of data."""
    from crm.extensions import db
    from crm.models import Assignment, Enterprise, Problem, User

    with app.app_context():
        ids = dict(db.session.execute(select(User.username, User.id)).all())
        busiest_dept = db.session.scalar(
            select(Problem.department_id)
            .where(Problem.department_id.is_not(None))
            .group_by(Problem.department_id)
            .order_by(db.func.count().desc())
            .limit(1)
        )
        handler = db.session.scalar(
            select(User.id).where(User.department_id == busiest_dept, User.is_dept_head.is_(False)).limit(1)
        )
        cadre = db.session.scalar(
            select(Assignment.cadre_id)
            .where(Assignment.end_on.is_(None))
            .group_by(Assignment.cadre_id)
            .order_by(db.func.count().desc())
            .limit(1)
        )
        firm = db.session.scalar(
            select(Assignment.enterprise_id)
            .where(Assignment.cadre_id == cadre, Assignment.end_on.is_(None))
            .order_by(Assignment.enterprise_id)
            .limit(1)
        )
        park1 = db.session.scalar(select(Enterprise.park_id).where(Enterprise.id == firm))
    return {
        "admin": ids["admin"],
        "leader": ids["leader"],
        "officer": ids[f"officer{park1}"],
        "park_leader": ids[f"leader{park1}"],
        "cadre": cadre,
        "handler": handler,
        "firm": firm,
    }


def _pages(u: dict[str, int]) -> list[tuple[str, str, str]]:
    """(name, user key, path) of the main pages."""
    return [
        ("企业列表（筛选）", "officer", "/enterprises/?chain=1&scale=above&sort=name"),
        ("企业列表（拼音搜索）", "officer", "/enterprises/?q=xtcc"),
        ("企业档案", "officer", f"/enterprises/{u['firm']}"),
        ("企业档案·问题清单", "officer", f"/enterprises/{u['firm']}?tab=problems"),
        ("我的企业", "cadre", f"/cadres/{u['cadre']}"),
        ("走访记录", "officer", "/visits/"),
        ("走访覆盖", "officer", "/coverage/"),
        ("问题列表", "officer", "/problems/"),
        ("问题列表（红色）", "leader", "/problems/?colour=red"),
        ("待办（经办）", "handler", "/problems/inbox"),
        ("交办台", "officer", "/problems/board"),
        ("升级协调", "leader", "/problems/escalations"),
        ("工作台（园区）", "officer", "/"),
        ("工作台（全市领导）", "leader", "/"),
    ]


def _client(app, user_id: int):
    from crm.extensions import db
    from crm.models import User

    with app.app_context():
        session_id = db.session.get(User, user_id).get_id()  # "<id>:<generation>", as a login stores it
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = session_id
        sess["_fresh"] = True
    return client


def _time(app, client, path: str, n: int) -> tuple[list[float], int]:
    """Server time of n GETs (after two warm-ups) and the SQL statements of the last one."""
    from crm.extensions import db

    cold = None
    for _ in range(2):
        began = time.perf_counter()
        resp = client.get(path)
        cold = cold if cold is not None else (time.perf_counter() - began) * 1000
        assert resp.status_code == 200, (path, resp.status_code)
    times, statements = [], [0]

    def count(*_args):
        statements[0] += 1

    with app.app_context():
        engine = db.engine
    for i in range(n):
        if i == n - 1:
            event.listen(engine, "before_cursor_execute", count)
        began = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - began)
    event.remove(engine, "before_cursor_execute", count)
    return times, statements[0], cold


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def _after_writes(app, client, users: dict[str, int]) -> tuple[float, float]:
    """A home page's first request after a visit, then after a new problem, in the officer's park: each
    outdates that park's stored figures (the visit their visit part only), which this request recomputes;
    the other parks' are read."""
    from crm.extensions import db
    from crm.models import Enterprise, User, Visit
    from crm.services.problems.intake import raise_problem
    from crm.services.visits.summary import note_visit

    day = date.fromisoformat(TODAY)
    problem = {"title": "用电增容", "description": "企业反映用电负荷不足", "category": "utilities"}

    def visit(firm: Enterprise, officer: User) -> None:
        db.session.add(
            Visit(
                enterprise_id=firm.id,
                cadre_id=users["cadre"],
                visited_on=day,
                kind="phone",
                summary="电话回访",
            )
        )
        note_visit(firm.id, day, "phone")

    def new_problem(firm: Enterprise, officer: User) -> None:
        raise_problem(firm, officer, problem | {"urgency": "normal", "source": "visit"}, today=day)

    out = []
    for write in (visit, new_problem):
        with app.app_context():
            officer = db.session.get(User, users["officer"])
            firm = db.session.scalar(select(Enterprise).where(Enterprise.park_id == officer.park_id).limit(1))
            write(firm, officer)
            db.session.commit()
        began = time.perf_counter()
        assert client.get("/").status_code == 200
        out.append((time.perf_counter() - began) * 1000)
    return out[0], out[1]


def store_home_figures(app) -> float:
    """Run the 首页数字 job once, as the scheduler does every few minutes; its seconds."""
    from crm.jobs import JOBS, run_job

    began = time.perf_counter()
    run_job(app, JOBS["home_figures"], today=date.fromisoformat(TODAY))
    return time.perf_counter() - began


def measure_pages(app, n: int) -> list[PageResult]:
    users = _users(app)
    results = []
    for name, who, path in _pages(users):
        client = _client(app, users[who])
        floor_times, _, _ = _time(app, client, "/password", n)
        times, queries, cold = _time(app, client, path, n)
        results.append(PageResult(name, _p(times, 0.5), _p(times, 0.95), queries, _p(floor_times, 0.5), cold))
        if path == "/":
            results[-1].after_visit, results[-1].after_problem = _after_writes(app, client, users)
        print(
            f"  {name:<16} p50 {results[-1].p50:7.1f} ms  p95 {results[-1].p95:7.1f} ms  "
            f"SQL {queries:3d}  floor {results[-1].floor_p50:5.1f} ms",
            flush=True,
        )
    return results


def _task(*args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    out = subprocess.run(
        [sys.executable, "-m", "bench.tasks", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=HERE.parent,
        check=False,
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_jobs(app) -> dict:
    from crm.jobs import JOBS, run_job

    results = {}
    for job in JOBS.values():
        began = time.perf_counter()
        run = run_job(app, job, today=date.fromisoformat(TODAY))
        results[job.name] = {"seconds": time.perf_counter() - began, "status": run.status}
    return results


def run_one(backend: str, url: str, scale: float, heavy: bool, n: int) -> RunResult:
    from bench.app import bench_app
    from bench.generate import generate
    from crm.extensions import db

    print(f"== {backend}，规模 {scale} ==", flush=True)
    app = bench_app(url, TODAY)
    with app.app_context():
        db.drop_all()
        db.create_all()
        began = time.perf_counter()
        counts = generate(scale, date.fromisoformat(TODAY))
        gen = time.perf_counter() - began
    print(f"  生成数据 {gen:.1f} 秒：{counts}", flush=True)
    result = RunResult(backend, scale, counts, gen)
    result.tasks["home_figures"] = {"seconds": store_home_figures(app)}
    print(f"  首页数字（全部园区）{result.tasks['home_figures']['seconds']:.1f} 秒", flush=True)
    result.pages = measure_pages(app, n)
    if heavy:
        # Each report with its floors timed in the same process, between its runs.
        out = f"/tmp/bench-report-{backend}.xlsx"
        result.tasks["report"] = _task("report", "--floor", "--db", url, "--today", TODAY, "--out", out)
        # The same month once closed (月结): built from its snapshot only.
        closed_out = f"/tmp/bench-report-closed-{backend}.xlsx"
        result.tasks["report_closed"] = _task(
            "report", "--closed", "--floor", "--db", url, "--today", TODAY, "--out", closed_out
        )
        result.tasks["jobs"] = measure_jobs(app)
        with app.app_context():
            from bench.generate import top_up_problems

            top_up_problems(100_000, date.fromisoformat(TODAY))
        result.tasks["export"] = _task("export", "--repeat", "2", "--db", url, "--today", TODAY)
        for rows in (20_000, 100_000):
            result.tasks[f"import_{rows}"] = _task(
                "import", "--db", url, "--today", TODAY, "--rows", str(rows)
            )
        for key, value in result.tasks.items():
            print(f"  {key}: {value}", flush=True)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="联企通基准测试")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG_URL"), help="PostgreSQL URL（空库；默认起一个临时服务器）"
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--quick", action="store_true", help="少量请求，只测页面（试跑用）")
    parser.add_argument("--pages", action="store_true", help="只测页面（请求数与完整运行相同）")
    args = parser.parse_args()
    n = 5 if args.quick else REQUESTS
    args.quick = args.quick or args.pages  # no heavy tasks
    results = []
    if not args.skip_sqlite:
        db_file = Path("/tmp/bench-city.sqlite3")
        db_file.unlink(missing_ok=True)
        results += _both_scales("SQLite", f"sqlite:///{db_file}", args, n)
    if args.pg:
        results += _both_scales("PostgreSQL", args.pg, args, n)
    elif postgres_bin() is not None:
        with throwaway_postgres() as url:
            results += _both_scales("PostgreSQL", url, args, n)
    else:
        print("未安装 PostgreSQL，只测 SQLite（apt-get install postgresql 后可同时测 PostgreSQL）")
    from bench.report import write_results

    path = write_results(results, HERE / "results.md", machine())
    print(f"结果已写入 {path}")
    from bench.targets import checks

    missed = [c for full in results[::2] for c in checks(full) if not c.ok]
    if missed:
        for c in missed:
            print(
                f"未达标：{c.backend}·{c.what}：{c.verdict}（目标 ≤ {c.target:g} {c.unit}）", file=sys.stderr
            )
        sys.exit(1)


def _both_scales(backend: str, url: str, args, n: int) -> list[RunResult]:
    return [
        run_one(backend, url, args.scale, heavy=not args.quick, n=n),
        run_one(backend, url, round(args.scale / 10, 4), heavy=False, n=n),
    ]


def machine() -> dict:
    return {
        "date": datetime.now().strftime("%Y-%m-%d %H:%M"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


if __name__ == "__main__":
    main()
