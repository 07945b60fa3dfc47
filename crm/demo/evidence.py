"""现场佐证 in the demo park, through the services: the park collects evidence from the 1st of last month;
the office has placed most firms (a few are left for a cadre's first check-in to place); on-site visits
since then carry the phone's location and a site photo — most taken at the gate, some too far away or
with too coarse a fix, so the 现场核验 page and the coverage page have something to show.
"""

import math
import random
import struct
import zlib
from datetime import date, timedelta
from io import BytesIO
from typing import Any

from sqlalchemy import update
from werkzeug.datastructures import FileStorage

from crm.extensions import db
from crm.models import Enterprise, Park, User, Visit
from crm.services.visits.locations import set_firm_location
from crm.services.visits.settings import update_evidence_settings
from crm.services.visits.summary import resummarise
from crm.timeutil import utcnow

PARK_CENTRE = (27.8600, 112.8720)  # 湘潭高新区, WGS-84
PARK_RADIUS_M = 2500
UNPLACED = 3  # firms whose location a cadre's first check-in will propose
METRE = 1 / 111_195  # degrees of latitude per metre


def _png(rnd: random.Random) -> bytes:
    """A small real PNG (the upload checks parse it), one colour per photo."""
    width, height = 24, 16
    rgb = bytes(rnd.randrange(40, 220) for _ in range(3))
    raw = b"".join(b"\x00" + rgb * width for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _offset(point: tuple[float, float], metres: float, bearing: float) -> tuple[float, float]:
    lat, lng = point
    dlat = metres * math.cos(bearing) * METRE
    dlng = metres * math.sin(bearing) * METRE / math.cos(math.radians(lat))
    return lat + dlat, lng + dlng


class DemoEvidence:
    """Where the demo firms are, and what each on-site visit's phone reported."""

    def __init__(self, rnd: random.Random, today: date, officer: User, park: Park):
        self.rnd, self.today, self.officer, self.park = rnd, today, officer, park
        self.since = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        self.places: dict[int, tuple[float, float]] = {}

    def place_firms(self, firms: list[Enterprise]) -> None:
        """Turn evidence on for the park and have the office place every firm but a few."""
        update_evidence_settings(
            self.park,
            self.officer,
            {"evidence_enabled": "y", "evidence_max_distance_m": "500", "evidence_max_accuracy_m": "100"},
        )
        active = [f for f in firms if f.status == "active"]
        unplaced = {f.id for f in self.rnd.sample(active, min(UNPLACED, len(active)))}
        for firm in firms:
            where = _offset(
                PARK_CENTRE, self.rnd.uniform(200, PARK_RADIUS_M), self.rnd.uniform(0, 2 * math.pi)
            )
            self.places[firm.id] = where
            if firm.id not in unplaced:
                data = {"latitude": f"{where[0]:.6f}", "longitude": f"{where[1]:.6f}", "datum": "wgs84"}
                set_firm_location(firm, self.officer, data, utcnow())

    def for_visit(self, firm: Enterprise, kind: str, day: date) -> dict[str, Any]:
        """log_visit's location and photo for a visit the demo logs (none before evidence was collected)."""
        if kind != "onsite" or day < self.since or firm.id not in self.places:
            return {}
        rnd = self.rnd
        roll = rnd.random()
        if roll < 0.08:  # logged from the office, not at the firm
            distance, accuracy = rnd.uniform(900, 2600), rnd.uniform(8, 30)
        elif roll < 0.14:  # indoors, no GPS: a cell-tower fix
            distance, accuracy = rnd.uniform(30, 300), rnd.uniform(180, 900)
        else:
            distance, accuracy = rnd.uniform(8, 140), rnd.uniform(5, 35)
        lat, lng = _offset(self.places[firm.id], distance, rnd.uniform(0, 2 * math.pi))
        out: dict[str, Any] = {
            "location": {"latitude": f"{lat:.7f}", "longitude": f"{lng:.7f}", "accuracy": f"{accuracy:.1f}"}
        }
        if rnd.random() < 0.88:
            out["files"] = [
                FileStorage(BytesIO(_png(rnd)), filename="现场照片.png", content_type="image/png")
            ]
        return out

    def settle(self) -> None:
        """Visits before the park collected evidence carry none (they were logged before it began)."""
        db.session.execute(
            update(Visit)
            .where(Visit.visited_on < self.since, Visit.evidence.is_not(None))
            .values(evidence=None)
            .execution_options(synchronize_session=False)
        )
        resummarise(self.places)
