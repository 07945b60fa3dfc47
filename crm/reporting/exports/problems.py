"""Export of the problem list exactly as filtered on screen (all pages), with colour and working days."""

from collections.abc import Iterable
from io import BytesIO

from crm.models import Problem
from crm.reporting.exports.xlsx import write_table
from crm.services.problems.deadlines import COLOUR_LABELS
from crm.services.problems.queries import ProblemClock

HEADERS = [
    "编号",
    "企业名称",
    "所属园区",
    "问题标题",
    "问题描述",
    "问题类别",
    "紧急程度",
    "问题来源",
    "状态",
    "三色预警",
    "协调级别",
    "承办部门",
    "经办人",
    "反映人",
    "反映日期",
    "交办日期",
    "下一期限",
    "办结期限",
    "办结日期",
    "已用工作日",
    "逾期工作日",
    "重办次数",
    "延期次数",
    "企业评价",
    "销号日期",
]
WIDTHS = [7, 30, 14, 30, 40, 10, 9, 14, 9, 10, 12, 16, 10, 10, 12, 12, 20, 12, 12, 10, 10, 9, 9, 10, 12]


def _row(p: Problem, clock: ProblemClock) -> list:
    nearest = clock.next_deadline(p)
    return [
        p.id,
        p.enterprise.name,
        p.enterprise.park.name,
        p.title,
        p.description,
        p.category_label,
        p.urgency_label,
        p.source_label,
        p.status_label,
        COLOUR_LABELS[clock.colour(p)],
        f"{p.level}级 {p.level_label}",
        p.department.name if p.department else "",
        p.handler.name if p.handler else "",
        p.raised_by.name if p.raised_by else "",
        p.raised_on,
        p.dispatched_on,
        f"{nearest[0]} {nearest[1]:%Y-%m-%d}" if nearest else "",
        p.due_on,
        p.resolved_on,
        clock.used(p),
        clock.overdue(p) or None,
        p.redo_count,
        p.extension_count,
        p.evaluation_label,
        p.closed_on,
    ]


def export_problems(problems: Iterable[Problem], clock: ProblemClock) -> BytesIO:
    """Write the given problems (already scoped, filtered and ordered) to an .xlsx workbook."""
    return write_table("问题清单", HEADERS, (_row(p, clock) for p in problems), WIDTHS)
