"""热点分析 of a month as facts: the problems raised in it (with their words and case answers), those resolved
in it with their working days, and its repeat problems (crm.services.knowledge.hotspot_figures) — plain
values a month close keeps (crm.reporting.monthly.snapshot), so a closed month's 热点分析 never moves. Its
重办 are the month's evaluation events (the "events" kind, kept already).

The raised problems and repeats are gathered with crm.services.knowledge.hotspots in one query, narrowed to
the firms that may be in the report's park at month end, each fact tagged with its firm's park, chain and
name as they were then; the query also reads the month before's raised problems, which that month's own
collector (the 上月 column) then takes instead of asking again (unless that month is closed: its close
has them). Resolved problems are the month-end
problem states (the "problems" kind) when a close or a workbook has them: 平均办结工作日 counted exactly
as the 汇总 sheet counts it.
"""

import copy

from crm.reporting.monthly.activity import collect_problems
from crm.reporting.monthly.period import Period
from crm.reporting.monthly.registry import LiveMonth
from crm.services.closing.store import latest_closes
from crm.services.knowledge.hotspot_figures import RaisedFact, RepeatFact, ResolvedFact
from crm.services.knowledge.hotspots import Gathered, gather_month, gather_resolved
from crm.services.workdays.calendar import get_calendar


def _placed(ctx: LiveMonth, facts: list) -> list:
    """The facts of firms in the month's scope, with each firm's park (and chain, name) at month end."""
    out = []
    for fact in facts:
        firm = ctx.registry.get(fact.firm_id)
        if firm is None or not ctx.in_scope(fact.firm_id):
            continue
        fact.park_id = firm.park_id
        if isinstance(fact, RaisedFact):
            fact.chain_id = firm.chain_id
        if isinstance(fact, RepeatFact):
            fact.firm_name = firm.name
        out.append(fact)
    return out


def _prefetched_key(ctx: LiveMonth) -> str:
    return f"hotspot_raised:{ctx.period.month}:{ctx.park_id}"


def _closed(period: Period) -> bool:
    """Whether the month's facts come from its close (as crm.reporting.monthly.snapshot.source_for)."""
    close = latest_closes([period.month]).get(period.month)
    return close is not None and close.is_closed and not period.is_running


def _gathered(ctx: LiveMonth) -> Gathered:
    if "hotspots" not in ctx._cache:
        previous = LiveMonth(ctx.period.previous(), ctx.park_id)
        if _closed(previous.period):  # its raised problems come from its close: gather this month's only
            gathered = gather_month(ctx.period.start, ctx.period.end, ctx.candidates())
        else:
            # The month before's candidate firms include this month's (its changed-after list is longer).
            gathered = gather_month(
                ctx.period.start, ctx.period.end, previous.candidates(), since=previous.period.start
            )
            ctx.shared[_prefetched_key(previous)] = [copy.copy(f) for f in gathered.previous]  # placed there
        ctx._cache["hotspots"] = Gathered(_placed(ctx, gathered.raised), [], _placed(ctx, gathered.repeats))
    return ctx._cache["hotspots"]


def collect_hotspot_raised(ctx: LiveMonth) -> list[RaisedFact]:
    prefetched = ctx.shared.pop(_prefetched_key(ctx), None)
    if prefetched is not None and "hotspots" not in ctx._cache:
        return _placed(ctx, prefetched)
    return _gathered(ctx).raised


def collect_hotspot_repeats(ctx: LiveMonth) -> list[RepeatFact]:
    return _gathered(ctx).repeats


def collect_hotspot_resolved(ctx: LiveMonth) -> list[ResolvedFact]:
    """The month's resolved problems with a final limit and their working days. Where the month-end
    problem states are at hand (a month close, the workbook) they are read from them, as 汇总 counts
    平均办结工作日; else (the 热点分析 page) from the problems as they are now (one query, no replay)."""
    period = ctx.period
    if "problems" not in ctx._cache:
        cal = ctx.once("cal", get_calendar)
        return _placed(ctx, gather_resolved(period.start, period.end, ctx.candidates(), cal))
    return [
        ResolvedFact(s.park_id, s.id, s.enterprise_id, s.category, s.department_id, s.workdays or 0)
        for s in collect_problems(ctx)
        if s.resolved_on is not None and period.start <= s.resolved_on <= period.end and s.due_on is not None
    ]
