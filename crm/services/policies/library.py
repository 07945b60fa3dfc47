"""The policy library: entering, editing, publishing and withdrawing a policy with its conditions.

A park's office keeps its park's policies (their park condition is that park, always); admins also keep
city-wide ones (no owner park, any parks or none). A policy matches firms only once published and while
in force. Every change is audited; an edit carries the version its form showed.
"""

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any, BinaryIO, Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import IndustryChain, Park, Policy, PolicyQualification, PolicySize, Tag, User
from crm.models.enterprise import SCALE_TYPES, SIZES
from crm.models.policy import BENEFIT_KINDS, LEVELS
from crm.models.profile import FIRST_QUALIFICATION_YEAR, QUALIFICATIONS
from crm.permissions import can
from crm.services import ServiceError
from crm.services.common.attachments import Upload, validate_uploads
from crm.services.common.audit import record_audit
from crm.services.common.locking import check_version
from crm.services.common.validators import clean_multiline, clean_text, parse_decimal
from crm.services.enterprises.profile import clean_tag_ids
from crm.services.storage.store import get_store

STALE_POLICY = "该政策已被其他人修改，您的修改未保存，请查看最新内容后重试"
SUMMARY_MAX = 2000
BODY_MAX = 50_000
REMIND_RANGE = (1, 90)
LABELS = {
    "title": "政策名称",
    "issuer": "发文机关",
    "level": "政策层级",
    "doc_no": "文号",
    "summary": "政策要点",
    "body": "政策全文",
    "valid_from": "有效期起",
    "valid_to": "有效期止",
    "apply_from": "申报开始日期",
    "apply_to": "申报截止日期",
    "benefit_kind": "支持方式",
    "max_amount": "最高支持金额(万元)",
    "contact": "咨询方式",
    "remind_days": "截止前提醒天数",
    "park_id": "所属",
    "scale_type": "规模类型",
    "founded_from": "成立日期不早于",
    "founded_to": "成立日期不晚于",
    "qualified_since": "资质认定年份不早于",
    "parks": "适用园区",
    "chains": "适用产业链",
    "sizes": "适用企业规模",
    "qualifications": "资质要求",
    "tags": "标签要求",
    "file": "政策文件",
}


def _date(value: Any, label: str) -> Optional[date]:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ServiceError(f"{label}格式不正确，应为 YYYY-MM-DD") from None


def _int(value: Any, label: str, low: int, high: int) -> Optional[int]:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ServiceError(f"{label}应为整数") from None
    if not low <= number <= high:
        raise ServiceError(f"{label}应在{low}至{high}之间")
    return number


def _ids(values: Any) -> list[int]:
    try:
        return list(dict.fromkeys(int(v) for v in (values or [])))
    except (TypeError, ValueError):
        raise ServiceError("选项无效，请刷新页面后重新选择") from None


def _codes(values: Any, choices: dict[str, str], label: str) -> list[str]:
    codes = list(dict.fromkeys(str(v) for v in (values or []) if str(v)))
    if any(code not in choices for code in codes):
        raise ServiceError(f"{label}取值无效")
    return codes


def _rows(model: type[Park] | type[IndustryChain], ids: list[int], label: str, held: Iterable[int]) -> list:
    if not ids:
        return []
    found: list[Any] = list(db.session.scalars(select(model).where(model.id.in_(ids))))
    rows = {r.id: r for r in found}
    if len(rows) != len(ids):
        raise ServiceError(f"{label}中有不存在的选项，请刷新页面后重新选择")
    retired = [rows[i].name for i in ids if not rows[i].is_active and i not in set(held)]
    if retired:
        raise ServiceError(f"{label}“{'、'.join(retired)}”已停用")
    return [rows[i] for i in ids]


def clean_policy_data(
    data: dict[str, Any], actor: User, today: date, policy: Optional[Policy] = None
) -> dict[str, Any]:
    """Check and normalise every field of a policy; one ServiceError lists all problems in Chinese."""
    errors: list[str] = []
    out: dict[str, Any] = {}

    def run(key: str, parse) -> None:
        try:
            out[key] = parse()
        except ServiceError as exc:
            errors.append(str(exc))

    run("title", lambda: clean_text(data.get("title"), LABELS["title"], 200, required=True))
    run("issuer", lambda: clean_text(data.get("issuer"), LABELS["issuer"], 100, required=True))
    run("doc_no", lambda: clean_text(data.get("doc_no"), LABELS["doc_no"], 100))
    run(
        "summary", lambda: clean_multiline(data.get("summary"), LABELS["summary"], SUMMARY_MAX, required=True)
    )
    run("body", lambda: clean_multiline(data.get("body"), LABELS["body"], BODY_MAX))
    run("contact", lambda: clean_text(data.get("contact"), LABELS["contact"], 200))
    for key, choices in (("level", LEVELS), ("benefit_kind", BENEFIT_KINDS)):
        value = str(data.get(key) or "")
        if not value:
            errors.append(f"请选择{LABELS[key]}")
        elif value not in choices:
            errors.append(f"{LABELS[key]}取值无效")
        out[key] = value
    for key in ("valid_from", "valid_to", "apply_from", "apply_to", "founded_from", "founded_to"):
        run(key, lambda key=key: _date(data.get(key), LABELS[key]))
    run("max_amount", lambda: parse_decimal(data.get("max_amount"), LABELS["max_amount"]))
    run("remind_days", lambda: _int(data.get("remind_days"), LABELS["remind_days"], *REMIND_RANGE) or 10)
    since_range = (FIRST_QUALIFICATION_YEAR, today.year + 1)
    run("qualified_since", lambda: _int(data.get("qualified_since"), LABELS["qualified_since"], *since_range))
    scale = str(data.get("scale_type") or "") or None
    if scale is not None and scale not in SCALE_TYPES:
        errors.append("规模类型取值无效")
    out["scale_type"] = scale
    run("sizes", lambda: _codes(data.get("sizes"), SIZES, LABELS["sizes"]))
    run(
        "qualifications", lambda: _codes(data.get("qualifications"), QUALIFICATIONS, LABELS["qualifications"])
    )
    held_parks = [p.id for p in policy.parks] if policy else []
    held_chains = [c.id for c in policy.chains] if policy else []
    run("parks", lambda: _rows(Park, _ids(data.get("park_ids")), LABELS["parks"], held_parks))
    run("chains", lambda: _rows(IndustryChain, _ids(data.get("chain_ids")), LABELS["chains"], held_chains))
    held_tags = [t.id for t in policy.tags] if policy else []
    run(
        "tags",
        lambda: [db.session.get_one(Tag, i) for i in clean_tag_ids(_ids(data.get("tag_ids")), held_tags)],
    )
    run("park_id", lambda: _owner(data, actor, policy))
    if errors:
        raise ServiceError("；".join(dict.fromkeys(errors)))
    _check_dates(out, errors)
    if out["qualified_since"] and not out["qualifications"]:
        errors.append("填写了资质认定年份，请同时选择资质要求")
    if out["park_id"] is not None:
        other = [p.name for p in out["parks"] if p.id != out["park_id"]]
        if other:
            errors.append(f"园区政策只适用于本园区的企业，不能选择{'、'.join(other)}")
        out["parks"] = [db.session.get_one(Park, out["park_id"])]
    if errors:
        raise ServiceError("；".join(errors))
    _check_unique(out, policy)
    return out


def _check_dates(out: dict[str, Any], errors: list[str]) -> None:
    for start, end in (
        ("valid_from", "valid_to"),
        ("apply_from", "apply_to"),
        ("founded_from", "founded_to"),
    ):
        if out[start] and out[end] and out[start] > out[end]:
            errors.append(f"{LABELS[start]}不能晚于{LABELS[end]}")
    if out["apply_to"] and out["valid_to"] and out["apply_to"] > out["valid_to"]:
        errors.append("申报截止日期不能晚于有效期止")


def _owner(data: dict[str, Any], actor: User, policy: Optional[Policy]) -> Optional[int]:
    """The owner park: an officer's own park; an admin's choice (blank: city-wide)."""
    if actor.role != "admin":
        if actor.park_id is None:
            raise ServiceError("您的账号未关联园区，不能维护政策")
        return actor.park_id
    raw = data.get("park_id", policy.park_id if policy else None)
    if raw in (None, "", 0, "0"):
        return None
    park = db.session.get(Park, int(raw)) if str(raw).isdigit() else None
    if park is None:
        raise ServiceError("所属园区不存在")
    return park.id


def _check_unique(out: dict[str, Any], policy: Optional[Policy]) -> None:
    """One policy per 文号 (else per title) and owner: a re-import updates it instead of duplicating."""
    stmt = select(Policy).where(
        Policy.park_id.is_(None) if out["park_id"] is None else Policy.park_id == out["park_id"]
    )
    stmt = (
        stmt.where(Policy.doc_no == out["doc_no"])
        if out["doc_no"]
        else stmt.where(Policy.title == out["title"])
    )
    if policy is not None:
        stmt = stmt.where(Policy.id != policy.id)
    if db.session.scalars(stmt.limit(1)).first() is not None:
        what = f"文号“{out['doc_no']}”" if out["doc_no"] else f"名称“{out['title']}”"
        raise ServiceError(f"已有{what}相同的政策，请勿重复录入")


def _apply(policy: Policy, out: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Write cleaned values on the policy; returns {field: (old, new)} in words for the audit."""
    changes: dict[str, tuple[Any, Any]] = {}
    for key, value in out.items():
        if key in ("parks", "chains", "tags"):
            old = [r.id for r in getattr(policy, key)]
            if old != [r.id for r in value]:
                names = "、".join(r.name for r in getattr(policy, key))
                setattr(policy, key, value)
                changes[key] = (names, "、".join(r.name for r in value))
        elif key == "sizes":
            if policy.size_codes != value:
                changes[key] = (
                    "、".join(SIZES[c] for c in policy.size_codes),
                    "、".join(SIZES[c] for c in value),
                )
                policy.sizes = [PolicySize(size=c) for c in value]
        elif key == "qualifications":
            if policy.qualification_codes != value:
                before = "、".join(QUALIFICATIONS[c] for c in policy.qualification_codes)
                changes[key] = (before, "、".join(QUALIFICATIONS[c] for c in value))
                policy.qualifications = [PolicyQualification(code=c) for c in value]
        elif getattr(policy, key) != value:
            changes[key] = (getattr(policy, key), value)
            setattr(policy, key, value)
    return changes


def _checked_file(file: Any) -> Optional[Upload]:
    """The policy's official text as an upload checked like every attachment (type, content, size)."""
    uploads = validate_uploads([file] if file is not None else [])
    if len(uploads) > 1:
        raise ServiceError("政策文件只能上传一个")
    return uploads[0] if uploads else None


def _store_file(policy: Policy, upload: Upload) -> tuple[Optional[str], str]:
    """Write the file (last, once every check has passed) and point the policy at it."""
    key = f"policies/{uuid.uuid4().hex}.{upload.ext}"
    upload.stream.seek(0)
    get_store("attachments").write(key, upload.stream)
    old = policy.file_name
    policy.file_name, policy.file_stored = upload.filename, key
    policy.file_type, policy.file_size = upload.content_type, upload.size
    return old, upload.filename


def policy_file(policy: Policy) -> Optional[BinaryIO]:
    """The stored official text of a policy, open for reading (None if it has none or it is gone)."""
    if not policy.file_stored:
        return None
    return get_store("attachments").open(policy.file_stored)


def create_policy(
    actor: User, data: dict[str, Any], today: date, publish: bool = False, file: Any = None
) -> Policy:
    """Enter a policy (a draft, or published at once), with its official text as a file if given;
    raises ServiceError on invalid data."""
    if not can(actor, "policy.manage"):
        raise ServiceError("没有维护政策的权限")
    out = clean_policy_data(data, actor, today)
    upload = _checked_file(file)
    policy = Policy(status="draft", created_by_id=actor.id, sizes=[], qualifications=[])
    _apply(policy, out)
    if upload is not None:
        _store_file(policy, upload)
    db.session.add(policy)
    db.session.flush()
    record_audit(actor, "policy", policy.id, "create", f"录入政策：{policy.title}")
    if publish:
        publish_policy(actor, policy, today)
    return policy


def update_policy(
    actor: User, policy: Policy, data: dict[str, Any], today: date, file: Any = None
) -> dict[str, tuple[Any, Any]]:
    """Edit a policy and its conditions (matching follows at once), replacing its file if one is given;
    returns the changes."""
    if not can(actor, "policy.manage", policy):
        raise ServiceError("没有修改该政策的权限")
    check_version(policy, data.get("version"), STALE_POLICY)
    out = clean_policy_data(data, actor, today, policy)
    upload = _checked_file(file)
    changes = _apply(policy, out)
    if upload is not None:
        changes["file"] = _store_file(policy, upload)
    if changes:
        labels = "、".join(LABELS.get(k, k) for k in changes)
        record_audit(actor, "policy", policy.id, "update", f"修改政策：{policy.title}（{labels}）", changes)
        db.session.flush()
    return changes


def publish_policy(actor: User, policy: Policy, today: date) -> Policy:
    """Publish a draft or withdrawn policy: from now on it matches firms."""
    if not can(actor, "policy.manage", policy):
        raise ServiceError("没有发布该政策的权限")
    if policy.status == "published":
        raise ServiceError("该政策已发布")
    if policy.valid_to is not None and policy.valid_to < today:
        raise ServiceError(f"该政策有效期已于{policy.valid_to:%Y-%m-%d}截止，不能发布")
    policy.status = "published"
    policy.published_on = policy.published_on or today
    record_audit(actor, "policy", policy.id, "publish", f"发布政策：{policy.title}")
    db.session.flush()
    return policy


def withdraw_policy(actor: User, policy: Policy, reason: Any) -> Policy:
    """Withdraw a published policy (it stops matching; pairs already acted on are kept)."""
    if not can(actor, "policy.manage", policy):
        raise ServiceError("没有撤回该政策的权限")
    if policy.status != "published":
        raise ServiceError("只有已发布的政策才能撤回")
    text = clean_text(reason, "撤回原因", 300, required=True)
    policy.status = "withdrawn"
    record_audit(actor, "policy", policy.id, "withdraw", f"撤回政策：{policy.title}（{text}）")
    db.session.flush()
    return policy
