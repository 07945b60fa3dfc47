"""企业之声 in the monthly workbook: the figures (企业自报, 企业自评率, 满意率 by who gave it, 撤单 and 质检,
回访抽查) and two lists, 撤单质检 (the month's withdrawals) and 回访抽查 (the sample called in the month).

Everything comes from the month's facts (crm.reporting.monthly.voice_facts, through the report's source):
live while the month is open, as the month close froze them once it is closed. The figures are counted
by crm.services.portal.figures.tally (the dashboards count the same way), rates by the KPI module.
"""

from typing import Any, Optional

from crm.models.portal import CALLBACK_STATUSES, WITHDRAWAL_REVIEWS, WITHDRAWAL_VIA
from crm.models.problem import EVALUATIONS
from crm.reporting.monthly.period import Period
from crm.reporting.monthly.snapshot import Source
from crm.reporting.monthly.voice_facts import CallbackDrawFact, CallbackFact, WithdrawalFact
from crm.reporting.monthly.xlsx import (
    BOLD,
    DATE,
    HEADER_FILL,
    HEADER_FONT,
    INT,
    MUTED,
    PCT,
    SECTION_FILL,
    WRAP_CENTER,
    Column,
    TableSheet,
    setup_print,
    styled,
)
from crm.services.kpi import KPIS
from crm.services.portal.figures import FirmVoiceFigures, previous_month, tally

SHEETS = ["企业之声", "撤单质检", "回访抽查"]
CHANNELS = {"phone": "电话", "onsite": "上门", "": "未注明方式"}
WITHDRAWAL_COLUMNS = [
    Column("撤单日期", 11, DATE),
    Column("企业名称", 30),
    Column("问题编号", 9),
    Column("问题标题", 30),
    Column("承办部门", 16),
    Column("申请人", 11),
    Column("申请日期", 11, DATE),
    Column("撤单理由", 36),
    Column("企业确认方式", 14),
    Column("质检结果", 10),
    Column("质检日期", 11, DATE),
    Column("质检说明", 30),
]
CALLBACK_COLUMNS = [
    Column("问题编号", 9),
    Column("企业名称", 30),
    Column("问题标题", 30),
    Column("承办部门", 16),
    Column("销号日期", 11, DATE),
    Column("回访评价", 10),
    Column("评价来源", 12),
    Column("回访结果", 10),
    Column("企业确认已解决", 12),
    Column("核实满意度", 10),
    Column("回访日期", 11, DATE),
    Column("回访人", 11),
    Column("说明", 30),
]


def _rows(f: FirmVoiceFigures) -> list[tuple[Optional[str], str, Any, str]]:
    """(KPI key or None, label, value, definition); a value of None with label only starts a section."""

    def kpi(key: str, part: int, whole: int) -> tuple[str, str, Any, str]:
        k = KPIS[key]
        return (key, k.label, k.fraction(part, whole), f"{k.numerator} ÷ {k.denominator}")

    by_channel = "、".join(f"{CHANNELS.get(c, c)} {n} 次" for c, n in sorted(f.proxy_by_channel.items()))
    return [
        (None, "一、企业自报与评价", None, ""),
        ("", "企业自报诉求（件）", f.self_reported, "本月企业通过企业服务码自行提交的诉求"),
        ("", "本月销号（件，不含撤单）", f.closed, "评价后销号 + 强制销号"),
        ("", "其中企业自评后销号（件）", f.closed_by_firm, "企业在服务页自行评价满意或基本满意"),
        kpi("self_rating_rate", f.closed_by_firm, f.closed),
        ("", "企业自评（次）", f.firm_ratings, "本月企业在服务页的回访评价"),
        kpi("firm_satisfaction_rate", f.firm_satisfied, f.firm_ratings),
        ("", "代录评价（次）", f.proxy_ratings, by_channel or "联系干部或园区代企业录入"),
        kpi("proxy_satisfaction_rate", f.proxy_satisfied, f.proxy_ratings),
        (None, "二、撤单与质检", None, ""),
        (
            "",
            "本月撤单（件）",
            f.withdrawals,
            f"企业在服务页确认 {f.withdrawals_by_firm} 件，"
            f"电话确认 {f.withdrawals - f.withdrawals_by_firm} 件",
        ),
        ("", "本月完成撤单质检（件）", f.reviewed, f"属实 {f.genuine} 件，不属实 {f.false} 件（重新交办）"),
        kpi("withdrawal_genuine_rate", f.genuine, f.reviewed),
        (None, f"三、回访抽查（{f.callback_month} 销号问题）", None, ""),
        ("", "销号问题（件）", f.callback_closed, f"{f.callback_month} 销号、未撤单的问题"),
        ("", "抽查（件）", f.callback_sample, "月初按各园区比例随机抽取，抽取结果固定"),
        (
            "",
            "已回访（件）",
            f.callback_reached,
            f"联系不上 {f.callback_unreachable} 件，待回访 {f.callback_pending} 件",
        ),
        kpi("callback_coverage", f.callback_reached, f.callback_sample),
        ("", "企业确认已解决（件）", f.callback_confirmed, "已回访中企业确认问题已解决的"),
        kpi("verified_satisfaction_rate", f.callback_satisfied, f.callback_reached),
    ]


def _figures_sheet(wb, report_title: str, period: Period, f: FirmVoiceFigures) -> None:
    ws = wb.create_sheet(title="企业之声")
    ws.widths([30, 12, 60])
    ws.freeze("A3")
    setup_print(ws, landscape=False)
    ws.append([styled(ws, f"{report_title}：企业之声", font=BOLD)])
    ws.append(
        [
            styled(ws, h, font=HEADER_FONT, fill=HEADER_FILL, align=WRAP_CENTER)
            for h in ("指标", period.label, "口径")
        ]
    )
    for key, label, value, note in _rows(f):
        if key is None:
            ws.append(
                [styled(ws, label, font=BOLD, fill=SECTION_FILL)] + [styled(ws, None, fill=SECTION_FILL)] * 2
            )
            continue
        ws.append([label, styled(ws, value, PCT if key else INT, font=BOLD), styled(ws, note, font=MUTED)])


def voice_figures(source: Source) -> FirmVoiceFigures:
    """企业之声's figures from a month's facts (live, or as the month close froze them)."""
    draws: list[CallbackDrawFact] = source.rows("callback_draws")
    return tally(
        source.rows("voice"),
        previous_month(source.period.start),
        sum(d.population for d in draws),
        source.rows("callbacks"),
    )


def withdrawal_values(w: WithdrawalFact) -> list[Any]:
    return [
        w.withdrawn_on,
        w.firm,
        w.problem_id,
        w.title,
        w.department,
        w.requested_by,
        w.requested_on,
        w.reason,
        WITHDRAWAL_VIA.get(w.via, w.via),
        WITHDRAWAL_REVIEWS.get(w.review, "待质检"),
        w.reviewed_on,
        w.review_note,
    ]


def callback_values(c: CallbackFact) -> list[Any]:
    confirmed = "" if c.confirmed is None else ("是" if c.confirmed else "否")
    return [
        c.problem_id,
        c.firm,
        c.title,
        c.department,
        c.closed_on,
        EVALUATIONS.get(c.evaluation, ""),
        c.evaluation_by,
        CALLBACK_STATUSES.get(c.status, c.status),
        confirmed,
        EVALUATIONS.get(c.satisfaction, ""),
        c.called_on,
        c.called_by,
        c.note,
    ]


def _table(wb, title: str, columns: list[Column], rows: list[list[Any]]) -> None:
    sheet = TableSheet(wb, title, columns)
    for values in rows:
        sheet.append(values)
    sheet.finish()


def write_firm_voice(wb, report) -> None:
    """The 企业之声, 撤单质检 and 回访抽查 sheets of a monthly report (its source, period and title)."""
    source: Source = report.source
    figures = voice_figures(source)
    _figures_sheet(wb, report.title, report.period, figures)
    withdrawals: list[WithdrawalFact] = source.rows("withdrawals")
    _table(wb, "撤单质检", WITHDRAWAL_COLUMNS, [withdrawal_values(w) for w in withdrawals])
    callbacks: list[CallbackFact] = source.rows("callbacks")
    _table(wb, "回访抽查", CALLBACK_COLUMNS, [callback_values(c) for c in callbacks])
