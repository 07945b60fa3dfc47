"""现场 (the field app): visits sent from a phone, at once or later from its drafts.

A draft is sent with the id the phone gave it. The same id a second time (a retry after a lost answer,
two tabs syncing) returns the visit already logged; a refusal — the firm handed over to someone else
meanwhile, a month closed, a bad field — comes back as the Chinese reason the phone keeps with the draft.
"""

from datetime import date
from typing import Any, Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import Assignment, Enterprise, User
from crm.permissions import can, visible_enterprises
from crm.services import ServiceError
from crm.services.visits.keys import clean_client_id, synced_visit
from crm.services.visits.records import Logged, record_visit

OUT_OF_REACH = "企业不存在，或已不在您的联系范围内（可能已交接给其他干部），无法保存这条走访"
OFFLINE_FORMS_MAX = 100


def sync_visit(
    actor: User,
    enterprise_id: Optional[int],
    client_id: Any,
    data: dict[str, Any],
    today: date,
    files=(),
    location: Optional[dict[str, Any]] = None,
    **sections: Any,
) -> Logged:
    """Log a visit sent by the field app, once per client id (required here)."""
    key = clean_client_id(client_id)
    if key is None:
        raise ServiceError("缺少走访记录的设备编号，请刷新页面后重新填写")
    if done := synced_visit(actor, key):
        return Logged(done, False)
    firm = None
    if enterprise_id is not None:
        firm = db.session.scalar(visible_enterprises(actor).where(Enterprise.id == enterprise_id))
    if firm is None or not can(actor, "visit.log", firm):
        raise ServiceError(OUT_OF_REACH)
    return record_visit(firm, actor, data, today, files=files, client_id=key, location=location, **sections)


def offline_firms(actor: User) -> list[tuple[int, str]]:
    """(id, name) of the firms a cadre serves now, whose visit forms the phone keeps for offline use."""
    if actor.role != "cadre" or not can(actor, "visit.log"):
        return []
    stmt = (
        select(Enterprise.id, Enterprise.name)
        .join(Assignment, (Assignment.enterprise_id == Enterprise.id) & Assignment.end_on.is_(None))
        .where(Assignment.cadre_id == actor.id, Enterprise.status == "active")
        .order_by(Enterprise.name_initials, Enterprise.id)
        .limit(OFFLINE_FORMS_MAX)
    )
    return [(firm_id, name) for firm_id, name in db.session.execute(stmt)]
