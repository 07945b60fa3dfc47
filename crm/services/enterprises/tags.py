"""标签库: the managed list of firm tags, kept by admins. A tag in use is retired (it stays on the firms
and policies that have it, but is no longer offered); one nothing uses may be deleted. Audited."""

import unicodedata
from typing import Any

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Tag, User
from crm.models.policy import policy_tags
from crm.models.profile import enterprise_tags
from crm.permissions import can
from crm.services import ServiceError
from crm.services.common.audit import record_audit
from crm.services.common.validators import refuse_control_chars

TAG_NAME_MAX = 30
SORT_MAX = 9999


def _check(actor: User) -> None:
    if not can(actor, "tag.manage"):
        raise ServiceError("没有维护标签库的权限")


def _key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def _clean(name: Any, sort_order: Any, tag_id: int | None = None) -> tuple[str, int]:
    refuse_control_chars(name, "标签名称")
    text = " ".join(str(name if name is not None else "").split())
    if not text:
        raise ServiceError("请填写标签名称")
    if len(text) > TAG_NAME_MAX:
        raise ServiceError(f"标签名称不能超过{TAG_NAME_MAX}字")
    if any(ch in text for ch in "、,，;；"):
        raise ServiceError("标签名称不能含有顿号、逗号或分号（导入时用它们分隔多个标签）")
    try:
        order = (
            int(unicodedata.normalize("NFKC", str(sort_order)).strip() or 0) if sort_order is not None else 0
        )
    except ValueError:
        raise ServiceError(f"排序应为0到{SORT_MAX}之间的整数") from None
    if not 0 <= order <= SORT_MAX:
        raise ServiceError(f"排序应为0到{SORT_MAX}之间的整数")
    for other in db.session.scalars(select(Tag)):
        if other.id != tag_id and _key(other.name) == _key(text):
            raise ServiceError(f"标签“{other.name}”已存在")
    return text, order


def create_tag(actor: User, name: Any, sort_order: Any = 0) -> Tag:
    """Add a tag to the list."""
    _check(actor)
    text, order = _clean(name, sort_order)
    tag = Tag(name=text, sort_order=order)
    db.session.add(tag)
    db.session.flush()
    record_audit(actor, "tag", tag.id, "create", f"新增标签：{tag.name}")
    return tag


def update_tag(actor: User, tag: Tag, name: Any, sort_order: Any = 0) -> dict[str, tuple[Any, Any]]:
    """Rename or reorder a tag (firms and policies keep it); returns the changes."""
    _check(actor)
    text, order = _clean(name, sort_order, tag.id)
    changes = {
        k: (getattr(tag, k), v) for k, v in (("name", text), ("sort_order", order)) if getattr(tag, k) != v
    }
    for key, (_old, new) in changes.items():
        setattr(tag, key, new)
    if changes:
        record_audit(actor, "tag", tag.id, "update", f"修改标签：{tag.name}", changes)
        db.session.flush()
    return changes


def tag_usage(tag_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{tag id: (firms, policies)} using each tag, in two queries."""
    if not tag_ids:
        return {}
    firms: dict[int, int] = dict(
        db.session.execute(
            select(enterprise_tags.c.tag_id, func.count())
            .where(enterprise_tags.c.tag_id.in_(tag_ids))
            .group_by(enterprise_tags.c.tag_id)
        ).all()
    )
    policies: dict[int, int] = dict(
        db.session.execute(
            select(policy_tags.c.tag_id, func.count())
            .where(policy_tags.c.tag_id.in_(tag_ids))
            .group_by(policy_tags.c.tag_id)
        ).all()
    )
    return {i: (firms.get(i, 0), policies.get(i, 0)) for i in tag_ids}


def set_tag_active(actor: User, tag: Tag, active: bool) -> None:
    """Retire a tag (no longer offered) or restore it."""
    _check(actor)
    if tag.is_active == active:
        raise ServiceError(f"标签“{tag.name}”{'已在使用中' if active else '已停用'}")
    tag.is_active = active
    record_audit(
        actor,
        "tag",
        tag.id,
        "restore" if active else "retire",
        f"{'恢复' if active else '停用'}标签：{tag.name}",
    )
    db.session.flush()


def delete_tag(actor: User, tag: Tag) -> None:
    """Delete a tag nothing uses; one in use is refused (retire it instead)."""
    _check(actor)
    firms, policies = tag_usage([tag.id])[tag.id]
    if firms or policies:
        used = "、".join(
            x for x in (f"{firms}家企业" if firms else "", f"{policies}项政策" if policies else "") if x
        )
        raise ServiceError(f"标签“{tag.name}”正被{used}使用，不能删除，可以停用")
    record_audit(actor, "tag", tag.id, "delete", f"删除标签：{tag.name}")
    db.session.delete(tag)
    db.session.flush()
