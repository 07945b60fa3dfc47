"""Export of the coverage view: per-cadre coverage and the overdue firms, as on screen."""

from io import BytesIO
from typing import Any

from crm.reporting.exports.xlsx import write_sheets
from crm.services.visits.coverage import CoverageReport, FirmCadence

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

    def overdue_line(r: FirmCadence) -> list[Any]:
        firm, contact, onsite = r.loaded_firm, r.contact, r.onsite
        assert contact is not None and onsite is not None, "overdue rows are 在营 firms, which have a cadence"
        return [
            firm.name,
            r.assignment.cadre.name if r.assignment else "",
            "是" if firm.is_key else "",
            contact.last_on,
            contact.label,
            contact.due_on,
            onsite.last_on,
            onsite.label,
            onsite.due_on,
        ]

    overdue_rows = (overdue_line(r) for r in report.overdue)
    return write_sheets(
        [
            ("干部覆盖", CADRE_HEADERS, cadre_rows, [12, 11, 11, 15, 11, 15, 10, 10]),
            ("逾期企业", OVERDUE_HEADERS, overdue_rows, [32, 10, 9, 12, 10, 12, 12, 10, 12]),
        ]
    )
