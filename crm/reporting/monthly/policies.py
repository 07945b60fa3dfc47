"""The 政策兑现 sheet of the monthly workbook: per policy, then per park — matched firms, delivered, applied,
paid and the amount paid — with the definitions under the tables (crm.services.policies.figures counts)."""

from typing import Any

from crm.reporting.monthly.kpis import KpiCount
from crm.reporting.monthly.policy_facts import policy_report_of
from crm.reporting.monthly.xlsx import BOLD, DATE, INT, MUTED, SECTION_FILL, WAN, Column, TableSheet, styled
from crm.services.kpi import KPIS
from crm.services.policies.figures import DELIVERY_DAYS, Figures, PolicyReport

SHEET = "政策兑现"
COLUMNS = [
    Column("政策名称", 34),
    Column("发文机关", 18),
    Column("层级", 7),
    Column("申报截止", 11, DATE),
    Column("匹配企业", 9, INT),
    Column("已送达", 8, INT),
    Column("其中本月送达", 10, INT),
    Column("有意申报", 9, INT),
    Column("已申报", 8, INT),
    Column("已兑现", 8, INT),
    Column("未获批", 8, INT),
    Column("兑现金额（万元）", 13, WAN),
    Column("其中本月兑现（万元）", 15, WAN),
]
NOTES = [
    "匹配企业：生成报表时符合政策条件的在营企业（按当时的企业信息判断）。",
    "已送达、有意申报、已申报、已兑现、未获批：按月末各企业-政策对所处的状态统计；已送达含企业已答复、"
    "已申报、已兑现等后续状态，已申报含已兑现和未获批。",
    "本月送达：本月内的送达记录（撤销后重新送达的计两次）；兑现金额：截至月末登记的兑现金额之和。",
    f"政策送达及时率：送达期限（发布后第{DELIVERY_DAYS}日）在本月的政策，按期送达的企业-政策对所占比例，见“指标说明”。",
]


def _figures(f: Figures) -> list[Any]:
    return [
        f.matched, f.reached, f.reached_month, f.interested, f.applied, f.approved, f.rejected, f.amount,
        f.amount_month,
    ]  # fmt: skip


def write_policy_sheet(wb, data: PolicyReport) -> None:
    """The sheet: the policies' table (filtered, with a 合计 row), then the parks' table and the notes."""
    sheet = TableSheet(wb, SHEET, COLUMNS)
    for row in data.policies:
        p = row.policy
        sheet.append([p.title, p.issuer, p.level_label, p.apply_to, *_figures(row.figures)])
    sheet.total(["合计", f"{len(data.policies)}项政策", None, None, *_figures(data.total)])
    sheet.finish()
    ws = sheet.ws
    ws.append([])
    ws.append(
        [styled(ws, "按园区", font=BOLD, fill=SECTION_FILL)] + [styled(ws, None, fill=SECTION_FILL)] * 12
    )
    for park in data.parks:
        values = _figures(park.figures)
        ws.append(
            [park.name, None, None, None]
            + [styled(ws, v, c.fmt) for v, c in zip(values, COLUMNS[4:], strict=True)]
        )
    ws.append([])
    for note in NOTES:
        ws.append([styled(ws, note, font=MUTED)])


def write_policies(wb, report) -> dict[str, KpiCount]:
    """Write the 政策兑现 sheet for the report's scope and period from the month's facts (frozen once the
    month is closed); returns the sheet's KPI counts (for the 指标说明 sheet)."""
    data = policy_report_of(report.source)
    write_policy_sheet(wb, data)
    key = "policy_delivery_on_time"
    return {key: KpiCount(KPIS[key], data.on_time, data.due)}
