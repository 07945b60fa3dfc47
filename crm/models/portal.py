"""企业之声: the firm's own channel (企业服务码), its rate limits, 撤单 and their 质检, 回访抽查.

A firm reaches its service page through a printed link/QR code with an unguessable token; the token
itself is never stored (only its SHA-256, looked up by index and compared in constant time), and it can
be printed again because it is derived from a per-code random nonce with the server's key
(crm.services.portal.codes). Everything the firm does there is a service step whose events name the
firm as the actor (actor_id None, data["by"] = "firm").
"""

from datetime import date, datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model
from crm.models.enterprise import Enterprise
from crm.models.org import Department, Park
from crm.models.problem import Problem
from crm.models.user import User
from crm.timeutil import utcnow

# How a withdrawal was confirmed: by the firm on its page, or by an officer on the phone with the firm.
WITHDRAWAL_VIA = {"firm": "企业在服务页确认", "phone": "电话确认"}
WITHDRAWAL_REVIEWS = {"genuine": "属实", "false": "不属实"}
# 回访抽查: what the officer's call came to.
CALLBACK_STATUSES = {"pending": "待回访", "reached": "已回访", "unreachable": "联系不上"}


class ServiceCode(Model):
    """A firm's 企业服务码: one active code per firm (a partial unique index); revoked ones are kept."""

    __tablename__ = "service_codes"
    __table_args__ = (
        Index(
            "uq_service_codes_active_enterprise",
            "enterprise_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    # Random per code; the token is HMAC(key, nonce), so it can be printed again but not read off the table.
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 hex of the token
    issued_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[Optional[datetime]]
    revoked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[Optional[str]] = mapped_column(String(200))

    enterprise: Mapped[Enterprise] = relationship()
    issued_by: Mapped[Optional[User]] = relationship(foreign_keys=[issued_by_id])
    revoked_by: Mapped[Optional[User]] = relationship(foreign_keys=[revoked_by_id])

    def __repr__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"<ServiceCode firm={self.enterprise_id} {state}>"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class PortalHit(Model):
    """One accepted post on a firm's service page, counted per token and per client address (the rate
    limits read these rows, so every gunicorn worker counts together); old rows are purged."""

    __tablename__ = "portal_hits"
    __table_args__ = (Index("ix_portal_hits_kind_bucket_at", "kind", "bucket", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "submit" (提交诉求) or "act" (评价, 撤单确认)
    bucket: Mapped[str] = mapped_column(String(64))  # "code:<id>" or "addr:<client address>"
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<PortalHit {self.kind} {self.bucket} {self.at:%Y-%m-%d %H:%M:%S}>"


class Withdrawal(Model):
    """One 撤单: asked for by a department, cadre or officer, confirmed by the firm (on its page or by
    phone to an officer), then reviewed in the month's 撤单质检 (属实 / 不属实; 不属实 reopens it)."""

    __tablename__ = "withdrawals"
    __table_args__ = (Index("ix_withdrawals_withdrawn_on", "withdrawn_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    # The department handling the problem when it was withdrawn (a 不属实 counts against it).
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(16))
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    requested_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(500))
    via: Mapped[str] = mapped_column(String(16))  # WITHDRAWAL_VIA
    confirmed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))  # None: the firm
    confirm_note: Mapped[Optional[str]] = mapped_column(String(500))
    withdrawn_on: Mapped[date]
    review: Mapped[Optional[str]] = mapped_column(String(16))  # WITHDRAWAL_REVIEWS; None: not reviewed
    review_note: Mapped[Optional[str]] = mapped_column(String(500))
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reviewed_on: Mapped[Optional[date]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    problem: Mapped[Problem] = relationship()
    enterprise: Mapped[Enterprise] = relationship()
    department: Mapped[Optional[Department]] = relationship()
    requested_by: Mapped[Optional[User]] = relationship(foreign_keys=[requested_by_id])
    confirmed_by: Mapped[Optional[User]] = relationship(foreign_keys=[confirmed_by_id])
    reviewed_by: Mapped[Optional[User]] = relationship(foreign_keys=[reviewed_by_id])

    def __repr__(self) -> str:
        return f"<Withdrawal problem={self.problem_id} {self.withdrawn_on} {self.review or 'pending'}>"

    @property
    def via_label(self) -> str:
        return WITHDRAWAL_VIA.get(self.via, self.via)

    @property
    def review_label(self) -> str:
        return WITHDRAWAL_REVIEWS.get(self.review or "", "待质检")


class PortalSetting(Model):
    """Per park: the 回访抽查 sample (percent, at least N) and when the cadre is reminded to call for a
    rating the firm has not given (working days after 办结). A park without a row uses the defaults."""

    __tablename__ = "portal_settings"

    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), primary_key=True)
    callback_percent: Mapped[int] = mapped_column(default=10)
    callback_min: Mapped[int] = mapped_column(default=1)
    rating_reminder_days: Mapped[int] = mapped_column(default=5)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<PortalSetting park={self.park_id} {self.callback_percent}%>"


class CallbackDraw(Model):
    """The month's 回访抽查 draw for one park: how many problems closed, how many were drawn, with which
    settings. Stored once (unique per park and month), so the sample never changes afterwards."""

    __tablename__ = "callback_draws"
    __table_args__ = (UniqueConstraint("park_id", "month", name="uq_callback_draws_park_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    population: Mapped[int]  # problems closed in the month (销号, not 撤单)
    percent: Mapped[int]
    minimum: Mapped[int]
    drawn_on: Mapped[date]
    drawn_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))  # None: the monthly job
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    park: Mapped[Park] = relationship()
    checks: Mapped[list["CallbackCheck"]] = relationship(
        back_populates="draw", order_by="CallbackCheck.problem_id", viewonly=True
    )

    def __repr__(self) -> str:
        return f"<CallbackDraw park={self.park_id} {self.month} {self.population}>"


class CallbackCheck(Model):
    """One problem of a 回访抽查 sample and what the officer's call found."""

    __tablename__ = "callback_checks"
    __table_args__ = (UniqueConstraint("draw_id", "problem_id", name="uq_callback_checks_draw_problem"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("callback_draws.id"), index=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # CALLBACK_STATUSES
    confirmed: Mapped[Optional[bool]]  # the firm confirms the problem was solved
    satisfaction: Mapped[Optional[str]] = mapped_column(String(16))  # EVALUATIONS
    note: Mapped[Optional[str]] = mapped_column(String(500))
    called_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    called_on: Mapped[Optional[date]]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    draw: Mapped[CallbackDraw] = relationship(back_populates="checks")
    problem: Mapped[Problem] = relationship()
    called_by: Mapped[Optional[User]] = relationship()

    def __repr__(self) -> str:
        return f"<CallbackCheck draw={self.draw_id} problem={self.problem_id} {self.status}>"

    @property
    def status_label(self) -> str:
        return CALLBACK_STATUSES.get(self.status, self.status)
