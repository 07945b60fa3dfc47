"""The monthly workbook writer: its sheets written row by row (crm.reporting.monthly.book: constant memory).

汇总 · 干部走访 · 未走访企业 · 问题清单 · 部门办理 · 产业链 · 督办与升级 — Chinese headers, frozen header
row, filters, widths, number formats (%, 万元), 三色 fills and native charts.
"""

from datetime import datetime
from io import BytesIO
from typing import Optional

from crm.reporting.exports.xlsx import xml_safe
from crm.reporting.monthly.book import Book
from crm.reporting.monthly.build import Change, MonthlyReport, build_monthly_report
from crm.reporting.monthly.changes import attach_changes
from crm.reporting.monthly.definitions_sheet import write_definitions
from crm.reporting.monthly.firm_voice import SHEETS as FIRM_VOICE_SHEETS
from crm.reporting.monthly.firm_voice import write_firm_voice
from crm.reporting.monthly.hotspots import SHEET as HOTSPOT_SHEET
from crm.reporting.monthly.hotspots import write_hotspots
from crm.reporting.monthly.lists_sheet import write_list_changes
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.policies import SHEET as POLICY_SHEET
from crm.reporting.monthly.policies import write_policies
from crm.reporting.monthly.summary import write_summary
from crm.reporting.monthly.tables import (
    CADRE_COLUMNS,
    CHAIN_COLUMNS,
    COLOUR_COLUMN,
    DEPARTMENT_COLUMNS,
    PROBLEM_COLUMNS,
    SUPERVISION_COLUMNS,
    UNVISITED_COLUMNS,
    cadre_total,
    cadre_values,
    chain_values,
    department_values,
    problem_values,
    problems_in_order,
    supervision_values,
    unvisited_values,
)
from crm.reporting.monthly.xlsx import COLOUR_STYLES, Column, TableSheet, bar_chart

SHEETS = [
    "汇总",
    "干部走访",
    "未走访企业",
    "问题清单",
    "部门办理",
    "产业链",
    "四张清单变化",
    "督办与升级",
    *FIRM_VOICE_SHEETS,
    POLICY_SHEET,
    HOTSPOT_SHEET,
    "指标说明",
]
CADRE_CHART_ROWS = 30


def _cadres(wb, report: MonthlyReport) -> None:
    sheet = TableSheet(wb, "干部走访", CADRE_COLUMNS)
    for r in report.cadres:
        sheet.append(cadre_values(r))
    sheet.total(cadre_total(report.cadres))
    sheet.finish()
    measured = sum(r.onsite_rate is not None for r in report.cadres)  # they sort before the others
    shown = min(measured, CADRE_CHART_ROWS)
    if shown:
        title = "各干部本月上门覆盖率" if shown == measured else f"上门覆盖率最低的{shown}名干部"
        chart = bar_chart(
            sheet.ws,
            title,
            (1, 2, shown + 1),
            [(9, 1, shown + 1)],
            horizontal=True,
            percent=True,
            size=(16, max(7.5, 0.55 * shown + 2)),
        )
        sheet.ws.add_chart(chart, "N2")


def _unvisited(wb, report: MonthlyReport) -> None:
    sheet = TableSheet(wb, "未走访企业", UNVISITED_COLUMNS)
    for f in report.unvisited:
        sheet.append(unvisited_values(f, report))
    sheet.finish()


def _problems(wb, report: MonthlyReport) -> None:
    sheet = TableSheet(wb, "问题清单", PROBLEM_COLUMNS)
    for s in problems_in_order(report):
        sheet.append(
            problem_values(s, report),
            fills={COLOUR_COLUMN: COLOUR_STYLES[s.colour]},
        )
    sheet.finish()


def _departments(wb, report: MonthlyReport) -> None:
    sheet = TableSheet(wb, "部门办理", DEPARTMENT_COLUMNS)
    for d in report.departments:
        sheet.append(department_values(d))
    if report.departments and report.department_total is not None:
        sheet.total(department_values(report.department_total))
    sheet.finish()
    shown = min(len(report.departments), 20)
    if shown:
        chart = bar_chart(
            sheet.ws,
            "各部门收到与销号（件）",
            (1, 2, shown + 1),
            [(2, 1, shown + 1), (9, 1, shown + 1)],
            horizontal=True,
            size=(16, max(7.5, 0.7 * shown + 2)),
        )
        sheet.ws.add_chart(chart, "P2")


def _chains(wb, report: MonthlyReport) -> None:
    sheet = TableSheet(wb, "产业链", CHAIN_COLUMNS)
    for c in report.chains:
        sheet.append(chain_values(c))
    sheet.finish()
    if report.chains:
        last = len(report.chains) + 1
        chart = bar_chart(sheet.ws, "各产业链上门覆盖率", (1, 2, last), [(5, 1, last)], percent=True)
        sheet.ws.add_chart(chart, "N2")


def _supervision(wb, report: MonthlyReport) -> None:
    sheet = TableSheet(wb, "督办与升级", SUPERVISION_COLUMNS)
    for r in report.supervision:
        sheet.append(supervision_values(r))
    sheet.finish()


CHANGE_SHEET = "变更对照"


def _changes(wb, changes: list[Change], version: int) -> None:
    """变更对照 (version 2 on): every figure that differs from the version before, sheet by sheet."""
    columns = [Column("工作表", 14), Column("行", 36), Column("列", 18)]
    columns += [Column(f"第{version - 1}版", 16), Column(f"第{version}版", 16)]
    sheet = TableSheet(wb, CHANGE_SHEET, columns)
    for c in changes:
        sheet.append([c.sheet, c.row, c.column, c.before, c.after])
    if not changes:
        sheet.append(["（无）", "与上一版相比没有数字变化", "", "", ""])
    sheet.finish()


def write_monthly_workbook(report: MonthlyReport) -> BytesIO:
    """The seven sheets of the report, as an .xlsx in a BytesIO."""
    wb = Book()
    wb.title = xml_safe(report.title)  # cells are cleaned by escape_cell; this is no cell
    write_summary(wb, report)
    _cadres(wb, report)
    _unvisited(wb, report)
    _problems(wb, report)
    _departments(wb, report)
    _chains(wb, report)
    write_list_changes(wb, report)
    _supervision(wb, report)
    write_firm_voice(wb, report)
    policy_kpis = write_policies(wb, report)
    hotspot_kpis = write_hotspots(wb, report)
    write_definitions(wb, report, extra=policy_kpis | hotspot_kpis)
    if report.changes is not None and report.edition is not None and report.edition.version:
        _changes(wb, report.changes, report.edition.version)
    return wb.close()


def monthly_workbook(scope: ReportScope, period: Period, now: Optional[datetime] = None) -> BytesIO:
    """Build the report and write the workbook to a BytesIO (a closed month's version 2 and later with
    its 变更对照)."""
    return write_monthly_workbook(attach_changes(build_monthly_report(scope, period, now)))
