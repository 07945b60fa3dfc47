"""Entries dated in a closed month are refused, whatever the way in (web form, import, offline sync).

Each service that writes a dated fact (a visit, a sales row's period, a technology item's solved day,
a product's retirement, a problem raised or one of its steps) calls refuse_if_closed() with the date
(or refuse_if_month_closed() with the month) before changing anything; the message names the month and
who can reopen it.
"""

from collections.abc import Iterable
from datetime import date
from typing import Optional

from crm.services import ServiceError
from crm.services.closing.store import latest_closes, month_label, month_of


def closed_message(month: str, what: str) -> str:
    """ "2026年11月已月结，不能再录入该月的走访。如需更正，请联系系统管理员重新结账。" """
    return f"{month_label(month)}已月结，不能再录入该月的{what}。如需更正，请联系系统管理员重新结账。"


def closed_months(months: Iterable[str]) -> set[str]:
    """Which of these months are closed now (one query whatever their number)."""
    return {month for month, close in latest_closes(months).items() if close.is_closed}


def refuse_if_month_closed(month: Optional[str], what: str) -> None:
    """Raise the Chinese refusal when month (YYYY-MM) is closed."""
    if month and closed_months([month]):
        raise ServiceError(closed_message(month, what))


def refuse_if_closed(days: Iterable[Optional[date]] | Optional[date], what: str) -> None:
    """Raise the Chinese refusal when any of the days falls in a closed month (None days are ignored)."""
    if days is None or isinstance(days, date):
        days = [days]
    months = sorted({month_of(day) for day in days if day is not None})
    closed = closed_months(months) if months else set()
    if closed:
        raise ServiceError(closed_message(min(closed), what))
