"""热点分析's figures as the 变更对照 compares them (crm.reporting.monthly.changes): one table per block of
the sheet, named 热点分析·<block>, its rows keyed by what each is about — a category or word by its group
(全部 / 园区 / 产业链) and label, a repeat problem by the new problem's number, a slow category by its
label, a department by its name, a case-library answer by its kind — and its columns headed as the sheet
heads them.

The values are those the sheet writes (crm.reporting.monthly.hotspots), from the same figures; a block's
「（无）」 placeholder row holds no figure and is left out.
"""

from collections.abc import Callable, Sequence
from typing import Any, Optional

from crm.reporting.monthly.hotspots import (
    GROUP_LABELS,
    SHEET,
    SOURCE_LABELS,
    TREND_FORMATS,
    hotspots_from_source,
    trend_pct,
)
from crm.reporting.monthly.snapshot import Source
from crm.reporting.monthly.xlsx import AVG, DATE, INT, PCT, Column
from crm.services.knowledge.hotspot_figures import Group, Hotspots, category_label
from crm.services.kpi import KPIS

# (rows, columns, values of a row, label of a row): what changes._table makes a table of.
Block = tuple[Sequence[Any], Sequence[Column], Callable[[Any], list[Any]], Callable[[Any], str]]


def _columns(headers: Sequence[str], formats: Sequence[Optional[str]]) -> list[Column]:
    return [Column(h, fmt=f) for h, f in zip(headers, formats, strict=True)]


TREND_HEADERS = ("本月问题数", "上月问题数", "环比（件）", "环比")
CATEGORY_COLUMNS = _columns(("范围", "问题类别", *TREND_HEADERS), TREND_FORMATS)
TERM_COLUMNS = _columns(("范围", "热词", *TREND_HEADERS), TREND_FORMATS)
REPEAT_COLUMNS = _columns(
    ("企业", "本月问题", "反映日期", "在先问题", "在先办结日期", "相隔天数", "类别"),
    (None, None, DATE, None, DATE, INT, None),
)
SLOW_COLUMNS = _columns(("问题类别", "本月办结", "办结工作日合计", "平均办结工作日"), (None, INT, INT, AVG))
REDO_COLUMNS = _columns(("部门", "重办次数", "本月办结", "重办率"), (None, INT, INT, PCT))
ANSWER_COLUMNS = _columns(("项目", "件数", "占本月提出"), (None, INT, PCT))

# The tables, in the sheet's order, named after its blocks.
CATEGORIES, TERMS = f"{SHEET}·问题类别排行", f"{SHEET}·高频词"
REPEATS, SLOWEST = f"{SHEET}·重复问题", f"{SHEET}·办结最慢的问题类别"
REDOS, ANSWERS = f"{SHEET}·各部门重办率", f"{SHEET}·案例库解答"


def scope_label(g: Group) -> str:
    """The group as the sheet's 范围 column shows it: 全部园区, 园区：甲园区, 产业链：装备制造."""
    return g.name if g.kind == "all" else f"{GROUP_LABELS[g.kind]}：{g.name}"


def _trend_rows(groups: list[Group]) -> list[tuple[str, Any]]:
    return [(scope_label(g), t) for g in groups for t in g.rows]


def _trend_values(row: tuple[str, Any]) -> list[Any]:
    scope, t = row
    return [scope, t.label, t.count, t.previous, t.change, trend_pct(t)]


def _fraction(key: str, part: int, whole: int) -> Optional[float]:
    return KPIS[key].fraction(part, whole)


def _answer_rows(data: Hotspots) -> list[tuple[str, list[Any]]]:
    """(row key, the sheet's row) of 六、案例库解答: the four counts, then each answered problem."""
    a = data.answered

    def rate(n: int) -> Optional[float]:
        return _fraction("case_answer_rate", n, a.raised)

    rows: list[tuple[str, list[Any]]] = [
        ("本月提出的问题", ["本月提出的问题", a.raised, None]),
        ("引用典型案例答复", ["引用典型案例答复", len(a.from_case), rate(len(a.from_case))]),
        ("引用以往问题答复", ["引用以往问题答复", len(a.from_problem), rate(len(a.from_problem))]),
        ("案例库解答合计", ["案例库解答合计", a.answered, rate(a.answered)]),
    ]
    for label, from_case in SOURCE_LABELS:
        for f in a.from_case if from_case else a.from_problem:
            cited = [f"引用{label}", f"{f.title}（#{f.problem_id}）", f"所引用问题 #{f.answered_from_id}"]
            rows.append((f"引用{label} 问题{f.problem_id}", cited))
    return rows


def hotspot_blocks(source: Source, scope_name: str) -> dict[str, Block]:
    """The 热点分析 sheet's tables for the 变更对照, from the report's source (its snapshot once closed)."""
    data = hotspots_from_source(source, scope_name)
    slowest = [*data.slowest, data.slowest_total]
    departments = [*data.departments, data.departments_total]
    return {
        CATEGORIES: (
            _trend_rows(data.categories),
            CATEGORY_COLUMNS,
            _trend_values,
            lambda r: f"{r[0]} {r[1].label}",
        ),
        TERMS: (_trend_rows(data.terms), TERM_COLUMNS, _trend_values, lambda r: f"{r[0]} {r[1].label}"),
        REPEATS: (
            data.repeats,
            REPEAT_COLUMNS,
            lambda r: [
                r.firm_name,
                f"{r.title}（#{r.problem_id}）",
                r.raised_on,
                f"{r.earlier_title}（#{r.earlier_id}）",
                r.earlier_done_on,
                r.days,
                category_label(r.category),
            ],
            lambda r: f"问题{r.problem_id}",
        ),
        SLOWEST: (
            slowest,
            SLOW_COLUMNS,
            lambda s: [s.label, s.resolved, s.workdays, s.average],
            lambda s: s.label,
        ),
        REDOS: (
            departments,
            REDO_COLUMNS,
            lambda d: [d.name, d.redos, d.resolved, _fraction("redo_rate", d.redos, d.resolved)],
            lambda d: d.name,
        ),
        ANSWERS: (_answer_rows(data), ANSWER_COLUMNS, lambda r: r[1], lambda r: r[0]),
    }
