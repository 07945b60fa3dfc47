"""月结: closing a month — freezing, city-wide and in one transaction, every fact its figures are built
from (crm.reporting.monthly.snapshot) — by the scheduler on the Nth working day of the next month, or by
an admin (结账); and making the official workbooks of the closed version, once, for every park and all
parks (crm.reporting.monthly.generate).

Collecting runs each kind's live collector once for the whole city (a fixed number of queries) and
writes all rows with one bulk INSERT; the month's and the month before's 汇总 figures are added per park
and for the city, so a closed month's 上月 column and the dashboards' month totals are frozen too.
"""

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Optional

from crm.models import MonthClose, User
from crm.reporting.monthly.build import summarise
from crm.reporting.monthly.generate import generate_closed_reports
from crm.reporting.monthly.period import Period
from crm.reporting.monthly.snapshot import (
    KINDS,
    WITH_PREVIOUS,
    LiveSource,
    ParkView,
    Source,
    SummaryFact,
    encode_row,
    previous_rows,
    source_for,
)
from crm.services import ServiceError
from crm.services.closing.store import (
    begin_close,
    due_month,
    latest_closes,
    month_label,
    months_to_close,
    previous_month,
    write_snapshot_rows,
)
from crm.services.workdays.calendar import get_calendar
from crm.timeutil import utcnow

log = logging.getLogger(__name__)
Row = tuple[str, Optional[int], dict[str, Any]]


def _summaries(kind: str, source: Source, park_ids: list[int]) -> list[Row]:
    """The 汇总 figures of a source's month per park and for the city (park None)."""
    rows: list[Row] = []
    for park_id in [*park_ids, None]:
        view: Source = source if park_id is None else ParkView(source, park_id)
        summary = summarise(view)
        fact = SummaryFact(park_id, summary.visits, summary.problems, summary.evidence)
        rows.append((kind, None, encode_row(kind, fact)))
    return rows


def snapshot_rows(period: Period) -> list[Row]:
    """Every fact of the month, city-wide, as (kind, park, data) in the order the kinds list them."""
    live = LiveSource(period)
    rows: list[Row] = []
    for kind, spec in KINDS.items():
        if spec.collect is None:
            continue
        for row in live.rows(kind):
            rows.append((kind, row.park_id if spec.scoped else None, encode_row(kind, row)))
    park_ids = [p.id for p in live.rows("parks")]
    rows += _summaries("summary", live, park_ids)
    rows += _summaries("previous", source_for(period.previous()), park_ids)
    for kind in WITH_PREVIOUS:
        for row in previous_rows(live, kind):
            rows.append(
                (f"previous_{kind}", row.park_id if KINDS[kind].scoped else None, encode_row(kind, row))
            )
    return rows


@dataclass(frozen=True)
class Closed:
    close: MonthClose
    created: bool  # False: it was closed already, nothing written
    rows: int = 0
    seconds: float = 0.0


def close_month(month: str, actor: Optional[User], today: date, now: Optional[datetime] = None) -> Closed:
    """Close the month as its next version (actor None: the scheduler): record the close and write its
    snapshot in the caller's transaction. A month already closed is left as it is (created False)."""
    period = Period.parse(month, today)
    if period.is_running or today <= period.month_end:
        raise ServiceError(f"{period.label}尚未结束，不能结账")
    started = time.perf_counter()
    result = begin_close(period.month, actor, now or utcnow())
    if not result.created:
        return Closed(result.close, False)
    rows = write_snapshot_rows(result.close, snapshot_rows(period))
    seconds = time.perf_counter() - started
    log.info("month %s closed as version %s: %s rows in %.1f s", month, result.close.version, rows, seconds)
    return Closed(result.close, True, rows, seconds)


def close_and_publish(
    month: str, actor: Optional[User], today: date, now: Optional[datetime] = None
) -> tuple[Closed, dict[str, int]]:
    """结账 by an admin (or the scheduler): close the month, then make and announce its official workbooks."""
    now = now or utcnow()
    closed = close_month(month, actor, today, now)
    if not closed.created:
        close = closed.close
        raise ServiceError(f"{month_label(close.month)}已月结（第{close.version}版），无需再次结账")
    return closed, generate_closed_reports(closed.close, today, now)


def close_due_months(today: date, now: Optional[datetime] = None) -> dict[str, int]:
    """The scheduler's 月结: close every month due by today (the last month from its close day on, any
    month an admin reopened, any month a stopped scheduler missed), then make each closed month's
    official workbooks if they are not there yet (so a run after a crash completes the work)."""
    now = now or utcnow()
    cal = get_calendar()
    counts = {"closed": 0, "rows": 0, "reports": 0, "users": 0}
    months = months_to_close(today, cal)
    for month in months:
        closed = close_month(month, None, today, now)
        counts["closed"] += closed.created
        counts["rows"] += closed.rows
    for _month, close in sorted(latest_closes([*months, due_month(today, cal)]).items()):
        if not close.is_closed:
            continue
        made = generate_closed_reports(close, today, now)
        counts["reports"] += made["reports"]
        counts["users"] += made["users"]
    return {key: value for key, value in counts.items() if value or key == "reports"}


def close_recent_months(today: date, count: int, now: Optional[datetime] = None) -> list[Closed]:
    """Close the `count` months up to the one due by today, oldest first (each later month's 上月 then
    comes from its closed predecessor), with their official workbooks: a new installation's (or the demo's)
    history. Months already closed are left as they are."""
    now = now or utcnow()
    months = [due_month(today, get_calendar())]
    while len(months) < count:
        months.insert(0, previous_month(months[0]))
    done = []
    for month in months:
        closed = close_month(month, None, today, now)
        if closed.created:
            generate_closed_reports(closed.close, today, now)
        done.append(closed)
    return done
