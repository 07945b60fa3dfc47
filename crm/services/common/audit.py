"""Writing the audit trail."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

from crm.extensions import db
from crm.models import AuditLog, User


def _plain(value: Any) -> Any:
    if isinstance(value, (date, Decimal)):
        return str(value)
    return value


def record_audit(
    actor: Optional[User],
    entity_type: str,
    entity_id: int,
    action: str,
    summary: str = "",
    changes: Optional[dict[str, tuple[Any, Any]]] = None,
    enterprise_id: Optional[int] = None,
    at: Optional[datetime] = None,
) -> AuditLog:
    """Append one audit row; changes maps field -> (old, new). at: when it happened, if the service was
    given the moment (a problem step's `now`); by default, now."""
    entry = AuditLog(
        **({"at": at} if at is not None else {}),
        actor_id=actor.id if actor else None,
        entity_type=entity_type,
        entity_id=entity_id,
        enterprise_id=enterprise_id,
        action=action,
        summary=summary[:500],
        changes={k: [_plain(o), _plain(n)] for k, (o, n) in (changes or {}).items()} or None,
    )
    db.session.add(entry)
    return entry
