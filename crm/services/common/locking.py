"""Optimistic locking: a stale form is refused instead of silently overwriting another user's change.

Versioned rows (firms, list items, problems) carry a `version` column that SQLAlchemy bumps on every
UPDATE (`version_id_col`). Two layers keep edits from being lost:
- check_version(): the form carries the version its user saw; a different one means someone changed
  the row since, so the service refuses with a Chinese message before touching anything (and so it
  does when a form posts no version at all: every edit form must send one);
- a write that slips in between that check and the flush makes the UPDATE/DELETE match no row and
  SQLAlchemy raises StaleDataError; the view boundary rolls back and shows the same kind of message
  (refusal_message()).
"""

from typing import Any, Optional

from sqlalchemy.orm.exc import StaleDataError

from crm.services import ServiceError

STALE_MESSAGE = "该记录已被其他人修改，您的修改未保存，请查看最新内容后重试"
# A form posted without the version it was opened on (an old page, a script, a tampered form).
MISSING_VERSION_MESSAGE = "页面缺少版本信息，无法确认您看到的是最新内容，本次提交未保存，请刷新页面后重试"


class StaleError(ServiceError):
    """The row changed since the user opened the form (the message says what to do)."""


def _as_int(value: Any) -> Optional[int]:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def check_version(row: Any, seen: Any, message: str = STALE_MESSAGE) -> None:
    """Refuse a stale edit: raise StaleError when the version the user saw is not the row's.

    seen None means the caller carries no version on purpose (an import, a job): nothing to compare.
    Whatever a form posted must be a number: a blank or garbled version is refused too, because a form
    that lost its version cannot show that its user saw the current row.
    """
    if seen is None:
        return
    version = _as_int(seen)
    if version is None:
        raise StaleError(MISSING_VERSION_MESSAGE)
    if version != row.version:
        raise StaleError(message)


def is_stale(exc: BaseException) -> bool:
    """True for a refusal caused by someone else's concurrent change (either layer)."""
    return isinstance(exc, (StaleError, StaleDataError))


def refusal_message(exc: BaseException, stale: str = STALE_MESSAGE) -> str:
    """The Chinese message a view flashes for a ServiceError or a StaleDataError raised at flush."""
    if isinstance(exc, StaleDataError):
        return stale
    return str(exc)
