"""问题: raising a firm's problem (待交办), by staff or by the firm itself on its service page (企业自报).
Every later step is crm.services.problems.flow.apply_action."""

from datetime import date, datetime
from typing import Any, Optional

from crm.extensions import db
from crm.models import Enterprise, Problem, ProblemEvent, User, Visit
from crm.models.problem import FIRM_SOURCE, PROBLEM_CATEGORIES, PROBLEM_SOURCES, PROBLEM_URGENCIES
from crm.permissions import can
from crm.services import ServiceError
from crm.services.closing.guard import refuse_if_closed
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
    extra = {
        "source": lambda v: parse_choice(
            v, PROBLEM_LABELS["source"], PROBLEM_SOURCES, default="visit" if visit is not None else None
        )
    }
    values = collect_errors(_problem_fields() | extra, data)
    uploads = validate_uploads(files)
    values["visit_id"] = visit.id if visit is not None else None
    return _insert(firm, actor, values, uploads, today or local_today(), now or utcnow())


def raise_firm_problem(
    firm: Enterprise,
    data: dict[str, Any],
    contact: dict[str, Any],
    files=(),
    today: Optional[date] = None,
    now: Optional[datetime] = None,
    event_data: Optional[dict[str, Any]] = None,
) -> Problem:
    """Record a problem the firm submitted itself on its service page (企业自报) as 待交办 (new).

    No account is behind it: the caller (crm.services.portal) has matched the firm to its service code.
    contact holds the already checked contact_name, contact_phone and wished_on (希望办结时间).
    """
    values = collect_errors(_problem_fields(), data)
    uploads = validate_uploads(files)
    values |= {"source": FIRM_SOURCE, **contact}
    return _insert(firm, None, values, uploads, today or local_today(), now or utcnow(), event_data)


def _problem_fields() -> dict:
    """The checks of the fields every problem has, however it is raised."""
    labels = PROBLEM_LABELS
    return {
        "title": lambda v: clean_text(v, labels["title"], 200, required=True),
        "description": lambda v: clean_multiline(v, labels["description"], DESCRIPTION_MAX, required=True),
        "category": lambda v: parse_choice(v, labels["category"], PROBLEM_CATEGORIES),
        "urgency": lambda v: parse_choice(v, labels["urgency"], PROBLEM_URGENCIES, default="normal"),
    }


def _insert(
    firm: Enterprise,
    actor: Optional[User],
    values: dict[str, Any],
    uploads: list,
    today: date,
    now: datetime,
    event_data: Optional[dict[str, Any]] = None,
) -> Problem:
    """Add the problem, its raising event, its files and the audit row (actor None: the firm itself)."""
    refuse_if_closed(today, "问题")  # 月结: a closed month takes no new problems
    problem = Problem(
        enterprise_id=firm.id,
        status="new",
        raised_by_id=actor.id if actor else None,
        raised_on=today,
        created_at=now,
        **values,
    )
    db.session.add(problem)
    db.session.flush()
    db.session.add(
        ProblemEvent(
            problem_id=problem.id,
            actor_id=actor.id if actor else None,
            action="raise",
            from_status=None,
            to_status="new",
            note=f"来源：{problem.source_label}",
            data=event_data,
            happened_on=today,
            at=now,
        )
    )
    save_attachments(uploads, "problem", problem.id, firm.id, actor)
    who = "企业通过服务码提交诉求" if actor is None else "反映问题"
    record_audit(
        actor,
        "problem",
        problem.id,
        "create",
        f"{who}：{problem.title}（{problem.category_label}）",
        enterprise_id=firm.id,
        at=now,
    )
    return problem
