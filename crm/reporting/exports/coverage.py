"""Export of the coverage view: per-cadre coverage and the overdue firms, as on screen."""

from io import BytesIO

from crm.reporting.exports.xlsx import write_sheets
from crm.services.visits.coverage import CoverageReport

CADRE_HEADERS = [
    "联系干部",
    "联系企业数",
    "本周已联系",
    "本周联系覆盖率%",
    "本月已上门",
    "本月上门覆盖率%",
    "联系逾期",
    "上门逾期",
]
OVERDUE_HEADERS = [
    "企业名称",
    "联系干部",
    "重点企业",
    "上次联系",
    "联系状态",
    "联系应于",
    "上次上门",
    "上门状态",
    "上门应于",
]


def export_coverage(report: CoverageReport) -> BytesIO:
    """Two sheets: 干部覆盖 and 逾期企业."""
    cadre_rows = (
        [
            c.cadre.name,
            c.firms,
            c.contacted_week,
            c.week_pct,
            c.onsite_month,
            c.month_pct,
            c.contact_overdue,
            c.onsite_overdue,
        ]
        for c in report.cadres
    )
    overdue_rows = (
        [
            r.firm.name,
            r.assignment.cadre.name if r.assignment else "",
            "是" if r.firm.is_key else "",
            r.contact.last_on,
            r.contact.label,
            r.contact.due_on,
            r.onsite.last_on,
            r.onsite.label,
            r.onsite.due_on,
        ]
        for r in report.overdue
    )
    return write_sheets(
        [
            ("干部覆盖", CADRE_HEADERS, cadre_rows, [12, 11, 11, 15, 11, 15, 10, 10]),
            ("逾期企业", OVERDUE_HEADERS, overdue_rows, [32, 10, 9, 12, 10, 12, 12, 10, 12]),
        ]
    )
