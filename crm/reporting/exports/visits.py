"""Export of the visit log exactly as filtered on screen."""

from collections.abc import Iterable
from io import BytesIO

from crm.models import Visit
from crm.reporting.exports.xlsx import write_table
from crm.timeutil import to_local

HEADERS = [
    "走访日期",
    "企业名称",
    "统一社会信用代码",
    "所属园区",
    "所属产业链",
    "走访方式",
    "走访人",
    "参与人员",
    "走访情况",
    "发现与建议",
    "附件数",
    "记录时间",
    "现场佐证",
]
WIDTHS = [12, 32, 22, 16, 12, 14, 10, 20, 50, 40, 8, 17, 12]


def export_visits(visits: Iterable[Visit]) -> BytesIO:
    """Write the given visits (already scoped and filtered) to an .xlsx workbook."""
    rows = (
        [
            v.visited_on,
            v.enterprise.name,
            v.enterprise.credit_code,
            v.enterprise.park.name,
            v.enterprise.chain.name if v.enterprise.chain else "",
            v.kind_label,
            v.cadre.name,
            v.participants,
            v.summary,
            v.findings,
            len(v.attachments),
            to_local(v.created_at).replace(tzinfo=None) if v.created_at else None,
            v.evidence_label,  # 有佐证 / 位置存疑 …; never the location itself
        ]
        for v in visits
    )
    return write_table("走访记录", HEADERS, rows, WIDTHS)
