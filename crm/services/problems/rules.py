"""The problem rules (办理规则): time limits (限时办结), the 137 checkpoints, the yellow warning share,
escalation thresholds and the windows for 退回 and 延期, kept as immutable versions (ProblemRuleSet).

An admin's save adds a version (crm.services.problems.rules_admin); nothing ever changes one. A problem
records the version its deadlines were computed under (Problem.rule_set_id, set at 交办, 改派 and 重办,
and in the (re)dispatch's or 重办's event data as "rule_set"); its deadlines, warning dates,
escalation thresholds, windows and any recomputation use that version, never a later one. So a
problem dispatched under 签收 1 day keeps its deadlines and colours when the rules later say 2 days,
and the month-end replay of a past month computes each dispatch with the version of that dispatch.

Lookups: problem_rules() the version dispatches use now; rules_of(problem) a problem's version;
RuleBook.load() every version at once, for a job or a report touching many problems (one query).
"""

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crm.extensions import db
from crm.models import Problem, ProblemRuleSet
from crm.timeutil import utcnow

DEFAULT_LIMITS = {"normal": 10, "urgent": 3}
# Event data key naming the version a (re)dispatch or a 重办 computed its deadlines with.
EVENT_KEY = "rule_set"
FIRST_NOTE = "初始版本"


@dataclass(frozen=True)
class ProblemRules:
    limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    # Per category overrides of the limits: {"land": {"normal": 20, "urgent": 5}}.
    category_limits: dict[str, dict[str, int]] = field(default_factory=dict)
    sign_days: int = 1  # 137: sign within 1 working day
    feedback_days: int = 3  # … first feedback within 3
    progress_days: int = 7  # … staged progress within 7
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


def rules_from_json(value: Optional[dict[str, Any]]) -> ProblemRules:
    """Rules from their stored JSON; keys no longer known (an old "warn_days") are ignored."""
    data = dict(value or {})
    if "escalate_after" in data:
        data["escalate_after"] = {int(k): int(v) for k, v in data["escalate_after"].items()}
    known = ProblemRules.__dataclass_fields__
    return ProblemRules(**{k: v for k, v in data.items() if k in known})


def rules_to_json(rules: ProblemRules) -> dict[str, Any]:
    data = asdict(rules)
    data["escalate_after"] = {str(k): v for k, v in rules.escalate_after.items()}
    return data


def rule_set_at(now: Optional[datetime] = None) -> Optional[ProblemRuleSet]:
    """The version dispatches use at `now` (default: the current one), or None when there is none yet.

    The latest version in effect by then; a step dated before the first version uses the first.
    """
    now = now or utcnow()
    in_force = db.session.scalar(
        select(ProblemRuleSet)
        .where(ProblemRuleSet.effective_from <= now)
        .order_by(ProblemRuleSet.effective_from.desc(), ProblemRuleSet.number.desc())
        .limit(1)
    )
    if in_force is not None:
        return in_force
    return db.session.scalar(select(ProblemRuleSet).order_by(ProblemRuleSet.number).limit(1))


def problem_rules(now: Optional[datetime] = None) -> ProblemRules:
    """The rules a dispatch uses now (defaults while no version exists)."""
    row = rule_set_at(now)
    return rules_from_json(row.rules) if row else ProblemRules()


def ensure_rule_set(now: Optional[datetime] = None) -> ProblemRuleSet:
    """The version a dispatch at `now` records, creating version 1 (the defaults) if there is none.

    A database made by the migrations always has version 1; one made from the models (tests, a fresh
    demo) gets it on its first dispatch. Two first dispatches at once: the unique number keeps one row.
    """
    row = rule_set_at(now)
    if row is not None:
        return row
    first = ProblemRuleSet(
        number=1, rules=rules_to_json(ProblemRules()), effective_from=now or utcnow(), note=FIRST_NOTE
    )
    try:
        with db.session.begin_nested():
            db.session.add(first)
    except IntegrityError:  # another transaction created version 1 meanwhile
        found = rule_set_at(now)
        assert found is not None, "version 1 exists once its insert collided"
        return found
    return first


def rules_of(problem: Problem) -> ProblemRules:
    """The rules a problem's deadlines were computed under (the current ones before its dispatch)."""
    if problem.rule_set_id is not None:
        row = db.session.get(ProblemRuleSet, problem.rule_set_id)  # identity map: free when repeated
        if row is not None:
            return rules_from_json(row.rules)
    return problem_rules()


@dataclass
class RuleBook:
    """Every version at once (one query), for a job or a report that needs many problems' rules."""

    versions: dict[int, ProblemRules]  # rule set id -> rules
    first_id: Optional[int]
    current_id: Optional[int]
    numbers: dict[int, int] = field(default_factory=dict)  # rule set id -> 第N版

    @classmethod
    def load(cls, now: Optional[datetime] = None) -> "RuleBook":
        now = now or utcnow()
        rows = db.session.execute(
            select(
                ProblemRuleSet.id, ProblemRuleSet.number, ProblemRuleSet.rules, ProblemRuleSet.effective_from
            ).order_by(ProblemRuleSet.effective_from, ProblemRuleSet.number)
        ).all()
        first = min(rows, key=lambda row: row.number).id if rows else None
        started = [row.id for row in rows if row.effective_from <= now]
        return cls(
            {row.id: rules_from_json(row.rules) for row in rows},
            first,
            started[-1] if started else first,
            {row.id: row.number for row in rows},
        )

    def _get(self, rule_set_id: Optional[int]) -> Optional[ProblemRules]:
        return self.versions.get(rule_set_id) if rule_set_id is not None else None

    @property
    def current(self) -> ProblemRules:
        """The rules a dispatch uses now."""
        return self._get(self.current_id) or ProblemRules()

    def of(self, problem: Any) -> ProblemRules:
        """A problem's rules (anything with rule_set_id): its version, or the current one before dispatch."""
        return self._get(getattr(problem, "rule_set_id", None)) or self.current

    def number_of(self, problem: Any) -> Optional[int]:
        """The 第N版 a problem's deadlines were computed under (None before its dispatch)."""
        rule_set_id = getattr(problem, "rule_set_id", None)
        return self.numbers.get(rule_set_id) if rule_set_id is not None else None

    def for_event(self, data: Optional[dict[str, Any]]) -> ProblemRules:
        """The rules a (re)dispatch or 重办 event computed its deadlines with.

        Events record their version under EVENT_KEY; an event without one predates versioning, when
        the first version's rules (made from the setting of that time) were in force.
        """
        recorded = (data or {}).get(EVENT_KEY)
        own = self._get(recorded) if isinstance(recorded, int) else None
        return own or self._get(self.first_id) or ProblemRules()
