"""User accounts: creation, administration, the password policy and resets."""

from datetime import datetime
from typing import Any, Optional

from flask import current_app
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Assignment, Department, Park, User
from crm.models.user import LEADER_LEVELS, ROLES
from crm.permissions import can
from crm.services import ServiceError
from crm.services.common.audit import record_audit
from crm.services.common.creditcode import keep_text, normalize_text
from crm.services.common.validators import refuse_control_chars_in
from crm.services.users.sessions import end_sessions


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
    password_hash: Optional[str] = None,
    is_dept_head: bool = False,
    leader_level: Optional[int] = None,
) -> User:
    """Create an account; the park and department rules follow the role (DESIGN §1).

    is_dept_head (handlers only) and leader_level (leaders only: 3 区分管领导 or 4 区主要领导, default 3)
    say who receives escalated problems (四级协调).

    password_hash: the caller's ready hash of `password`, for bulk loads (demo, import) that give many
    accounts the same initial password: hashing costs ~0.15 s per call and would dominate them.
    """
    refuse_control_chars_in({"用户名": username, "姓名": name, "电话": phone})
    username = normalize_text(username)
    name = keep_text(name)
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
    _check_active_placement(park, department)
    if role == "handler" and park is None and department is not None:
        park = department.park
    _check_department_park(park, department)
    is_dept_head, leader_level = _escalation_fields(role, is_dept_head, leader_level)
    user = User(
        username=username,
        name=name,
        role=role,
        phone=normalize_text(phone) or None,
        park_id=park.id if park else None,
        department_id=department.id if department else None,
        is_dept_head=is_dept_head,
        leader_level=leader_level,
    )
    if password_hash:
        user.password_hash = password_hash
    else:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_audit(actor, "user", user.id, "create", f"新建用户：{name}（{ROLES[role]}）")
    return user


# --- administration (admin role: "user.manage") ---------------------------------------------------


def _check_department_park(park: Optional[Park], department: Optional[Department]) -> None:
    if (
        department is not None
        and department.park_id is not None
        and park is not None
        and department.park_id != park.id
    ):
        raise ServiceError(f"部门 {department.name} 不属于 {park.name}，请重新选择部门或园区")


def _check_active_placement(
    park: Optional[Park], department: Optional[Department], user: Optional[User] = None
) -> None:
    """A retired park or department keeps the users it has but takes no one new."""
    if park is not None and not park.is_active and (user is None or user.park_id != park.id):
        raise ServiceError(f"园区“{park.name}”已停用，请选择其他园区")
    held = user.department_id if user else None
    if department is not None and not department.is_active and held != department.id:
        raise ServiceError(f"部门“{department.name}”已停用，请选择其他部门")


def _escalation_fields(role: str, is_dept_head: bool, leader_level: Any) -> tuple[bool, Optional[int]]:
    """Check 部门负责人 and 领导级别 against the role; a leader's level defaults to 3 (区分管领导)."""
    if is_dept_head and role != "handler":
        raise ServiceError("只有部门经办可以设为部门负责人")
    if leader_level in ("", None):
        leader_level = None
    else:
        try:
            leader_level = int(leader_level)
        except (TypeError, ValueError):
            raise ServiceError("领导级别应为 3（区分管领导）或 4（区主要领导）") from None
    if role != "leader":
        if leader_level is not None:
            raise ServiceError("只有领导需要设置领导级别，其他角色请选“无”")
        return bool(is_dept_head), None
    if leader_level is None:
        leader_level = 3
    if leader_level not in LEADER_LEVELS:
        raise ServiceError("领导级别应为 3（区分管领导）或 4（区主要领导）")
    return False, leader_level


def _check_manager(actor: Optional[User]) -> None:
    # actor None is the CLI, which runs with the server's own rights.
    if actor is not None and not can(actor, "user.manage"):
        raise ServiceError("没有管理用户的权限")


def active_firm_count(user: User) -> int:
    """How many firms the user currently serves as liaison cadre (0 for other roles)."""
    return (
        db.session.scalar(
            select(func.count(Assignment.id)).where(
                Assignment.cadre_id == user.id, Assignment.end_on.is_(None)
            )
        )
        or 0
    )


def _is_last_active_admin(user: User) -> bool:
    if user.role != "admin" or not user.is_active_user:
        return False
    others = db.session.scalar(
        select(func.count(User.id)).where(
            User.role == "admin", User.is_active_user.is_(True), User.id != user.id
        )
    )
    return not others


def is_locked(user: User, now: datetime) -> bool:
    """Whether the account is locked out after failed logins at the given moment (naive UTC)."""
    return user.locked_until is not None and user.locked_until > now


def _readable(user: User) -> dict[str, Any]:
    """The editable fields as a user reads them (names, not ids), keyed by their Chinese labels."""
    return {
        "姓名": user.name,
        "电话": user.phone,
        "角色": user.role_label,
        "园区": user.park.name if user.park else None,
        "部门": user.department.name if user.department else None,
        "部门负责人": "是" if user.is_dept_head else "否",
        "领导级别": LEADER_LEVELS.get(user.leader_level) if user.leader_level else None,
    }


def update_user(
    user: User,
    actor: Optional[User],
    name: str,
    role: str,
    park: Optional[Park] = None,
    department: Optional[Department] = None,
    phone: Optional[str] = None,
    is_dept_head: Optional[bool] = None,
    leader_level: Optional[int] = None,
) -> dict[str, tuple[Any, Any]]:
    """Change name, phone, role, park, department, 部门负责人 and 领导级别; refuses changes that would strand
    a cadre's firms. is_dept_head / leader_level None: keep the current value where the new role allows it.
    """
    _check_manager(actor)
    refuse_control_chars_in({"姓名": name, "电话": phone})
    name = keep_text(name)
    if not name:
        raise ServiceError("姓名不能为空")
    if role not in ROLES:
        raise ServiceError(f"未知角色：{role}（可选：{'、'.join(ROLES)}）")
    if role in {"officer", "cadre"} and park is None:
        raise ServiceError(f"{ROLES[role]}必须属于一个园区")
    if role == "handler" and department is None:
        raise ServiceError("部门经办必须属于一个部门")
    _check_active_placement(park, department, user)
    if role == "handler" and park is None and department is not None:
        park = department.park
    _check_department_park(park, department)
    if is_dept_head is None:
        is_dept_head = user.is_dept_head and role == "handler"
    if leader_level is None and role == "leader" and user.role == "leader":
        leader_level = user.leader_level
    is_dept_head, leader_level = _escalation_fields(role, is_dept_head, leader_level)
    if role != user.role:
        if actor is not None and actor.id == user.id:
            raise ServiceError("不能修改自己的角色")
        if _is_last_active_admin(user):
            raise ServiceError("系统中至少要保留一个启用的系统管理员")
    park_id = park.id if park else None
    if user.role == "cadre" and (role != "cadre" or park_id != user.park_id):
        if firms := active_firm_count(user):
            what = "改为其他角色" if role != "cadre" else "调整所属园区"
            raise ServiceError(f"{user.name} 名下还有 {firms} 家联系企业，不能{what}，请先办理交接")
    before = _readable(user)
    user.name, user.phone, user.role = name, normalize_text(phone) or None, role
    user.park_id, user.department_id = park_id, department.id if department else None
    user.is_dept_head, user.leader_level = is_dept_head, leader_level
    db.session.flush()
    db.session.expire(user, ["park", "department"])
    after = _readable(user)
    changes = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    if changes:
        summary = f"修改用户 {user.username}：{'、'.join(changes)}"
        record_audit(actor, "user", user.id, "update", summary, changes)
    return changes


def reset_password(user: User, new_password: str, actor: Optional[User]) -> None:
    """An administrator sets a new password for someone who forgot theirs (policy-checked); every session
    of the account ends."""
    _check_manager(actor)
    if (msg := password_error(new_password)) is not None:
        raise ServiceError(msg)
    user.set_password(new_password)
    user.failed_logins = 0
    end_sessions(user)  # whoever held the old password is signed out too
    record_audit(actor, "user", user.id, "reset_password", f"重置用户 {user.username} 的密码")


def set_active(user: User, active: bool, actor: Optional[User]) -> None:
    """Enable or disable an account (disabling ends its sessions); a cadre who still serves firms must be
    handed over first."""
    _check_manager(actor)
    if user.is_active_user == active:
        raise ServiceError("该账号已是启用状态" if active else "该账号已是停用状态")
    if not active:
        if actor is not None and actor.id == user.id:
            raise ServiceError("不能停用自己的账号")
        if _is_last_active_admin(user):
            raise ServiceError("系统中至少要保留一个启用的系统管理员")
        if firms := active_firm_count(user):
            raise ServiceError(f"{user.name} 名下还有 {firms} 家联系企业，请先办理交接")
    user.is_active_user = active
    if not active:
        end_sessions(user)  # so that enabling the account again does not revive its old sessions
    db.session.flush()
    record_audit(
        actor,
        "user",
        user.id,
        "activate" if active else "deactivate",
        f"{'启用' if active else '停用'}用户 {user.username}",
        {"启用": (not active, active)},
    )


def unlock_user(user: User, actor: Optional[User], now: datetime) -> None:
    """Lift a lock-out caused by repeated failed logins before it expires."""
    _check_manager(actor)
    if not is_locked(user, now):
        raise ServiceError("该账号当前未被锁定")
    user.locked_until = None
    user.failed_logins = 0
    db.session.flush()
    record_audit(actor, "user", user.id, "unlock", f"解除用户 {user.username} 的登录锁定")
