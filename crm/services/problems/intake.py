"""问题: raising a firm's problem (待交办). Every later step is crm.services.problems.flow.apply_action."""

from datetime import date, datetime
from typing import Any, Optional

from crm.extensions import db
from crm.models import Enterprise, Problem, ProblemEvent, User, Visit
from crm.models.problem import PROBLEM_CATEGORIES, PROBLEM_SOURCES, PROBLEM_URGENCIES
from crm.permissions import can
from crm.services import ServiceError
from crm.services.common.attachments import save_attachments, validate_uploads
from crm.services.common.audit import record_audit
from crm.services.common.validators import clean_multiline, clean_text, collect_errors, parse_choice
from crm.timeutil import today as local_today
from crm.timeutil import utcnow

PROBLEM_LABELS = {
    "title": "问题标题",
    "description": "问题描述",
    "category": "问题类别",
    "urgency": "紧急程度",
    "source": "问题来源",
}
DESCRIPTION_MAX = 5000


def raise_problem(
    firm: Enterprise,
    actor: User,
    data: dict[str, Any],
    visit: Optional[Visit] = None,
    today: Optional[date] = None,
    files=(),
    now: Optional[datetime] = None,
) -> Problem:
    """Record a problem of the firm as 待交办 (new), raised by actor, optionally during a visit."""
    if not can(actor, "problem.raise", firm):
        raise ServiceError("没有为该企业反映问题的权限")
    if visit is not None and visit.enterprise_id != firm.id:
        raise ServiceError("走访记录与企业不一致")
    labels = PROBLEM_LABELS
    values = collect_errors(
        {
            "title": lambda v: clean_text(v, labels["title"], 200, required=True),
            "description": lambda v: clean_multiline(
                v, labels["description"], DESCRIPTION_MAX, required=True
            ),
            "category": lambda v: parse_choice(v, labels["category"], PROBLEM_CATEGORIES),
            "urgency": lambda v: parse_choice(v, labels["urgency"], PROBLEM_URGENCIES, default="normal"),
            "source": lambda v: parse_choice(
                v, labels["source"], PROBLEM_SOURCES, default="visit" if visit is not None else None
            ),
        },
        data,
    )
    uploads = validate_uploads(files)
    today = today or local_today()
    problem = Problem(
        enterprise_id=firm.id,
        status="new",
        raised_by_id=actor.id,
        visit_id=visit.id if visit is not None else None,
        raised_on=today,
        created_at=now or utcnow(),
        **values,
    )
    db.session.add(problem)
    db.session.flush()
    db.session.add(
        ProblemEvent(
            problem_id=problem.id,
            actor_id=actor.id,
            action="raise",
            from_status=None,
            to_status="new",
            note=f"来源：{problem.source_label}",
            happened_on=today,
            at=now or utcnow(),
        )
    )
    save_attachments(uploads, "problem", problem.id, firm.id, actor)
    record_audit(
        actor,
        "problem",
        problem.id,
        "create",
        f"反映问题：{problem.title}（{problem.category_label}）",
        enterprise_id=firm.id,
    )
    return problem
