"""Export of the enterprise list exactly as filtered on screen."""

from collections.abc import Iterable
from io import BytesIO

from crm.models import Enterprise
from crm.reporting.exports.xlsx import write_table

HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "所属园区",
    "所属产业链",
    "规模类型",
    "企业规模",
    "重点企业",
    "经营状态",
    "法定代表人",
    "联系人",
    "联系电话",
    "地址",
    "联系干部",
    "从业人数",
    "上年产值(万元)",
    "上年税收(万元)",
    "成立日期",
    "资质",
    "标签",
]
WIDTHS = [32, 22, 22, 12, 9, 9, 9, 9, 10, 10, 15, 36, 10, 9, 14, 14, 12, 30, 16]


def export_enterprises(firms: Iterable[Enterprise]) -> BytesIO:
    """Write the given firms (already scoped and filtered, their qualifications and tags loaded with
    selectinload) to an .xlsx workbook."""
    rows = (
        [
            f.name,
            f.credit_code,
            f.park.name,
            f.chain.name if f.chain else "",
            f.scale_label,
            f.size_label,
            "是" if f.is_key else "否",
            f.status_label,
            f.legal_rep,
            f.contact_name,
            f.contact_phone,
            f.address,
            f.cadre.name if f.cadre else "",
            f.headcount,
            f.output_last_year,
            f.tax_last_year,
            f.founded_on,
            "、".join(q.text for q in f.qualification_list),
            f.tag_names,
        ]
        for f in firms
    )
    return write_table("企业档案", HEADERS, rows, WIDTHS)
