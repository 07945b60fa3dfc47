"""企业服务码: each firm's unguessable, revocable link to its service page.

The token is HMAC-SHA256(key, "service-code:" + nonce) cut to 192 bits and written in URL-safe base64
(32 characters); the nonce is random per code. Only SHA-256(token) is stored and looked up, so a copy of
the database alone opens no firm's page, while an officer can still print a lost card again. The key is
SERVICE_CODE_SECRET, else SECRET_KEY: changing it leaves issued cards working (they are matched by their
stored hash) but their cards can no longer be printed again until the code is reissued.
"""

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import Optional

from flask import current_app
from sqlalchemy import exists, func, select

from crm.extensions import db
from crm.models import Enterprise, ServiceCode, User
from crm.permissions import can, enterprise_scope_clause
from crm.services import ServiceError
from crm.services.common.audit import record_audit
from crm.services.common.validators import clean_text
from crm.timeutil import utcnow

TOKEN_BYTES = 24  # 192 bits
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
REISSUE_REASON = "重新发码"


def _key() -> bytes:
    cfg = current_app.config
    return str(cfg.get("SERVICE_CODE_SECRET") or cfg["SECRET_KEY"]).encode()


def _derive(nonce: str) -> str:
    digest = hmac.new(_key(), f"service-code:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).decode()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_of(code: ServiceCode) -> Optional[str]:
    """The code's token for printing, or None when the key changed since it was issued (reissue it)."""
    token = _derive(code.nonce)
    return token if hmac.compare_digest(_hash(token), code.token_hash) else None


def code_for_token(token: str) -> Optional[ServiceCode]:
    """The active code of an active firm behind a token, or None (malformed, unknown, revoked, 注销).

    Every miss takes the same path (one indexed lookup by the token's hash), so the answer says nothing
    about which kind of miss it was; the caller answers each with the same 404.
    """
    wellformed = bool(TOKEN_RE.fullmatch(token or ""))
    wanted = _hash(token if wellformed else "-" * 32)
    code = db.session.scalar(
        select(ServiceCode)
        .join(Enterprise, Enterprise.id == ServiceCode.enterprise_id)
        .where(
            ServiceCode.token_hash == wanted, ServiceCode.revoked_at.is_(None), Enterprise.status != "closed"
        )
    )
    if code is None or not wellformed or not hmac.compare_digest(code.token_hash, wanted):
        return None
    return code


def active_code(firm: Enterprise) -> Optional[ServiceCode]:
    """The firm's active code, if it has one."""
    return db.session.scalar(
        select(ServiceCode).where(ServiceCode.enterprise_id == firm.id, ServiceCode.revoked_at.is_(None))
    )


def _new_code(firm: Enterprise, actor: Optional[User], now: datetime) -> ServiceCode:
    nonce = secrets.token_hex(32)
    code = ServiceCode(
        enterprise_id=firm.id,
        nonce=nonce,
        token_hash=_hash(_derive(nonce)),
        issued_by_id=actor.id if actor else None,
        issued_at=now,
    )
    db.session.add(code)
    db.session.flush()
    return code


def _revoke(code: ServiceCode, actor: Optional[User], reason: str, now: datetime) -> None:
    code.revoked_at, code.revoked_by_id, code.revoke_reason = now, actor.id if actor else None, reason
    db.session.flush()  # before a new active code of the firm is inserted (partial unique index)


def issue_service_code(
    firm: Enterprise, actor: Optional[User], now: Optional[datetime] = None
) -> ServiceCode:
    """Give the firm a new code; an active one is revoked first (重新发码). actor None: the demo loader."""
    if actor is not None and not can(actor, "service_code.manage", firm):
        raise ServiceError("没有为该企业发放服务码的权限")
    if firm.status == "closed":
        raise ServiceError("企业已注销，不能发放服务码")
    now = now or utcnow()
    old = active_code(firm)
    if old is not None:
        _revoke(old, actor, REISSUE_REASON, now)
    code = _new_code(firm, actor, now)
    summary = "重新发放企业服务码（原服务码作废）" if old else "发放企业服务码"
    record_audit(
        actor, "service_code", code.id, "reissue" if old else "issue", summary, enterprise_id=firm.id
    )
    return code


def revoke_service_code(
    firm: Enterprise, actor: User, reason: object, now: Optional[datetime] = None
) -> ServiceCode:
    """Revoke the firm's active code (a lost card, a firm that should not use it): its link answers 404."""
    if not can(actor, "service_code.manage", firm):
        raise ServiceError("没有作废该企业服务码的权限")
    text = clean_text(reason, "作废原因", 200, required=True)
    assert text is not None, "required text is never None"
    code = active_code(firm)
    if code is None:
        raise ServiceError("该企业没有有效的服务码")
    _revoke(code, actor, text, now or utcnow())
    record_audit(actor, "service_code", code.id, "revoke", f"作废企业服务码：{text}", enterprise_id=firm.id)
    return code


def issue_missing_codes(actor: User, park_id: Optional[int], now: Optional[datetime] = None) -> int:
    """Issue a code to every firm in the actor's scope (one park, or all) that is not 注销 and has none."""
    if not can(actor, "service_code.manage"):
        raise ServiceError("没有发放服务码的权限")
    has_code = exists().where(ServiceCode.enterprise_id == Enterprise.id, ServiceCode.revoked_at.is_(None))
    stmt = select(Enterprise).where(enterprise_scope_clause(actor), Enterprise.status != "closed", ~has_code)
    if park_id is not None:
        stmt = stmt.where(Enterprise.park_id == park_id)
    now = now or utcnow()
    firms = list(db.session.scalars(stmt.order_by(Enterprise.id)))
    for firm in firms:
        if not can(actor, "service_code.manage", firm):
            raise ServiceError(f"没有为{firm.name}发放服务码的权限")
        code = _new_code(firm, actor, now)
        record_audit(actor, "service_code", code.id, "issue", "批量发放企业服务码", enterprise_id=firm.id)
    return len(firms)


def firms_for_codes(user: User, park_id: Optional[int] = None, missing: bool = False):
    """SELECT of the firms (not 注销) in the user's scope for the service-code list, by park and name;
    missing=True: only those without an active code."""
    has_code = exists().where(ServiceCode.enterprise_id == Enterprise.id, ServiceCode.revoked_at.is_(None))
    stmt = select(Enterprise).where(enterprise_scope_clause(user), Enterprise.status != "closed")
    if park_id is not None:
        stmt = stmt.where(Enterprise.park_id == park_id)
    if missing:
        stmt = stmt.where(~has_code)
    return stmt.order_by(Enterprise.park_id, Enterprise.name, Enterprise.id)


def codes_of(firm_ids: list[int]) -> dict[int, ServiceCode]:
    """{firm id: its active code} for these firms, in one query."""
    if not firm_ids:
        return {}
    rows = db.session.scalars(
        select(ServiceCode).where(ServiceCode.enterprise_id.in_(firm_ids), ServiceCode.revoked_at.is_(None))
    )
    return {code.enterprise_id: code for code in rows}


def code_counts(user: User, park_id: Optional[int] = None) -> tuple[int, int]:
    """(firms not 注销 in scope, of which with an active code), in one query."""
    has_code = exists().where(ServiceCode.enterprise_id == Enterprise.id, ServiceCode.revoked_at.is_(None))
    stmt = select(func.count(Enterprise.id), func.count(Enterprise.id).filter(has_code)).where(
        enterprise_scope_clause(user), Enterprise.status != "closed"
    )
    if park_id is not None:
        stmt = stmt.where(Enterprise.park_id == park_id)
    total, with_code = db.session.execute(stmt).one()
    return total or 0, with_code or 0
