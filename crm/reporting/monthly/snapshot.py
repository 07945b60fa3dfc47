"""Where a month's facts come from: the month close's snapshot when the month is closed, else the live
tables replayed to month end. The monthly workbook, the 四张清单变化 sheet and the dashboards read a
month only through here (rows_for / source_for), so a closed month never moves.

KINDS lists every kind of fact: its dataclass (crm.reporting.monthly.facts and friends), the live
collector that gathers it for a month (city-wide, or one park's), whether it belongs to a park (stored
with the firm's park at month end, read per park) and the fields that are working state, not facts
(never stored). Closing a month (crm.reporting.monthly.close) runs every collector once for the whole
city and writes the rows; two kinds are derived at close instead of collected: the 汇总 figures of the
month and of the month before it, per park and for the city (so the 上月 column of a closed month is
frozen too, and dashboards read a closed month's totals in one query).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Optional, Protocol

from crm.models import MonthClose
from crm.reporting.monthly import activity, evidence, hotspot_facts, policy_facts, registry, voice_facts
from crm.reporting.monthly.evidence import EvidenceFact, EvidenceFigures
from crm.reporting.monthly.facts import (
    CalendarFact,
    DispatchFact,
    EventFact,
    FirmFact,
    NameFact,
    PersonFact,
    SalesFact,
    SupervisionRow,
    VisitFact,
)
from crm.reporting.monthly.lists import FirmListFacts
from crm.reporting.monthly.period import Period, ReportScope
from crm.reporting.monthly.policy_facts import PolicyFact, PolicyFigureFact, PolicyTimelinessFact
from crm.reporting.monthly.problems import ProblemFigures
from crm.reporting.monthly.registry import LiveMonth
from crm.reporting.monthly.state import ProblemState
from crm.reporting.monthly.visits import VisitFigures
from crm.reporting.monthly.voice_facts import CallbackDrawFact, CallbackFact, WithdrawalFact
from crm.services.closing.codec import decode_all, encode
from crm.services.closing.store import close_day, close_workday, latest_closes, read_snapshot_texts
from crm.services.knowledge.hotspot_figures import RaisedFact, RepeatFact, ResolvedFact
from crm.services.portal.figures import VoiceEvent
from crm.services.workdays.calendar import get_calendar
from crm.timeutil import to_local, today


@dataclass(slots=True)
class SummaryFact:
    """The 汇总 figures of a month for one park (park_id) or the whole city (park_id None)."""

    park_id: Optional[int]
    visits: VisitFigures
    problems: ProblemFigures
    evidence: Optional[EvidenceFigures] = None  # None in a month closed before evidence was counted


@dataclass(frozen=True)
class Kind:
    row: type
    collect: Optional[Callable[[LiveMonth], list]]  # None: derived when the month is closed
    scoped: bool = True  # a park's fact (filtered by the report's park); else city-wide reference data
    working: tuple[str, ...] = ()  # working fields of the row: not facts, never stored


KINDS: dict[str, Kind] = {
    "firms": Kind(FirmFact, registry.collect_firms),
    "visits": Kind(VisitFact, activity.collect_visits),
    "problems": Kind(ProblemState, activity.collect_problems, working=("rules", "round_rules", "due_start")),
    "events": Kind(EventFact, activity.collect_events),
    "dispatches": Kind(DispatchFact, activity.collect_dispatches),
    "supervision": Kind(SupervisionRow, activity.collect_supervision),
    "sales": Kind(SalesFact, registry.collect_sales),
    "lists": Kind(FirmListFacts, activity.collect_lists),
    "evidence": Kind(EvidenceFact, evidence.collect_evidence),
    "voice": Kind(VoiceEvent, voice_facts.collect_voice),
    "withdrawals": Kind(WithdrawalFact, voice_facts.collect_withdrawals),
    "callback_draws": Kind(CallbackDrawFact, voice_facts.collect_callback_draws),
    "callbacks": Kind(CallbackFact, voice_facts.collect_callbacks),
    "policies": Kind(PolicyFact, policy_facts.collect_policies, scoped=False),
    "policy_figures": Kind(PolicyFigureFact, policy_facts.collect_policy_figures),
    "policy_timeliness": Kind(PolicyTimelinessFact, policy_facts.collect_policy_timeliness),
    "hotspot_raised": Kind(RaisedFact, hotspot_facts.collect_hotspot_raised),
    "hotspot_resolved": Kind(ResolvedFact, hotspot_facts.collect_hotspot_resolved),
    "hotspot_repeats": Kind(RepeatFact, hotspot_facts.collect_hotspot_repeats),
    "people": Kind(PersonFact, registry.collect_people, scoped=False),
    "parks": Kind(NameFact, registry.collect_parks, scoped=False),
    "chains": Kind(NameFact, registry.collect_chains, scoped=False),
    "departments": Kind(NameFact, registry.collect_departments, scoped=False),
    "calendar": Kind(CalendarFact, activity.collect_calendar, scoped=False),
    "summary": Kind(SummaryFact, None, scoped=False),
    "previous": Kind(SummaryFact, None, scoped=False),
}
# Kinds whose previous month a closed month also keeps, as "previous_<kind>" (month-on-month sheets).
WITH_PREVIOUS = ("lists", "hotspot_raised")
for _kind in WITH_PREVIOUS:
    KINDS[f"previous_{_kind}"] = Kind(KINDS[_kind].row, None, scoped=KINDS[_kind].scoped)


def encode_row(kind: str, row: Any) -> dict[str, Any]:
    data = encode(row)
    for name in KINDS[kind].working:
        data.pop(name, None)
    return data


@dataclass(frozen=True)
class Edition:
    """初稿 or 正式版 (version N, closed when and by whom), as the workbook and the 报表 page show it."""

    month: str
    version: Optional[int] = None  # None: 初稿 (not closed)
    closed_at: Optional[datetime] = None
    closed_by: Optional[str] = None  # None with a version: the scheduler
    close_on: Optional[date] = None  # a draft: the day the month is due to close
    reopened_version: Optional[int] = None  # a draft after 重新结账 of this version
    overdue: bool = False  # a draft whose close day has passed (never closed)

    @property
    def is_final(self) -> bool:
        return self.version is not None

    @property
    def label(self) -> str:
        if self.version is None:
            return "初稿"
        return "正式版" if self.version == 1 else f"正式版（第{self.version}版）"

    @property
    def note(self) -> str:
        """The line under the workbook's title."""
        if self.version is not None:
            who = self.closed_by or "系统自动"
            return f"正式版：已于{_day(self.closed_at)}月结（第{self.version}版，{who}），数据不再变动。"
        if self.reopened_version is not None:
            return (
                f"初稿：第{self.reopened_version}版已重新结账，数据可能变动；再次月结后生成第"
                f"{self.reopened_version + 1}版。"
            )
        if self.close_on is not None and self.overdue:
            return f"初稿：该月尚未月结（结账日{_chinese_day(self.close_on)}已过），数据可能变动。"
        if self.close_on is not None:
            return f"初稿，将于{_chinese_day(self.close_on)}月结后定稿，此前数据可能变动。"
        return "初稿，尚未月结，数据可能变动。"


def _chinese_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _day(at: Optional[datetime]) -> str:
    return _chinese_day(to_local(at).date()) if at is not None else ""


class Source(Protocol):
    period: Period
    park_id: Optional[int]
    edition: Edition

    def rows(self, kind: str) -> list: ...


class LiveSource:
    """A month's facts from the live tables, replayed to month end (collected once per kind)."""

    def __init__(
        self,
        period: Period,
        park_id: Optional[int] = None,
        edition: Optional[Edition] = None,
        shared: Optional[dict[str, Any]] = None,
    ):
        self.period, self.park_id = period, park_id
        self.month = LiveMonth(period, park_id, shared)
        self.edition = edition or Edition(period.month)
        self._rows: dict[str, list] = {}
        self._previous: Optional[Source] = None

    def rows(self, kind: str) -> list:
        if kind not in self._rows:
            collect = KINDS[kind].collect
            self._rows[kind] = collect(self.month) if collect is not None else []
        return self._rows[kind]

    def previous(self) -> Source:
        """The month before's source (its snapshot if closed), made once and sharing the calendar."""
        if self._previous is None:
            self._previous = source_for(self.period.previous(), self.park_id, self.month.shared, eager=False)
        return self._previous


class SnapshotSource:
    """A closed month's facts as its close froze them, each kind decoded in one pass when first asked.

    eager: every kind read in one query up front (the month's own report reads them all); else each kind
    read when first asked (a month before, of which a report needs two or three kinds of twenty)."""

    def __init__(self, period: Period, close: MonthClose, park_id: Optional[int] = None, eager: bool = True):
        self.period, self.park_id, self.close = period, park_id, close
        by = close.closed_by.name if close.closed_by is not None else None
        self.edition = Edition(period.month, close.version, close.closed_at, by)
        self._texts = read_snapshot_texts(close.id, park_id) if eager else None
        self._rows: dict[str, list] = {}

    def rows(self, kind: str) -> list:
        if kind not in self._rows:
            spec = KINDS[kind]
            if self._texts is None:
                texts = read_snapshot_texts(self.close.id, self.park_id, kind).get(kind, [])
            else:
                texts = self._texts.pop(kind, [])  # decoded next: the text is no longer needed
            self._rows[kind] = decode_all(spec.row, texts, spec.working)
        return self._rows[kind]


class ParkView:
    """One park's part of a city-wide source (for the per-park figures written at a close)."""

    def __init__(self, source: Source, park_id: int):
        self.period: Period = source.period
        self.park_id: Optional[int] = park_id
        self.edition: Edition = source.edition
        self._source = source

    def rows(self, kind: str) -> list:
        rows = self._source.rows(kind)
        return [r for r in rows if r.park_id == self.park_id] if KINDS[kind].scoped else rows


def _edition(period: Period, close: Optional[MonthClose], shared: dict[str, Any]) -> Edition:
    if close is not None and not close.is_closed:
        return Edition(period.month, reopened_version=close.version)
    if "cal" not in shared:
        shared["cal"] = get_calendar()
    if "close_workday" not in shared:
        shared["close_workday"] = close_workday()
    on = close_day(period.month, shared["cal"], shared["close_workday"])
    return Edition(period.month, close_on=on, overdue=on <= today())


def source_for(
    period: Period,
    park_id: Optional[int] = None,
    shared: Optional[dict[str, Any]] = None,
    eager: bool = True,
) -> Source:
    """The month's facts: its snapshot if the month is closed, else live (each kind read when first asked).
    shared: what a report's months share (the calendar, the rule versions), filled on first use; eager:
    a snapshot's kinds all read at once (see SnapshotSource)."""
    shared = shared if shared is not None else {}
    close = latest_closes([period.month]).get(period.month)
    if close is not None and close.is_closed and not period.is_running:
        return SnapshotSource(period, close, park_id, eager)
    return LiveSource(period, park_id, _edition(period, close, shared), shared)


def rows_for(period: Period, kind: str, scope: ReportScope) -> list:
    """The facts of one kind for the scope's park (or the city) as of the period's end."""
    return source_for(period, scope.park_id).rows(kind)


def previous_rows(source: Source, kind: str) -> list:
    """The facts of one kind of the month before source's: a closed month's own frozen copy (so its
    month-on-month figures never move), else that month's own source."""
    if isinstance(source, SnapshotSource) and kind in WITH_PREVIOUS:
        return source.rows(f"previous_{kind}")
    if isinstance(source, LiveSource):
        return source.previous().rows(kind)
    return source_for(source.period.previous(), source.park_id, eager=False).rows(kind)
