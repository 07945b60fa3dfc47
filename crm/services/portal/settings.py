"""Per-park numbers of 企业之声: the 回访抽查 sample (percent, at least N) and the working days after 办结
before the cadre is reminded to call for a rating the firm has not given. Defaults without a row."""

from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import Park, PortalSetting, User
from crm.permissions import can
from crm.services import ServiceError
from crm.services.common.audit import record_audit
from crm.services.common.creditcode import normalize_text

FIELDS = {
    "callback_percent": ("回访抽查比例（%）", 1, 100),
    "callback_min": ("每月至少抽查（件）", 0, 100),
    "rating_reminder_days": ("办结后提醒回访（工作日）", 1, 30),
}


@dataclass(frozen=True)
class PortalRules:
    callback_percent: int = 10
    callback_min: int = 1
    rating_reminder_days: int = 5


DEFAULT_RULES = PortalRules()


def portal_rules(park_id: Optional[int]) -> PortalRules:
    """The park's numbers (the defaults when it has no row)."""
    row = db.session.get(PortalSetting, park_id) if park_id is not None else None
    if row is None:
        return DEFAULT_RULES
    return PortalRules(row.callback_percent, row.callback_min, row.rating_reminder_days)


def rules_by_park() -> dict[int, PortalRules]:
    """Every park's numbers that differ from the defaults, in one query (parks missing use DEFAULT_RULES)."""
    rows = db.session.scalars(select(PortalSetting))
    return {r.park_id: PortalRules(r.callback_percent, r.callback_min, r.rating_reminder_days) for r in rows}


def _int(value: Any, label: str, low: int, high: int) -> int:
    text = normalize_text(value)
    if not text.isdigit() or not low <= int(text) <= high:
        raise ServiceError(f"{label}应为{low}到{high}之间的整数")
    return int(text)


def update_portal_rules(park: Park, actor: User, data: dict[str, Any]) -> dict[str, tuple]:
    """Save the park's numbers (officers of the park, admins); returns the changes."""
    if not can(actor, "callback.settings", park):
        raise ServiceError("没有修改该园区设置的权限")
    errors, values = [], {}
    for name, (label, low, high) in FIELDS.items():
        try:
            values[name] = _int(data.get(name), label, low, high)
        except ServiceError as exc:
            errors.append(str(exc))
    if errors:
        raise ServiceError("；".join(errors))
    row = db.session.get(PortalSetting, park.id)
    if row is None:
        row = PortalSetting(park_id=park.id, **vars(DEFAULT_RULES))
        db.session.add(row)
    changes = {k: (getattr(row, k), v) for k, v in values.items() if getattr(row, k) != v}
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_by_id = actor.id
    db.session.flush()
    if changes:
        record_audit(actor, "portal_setting", park.id, "update", f"修改{park.name}的企业之声设置", changes)
    return changes
