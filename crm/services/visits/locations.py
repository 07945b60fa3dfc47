"""Firms' locations and the park office's review of on-site evidence (现场核验).

A firm's location is set once: typed in by an officer (from a map, in any of China's datums), or taken
from a cadre's first on-site check-in that an officer confirms. An officer may correct it later (the
firm moved); each change judges the firm's open check-ins again. Check-ins the rules doubt (位置存疑)
wait for an officer's verdict: 核实无误 makes them 有佐证, 确认存疑 keeps them doubtful; either way the
verdict is final and audited.
"""

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from crm.extensions import db
from crm.models import Enterprise, FirmLocation, User, Visit, VisitLocation
from crm.permissions import can, visible_visits
from crm.services import ServiceError
from crm.services.common.audit import record_audit
from crm.services.common.validators import clean_text
from crm.services.visits.evidence import rejudge_firm, visit_location
from crm.services.visits.geo import DATUMS, parse_point, to_wgs84
from crm.services.visits.summary import resummarise

NOTE_MAX = 300
VERDICTS = {"verified": "核实无误", "doubtful": "确认存疑"}


def firm_location(firm: Enterprise) -> Optional[FirmLocation]:
    """The firm's location, if set (callers check crm.permissions 'firm.location' first)."""
    return db.session.get(FirmLocation, firm.id)


def set_firm_location(firm: Enterprise, actor: User, data: dict[str, Any], now: datetime) -> FirmLocation:
    """Store the firm's location from typed coordinates (datum: wgs84, gcj02 or bd09) and judge its
    open check-ins again."""
    if not can(actor, "firm.locate", firm):
        raise ServiceError("没有设置该企业位置的权限")
    datum = str(data.get("datum") or "wgs84")
    if datum not in DATUMS:
        raise ServiceError("请选择坐标来源")
    lat, lng = to_wgs84(*parse_point(data.get("latitude"), data.get("longitude")), datum)
    row = db.session.get(FirmLocation, firm.id)
    old = (round(row.latitude, 6), round(row.longitude, 6)) if row else None
    if row is None:
        row = FirmLocation(enterprise_id=firm.id, latitude=lat, longitude=lng)
        db.session.add(row)
    row.latitude, row.longitude = lat, lng
    row.source, row.visit_id, row.set_by_id, row.set_at = "officer", None, actor.id, now
    db.session.flush()
    new = (round(lat, 6), round(lng, 6))
    note = f"（由{DATUMS[datum].split('（')[0]}坐标换算）" if datum != "wgs84" else ""
    record_audit(actor, "enterprise", firm.id, "locate", f"设置企业位置：{new[0]}, {new[1]}{note}",
                 {"location": (old, new)}, enterprise_id=firm.id)  # fmt: skip
    rejudge_firm(firm.id)
    return row


def _pending_check_in(visit: Visit, actor: User) -> VisitLocation:
    if not can(actor, "visit.review", visit):
        raise ServiceError("没有核验该走访的权限")
    loc = visit_location(visit)
    if visit.evidence != "pending" or loc is None:
        raise ServiceError("该走访不在待确认位置状态，可能已被处理，请刷新页面")
    return loc


def confirm_check_in(visit: Visit, actor: User, now: datetime) -> FirmLocation:
    """Take a cadre's check-in as the firm's location (the firm has none yet) and judge its visits."""
    loc = _pending_check_in(visit, actor)
    if db.session.get(FirmLocation, visit.enterprise_id) is not None:
        raise ServiceError("该企业已设置位置，请刷新页面")
    row = FirmLocation(
        enterprise_id=visit.enterprise_id,
        latitude=loc.latitude,
        longitude=loc.longitude,
        source="checkin",
        visit_id=visit.id,
        set_by_id=actor.id,
        set_at=now,
    )
    db.session.add(row)
    db.session.flush()
    record_audit(actor, "enterprise", visit.enterprise_id, "locate",
                 f"确认干部{visit.cadre.name} {visit.visited_on:%Y-%m-%d} 上门定位为企业位置",
                 enterprise_id=visit.enterprise_id)  # fmt: skip
    rejudge_firm(visit.enterprise_id)
    return row


def reject_check_in(visit: Visit, actor: User, note: Any, now: datetime) -> None:
    """Refuse a check-in as the firm's location: it was not taken at the firm, so it is doubtful."""
    loc = _pending_check_in(visit, actor)
    text = clean_text(note, "核验说明", NOTE_MAX, required=True)
    visit.evidence = "doubtful"
    loc.doubts = "；".join(filter(None, ["园区管理员未采用该定位作为企业位置", loc.doubts]))[:NOTE_MAX]
    loc.reviewed_by_id, loc.reviewed_at, loc.review_note = actor.id, now, text
    db.session.flush()
    record_audit(actor, "visit", visit.id, "review", f"未采用上门定位作为企业位置：{text}",
                 enterprise_id=visit.enterprise_id)  # fmt: skip


def review_visit(visit: Visit, actor: User, verdict: str, note: Any, now: datetime) -> None:
    """An officer's verdict on a doubtful check-in: 核实无误 (→ 有佐证) or 确认存疑, with a note."""
    if not can(actor, "visit.review", visit):
        raise ServiceError("没有核验该走访的权限")
    if verdict not in VERDICTS:
        raise ServiceError("请选择核验结论")
    loc = visit_location(visit)
    if visit.evidence != "doubtful" or loc is None or loc.reviewed_at is not None:
        raise ServiceError("该走访不在待核验状态，可能已被处理，请刷新页面")
    text = clean_text(note, "核验说明", NOTE_MAX, required=True)
    visit.evidence = verdict
    loc.reviewed_by_id, loc.reviewed_at, loc.review_note = actor.id, now, text
    db.session.flush()
    resummarise([visit.enterprise_id])
    record_audit(actor, "visit", visit.id, "review", f"现场核验：{VERDICTS[verdict]}（{text}）",
                 {"evidence": ("doubtful", verdict)}, enterprise_id=visit.enterprise_id)  # fmt: skip


def review_queue(user: User) -> Select:
    """SELECT of the check-ins waiting for this officer (待确认位置, unreviewed 位置存疑), oldest first."""
    stmt: Select = (
        visible_visits(user)
        .join(VisitLocation, VisitLocation.visit_id == Visit.id)
        .where(
            Visit.kind == "onsite",
            or_(
                Visit.evidence == "pending",
                (Visit.evidence == "doubtful") & VisitLocation.reviewed_at.is_(None),
            ),
        )
        .options(contains_eager(Visit.enterprise), joinedload(Visit.cadre))
        .order_by(Visit.visited_on, Visit.id)
    )
    if not can(user, "visit.review"):
        return stmt.where(Visit.id.is_(None))
    return stmt


def locations_of(visits: list[Visit]) -> dict[int, VisitLocation]:
    """The kept locations of these visits, by visit id, in one query."""
    ids = [v.id for v in visits]
    if not ids:
        return {}
    return {
        row.visit_id: row
        for row in db.session.scalars(select(VisitLocation).where(VisitLocation.visit_id.in_(ids)))
    }


def firm_locations_of(visits: list[Visit]) -> dict[int, FirmLocation]:
    """The locations of these visits' firms, by firm id, in one query."""
    ids = {v.enterprise_id for v in visits}
    if not ids:
        return {}
    rows = db.session.scalars(select(FirmLocation).where(FirmLocation.enterprise_id.in_(ids)))
    return {row.enterprise_id: row for row in rows}
