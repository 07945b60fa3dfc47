"""Read side of the firm page (一企一档): what each tab shows, loaded only when that tab is open."""

from collections import OrderedDict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from crm.extensions import db
from crm.models import (
    Assignment,
    AuditLog,
    Enterprise,
    Problem,
    ProductItem,
    SalesItem,
    TechItem,
    User,
    Visit,
)
from crm.permissions import visible_problems
from crm.services.common.paging import paginate
from crm.services.problems.queries import problem_clock, urgency_order, with_list_options
from crm.timeutil import today

# (key, label, permission action or None) in display order.
TABS = [
    ("basic", "基本信息", None),
    ("visits", "走访记录", "visit.view"),
    ("products", "产品清单", "lists.view"),
    ("sales", "销售清单", "lists.view"),
    ("tech", "技术清单", "lists.view"),
    ("problems", "问题清单", "lists.view"),
    ("changes", "清单变化", "lists.view"),  # month on month; its rows come from crm.reporting
    ("policies", "政策", "policy.view"),  # its rows come from crm.services.policies (the blueprint adds them)
    ("liaison", "联系干部", None),
    ("audit", "变更记录", "enterprise.audit"),
]
HISTORY_LIMIT = 100


def tab_data(tab: str, firm: Enterprise, user: User, page: int = 1) -> dict:
    """The template variables of one tab (a constant number of queries per tab); `page` pages long tabs."""
    if tab == "problems":  # the only tab whose rows depend on the viewer (handlers: their department's)
        return _problems(firm, user, page)
    if tab == "visits":
        return _visits(firm, page)
    loader = _LOADERS.get(tab)
    return loader(firm) if loader else {}


def _visits(firm: Enterprise, page_number: int) -> dict:
    page = paginate(
        select(Visit)
        .where(Visit.enterprise_id == firm.id)
        .options(joinedload(Visit.cadre), selectinload(Visit.attachments))
        .order_by(Visit.visited_on.desc(), Visit.id.desc()),
        per_page=20,
        page=page_number,
    )
    return {"visits": page}


def _products(firm: Enterprise) -> dict:
    """Products still made first (in the order they were added), then the retired ones, latest first."""
    items = db.session.scalars(
        select(ProductItem)
        .where(ProductItem.enterprise_id == firm.id)
        .order_by(ProductItem.retired_on.is_not(None), ProductItem.retired_on.desc(), ProductItem.id)
    ).all()
    return {"products": items, "retired_count": sum(p.retired_on is not None for p in items)}


def sales_summary(items: list[SalesItem]) -> "OrderedDict[str, dict]":
    """Per period (newest first): number of rows and total amount in 万元."""
    summary: OrderedDict[str, dict] = OrderedDict()
    for item in sorted(items, key=lambda i: i.period, reverse=True):
        row = summary.setdefault(item.period, {"count": 0, "amount": Decimal("0")})
        row["count"] += 1
        row["amount"] += item.amount or Decimal("0")
    return summary


def _sales(firm: Enterprise) -> dict:
    items = db.session.scalars(
        select(SalesItem)
        .where(SalesItem.enterprise_id == firm.id)
        .order_by(SalesItem.period.desc(), SalesItem.id)
    ).all()
    summary = sales_summary(list(items))
    return {
        "sales": items,
        "sales_summary": summary,
        "sales_total": sum(r["amount"] for r in summary.values()),
    }


def _tech(firm: Enterprise) -> dict:
    items = db.session.scalars(
        select(TechItem).where(TechItem.enterprise_id == firm.id).order_by(TechItem.status, TechItem.id)
    ).all()
    return {"tech_items": items}


def _problems(firm: Enterprise, user: User, page_number: int) -> dict:
    """The firm's problems the user may see, open ones first (most urgent first), paginated."""
    clock = problem_clock(today())
    page = paginate(
        with_list_options(visible_problems(user).where(Problem.enterprise_id == firm.id)).order_by(
            *urgency_order(clock.today)
        ),
        per_page=20,
        page=page_number,
    )
    return {"problems": page}


def _liaison(firm: Enterprise) -> dict:
    history = db.session.scalars(
        select(Assignment)
        .where(Assignment.enterprise_id == firm.id)
        .options(joinedload(Assignment.cadre), joinedload(Assignment.assigned_by))
        .order_by(Assignment.start_on.desc(), Assignment.id.desc())
    ).all()
    return {"history": history}


def _audit(firm: Enterprise) -> dict:
    entries = db.session.scalars(
        select(AuditLog)
        .where(AuditLog.enterprise_id == firm.id)
        .options(joinedload(AuditLog.actor))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    return {"audit": entries}


def tab_counts(firm: Enterprise) -> dict[str, int]:
    """Badge counts for the tabs, in one query (products: those still made)."""
    row = db.session.execute(
        select(
            select(func.count(Visit.id)).where(Visit.enterprise_id == firm.id).scalar_subquery(),
            select(func.count(ProductItem.id))
            .where(ProductItem.enterprise_id == firm.id, ProductItem.retired_on.is_(None))
            .scalar_subquery(),
            select(func.count(SalesItem.id)).where(SalesItem.enterprise_id == firm.id).scalar_subquery(),
            select(func.count(TechItem.id)).where(TechItem.enterprise_id == firm.id).scalar_subquery(),
            select(func.count(Problem.id)).where(Problem.enterprise_id == firm.id).scalar_subquery(),
        )
    ).one()
    return dict(zip(("visits", "products", "sales", "tech", "problems"), row, strict=True))


_LOADERS = {
    "products": _products,
    "sales": _sales,
    "tech": _tech,
    "liaison": _liaison,
    "audit": _audit,
}
