"""The table sheets of the monthly workbook: their columns and what each row lists.

The writer (crm.reporting.monthly.writer) writes these rows; a version 2's 变更对照
(crm.reporting.monthly.changes) compares the same values between two versions of a month.
"""

from typing import Any

from crm.models.problem import EVALUATIONS, LEVELS, PROBLEM_CATEGORIES, PROBLEM_STATUSES, PROBLEM_URGENCIES
from crm.reporting.monthly.build import MonthlyReport
from crm.reporting.monthly.evidence import SHEET_LABEL as EVIDENCE_LABEL
from crm.reporting.monthly.facts import FirmFact, SupervisionRow
from crm.reporting.monthly.problems import DeptRow, rate
from crm.reporting.monthly.state import ProblemState
from crm.reporting.monthly.visits import CadreRow, ChainRow
from crm.reporting.monthly.xlsx import DATE, INT, PCT, WAN, Column
from crm.services.problems.deadlines import COLOUR_LABELS

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
    Column(EVIDENCE_LABEL, 11, INT),
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
    Column("应签收", 9, INT),
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


# The row values of each table sheet (the 变更对照 of a version 2 compares the same values).


def cadre_values(r: CadreRow) -> list[Any]:
    values: list[Any] = [r.name, r.park, r.firms, r.contacts, r.onsite_visits, r.contacted, r.visited]
    return values + [r.contact_rate, r.onsite_rate, r.overdue, r.raised, r.closed, r.evidenced]


def people_label(cadres: list[CadreRow]) -> str:
    """The 合计 row's head count: 联企干部 (as 汇总 counts them) and the other people apart."""
    liaisons = sum(r.is_liaison for r in cadres)
    others = len(cadres) - liaisons
    return f"联企干部{liaisons}人" + (f"，其他{others}人" if others else "")


def cadre_total(cadres: list[CadreRow]) -> list[Any]:
    """干部走访's 合计 row: the sums, the head count and the rates of the sums."""
    total: list[Any] = [0] * len(CADRE_COLUMNS)
    for r in cadres:
        values = cadre_values(r)
        for idx in (2, 3, 4, 5, 6, 9, 10, 11, 12):
            total[idx] += values[idx]
    total[0], total[1] = "合计", people_label(cadres)
    total[7] = rate("contact_coverage", total[5], total[2])
    total[8] = rate("onsite_coverage", total[6], total[2])
    return total


def unvisited_values(f: FirmFact, report: MonthlyReport) -> list[Any]:
    return [
        f.name,
        report.parks.get(f.park_id, ""),
        report.chain_names.get(f.chain_id, "") if f.chain_id is not None else "",
        "是" if f.is_key else "",
        report.cadre_names.get(f.cadre_id, "") if f.cadre_id is not None else "",
        f.last_onsite,
        f.last_contact,
    ]


def problem_values(s: ProblemState, report: MonthlyReport) -> list[Any]:
    parks, depts = report.parks, report.department_names
    return [
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
    ]


def department_values(d: DeptRow) -> list[Any]:
    values: list[Any] = [d.name, d.received, d.sign_due, d.signed, d.signed_rate, d.resolved, d.on_time]
    values += [d.on_time_rate, d.closed, d.open_end, d.overdue, d.extensions, d.returns, d.evaluations]
    return values + [d.satisfaction_rate]


def chain_values(c: ChainRow) -> list[Any]:
    values: list[Any] = [c.name, c.firms, c.served, c.visited, c.onsite_rate, c.visits, c.onsite_visits]
    return values + [c.new_problems, c.open_problems, c.overdue, c.sales_month, c.sales_year]


def supervision_values(r: SupervisionRow) -> list[Any]:
    escalation = r.action == "escalate"
    return [
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


def problems_in_order(report: MonthlyReport) -> list[ProblemState]:
    """问题清单's order: red first, then yellow, green, closed; oldest first within a colour."""
    return sorted(report.problems, key=lambda s: (COLOUR_ORDER[s.colour], s.raised_on, s.id))
