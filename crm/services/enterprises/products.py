"""停产/下架: a product leaves the firm's active product list on a business date (audited) and can be
put back; the other list edits are in crm.services.enterprises.lists."""

import re
from datetime import date, datetime
from typing import Any, Optional

from crm.extensions import db
from crm.models import ProductItem, User
from crm.services import ServiceError
from crm.services.closing.guard import refuse_if_closed
from crm.services.common.audit import record_audit
from crm.services.common.creditcode import normalize_text
from crm.services.common.locking import check_version
from crm.services.common.validators import clean_text
from crm.services.enterprises.lists import CLOSED_DAYS, PRODUCT_LABELS, PRODUCTS, _check_rights, _firm_of
from crm.timeutil import to_local
from crm.timeutil import today as local_today

RETIRE_REASON_MAX = 200
_DAY_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def added_on(item: ProductItem) -> date:
    """The business day (Beijing time) a product was put on the list."""
    stamp: Optional[datetime] = item.created_at
    return to_local(stamp).date() if stamp is not None else local_today()


def _typed_day(value: Any) -> Optional[date]:
    """A real day from a date or text written YYYY-MM-DD (also / or . between, full-width digits)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DAY_RE.fullmatch(normalize_text(value))
    if match is None:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def _retire_day(value: Any, item: ProductItem, today: date) -> date:
    """The day a product stopped: blank is today; not in the future, not before it was put on the list."""
    label = PRODUCT_LABELS["retired_on"]
    if not isinstance(value, date) and not normalize_text(value):
        return today
    day = _typed_day(value)
    if day is None:
        raise ServiceError(f"{label}应为YYYY-MM-DD格式的真实日期，如 {today:%Y-%m-%d}")
    if day > today:
        raise ServiceError(f"{label}不能晚于今天")
    # A product stamped after the business day (a clock ahead of it) may still be retired today.
    first = min(added_on(item), today)
    if day < first:
        raise ServiceError(f"{label}不能早于该产品录入清单的日期 {first:%Y-%m-%d}")
    return day


def retire_product(item: ProductItem, actor: User, data: dict, today: Optional[date] = None) -> date:
    """停产/下架: the product leaves the active list from data["retired_on"] (blank: today), with an
    optional data["reason"]; data["version"] is what the user saw (stale is refused). Returns the day."""
    firm = _check_rights(actor, _firm_of(item))
    if item.retired_on is not None:  # more telling than "stale" when someone else retired it first
        raise ServiceError(f"该产品已于 {item.retired_on:%Y-%m-%d} 停产/下架")
    check_version(item, data.get("version"), PRODUCTS.stale)
    today = today or local_today()
    errors, day, reason = [], today, None
    try:
        day = _retire_day(data.get("retired_on"), item, today)
    except ServiceError as exc:
        errors.append(str(exc))
    try:
        reason = clean_text(data.get("reason"), "停产/下架原因", RETIRE_REASON_MAX)
    except ServiceError as exc:
        errors.append(str(exc))
    if errors:
        raise ServiceError("；".join(errors))
    refuse_if_closed(day, CLOSED_DAYS["retired_on"])
    item.retired_on = day
    summary = f"产品停产/下架：{item.name}（{day:%Y-%m-%d}）" + (f"，原因：{reason}" if reason else "")
    record_audit(
        actor, "product_item", item.id, "retire", summary, {"retired_on": (None, day)}, enterprise_id=firm.id
    )
    db.session.flush()
    return day


def restore_product(item: ProductItem, actor: User, version: Any = None) -> None:
    """Put a retired product back on the active list (a retirement recorded by mistake, or production
    resumed); version: what the user saw (stale is refused)."""
    firm = _check_rights(actor, _firm_of(item))
    if item.retired_on is None:
        raise ServiceError("该产品未停产/下架，无需恢复")
    check_version(item, version, PRODUCTS.stale)
    refuse_if_closed(item.retired_on, CLOSED_DAYS["retired_on"])
    before, item.retired_on = item.retired_on, None
    record_audit(
        actor,
        "product_item",
        item.id,
        "restore",
        f"产品恢复在产：{item.name}（原停产/下架日期 {before:%Y-%m-%d}）",
        {"retired_on": (before, None)},
        enterprise_id=firm.id,
    )
    db.session.flush()
