"""Park settings: the visit cadence rules, the visit correction window and on-site evidence."""

from typing import Any

from crm.extensions import db
from crm.models import Park, ParkSetting, User
from crm.models.settings import DEFAULT_CADENCE
from crm.permissions import can
from crm.services import ServiceError
from crm.services.common.audit import record_audit

LABELS = {
    "contact_days": "联系周期（天）",
    "key_contact_days": "重点企业联系周期（天）",
    "key_onsite_days": "重点企业上门走访周期（天）",
    "due_soon_days": "提前提醒（天）",
    "visit_edit_days": "走访记录可修改期限（天）",
}
LIMITS = {
    "contact_days": (1, 60),
    "key_contact_days": (1, 60),
    "key_onsite_days": (1, 31),
    "due_soon_days": (0, 15),
    "visit_edit_days": (0, 90),
}
OPTIONAL = {"key_contact_days", "key_onsite_days"}


def park_setting(park: Park) -> ParkSetting:
    """The park's settings row, or an unsaved one with the defaults."""
    setting = db.session.get(ParkSetting, park.id)
    return setting or ParkSetting(park_id=park.id, **DEFAULT_CADENCE)


def update_cadence_settings(park: Park, actor: User, data: dict[str, Any]) -> dict[str, tuple]:
    """Validate and store the park's cadence settings; returns the changes (audited)."""
    if not can(actor, "settings.cadence", park):
        raise ServiceError("没有修改该园区设置的权限")
    clean: dict[str, Any] = {}
    for key, (low, high) in LIMITS.items():
        value = data.get(key)
        if value in (None, ""):
            if key not in OPTIONAL:
                raise ServiceError(f"{LABELS[key]}不能为空")
            clean[key] = None
            continue
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise ServiceError(f"{LABELS[key]}应为整数") from None
        if not low <= value <= high:
            raise ServiceError(f"{LABELS[key]}应在{low}到{high}之间")
        clean[key] = value
    if clean["key_contact_days"] and clean["key_contact_days"] > clean["contact_days"]:
        raise ServiceError("重点企业联系周期不能长于一般企业")
    # A reminder as long as the cycle would show every firm as 即将到期 the day after a contact.
    cycles = (clean["contact_days"], clean["key_contact_days"], clean["key_onsite_days"])
    shortest = min(d for d in cycles if d)
    if clean["due_soon_days"] >= shortest:
        raise ServiceError(
            f"提前提醒天数应小于最短的走访周期（{shortest}天），否则企业刚联系过就会显示“即将到期”"
        )
    setting = db.session.get(ParkSetting, park.id)
    if setting is None:
        setting = ParkSetting(park_id=park.id, **DEFAULT_CADENCE)
        db.session.add(setting)
    changes = {k: (getattr(setting, k), v) for k, v in clean.items() if getattr(setting, k) != v}
    for key, (_old, new) in changes.items():
        setattr(setting, key, new)
    db.session.flush()
    if changes:
        summary = "修改走访频次设置：" + "、".join(LABELS[k] for k in changes)
        record_audit(actor, "park_setting", park.id, "update", summary, changes)
    return changes


EVIDENCE_LABELS = {
    "evidence_enabled": "采集现场佐证",
    "evidence_max_distance_m": "距企业最远距离（米）",
    "evidence_max_accuracy_m": "定位精度要求（米）",
}
EVIDENCE_LIMITS = {"evidence_max_distance_m": (50, 10_000), "evidence_max_accuracy_m": (10, 2_000)}


def update_evidence_settings(park: Park, actor: User, data: dict[str, Any]) -> dict[str, tuple]:
    """Turn on-site evidence on or off for the park and set its distance and accuracy limits (audited)."""
    if not can(actor, "settings.cadence", park):
        raise ServiceError("没有修改该园区设置的权限")
    clean: dict[str, Any] = {
        "evidence_enabled": data.get("evidence_enabled") in (True, "y", "1", "on", "true")
    }
    for key, (low, high) in EVIDENCE_LIMITS.items():
        value = data.get(key)
        if value in (None, ""):
            raise ServiceError(f"{EVIDENCE_LABELS[key]}不能为空")
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise ServiceError(f"{EVIDENCE_LABELS[key]}应为整数") from None
        if not low <= value <= high:
            raise ServiceError(f"{EVIDENCE_LABELS[key]}应在{low}到{high}之间")
        clean[key] = value
    setting = db.session.get(ParkSetting, park.id)
    if setting is None:
        setting = ParkSetting(park_id=park.id, **DEFAULT_CADENCE)
        db.session.add(setting)
        db.session.flush()  # the column defaults (evidence off, 500 m, 100 m) are the "before"
    changes = {k: (getattr(setting, k), v) for k, v in clean.items() if getattr(setting, k) != v}
    for key, (_old, new) in changes.items():
        setattr(setting, key, new)
    db.session.flush()
    if changes:
        summary = "修改现场佐证设置：" + "、".join(EVIDENCE_LABELS[k] for k in changes)
        record_audit(actor, "park_setting", park.id, "update", summary, changes)
    return changes
