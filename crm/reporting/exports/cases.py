"""Export of the 典型案例库 as listed on screen (every page, its filters applied)."""

from collections.abc import Iterable
from io import BytesIO

from sqlalchemy import select

from crm.extensions import db
from crm.models import Policy, TypicalCase
from crm.models.problem import PROBLEM_CATEGORIES
from crm.reporting.exports.xlsx import write_table
from crm.services.knowledge.cases import cited_counts
from crm.timeutil import to_local

HEADERS = [
    "编号", "案例标题", "问题类别", "解决部门", "解决经过", "政策或规定依据", "关联政策", "标签", "状态",
    "所属园区", "入库日期", "已引用次数",
]  # fmt: skip
WIDTHS = [7, 30, 10, 18, 50, 36, 30, 24, 8, 14, 12, 10]


def export_cases(cases: Iterable[TypicalCase]) -> BytesIO:
    """Write the given cases (already scoped, filtered and ordered) to an .xlsx workbook; two queries
    besides the list's own: the linked policies' titles and the 已引用 counts."""
    rows = list(cases)
    policy_ids = {c.policy_id for c in rows if c.policy_id}
    titles = (
        dict(db.session.execute(select(Policy.id, Policy.title).where(Policy.id.in_(policy_ids))).all())
        if policy_ids
        else {}
    )
    cited = cited_counts([c.problem_id for c in rows])
    table = (
        [
            c.id,
            c.title,
            PROBLEM_CATEGORIES.get(c.category, c.category),
            c.department.name if c.department else "",
            c.summary,
            c.basis or "",
            titles.get(c.policy_id, "") if c.policy_id else "",
            "、".join(c.tags or []),
            c.status_label,
            c.park.name,
            to_local(c.created_at).date() if c.created_at else None,
            cited.get(c.problem_id, 0),
        ]
        for c in rows
    )
    return write_table("典型案例", HEADERS, table, WIDTHS)
