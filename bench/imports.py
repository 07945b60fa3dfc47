"""Import and export timings at city scale, each run on a fresh copy of the demo database.

    python -m bench.imports import --rows 20000 [--pg] [--repeat 3] [--cadres] [--profile out.prof]
    python -m bench.imports export --problems 100000 [--pg] [--repeat 3]

import: an .xlsx of new firms (Chinese headers, valid unique credit codes; --cadres fills 联系干部 so
every firm also gets its liaison) is imported by the demo park's officer through import_enterprises()
and committed, on a fresh copy of the demo database each time (SQLite: a copied file; PostgreSQL: a
database cloned from a template on a throwaway server). export: GET /problems/export.xlsx as the
city-wide admin after topping the demo up to --problems problems, next to the same cells written by
openpyxl write-only and by xlsxwriter constant_memory (the writer floor). Prints one JSON line with
every run and the medians.
"""

import argparse
import cProfile
import json
import os
import shutil
import statistics
import sys
import time
from contextlib import ExitStack
from datetime import date
from io import BytesIO
from pathlib import Path

from sqlalchemy import create_engine, text

TODAY = "2026-11-02"
WORK = Path("/tmp/bench-imports")
NAME_WORDS = ["湘潭", "长沙", "株洲", "华菱", "长顺", "重工", "恒信", "宏达", "中科", "银行", "乐器", "朝阳"]
TRADES = ["机械制造", "电子科技", "新材料", "生物医药", "食品", "精密铸造", "智能装备", "化工"]
HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "法定代表人",
    "所属园区",
    "所属产业链",
    "企业规模",
    "是否重点企业",
    "联系人",
    "联系电话",
    "地址",
]


def _app(url: str):
    from bench.app import bench_app

    return bench_app(url, TODAY)


def _load_demo(url: str) -> None:
    from crm.demo.park import load_demo
    from crm.extensions import db

    app = _app(url)
    with app.app_context():
        db.create_all()
        load_demo(date.fromisoformat(TODAY))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def import_file(rows: int, cadres: bool) -> Path:
    """The benchmark's import file (made once): realistic, varied names, every row valid and new."""
    import xlsxwriter

    from bench.generate import _credit_code

    path = WORK / f"import-{rows}{'-cadres' if cadres else ''}.xlsx"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    # As Excel saves it: repeated texts once, in the shared strings table (a write-only openpyxl file
    # repeats every text inline, and at 100,000 rows its sheet passes the 64 MB limit of one part).
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("企业")
    ws.write_row(0, 0, HEADERS + (["联系干部"] if cadres else []))
    for n in range(rows):
        a, b = NAME_WORDS[n % len(NAME_WORDS)], NAME_WORDS[(n // 7) % len(NAME_WORDS)]
        name = f"{a}{b}{TRADES[n % len(TRADES)]}{n:06d}有限公司"
        row = [name, _credit_code(2_000_000 + n), "王五", "XTGX", "装备制造", "小型", "否", "赵六"]
        row += ["13900000000", "湘潭高新区"] + ([f"cadre{1 + n % 7}"] if cadres else [])
        for col, value in enumerate(row):
            ws.write_string(n + 1, col, value)
    book.close()
    return path


class Databases:
    """Fresh copies of a demo database: SQLite files, or PostgreSQL databases cloned from a template."""

    def __init__(self, stack: ExitStack, pg: bool):
        self.pg = pg
        self.count = 0
        if pg:
            from bench.pgserver import throwaway_postgres

            self.server = stack.enter_context(throwaway_postgres())
            admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text("CREATE DATABASE demo_template"))
            admin.dispose()
            _load_demo(self._url("demo_template"))
        else:
            WORK.mkdir(parents=True, exist_ok=True)
            self.template = WORK / f"demo-template-{os.getpid()}.sqlite3"
            self.template.unlink(missing_ok=True)
            _load_demo(f"sqlite:///{self.template}")
            stack.callback(self._remove)

    def _remove(self) -> None:
        for path in WORK.glob(f"*-{os.getpid()}*.sqlite3*"):
            path.unlink(missing_ok=True)

    def _url(self, name: str) -> str:
        return self.server.rsplit("/", 1)[0] + "/" + name

    def fresh(self) -> str:
        self.count += 1
        if self.pg:
            name = f"run{self.count}"
            admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {name} TEMPLATE demo_template"))
            admin.dispose()
            return self._url(name)
        copy = WORK / f"run-{os.getpid()}-{self.count}.sqlite3"
        shutil.copyfile(self.template, copy)
        return f"sqlite:///{copy}"


def run_import(url: str, path: Path, profile: str | None) -> dict:
    from crm.extensions import db
    from crm.models import AuditLog, Enterprise, User
    from crm.services.imports.enterprises import import_enterprises

    app = _app(url)
    with app.app_context():
        officer = db.session.scalar(db.select(User).where(User.username == "officer"))
        prof = cProfile.Profile() if profile else None
        began, cpu = time.perf_counter(), time.process_time()
        if prof:
            prof.enable()
        result = import_enterprises(path, officer, date.fromisoformat(TODAY))
        db.session.commit()
        if prof:
            prof.disable()
            prof.dump_stats(profile)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
        firms = db.session.scalar(db.select(db.func.count(Enterprise.id)))
        audits = db.session.scalar(db.select(db.func.count(AuditLog.id)))
        assert result.applied, result.errors[:5]
        db.session.remove()
        db.engine.dispose()
    return {
        "seconds": round(seconds, 2),
        "cpu": round(cpu, 2),
        "created": result.created,
        "firms": firms,
        "audit_rows": audits,
    }


def _top_up(url: str, problems: int) -> int:
    from bench.generate import top_up_problems
    from crm.extensions import db
    from crm.models import Problem

    app = _app(url)
    with app.app_context():
        top_up_problems(problems, date.fromisoformat(TODAY))
        db.session.commit()
        total = db.session.scalar(db.select(db.func.count(Problem.id)))
        db.session.remove()
        db.engine.dispose()
    return total


def run_export(url: str) -> tuple[float, float, bytes]:
    from crm.extensions import db
    from crm.models import User

    app = _app(url)
    with app.app_context():
        admin_session = db.session.scalar(db.select(User).where(User.username == "admin")).get_id()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = admin_session
        sess["_fresh"] = True
    began, cpu = time.perf_counter(), time.process_time()
    resp = client.get("/problems/export.xlsx")
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    assert resp.status_code == 200, resp.status_code
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return seconds, cpu, resp.data


def writer_floors(data: bytes, repeat: int) -> dict:
    """The exported cells written again by each writer alone (values as read back; dates as dates)."""
    import xlsxwriter
    from openpyxl import Workbook, load_workbook

    ws = load_workbook(BytesIO(data), read_only=True).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    floors: dict[str, list[float]] = {"openpyxl_write_only": [], "xlsxwriter_constant_memory": []}
    cpu: dict[str, list[float]] = {key: [] for key in floors}
    for _ in range(repeat):
        began, used = time.perf_counter(), time.process_time()
        wb = Workbook(write_only=True)
        sheet = wb.create_sheet("问题清单")
        for row in rows:
            sheet.append(row)
        wb.save(BytesIO())
        floors["openpyxl_write_only"].append(time.perf_counter() - began)
        cpu["openpyxl_write_only"].append(time.process_time() - used)
        began, used = time.perf_counter(), time.process_time()
        out = BytesIO()
        book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
        sheet = book.add_worksheet("问题清单")
        date_format = book.add_format({"num_format": "yyyy-mm-dd"})
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if hasattr(value, "year"):
                    sheet.write_datetime(r, c, value, date_format)
                elif isinstance(value, str):
                    sheet.write_string(r, c, value)
                else:
                    sheet.write_number(r, c, value)
        book.close()
        floors["xlsxwriter_constant_memory"].append(time.perf_counter() - began)
    return {
        k: {"runs": [round(s, 2) for s in v], "median": round(statistics.median(v), 2)}
        for k, v in floors.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["import", "export"])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--problems", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL (a throwaway server) instead of SQLite")
    parser.add_argument("--cadres", action="store_true", help="import: fill 联系干部 (assign every firm)")
    parser.add_argument("--profile", help="import: write the first run's cProfile stats here")
    args = parser.parse_args()
    out: dict = {"task": args.task, "db": "PostgreSQL" if args.pg else "SQLite"}
    with ExitStack() as stack:
        dbs = Databases(stack, args.pg)
        if args.task == "import":
            path = import_file(args.rows, args.cadres)
            runs = [
                run_import(dbs.fresh(), path, args.profile if i == 0 else None) for i in range(args.repeat)
            ]
            out |= {"rows": args.rows, "cadres": args.cadres, "runs": runs}
            out["median"] = statistics.median(r["seconds"] for r in runs)
            out["median_cpu"] = statistics.median(r["cpu"] for r in runs)
        else:
            url = dbs.fresh()
            cached = WORK / f"export-{args.problems}.sqlite3"  # the top-up takes minutes: kept for reruns
            if not args.pg and cached.exists():
                shutil.copyfile(cached, url.removeprefix("sqlite:///"))
            out["problems"] = _top_up(url, args.problems)
            if not args.pg and not cached.exists():
                shutil.copyfile(url.removeprefix("sqlite:///"), cached)
            runs, cpus, data = [], [], b""
            for _ in range(args.repeat):
                seconds, cpu, data = run_export(url)
                runs.append(round(seconds, 2))
                cpus.append(round(cpu, 2))
            out |= {"runs": runs, "median": statistics.median(runs), "median_cpu": statistics.median(cpus)}
            out["bytes"] = len(data)
            out["floors"] = writer_floors(data, args.repeat)
    print(json.dumps(out, ensure_ascii=False))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
