"""bench/results.md: the measured tables and whether each speed and memory target is met."""

from pathlib import Path

from bench.targets import (
    CLOSED_REPORT_FLOOR_FACTOR,
    OPEN_REPORT_FLOOR_FACTOR,
    PAGE_P95_MS,
    checks,
    table,
)

TARGET_GROWTH = 1.5  # 10x data may cost a page at most 1.5x the time

# Why a page's time grows with the data: both scales have 10 parks, so an officer's park and a city
# leader's scope hold 10x the rows at scale 1.0. Shown under the tables for every page that misses.
GROWTH_REASONS = {
    "企业列表（筛选）": "按名称排序的筛选结果要先数出全园区符合条件的企业（2,000 对 200 家）"
    "才能分页；取本页只读索引。",
    "企业列表（拼音搜索）": "拼音首字母是前缀匹配，命中数随企业数增长，计数与排序读全部命中行。",
    "走访记录": "园区全部走访按日期倒序分页：总数与本页 id 两条语句要扫描该园区的全部走访"
    "（约 30,000 对 3,000 条，索引扫描）；其余语句与数据量无关。",
    "走访覆盖": "页面本身是全园区的汇总：每名干部本周联系、本月进企的覆盖率要读园区内每家企业的最近走访"
    "（2,000 对 200 家、200 对 20 名干部）。",
    "问题列表": "默认按紧急程度（下一个期限）排序并给出三色计数："
    "排序键与计数覆盖园区全部问题（约 6,000 对 600 个）。",
    "问题列表（红色）": "全市领导看全市红色问题：红色问题本身随数据增长 10 倍，"
    "计数与按期限排序都要读全部红色问题。",
    "待办（经办）": "部门待办的计数与排序覆盖该部门全部在办问题，随部门问题数增长。",
    "交办台": "交办台按部门汇总园区内全部待交办、办理中的问题（分组计数随问题数增长）。",
    "升级协调": "全市已升级问题的列表与各级计数，升级问题数随数据增长。",
    "企业档案": "企业档案只读一家企业，耗时不应随数据增长；若超出多为本机计时波动。",
    "企业档案·问题清单": "只读一家企业的问题，耗时不应随数据增长；若超出多为本机计时波动。",
    "我的企业": "只读一名干部的企业，耗时不应随数据增长；若超出多为本机计时波动。",
    "工作台（园区）": "工作台数字按园区存储，每次写入在同一事务里使该园区的存储失效；"
    "页面只读存储，园区刚有写入时重算该园区受影响的部分（见“走访 / 新问题后首次”列）；"
    "若超出多为本机计时波动。",
    "工作台（全市领导）": "同上：全市为各园区存储之和，只重算刚有写入的园区。",
}


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _opt(value) -> str:
    return "-" if value is None else _ms(value)


def _page_table(full, small) -> list[str]:
    lines = [
        f"| 页面 | p50 ms（{full.scale}） | p95 ms | 首次 ms | 走访 / 新问题后首次 ms | SQL 条数 "
        f"| 基线 p50 ms | p50 ms（{small.scale}） | SQL 条数 | 耗时比（10×数据） | 结论 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    by_name = {p.name: p for p in small.pages}
    for page in full.pages:
        other = by_name.get(page.name)
        ratio = (page.p50 / other.p50) if other and other.p50 else float("nan")
        ok_sql = other is not None and other.queries == page.queries
        ok_time = ratio <= TARGET_GROWTH
        verdict = "达标" if ok_sql and ok_time else ("SQL 随数据增长" if not ok_sql else "超出 1.5 倍")
        lines.append(
            f"| {page.name} | {_ms(page.p50)} | {_ms(page.p95)} | {_ms(page.cold)} "
            f"| {_opt(page.after_visit)} / {_opt(page.after_problem)} | {page.queries} "
            f"| {_ms(page.floor_p50)} | "
            f"{_ms(other.p50) if other else '-'} | {other.queries if other else '-'} | {ratio:.2f} "
            f"| {verdict} |"
        )
    return lines


def _task_lines(run) -> list[str]:
    t = run.tasks
    lines = ["| 任务 | 耗时 秒 | 峰值内存 MB | 说明 |", "|---|---:|---:|---|"]
    for key, label in (
        ("report", "全市月报（未月结，实时计算）"),
        ("report_closed", "全市月报（已月结，读快照）"),
    ):
        report = t.get(key, {})
        if "seconds" not in report:
            if report:
                lines.append(f"| {label} | - | - | 失败：{report.get('error')} |")
            continue
        lines.append(
            f"| {label} {report.get('month', '')} | {report['seconds']:.2f} | {report['peak_mb']:.0f} "
            f"| {_runs(report)} |"
        )
        for floor_key, what in (
            ("floor_seconds", f"基线：openpyxl 只写模式写同样的 {report.get('cells', 0):,} 个单元格"),
            ("styled_floor_seconds", "基线：同样的单元格连同月报的数字格式、填充与字体"),
            ("xlsxwriter_floor_seconds", "基线：xlsxwriter 常量内存写同样的单元格（只写数值）"),
            ("xlsxwriter_styled_floor_seconds", "基线：xlsxwriter 常量内存写同样的单元格连同样式"),
        ):
            if report.get(floor_key):
                ratio = report["seconds"] / report[floor_key]
                lines.append(f"| {what} | {report[floor_key]:.2f} | | 月报为其 {ratio:.2f} 倍 |")
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
            for writer, label in (
                ("xlsxwriter_constant_memory", "xlsxwriter 常量内存"),
                ("openpyxl_write_only", "openpyxl 只写"),
            ):
                runs = value.get("floors", {}).get(writer, {}).get("runs")
                if runs:
                    each = " / ".join(f"{r:.2f}" for r in runs)
                    lines.append(
                        f"| 基线：{label}写同样的单元格 | {min(runs):.2f} | | 各次 {each} 秒；"
                        f"导出为其 {value['seconds'] / min(runs):.2f} 倍 |"
                    )
        elif value:
            lines.append(f"| {key} | - | - | 失败：{value.get('error')} |")
    for name, value in t.get("jobs", {}).items():
        lines.append(f"| 定时任务 {name} | {value['seconds']:.2f} | | {value['status']} |")
    return lines


def _runs(report: dict) -> str:
    """Every timed run of the report and of its floors (the table shows the fastest of each)."""
    if not report.get("runs"):
        return ""
    each = lambda key: " / ".join(f"{x:.2f}" for x in report.get(key, []))  # noqa: E731
    text = f"各测 {len(report['runs'])} 次取最快：月报 {each('runs')} 秒"
    if report.get("floor_runs"):
        text += f"；基线 {each('floor_runs')} 秒；带样式的基线 {each('styled_floor_runs')} 秒"
    if report.get("xlsxwriter_styled_floor_runs"):
        text += (
            f"；xlsxwriter 基线 {each('xlsxwriter_floor_runs')} 秒，"
            f"连同样式 {each('xlsxwriter_styled_floor_runs')} 秒"
        )
    return text


def _misses(results) -> list[str]:
    """Every target missed in this run, each with the reason (see GROWTH_REASONS)."""
    lines, slowest = [], 0.0
    for i in range(0, len(results), 2):
        full, small = results[i], results[i + 1]
        by_name = {p.name: p for p in small.pages}
        for page in full.pages:
            other = by_name.get(page.name)
            if other is None or not other.p50:
                continue
            if other.queries != page.queries:
                lines.append(
                    f"- {full.backend}·{page.name}：SQL 条数 {other.queries} → {page.queries}，随数据增长。"
                )
            elif page.p50 / other.p50 > TARGET_GROWTH:
                why = GROWTH_REASONS.get(page.name, "未分析。")
                slowest = max(slowest, page.p50)
                lines.append(
                    f"- {full.backend}·{page.name}：10 倍数据耗时 {page.p50 / other.p50:.2f} 倍"
                    f"（{_ms(other.p50)} → {_ms(page.p50)} ms）。{why}"
                )
        lines += _report_misses(full)
    if not lines:
        return ["## 未达标项", "", "无：各项目标均已达到。", ""]
    intro = (
        "两种规模都是 10 个园区，所以园区管理员的园区、全市领导的全市在规模 1.0 时的数据量是 0.1 时的 10 倍。"
        "所有页面的 SQL 条数都不随数据增长，只读一家企业、一名干部的页面耗时也不增长；"
        "下列页面本身要列出或汇总整个园区/全市（分页总数、按紧急程度排序、三色计数），"
        "至少要把该范围内的每一行在索引里读一遍，耗时因此随范围增长。"
        f"它们在全市规模下的 p50 最慢 {_ms(slowest)} ms，p95 都在 {PAGE_P95_MS:g} ms 的目标内（见上表）。"
        "工作台的数字按园区存储、随写入失效；列表页的计数与排序仍按范围实时计算，与明细一条一条对得上。"
    )
    return ["## 未达标项与原因", "", *([intro, ""] if slowest else []), *lines, ""]


def _report_misses(run) -> list[str]:
    """Why a monthly workbook misses its floor target, from the run's own figures: the report is written
    with xlsxwriter, so what it takes beyond xlsxwriter writing the same styled cells alone is the
    report's own work (reading the month, the statistics, escaping each text)."""
    lines = []
    for key, label, limit, work in (
        (
            "report_closed",
            "已月结月份的全市月报",
            CLOSED_REPORT_FLOOR_FACTOR,
            "读取并解码月结快照、统计、逐行组装",
        ),
        (
            "report",
            "未月结月份的全市月报",
            OPEN_REPORT_FLOOR_FACTOR,
            "把本月事件实时回放到月末状态、统计、逐行组装",
        ),
    ):
        report = run.tasks.get(key, {})
        seconds, plain = report.get("seconds"), report.get("floor_seconds")
        if not (seconds and plain) or seconds / plain <= limit:
            continue
        text = (
            f"- {run.backend}·{label}：{seconds:.2f} 秒，只写基线 {plain:.2f} 秒的 {seconds / plain:.2f} 倍"
            f"（目标 ≤ {limit:g}）。"
        )
        styled, bare = report.get("xlsxwriter_styled_floor_seconds"), report.get("xlsxwriter_floor_seconds")
        if styled and bare:
            text += (
                "月报用 xlsxwriter 写："
                f"它单独写同样的单元格连同样式要 {styled:.2f} 秒（只写数值 {bare:.2f} 秒）；"
                f"余下的 {seconds - styled:.2f} 秒是月报自己的工作：{work}，以及每段文字的公式转义。"
            )
        lines.append(text)
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
        lines += ["### 目标", "", *table(checks(full)), ""]
        lines += _page_table(full, small) + [""]
        if full.tasks:
            lines += _task_lines(full) + [""]
    lines += _misses(results)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return path
