"""Admins keep the reference data: create and edit parks, industry chains and departments (with their
部门负责人), retire what is in use, restore it, delete what nothing uses. Every change is audited.

Names are kept as typed (（） and all), only trimmed with inner spaces collapsed; two names that differ only
in width, case or spacing count as the same name. Codes are half-width upper case.
"""

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Department, Enterprise, IndustryChain, Park, ParkSetting, Problem, User
from crm.permissions import can
from crm.services import ServiceError
from crm.services.common.audit import record_audit
from crm.services.common.validators import refuse_control_chars
from crm.services.reference.usage import ENTITIES, LABELS, Reference, usage_of

PARK_NAME_MAX = 100
PARK_CODE_MAX = 32
CHAIN_NAME_MAX = 50
DEPARTMENT_NAME_MAX = 100
SORT_MAX = 9999
_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]*")
CITY_LEVEL = "市级（服务全部园区）"


# --- field rules ------------------------------------------------------------------------------------


def _check(actor: Optional[User]) -> None:
    if actor is None or not can(actor, "reference.manage"):
        raise ServiceError("没有维护基础数据的权限")


def clean_name(value: Any, label: str, max_len: int) -> str:
    """A required one-line name as typed: trimmed, inner spaces collapsed, no control characters."""
    refuse_control_chars(value, label)
    text = " ".join(str(value if value is not None else "").split())
    if not text:
        raise ServiceError(f"请填写{label}")
    if len(text) > max_len:
        raise ServiceError(f"{label}不能超过{max_len}字")
    return text


def name_key(name: str) -> str:
    """What makes two names the same: width, case and spaces ignored."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def clean_code(value: Any) -> str:
    """A park code: half-width, upper case, letters, digits, - and _."""
    refuse_control_chars(value, "园区代码")
    text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip().upper()
    if not text:
        raise ServiceError("请填写园区代码")
    if len(text) > PARK_CODE_MAX:
        raise ServiceError(f"园区代码不能超过{PARK_CODE_MAX}位")
    if not _CODE.fullmatch(text):
        raise ServiceError("园区代码只能由字母、数字、- 和 _ 组成，且以字母或数字开头")
    return text


def clean_sort_order(value: Any) -> int:
    """A chain's place in lists: a whole number from 0 to SORT_MAX (blank: 0)."""
    if value is None or str(value).strip() == "":
        return 0
    try:
        number = int(unicodedata.normalize("NFKC", str(value)).strip())
    except ValueError:
        raise ServiceError(f"排序应为0到{SORT_MAX}之间的整数") from None
    if not 0 <= number <= SORT_MAX:
        raise ServiceError(f"排序应为0到{SORT_MAX}之间的整数")
    return number


def _retired_hint(item: Reference) -> str:
    return "（已停用，可在列表中恢复启用）" if not item.is_active else ""


def _unique_name(model: Any, name: str, label: str, exclude: Optional[int], *where: Any) -> None:
    key = name_key(name)
    for other in db.session.scalars(select(model).where(*where)):
        if other.id != exclude and name_key(other.name) == key:
            raise ServiceError(f"{label}“{other.name}”已存在{_retired_hint(other)}")


def _audit(actor: User, item: Reference, action: str, summary: str, changes=None) -> None:
    record_audit(actor, ENTITIES[type(item)], item.id, action, summary, changes)


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {key: (before[key], after[key]) for key in before if before[key] != after[key]}


# --- parks --------------------------------------------------------------------------------------------


def _check_park(code: str, name: str, exclude: Optional[int] = None) -> None:
    other = db.session.scalar(select(Park).where(func.upper(Park.code) == code, Park.id != (exclude or 0)))
    if other is not None:
        raise ServiceError(f"园区代码 {code} 已被“{other.name}”使用{_retired_hint(other)}")
    _unique_name(Park, name, "园区", exclude)


def create_park(actor: User, code: Any, name: Any) -> Park:
    """A new park (code, name); both unique."""
    _check(actor)
    code, name = clean_code(code), clean_name(name, "园区名称", PARK_NAME_MAX)
    _check_park(code, name)
    park = Park(code=code, name=name)
    db.session.add(park)
    db.session.flush()
    _audit(actor, park, "create", f"新建园区：{name}（{code}）")
    return park


def update_park(actor: User, park: Park, code: Any, name: Any) -> dict[str, tuple[Any, Any]]:
    """Change a park's code and name; returns {label: (old, new)} (empty when nothing changed)."""
    _check(actor)
    code, name = clean_code(code), clean_name(name, "园区名称", PARK_NAME_MAX)
    _check_park(code, name, exclude=park.id)
    changes = _diff({"代码": park.code, "名称": park.name}, {"代码": code, "名称": name})
    if changes:
        park.code, park.name = code, name
        db.session.flush()
        _audit(actor, park, "update", f"修改园区 {name}：{'、'.join(changes)}", changes)
    return changes


# --- industry chains ------------------------------------------------------------------------------------


def create_chain(actor: User, name: Any, sort_order: Any = None) -> IndustryChain:
    """A new industry chain; names are unique."""
    _check(actor)
    name, order = clean_name(name, "产业链名称", CHAIN_NAME_MAX), clean_sort_order(sort_order)
    _unique_name(IndustryChain, name, "产业链", None)
    chain = IndustryChain(name=name, sort_order=order)
    db.session.add(chain)
    db.session.flush()
    _audit(actor, chain, "create", f"新建产业链：{name}")
    return chain


def update_chain(actor: User, chain: IndustryChain, name: Any, sort_order: Any) -> dict[str, tuple[Any, Any]]:
    """Rename a chain or move it in the lists; returns {label: (old, new)}."""
    _check(actor)
    name, order = clean_name(name, "产业链名称", CHAIN_NAME_MAX), clean_sort_order(sort_order)
    _unique_name(IndustryChain, name, "产业链", chain.id)
    changes = _diff({"名称": chain.name, "排序": chain.sort_order}, {"名称": name, "排序": order})
    if changes:
        chain.name, chain.sort_order = name, order
        db.session.flush()
        _audit(actor, chain, "update", f"修改产业链 {name}：{'、'.join(changes)}", changes)
    return changes


# --- departments ------------------------------------------------------------------------------------------


def _level(park: Optional[Park]) -> str:
    return park.name if park else CITY_LEVEL


def _check_department(name: str, park: Optional[Park], dept: Optional[Department] = None) -> None:
    if park is not None and not park.is_active and (dept is None or dept.park_id != park.id):
        raise ServiceError(f"园区“{park.name}”已停用，不能在其下设立部门")
    same_level = Department.park_id == park.id if park else Department.park_id.is_(None)
    label = f"{park.name}的部门" if park else "市级部门"
    _unique_name(Department, name, label, dept.id if dept else None, same_level)


def _check_move(dept: Department, park: Optional[Park]) -> None:
    """A department moves to one park only if its users and problems all belong there."""
    if park is None or park.id == dept.park_id:
        return
    users = db.session.scalar(
        select(func.count(User.id)).where(
            User.department_id == dept.id, User.park_id.is_not(None), User.park_id != park.id
        )
    )
    if users:
        raise ServiceError(f"部门有 {users} 名用户属于其他园区，不能改为{park.name}的部门")
    problems = db.session.scalar(
        select(func.count(Problem.id))
        .join(Enterprise, Enterprise.id == Problem.enterprise_id)
        .where(Problem.department_id == dept.id, Enterprise.park_id != park.id)
    )
    if problems:
        raise ServiceError(f"部门承办过 {problems} 件其他园区企业的问题，不能改为{park.name}的部门")


def create_department(actor: User, name: Any, park: Optional[Park]) -> Department:
    """A new department of a park, or a city-level one (park None) serving every park."""
    _check(actor)
    name = clean_name(name, "部门名称", DEPARTMENT_NAME_MAX)
    _check_department(name, park)
    dept = Department(name=name, park_id=park.id if park else None)
    db.session.add(dept)
    db.session.flush()
    _audit(actor, dept, "create", f"新建部门：{name}（{_level(park)}）")
    return dept


def _heads(handlers: Iterable[User]) -> str:
    return "、".join(u.name for u in handlers if u.is_dept_head) or "无"


def _set_heads(actor: User, dept: Department, head_ids: Iterable[int]) -> None:
    """Make exactly these handlers of the department its 部门负责人 (each on the user's trail too)."""
    handlers = list(
        db.session.scalars(
            select(User).where(User.department_id == dept.id, User.role == "handler").order_by(User.id)
        )
    )
    wanted = set(head_ids)
    if wanted - {u.id for u in handlers}:
        raise ServiceError("部门负责人只能从本部门的部门经办中选择")
    for user in handlers:
        head = user.id in wanted
        if user.is_dept_head != head:
            user.is_dept_head = head
            change = {"部门负责人": ("否", "是") if head else ("是", "否")}
            record_audit(actor, "user", user.id, "update", f"修改用户 {user.username}：部门负责人", change)


def update_department(
    actor: User,
    dept: Department,
    name: Any,
    park: Optional[Park],
    head_ids: Optional[Iterable[int]] = None,
) -> dict[str, tuple[Any, Any]]:
    """Rename a department, change its level, choose its 部门负责人 (head_ids None: keep them).

    Returns {label: (old, new)}.
    """
    _check(actor)
    name = clean_name(name, "部门名称", DEPARTMENT_NAME_MAX)
    _check_department(name, park, dept)
    _check_move(dept, park)
    handlers = db.session.scalars(select(User).where(User.department_id == dept.id, User.role == "handler"))
    before = {"名称": dept.name, "层级": _level(dept.park), "部门负责人": _heads(handlers)}
    if head_ids is not None:
        _set_heads(actor, dept, head_ids)
    dept.name, dept.park_id = name, park.id if park else None
    db.session.flush()
    db.session.expire(dept, ["park"])
    handlers = db.session.scalars(select(User).where(User.department_id == dept.id, User.role == "handler"))
    changes = _diff(before, {"名称": name, "层级": _level(park), "部门负责人": _heads(handlers)})
    if changes:
        _audit(actor, dept, "update", f"修改部门 {name}：{'、'.join(changes)}", changes)
    return changes


# --- retiring, restoring, deleting (every kind) -------------------------------------------------------------


def retire_reference(actor: User, item: Reference, now: datetime) -> None:
    """Stop offering a park, chain or department for new records; records that use it keep it."""
    _check(actor)
    label = LABELS[type(item)]
    if not item.is_active:
        raise ServiceError(f"{label}“{item.name}”已是停用状态")
    item.is_active, item.retired_at = False, now
    db.session.flush()
    _audit(actor, item, "retire", f"停用{label}：{item.name}")


def restore_reference(actor: User, item: Reference) -> None:
    """Offer a retired park, chain or department again."""
    _check(actor)
    label = LABELS[type(item)]
    if item.is_active:
        raise ServiceError(f"{label}“{item.name}”已是启用状态")
    if isinstance(item, Department) and item.park is not None and not item.park.is_active:
        raise ServiceError(f"所属园区“{item.park.name}”已停用，请先恢复园区")
    item.is_active, item.retired_at = True, None
    db.session.flush()
    _audit(actor, item, "restore", f"恢复启用{label}：{item.name}")


def delete_reference(actor: User, item: Reference) -> str:
    """Delete a park, chain or department nothing uses; one in use is refused (retire it instead).

    Returns the deleted row's name.
    """
    _check(actor)
    label = LABELS[type(item)]
    usage = usage_of(item)
    if usage.in_use:
        raise ServiceError(f"{label}“{item.name}”已被使用（{usage.describe()}），不能删除，只能停用")
    name, item_id = item.name, item.id
    code = f"（{item.code}）" if isinstance(item, Park) else ""
    if isinstance(item, Park) and (setting := db.session.get(ParkSetting, item.id)) is not None:
        db.session.delete(setting)
        db.session.flush()  # before the park: no relationship tells the unit of work the order
    db.session.delete(item)
    db.session.flush()
    record_audit(actor, ENTITIES[type(item)], item_id, "delete", f"删除{label}：{name}{code}")
    return name
