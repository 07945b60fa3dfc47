"""bench/results.md: the measured tables and whether each target of issue 7 is met."""

from pathlib import Path

TARGET_GROWTH = 1.5  # 10x data may cost a page at most 1.5x the time
REPORT_FLOOR_FACTOR = 2.0
REPORT_MB = 500


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _page_table(full, small) -> list[str]:
    lines = [
        f"| 页面 | p50 ms（{full.scale}） | p95 ms | 首次 ms | SQL 条数 | 基线 p50 ms "
        f"| p50 ms（{small.scale}） | SQL 条数 | 耗时比（10×数据） | 结论 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    by_name = {p.name: p for p in small.pages}
    for page in full.pages:
        other = by_name.get(page.name)
        ratio = (page.p50 / other.p50) if other and other.p50 else float("nan")
        ok_sql = other is not None and other.queries == page.queries
        ok_time = ratio <= TARGET_GROWTH
        verdict = "达标" if ok_sql and ok_time else ("SQL 随数据增长" if not ok_sql else "超出 1.5 倍")
        lines.append(
            f"| {page.name} | {_ms(page.p50)} | {_ms(page.p95)} | {_ms(page.cold)} | {page.queries} "
            f"| {_ms(page.floor_p50)} | "
            f"{_ms(other.p50) if other else '-'} | {other.queries if other else '-'} | {ratio:.2f} "
            f"| {verdict} |"
        )
    return lines


def _task_lines(run) -> list[str]:
    t = run.tasks
    lines = ["| 任务 | 耗时 秒 | 峰值内存 MB | 说明 |", "|---|---:|---:|---|"]
    report, floor = t.get("report", {}), t.get("report_floor", {})
    if "seconds" in report and "seconds" in floor:
        factor = report["seconds"] / floor["seconds"] if floor["seconds"] else float("nan")
        ok = factor <= REPORT_FLOOR_FACTOR and report["peak_mb"] < REPORT_MB
        lines.append(
            f"| 全市月报 {report.get('month', '')} | {report['seconds']:.2f} | {report['peak_mb']:.0f} | "
            f"基线的 {factor:.2f} 倍（目标 ≤ {REPORT_FLOOR_FACTOR}，< {REPORT_MB} MB）："
            f"{'达标' if ok else '未达标'} |"
        )
        lines.append(
            f"| 基线：openpyxl 只写模式写同样的 {floor.get('cells', 0):,} 个单元格 "
            f"| {floor['seconds']:.2f} | {floor['peak_mb']:.0f} | |"
        )
    for key in ("import_20000", "import_100000", "export"):
        value = t.get(key, {})
        if "seconds" in value:
            what = {
                "import_20000": "导入 20,000 行",
                "import_100000": "导入 100,000 行",
                "export": f"导出 {value.get('problems', 0):,} 个问题",
            }[key]
            extra = "全部导入" if value.get("applied") else ""
            lines.append(f"| {what} | {value['seconds']:.2f} | {value['peak_mb']:.0f} | {extra} |")
        elif value:
            lines.append(f"| {key} | - | - | 失败：{value.get('error')} |")
    for name, value in t.get("jobs", {}).items():
        lines.append(f"| 定时任务 {name} | {value['seconds']:.2f} | | {value['status']} |")
    return lines


def write_results(results, path: Path, machine: dict) -> Path:
    lines = [
        "# 联企通 基准测试结果",
        "",
        f"- 日期：{machine['date']}；机器：{machine['platform']}，{machine['cpus']} 核，"
        f"{machine['memory_gb']} GB 内存；Python {machine['python']}",
        "- 页面耗时为服务器端（WSGI 应用内）时间；基线为同一应用栈上的最简页面（修改密码页）；"
        "SQL 条数为单次请求执行的语句数。",
        "",
    ]
    for i in range(0, len(results), 2):
        full, small = results[i], results[i + 1]
        lines += [
            f"## {full.backend}",
            "",
            f"数据（规模 {full.scale}）：{full.counts}，生成耗时 {full.generate_seconds:.0f} 秒；"
            f"对照（规模 {small.scale}）：{small.counts}。",
            "",
        ]
        lines += _page_table(full, small) + [""]
        if full.tasks:
            lines += _task_lines(full) + [""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return path
