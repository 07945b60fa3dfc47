"""Exports of the 一企一人 pages, exactly as shown: the cadre list, one cadre's firms (我的企业) with their
cadence, and a handover's 交接清单."""

from collections.abc import Iterable, Sequence
from io import BytesIO
from typing import Any

from crm.models import Assignment, Handover, Problem, User
from crm.reporting.exports.xlsx import write_sheets, write_table
from crm.services.assignments.operations import HANDOVER_REASONS
from crm.services.visits.coverage import FirmCadence
from crm.timeutil import to_local

CADRE_HEADERS = ["姓名", "用户名", "所属园区", "联系电话", "账号状态", "联系企业", "其中重点企业"]
CADRE_WIDTHS = [12, 14, 24, 15, 10, 10, 12]
CASELOAD_HEADERS = [
    "企业名称", "统一社会信用代码", "产业链", "重点企业", "经营状态", "联系状态", "联系应于", "上次联系",
    "上门状态", "上门应于", "上次上门", "在办问题",
]  # fmt: skip
CASELOAD_WIDTHS = [32, 22, 12, 9, 9, 10, 12, 12, 10, 12, 12, 9]
HANDOVER_HEADERS = ["序号", "企业名称", "统一社会信用代码", "产业链", "联系人", "联系电话", "重点企业"]
HANDOVER_WIDTHS = [6, 32, 22, 12, 10, 15, 9]


def export_cadres(cadres: Iterable[User], counts: dict[int, tuple[int, int]]) -> BytesIO:
    """The 联企干部 list: every visible cadre with the firms they serve now."""
    rows = (
        [
            c.name,
            c.username,
            c.park.name if c.park else "",
            c.phone,
            "启用" if c.is_active_user else "停用",
            *counts.get(c.id, (0, 0)),
        ]
        for c in cadres
    )
    return write_table("联企干部", CADRE_HEADERS, rows, CADRE_WIDTHS)


def export_caseload(rows: Sequence[FirmCadence]) -> BytesIO:
    """A cadre's firms in the page's order (most urgent first) with their cadence statuses."""

    def status(due):
        return (due.label, due.due_on, due.last_on) if due is not None else ("不跟踪", None, None)

    def line(r: FirmCadence) -> list[Any]:
        firm = r.loaded_firm
        return [
            firm.name,
            firm.credit_code,
            firm.chain.name if firm.chain else "",
            "是" if firm.is_key else "",
            firm.status_label,
            *status(r.contact),
            *status(r.onsite),
            r.open_problems,
        ]

    out = (line(r) for r in rows)
    return write_table("联系企业", CASELOAD_HEADERS, out, CASELOAD_WIDTHS)


PROBLEM_HEADERS = ["序号", "企业名称", "问题标题", "类别", "状态", "承办部门", "办结期限", "反映日期"]
PROBLEM_WIDTHS = [6, 30, 30, 10, 8, 20, 12, 12]


def export_handover(
    handover: Handover, rows: Sequence[Assignment], problems: Sequence[Problem] = ()
) -> BytesIO:
    """The 交接清单 as printed (firms, then their open problems) and the handover's particulars."""
    firms = (
        [
            n,
            a.enterprise.name,
            a.enterprise.credit_code,
            a.enterprise.chain.name if a.enterprise.chain else "",
            a.enterprise.contact_name,
            a.enterprise.contact_phone,
            "是" if a.enterprise.is_key else "",
        ]
        for n, a in enumerate(rows, start=1)
    )
    created = to_local(handover.created_at)
    facts: list[list[Any]] = [
        ["移交人", handover.from_cadre.name],
        ["接收人", handover.to_cadre.name],
        ["交接日期", handover.handed_on],
        ["交接原因", HANDOVER_REASONS.get(handover.reason, handover.reason)],
        ["首次走访期限", handover.first_visit_due_on],
        ["交接说明", handover.note or ""],
        ["企业数", len(rows)],
        ["经办人", handover.created_by.name],
        ["生成时间", created.replace(tzinfo=None) if created else None],
    ]
    open_problems = (
        [
            n,
            p.enterprise.name,
            p.title,
            p.category_label,
            p.status_label,
            p.department.name if p.department else "",
            p.due_on,
            p.raised_on,
        ]
        for n, p in enumerate(problems, start=1)
    )
    return write_sheets(
        [
            ("交接清单", HANDOVER_HEADERS, firms, HANDOVER_WIDTHS),
            ("在办问题", PROBLEM_HEADERS, open_problems, PROBLEM_WIDTHS),
            ("交接信息", ["项目", "内容"], facts, [14, 50]),
        ]
    )
