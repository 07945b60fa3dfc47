"""现场佐证: where an on-site visit was logged from, and where each firm is.

Coordinates are WGS-84 degrees, what a browser's geolocation gives; coordinates read off a Chinese map
(GCJ-02, BD-09) are converted when an officer types them in. A visit's location is the cadre's personal
data: it is stored only for on-site visits in parks that collect evidence, and shown only to the cadre
who logged it and to that park's officers and leaders (crm.permissions).
"""

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.user import User
from crm.timeutil import utcnow

# Visit.evidence: None when the visit is not on site or its park does not collect evidence.
EVIDENCE_LABELS = {
    "verified": "有佐证",  # located near the firm, accurately enough, with a photo
    "doubtful": "位置存疑",  # too far from the firm or too coarse a fix: the park office looks at it
    "pending": "待确认位置",  # the firm has no location yet: this check-in awaits an officer's confirmation
    "missing": "无佐证",  # no location or no photo
}
EVIDENCE_CSS = {"verified": "success", "doubtful": "danger", "pending": "warning", "missing": "secondary"}
LOCATION_SOURCES = {"officer": "园区管理员录入", "checkin": "干部上门定位（管理员确认）"}


class VisitLocation(Model):
    """Where the device was when an on-site visit was logged, and how the park office judged it."""

    __tablename__ = "visit_locations"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), primary_key=True)
    latitude: Mapped[float]
    longitude: Mapped[float]
    # The radius in metres of the browser's confidence circle (GPS outdoors ~10 m, cell towers ~1 km).
    accuracy_m: Mapped[float]
    located_at: Mapped[Optional[datetime]]  # when the device took the fix (UTC), as it reported
    distance_m: Mapped[Optional[int]]  # from the firm's location when last assessed
    doubts: Mapped[Optional[str]] = mapped_column(String(300))  # why it is not 有佐证, in Chinese
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[Optional[datetime]]
    review_note: Mapped[Optional[str]] = mapped_column(String(300))

    reviewed_by: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return f"<VisitLocation visit={self.visit_id} ±{self.accuracy_m:.0f}m>"


class FirmLocation(Model):
    """A firm's location: typed in by an officer, or a cadre's first on-site check-in an officer confirmed."""

    __tablename__ = "firm_locations"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    latitude: Mapped[float]
    longitude: Mapped[float]
    source: Mapped[str] = mapped_column(String(16))
    visit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("visits.id"))  # the confirmed check-in
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)

    set_by: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<FirmLocation firm={self.enterprise_id} {self.latitude:.5f},{self.longitude:.5f}>"

    @property
    def source_label(self) -> str:
        return LOCATION_SOURCES.get(self.source, self.source)
