"""Settings: per park (visit cadence, correction window) and system-wide (JSON by key)."""

from datetime import datetime
from typing import Any, Optional, TypedDict

from sqlalchemy import JSON, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model
from crm.timeutil import utcnow


class CadenceDefaults(TypedDict):
    """ParkSetting's cadence columns, as keyword arguments."""

    contact_days: int
    key_contact_days: Optional[int]
    key_onsite_days: Optional[int]
    due_soon_days: int
    visit_edit_days: int


DEFAULT_CADENCE: CadenceDefaults = {
    "contact_days": 7,  # a contact of any kind at least every N days
    "key_contact_days": None,  # stricter contact interval for key firms (None: same as others)
    "key_onsite_days": None,  # key firms: on-site every N days instead of once per calendar month
    "due_soon_days": 2,  # "即将到期" when due within this many days
    "visit_edit_days": 7,  # authors may correct their visit this many days after the visit
}


class ParkSetting(Model):
    __tablename__ = "park_settings"

    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), primary_key=True)
    contact_days: Mapped[int] = mapped_column(default=7)
    key_contact_days: Mapped[Optional[int]]
    key_onsite_days: Mapped[Optional[int]]
    due_soon_days: Mapped[int] = mapped_column(default=2)
    visit_edit_days: Mapped[int] = mapped_column(default=7)
    # 现场佐证 (crm.services.visits.evidence): on-site visits capture the device's location and a photo;
    # farther from the firm than the distance, or a fix coarser than the accuracy, is 位置存疑.
    evidence_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    evidence_max_distance_m: Mapped[int] = mapped_column(default=500, server_default="500")
    evidence_max_accuracy_m: Mapped[int] = mapped_column(default=100, server_default="100")

    def __repr__(self) -> str:
        return f"<ParkSetting park={self.park_id}>"


class Setting(Model):
    """A system-wide setting stored as JSON under a key (problem rules, delivery channels …)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Setting {self.key}>"
