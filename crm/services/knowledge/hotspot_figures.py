"""热点分析's figures from a month's facts (crm.services.knowledge.hotspots): the six blocks the page and
the workbook's 热点分析 sheet show, the definitions printed under them, and nothing that reads the database
— so a closed month's frozen facts and an open month's live ones give figures the same way."""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

from crm.models.problem import PROBLEM_CATEGORIES
from crm.services.kpi import KPIS

REPEAT_DAYS = 90  # a problem of the same category closed this many days before the new one: a repeat
TOP_TERMS = 20  # the month's most frequent words in the whole scope
TOP_GROUP_TERMS = 10  # … and per park or chain
NEW = "新增"
NO_CHAIN = "未分产业链"
NO_DEPARTMENT = "（无承办部门）"

# The definitions, printed on the page and under the sheet's blocks.
DEFINITIONS = {
    "categories": "问题数：本月提出（反映日期在本月）的问题，按问题类别统计；上月同口径。环比 = 本月 − 上月；"
    "环比% = (本月 − 上月) ÷ 上月 × 100%，上月为0时记“新增”。园区、产业链为月末所在园区、产业链。",
    "terms": "热词：本月提出的问题标题和描述经统一分词（去除停用词）后，按出现该词的问题数（文档频次，"
    "同一问题多次出现只计一次）排序；上月同口径。",
    "repeats": f"重复问题：企业本月提出的问题，在提出前{REPEAT_DAYS}日内（含第{REPEAT_DAYS}日）"
    "该企业有同一类别的问题已办结或已销号（以办结日期为准，未办结的以销号日期为准）。以“同一类别”认定为同一类问题；"
    "同一问题有多件在先问题时列最近的一件。",
    "slowest": f"{KPIS['avg_resolution_workdays'].formula}。{KPIS['avg_resolution_workdays'].note}",
    "redo": f"{KPIS['redo_rate'].formula}。{KPIS['redo_rate'].note}",
    "answered": f"{KPIS['case_answer_rate'].formula}。{KPIS['case_answer_rate'].note}",
}


@dataclass(slots=True)
class RaisedFact:
    """A problem raised in the month: its firm's park and chain (at month end), category, words and whether
    it was answered on the spot from an earlier case."""

    park_id: int
    problem_id: int
    firm_id: int
    chain_id: Optional[int]
    category: str
    title: str
    terms: list[str]  # the distinct words of title and description (crm.services.knowledge.text)
    answered_from_id: Optional[int] = None
    from_case: bool = False  # answered_from is a published 典型案例's problem


@dataclass(slots=True)
class ResolvedFact:
    """A problem resolved in the month with a final limit (平均办结工作日's counting): working days used."""

    park_id: int
    problem_id: int
    firm_id: int
    category: str
    department_id: Optional[int]
    workdays: int


@dataclass(slots=True)
class RedoFact:
    """An evaluation 不满意 in the month (the problem goes back to its department: 重办)."""

    park_id: int
    problem_id: int
    department_id: Optional[int]


@dataclass(slots=True)
class RepeatFact:
    """A problem raised in the month by a firm whose problem of the same category was resolved or closed
    within REPEAT_DAYS before."""

    park_id: int
    firm_id: int
    firm_name: str
    category: str
    problem_id: int
    title: str
    raised_on: date
    earlier_id: int
    earlier_title: str
    earlier_done_on: date
    days: int


def change_percent(count: int, previous: int) -> Optional[float]:
    """(count − previous) ÷ previous × 100, rounded half up to one decimal; None when previous is 0."""
    if not previous:
        return None
    quotient = (Decimal(count - previous) * 100 / Decimal(previous)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    return float(quotient)


@dataclass(frozen=True)
class Trend:
    """A count of the month next to last month's."""

    key: str  # a category code or a word
    label: str
    count: int
    previous: int

    @property
    def change(self) -> int:
        return self.count - self.previous

    @property
    def change_pct(self) -> Optional[float]:
        return change_percent(self.count, self.previous)

    @property
    def change_label(self) -> str:
        """ "+50.0%", "-100.0%", or 新增 when last month had none."""
        pct = self.change_pct
        if pct is None:
            return NEW if self.count else "—"
        return f"{pct:+.1f}%"


@dataclass
class Group:
    """One part of the scope (the whole scope, a park or an industry chain) and its trends, largest first."""

    kind: str  # "all", "park" or "chain"
    id: Optional[int]  # the park's or chain's id (None: the whole scope, or firms without a chain)
    name: str
    total: int
    previous_total: int
    rows: list[Trend]


@dataclass(frozen=True)
class SlowCategory:
    category: str
    label: str
    resolved: int
    workdays: int

    @property
    def average(self) -> Optional[float]:
        return KPIS["avg_resolution_workdays"].value(self.workdays, self.resolved)


@dataclass(frozen=True)
class DepartmentRedo:
    department_id: Optional[int]
    name: str
    redos: int
    resolved: int

    @property
    def rate(self) -> Optional[float]:
        return KPIS["redo_rate"].value(self.redos, self.resolved)


@dataclass
class Answered:
    """本月提出的问题中当场引用以往案例答复的: from a published 典型案例, or from another past problem."""

    raised: int = 0
    from_case: list[RaisedFact] = field(default_factory=list)
    from_problem: list[RaisedFact] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return len(self.from_case) + len(self.from_problem)

    @property
    def rate(self) -> Optional[float]:
        return KPIS["case_answer_rate"].value(self.answered, self.raised)


@dataclass
class Hotspots:
    """The month's 热点分析 for one park or the city."""

    start: date
    end: date
    park_id: Optional[int]
    raised: int
    previous_raised: int
    categories: list[Group]  # the scope, then each park (city-wide), then each chain
    terms: list[Group]
    repeats: list[RepeatFact]
    slowest: list[SlowCategory]
    slowest_total: SlowCategory
    departments: list[DepartmentRedo]
    departments_total: DepartmentRedo
    answered: Answered


def category_label(code: str) -> str:
    return PROBLEM_CATEGORIES.get(code, code)


def _category_group(kind, gid, name, now: list[RaisedFact], before: list[RaisedFact]) -> Group:
    counts = Counter(f.category for f in now)
    previous = Counter(f.category for f in before)
    keys = sorted(counts.keys() | previous.keys(), key=lambda c: (-counts[c], -previous[c], c))
    rows = [Trend(c, category_label(c), counts[c], previous[c]) for c in keys]
    return Group(kind, gid, name, len(now), len(before), rows)


def _term_group(kind, gid, name, now: list[RaisedFact], before: list[RaisedFact], top: int) -> Group:
    counts = Counter(t for f in now for t in set(f.terms))
    previous = Counter(t for f in before for t in set(f.terms))
    best = sorted(counts, key=lambda t: (-counts[t], t))[:top]
    rows = [Trend(t, t, counts[t], previous[t]) for t in best]
    return Group(kind, gid, name, len(now), len(before), rows)


def _split(facts: Iterable[RaisedFact], key) -> dict[Optional[int], list[RaisedFact]]:
    out: dict[Optional[int], list[RaisedFact]] = defaultdict(list)
    for f in facts:
        out[key(f)].append(f)
    return out


def _groups(build, now, before, park_id, parks, chains, scope_name, **kw) -> list[Group]:
    """The scope's group, each park's (city-wide only) and each chain's, in the names' order."""
    out = [build("all", None, scope_name, now, before, **kw)]
    for kind, names, key in (("park", parks, lambda f: f.park_id), ("chain", chains, lambda f: f.chain_id)):
        if kind == "park" and park_id is not None:
            continue
        by_now, by_before = _split(now, key), _split(before, key)
        order = [i for i in names if i in by_now or i in by_before]
        if kind == "chain" and (None in by_now or None in by_before):
            order.append(None)
        for gid in order:
            name = names.get(gid, NO_CHAIN) if gid is not None else NO_CHAIN
            out.append(build(kind, gid, name, by_now.get(gid, []), by_before.get(gid, []), **kw))
    return out


def assemble_hotspots(
    start: date,
    end: date,
    park_id: Optional[int],
    raised: list[RaisedFact],
    previous: list[RaisedFact],
    resolved: list[ResolvedFact],
    redos: list[RedoFact],
    repeats: list[RepeatFact],
    names: dict[str, dict[int, str]],
    scope_name: str = "全部园区",
) -> Hotspots:
    """The six blocks from the month's facts (already narrowed to the scope) and last month's raised ones.
    names: {"parks" | "chains" | "departments": {id: name}} in display order."""
    parks, chains, depts = names.get("parks", {}), names.get("chains", {}), names.get("departments", {})
    categories = _groups(_category_group, raised, previous, park_id, parks, chains, scope_name)
    terms = _groups(_term_group, raised, previous, park_id, parks, chains, scope_name, top=TOP_GROUP_TERMS)
    terms[0] = _term_group("all", None, scope_name, raised, previous, TOP_TERMS)
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in resolved:
        by_category[r.category][0] += 1
        by_category[r.category][1] += r.workdays
    slowest = [SlowCategory(c, category_label(c), n, days) for c, (n, days) in by_category.items()]
    slowest.sort(key=lambda s: (-(s.average or 0), -s.resolved, s.category))
    slow_total = SlowCategory("", "合计", len(resolved), sum(r.workdays for r in resolved))
    redo_counts = Counter(r.department_id for r in redos)
    done_counts = Counter(r.department_id for r in resolved)
    dept_ids: list[Optional[int]] = [d for d in depts if d in redo_counts or d in done_counts]
    dept_ids += sorted((d for d in redo_counts.keys() | done_counts.keys() if d not in depts), key=str)
    departments = [
        DepartmentRedo(
            d, depts.get(d, NO_DEPARTMENT) if d is not None else NO_DEPARTMENT, redo_counts[d], done_counts[d]
        )
        for d in dept_ids
    ]
    departments.sort(key=lambda d: (-(d.rate if d.rate is not None else -1), -d.redos, d.name))
    answered = Answered(raised=len(raised))
    for f in raised:
        if f.answered_from_id is not None:
            (answered.from_case if f.from_case else answered.from_problem).append(f)
    return Hotspots(
        start=start,
        end=end,
        park_id=park_id,
        raised=len(raised),
        previous_raised=len(previous),
        categories=categories,
        terms=terms,
        repeats=sorted(repeats, key=lambda r: (r.raised_on, r.problem_id)),
        slowest=slowest,
        slowest_total=slow_total,
        departments=departments,
        departments_total=DepartmentRedo(None, "合计", len(redos), len(resolved)),
        answered=answered,
    )
