"""一企一人: assigning a firm's liaison cadre, reassigning, and whole-caseload handover."""

from datetime import date, timedelta
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import Assignment, Enterprise, Handover, User
from crm.permissions import can, manages_park
from crm.services import ServiceError
from crm.services.assignments.caseload import handover_problems, handover_token
from crm.services.common.audit import record_audit
from crm.services.common.validators import refuse_control_chars
from crm.services.notifications.settle import settle_firm_reminders

HANDOVER_REASONS = {
    "post_change": "岗位调整",
    "leave": "离岗",
    "retire": "退休",
    "resign": "退职",
    "other": "其他",
}
# The successor should visit every handed-over firm within this many days.
HANDOVER_FIRST_VISIT_DAYS = 15


def _check_cadre(cadre: User, firm_park_id: int) -> None:
    if cadre.role != "cadre":
        raise ServiceError(f"{cadre.name} 不是联企干部，不能担任联系干部")
    if not cadre.is_active_user:
        raise ServiceError(f"{cadre.name} 的账号已停用，不能担任联系干部")
    if cadre.park_id is not None and cadre.park_id != firm_park_id:
        raise ServiceError(f"{cadre.name} 不属于该企业所在园区")


def start_first_assignment(
    firm: Enterprise, cadre: User, actor: User, today: date, reason: str
) -> Assignment:
    """The first liaison of a firm that has none yet (a firm an import has just created): the checks of
    assign_enterprise without its query; added, not flushed. The caller flushes, then audits it
    (audit_first_assignment)."""
    if not can(actor, "enterprise.assign", firm):
        raise ServiceError("没有分配联系干部的权限")
    _check_cadre(cadre, firm.park_id)
    refuse_control_chars(reason, "原因")
    new = Assignment(
        enterprise_id=firm.id,
        cadre_id=cadre.id,
        start_on=today,
        reason=(reason or "").strip() or None,
        assigned_by_id=actor.id,
    )
    db.session.add(new)
    return new


def audit_first_assignment(actor: User, assignment: Assignment, cadre: User) -> None:
    summary = f"分配联系干部：{cadre.name}" + (f"（{assignment.reason}）" if assignment.reason else "")
    record_audit(
        actor,
        "assignment",
        assignment.id,
        "assign",
        summary,
        {"cadre": (None, cadre.name)},
        enterprise_id=assignment.enterprise_id,
    )


def assign_enterprise(
    firm: Enterprise, cadre: User, actor: User, today: date, reason: str = ""
) -> Assignment:
    """Make cadre the firm's liaison from today, closing the current assignment (history is kept)."""
    if not can(actor, "enterprise.assign", firm):
        raise ServiceError("没有分配联系干部的权限")
    _check_cadre(cadre, firm.park_id)
    refuse_control_chars(reason, "原因")
    reason = (reason or "").strip()
    current = db.session.scalar(
        select(Assignment).where(Assignment.enterprise_id == firm.id, Assignment.end_on.is_(None))
    )
    if current is not None and current.cadre_id == cadre.id:
        raise ServiceError(f"{cadre.name} 已是该企业的联系干部")
    old_name = None
    if current is not None:
        if current.start_on > today:
            raise ServiceError("当前联系关系的开始日期晚于今天，无法调整")
        current.end_on = today
        current.end_reason = reason or "重新分配"
        old_name = current.cadre.name
        db.session.flush()  # the old row must be closed before the partial unique index sees the new one
    new = Assignment(
        enterprise_id=firm.id,
        cadre_id=cadre.id,
        start_on=today,
        reason=reason or None,
        assigned_by_id=actor.id,
    )
    db.session.add(new)
    db.session.flush()
    db.session.expire(firm, ["active_assignment"])
    summary = f"联系干部：{old_name} → {cadre.name}" if old_name else f"分配联系干部：{cadre.name}"
    if reason:
        summary += f"（{reason}）"
    record_audit(
        actor,
        "assignment",
        new.id,
        "reassign" if old_name else "assign",
        summary,
        {"cadre": (old_name, cadre.name)},
        enterprise_id=firm.id,
    )
    return new


def unassign_enterprise(firm: Enterprise, actor: User, today: date, reason: str) -> Assignment:
    """End the firm's current liaison without a successor (e.g. the firm closed)."""
    if not can(actor, "enterprise.assign", firm):
        raise ServiceError("没有调整联系干部的权限")
    refuse_control_chars(reason, "解除原因")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("请填写解除联系的原因")
    current = db.session.scalar(
        select(Assignment).where(Assignment.enterprise_id == firm.id, Assignment.end_on.is_(None))
    )
    if current is None:
        raise ServiceError("该企业当前没有联系干部")
    current.end_on = today
    current.end_reason = reason
    db.session.flush()
    db.session.expire(firm, ["active_assignment"])
    record_audit(
        actor,
        "assignment",
        current.id,
        "unassign",
        f"解除联系干部：{current.cadre.name}（{reason}）",
        {"cadre": (current.cadre.name, None)},
        enterprise_id=firm.id,
    )
    return current


def active_assignments_of(cadre: User) -> list[Assignment]:
    """The cadre's current assignments with their firms loaded."""
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.cadre_id == cadre.id, Assignment.end_on.is_(None))
            .options(selectinload(Assignment.enterprise))
            .order_by(Assignment.id)
        )
    )


def check_handover(
    from_cadre: User, to_cadre: User, actor: User, reason: str, note: str = ""
) -> list[Assignment]:
    """The checks of a handover (rights, reason, both cadres); returns from_cadre's current assignments."""
    if not can(actor, "handover.manage"):
        raise ServiceError("没有办理交接的权限")
    if reason not in HANDOVER_REASONS:
        raise ServiceError("请选择交接原因（岗位调整/离岗/退休/退职/其他）")
    refuse_control_chars(note, "交接说明", multiline=True)
    if reason == "other" and not (note or "").strip():
        raise ServiceError("交接原因为“其他”时请填写说明")
    if from_cadre.id == to_cadre.id:
        raise ServiceError("移交人和接收人不能是同一人")
    if from_cadre.role != "cadre":
        raise ServiceError(f"{from_cadre.name} 不是联企干部")
    if not manages_park(actor, from_cadre.park_id):
        raise ServiceError("只能办理本园区干部的交接")
    current = active_assignments_of(from_cadre)
    if not current:
        raise ServiceError(f"{from_cadre.name} 名下没有联系企业，无需交接")
    for row in current:
        _check_cadre(to_cadre, row.enterprise.park_id)
    return current


def handover_caseload(
    from_cadre: User,
    to_cadre: User,
    actor: User,
    today: date,
    reason: str,
    note: str = "",
    first_visit_days: Optional[int] = None,
    confirms: Optional[str] = None,
) -> Handover:
    """Move every firm of from_cadre to to_cadre in one transaction, with a handover list.

    confirms: the fingerprint of the preview the officer confirmed (crm.services.visits.handover);
    when given, a caseload that changed since (a firm or an open problem more or less) is refused.
    The predecessor's pending reminders about the firms are done: the successor is reminded from now on.
    """
    current = check_handover(from_cadre, to_cadre, actor, reason, note)
    days = HANDOVER_FIRST_VISIT_DAYS if first_visit_days is None else first_visit_days
    if confirms is not None:
        problems = handover_problems(current)
        seen = handover_token(
            from_cadre, to_cadre, reason, note, days, [a.id for a in current], [p.id for p in problems]
        )
        if seen != confirms:
            raise ServiceError(
                "交接内容在预览后有变化（交接人、原因、期限或名下企业、在办问题有增减），请核对新的预览后再确认"
            )
    label = HANDOVER_REASONS[reason]
    handover = Handover(
        from_cadre_id=from_cadre.id,
        to_cadre_id=to_cadre.id,
        reason=reason,
        note=(note or "").strip() or None,
        handed_on=today,
        first_visit_due_on=today + timedelta(days=days),
        created_by_id=actor.id,
    )
    db.session.add(handover)
    db.session.flush()
    for row in current:
        row.end_on = today
        row.end_reason = f"交接：{label}"
        # The firm's cached liaison must not outlive the handover in this session (scope checks use it).
        db.session.expire(row.enterprise, ["active_assignment"])
    db.session.flush()
    for row in current:
        new = Assignment(
            enterprise_id=row.enterprise_id,
            cadre_id=to_cadre.id,
            start_on=today,
            reason=f"交接：{label}",
            assigned_by_id=actor.id,
            handover_id=handover.id,
            first_visit_due_on=handover.first_visit_due_on,
        )
        db.session.add(new)
        db.session.flush()
        record_audit(
            actor,
            "assignment",
            new.id,
            "handover",
            f"联系干部交接：{from_cadre.name} → {to_cadre.name}（{label}）",
            {"cadre": (from_cadre.name, to_cadre.name)},
            enterprise_id=row.enterprise_id,
        )
    record_audit(
        actor,
        "handover",
        handover.id,
        "create",
        f"{from_cadre.name} 的 {len(current)} 家企业移交给 {to_cadre.name}（{label}）",
    )
    settle_firm_reminders(
        from_cadre.id,
        [row.enterprise_id for row in current],
        f"企业已交接给 {to_cadre.name}（{today:%Y-%m-%d}）",
    )
    return handover
