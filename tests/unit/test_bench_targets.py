"""The benchmark's targets: each figure against its target and floor, and a missing figure is a miss."""

from bench.run import PageResult, RunResult
from bench.targets import checks, table


def _run(backend: str, **tasks) -> RunResult:
    pages = [
        PageResult("问题列表（红色）", p50=90.0, p95=149.9, queries=14, floor_p50=5.0, cold=200.0),
        PageResult("交办台", p50=120.0, p95=150.1, queries=12, floor_p50=5.0, cold=180.0),
        PageResult(
            "工作台（全市领导）",
            p50=12.0,
            p95=15.0,
            queries=9,
            floor_p50=5.0,
            cold=1500.0,
            after_visit=60.0,
            after_problem=320.0,
        ),
    ]
    return RunResult(backend, 1.0, {}, 1.0, pages, dict(tasks))


def _verdicts(run: RunResult) -> dict[str, str]:
    return {c.what: c.verdict for c in checks(run)}


def test_pages_meet_150_ms_at_p95_and_the_home_pages_300_ms_cold():
    got = _verdicts(_run("SQLite"))
    assert got == {
        "问题列表（红色） p95": "达标",
        "交办台 p95": "未达标",
        "工作台（全市领导） p95": "达标",
        "工作台（全市领导） 首次": "未达标",
        "工作台（全市领导） 园区刚有走访后的首次": "达标",
        "工作台（全市领导） 园区刚有新问题后的首次": "未达标",
    }


def test_tasks_are_held_to_their_targets_and_postgresql_gets_half_as_long_again():
    tasks = {
        "import_20000": {"seconds": 4.0},
        "import_100000": {"seconds": 15.0},
        "export": {"seconds": 30.0, "floor_seconds": 21.0},
        "report_closed": {"seconds": 5.0, "peak_mb": 300},
        "report_closed_floor": {"seconds": 4.0},
        "report": {"seconds": 9.0, "peak_mb": 520},
        "report_floor": {"seconds": 4.0},
    }
    sqlite, pg = _verdicts(_run("SQLite", **tasks)), _verdicts(_run("PostgreSQL", **tasks))
    assert sqlite["导入 20,000 行"] == "未达标" and pg["导入 20,000 行"] == "达标"  # 4 s > 3 s, ≤ 4.5 s
    assert sqlite["导入 100,000 行"] == "达标"
    assert sqlite["导出 100,000 个问题（与最快写入器之比）"] == "达标"  # 30 / 21 = 1.43
    assert sqlite["已月结月份的全市月报（与只写基线之比）"] == "未达标"  # 1.25 > 1.2
    assert sqlite["未月结月份的全市月报（与只写基线之比）"] == "未达标"  # 2.25 > 2
    assert sqlite["未月结月份的全市月报 峰值内存"] == "未达标"  # 520 MB


def test_a_figure_that_was_not_measured_misses_its_target_and_says_so():
    run = _run("SQLite", import_20000={"error": "failed"}, export={"seconds": 30.0})
    found = {c.what: c for c in checks(run)}
    assert found["导入 20,000 行"].verdict == "未测得" and not found["导入 20,000 行"].ok
    assert not found["导出 100,000 个问题（与最快写入器之比）"].ok
    rows = "\n".join(table(list(found.values())))
    assert "没有测到写入器基线" in rows and "| 导入 20,000 行 | ≤ 3 秒 | - | - | 未测得 |" in rows


def test_a_report_carries_its_floors_and_shows_the_styled_one_beside_the_target():
    """Floors timed in the report's own process count; the styled floor is shown, the target stays on
    the plain one."""
    report = {"seconds": 3.6, "peak_mb": 400, "floor_seconds": 2.4, "styled_floor_seconds": 3.0}
    found = {c.what: c for c in checks(_run("SQLite", report_closed=report))}
    closed = found["已月结月份的全市月报（与只写基线之比）"]
    assert closed.floor == 2.4 and round(closed.measured, 2) == 1.5 and closed.verdict == "未达标"
    assert closed.note == "带样式的只写基线 3.00 秒，之比 1.20 倍"
    assert "带样式的只写基线 3.00 秒" in "\n".join(table([closed]))


def test_results_explain_a_workbook_over_its_floor_with_its_writers_own_floor(tmp_path):
    from bench.report import write_results

    report = {"seconds": 3.6, "peak_mb": 400, "floor_seconds": 2.4, "styled_floor_seconds": 3.0}
    report |= {"runs": [3.6, 3.7], "floor_runs": [2.4, 2.5], "styled_floor_runs": [3.0, 3.1], "cells": 1000}
    report |= {"xlsxwriter_floor_seconds": 1.5, "xlsxwriter_styled_floor_seconds": 1.6}
    report |= {"xlsxwriter_floor_runs": [1.5], "xlsxwriter_styled_floor_runs": [1.6]}
    full, small = _run("SQLite", report_closed=report), _run("SQLite")
    small.scale = 0.1
    found = {c.what: c for c in checks(full)}
    note = found["已月结月份的全市月报（与只写基线之比）"].note
    assert note == "带样式的只写基线 3.00 秒，之比 1.20 倍；xlsxwriter 连同样式 1.60 秒，之比 2.25 倍"
    machine = {"date": "2026-12-02", "platform": "Linux", "cpus": 2, "memory_gb": 8, "python": "3.11"}
    text = write_results([full, small], tmp_path / "results.md", machine).read_text(encoding="utf-8")
    assert "| 基线：openpyxl 只写模式写同样的 1,000 个单元格 | 2.40 | | 月报为其 1.50 倍 |" in text
    assert "| 基线：同样的单元格连同月报的数字格式、填充与字体 | 3.00 | | 月报为其 1.20 倍 |" in text
    assert "| 基线：xlsxwriter 常量内存写同样的单元格连同样式 | 1.60 | | 月报为其 2.25 倍 |" in text
    assert "已月结月份的全市月报：3.60 秒，只写基线 2.40 秒的 1.50 倍（目标 ≤ 1.2）" in text
    assert (
        "它单独写同样的单元格连同样式要 1.60 秒（只写数值 1.50 秒）；余下的 2.00 秒是月报自己的工作" in text
    )
    assert "xlsxwriter 基线 1.50 秒，连同样式 1.60 秒" in text  # every run of each floor


def test_the_export_is_held_to_the_fastest_writer_timed_in_its_run(tmp_path):
    from bench.report import write_results

    floors = {"xlsxwriter_constant_memory": {"runs": [10.0, 10.4]}, "openpyxl_write_only": {"runs": [19.0]}}
    export = {"seconds": 12.5, "peak_mb": 200, "problems": 100_000, "floor_seconds": 10.0, "floors": floors}
    full, small = _run("SQLite", export=export), _run("SQLite")
    small.scale = 0.1
    found = {c.what: c for c in checks(full)}
    assert found["导出 100,000 个问题（与最快写入器之比）"].measured == 1.25
    machine = {"date": "2026-12-02", "platform": "Linux", "cpus": 2, "memory_gb": 8, "python": "3.11"}
    text = write_results([full, small], tmp_path / "results.md", machine).read_text(encoding="utf-8")
    assert (
        "| 基线：xlsxwriter 常量内存写同样的单元格 | 10.00 | | 各次 10.00 / 10.40 秒；导出为其 1.25 倍 |"
        in text
    )
