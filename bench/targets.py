"""The targets the benchmark holds the app to, checked on every full run: each figure next to its
target and, where one exists, the floor it is measured against. `make bench` fails when one misses.

- every page: p95 ≤ 150 ms at city scale; the home pages' first (cold) request ≤ 300 ms, both in a fresh
  process and right after a write made the officer's park's stored figures outdated;
- imports of new firms: 20,000 rows ≤ 3 s and 100,000 rows ≤ 15 s on SQLite, PostgreSQL within 1.5×;
- the export of 100,000 problems ≤ 1.5× the fastest writer writing the same cells (its floor);
- the city workbook of a closed month ≤ 1.2× openpyxl write-only writing the same cells (the floor the
  target was set against); of a month still open (computed live) ≤ 2× that floor and under 500 MB.
  Beside it: the same cells with the workbook's own number formats, fills and fonts written by openpyxl
  (what openpyxl charges for the styles) and by xlsxwriter constant-memory, the writer the workbook is
  written with (what no writer of this workbook can go below).
"""

from dataclasses import dataclass
from typing import Optional

PAGE_P95_MS = 150.0
COLD_HOME_MS = 300.0
HOME_PAGES = ("工作台（园区）", "工作台（全市领导）")
IMPORT_SECONDS = {20_000: 3.0, 100_000: 15.0}
PG_FACTOR = 1.5  # PostgreSQL may take this much longer than SQLite's target
EXPORT_FLOOR_FACTOR = 1.5
CLOSED_REPORT_FLOOR_FACTOR = 1.2
OPEN_REPORT_FLOOR_FACTOR = 2.0
REPORT_MB = 500.0


@dataclass
class Check:
    backend: str
    what: str
    measured: Optional[float]  # None: not measured (the task failed or gave no figure)
    target: float
    unit: str  # "ms", "秒" or "倍" (a ratio to the floor)
    floor: Optional[float] = None  # the floor's own figure, for ratios
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.measured is not None and self.measured <= self.target

    @property
    def verdict(self) -> str:
        return "达标" if self.ok else ("未测得" if self.measured is None else "未达标")


def _ratio(value: Optional[float], floor: Optional[float]) -> Optional[float]:
    return value / floor if value is not None and floor else None


def _seconds(task: dict) -> Optional[float]:
    return task.get("seconds") if isinstance(task, dict) else None


def checks(run) -> list[Check]:
    """Every target of one full-scale run (pages always; the heavy tasks when they ran)."""
    out = []
    for page in run.pages:
        out.append(Check(run.backend, f"{page.name} p95", page.p95, PAGE_P95_MS, "ms", page.floor_p50))
        if page.name in HOME_PAGES:
            out.append(Check(run.backend, f"{page.name} 首次", page.cold, COLD_HOME_MS, "ms", page.floor_p50))
            for what, after in (("走访", page.after_visit), ("新问题", page.after_problem)):
                label = f"{page.name} 园区刚有{what}后的首次"
                out.append(Check(run.backend, label, after, COLD_HOME_MS, "ms", page.floor_p50))
    t = run.tasks
    if not t:
        return out
    factor = PG_FACTOR if run.backend == "PostgreSQL" else 1.0
    for rows, limit in IMPORT_SECONDS.items():
        task = t.get(f"import_{rows}", {})
        out.append(Check(run.backend, f"导入 {rows:,} 行", _seconds(task), limit * factor, "秒"))
    export = t.get("export", {})
    floor = export.get("floor_seconds") or _seconds(t.get("export_floor", {}))
    out.append(
        Check(run.backend, "导出 100,000 个问题（与最快写入器之比）", _ratio(_seconds(export), floor),
              EXPORT_FLOOR_FACTOR, "倍", floor, "" if floor else "没有测到写入器基线")
    )  # fmt: skip
    for key, what, limit in (
        ("report_closed", "已月结月份的全市月报（与只写基线之比）", CLOSED_REPORT_FLOOR_FACTOR),
        ("report", "未月结月份的全市月报（与只写基线之比）", OPEN_REPORT_FLOOR_FACTOR),
    ):
        report = t.get(key, {})
        report_floor = report.get("floor_seconds") or _seconds(t.get(f"{key}_floor", {}))
        styled = report.get("styled_floor_seconds")
        styled_ratio = _ratio(_seconds(report), styled)
        note = ""
        if styled and styled_ratio:
            note = f"带样式的只写基线 {styled:.2f} 秒，之比 {styled_ratio:.2f} 倍"
        other = report.get("xlsxwriter_styled_floor_seconds")
        if note and other:
            note += f"；xlsxwriter 连同样式 {other:.2f} 秒，之比 {_seconds(report) / other:.2f} 倍"
        out.append(
            Check(run.backend, what, _ratio(_seconds(report), report_floor), limit, "倍", report_floor, note)
        )
        if report.get("peak_mb") is not None:
            out.append(
                Check(run.backend, f"{what.split('（')[0]} 峰值内存", report["peak_mb"], REPORT_MB, "MB")
            )
    return out


def table(found: list[Check]) -> list[str]:
    lines = ["| 项目 | 目标 | 实测 | 基线 | 结论 |", "|---|---:|---:|---:|---|"]
    for c in found:
        measured = "-" if c.measured is None else f"{c.measured:.2f} {c.unit}"
        floor = "-" if c.floor is None else (f"{c.floor:.1f} ms" if c.unit == "ms" else f"{c.floor:.2f} 秒")
        note = f"（{c.note}）" if c.note else ""
        lines.append(f"| {c.what} | ≤ {c.target:g} {c.unit} | {measured} | {floor} | {c.verdict}{note} |")
    return lines
