"""The boundary of a view: run one service step, then commit it, or roll it back and show why.

Services flush and never commit; the view commits once, here. A refusal is a ServiceError, whose
Chinese message is shown as is, or a StaleDataError raised at flush when another user's write won the
race, shown as the view's `stale` message (see crm.services.common.locking). A RecordedRefusal is
shown the same way but committed: what it counted (a wrong password) must stay counted. Anything else
is a bug and propagates to the 500 page, which rolls back.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash
from sqlalchemy.orm.exc import StaleDataError

from crm.extensions import db
from crm.services import RecordedRefusal, ServiceError
from crm.services.common.locking import STALE_MESSAGE, is_stale, refusal_message

NOTHING_CHANGED = "没有需要保存的修改"

# A flash after success: a message (category "success") or a (message, category) pair.
Message = str | tuple[str, str]


@dataclass(frozen=True)
class Step:
    """What a service step came to: truthy when it was committed."""

    ok: bool
    value: Any = None  # what the service returned (when ok)
    error: str = ""  # the Chinese refusal (when not ok)
    stale: bool = False  # refused because someone else changed the row first: show the latest values

    def __bool__(self) -> bool:
        return self.ok


def run_step(
    service: Callable[..., Any],
    *args: Any,
    success: Message | Callable[[Any], Message] | None = None,
    stale: str = STALE_MESSAGE,
    flash_error: bool = True,
    commit: bool = True,
    **kwargs: Any,
) -> Step:
    """Call service(*args, **kwargs) and commit; on refusal roll back and flash the Chinese message.

    success: flashed once committed; a function receives the service's result (the new row, the
    changes) and returns the message. flash_error=False leaves the refusal to the view (a form that
    lists errors inline reads step.error). commit=False for a read that may be refused.
    """
    try:
        value = service(*args, **kwargs)
        if commit:
            db.session.commit()
    except (ServiceError, StaleDataError) as exc:
        if isinstance(exc, RecordedRefusal) and commit:
            db.session.commit()
        else:
            db.session.rollback()
        message = refusal_message(exc, stale)
        if flash_error:
            flash(message, "danger")
        return Step(False, error=message, stale=is_stale(exc))
    if success is not None:
        text, category = _message(success(value) if callable(success) else success)
        flash(text, category)
    return Step(True, value)


def saved(message: str = "已保存修改", changed: Callable[[Any], bool] = bool) -> Callable[[Any], Message]:
    """The success flash of an edit: `message` when it changed something, else 没有需要保存的修改 (info).

    changed tells from the service's result whether anything changed (by default: a non-empty result,
    the dict of changes most edit services return).
    """
    return lambda result: (message, "success") if changed(result) else (NOTHING_CHANGED, "info")


def _message(message: Message) -> tuple[str, str]:
    return (message, "success") if isinstance(message, str) else message
