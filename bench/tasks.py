"""Heavy benchmark tasks, each run in a fresh process so its peak memory (ru_maxrss) is its own.

    python -m bench.tasks report --db URL --today 2026-11-02 --out /tmp/r.xlsx
    python -m bench.tasks report-floor --cells /tmp/r.xlsx
    python -m bench.tasks report --closed --floor --db URL   (the floors timed between the report's runs)
    python -m bench.tasks import --db URL --rows 20000
    python -m bench.tasks export --db URL
Each prints one JSON line: {"seconds": …, "peak_mb": …, …}.
"""

import argparse
import gc
import json
import resource
import sys
import time
from datetime import date
from io import BytesIO
from pathlib import Path

# The report's floors (bench.floors), by their names in the task's output.
FLOOR_KEYS = {
    "plain": "floor",
    "styled": "styled_floor",
    "xlsxwriter": "xlsxwriter_floor",
    "xlsxwriter_styled": "xlsxwriter_styled_floor",
}


def _peak_mb() -> float:
    """Peak resident memory of this process (VmHWM; ru_maxrss would include the parent's, from the fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _report(args) -> dict:
    """The monthly workbook of last month for the whole city, written to --out (best of --repeat runs).

    This shared 2-core machine's timings wander by ±15 % from run to run, so the report and its floors
    are each timed --repeat times in one process, each floor right after each report run (both see the
    same load), and the fastest run of each counts.
    """
    from bench import floors as floors_of
    from bench.app import bench_app
    from crm.reporting.monthly import writer  # noqa: F401 -- imported before the clock, as the floor's openpyxl is
    from crm.reporting.monthly.period import Period, ReportScope
    from crm.reporting.monthly.writer import monthly_workbook

    app = bench_app(args.db, args.today)
    runs: list[float] = []
    floors: dict[str, list[float]] = {key: [] for key in FLOOR_KEYS}
    with app.app_context():
        from crm.extensions import db
        from crm.reporting.monthly.close import close_month

        today = date.fromisoformat(args.today)
        period = Period.last_complete(today)
        # Not timed. The month before is closed, as the 月结 job closes every month on its close day, so
        # an open month's 上月 figures come from that close (a city that never closes a month also
        # recomputes its 上月 live, nearly doubling the open month's statistics).
        close_month(period.previous().month, None, today)
        if args.closed:  # this month too: the workbook is then built from its snapshot alone
            close_month(period.month, None, today)
        db.session.commit()
        shapes = styled_shapes = None
        peak = 0.0
        for _ in range(args.repeat):
            began = time.perf_counter()
            data = monthly_workbook(ReportScope(None), period)
            runs.append(time.perf_counter() - began)
            peak = peak or _peak_mb()  # the report's own, before the floors hold its cells
            if args.floor:
                if shapes is None:  # read back once (not timed)
                    shapes = floors_of.shapes(BytesIO(data.getvalue()))
                    styled_shapes = floors_of.styled_shapes(BytesIO(data.getvalue()))
                    gc.collect()  # the read-back cells stay for the floors: out of every later collection
                    gc.freeze()
                floors["plain"].append(floors_of.write_floor(shapes, BytesIO())[0])
                floors["styled"].append(floors_of.write_styled_floor(styled_shapes, BytesIO()))
                floors["xlsxwriter"].append(floors_of.write_xlsxwriter_floor(styled_shapes, False))
                floors["xlsxwriter_styled"].append(floors_of.write_xlsxwriter_floor(styled_shapes, True))
    Path(args.out).write_bytes(data.getbuffer())
    out = {
        "seconds": min(runs),
        "runs": [round(r, 2) for r in runs],
        "peak_mb": peak,
        "bytes": len(data.getbuffer()),
        "month": period.month,
        "closed": bool(args.closed),
    }
    if shapes is not None:
        out["cells"] = sum(len(row) for _, rows in shapes for row in rows)
        for key, name in FLOOR_KEYS.items():
            out[f"{name}_seconds"] = min(floors[key])
            out[f"{name}_runs"] = [round(r, 2) for r in floors[key]]
        out["ratio"] = round(out["seconds"] / out["floor_seconds"], 3)
        out["styled_ratio"] = round(out["seconds"] / out["styled_floor_seconds"], 3)
        out["xlsxwriter_ratio"] = round(out["seconds"] / out["xlsxwriter_floor_seconds"], 3)
    return out


def _report_floor(args) -> dict:
    """Write the same number of cells per sheet as the report, with openpyxl write-only (the floor)."""
    from bench import floors as floors_of

    shapes = floors_of.shapes(args.cells)
    runs, cells = [], 0
    for _ in range(args.repeat):
        seconds, cells = floors_of.write_floor(shapes, Path(args.cells).with_suffix(".floor.xlsx"))
        runs.append(seconds)
    return {"seconds": min(runs), "runs": [round(r, 2) for r in runs], "peak_mb": _peak_mb(), "cells": cells}


def _import_file(rows: int, path: Path, offset: int) -> None:
    """An .xlsx of new firms with valid, unique credit codes (Chinese headers, as officers fill it)."""
    import xlsxwriter

    from bench.generate import _credit_code

    # As Excel saves it, repeated texts once in the shared strings table: a write-only openpyxl file
    # repeats every text inline, and at 100,000 rows its sheet passes the 64 MB limit of one part.
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("企业")
    ws.write_row(
        0,
        0,
        [
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
        ],
    )
    for i in range(rows):
        n = offset + i
        row = [
            f"导入测试企业{n:06d}有限公司",
            _credit_code(n),
            "王五",
            "第1园区",
            "装备制造",
            "小型",
            "否",
            "赵六",
            "13900000000",
            "湘潭高新区",
        ]
        for col, value in enumerate(row):
            ws.write_string(i + 1, col, value)
    book.close()


def _import(args) -> dict:
    from bench.app import bench_app
    from crm.extensions import db
    from crm.models import User
    from crm.services.imports.enterprises import import_enterprises

    path = Path(f"/tmp/bench-import-{args.rows}.xlsx")
    _import_file(args.rows, path, offset=1_000_000 + args.rows)
    app = bench_app(args.db, args.today)
    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.username == "admin"))
        began = time.perf_counter()
        result = import_enterprises(path, admin, date.fromisoformat(args.today))
        db.session.commit()
        seconds = time.perf_counter() - began
    return {"seconds": seconds, "peak_mb": _peak_mb(), "applied": bool(result.applied), "rows": args.rows}


def _export(args) -> dict:
    """GET /problems/export.xlsx as the city-wide admin: every problem, through the real route."""
    from bench.app import bench_app
    from crm.extensions import db
    from crm.models import Problem, User

    app = bench_app(args.db, args.today)
    with app.app_context():
        admin_session = db.session.scalar(db.select(User).where(User.username == "admin")).get_id()
        total = db.session.scalar(db.select(db.func.count(Problem.id)))
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = admin_session
        sess["_fresh"] = True
    runs = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        resp = client.get("/problems/export.xlsx")
        runs.append(time.perf_counter() - began)
        assert resp.status_code == 200, resp.status_code
    peak = _peak_mb()  # the export's own, before the floors hold its cells
    from bench.imports import writer_floors

    # The floor: the same cells written by the fastest writer alone (xlsxwriter constant-memory), each
    # writer timed as often as the export; openpyxl write-only beside it, as the other candidate.
    floors = writer_floors(resp.data, args.repeat)
    fastest = min(floors["xlsxwriter_constant_memory"]["runs"])
    return {
        "seconds": min(runs),
        "runs": [round(r, 2) for r in runs],
        "peak_mb": peak,
        "problems": total,
        "bytes": len(resp.data),
        "floor_seconds": fastest,
        "floors": floors,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["report", "report-floor", "import", "export"])
    parser.add_argument("--db")
    parser.add_argument("--today", default="2026-11-02")
    parser.add_argument("--out", default="/tmp/bench-report.xlsx")
    parser.add_argument("--cells")
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="report, export: timed runs, the fastest counts"
    )
    parser.add_argument("--closed", action="store_true", help="report: close the month first (月结)")
    parser.add_argument("--floor", action="store_true", help="report: also time the floor after each run")
    args = parser.parse_args()
    task = {"report": _report, "report-floor": _report_floor, "import": _import, "export": _export}[args.task]
    print(json.dumps(task(args), ensure_ascii=False))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
