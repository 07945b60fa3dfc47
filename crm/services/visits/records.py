"""走访: logging a visit (with list items, a problem and files in one transaction) and correcting it."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Optional

from crm.extensions import db
from crm.models import Enterprise, User, Visit
from crm.models.visit import VISIT_KINDS
from crm.permissions import can
from crm.services import ServiceError
from crm.services.closing.guard import refuse_if_closed
from crm.services.common.attachments import save_attachments, validate_uploads
from crm.services.common.audit import record_audit
from crm.services.common.locking import check_version
from crm.services.common.validators import control_char_error
from crm.services.enterprises.lists import add_product, add_sales, add_tech
from crm.services.policies.delivery import deliver_on_visit
from crm.services.problems.answered import raise_problem_from_form
from crm.services.visits.answers import settle_answered_reminders
from crm.services.visits.evidence import clean_location, record_evidence, rejudge_visit
from crm.services.visits.keys import claim_visit, clean_client_id, synced_visit
from crm.services.visits.summary import note_visit, resummarise
from crm.timeutil import to_local
from crm.timeutil import today as local_today

MAX_BACKDATE_DAYS = 90
VISIT_WHAT = "走访"  # what a closed month's refusal names
PARTICIPANTS_MAX = 300
TEXT_MAX = 5000
STALE_VISIT = "该走访记录已被其他人修改，您的修改未保存，请查看最新内容后重试"
VISIT_LABELS = {
    "visited_on": "走访日期",
    "kind": "走访方式",
    "participants": "参与人员",
    "summary": "走访情况",
    "findings": "发现与建议",
}


def _as_date(value: Any) -> Optional[date]:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _one_line(value: Any) -> Optional[str]:
    # Prose is kept as typed (no full-width -> half-width): "，" and "：" are part of Chinese writing.
    text = " ".join(str(value or "").split())
    return text or None


def _multiline(value: Any) -> Optional[str]:
    lines = [line.rstrip() for line in str(value or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = "\n".join(lines).strip()
    return text or None


def clean_visit_data(
    data: dict[str, Any], today: date, earliest: Optional[date] = None, check_date: bool = True
) -> dict[str, Any]:
    """Validate and normalise visit fields; raises one ServiceError listing every problem in Chinese."""
    earliest = earliest or today - timedelta(days=MAX_BACKDATE_DAYS)
    errors: list[str] = []
    visited_on = _as_date(data.get("visited_on"))
    if visited_on is None:
        errors.append("请填写走访日期" if not data.get("visited_on") else "走访日期格式不正确")
    elif check_date and visited_on > today:
        errors.append("走访日期不能晚于今天")
    elif check_date and visited_on < earliest:
        errors.append(f"走访日期不能早于 {earliest:%Y-%m-%d}（只能补录{MAX_BACKDATE_DAYS}天内的走访）")
    kind = str(data.get("kind") or "").strip()
    if not kind:
        errors.append("请选择走访方式")
    elif kind not in VISIT_KINDS:
        errors.append("走访方式无效")
    for field, multiline in (("participants", False), ("summary", True), ("findings", True)):
        if message := control_char_error(data.get(field), VISIT_LABELS[field], multiline):
            errors.append(message)
    participants = _one_line(data.get("participants"))
    if participants and len(participants) > PARTICIPANTS_MAX:
        errors.append(f"参与人员不能超过{PARTICIPANTS_MAX}字")
    summary = _multiline(data.get("summary"))
    if not summary:
        errors.append("请填写走访情况")
    elif len(summary) > TEXT_MAX:
        errors.append(f"走访情况不能超过{TEXT_MAX}字")
    findings = _multiline(data.get("findings"))
    if findings and len(findings) > TEXT_MAX:
        errors.append(f"发现与建议不能超过{TEXT_MAX}字")
    if errors:
        raise ServiceError("；".join(errors))
    return {
        "visited_on": visited_on,
        "kind": kind,
        "participants": participants,
        "summary": summary,
        "findings": findings,
    }


@dataclass(frozen=True)
class Logged:
    """What logging a visit came to: the visit, and whether this call wrote it."""

    visit: Visit
    created: bool  # False: the same client id was logged before; nothing was written this time


def record_visit(
    firm: Enterprise,
    actor: User,
    data: dict[str, Any],
    today: date,
    product: Optional[dict] = None,
    sales: Optional[dict] = None,
    tech: Optional[dict] = None,
    problem: Optional[dict] = None,
    files=(),
    client_id: Optional[str] = None,
    location: Optional[dict[str, Any]] = None,
    policies: Sequence[Any] = (),
) -> Logged:
    """Record a visit to firm by actor, plus optional list items, a problem, files and the device's
    location, in one transaction. A client id the actor logged already returns that visit untouched,
    before any other check: a resend after a lost answer succeeds even if the firm has moved on since."""
    key = clean_client_id(client_id)
    if done := synced_visit(actor, key):
        return Logged(done, False)
    if not can(actor, "visit.log", firm):
        raise ServiceError("没有为该企业记录走访的权限")
    errors = []
    try:
        values = clean_visit_data(data, today)
    except ServiceError as exc:
        errors.append(str(exc))
    try:
        uploads = validate_uploads(files)  # refuse bad files before anything is written
    except ServiceError as exc:
        errors.append(str(exc))
    try:
        place = clean_location(location)
    except ServiceError as exc:
        errors.append(str(exc))
    if errors:
        raise ServiceError("；".join(errors))
    refuse_if_closed(values["visited_on"], VISIT_WHAT)  # 月结: a closed month's visits are final
    visit = claim_visit({"enterprise_id": firm.id, "cadre_id": actor.id, "client_id": key, **values})
    if visit is None:  # a concurrent request with the same client id committed first
        if done := synced_visit(actor, key):
            return Logged(done, False)
        raise ServiceError("该走访正在另一处保存，请稍后刷新查看")
    note_visit(firm.id, visit.visited_on, visit.kind)
    settle_answered_reminders(firm, visit, today)  # 联系已逾期 and the like are done now
    extras = []
    if product:
        extras.append(f"产品「{add_product(firm, actor, product, today=today).name}」")
    if sales:
        extras.append(f"销售记录 {add_sales(firm, actor, sales, today=today).period}")
    if tech:
        extras.append(f"技术事项「{add_tech(firm, actor, tech, today=today).title}」")
    if problem:
        # 现场解答 when the cadre picked a similar problem's answer (crm.services.problems.answered).
        raised = raise_problem_from_form(firm, actor, problem, visit=visit, today=today)
        extras.append(f"问题「{raised.title}」")
    if policies:  # 送政策: the policies ticked as delivered on this visit
        extras.append(f"送达政策{deliver_on_visit(actor, firm, visit, policies, today)}项")
    # Files last: everything that can refuse the form has run, so a refusal writes no file at all.
    paths = save_attachments(uploads, "visit", visit.id, firm.id, actor)
    if paths:
        extras.append(f"附件{len(paths)}个")
    record_evidence(visit, firm, place, photos=sum(u.content_type.startswith("image/") for u in uploads))
    summary = f"记录走访：{visit.visited_on:%Y-%m-%d} {visit.kind_label}"
    if extras:
        summary += "，并添加" + "、".join(extras)
    if visit.evidence:
        summary += f"（现场佐证：{visit.evidence_label}）"
    record_audit(actor, "visit", visit.id, "create", summary, enterprise_id=firm.id)
    db.session.flush()
    return Logged(visit, True)


def log_visit(
    firm: Enterprise,
    actor: User,
    data: dict[str, Any],
    today: date,
    product: Optional[dict] = None,
    sales: Optional[dict] = None,
    tech: Optional[dict] = None,
    problem: Optional[dict] = None,
    files=(),
    client_id: Optional[str] = None,
    location: Optional[dict[str, Any]] = None,
    policies: Sequence[Any] = (),
) -> Visit:
    """Record a visit (see record_visit); a client id logged already returns that visit."""
    return record_visit(
        firm, actor, data, today, product, sales, tech, problem, files, client_id, location, policies
    ).visit


def update_visit(
    visit: Visit, actor: User, data: dict[str, Any], today: Optional[date] = None, files=()
) -> dict[str, tuple[Any, Any]]:
    """Correct a visit (author within the park's window, officers any time); returns {field: (old, new)}.

    data may carry "version" (the version the edit form showed): a stale form is refused.
    """
    if not can(actor, "visit.edit", visit):
        raise ServiceError("已超过修改期限或没有修改该走访记录的权限")
    check_version(visit, data.get("version"), STALE_VISIT)
    refuse_if_closed(visit.visited_on, VISIT_WHAT)  # 月结: a closed month's visits are final
    today = today or local_today()
    merged = {field: getattr(visit, field) for field in VISIT_LABELS} | {
        k: v for k, v in data.items() if k in VISIT_LABELS
    }
    # The 90-day limit counts from the day the visit was logged, so an old record stays correctable.
    logged_on = to_local(visit.created_at).date() if visit.created_at else today
    new_date = _as_date(merged.get("visited_on"))
    errors = []
    try:
        values = clean_visit_data(
            merged,
            today,
            earliest=logged_on - timedelta(days=MAX_BACKDATE_DAYS),
            check_date=new_date != visit.visited_on,
        )
    except ServiceError as exc:
        errors.append(str(exc))
    try:
        uploads = validate_uploads(files)
    except ServiceError as exc:
        errors.append(str(exc))
    if errors:
        raise ServiceError("；".join(errors))
    refuse_if_closed(values["visited_on"], VISIT_WHAT)  # nor moved into a closed month
    changes: dict[str, tuple[Any, Any]] = {}
    for field, new in values.items():
        old = getattr(visit, field)
        if old != new:
            changes[field] = (old, new)
            setattr(visit, field, new)
    if "visited_on" in changes or "kind" in changes:
        db.session.flush()
        resummarise([visit.enterprise_id])
        settle_answered_reminders(visit.enterprise, visit, today)
    added = save_attachments(uploads, "visit", visit.id, visit.enterprise_id, actor)
    if added:
        names = "、".join(a.filename for a in uploads)
        changes["attachments"] = (None, names)
        db.session.expire(visit, ["attachments"])
    if "kind" in changes or added:  # an on-site visit may gain its photo, or stop being on site
        rejudge_visit(visit)
    if changes:
        labels = "、".join(VISIT_LABELS.get(f, "附件") for f in changes)
        record_audit(
            actor,
            "visit",
            visit.id,
            "update",
            f"修改走访：{labels}",
            changes,
            enterprise_id=visit.enterprise_id,
        )
        db.session.flush()
    return changes
