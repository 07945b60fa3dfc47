"""User accounts: creation, authentication with lock-out, passwords."""
from datetime import datetime, timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Department, Park, User
from crm.models.user import ROLES
from crm.services import ServiceError
from crm.services.audit import record_audit
from crm.services.creditcode import normalize_text


def password_error(password: str) -> Optional[str]:
    """None if the password meets the policy, else a Chinese explanation."""
    minimum = current_app.config.get("PASSWORD_MIN_LENGTH", 8)
    if len(password or "") < minimum:
        return f"密码至少{minimum}位"
    if password.isdigit() or password.isalpha():
        return "密码需同时包含字母和数字"
    return None


def create_user(
    username: str,
    name: str,
    role: str,
    password: str,
    actor: Optional[User] = None,
    park: Optional[Park] = None,
    department: Optional[Department] = None,
    phone: Optional[str] = None,
) -> User:
    """Create an account; the park and department rules follow the role (DESIGN §1)."""
    username = normalize_text(username)
    name = normalize_text(name)
    if not username or not name:
        raise ServiceError("用户名和姓名不能为空")
    if role not in ROLES:
        raise ServiceError(f"未知角色：{role}（可选：{'、'.join(ROLES)}）")
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise ServiceError(f"用户名 {username} 已存在")
    if role in {"officer", "cadre"} and park is None:
        raise ServiceError(f"{ROLES[role]}必须属于一个园区")
    if role == "handler" and department is None:
        raise ServiceError("部门经办必须属于一个部门")
    if (msg := password_error(password)) is not None:
        raise ServiceError(msg)
    if role == "handler" and park is None and department is not None:
        park = department.park
    user = User(
        username=username, name=name, role=role, phone=normalize_text(phone) or None,
        park_id=park.id if park else None, department_id=department.id if department else None,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_audit(actor, "user", user.id, "create", f"新建用户：{name}（{ROLES[role]}）")
    return user


def authenticate(username: str, password: str, now: datetime) -> tuple[Optional[User], Optional[str]]:
    """Check credentials with lock-out; returns (user, None) or (None, Chinese error)."""
    cfg = current_app.config
    user = db.session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))
    generic = "用户名或密码错误"
    if user is None:
        return None, generic
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        return None, f"连续登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试"
    if not user.check_password(password or ""):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= cfg["LOGIN_MAX_FAILURES"]:
            user.failed_logins = 0
            user.locked_until = now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
            return None, f"连续{cfg['LOGIN_MAX_FAILURES']}次密码错误，账号已锁定{cfg['LOGIN_LOCK_MINUTES']}分钟"
        left = cfg["LOGIN_MAX_FAILURES"] - user.failed_logins
        return None, f"{generic}，再错{left}次账号将被锁定"
    if not user.is_active_user:
        return None, "该账号已停用，请联系管理员"
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user, None


def change_password(user: User, old: str, new: str) -> None:
    """Change one's own password after checking the old one and the policy."""
    if not user.check_password(old or ""):
        raise ServiceError("原密码不正确")
    if old == new:
        raise ServiceError("新密码不能与原密码相同")
    if (msg := password_error(new)) is not None:
        raise ServiceError(msg)
    user.set_password(new)
    record_audit(user, "user", user.id, "password", "修改密码")
