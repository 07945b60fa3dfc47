"""现场佐证: judging an on-site visit by where it was logged from and whether it has a photo.

A park may collect evidence (its settings). Then an on-site visit keeps the device's location and is
有佐证 when it was taken within the park's distance of the firm, with a fine enough fix, and at least
one photo came with it; farther or coarser is 位置存疑 for the park office; no location or no photo is
无佐证. A firm without a location yet: the check-in waits (待确认位置) until an officer confirms it as the
firm's location (crm.services.visits.locations) or types the coordinates in, then it is judged again.
An officer's verdict on a visit (reviewed) is final and never re-judged.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Optional

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Attachment, Enterprise, FirmLocation, ParkSetting, Visit, VisitLocation
from crm.services import ServiceError
from crm.services.visits.geo import format_distance, haversine_m, parse_number
from crm.services.visits.summary import resummarise

ACCURACY_MAX = 100_000  # metres; a browser reporting more has no real fix


@dataclass(frozen=True)
class EvidenceRules:
    enabled: bool = False
    max_distance_m: int = 500
    max_accuracy_m: int = 100


DEFAULT_EVIDENCE = EvidenceRules()


def evidence_rules(park_id: int) -> EvidenceRules:
    """The park's evidence settings (the defaults, off, when it has none)."""
    setting = db.session.get(ParkSetting, park_id)
    if setting is None:
        return DEFAULT_EVIDENCE
    return EvidenceRules(
        bool(setting.evidence_enabled),
        setting.evidence_max_distance_m or DEFAULT_EVIDENCE.max_distance_m,
        setting.evidence_max_accuracy_m or DEFAULT_EVIDENCE.max_accuracy_m,
    )


def any_park_collects(park_ids: Optional[set[int]] = None) -> bool:
    """Whether evidence is collected in any of these parks (every park when None)."""
    stmt = select(ParkSetting.park_id).where(ParkSetting.evidence_enabled.is_(True)).limit(1)
    if park_ids is not None:
        stmt = stmt.where(ParkSetting.park_id.in_(park_ids))
    return db.session.scalar(stmt) is not None


@dataclass(frozen=True)
class Place:
    """A location as the browser reported it."""

    latitude: float
    longitude: float
    accuracy_m: float
    located_at: Optional[datetime]


def _located_at(value: Any) -> Optional[datetime]:
    """The fix's time: milliseconds since the epoch (Position.timestamp) or ISO 8601; stored naive UTC."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if text.isdigit() and len(text) <= 15:
            moment = datetime.fromtimestamp(int(text) / 1000, UTC)
        else:
            moment = datetime.fromisoformat(text[:40])
            moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        raise ServiceError("定位时间无效，请重新定位") from None
    return moment.replace(tzinfo=None)


def clean_location(data: Optional[dict[str, Any]]) -> Optional[Place]:
    """The location sent with a visit (latitude, longitude, accuracy, located_at), None when none was."""
    data = data or {}
    if all(data.get(k) in (None, "") for k in ("latitude", "longitude", "accuracy")):
        return None
    lat = parse_number(data.get("latitude"), "定位纬度", -90, 90)
    lng = parse_number(data.get("longitude"), "定位经度", -180, 180)
    accuracy = parse_number(data.get("accuracy"), "定位精度", 0, ACCURACY_MAX)
    assert lat is not None and lng is not None and accuracy is not None  # required
    return Place(lat, lng, accuracy, _located_at(data.get("located_at")))


def _photo_count(visit_id: int) -> int:
    stmt = select(func.count(Attachment.id)).where(
        Attachment.owner_type == "visit",
        Attachment.owner_id == visit_id,
        Attachment.content_type.like("image/%"),
    )
    return db.session.scalar(stmt) or 0


def _judge(visit: Visit, loc: Optional[VisitLocation], firm_loc: Optional[FirmLocation],
           rules: EvidenceRules, photos: int) -> None:  # fmt: skip
    """Set visit.evidence (and the location's distance and doubts) from the facts."""
    if loc is None:
        visit.evidence = "missing"
        return
    doubts = []
    loc.distance_m = None
    if firm_loc is not None:
        distance = haversine_m(loc.latitude, loc.longitude, firm_loc.latitude, firm_loc.longitude)
        loc.distance_m = round(distance)
        if distance > rules.max_distance_m:
            doubts.append(f"距企业位置{format_distance(distance)}，超过{rules.max_distance_m}米")
    if loc.accuracy_m > rules.max_accuracy_m:
        doubts.append(f"定位精度{format_distance(loc.accuracy_m)}，要求{rules.max_accuracy_m}米以内")
    located_badly = bool(doubts)
    if photos == 0:
        doubts.append("没有现场照片")
    if located_badly:
        visit.evidence = "doubtful"
    elif firm_loc is None:
        visit.evidence = "pending"
    else:
        visit.evidence = "verified" if photos else "missing"
    loc.doubts = "；".join(doubts) or None


def record_evidence(visit: Visit, firm: Enterprise, place: Optional[Place], photos: int) -> None:
    """At logging: keep the location of an on-site visit in a park that collects evidence, and judge it.

    Anywhere else nothing is kept: location is stored for on-site visits only, and only where asked.
    """
    rules = evidence_rules(firm.park_id)
    if visit.kind != "onsite" or not rules.enabled:
        visit.evidence = None
        return
    loc = None
    if place is not None:
        loc = VisitLocation(
            visit_id=visit.id,
            latitude=place.latitude,
            longitude=place.longitude,
            accuracy_m=place.accuracy_m,
            located_at=place.located_at,
        )
        db.session.add(loc)
    _judge(visit, loc, db.session.get(FirmLocation, firm.id), rules, photos)
    db.session.flush()
    if visit.evidence == "verified":
        resummarise([firm.id])


def visit_location(visit: Visit) -> Optional[VisitLocation]:
    """The location kept with the visit (callers check crm.permissions 'visit.location' first)."""
    return db.session.get(VisitLocation, visit.id)


def rejudge_visit(visit: Visit) -> None:
    """After a correction (kind changed, photos added): judge the visit again; an officer's verdict stays."""
    loc = visit_location(visit)
    if visit.kind != "onsite":
        if loc is not None:  # no longer on site: its location is not kept
            db.session.delete(loc)
        visit.evidence = None
    else:
        rules = evidence_rules(visit.enterprise.park_id)
        if rules.enabled and (loc is None or loc.reviewed_at is None):
            firm_loc = db.session.get(FirmLocation, visit.enterprise_id)
            _judge(visit, loc, firm_loc, rules, _photo_count(visit.id))
    db.session.flush()
    resummarise([visit.enterprise_id])


def rejudge_firm(firm_id: int) -> int:
    """The firm's location was set or moved: judge its located, unreviewed on-site visits again."""
    firm = db.session.get(Enterprise, firm_id)
    if firm is None:
        return 0
    rules = evidence_rules(firm.park_id)
    firm_loc = db.session.get(FirmLocation, firm_id)
    rows = db.session.execute(
        select(Visit, VisitLocation)
        .join(VisitLocation, VisitLocation.visit_id == Visit.id)
        .where(Visit.enterprise_id == firm_id, Visit.kind == "onsite", VisitLocation.reviewed_at.is_(None))
    ).all()
    photos = dict(
        db.session.execute(
            select(Attachment.owner_id, func.count(Attachment.id))
            .where(
                Attachment.owner_type == "visit",
                Attachment.owner_id.in_([v.id for v, _ in rows]),
                Attachment.content_type.like("image/%"),
            )
            .group_by(Attachment.owner_id)
        ).all()
    )
    for visit, loc in rows:
        _judge(visit, loc, firm_loc, rules, photos.get(visit.id, 0))
    db.session.flush()
    resummarise([firm_id])
    return len(rows)
