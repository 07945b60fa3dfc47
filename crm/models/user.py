"""Users and roles."""

from datetime import datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from crm.extensions import Model
from crm.models.org import Department, Park
from crm.timeutil import utcnow

LEADER_LEVELS = {3: "区分管领导", 4: "区主要领导"}
ROLES = {
    "admin": "系统管理员",
    "officer": "园区管理员",
    "leader": "领导",
    "cadre": "联企干部",
    "handler": "部门经办",
}


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16), index=True)
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    park_id: Mapped[Optional[int]] = mapped_column(ForeignKey("parks.id"), index=True)
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    # 四级协调: a handler who heads their department receives level-2 escalations; a leader's
    # level is 3 (区分管领导) or 4 (区主要领导).
    is_dept_head: Mapped[bool] = mapped_column(default=False)
    leader_level: Mapped[Optional[int]]
    password_hash: Mapped[str] = mapped_column(String(256))
    is_active_user: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[Optional[datetime]]
    last_login_at: Mapped[Optional[datetime]]
    # Every session and remember cookie names the generation it was signed in under (get_id); raising it
    # ends them all at once: logout, password change or reset, deactivation, 退出其他设备.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    park: Mapped[Optional[Park]] = relationship()
    department: Mapped[Optional[Department]] = relationship()

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_user

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember cookie: "<id>:<generation>", so an id
        from before the account's sessions were last ended no longer matches."""
        return f"{self.id}:{self.session_generation}"

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def escalation_level(self) -> Optional[int]:
        """The escalation level this user answers for (2 department head, 3/4 leaders), if any."""
        if self.role == "leader":
            return self.leader_level or 3
        if self.role == "handler" and self.is_dept_head:
            return 2
        return None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class LoginFailure(Model):
    """One failed login from one client address: the per-client throttle counts these (across usernames,
    in the database so every gunicorn worker sees them); rows older than the window are purged."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_client_at", "client_ip", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_ip: Mapped[str] = mapped_column(String(45))  # IPv6 at most 45 characters
    username: Mapped[str] = mapped_column(String(64), default="")  # as typed (truncated), for the log
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<LoginFailure {self.client_ip} {self.at:%Y-%m-%d %H:%M:%S}>"
