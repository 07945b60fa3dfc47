"""Builders for visits and attachments written directly (rows and files), not through the services."""

import uuid
from datetime import date, datetime
from pathlib import Path

from flask import current_app

from crm.extensions import db
from crm.models import Attachment, Enterprise, User, Visit
from tests.factories import make_visit
from tests.uploads import PNG


def make_logged_visit(
    firm: Enterprise,
    cadre: User,
    visited_on: date = date(2026, 11, 2),
    kind: str = "onsite",
    summary: str = "了解企业生产经营情况",
    **fields,
) -> Visit:
    """factories.make_visit, logged at 10:00 Shanghai time on visited_on (the edit window counts from it)."""
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
