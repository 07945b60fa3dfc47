"""The monthly workbook writer: seven sheets in openpyxl write-only mode (streams rows, constant memory).

汇总 · 干部走访 · 未走访企业 · 问题清单 · 部门办理 · 产业链 · 督办与升级 — Chinese headers, frozen header
row, filters, widths, number formats (%, 万元), 三色 fills and native charts.
"""

from datetime import datetime
from io import BytesIO
from typing import Any, Optional

from openpyxl import Workbook

from crm.models.problem import EVALUATIONS, LEVELS, PROBLEM_CATEGORIES, PROBLEM_STATUSES, PROBLEM_URGENCIES
from crm.reporting.exports.xlsx import xml_safe
from crm.reporting.monthly.build import MonthlyReport, build_monthly_report
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.problems import rate
from crm.reporting.monthly.summary import write_summary
from crm.reporting.monthly.xlsx import (
    COLOUR_STYLES,
    DATE,
    INT,
    PCT,
    WAN,
    Column,
    TableSheet,
    bar_chart,
)
from crm.services.problems.deadlines import COLOUR_LABELS

SHEETS = ["汇总", "干部走访", "未走访企业", "问题清单", "部门办理", "产业链", "督办与升级"]
CADRE_CHART_ROWS = 30
CADRE_COLUMNS = [
    Column("干部姓名", 12),
    Column("所属园区", 22),
    Column("联系企业数", 10, INT),
    Column("联系次数", 9, INT),
    Column("上门次数", 9, INT),
    Column("已联系企业", 10, INT),
    Column("已上门企业", 10, INT),
    Column("联系覆盖率", 10, PCT),
    Column("上门覆盖率", 10, PCT),
    Column("逾期企业", 9, INT),
    Column("反映问题", 9, INT),
    Column("销号问题", 9, INT),
]
UNVISITED_COLUMNS = [
    Column("企业名称", 34),
    Column("所属园区", 22),
    Column("产业链", 12),
    Column("重点企业", 9),
    Column("联系干部", 11),
    Column("最近上门日期", 13, DATE),
    Column("最近联系日期", 13, DATE),
]
PROBLEM_COLUMNS = [
    Column("问题编号", 9),
    Column("企业名称", 30),
    Column("所属园区", 20),
    Column("问题标题", 30),
    Column("问题类别", 10),
    Column("紧急程度", 9),
    Column("承办部门", 16),
    Column("状态（月末）", 11),
    Column("提出日期", 11, DATE),
    Column("交办日期", 11, DATE),
    Column("办结期限", 11, DATE),
    Column("办结日期", 11, DATE),
    Column("销号日期", 11, DATE),
    Column("已用工作日", 10, INT),
    Column("三色预警", 10),
    Column("协调级别", 11),
    Column("企业评价", 10),
]
COLOUR_COLUMN = 14  # index of 三色预警 in PROBLEM_COLUMNS
COLOUR_ORDER = {"red": 0, "yellow": 1, "green": 2, "grey": 3}  # 问题清单: red first, closed last
DEPARTMENT_COLUMNS = [
    Column("承办部门", 18),
    Column("本月收到", 9, INT),
    Column("按时签收", 9, INT),
    Column("按时签收率", 10, PCT),
    Column("本月办结", 9, INT),
    Column("按期办结", 9, INT),
    Column("按期办结率", 10, PCT),
    Column("本月销号", 9, INT),
    Column("月末在办", 9, INT),
    Column("月末超期", 9, INT),
    Column("延期（次）", 9, INT),
    Column("退回（次）", 9, INT),
    Column("回访评价", 9, INT),
    Column("满意率", 9, PCT),
]
CHAIN_COLUMNS = [
    Column("产业链", 14),
    Column("在营企业", 9, INT),
    Column("联系企业", 9, INT),
    Column("已上门企业", 10, INT),
    Column("上门覆盖率", 10, PCT),
    Column("走访次数", 9, INT),
    Column("上门次数", 9, INT),
    Column("本月新增问题", 11, INT),
    Column("月末在办问题", 11, INT),
    Column("月末超期", 9, INT),
    Column("本月销售额（万元）", 15, WAN),
    Column("本年累计销售额（万元）", 17, WAN),
]
SUPERVISION_COLUMNS = [
    Column("日期", 11, DATE),
    Column("类型", 10),
    Column("企业名称", 30),
    Column("问题编号", 9),
    Column("问题标题", 30),
    Column("承办部门", 16),
    Column("原级别", 11),
    Column("提升至", 11),
    Column("操作人", 11),
    Column("说明", 40),
]
ACTION_LABELS = {"escalate": "提级协调", "supervise": "督办"}


def _cadres(wb, report: MonthlyReport) -> None:
    sheet = TableSheet(wb, "干部走访", CADRE_COLUMNS)
    total: list[Any] = [0] * 12  # sums, then the labels and rates of the total row
    for r in report.cadres:
        values: list[Any] = [r.name, r.park, r.firms, r.contacts, r.onsite_visits, r.contacted, r.visited]
        values += [r.contact_rate, r.onsite_rate, r.overdue, r.raised, r.closed]
        sheet.append(values)
        for idx in (2, 3, 4, 5, 6, 9, 10, 11):
            total[idx] += values[idx]
    total[0], total[1] = "合计", f"{len(report.cadres)}人"
    total[7], total[8] = rate(total[5], total[2]), rate(total[6], total[2])
    sheet.total(total)
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
        sheet.append(
            [
                f.name,
                report.parks.get(f.park_id, ""),
                report.chain_names.get(f.chain_id, "") if f.chain_id is not None else "",
                "是" if f.is_key else "",
                report.cadre_names.get(f.cadre_id, ""),
                f.last_onsite,
                f.last_contact,
            ]
        )
    sheet.finish()


def _problems(wb, report: MonthlyReport) -> None:
    sheet = TableSheet(wb, "问题清单", PROBLEM_COLUMNS)
    parks, depts = report.parks, report.department_names
    for s in sorted(report.problems, key=lambda s: (COLOUR_ORDER[s.colour], s.raised_on, s.id)):
        sheet.append(
            [
                s.id,
                s.firm_name,
                parks.get(s.park_id, ""),
                s.title,
                PROBLEM_CATEGORIES.get(s.category, s.category),
                PROBLEM_URGENCIES.get(s.urgency, s.urgency),
                depts.get(s.department_id, "") if s.department_id else ("现场解决" if s.on_spot else ""),
                PROBLEM_STATUSES.get(s.status, s.status),
                s.raised_on,
                s.dispatched_on,
                s.due_on,
                s.resolved_on,
                s.closed_on,
                s.workdays,
                COLOUR_LABELS.get(s.colour, s.colour),
                LEVELS.get(s.level, s.level),
                EVALUATIONS.get(s.evaluation or "", ""),
            ],
            fills={COLOUR_COLUMN: COLOUR_STYLES[s.colour]},
        )
    sheet.finish()


def _departments(wb, report: MonthlyReport) -> None:
    sheet = TableSheet(wb, "部门办理", DEPARTMENT_COLUMNS)
    sums: list[Any] = [0] * 14  # sums, then the labels and rates of the total row
    for d in report.departments:
        values: list[Any] = [
            d.name,
            d.received,
            d.signed,
            d.signed_rate,
            d.resolved,
            d.on_time,
            d.on_time_rate,
            d.closed,
        ]
        values += [d.open_end, d.overdue, d.extensions, d.returns, d.evaluations, d.satisfaction_rate]
        sheet.append(values)
        for idx in (1, 2, 4, 5, 7, 8, 9, 10, 11, 12):
            sums[idx] += values[idx]
        sums[13] += d.satisfied
    satisfied, sums[0] = sums[13], "合计"
    sums[3], sums[6], sums[13] = rate(sums[2], sums[1]), rate(sums[5], sums[4]), rate(satisfied, sums[12])
    if report.departments:
        sheet.total(sums)
    sheet.finish()
    shown = min(len(report.departments), 20)
    if shown:
        chart = bar_chart(
            sheet.ws,
            "各部门收到与销号（件）",
            (1, 2, shown + 1),
            [(2, 1, shown + 1), (8, 1, shown + 1)],
            horizontal=True,
            size=(16, max(7.5, 0.7 * shown + 2)),
        )
        sheet.ws.add_chart(chart, "P2")


def _chains(wb, report: MonthlyReport) -> None:
    sheet = TableSheet(wb, "产业链", CHAIN_COLUMNS)
    for c in report.chains:
        sheet.append(
            [
                c.name,
                c.firms,
                c.served,
                c.visited,
                c.onsite_rate,
                c.visits,
                c.onsite_visits,
                c.new_problems,
                c.open_problems,
                c.overdue,
                c.sales_month,
                c.sales_year,
            ]
        )
    sheet.finish()
    if report.chains:
        last = len(report.chains) + 1
        chart = bar_chart(sheet.ws, "各产业链上门覆盖率", (1, 2, last), [(5, 1, last)], percent=True)
        sheet.ws.add_chart(chart, "N2")


def _supervision(wb, report: MonthlyReport) -> None:
    sheet = TableSheet(wb, "督办与升级", SUPERVISION_COLUMNS)
    for r in report.supervision:
        escalation = r.action == "escalate"
        sheet.append(
            [
                r.day,
                ACTION_LABELS.get(r.action, r.action),
                r.firm,
                r.problem_id,
                r.title,
                r.department or "",
                LEVELS.get(r.from_level, "") if escalation and r.from_level is not None else "",
                LEVELS.get(r.to_level, "") if escalation and r.to_level is not None else "",
                r.actor or "系统自动",
                r.note or "",
            ]
        )
    sheet.finish()


def write_monthly_workbook(report: MonthlyReport) -> BytesIO:
    """The seven sheets of the report, as an .xlsx in a BytesIO."""
    wb = Workbook(write_only=True)
    wb.properties.title = xml_safe(report.title)  # cells are cleaned by escape_cell; this is no cell
    wb.properties.creator = "联企通"
    write_summary(wb, report)
    _cadres(wb, report)
    _unvisited(wb, report)
    _problems(wb, report)
    _departments(wb, report)
    _chains(wb, report)
    _supervision(wb, report)
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def monthly_workbook(scope: ReportScope, period: Period, now: Optional[datetime] = None) -> BytesIO:
    """Build the report and write the workbook (汇总 … 督办与升级) to a BytesIO."""
    return write_monthly_workbook(build_monthly_report(scope, period, now))
