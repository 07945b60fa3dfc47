"""Optimistic locking: a stale form is refused instead of silently overwriting another user's change.

Versioned rows (firms, list items, problems) carry a `version` column that SQLAlchemy bumps on every
UPDATE (`version_id_col`). Two layers keep edits from being lost:
- check_version(): the form carries the version its user saw; a different one means someone changed
  the row since, so the service refuses with a Chinese message before touching anything;
- a write that slips in between that check and the flush makes the UPDATE/DELETE match no row and
  SQLAlchemy raises StaleDataError; the view boundary rolls back and shows the same kind of message
  (refusal_message()).
"""

from typing import Any, Optional

from sqlalchemy.orm.exc import StaleDataError

from crm.services import ServiceError

STALE_MESSAGE = "该记录已被其他人修改，您的修改未保存，请查看最新内容后重试"


class StaleError(ServiceError):
    """The row changed since the user opened the form (the message says what to do)."""


def _as_int(value: Any) -> Optional[int]:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def check_version(row: Any, seen: Any, message: str = STALE_MESSAGE) -> None:
    """Refuse a stale edit: raise StaleError when the version the user saw is not the row's.

    seen None or "" means the caller carries no version (an import, a job): nothing to compare.
    """
    if seen in (None, ""):
        return
    if _as_int(seen) != row.version:
        raise StaleError(message)


def is_stale(exc: BaseException) -> bool:
    """True for a refusal caused by someone else's concurrent change (either layer)."""
    return isinstance(exc, (StaleError, StaleDataError))


def refusal_message(exc: BaseException, stale: str = STALE_MESSAGE) -> str:
    """The Chinese message a view flashes for a ServiceError or a StaleDataError raised at flush."""
    if isinstance(exc, StaleDataError):
        return stale
    return str(exc)
