"""四张清单: adding, changing and deleting a firm's product, sales and technology items (audited)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from crm.extensions import db
from crm.models import Enterprise, ProductItem, SalesItem, TechItem, User
from crm.models.lists import TECH_KINDS, TECH_STATUSES
from crm.permissions import can
from crm.services import ServiceError
from crm.services.closing.guard import refuse_if_closed, refuse_if_month_closed
from crm.services.common.audit import record_audit
from crm.services.common.locking import check_version
from crm.services.common.validators import (
    clean_multiline,
    clean_text,
    collect_errors,
    parse_choice,
    parse_decimal,
    parse_period,
)
from crm.timeutil import today as local_today

NOTE_MAX = 2000

# Field labels, in form order; also used for messages and to read audit rows.
PRODUCT_LABELS = {
    "name": "产品名称",
    "category": "产品类别",
    "capacity": "产能",
    "unit": "单位",
    "main_market": "主要市场",
    "note": "备注",
    "retired_on": "停产/下架日期",
}
SALES_LABELS = {
    "period": "销售期间",
    "product": "产品",
    "market": "市场/客户",
    "amount": "销售金额",
    "quantity": "数量",
    "note": "备注",
}
TECH_LABELS = {
    "kind": "技术类型",
    "title": "名称",
    "detail": "详细说明",
    "partner": "合作单位",
    "status": "对接状态",
    "solved_on": "解决日期",
}
# Audit entity type -> field labels, for whoever shows these rows' changes (the firm's 变更记录 tab).
AUDIT_LABELS = {"product_item": PRODUCT_LABELS, "sales_item": SALES_LABELS, "tech_item": TECH_LABELS}

Parser = Callable[[Any], Any]


def _text(labels: dict, field: str, max_len: int, required: bool = False) -> Parser:
    return lambda value: clean_text(value, labels[field], max_len, required)


def _note(labels: dict, field: str = "note") -> Parser:
    return lambda value: clean_multiline(value, labels[field], NOTE_MAX)


def _number(labels: dict, field: str, required: bool = False) -> Parser:
    return lambda value: parse_decimal(value, labels[field], required)


def _product_parsers(_today: date) -> dict[str, Parser]:
    return {
        "name": _text(PRODUCT_LABELS, "name", 200, required=True),
        "category": _text(PRODUCT_LABELS, "category", 100),
        "capacity": _number(PRODUCT_LABELS, "capacity"),
        "unit": _text(PRODUCT_LABELS, "unit", 32),
        "main_market": _text(PRODUCT_LABELS, "main_market", 200),
        "note": _note(PRODUCT_LABELS),
    }


def _sales_parsers(today: date) -> dict[str, Parser]:
    return {
        "period": lambda value: parse_period(value, today, SALES_LABELS["period"]),
        "product": _text(SALES_LABELS, "product", 200),
        "market": _text(SALES_LABELS, "market", 200),
        "amount": _number(SALES_LABELS, "amount", required=True),
        "quantity": _number(SALES_LABELS, "quantity"),
        "note": _note(SALES_LABELS),
    }


def _tech_parsers(_today: date) -> dict[str, Parser]:
    return {
        "kind": lambda value: parse_choice(value, TECH_LABELS["kind"], TECH_KINDS),
        "title": _text(TECH_LABELS, "title", 200, required=True),
        "detail": _note(TECH_LABELS, "detail"),
        "partner": _text(TECH_LABELS, "partner", 200),
        "status": lambda value: parse_choice(value, TECH_LABELS["status"], TECH_STATUSES, default="pending"),
    }


def _amount(value: Any) -> str:
    return format(value.normalize(), "f") if value is not None else ""


@dataclass(frozen=True)
class _ListKind:
    """What differs between the three lists: model, audit names, labels and field parsers."""

    model: type
    entity_type: str
    noun: str
    labels: dict[str, str]
    parsers: Callable[[date], dict[str, Parser]]
    describe: Callable[[Any], str]

    @property
    def stale(self) -> str:
        """The refusal of a stale form for this kind of item."""
        return f"该{self.noun}记录已被其他人修改，您的操作未保存，请查看最新内容后重试"


PRODUCTS = _ListKind(ProductItem, "product_item", "产品", PRODUCT_LABELS, _product_parsers, lambda i: i.name)
SALES = _ListKind(
    SalesItem,
    "sales_item",
    "销售",
    SALES_LABELS,
    _sales_parsers,
    lambda i: " ".join(p for p in (i.period, i.product, f"{_amount(i.amount)}万元") if p),
)
TECH = _ListKind(
    TechItem, "tech_item", "技术", TECH_LABELS, _tech_parsers, lambda i: f"【{i.kind_label}】{i.title}"
)


def _check_rights(actor: User, firm: Optional[Enterprise]) -> Enterprise:
    if firm is None or not can(actor, "lists.edit", firm):
        raise ServiceError("没有编辑该企业清单的权限")
    return firm


def _firm_of(item: Any) -> Optional[Enterprise]:
    return db.session.get(Enterprise, item.enterprise_id)


def _sync_solved_on(item: TechItem, today: date) -> None:
    """A solved item carries the date it was solved; reopening it clears the date."""
    if item.status == "solved" and item.solved_on is None:
        item.solved_on = today
    elif item.status != "solved":
        item.solved_on = None


# 月结: what dates a list item into a month, and what a closed month's refusal calls it.
CLOSED_SALES = "销售记录"
CLOSED_DAYS = {"solved_on": "技术事项解决情况", "retired_on": "产品停产/下架"}


def _refuse_closed(model: type, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Refuse a change that would move a closed month's figures: any change to a sales row whose period
    (before or after) is closed, or a solved / retirement day moved into, out of or within a closed month.
    before / after: the item's dated fields ({} for a new item, and after a deletion)."""
    if model is SalesItem:
        for month in sorted({m for m in (before.get("period"), after.get("period")) if m}):
            refuse_if_month_closed(month, CLOSED_SALES)
        return
    for field, what in CLOSED_DAYS.items():
        old, new = before.get(field), after.get(field)
        if old != new:
            refuse_if_closed([old, new], what)


def _dated(
    item: Any, values: Optional[dict[str, Any]] = None, today: Optional[date] = None
) -> dict[str, Any]:
    """The item's dated fields, or what they will be once values are applied (a tech item's solved day
    follows its status, as _sync_solved_on sets it)."""
    out = {f: getattr(item, f) for f in ("period", *CLOSED_DAYS) if hasattr(item, f)}
    if values is None:
        return out
    out.update({f: values[f] for f in out if f in values})
    if isinstance(item, TechItem):
        status = values.get("status", item.status)
        if status == "solved" and out.get("solved_on") is None:
            out["solved_on"] = today
        elif status != "solved":
            out["solved_on"] = None
    return out


def _create(kind: _ListKind, firm: Enterprise, actor: User, data: dict, today: Optional[date]) -> Any:
    _check_rights(actor, firm)
    today = today or local_today()
    values = collect_errors(kind.parsers(today), data)
    item = kind.model(enterprise_id=firm.id, **values)
    if isinstance(item, TechItem):
        _sync_solved_on(item, today)
    _refuse_closed(kind.model, {}, _dated(item))
    db.session.add(item)
    db.session.flush()
    record_audit(
        actor,
        kind.entity_type,
        item.id,
        "create",
        f"新增{kind.noun}：{kind.describe(item)}",
        enterprise_id=firm.id,
    )
    return item


def _update(kind: _ListKind, item: Any, actor: User, data: dict, today: Optional[date]) -> dict:
    firm = _check_rights(actor, _firm_of(item))
    check_version(item, data.get("version"), kind.stale)
    today = today or local_today()
    values = collect_errors(kind.parsers(today), data, partial=True)
    _refuse_closed(kind.model, _dated(item), _dated(item, values, today))
    before = {field: getattr(item, field) for field in (*values, "solved_on") if hasattr(item, field)}
    for field, new in values.items():
        if getattr(item, field) != new:  # untouched fields stay clean (no UPDATE, no updated_at bump)
            setattr(item, field, new)
    if isinstance(item, TechItem):
        _sync_solved_on(item, today)
    changes = {f: (old, getattr(item, f)) for f, old in before.items() if old != getattr(item, f)}
    if changes:
        record_audit(
            actor,
            kind.entity_type,
            item.id,
            "update",
            f"修改{kind.noun}：{kind.describe(item)}",
            changes,
            enterprise_id=firm.id,
        )
        db.session.flush()
    return changes


def _delete(kind: _ListKind, item: Any, actor: User, version: Any) -> None:
    firm = _check_rights(actor, _firm_of(item))
    check_version(item, version, kind.stale)
    _refuse_closed(kind.model, _dated(item), {})
    snapshot = {f: (getattr(item, f), None) for f in kind.labels if getattr(item, f) is not None}
    record_audit(
        actor,
        kind.entity_type,
        item.id,
        "delete",
        f"删除{kind.noun}：{kind.describe(item)}",
        snapshot,
        enterprise_id=firm.id,
    )
    db.session.delete(item)
    db.session.flush()


def add_product(firm: Enterprise, actor: User, data: dict, today: Optional[date] = None) -> ProductItem:
    """Add an item to the firm's 产品清单."""
    return _create(PRODUCTS, firm, actor, data, today)


def update_product(item: ProductItem, actor: User, data: dict, today: Optional[date] = None) -> dict:
    """Change the given fields of a product item; a stale data["version"] is refused."""
    return _update(PRODUCTS, item, actor, data, today)


def delete_product(item: ProductItem, actor: User, version: Any = None) -> None:
    """Remove a product item (the audit row keeps what it said); version: what the user saw."""
    _delete(PRODUCTS, item, actor, version)


def add_sales(firm: Enterprise, actor: User, data: dict, today: Optional[date] = None) -> SalesItem:
    """Add a row to the firm's 销售清单 (period YYYY-MM, amount in 万元)."""
    return _create(SALES, firm, actor, data, today)


def update_sales(item: SalesItem, actor: User, data: dict, today: Optional[date] = None) -> dict:
    """Change the given fields of a sales row; a stale data["version"] is refused."""
    return _update(SALES, item, actor, data, today)


def delete_sales(item: SalesItem, actor: User, version: Any = None) -> None:
    """Remove a sales row (the audit row keeps what it said); version: what the user saw."""
    _delete(SALES, item, actor, version)


def add_tech(firm: Enterprise, actor: User, data: dict, today: Optional[date] = None) -> TechItem:
    """Add an item to the firm's 技术清单 (status defaults to 待对接)."""
    return _create(TECH, firm, actor, data, today)


def update_tech(item: TechItem, actor: User, data: dict, today: Optional[date] = None) -> dict:
    """Change the given fields of a tech item; a stale data["version"] is refused."""
    return _update(TECH, item, actor, data, today)


def delete_tech(item: TechItem, actor: User, version: Any = None) -> None:
    """Remove a tech item (the audit row keeps what it said); version: what the user saw."""
    _delete(TECH, item, actor, version)


def tick_off_tech(item: TechItem, actor: User, today: date, version: Any = None) -> None:
    """Mark a tech item 已解决 as of today (销号); version: what the user saw (stale is refused)."""
    firm = _check_rights(actor, _firm_of(item))
    if item.status == "solved":  # more telling than "stale" when someone else ticked it off first
        raise ServiceError("该技术事项已标记为已解决")
    check_version(item, version, TECH.stale)
    refuse_if_closed(today, CLOSED_DAYS["solved_on"])
    changes = {"status": (item.status, "solved"), "solved_on": (item.solved_on, today)}
    item.status, item.solved_on = "solved", today
    record_audit(
        actor,
        "tech_item",
        item.id,
        "solve",
        f"技术已解决：{TECH.describe(item)}",
        changes,
        enterprise_id=firm.id,
    )
    db.session.flush()
