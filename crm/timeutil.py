"""Time helpers: store UTC, compute calendar dates in Asia/Shanghai; "today" is injectable."""

from datetime import UTC, date, datetime
from typing import overload
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Naive UTC timestamp (the database stores naive UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Today's date in Asia/Shanghai, or the configured CRM_TODAY."""
    fixed = current_app.config.get("CRM_TODAY") if has_app_context() else None
    if fixed:
        return fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
    return datetime.now(SHANGHAI).date()


@overload
def to_local(value: datetime) -> datetime: ...
@overload
def to_local(value: None) -> None: ...
@overload
def to_local(value: datetime | None) -> datetime | None: ...
def to_local(value: datetime | None) -> datetime | None:
    """Convert a naive UTC timestamp to Asia/Shanghai for display."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(SHANGHAI)
