"""Load test (`make load`): gunicorn on 127.0.0.1 against the demo database, N simulated users of mixed
roles (threads, each with its own cookie jar and session) requesting the main pages for a fixed time.

    python -m bench.load                       # SQLite, then a throwaway PostgreSQL if installed
    python -m bench.load --backend sqlite --users 32 --duration 60 --workers 4

Reports throughput (requests/s), latency p50/p95/p99 (client side, through gunicorn) and errors (any
non-200, a page that fell back to the login form, or an exception); the target is zero errors.
Results print as tables and go to bench/load_results.md. Bound to 127.0.0.1 only; nothing external.
"""

import argparse
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import serve
from bench.httpclient import Browser
from bench.pgserver import postgres_bin, throwaway_postgres

PASSWORD = "Demo2026!"
ACCOUNTS = [
    "admin",
    "officer",
    "officer2",
    "leader",
    "leader2",
    "handler1",
    "handler2",
    "handler3",
    "handler4",
]
ACCOUNTS += [f"cadre{i}" for i in range(1, 9)]
ROLE_PAGES = {  # beyond each role's home page, firm list/detail, problem list/detail and notifications
    "admin": ["/problems/board", "/coverage/", "/reports/", "/visits/", "/cadres/", "/admin/jobs"],
    "officer": ["/problems/board", "/coverage/", "/visits/", "/cadres/", "/enterprises/?q=电机"],
    "leader": ["/problems/escalations", "/coverage/", "/reports/", "/problems/?colour=red"],
    "cadre": ["/visits/", "/enterprises/?q=湘潭"],
    "handler": ["/problems/?open=1"],
}
RESULTS = Path(__file__).resolve().parent / "load_results.md"
INTRO = [
    "# 联企通 负载测试结果",
    "",
    "- 运行：`make load`（即 `python -m bench.load`），只连 127.0.0.1；客户端与服务器在同一台机器。",
    "- 数据：`crm demo` 演示园区；gunicorn 同步工作进程，生产配置（CRM_ENV=production）。",
    "- 用户：演示账号轮流分配（管理员、园区管理员、领导、联企干部、部门经办），每个模拟用户一个线程、"
    "一个会话，登录后随机请求本角色的首页、企业列表/档案、问题列表/详情、通知及角色页面。",
    "- 延迟为客户端测得（含排队）；错误 = 非 200、掉回登录页、写操作未保存或异常；"
    "另查 gunicorn 日志中的异常。",
    "",
]


@dataclass
class Sample:
    page: str  # the path with ids replaced, e.g. /enterprises/<id>
    ms: float
    error: str = ""


@dataclass
class User:
    username: str
    browser: Browser
    pages: list[str] = field(default_factory=list)
    firms: list[str] = field(default_factory=list)  # a cadre's own firms (where they log visits)
    samples: list[Sample] = field(default_factory=list)

    @property
    def role(self) -> str:
        return re.sub(r"\d+$", "", self.username)


def _kind(path: str) -> str:
    return re.sub(r"/\d+", "/<id>", path.split("?")[0]) + ("?…" if "?" in path else "")


def _links(page_text: str, prefix: str, limit: int = 5) -> list[str]:
    return list(dict.fromkeys(re.findall(rf'href="({prefix}\d+)"', page_text)))[:limit]


def prepare(user: User) -> None:
    """Log in and list the pages this user will request (their home, a few firms and problems)."""
    home = user.browser.login(user.username, PASSWORD)
    if home.status != 200 or "/login" in home.url:
        raise RuntimeError(f"{user.username} 登录失败：{home.status} {home.flashes()}")
    firms = _links(user.browser.get("/enterprises/").text, "/enterprises/")
    problems = _links(user.browser.get("/problems/?open=1").text, "/problems/")
    base = [home.url.removeprefix(user.browser.base), "/enterprises/", "/problems/", "/notifications/"]
    user.pages = base + ROLE_PAGES[user.role] + firms + problems
    if user.role == "cadre":  # their home page is 我的企业: their own firms
        user.firms = _links(home.text, "/enterprises/")


def write(user: User, rnd: random.Random) -> tuple[str, str]:
    """One real write through the forms: a cadre logs a visit to one of their firms (a new row); anyone
    else signs in again in a fresh session (the login updates their account row). (page kind, error or "")."""
    if user.role == "cadre" and user.firms:
        url = rnd.choice(user.firms) + "/visits/new"
        form = user.browser.get(url)
        day = re.search(r'name="visited_on" value="([0-9-]+)"', form.text).group(1)
        fields = {"csrf_token": form.csrf_token(), "visited_on": day, "kind": "phone"}
        fields |= {"participants": "企业负责人", "summary": "负载测试：电话了解生产经营情况"}
        done = user.browser.post(url, fields)
        saved = done.status == 200 and any("走访记录已保存" in f for f in done.flashes())
        return (
            "/enterprises/<id>/visits/new（写）",
            "" if saved else f"走访未保存：{done.status} {done.flashes()}",
        )
    # Not through /logout: that ends every session of the account, the other threads' on it included.
    user.browser.jar.clear()
    home = user.browser.login(user.username, PASSWORD)
    ok = home.status == 200 and "/login" not in home.url
    return "/login（重新登录，写）", "" if ok else f"重新登录失败：{home.status} {home.flashes()}"


def hammer(user: User, start: threading.Barrier, deadline: list[float], writes: float, seed: int) -> None:
    """Request this user's pages in a shuffled loop until the deadline; every answer is one sample."""
    rnd = random.Random(seed)
    start.wait()
    while time.monotonic() < deadline[0]:
        kind = _kind(path := rnd.choice(user.pages))
        began = time.perf_counter()
        error = ""
        try:
            if writes and rnd.random() < writes:
                kind, error = write(user, rnd)
            else:
                page = user.browser.get(path)
                if page.status != 200:
                    error = f"HTTP {page.status}"
                elif "/login" in page.url:
                    error = "会话丢失（回到登录页）"
        except Exception as exc:  # noqa: BLE001 (every failure is counted, none hides the others)
            error = f"{type(exc).__name__}: {exc}"[:200]
        user.samples.append(Sample(kind, (time.perf_counter() - began) * 1000, error))


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


@dataclass
class Result:
    backend: str
    users: int
    workers: int
    seconds: float
    samples: list[Sample]
    server_errors: list[str]

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if s.error]

    def summary(self) -> dict:
        ms = [s.ms for s in self.samples]
        return {
            "requests": len(ms),
            "rps": len(ms) / self.seconds,
            "p50": pct(ms, 50),
            "p95": pct(ms, 95),
            "p99": pct(ms, 99),
            "mean": statistics.fmean(ms) if ms else 0.0,
            "errors": len(self.errors),
        }


def create_database(server_url: str, name: str) -> str:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def run(backend: str, database_url: str, args, folder: Path) -> Result:
    """Prepare the demo in the database, start gunicorn, log everyone in, load for args.duration s."""
    env = serve.production_env(database_url, folder)
    for command in (["db", "upgrade"], ["crm", "seed"], ["crm", "demo"]):
        serve.flask(command, env)
    port = serve.free_port()
    base, log = f"http://127.0.0.1:{port}", folder / "gunicorn.log"
    web = serve.gunicorn(port, args.workers, env, log)
    try:
        serve.wait_until_up(base, web, log)
        users = [User(ACCOUNTS[i % len(ACCOUNTS)], Browser(base, timeout=60)) for i in range(args.users)]
        for user in users:
            prepare(user)
        start, deadline = threading.Barrier(len(users) + 1), [0.0]
        threads = [
            threading.Thread(target=hammer, args=(u, start, deadline, args.writes, i), daemon=True)
            for i, u in enumerate(users)
        ]
        for t in threads:
            t.start()
        deadline[0] = time.monotonic() + args.duration
        began = time.monotonic()
        start.wait()
        for t in threads:
            t.join(timeout=args.duration + 120)
        seconds = time.monotonic() - began
    finally:
        code = serve.stop(web)
    logged = log.read_text(errors="replace")
    problems = [line for line in logged.splitlines() if re.search(r"Traceback|locked|Error|CRITICAL", line)]
    if code != 0:
        problems.append(f"gunicorn 退出码 {code}")
    samples = [s for u in users for s in u.samples]
    return Result(backend, args.users, args.workers, seconds, samples, problems)


def print_result(result: Result) -> str:
    """Print one run's tables and return them as Markdown."""
    s = result.summary()
    lines = [
        f"### {result.backend}：{result.users} 个用户，gunicorn {result.workers} 个工作进程，"
        f"{result.seconds:.0f} 秒",
        "",
        "| 请求数 | 吞吐（次/秒） | p50 ms | p95 ms | p99 ms | 平均 ms | 错误 |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {s['requests']} | {s['rps']:.1f} | {s['p50']:.0f} | {s['p95']:.0f} | {s['p99']:.0f} "
        f"| {s['mean']:.0f} | {s['errors']} |",
        "",
        "| 页面 | 请求数 | p50 ms | p95 ms | p99 ms | 错误 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    by_page: dict[str, list[Sample]] = defaultdict(list)
    for sample in result.samples:
        by_page[sample.page].append(sample)
    for page, items in sorted(by_page.items(), key=lambda kv: -len(kv[1])):
        ms = [i.ms for i in items]
        errors = sum(1 for i in items if i.error)
        lines.append(
            f"| `{page}` | {len(ms)} | {pct(ms, 50):.0f} | {pct(ms, 95):.0f} | {pct(ms, 99):.0f} | {errors} |"
        )
    kinds = Counter(e.error for e in result.errors)
    lines += ["", f"错误明细：{dict(kinds) if kinds else '无'}"]
    lines += [
        f"服务器日志中的异常：{len(result.server_errors)} 行"
        + (f"，例如 `{result.server_errors[0]}`" if result.server_errors else "")
    ]
    out = "\n".join(lines)
    print(out, flush=True)
    return out


def machine() -> str:
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?"
    )
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    python = sys.version.split()[0]
    return f"{platform.platform()}，{os.cpu_count()} 核（{cpu}），{mem:.1f} GB 内存；Python {python}"


def main() -> int:
    parser = argparse.ArgumentParser(description="联企通负载测试（仅 127.0.0.1）")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--writes", type=float, default=0.02, help="写操作（登记走访、重新登录）所占比例")
    parser.add_argument(
        "--pg", default=os.environ.get("LOAD_PG_URL"), help="已有 PostgreSQL 服务器 URL（默认临时启动一个）"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--append", action="store_true", help="追加到结果文件末尾（默认覆盖）")
    args = parser.parse_args()
    sections, results = [], []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="crm-load-") as tmp:
        folder = Path(tmp)
        if args.backend in ("sqlite", "both"):
            (folder / "sqlite").mkdir()
            url = f"sqlite:///{folder / 'sqlite' / 'load.sqlite3'}"
            results.append(run("SQLite", url, args, folder / "sqlite"))
            sections.append(print_result(results[-1]))
        if args.backend in ("postgres", "both"):
            (folder / "pg").mkdir()
            if args.pg:
                results.append(run("PostgreSQL", create_database(args.pg, "crm_load"), args, folder / "pg"))
                sections.append(print_result(results[-1]))
            elif postgres_bin() is not None:
                with throwaway_postgres() as server:
                    results.append(
                        run("PostgreSQL", create_database(server, "crm_load"), args, folder / "pg")
                    )
                sections.append(print_result(results[-1]))
            else:
                sections.append("### PostgreSQL：未安装，跳过")
                print(sections[-1])
    command = (
        f"python -m bench.load --backend {args.backend} --users {args.users} --duration {args.duration:g}"
    )
    command += f" --workers {args.workers} --writes {args.writes:g}"
    block = [
        f"## {datetime.now():%Y-%m-%d %H:%M}：`{command}`",
        "",
        f"- 机器：{machine()}；系统负载（1 分钟平均，含同机其他进程）：开始 {load_before:.1f}，"
        f"结束 {os.getloadavg()[0]:.1f}",
        f"- 约 {args.writes:.0%} 为写操作：联企干部登记一次走访（新增记录），"
        "其他角色在新会话中重新登录（更新账号）；每次写操作含取表单、提交和跳转共 3–4 个请求，计为一个样本。",
        "",
        "\n\n".join(sections),
        "",
    ]
    if args.append and args.out.exists():
        args.out.write_text(args.out.read_text(encoding="utf-8") + "\n" + "\n".join(block), encoding="utf-8")
    else:
        args.out.write_text("\n".join(INTRO + block), encoding="utf-8")
    print(f"结果已写入 {args.out}")
    return 1 if any(r.errors or r.server_errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
