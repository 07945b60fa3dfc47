"""Creating and editing the enterprise file (一企一档)."""

from datetime import date
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import select

from crm.extensions import db
from crm.models import Enterprise, IndustryChain, Park, User
from crm.models.enterprise import SCALE_TYPES, SIZES, STATUSES
from crm.permissions import can, manages_park
from crm.services import ServiceError
from crm.services.common.audit import record_audit
from crm.services.common.creditcode import (
    credit_code_error,
    fold_key,
    keep_text,
    normalize_credit_code,
    normalize_text,
)
from crm.services.common.locking import check_version
from crm.services.common.pinyin import initials, search_pinyin
from crm.services.common.validators import control_char_error
from crm.services.enterprises.profile import apply_profile, clean_qualifications, clean_tag_ids
from crm.timeutil import today, utcnow

STALE_FIRM = "该企业档案已被其他人修改，您的修改未保存，请查看最新内容后重试"
# Editable fields and their Chinese labels (used for messages, audit and exports).
FIELD_LABELS: dict[str, str] = {
    "name": "企业名称",
    "credit_code": "统一社会信用代码",
    "legal_rep": "法定代表人",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "address": "地址",
    "park_id": "所属园区",
    "chain_id": "所属产业链",
    "scale_type": "规模类型",
    "size": "企业规模",
    "is_key": "重点企业",
    "founded_on": "成立日期",
    "headcount": "从业人数",
    "output_last_year": "上年产值(万元)",
    "tax_last_year": "上年税收(万元)",
    "status": "经营状态",
    "note": "备注",
}
# 企业画像 (crm.services.enterprises.profile): data keys "qualifications" ({code: year}) and "tag_ids".
PROFILE_LABELS: dict[str, str] = {"qualifications": "资质", "tags": "标签"}
# Upper bounds of the numbers (exclusive): 万元 amounts fit Numeric(14, 2); nobody employs ten million.
NUMBER_LIMITS = {
    "headcount": 10_000_000,
    "output_last_year": Decimal(10) ** 12,
    "tax_last_year": Decimal(10) ** 12,
}
TEXT_FIELDS = ("name", "legal_rep", "contact_name", "contact_phone", "address", "note")
# Text fields width-folded (a phone's full-width digits are still its digits); the others keep what
# was typed, so a registered name still matches the business licence.
FOLDED_TEXT_FIELDS = ("contact_phone",)
CHOICE_FIELDS = {"scale_type": SCALE_TYPES, "size": SIZES, "status": STATUSES}
MULTILINE_FIELDS = ("note",)


def clean_enterprise_data(data: dict[str, Any]) -> dict[str, Any]:
    """Normalise a dict of field values: text as typed but trimmed (the phone half-width), credit code
    half-width and upper-case."""
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if key not in FIELD_LABELS:
            continue
        if key == "credit_code":
            value = normalize_credit_code(value)
        elif key in FOLDED_TEXT_FIELDS:
            value = normalize_text(value) or None
        elif key in TEXT_FIELDS:
            value = keep_text(value) or None
        elif value == "":
            value = None
        cleaned[key] = value
    return cleaned


def control_char_errors(data: dict[str, Any]) -> dict[str, str]:
    """{field: Chinese error} for the text values, as typed, that hold control characters."""
    errors: dict[str, str] = {}
    for key in (*TEXT_FIELDS, "credit_code"):
        message = control_char_error(data.get(key), FIELD_LABELS[key], multiline=key in MULTILINE_FIELDS)
        if message is not None:
            errors[key] = message
    return errors


def name_clash_error(other: Enterprise) -> str:
    """The refusal of a name that folds to the name of another firm (other)."""
    return f"企业名称与已有企业“{other.name}”（统一社会信用代码 {other.credit_code}）相同，请核对"


def find_name_clash(name: str, code: str, firm_id: Optional[int] = None) -> Optional[Enterprise]:
    """Another firm, with another credit code, whose name folds to the same key as name; else None."""
    stmt = select(Enterprise).where(Enterprise.name_key == fold_key(name), Enterprise.credit_code != code)
    if firm_id is not None:
        stmt = stmt.where(Enterprise.id != firm_id)
    return db.session.scalars(stmt.order_by(Enterprise.id).limit(1)).first()


def validate_enterprise_data(
    data: dict[str, Any], firm_id: Optional[int] = None, check_unique: bool = True
) -> dict[str, str]:
    """Return {field: Chinese error} for cleaned data; empty when valid; check_unique queries the code
    and the name (bulk callers check both against what they fetched at once)."""
    errors: dict[str, str] = {}
    if not data.get("name"):
        errors["name"] = "企业名称不能为空"
    elif len(data["name"]) > 200:
        errors["name"] = "企业名称不能超过200字"
    code = data.get("credit_code") or ""
    if not code:
        errors["credit_code"] = "统一社会信用代码不能为空"
    elif (msg := credit_code_error(code)) is not None:
        errors["credit_code"] = msg
    elif check_unique:  # bulk callers (import) check against a prefetched dict instead
        other = db.session.scalar(select(Enterprise.id).where(Enterprise.credit_code == code))
        if other is not None and other != firm_id:
            errors["credit_code"] = f"统一社会信用代码 {code} 已被其他企业使用"
    if check_unique and "name" not in errors and not errors.get("credit_code"):
        if (clash := find_name_clash(data["name"], code, firm_id)) is not None:
            errors["name"] = name_clash_error(clash)
    # A retired park or chain stays on the firms that have it but is not given to any other.
    held = db.session.get(Enterprise, firm_id) if firm_id else None
    if not data.get("park_id"):
        errors["park_id"] = "请选择所属园区"
    elif (park := db.session.get(Park, data["park_id"])) is None:
        errors["park_id"] = "所属园区不存在"
    elif not park.is_active and (held is None or held.park_id != park.id):
        errors["park_id"] = f"所属园区“{park.name}”已停用，请选择其他园区"
    if data.get("chain_id"):
        chain = db.session.get(IndustryChain, data["chain_id"])
        if chain is None:
            errors["chain_id"] = "所属产业链不存在"
        elif not chain.is_active and (held is None or held.chain_id != chain.id):
            errors["chain_id"] = f"所属产业链“{chain.name}”已停用，请选择其他产业链"
    for field, choices in CHOICE_FIELDS.items():
        if data.get(field) and data[field] not in choices:
            errors[field] = f"{FIELD_LABELS[field]}取值无效"
    for field, limit in NUMBER_LIMITS.items():
        value = data.get(field)
        if value is None:
            continue
        if isinstance(value, Decimal) and not value.is_finite():
            errors[field] = f"{FIELD_LABELS[field]}应为数字"
        elif value < 0:
            errors[field] = f"{FIELD_LABELS[field]}不能为负数"
        elif value >= limit:  # beyond the column (PostgreSQL would refuse the row with an error page)
            errors[field] = f"{FIELD_LABELS[field]}数值过大，请核对"
    founded = data.get("founded_on")
    if isinstance(founded, date) and founded > today():
        errors["founded_on"] = "成立日期不能晚于今天"
    return errors


def _check_park_rights(actor: User, park_id: int) -> None:
    if not manages_park(actor, park_id):
        raise ServiceError("只能管理本园区的企业")


def _display(field: str, value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    return value


def _profile_data(
    data: dict[str, Any], errors: dict[str, str], firm: Optional[Enterprise] = None
) -> tuple[Optional[dict[str, Optional[int]]], Optional[list[int]]]:
    """The 画像 values of data (None: not given), checked; problems go to errors."""
    qualifications = tag_ids = None
    try:
        if data.get("qualifications") is not None:
            qualifications = clean_qualifications(data["qualifications"], today())
    except ServiceError as exc:
        errors["qualifications"] = str(exc)
    try:
        if data.get("tag_ids") is not None:
            tag_ids = clean_tag_ids(data["tag_ids"], [t.id for t in firm.tags] if firm else [])
    except ServiceError as exc:
        errors["tags"] = str(exc)
    return qualifications, tag_ids


def build_enterprise(data: dict[str, Any], actor: User, check_unique: bool = True) -> Enterprise:
    """A new firm checked and added to the session, not yet flushed nor audited: what create_enterprise
    does before its flush, so an import can add thousands with one flush (then audit_created each)."""
    if not can(actor, "enterprise.create"):
        raise ServiceError("没有新建企业的权限")
    typed_errors = control_char_errors(data)
    qualifications, tag_ids = _profile_data(data, typed_errors)
    data = clean_enterprise_data(data)
    data.setdefault("status", "active")
    errors = validate_enterprise_data(data, check_unique=check_unique) | typed_errors
    if errors:
        raise ServiceError("；".join(errors.values()))
    _check_park_rights(actor, data["park_id"])
    firm = Enterprise(
        **data,
        name_initials=initials(data["name"]),
        name_key=fold_key(data["name"]),
        name_pinyin=search_pinyin(data["name"]),
    )
    db.session.add(firm)
    apply_profile(firm, qualifications, tag_ids)
    return firm


def audit_created(actor: User, firm: Enterprise) -> None:
    """The audit row of a new firm (once it has its id)."""
    record_audit(actor, "enterprise", firm.id, "create", f"新建企业档案：{firm.name}", enterprise_id=firm.id)


def create_enterprise(data: dict[str, Any], actor: User, check_unique: bool = True) -> Enterprise:
    """Create a firm from form or import data (with its 画像: "qualifications" {code: year}, "tag_ids");
    raises ServiceError on invalid data."""
    firm = build_enterprise(data, actor, check_unique)
    db.session.flush()
    audit_created(actor, firm)
    return firm


def update_enterprise(
    firm: Enterprise, data: dict[str, Any], actor: User, check_unique: bool = True
) -> dict[str, tuple[Any, Any]]:
    """Apply changed fields to a firm, audit them, and return {field: (old, new)}.

    data may carry "version" (the version the edit form showed): a stale form is refused. Imports
    update by credit code and carry none; the version column still stops a concurrent overwrite.
    """
    if not can(actor, "enterprise.edit", firm):
        raise ServiceError("没有编辑该企业的权限")
    check_version(firm, data.get("version"), STALE_FIRM)
    from_form = data.get("version") is not None
    typed_errors = control_char_errors(data)
    qualifications, tag_ids = _profile_data(data, typed_errors, firm)
    data = clean_enterprise_data(data)
    merged = {f: getattr(firm, f) for f in FIELD_LABELS} | data
    errors = validate_enterprise_data(merged, firm_id=firm.id, check_unique=check_unique) | typed_errors
    if errors:
        raise ServiceError("；".join(errors.values()))
    _check_park_rights(actor, merged["park_id"])
    changes: dict[str, tuple[Any, Any]] = {}
    for field, new in data.items():
        old = getattr(firm, field)
        if _display(field, old) != _display(field, new) and not (old in (None, "") and new in (None, "")):
            changes[field] = (old, new)
            setattr(firm, field, new)
    if "name" in changes:
        firm.name_initials = initials(firm.name)
        firm.name_key = fold_key(firm.name)
        firm.name_pinyin = search_pinyin(firm.name)
    # An import's ledger often omits the year: a qualification it names keeps the year on record.
    profile = apply_profile(firm, qualifications, tag_ids, keep_years=not from_form)
    if profile and not changes:
        firm.updated_at = utcnow()  # the row itself changes too, so its version moves on (stale forms)
    changes |= profile
    if changes:
        labels = "、".join((FIELD_LABELS | PROFILE_LABELS)[f] for f in changes)
        record_audit(
            actor, "enterprise", firm.id, "update", f"修改：{labels}", changes, enterprise_id=firm.id
        )
        db.session.flush()
    return changes
