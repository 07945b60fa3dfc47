"""Demo lists: the firms' 产品/销售/技术 items, added through the list services by their liaison."""

import calendar
import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from crm.demo.history import stamp_on
from crm.demo.plans import FirmPlan
from crm.models import Enterprise, ProductItem, User
from crm.services.common.validators import add_months
from crm.services.enterprises.lists import add_product, add_sales, add_tech, tick_off_tech
from crm.services.enterprises.products import retire_product

BULK_UNITS = {"吨", "公里", "万平方米"}  # quantities that may have decimals; machines and boxes do not


class DemoLists:
    """Mixin of DemoActivity: planning products and adding list items (with its rnd, words and stamps)."""

    rnd: random.Random
    today: date
    officer: User
    words: dict[str, Any]
    settings: dict[str, Any]
    plans: list
    stamps: dict[tuple[str, int], datetime]
    counts: dict[str, int]
    since: date

    def _plan_products(self, firm: Enterprise, industry: str) -> list[dict]:
        rnd, words = self.rnd, self.words
        if rnd.random() >= self.settings["products_share"]:
            return []
        entries = words["products"][industry]
        products = []
        for entry in rnd.sample(entries, min(len(entries), rnd.choice((1, 2, 2)))):
            name, category, unit = entry.split("|")
            capacity = None
            if unit:
                lo, hi = words["units"][unit]
                factor = words["size_factor"][firm.size or "small"]
                capacity = Decimal(max(1, round(rnd.randint(lo, hi) * factor)))
            markets = "、".join(rnd.sample(words["markets"], rnd.choice((1, 1, 2))))
            products.append(
                {
                    "name": name,
                    "category": category,
                    "capacity": capacity,
                    "unit": unit or None,
                    "main_market": markets,
                }
            )
        return products

    def add_lists(self) -> None:
        """Products not added during visits, monthly sales of the last half year, technology items."""
        rnd, today = self.rnd, self.today
        for plan in self.plans:
            firm = plan.firm
            actor = firm.cadre or self.officer
            # Items are dated no earlier than the day their author took the firm over.
            self.since = firm.active_assignment.start_on if firm.cadre else today - timedelta(days=30)
            added_on = today - timedelta(days=rnd.randint(185, 220))  # before the first sales month is in
            items = []
            for data in plan.products:
                item = add_product(firm, actor, data, today=today)
                self._stamp_item("product_item", item, added_on)
                self.counts["products"] += 1
                items.append(item)
            retired = self._retire_one(firm, items, actor)
            if plan.products and rnd.random() < self.settings["sales_share"]:
                self._add_sales(plan, actor, retired)
            if rnd.random() < self.settings["tech_share"]:
                self._add_tech(plan, actor)

    def _retire_one(self, firm: Enterprise, items: list[ProductItem], actor: User) -> dict[str, date]:
        """停产/下架 of the last of a firm's several products, some weeks ago, at some firms: {name: day}."""
        if len(items) < 2:
            return {}
        item = items[-1]
        # A generator of its own, so the rest of the demo draws the same numbers as before.
        rnd = random.Random(f"retire:{firm.credit_code}:{item.name}")
        if rnd.random() >= self.settings["retire_share"]:
            return {}
        # The service checks the day against when the product was put on the list: give it that day now.
        item.created_at = self.stamps[("product_item", item.id)]
        day = self._clamp(self.today - timedelta(days=rnd.randint(12, 80)))
        reason = rnd.choice(self.words["retire_reasons"])
        retire_product(item, actor, {"retired_on": day, "reason": reason}, today=self.today)
        self.stamps[("product_item_retire", item.id)] = stamp_on(day, rnd)
        return {item.name: day}

    def _add_sales(self, plan: "FirmPlan", actor: User, retired: dict[str, date]) -> None:
        rnd, firm = self.rnd, plan.firm
        monthly = (firm.output_last_year or Decimal(1200)) / 12
        shares = (Decimal("0.65"), Decimal("0.35")) if len(plan.products) > 1 else (Decimal(1),)
        customers = self.words["customers"][plan.chain]
        for back in range(self.settings["sales_months"], 0, -1):
            year, month = add_months(self.today, -back)
            for product, share in zip(plan.products, shares, strict=False):
                stopped = retired.get(product["name"])
                if stopped is not None and date(year, month, 1) > stopped:
                    continue  # nothing sold after the product stopped
                factor = Decimal(rnd.randint(85, 115)) / 100
                quantity = None
                if product["capacity"] is not None:
                    # Machines and boxes come in whole units; tonnes and kilometres may have decimals.
                    step = Decimal("0.01") if product["unit"] in BULK_UNITS else Decimal(1)
                    quantity = (product["capacity"] / 12 * Decimal(rnd.randint(60, 95)) / 100).quantize(step)
                item = add_sales(
                    firm,
                    actor,
                    {
                        "period": f"{year:04d}-{month:02d}",
                        "product": product["name"],
                        "market": rnd.choice(customers),
                        "amount": (monthly * share * factor).quantize(Decimal("0.01")),
                        "quantity": quantity,
                    },
                    today=self.today,
                )
                reported = date(year, month, calendar.monthrange(year, month)[1]) + timedelta(
                    days=rnd.randint(3, 10)
                )
                self._stamp_item("sales_item", item, min(reported, self.today))
                self.counts["sales"] += 1

    def _add_tech(self, plan: "FirmPlan", actor: User) -> None:
        rnd, today = self.rnd, self.today
        entries = self.words["tech"][plan.chain]
        for kind, title, detail in rnd.sample(entries, 2 if rnd.random() < 0.3 else 1):
            partner = rnd.choice(self.words["partners"]) if kind in ("demand", "project") else None
            status = rnd.choices(["pending", "matching", "solved"], weights=[40, 35, 25])[0]
            data = {
                "kind": kind,
                "title": title,
                "detail": detail,
                "partner": partner,
                "status": "matching" if status == "solved" else status,
            }
            item = add_tech(plan.firm, actor, data, today=today)
            added_on = self._clamp(today - timedelta(days=rnd.randint(30, 150)))
            self._stamp_item("tech_item", item, added_on)
            self.counts["tech"] += 1
            if status == "solved":
                solved_on = min(today, added_on + timedelta(days=rnd.randint(10, 60)))
                tick_off_tech(item, actor, solved_on)
                self.stamps[("tech_item_solve", item.id)] = stamp_on(solved_on, rnd)

    def _clamp(self, day: date) -> date:
        return min(max(day, self.since), self.today)

    def _stamp_item(self, entity: str, item: Any, day: date) -> None:
        self.stamps[(entity, item.id)] = stamp_on(self._clamp(day), self.rnd)
