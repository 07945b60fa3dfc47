"""Visits and attachments written directly (rows and files), not through the services (tested apart)."""

import uuid
from datetime import date, datetime
from pathlib import Path

from flask import current_app

from crm.extensions import db
from crm.models import Attachment, Enterprise, User, Visit
from crm.services.visits.summary import note_visit
from tests.support.dates import TODAY
from tests.support.uploads import PNG


def make_visit(
    firm: Enterprise, cadre: User, visited_on: date, kind: str = "onsite", summary: str = "走访"
) -> Visit:
    """A visit row written directly (the visit service is tested on its own), with its summary."""
    visit = Visit(enterprise_id=firm.id, cadre_id=cadre.id, visited_on=visited_on, kind=kind, summary=summary)
    db.session.add(visit)
    db.session.flush()
    note_visit(firm.id, visited_on, kind)  # the derived last-visit dates, as the visit service keeps them
    return visit


def make_logged_visit(
    firm: Enterprise,
    cadre: User,
    visited_on: date = TODAY,
    kind: str = "onsite",
    summary: str = "了解企业生产经营情况",
    **fields,
) -> Visit:
    """make_visit, logged at 10:00 Shanghai time on visited_on (the edit window counts from it)."""
    visit = make_visit(firm, cadre, visited_on, kind, summary)
    visit.created_at = datetime.combine(visited_on, datetime.min.time()).replace(hour=2)
    for name, value in fields.items():
        setattr(visit, name, value)
    db.session.flush()
    return visit


def make_attachment(
    visit: Visit, filename: str = "现场照片.png", data: bytes = PNG, content_type: str = "image/png"
) -> Attachment:
    """An attachment row of the visit with its file written under UPLOAD_FOLDER/attachments/2026/."""
    ext = filename.rsplit(".", 1)[-1].lower()
    stored = f"2026/{uuid.uuid4().hex}.{ext}"
    path = Path(current_app.config["UPLOAD_FOLDER"]) / "attachments" / stored
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    att = Attachment(
        owner_type="visit",
        owner_id=visit.id,
        enterprise_id=visit.enterprise_id,
        filename=filename,
        stored_name=stored,
        content_type=content_type,
        size=len(data),
        uploaded_by_id=visit.cadre_id,
    )
    db.session.add(att)
    db.session.flush()
    return att
