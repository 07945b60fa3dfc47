"""典型案例: promoting a closed problem into the park's library of solved cases, editing, withdrawing
(撤下) and restoring a case. Every change is audited; an edit carries the version its form showed.

A case is written for firms to read: the office edits the title and a plain summary, names the rule or
policy that applied and the department that solved it, and tags it. The text may not name the firm
the problem came from (firms of the park read the case on their service page).
"""

import re
from typing import Any, Optional

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from crm.extensions import db
from crm.models import Department, Policy, Problem, TypicalCase, User
from crm.models.problem import PROBLEM_CATEGORIES
from crm.permissions import can, visible_policies
from crm.services import ServiceError
from crm.services.common.args import MAX_ID
from crm.services.common.audit import record_audit
from crm.services.common.locking import check_version
from crm.services.common.validators import (
    clean_multiline,
    clean_text,
    parse_choice,
    refuse_control_chars,
)
from crm.services.knowledge.similar import answered_from_counts

STALE_CASE = "该案例已被其他人修改，您的修改未保存，请查看最新内容后重试"
TITLE_MAX = 200
SUMMARY_MAX = 2000
BASIS_MAX = 500
TAG_MAX = 20
TAGS_MAX = 10
REASON_MAX = 300
# Tags are typed in one box, separated by commas (half- or full-width), 顿号, semicolons or line breaks.
_TAG_SPLIT = re.compile(r"[,，、;；\n\r]+")
LABELS = {
    "title": "案例标题",
    "category": "问题类别",
    "summary": "解决经过",
    "basis": "政策或规定依据",
    "policy_id": "关联政策",
    "department_id": "解决部门",
    "tags": "标签",
}
ENTITY = "typical_case"


def promotion_refusal(problem: Problem) -> Optional[str]:
    """Why this problem cannot become a case (a Chinese sentence), or None when it can.

    Only a problem closed after the firm's evaluation qualifies: a withdrawn problem (撤单) was never
    solved, and a forced close (强制销号) was closed without the firm's word that it was.
    """
    if problem.status != "closed":
        return "只有已销号的问题才能设为典型案例"
    if problem.withdrawn_on is not None:
        return "撤单销号的问题没有解决结果，不能设为典型案例"
    if problem.forced_close_reason:
        return "强制销号的问题未经企业评价，不能设为典型案例"
    return None


def case_of_problem(problem_id: int) -> Optional[TypicalCase]:
    """The case a problem was promoted to, whatever its status (a problem is promoted at most once)."""
    return db.session.scalar(select(TypicalCase).where(TypicalCase.problem_id == problem_id))


def case_draft(problem: Problem) -> dict[str, Any]:
    """The promotion form's starting values, from the problem: its title, its resolution as the summary,
    its category and department."""
    return {
        "title": problem.title,
        "category": problem.category,
        "summary": problem.resolution or "",
        "basis": "",
        "policy_id": None,
        "department_id": problem.department_id,
        "tags": "",
    }


def parse_tags(value: Any) -> list[str]:
    """Tags from one typed box (or a list): split, trimmed, repeats dropped, each ≤ 20 chars, ≤ 10."""
    refuse_control_chars(value if isinstance(value, str) else None, LABELS["tags"], multiline=True)
    parts = value if isinstance(value, (list, tuple)) else _TAG_SPLIT.split(str(value or ""))
    tags: list[str] = []
    for part in parts:
        refuse_control_chars(part if isinstance(part, str) else None, LABELS["tags"])
        tag = " ".join(str(part if part is not None else "").split())
        if not tag or tag in tags:
            continue
        if len(tag) > TAG_MAX:
            raise ServiceError(f"标签“{tag[:TAG_MAX]}…”超过{TAG_MAX}字")
        tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise ServiceError(f"标签最多{TAGS_MAX}个")
    return tags


def _id(value: Any, label: str) -> Optional[int]:
    if value in (None, "", 0, "0", "None"):
        return None
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10 or not 0 < int(text) <= MAX_ID:
        raise ServiceError(f"{label}选项无效，请刷新页面后重新选择")
    return int(text)


def _department(actor: User, value: Any, park_id: int, held: Optional[int]) -> Optional[Department]:
    """A department serving the case's park (city-level or the park's own), active unless already held."""
    dept_id = _id(value, LABELS["department_id"])
    if dept_id is None:
        return None
    dept = db.session.get(Department, dept_id)
    if dept is None or dept.park_id not in (None, park_id):
        raise ServiceError("所选解决部门不存在，请刷新页面后重新选择")
    if not dept.is_active and dept.id != held:
        raise ServiceError(f"部门“{dept.name}”已停用")
    return dept


def _policy(actor: User, value: Any, park_id: int, held: Optional[int]) -> Optional[Policy]:
    """A policy of the library the actor can see that applies to the case's park (city-wide or its own)."""
    policy_id = _id(value, LABELS["policy_id"])
    if policy_id is None:
        return None
    if policy_id == held:
        return db.session.get(Policy, policy_id)
    policy = db.session.scalar(visible_policies(actor).where(Policy.id == policy_id))
    if policy is None or policy.park_id not in (None, park_id):
        raise ServiceError("所选关联政策不存在或不可见，请刷新页面后重新选择")
    return policy


def _clean(actor: User, data: dict[str, Any], park_id: int, case: Optional[TypicalCase]) -> dict[str, Any]:
    """Check and normalise every field; one ServiceError lists all problems in Chinese."""
    out: dict[str, Any] = {}
    errors: list[str] = []
    held_dept = case.department_id if case else None
    held_policy = case.policy_id if case else None
    parsers = {
        "title": lambda v: clean_text(v, LABELS["title"], TITLE_MAX, required=True),
        "category": lambda v: parse_choice(v, LABELS["category"], PROBLEM_CATEGORIES),
        "summary": lambda v: clean_multiline(v, LABELS["summary"], SUMMARY_MAX, required=True),
        "basis": lambda v: clean_multiline(v, LABELS["basis"], BASIS_MAX),
        "department": lambda v: _department(actor, v, park_id, held_dept),
        "policy": lambda v: _policy(actor, v, park_id, held_policy),
        "tags": parse_tags,
    }
    keys = {"department": "department_id", "policy": "policy_id"}
    for field, parse in parsers.items():
        try:
            out[field] = parse(data.get(keys.get(field, field)))
        except ServiceError as exc:
            errors.append(str(exc))
    if errors:
        raise ServiceError("；".join(errors))
    return out


def _refuse_firm_name(problem: Problem, out: dict[str, Any]) -> None:
    """Firms of the park read the case: it must not name the firm the problem came from."""
    name = problem.enterprise.name.strip()
    texts = [out["title"], out["summary"], out["basis"] or "", *out["tags"]]
    if name and any(name in text for text in texts):
        raise ServiceError(f"案例会展示给园区其他企业，请删去企业名称“{name}”")


def _apply(case: TypicalCase, out: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Write cleaned values on the case; returns {field: (old, new)} in words for the audit."""
    changes: dict[str, tuple[Any, Any]] = {}
    for field in ("title", "category", "summary", "basis"):
        if getattr(case, field) != out[field]:
            changes[field] = (getattr(case, field), out[field])
            setattr(case, field, out[field])
    if list(case.tags or []) != out["tags"]:
        changes["tags"] = ("、".join(case.tags or []), "、".join(out["tags"]))
        case.tags = out["tags"]
    dept, policy = out["department"], out["policy"]
    if case.department_id != (dept.id if dept else None):
        before = case.department.name if case.department else None
        changes["department_id"] = (before, dept.name if dept else None)
        case.department_id, case.department = (dept.id, dept) if dept else (None, None)
    if case.policy_id != (policy.id if policy else None):
        before_policy = db.session.get(Policy, case.policy_id) if case.policy_id else None
        changes["policy_id"] = (
            before_policy.title if before_policy else None,
            policy.title if policy else None,
        )
        case.policy_id = policy.id if policy else None
    return changes


def promote_problem(actor: User, problem: Problem, data: dict[str, Any]) -> TypicalCase:
    """Promote a closed problem to a 典型案例 (published at once); raises ServiceError and changes nothing
    when the actor may not, the problem does not qualify or is a case already, or a field is invalid."""
    if not can(actor, "case.manage", problem):
        raise ServiceError("没有将该问题设为典型案例的权限")
    refusal = promotion_refusal(problem)
    if refusal:
        raise ServiceError(refusal)
    if case_of_problem(problem.id) is not None:
        raise ServiceError("该问题已设为典型案例，不能重复入库")
    park_id = problem.enterprise.park_id
    out = _clean(actor, data, park_id, None)
    _refuse_firm_name(problem, out)
    case = TypicalCase(problem_id=problem.id, park_id=park_id, status="published", created_by_id=actor.id)
    _apply(case, out)
    try:
        with db.session.begin_nested():  # a concurrent promotion of the same problem loses on the unique key
            db.session.add(case)
            db.session.flush()
    except IntegrityError:
        raise ServiceError("该问题已设为典型案例，不能重复入库") from None
    record_audit(
        actor, ENTITY, case.id, "create", f"设为典型案例：{case.title}", enterprise_id=problem.enterprise_id
    )
    db.session.flush()
    return case


def update_case(actor: User, case: TypicalCase, data: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Edit a case (title, summary, basis, policy, department, tags, category); returns the changes."""
    if not can(actor, "case.manage", case):
        raise ServiceError("没有修改该案例的权限")
    check_version(case, data.get("version"), STALE_CASE)
    out = _clean(actor, data, case.park_id, case)
    _refuse_firm_name(case.problem, out)
    changes = _apply(case, out)
    if changes:
        labels = "、".join(LABELS.get(k, k) for k in changes)
        record_audit(
            actor,
            ENTITY,
            case.id,
            "update",
            f"修改典型案例：{case.title}（{labels}）",
            changes,
            enterprise_id=case.problem.enterprise_id,
        )
        db.session.flush()
    return changes


def withdraw_case(actor: User, case: TypicalCase, reason: Any) -> TypicalCase:
    """撤下 a published case, with a reason: nobody but the office sees it any more, firms included."""
    if not can(actor, "case.manage", case):
        raise ServiceError("没有撤下该案例的权限")
    if case.status != "published":
        raise ServiceError("只有已发布的案例才能撤下")
    text = clean_text(reason, "撤下原因", REASON_MAX, required=True)
    case.status = "withdrawn"
    record_audit(
        actor,
        ENTITY,
        case.id,
        "withdraw",
        f"撤下典型案例：{case.title}（{text}）",
        {"status": ("published", "withdrawn"), "reason": (None, text)},
        enterprise_id=case.problem.enterprise_id,
    )
    db.session.flush()
    return case


def restore_case(actor: User, case: TypicalCase) -> TypicalCase:
    """Publish a withdrawn case again."""
    if not can(actor, "case.manage", case):
        raise ServiceError("没有恢复该案例的权限")
    if case.status != "withdrawn":
        raise ServiceError("只有已撤下的案例才能恢复")
    case.status = "published"
    record_audit(
        actor,
        ENTITY,
        case.id,
        "restore",
        f"恢复典型案例：{case.title}",
        {"status": ("withdrawn", "published")},
        enterprise_id=case.problem.enterprise_id,
    )
    db.session.flush()
    return case


def cited_counts(problem_ids: list[int]) -> dict[int, int]:
    """已引用: for each case's problem, how many problems were answered on the spot from it (现场解答, as
    counted by crm.services.knowledge.similar), 0 for none; one query."""
    ids = [i for i in dict.fromkeys(problem_ids) if i]
    return dict.fromkeys(ids, 0) | answered_from_counts(ids)


def offered_departments(park_id: Optional[int], held: Optional[int] = None) -> list[Department]:
    """The departments a case of this park may name: city-level and the park's own, active or held."""
    stmt = select(Department).where(or_(Department.park_id.is_(None), Department.park_id == park_id))
    stmt = stmt.where(or_(Department.is_active.is_(True), Department.id == (held or 0)))
    return list(db.session.scalars(stmt.order_by(Department.park_id.is_not(None), Department.name)))


def offered_policies(actor: User, park_id: Optional[int], held: Optional[int] = None) -> list[Policy]:
    """The library's published policies the actor sees that apply to the park (plus the one held)."""
    stmt = visible_policies(actor).where(or_(Policy.park_id.is_(None), Policy.park_id == park_id))
    stmt = stmt.where(or_(Policy.status == "published", Policy.id == (held or 0)))
    return list(db.session.scalars(stmt.order_by(Policy.id.desc()).limit(500)))
