"""The 指标说明 sheet: every KPI's formula, 分子, 分母 and exclusions (crm.services.kpi), this month's
counts and figure for the report's scope, and the counting conventions the other sheets follow."""

from typing import Optional

from openpyxl.utils import get_column_letter

from crm.reporting.monthly.kpis import KpiCount, report_kpis
from crm.reporting.monthly.xlsx import (
    AVG,
    BOLD,
    HEADER_BORDER,
    HEADER_FILL,
    HEADER_FONT,
    INT,
    MUTED,
    PCT,
    SECTION_FILL,
    TITLE_FONT,
    WRAP_CENTER,
    setup_print,
    styled,
)
from crm.services.kpi.definitions import CONVENTIONS, GROUPS, KPIS

TITLE = "指标说明"
HEADERS = ["指标", "计算公式", "分子", "分母", "说明", "本月分子", "本月分母", "本月数值"]
WIDTHS = [14, 44, 30, 26, 44, 10, 10, 11]
HEADER_ROW = 4
WRAP_TOP = {"valign": "top", "text_wrap": True}
NOT_IN_REPORT = "不在月报中统计"


def write_definitions(wb, report, extra: Optional[dict[str, KpiCount]] = None) -> None:
    """The 指标说明 sheet (header on row 4, frozen below it). extra: the counts of KPIs the workbook computes
    outside the 汇总 figures (another sheet's), so their rows show this month's value too."""
    ws = wb.create_sheet(title=TITLE)
    ws.widths(WIDTHS)
    ws.freeze(f"A{HEADER_ROW + 1}")
    ws.height(1, 28)
    setup_print(ws, landscape=True)
    last = get_column_letter(len(HEADERS))
    ws.merge(f"A1:{last}1")
    ws.merge(f"A2:{last}2")
    ws.append([styled(ws, f"{report.heading}·指标说明", font=TITLE_FONT)])
    until = "（截至当日）" if report.period.is_running else ""
    ws.append(
        [
            styled(
                ws,
                f"本月数值为{report.scope.title}{report.period.label}{until}的统计结果；"
                "各表中的比率均按本表公式计算，与工作台显示的口径一致。",
                font=MUTED,
            )
        ]
    )
    ws.append([])
    ws.append(
        [
            styled(ws, h, font=HEADER_FONT, fill=HEADER_FILL, align=WRAP_CENTER, border=HEADER_BORDER)
            for h in HEADERS
        ]
    )
    row = HEADER_ROW
    counts = report_kpis(report) | (extra or {})
    for group in GROUPS:
        row += 1
        ws.append(
            [styled(ws, group, font=BOLD, fill=SECTION_FILL)] + [styled(ws, None, fill=SECTION_FILL)] * 7
        )
        for k in (k for k in KPIS.values() if k.group == group):
            row += 1
            count = counts.get(k.key)
            texts = [k.label, k.formula, k.numerator, k.denominator, k.note]
            cells = [styled(ws, texts[0], font=BOLD, align=WRAP_TOP)]
            cells += [styled(ws, text, align=WRAP_TOP) for text in texts[1:]]
            if count is None:
                cells += [styled(ws, None), styled(ws, None), styled(ws, NOT_IN_REPORT, font=MUTED)]
            else:
                count_fmt = INT if isinstance(count.part, int) else AVG
                cells += [
                    styled(ws, count.part, count_fmt, align=WRAP_TOP),
                    styled(ws, count.whole, INT, align=WRAP_TOP),
                    styled(ws, count.fraction, PCT if k.is_rate else AVG, font=BOLD, align=WRAP_TOP),
                ]
            ws.append(cells)
    ws.append([])
    ws.append(
        [styled(ws, "统计口径", font=BOLD, fill=SECTION_FILL)] + [styled(ws, None, fill=SECTION_FILL)] * 7
    )
    row += 2
    conventions = list(CONVENTIONS)
    if report.calendar_note:  # deadlines of this book rest on a year whose 调休 is not entered yet
        conventions.append(("暂定日历", report.calendar_note))
    for idx, (title, text) in enumerate(conventions, start=1):
        row += 1
        ws.merge(f"B{row}:{last}{row}")
        ws.height(row, 30)
        ws.append(
            [styled(ws, f"{idx}. {title}", font=BOLD, align=WRAP_TOP), styled(ws, text, align=WRAP_TOP)]
        )
