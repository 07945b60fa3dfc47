"""The 汇总 sheet: title, the month's key figures next to the previous month's, the status and 三色
distributions with native charts, the reconciliation line and a short note on the definitions."""

from operator import attrgetter
from typing import Optional

from crm.models.problem import PROBLEM_STATUSES
from crm.models.visit import VISIT_KINDS
from crm.reporting.monthly.evidence import SHEET_LABEL as EVIDENCE_LABEL
from crm.reporting.monthly.xlsx import (
    AVG,
    BOLD,
    CHART_COLOURS,
    DELTA_AVG,
    DELTA_INT,
    DELTA_PCT,
    HEADER_BORDER,
    HEADER_FILL,
    HEADER_FONT,
    INT,
    MUTED,
    PCT,
    SECTION_FILL,
    TITLE_FONT,
    WRAP_CENTER,
    bar_chart,
    pie_chart,
    setup_print,
    styled,
)
from crm.services.kpi import KPIS
from crm.timeutil import to_local

HEADER_ROW = 4
WIDTHS = [30, 12, 12, 16, 46]
HEADERS = ["指标", "本月", "上月", "环比变化", "口径说明"]
COLOUR_ROWS = {"red": "红色预警", "yellow": "黄色预警", "green": "正常"}
DRAFT_FONT = {"bold": True, "font_color": "#C55A11"}  # the 初稿 line: figures may still change


def _kpi(path: str, key: str) -> tuple[str, str, bool, str]:
    """A ROWS entry for a KPI: its label and 分子 ÷ 分母 from crm.services.kpi (指标说明 has the rest)."""
    k = KPIS[key]
    return (path, k.label, k.is_rate, f"{k.numerator} ÷ {k.denominator}")


AVERAGES = {"problems.avg_resolution_workdays"}  # figures with one decimal, neither count nor rate

# (attribute path on a Summary, label, is a rate, definition); a path of None starts a section.
ROWS: list[tuple[Optional[str], str, bool, str]] = [
    (None, "一、企业走访服务", False, ""),
    ("visits.firms_served", "联系企业数（家）", False, "月末有联系干部的在营企业"),
    ("visits.cadres", "联企干部数（人）", False, "月末有联系企业的干部"),
    _kpi("visits.contact_rate", "contact_coverage"),
    _kpi("visits.onsite_rate", "onsite_coverage"),
    ("evidence.firms", f"{EVIDENCE_LABEL}企业（家）", False, "本月有上门走访且现场佐证成立的联系企业"),
    _kpi("evidence.fraction", "evidenced_coverage"),
    ("visits.unvisited", "本月未上门企业（家）", False, "名单见“未走访企业”表"),
    ("visits.visits", "走访次数合计", False, "本月各种方式的走访、联系记录"),
    *[(f"kind:{kind}", f"　其中：{label}", False, "") for kind, label in VISIT_KINDS.items()],
    (
        "evidence.visits",
        f"{EVIDENCE_LABEL}（次）",
        False,
        "上门走访中定位在企业附近并附现场照片的；各干部见“干部走访”表",
    ),
    (None, "二、问题办理", False, ""),
    ("problems.carried", "上月结转（件）", False, "本月前提出、月初仍未销号"),
    ("problems.new", "本月新增（件）", False, "本月提出"),
    ("problems.closed", "本月销号（件）", False, "本月销号（含强制销号）"),
    ("problems.open_end", "月末在办（件）", False, "月末尚未销号；= 结转 + 新增 − 销号"),
    ("problems.overdue", "月末超期（件）", False, "月末在办且为红色预警"),
    _kpi("problems.overdue_rate", "overdue_rate"),
    ("problems.resolved", "本月办结（件）", False, "本月办结且有办结期限（不含现场解决）"),
    _kpi("problems.resolution_rate", "resolution_rate"),
    _kpi("problems.on_time_rate", "on_time_rate"),
    _kpi("problems.avg_resolution_workdays", "avg_resolution_workdays"),
    _kpi("problems.solved_rate", "solved_rate"),
    ("problems.evaluations", "回访评价（次）", False, "本月企业回访评价次数"),
    _kpi("problems.satisfaction_rate", "satisfaction_rate"),
    ("problems.escalations", "提级协调（次）", False, "本月提级协调（含自动提级）"),
    ("problems.supervisions", "督办（次）", False, "本月发出的督办"),
]
NOTES = [
    "口径说明：日期均按北京时间；月末状态、三色预警和协调级别按当月最后一天（本月未结束时按今天）的情况统计。",
    "走访覆盖以企业计：同一企业本月多次走访只计一次；联系企业为月末有联系干部的在营企业。",
    "工作日按国家法定节假日和调休安排计算。问题清单包括本月内任何时候处于未销号状态的全部问题。",
    "各项比率的计算公式、分子、分母和本月数值见“指标说明”表，与工作台口径一致。",
]


def summary_value(summary, path: str) -> Optional[float]:
    """The figure a ROWS path names ("visits.onsite_rate", "kind:phone")."""
    if path.startswith("kind:"):
        return summary.visits.by_kind.get(path[5:], 0)
    return attrgetter(path)(summary)


def _delta(now: Optional[float], before: Optional[float], is_rate: bool) -> Optional[float]:
    """The change since last month; rates in percentage points."""
    if now is None or before is None:
        return None
    return round((now - before) * 100, 1) if is_rate else round(now - before, 1)


def write_summary(wb, report) -> None:
    """The 汇总 sheet (header on row 4, frozen below it)."""
    ws = wb.create_sheet(title="汇总")
    ws.widths(WIDTHS)
    ws.freeze(f"A{HEADER_ROW + 1}")
    ws.height(1, 28)
    ws.height(HEADER_ROW, 22)
    setup_print(ws, landscape=True)
    period = report.period
    ws.merge("A1:E1")
    ws.merge("A2:E2")
    ws.append([styled(ws, getattr(report, "heading", report.title), font=TITLE_FONT)])
    generated = to_local(report.generated_at)
    until = "" if not period.is_running else "（截至当日）"
    ws.append(
        [
            styled(
                ws,
                f"统计期间：{period.start:%Y-%m-%d} 至 {period.end:%Y-%m-%d}{until}"
                f"　范围：{report.scope.title}　生成时间：{generated:%Y-%m-%d %H:%M}（北京时间）",
                font=MUTED,
            )
        ]
    )
    edition = getattr(report, "edition", None)  # 初稿 / 正式版 (crm.reporting.monthly.snapshot.Edition)
    if edition is not None:
        ws.merge("A3:E3")
        ws.append([styled(ws, edition.note, font=MUTED if edition.is_final else DRAFT_FONT)])
    else:
        ws.append([])
    ws.append(
        [
            styled(ws, h, font=HEADER_FONT, fill=HEADER_FILL, align=WRAP_CENTER, border=HEADER_BORDER)
            for h in HEADERS
        ]
    )
    row = HEADER_ROW
    for path, label, is_rate, note in ROWS:
        row += 1
        if path is None:
            ws.append(
                [styled(ws, label, font=BOLD, fill=SECTION_FILL)] + [styled(ws, None, fill=SECTION_FILL)] * 4
            )
            continue
        now, before = summary_value(report.summary, path), summary_value(report.previous, path)
        fmt = PCT if is_rate else (AVG if path in AVERAGES else INT)
        delta_fmt = DELTA_PCT if is_rate else (DELTA_AVG if path in AVERAGES else DELTA_INT)
        ws.append(
            [
                label,
                styled(ws, now, fmt, font=BOLD),
                styled(ws, before, fmt),
                styled(ws, _delta(now, before, is_rate), delta_fmt),
                styled(ws, note, font=MUTED),
            ]
        )
    p = report.summary.problems
    ws.append([])
    reconcile = (
        f"核对：上月结转 {p.carried} ＋ 本月新增 {p.new} − 本月销号 {p.closed} ＝ 月末在办 {p.open_end}"
    )
    ws.append([styled(ws, reconcile, font=BOLD)])
    row += 2
    ws.merge(f"A{row}:E{row}")
    statuses = [(label, p.by_status.get(key, 0)) for key, label in PROBLEM_STATUSES.items()]
    status_header, row = _distribution(ws, row, "问题状态（月末）", statuses)
    colours = [(label, p.by_colour.get(key, 0)) for key, label in COLOUR_ROWS.items()]
    colour_header, row = _distribution(ws, row, "三色预警（月末在办）", colours)
    ws.append([])
    for note in NOTES:
        row += 1
        ws.append([styled(ws, note, font=MUTED)])
    if report.calendar_note:  # deadlines counted on a provisional calendar (调休 not entered yet)
        row += 1
        ws.append([styled(ws, f"注意：{report.calendar_note}", font=BOLD)])
    status_chart = bar_chart(
        ws,
        "问题状态分布（月末，件）",
        (1, status_header + 1, status_header + len(statuses)),
        [(2, status_header, status_header + len(statuses))],
        size=(15, 7.5),
    )
    ws.add_chart(status_chart, "F4")
    colour_chart = pie_chart(
        ws,
        "月末在办问题三色分布",
        (1, colour_header + 1, colour_header + 3),
        (2, colour_header, colour_header + 3),
        [CHART_COLOURS[c] for c in COLOUR_ROWS],
    )
    ws.add_chart(colour_chart, "F20")


def _distribution(ws, after: int, title: str, items: list[tuple[str, int]]) -> tuple[int, int]:
    """A blank row, then a two-column table (title | 问题数) of items; returns (header row, last row)."""
    ws.append([])
    ws.append(
        [
            styled(ws, title, font=HEADER_FONT, fill=HEADER_FILL, align=WRAP_CENTER),
            styled(ws, "问题数", font=HEADER_FONT, fill=HEADER_FILL, align=WRAP_CENTER),
        ]
    )
    for label, value in items:
        ws.append([label, styled(ws, value, INT)])
    return after + 2, after + 2 + len(items)
