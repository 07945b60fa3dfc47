"""The 热点分析 sheet of the monthly workbook — top categories and words (by park and by industry chain,
with last month and the change), repeat problems, the slowest categories, each department's 重办率 and
the demands answered from the case library — with each block's definition under it; and the figures
of a month for the 热点分析 page (frozen once the month is closed, like the sheet)."""

from typing import Any, Optional

from crm.reporting.monthly.facts import EventFact
from crm.reporting.monthly.kpis import KpiCount
from crm.reporting.monthly.period import Period
from crm.reporting.monthly.snapshot import KINDS, LiveSource, Source, previous_rows
from crm.reporting.monthly.xlsx import (
    AVG,
    BOLD,
    DATE,
    DELTA_INT,
    HEADER_FILL,
    HEADER_FONT,
    INT,
    MUTED,
    PCT,
    SECTION_FILL,
    TITLE_FONT,
    TOTAL_FILL,
    WRAP_CENTER,
    setup_print,
    styled,
)
from crm.services.closing.codec import decoder
from crm.services.closing.store import latest_closes, read_kind
from crm.services.knowledge.hotspot_figures import (
    DEFINITIONS,
    Group,
    Hotspots,
    RedoFact,
    Trend,
    assemble_hotspots,
    category_label,
)
from crm.services.kpi import KPIS

SHEET = "热点分析"
RAISED, RESOLVED, REPEATS, EVENTS = "hotspot_raised", "hotspot_resolved", "hotspot_repeats", "events"
NAMES = ("parks", "chains", "departments")
KINDS_READ = (RAISED, RESOLVED, REPEATS, EVENTS, *NAMES)
WIDTHS = [18, 30, 12, 30, 12, 12, 10]
GROUP_LABELS = {"all": "全部", "park": "园区", "chain": "产业链"}
SOURCE_LABELS = (("典型案例", True), ("以往问题", False))


def _redos(events: list[EventFact]) -> list[RedoFact]:
    """The month's 重办: its evaluations 不满意, each counted for the department then handling it."""
    return [
        RedoFact(e.park_id, e.problem_id, e.department_id)
        for e in events
        if e.action == "evaluate" and e.verdict == "unsatisfied"
    ]


def _names(rows: dict[str, list]) -> dict[str, dict[int, str]]:
    return {kind: {n.id: n.name for n in rows[kind]} for kind in NAMES}


def hotspots_from_source(source: Source, scope_name: str) -> Hotspots:
    """The 热点分析 of a monthly report's source (its snapshot if the month is closed)."""
    rows = {kind: source.rows(kind) for kind in KINDS_READ}
    return assemble_hotspots(
        source.period.start,
        source.period.end,
        source.park_id,
        rows[RAISED],
        previous_rows(source, RAISED),
        rows[RESOLVED],
        _redos(rows[EVENTS]),
        rows[REPEATS],
        _names(rows),
        scope_name,
    )


def _frozen(close_id: int, kind: str, park_id: Optional[int], as_kind: Optional[str] = None) -> list:
    """One kind of a close's facts (for a park: its own), decoded."""
    spec = KINDS[as_kind or kind]
    decode = decoder(spec.row)
    rows = [decode(data) for _id, data in read_kind([close_id], kind)]
    if park_id is not None and spec.scoped:
        rows = [r for r in rows if r.park_id == park_id]
    return rows


def hotspots_of(period: Period, park_id: Optional[int], scope_name: str) -> tuple[Hotspots, Any]:
    """(figures, close) of a month for the 热点分析 page: a closed month's from its close's frozen facts
    (and the close), an open month's live (close None) — a fixed number of queries either way, reading
    only the kinds this analysis needs."""
    previous = period.previous()
    closes = latest_closes([period.month, previous.month])
    close = closes.get(period.month)
    if close is not None and close.is_closed and not period.is_running:
        rows = {kind: _frozen(close.id, kind, park_id) for kind in KINDS_READ}
        before = _frozen(close.id, f"previous_{RAISED}", park_id, RAISED)
    else:
        close = None
        live = LiveSource(period, park_id)
        rows = {kind: live.rows(kind) for kind in KINDS_READ}
        prev_close = closes.get(previous.month)
        if prev_close is not None and prev_close.is_closed:
            before = _frozen(prev_close.id, RAISED, park_id)
        else:
            before = LiveSource(previous, park_id, shared=live.month.shared).rows(RAISED)
    figures = assemble_hotspots(
        period.start,
        period.end,
        park_id,
        rows[RAISED],
        before,
        rows[RESOLVED],
        _redos(rows[EVENTS]),
        rows[REPEATS],
        _names(rows),
        scope_name,
    )
    return figures, close


def trend_pct(t: Trend) -> Any:
    """The change in % as the fraction Excel formats (0.5 for +50 %), or 新增 / None."""
    pct = t.change_pct
    if pct is None:
        return t.change_label if t.count else None
    return pct / 100


class _Blocks:
    """A sheet of stacked blocks: a section title, a header row, rows, a definition line."""

    def __init__(self, wb, title: str, note: str):
        self.ws = wb.create_sheet(title=SHEET)
        self.ws.widths(WIDTHS)
        setup_print(self.ws, landscape=True)
        self.ws.append([styled(self.ws, title, font=TITLE_FONT)])
        self.ws.append([styled(self.ws, note, font=MUTED)])

    def section(self, title: str, headers: list[str]) -> None:
        ws = self.ws
        ws.append([])
        ws.append(
            [styled(ws, title, font=BOLD, fill=SECTION_FILL)] + [styled(ws, None, fill=SECTION_FILL)] * 6
        )
        ws.append([styled(ws, h, font=HEADER_FONT, fill=HEADER_FILL, align=WRAP_CENTER) for h in headers])

    def row(self, values: list[Any], formats: list[Optional[str]], total: bool = False) -> None:
        ws = self.ws
        font, fill = (BOLD, TOTAL_FILL) if total else (None, None)
        ws.append(
            [
                styled(ws, v, fmt if v is not None and not isinstance(v, str) else None, font=font, fill=fill)
                for v, fmt in zip(values, formats, strict=False)
            ]
        )

    def note(self, text: str) -> None:
        self.ws.append([styled(self.ws, text, font=MUTED)])


TREND_FORMATS = [None, None, INT, INT, DELTA_INT, PCT]


def _trends(blocks: _Blocks, title: str, first: str, groups: list[Group], definition: str) -> None:
    blocks.section(title, ["范围", first, "本月问题数", "上月问题数", "环比（件）", "环比"])
    for g in groups:
        scope = g.name if g.kind == "all" else f"{GROUP_LABELS[g.kind]}：{g.name}"
        if not g.rows:
            blocks.row([scope, "（无）", 0, 0, 0, None], TREND_FORMATS)
        for t in g.rows:
            blocks.row([scope, t.label, t.count, t.previous, t.change, trend_pct(t)], TREND_FORMATS)
    blocks.note(definition)


def write_hotspot_sheet(wb, data: Hotspots, heading: str, note: str) -> None:
    """The 热点分析 sheet: the six blocks, each with its definition."""
    b = _Blocks(wb, heading, note)
    _trends(b, "一、问题类别排行（按园区、产业链）", "问题类别", data.categories, DEFINITIONS["categories"])
    _trends(b, "二、高频词（按园区、产业链）", "热词", data.terms, DEFINITIONS["terms"])
    b.section(
        "三、重复问题", ["企业", "本月问题", "反映日期", "在先问题", "在先办结日期", "相隔天数", "类别"]
    )
    for r in data.repeats:
        new, earlier = f"{r.title}（#{r.problem_id}）", f"{r.earlier_title}（#{r.earlier_id}）"
        b.row(
            [r.firm_name, new, r.raised_on, earlier, r.earlier_done_on, r.days, category_label(r.category)],
            [None, None, DATE, None, DATE, INT, None],
        )
    if not data.repeats:
        b.row(["（无）"], [None])
    b.note(DEFINITIONS["repeats"])
    b.section("四、办结最慢的问题类别", ["问题类别", "本月办结", "办结工作日合计", "平均办结工作日"])
    formats = [None, INT, INT, AVG]
    for s in data.slowest:
        b.row([s.label, s.resolved, s.workdays, s.average], formats)
    t = data.slowest_total
    b.row([t.label, t.resolved, t.workdays, t.average], formats, total=True)
    b.note(DEFINITIONS["slowest"])
    b.section("五、各部门重办率", ["部门", "重办次数", "本月办结", "重办率"])
    formats = [None, INT, INT, PCT]
    for d in data.departments:
        b.row([d.name, d.redos, d.resolved, _fraction("redo_rate", d.redos, d.resolved)], formats)
    d = data.departments_total
    b.row([d.name, d.redos, d.resolved, _fraction("redo_rate", d.redos, d.resolved)], formats, total=True)
    b.note(DEFINITIONS["redo"])
    a = data.answered
    b.section("六、案例库解答", ["项目", "件数", "占本月提出"])
    formats = [None, INT, PCT]
    b.row(["本月提出的问题", a.raised, None], formats)
    b.row(
        ["引用典型案例答复", len(a.from_case), _fraction("case_answer_rate", len(a.from_case), a.raised)],
        formats,
    )
    b.row(
        [
            "引用以往问题答复",
            len(a.from_problem),
            _fraction("case_answer_rate", len(a.from_problem), a.raised),
        ],
        formats,
    )
    b.row(
        ["案例库解答合计", a.answered, _fraction("case_answer_rate", a.answered, a.raised)],
        formats,
        total=True,
    )
    for label, from_case in SOURCE_LABELS:
        for f in a.from_case if from_case else a.from_problem:
            b.row(
                [f"引用{label}", f"{f.title}（#{f.problem_id}）", f"所引用问题 #{f.answered_from_id}"],
                [None] * 3,
            )
    b.note(DEFINITIONS["answered"])


def _fraction(key: str, part: int, whole: int) -> Optional[float]:
    return KPIS[key].fraction(part, whole)


def write_hotspots(wb, report) -> dict[str, KpiCount]:
    """Write the 热点分析 sheet for the report's scope and period from the month's facts (frozen once the
    month is closed); returns its KPI counts (重办率, 案例库解答率) for the 指标说明 sheet."""
    data = hotspots_from_source(report.source, report.scope.title)
    until = "（截至当日）" if report.period.is_running else ""
    note = (
        f"{report.scope.title}{report.period.label}{until}；园区、产业链按月末所在统计；"
        "月结后按结账时冻结的数据统计，不再变动。"
    )
    write_hotspot_sheet(wb, data, f"{report.title}·热点分析", note)  # the edition: on 汇总
    return {
        "redo_rate": KpiCount(
            KPIS["redo_rate"], data.departments_total.redos, data.departments_total.resolved
        ),
        "case_answer_rate": KpiCount(KPIS["case_answer_rate"], data.answered.answered, data.answered.raised),
    }
