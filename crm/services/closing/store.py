"""Month closes: their versions and state, when a month is due to close, reopening (重新结账), and the
snapshot rows written and read in bulk.

A month's state is its latest MonthClose: none (never closed: 初稿), closed (version N is the official
one) or reopened (初稿 again until it is closed as version N + 1). Months close on the Nth working day
of the next month (Setting "month_close", default the 3rd), by the scheduler or by an admin.
"""

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Optional

from sqlalchemy import Text, cast, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from crm.extensions import db
from crm.models import MonthClose, MonthSnapshotRow, Setting, User
from crm.permissions import can
from crm.services import ServiceError
from crm.services.common.audit import record_audit
from crm.services.common.validators import clean_multiline
from crm.services.workdays.calendar import WorkCalendar, get_calendar
from crm.timeutil import utcnow

SETTING_KEY = "month_close"
DEFAULT_WORKDAY = 3
WORKDAY_RANGE = (1, 10)
REASON_MAX = 500


MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def checked_month(text: Any) -> str:
    """A month as YYYY-MM, or the Chinese refusal."""
    value = str(text or "").strip()
    if not MONTH_RE.match(value):
        raise ServiceError("月份格式应为 YYYY-MM，例如 2026-10")
    return value


def month_label(month: str) -> str:
    """ "2026-11" -> "2026年11月"."""
    year, number = month.split("-")
    return f"{year}年{int(number)}月"


def month_of(day: date) -> str:
    return f"{day:%Y-%m}"


def month_end_of(month: str) -> date:
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, calendar.monthrange(year, number)[1])


def next_month(month: str) -> str:
    return month_of(month_end_of(month) + timedelta(days=1))


def previous_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return month_of(date(year, number, 1) - timedelta(days=1))


# ---- the close day (结账日)


def close_workday() -> int:
    """N: months close on the Nth working day of the next month."""
    row = db.session.get(Setting, SETTING_KEY)
    value = (row.value or {}).get("workday") if row else None
    return (
        int(value)
        if isinstance(value, int) and WORKDAY_RANGE[0] <= value <= WORKDAY_RANGE[1]
        else DEFAULT_WORKDAY
    )


def close_day(month: str, cal: Optional[WorkCalendar] = None, workday: Optional[int] = None) -> date:
    """The day month closes: the Nth working day of the next month (official calendar with 调休)."""
    cal = cal or get_calendar()
    return cal.add_workdays(month_end_of(month), workday or close_workday())


def update_close_workday(actor: User, value: Any) -> int:
    """Set N (admins; audited). Nothing changes on a bad value."""
    if not can(actor, "month.close"):
        raise ServiceError("没有修改月结设置的权限")
    low, high = WORKDAY_RANGE
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ServiceError("结账日应为整数（次月第几个工作日）") from None
    if not low <= number <= high:
        raise ServiceError(f"结账日应为次月第{low}到第{high}个工作日")
    old = close_workday()
    if number != old:
        row = db.session.get(Setting, SETTING_KEY)
        if row is None:
            db.session.add(Setting(key=SETTING_KEY, value={"workday": number}, updated_by_id=actor.id))
        else:
            row.value, row.updated_by_id = {**(row.value or {}), "workday": number}, actor.id
        record_audit(
            actor,
            "setting",
            0,
            "update",
            f"修改月结日：次月第{old}个工作日 → 第{number}个工作日",
            {"month_close_workday": (old, number)},
        )
        db.session.flush()
    return number


# ---- state of months


def latest_closes(months: Iterable[str]) -> dict[str, MonthClose]:
    """The latest close (any state) of each month that has one (one query)."""
    wanted = sorted(set(months))
    if not wanted:
        return {}
    latest = (
        select(MonthClose.month, func.max(MonthClose.version).label("version"))
        .where(MonthClose.month.in_(wanted))
        .group_by(MonthClose.month)
        .subquery()
    )
    rows = db.session.scalars(
        select(MonthClose).join(
            latest, (latest.c.month == MonthClose.month) & (latest.c.version == MonthClose.version)
        )
    )
    return {row.month: row for row in rows}


def closed_version(month: str) -> Optional[MonthClose]:
    """The close in force for month (its latest version, if that is closed), else None."""
    row = latest_closes([month]).get(month)
    return row if row is not None and row.is_closed else None


def is_closed(month: str) -> bool:
    return closed_version(month) is not None


def close_history(month: str) -> list[MonthClose]:
    """Every version of month, oldest first."""
    return list(
        db.session.scalars(select(MonthClose).where(MonthClose.month == month).order_by(MonthClose.version))
    )


def last_closed_month() -> Optional[str]:
    """The latest month that was ever closed (any version), or None."""
    return db.session.scalar(select(func.max(MonthClose.month)))


def reopened_months() -> list[str]:
    """Months whose latest version is reopened (waiting to be closed again), oldest first."""
    latest = (
        select(MonthClose.month, func.max(MonthClose.version).label("version"))
        .group_by(MonthClose.month)
        .subquery()
    )
    stmt = (
        select(MonthClose.month)
        .join(latest, (latest.c.month == MonthClose.month) & (latest.c.version == MonthClose.version))
        .where(MonthClose.status == "reopened")
        .order_by(MonthClose.month)
    )
    return list(db.session.scalars(stmt))


def due_month(today: date, cal: Optional[WorkCalendar] = None) -> str:
    """The latest month whose close day has come by today (last month from its close day on)."""
    last = month_of(today.replace(day=1) - timedelta(days=1))
    return last if today >= close_day(last, cal) else previous_month(last)


def months_to_close(today: date, cal: Optional[WorkCalendar] = None) -> list[str]:
    """What the scheduler closes today, oldest first: every reopened month, and every month never closed
    from the one after the last closed month up to the due month (only the due month if none ever was)."""
    due = due_month(today, cal)
    last = last_closed_month()
    todo = set(reopened_months())
    if last is None:
        todo.add(due)
    else:
        month = next_month(last)
        while month <= due:
            todo.add(month)
            month = next_month(month)
    return sorted(m for m in todo if m <= due)


# ---- closing and reopening


@dataclass(frozen=True)
class CloseResult:
    close: MonthClose
    created: bool  # False: the month was already closed (nothing written)


def _insert_close(values: dict[str, Any]) -> Optional[int]:
    """INSERT … ON CONFLICT DO NOTHING on (month, version): the new id, or None if another run won."""
    dialect = db.session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        make = sqlite_insert if dialect == "sqlite" else pg_insert
        stmt = make(MonthClose).values(**values).on_conflict_do_nothing().returning(MonthClose.id)
        return db.session.execute(stmt).scalar()
    row = MonthClose(**values)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return None
    return row.id


def begin_close(month: str, actor: Optional[User], now: Optional[datetime] = None) -> CloseResult:
    """Record the next version of month as closed (actor None: the scheduler); the caller writes its
    snapshot in the same transaction. A month already closed is returned as it is (created False)."""
    if actor is not None and not can(actor, "month.close"):
        raise ServiceError("只有系统管理员可以结账")
    latest = latest_closes([month]).get(month)
    if latest is not None and latest.is_closed:
        return CloseResult(latest, False)
    version = 1 if latest is None else latest.version + 1
    values = {
        "month": month,
        "version": version,
        "status": "closed",
        "closed_at": now or utcnow(),
        "closed_by_id": actor.id if actor else None,
        "snapshot_rows": 0,
    }
    new_id = _insert_close(values)
    if new_id is None:  # a concurrent close of the same version committed first
        won = latest_closes([month])[month]
        return CloseResult(won, False)
    close = db.session.get_one(MonthClose, new_id)
    if actor is not None:
        record_audit(actor, "month_close", close.id, "close", f"结账：{month_label(month)}（第{version}版）")
    return CloseResult(close, True)


def reopen_month(actor: User, month: str, reason: Any, now: Optional[datetime] = None) -> MonthClose:
    """重新结账: reopen a closed month (admins, a reason required, audited). Entries dated in the month are
    accepted again and its figures are live until it is closed again as the next version."""
    if not can(actor, "month.reopen"):
        raise ServiceError("只有系统管理员可以重新结账")
    month = checked_month(month)
    text = clean_multiline(reason, "重新结账原因", REASON_MAX, required=True)
    close = closed_version(month)
    if close is None:
        raise ServiceError(f"{month_label(month)}尚未月结，无需重新结账")
    close.status = "reopened"
    close.reopened_at, close.reopened_by_id, close.reopen_reason = now or utcnow(), actor.id, text
    record_audit(
        actor,
        "month_close",
        close.id,
        "reopen",
        f"重新结账：{month_label(month)}（第{close.version}版作废），原因：{text}",
        {"status": ("closed", "reopened")},
    )
    db.session.flush()
    return close


# ---- snapshot rows


def write_snapshot_rows(close: MonthClose, rows: list[tuple[str, Optional[int], dict[str, Any]]]) -> int:
    """Insert the close's facts in one bulk statement: (kind, park id, data) each, in order."""
    if rows:
        db.session.execute(  # the table's Core insert: one executemany, not one per group of nulls
            insert(MonthSnapshotRow.__table__),  # type: ignore[arg-type]
            [
                {"close_id": close.id, "kind": kind, "park_id": park, "data": data}
                for kind, park, data in rows
            ],
        )
    close.snapshot_rows = len(rows)
    db.session.flush()
    return len(rows)


def read_snapshot_texts(
    close_id: int, park_id: Optional[int] = None, kind: Optional[str] = None
) -> dict[str, list[str]]:
    """{kind: [JSON text, …]} of a close in the order written (one query): every row (or one kind's), or
    for a park its own rows and the city-wide ones (park None). The JSON comes as the text stored, left
    for the caller to decode a kind at a time (codec.decode_all), not parsed row by row on the way."""
    stmt = select(MonthSnapshotRow.kind, cast(MonthSnapshotRow.data, Text)).where(
        MonthSnapshotRow.close_id == close_id
    )
    if kind is not None:
        stmt = stmt.where(MonthSnapshotRow.kind == kind)
    if park_id is not None:
        stmt = stmt.where((MonthSnapshotRow.park_id == park_id) | MonthSnapshotRow.park_id.is_(None))
    out: dict[str, list[str]] = {}
    # Core rather than ORM execution: plain rows of text, without the ORM's per-row loading step.
    for kind, text in db.session.connection().execute(stmt.order_by(MonthSnapshotRow.id)):
        out.setdefault(kind, []).append(text)
    return out


def read_kind(close_ids: Iterable[int], kind: str) -> list[tuple[int, dict[str, Any]]]:
    """(close id, data) of one kind over several closes (one query), e.g. the dashboards' month totals."""
    ids = sorted(set(close_ids))
    if not ids:
        return []
    stmt = (
        select(MonthSnapshotRow.close_id, MonthSnapshotRow.data)
        .where(MonthSnapshotRow.close_id.in_(ids), MonthSnapshotRow.kind == kind)
        .order_by(MonthSnapshotRow.id)
    )
    return [(close_id, data) for close_id, data in db.session.execute(stmt)]
