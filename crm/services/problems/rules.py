"""The problem rules an admin can tune: time limits (限时办结), the 137 checkpoints, warning and
escalation thresholds and the windows for 退回 and 延期. Stored as one JSON setting."""

from dataclasses import asdict, dataclass, field
from typing import Any

from crm.extensions import db
from crm.models import Setting, User
from crm.models.problem import PROBLEM_CATEGORIES, PROBLEM_URGENCIES
from crm.permissions import can
from crm.services import ServiceError
from crm.services.common.audit import record_audit

SETTING_KEY = "problem_rules"
DEFAULT_LIMITS = {"normal": 10, "urgent": 3}


@dataclass(frozen=True)
class ProblemRules:
    limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    # Per category overrides of the limits: {"land": {"normal": 20, "urgent": 5}}.
    category_limits: dict[str, dict[str, int]] = field(default_factory=dict)
    sign_days: int = 1  # 137: sign within 1 working day
    feedback_days: int = 3  # … first feedback within 3
    progress_days: int = 7  # … staged progress within 7
    warn_days: int = 2  # yellow within this many working days (deadlines without a warning date)
    # Yellow once less than this share (%) of a checkpoint's window is left (and on its last day).
    warn_share: int = 30
    return_days: int = 1  # a handler may return a problem within this many working days of dispatch
    extension_notice_days: int = 1  # extension requested at least this many working days before due
    max_extension_days: int = 10
    # Overdue by this many working days -> escalate to the level (2 平台部门, 3 分管领导, 4 主要领导).
    escalate_after: dict[int, int] = field(default_factory=lambda: {2: 1, 3: 3, 4: 5})

    def limit_for(self, category: str, urgency: str) -> int:
        """Final limit in working days for a category and urgency."""
        override = self.category_limits.get(category, {})
        return int(override.get(urgency) or self.limits.get(urgency) or DEFAULT_LIMITS["normal"])

    def level_for_overdue(self, overdue_days: int) -> int:
        """The escalation level a problem overdue by this many working days should have reached."""
        level = 1
        for target, after in sorted(self.escalate_after.items()):
            if overdue_days >= after:
                level = max(level, target)
        return level


LABELS = {
    "sign_days": "签收时限（工作日）",
    "feedback_days": "首次反馈时限（工作日）",
    "progress_days": "阶段进展时限（工作日）",
    "warn_share": "黄色预警剩余时限比例（%）",
    "warn_days": "黄色预警提前（工作日）",
    "return_days": "退回时限（交办后工作日）",
    "extension_notice_days": "延期申请至少提前（工作日）",
    "max_extension_days": "单次延期上限（工作日）",
}
LIMITS = {
    "sign_days": (1, 10),
    "feedback_days": (1, 30),
    "progress_days": (1, 60),
    "warn_share": (0, 100),
    "warn_days": (0, 10),
    "return_days": (0, 10),
    "extension_notice_days": (0, 10),
    "max_extension_days": (1, 60),
}
LIMIT_RANGE = (1, 120)
ESCALATE_RANGE = (0, 60)


def _from_json(value: dict[str, Any]) -> ProblemRules:
    data = dict(value or {})
    if "escalate_after" in data:
        data["escalate_after"] = {int(k): int(v) for k, v in data["escalate_after"].items()}
    known = ProblemRules.__dataclass_fields__
    return ProblemRules(**{k: v for k, v in data.items() if k in known})


def _to_json(rules: ProblemRules) -> dict[str, Any]:
    data = asdict(rules)
    data["escalate_after"] = {str(k): v for k, v in rules.escalate_after.items()}
    return data


def problem_rules() -> ProblemRules:
    """The current rules (defaults when an admin never changed them)."""
    row = db.session.get(Setting, SETTING_KEY)
    return _from_json(row.value) if row else ProblemRules()


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


def update_problem_rules(actor: User, data: dict[str, Any]) -> ProblemRules:
    """Validate and store new rules (admins); every change is audited. Nothing changes on any error.

    data: the scalar fields of LABELS, "limit_normal", "limit_urgent", "escalate_2/3/4" and
    optional "cat_<category>_<urgency>" overrides (blank = use the general limit).
    """
    if not can(actor, "settings.problems"):
        raise ServiceError("没有修改问题办理规则的权限")
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
    for level, label in ((2, "升级至平台部门"), (3, "升级至区分管领导"), (4, "升级至区主要领导")):
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
    rules = ProblemRules(limits=limits, category_limits=category_limits, escalate_after=escalate, **values)
    old = problem_rules()
    row = db.session.get(Setting, SETTING_KEY)
    if row is None:
        row = Setting(key=SETTING_KEY, value={})
        db.session.add(row)
    old_json, new_json = _to_json(old), _to_json(rules)
    changes = {k: (old_json.get(k), v) for k, v in new_json.items() if old_json.get(k) != v}
    row.value = new_json
    row.updated_by_id = actor.id
    db.session.flush()
    if changes:
        record_audit(actor, "setting", 0, "update", "修改问题办理规则", changes)
    return rules
