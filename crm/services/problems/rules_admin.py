"""The admin's side of the problem rules: validating a save into a new version, and the version history.

A save that changes nothing adds no version. The form carries the number of the version its admin saw,
so a save made on a page opened before a colleague's save is refused instead of silently undoing it.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.models import ProblemRuleSet, User
from crm.models.problem import PROBLEM_CATEGORIES, PROBLEM_URGENCIES
from crm.permissions import can
from crm.services import ServiceError
from crm.services.common.audit import record_audit
from crm.services.common.locking import MISSING_VERSION_MESSAGE, StaleError
from crm.services.common.validators import clean_text
from crm.services.problems.rules import ProblemRules, rules_from_json, rules_to_json
from crm.timeutil import utcnow

LABELS = {
    "sign_days": "签收时限（工作日）",
    "feedback_days": "首次反馈时限（工作日）",
    "progress_days": "阶段进展时限（工作日）",
    "warn_share": "黄色预警剩余时限比例（%）",
    "return_days": "退回时限（交办后工作日）",
    "extension_notice_days": "延期申请至少提前（工作日）",
    "max_extension_days": "单次延期上限（工作日）",
}
LIMITS = {
    "sign_days": (1, 10),
    "feedback_days": (1, 30),
    "progress_days": (1, 60),
    "warn_share": (0, 100),
    "return_days": (0, 10),
    "extension_notice_days": (0, 10),
    "max_extension_days": (1, 60),
}
LIMIT_RANGE = (1, 120)
ESCALATE_RANGE = (0, 60)
ESCALATE_LABELS = {2: "升级至平台部门", 3: "升级至区分管领导", 4: "升级至区主要领导"}
NOTE_MAX = 200
STALE_RULES = "办理规则刚被其他管理员修改（已有新版本），您的修改未保存，请查看最新规则后重新填写"


def _int(value: Any, label: str, low: int, high: int, errors: list[str]) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors.append(f"{label}应为整数")
        return None
    if not low <= number <= high:
        errors.append(f"{label}应在{low}到{high}之间")
        return None
    return number


def _parse(data: dict[str, Any]) -> ProblemRules:
    """The rules of a submitted form, or a ServiceError listing every bad field (；-separated)."""
    errors: list[str] = []
    values: dict[str, Any] = {}
    for key, label in LABELS.items():
        values[key] = _int(data.get(key), label, *LIMITS[key], errors)
    # _int() returns None only after recording an error, so without errors every key below is present.
    limits: dict[str, int] = {}
    for urgency, label in PROBLEM_URGENCIES.items():
        limit = _int(data.get(f"limit_{urgency}"), f"{label}问题办结时限", *LIMIT_RANGE, errors)
        if limit is not None:
            limits[urgency] = limit
    category_limits: dict[str, dict[str, int]] = {}
    for category, cat_label in PROBLEM_CATEGORIES.items():
        for urgency, label in PROBLEM_URGENCIES.items():
            raw = data.get(f"cat_{category}_{urgency}")
            if raw in (None, ""):
                continue
            number = _int(raw, f"{cat_label}类{label}问题时限", *LIMIT_RANGE, errors)
            if number is not None:
                category_limits.setdefault(category, {})[urgency] = number
    escalate: dict[int, int] = {}
    for level, label in ESCALATE_LABELS.items():
        days = _int(data.get(f"escalate_{level}"), f"逾期{label}（工作日）", *ESCALATE_RANGE, errors)
        if days is not None:
            escalate[level] = days
    if not errors:
        if not escalate[2] <= escalate[3] <= escalate[4]:
            errors.append("逐级升级的逾期天数应依次不减少（平台部门 ≤ 分管领导 ≤ 主要领导）")
        if not values["sign_days"] <= values["feedback_days"] <= values["progress_days"]:
            errors.append("137时限应依次递增：签收 ≤ 首次反馈 ≤ 阶段进展")
    if errors:
        raise ServiceError("；".join(errors))
    return ProblemRules(limits=limits, category_limits=category_limits, escalate_after=escalate, **values)


def _check_seen(seen: Any, current: Optional[ProblemRuleSet]) -> None:
    """Refuse a form opened on another version than the current one (seen: its number, 0 for none)."""
    if seen is None:
        return
    try:
        number = int(str(seen).strip())
    except (TypeError, ValueError):
        raise StaleError(MISSING_VERSION_MESSAGE) from None
    if number != (current.number if current else 0):
        raise StaleError(STALE_RULES)


def update_problem_rules(
    actor: User, data: dict[str, Any], now: Optional[datetime] = None
) -> Optional[ProblemRuleSet]:
    """Validate the form and save it as a new version in force from `now`; None when nothing changed.

    data: the fields of LABELS, "limit_normal", "limit_urgent", "escalate_2/3/4", optional
    "cat_<category>_<urgency>" overrides (blank = the general limit), an optional "note" (why) and
    "version" (the number of the version the form showed; None from code that carries none).
    Problems already dispatched keep their version; nothing changes on any error. Audited.
    """
    if not can(actor, "settings.problems"):
        raise ServiceError("没有修改问题办理规则的权限")
    now = now or utcnow()
    current = db.session.scalar(select(ProblemRuleSet).order_by(ProblemRuleSet.number.desc()).limit(1))
    _check_seen(data.get("version"), current)
    if current is not None and now < current.effective_from:  # versions take effect in their order
        raise ServiceError(f"新版本的生效时间不能早于第{current.number}版的生效时间")
    rules = _parse(data)
    note = clean_text(data.get("note"), "修改说明", NOTE_MAX)
    old = rules_from_json(current.rules) if current else ProblemRules()
    changes = rule_changes(old, rules)
    if not changes:
        return None
    number = (current.number if current else 0) + 1
    row = ProblemRuleSet(
        number=number, rules=rules_to_json(rules), effective_from=now, created_by_id=actor.id, note=note
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # a colleague's save took this number between our read and our write
        raise StaleError(STALE_RULES) from None
    record_audit(
        actor,
        "problem_rule_set",
        row.id,
        "create",
        f"修改问题办理规则：第{number}版，适用于此后交办的问题" + (f"（{note}）" if note else ""),
        {label: (before, after) for label, before, after in changes},
    )
    return row


def _field_labels() -> dict[str, str]:
    """A Chinese label for every value a version holds (the keys of _flatten)."""
    labels = dict(LABELS)
    labels |= {f"limit_{u}": f"{label}问题办结时限" for u, label in PROBLEM_URGENCIES.items()}
    labels |= {
        f"cat_{c}_{u}": f"{cat_label}类{label}问题时限"
        for c, cat_label in PROBLEM_CATEGORIES.items()
        for u, label in PROBLEM_URGENCIES.items()
    }
    labels |= {f"escalate_{level}": f"逾期{label}（工作日）" for level, label in ESCALATE_LABELS.items()}
    return labels


FIELD_LABELS = _field_labels()


def _flatten(rules: ProblemRules) -> dict[str, Optional[int]]:
    values: dict[str, Optional[int]] = {key: getattr(rules, key) for key in LABELS}
    values |= {f"limit_{u}": rules.limits.get(u) for u in PROBLEM_URGENCIES}
    values |= {
        f"cat_{c}_{u}": rules.category_limits.get(c, {}).get(u)
        for c in PROBLEM_CATEGORIES
        for u in PROBLEM_URGENCIES
    }
    values |= {f"escalate_{level}": rules.escalate_after.get(level) for level in ESCALATE_LABELS}
    return values


def rule_changes(old: ProblemRules, new: ProblemRules) -> list[tuple[str, Optional[int], Optional[int]]]:
    """(label, old value, new value) of every value that differs, in the form's order."""
    before, after = _flatten(old), _flatten(new)
    return [(FIELD_LABELS[key], before[key], after[key]) for key in before if before[key] != after[key]]


@dataclass(frozen=True)
class VersionRow:
    """One line of the version history: the version and what it changed from the one before."""

    number: int
    effective_from: datetime  # naive UTC
    author: Optional[str]  # None: the system (the first version)
    note: Optional[str]
    changes: list[tuple[str, Optional[int], Optional[int]]]
    current: bool


def rule_history_query() -> Select:
    """The versions, newest first (page it with crm.pagination.paginate)."""
    return (
        select(ProblemRuleSet)
        .options(joinedload(ProblemRuleSet.created_by))
        .order_by(ProblemRuleSet.number.desc())
    )


def history_rows(page_rows: list[ProblemRuleSet], current_number: Optional[int]) -> list[VersionRow]:
    """The page's versions with what each changed (one query, for the version before the page's oldest)."""
    if not page_rows:
        return []
    oldest = page_rows[-1].number
    before = db.session.scalar(select(ProblemRuleSet.rules).where(ProblemRuleSet.number == oldest - 1))
    chain = [*page_rows, None]
    out = []
    for row, previous in zip(page_rows, chain[1:], strict=True):
        if previous is not None:
            changes = rule_changes(rules_from_json(previous.rules), rules_from_json(row.rules))
        elif before is not None:
            changes = rule_changes(rules_from_json(before), rules_from_json(row.rules))
        else:  # the first version: what it changed from the defaults, if anything
            changes = rule_changes(ProblemRules(), rules_from_json(row.rules))
        author = row.created_by.name if row.created_by else None
        out.append(
            VersionRow(
                row.number, row.effective_from, author, row.note, changes, row.number == current_number
            )
        )
    return out
