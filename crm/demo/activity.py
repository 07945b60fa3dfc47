"""Demo activity: three months of visits and the firms' 产品/销售/技术 lists, through the real services.

Each firm gets a cadence profile (正常 / 即将到期 / 已逾期 / 从未走访) and a visit history that
produces it for the given today; visits are logged by whoever was the firm's liaison on that day, so
they must be logged in step with the assignment history (before and after the handover).
Deterministic for a given today: everything is drawn from one seeded random generator.
"""

import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import select

from crm.demo.evidence import DemoEvidence
from crm.demo.history import backdate_activity, backdate_registry, stamp_on
from crm.demo.lists import DemoLists
from crm.demo.plans import FirmPlan, PlannedVisit
from crm.extensions import db
from crm.models import Enterprise, ProductItem, TechItem, User
from crm.services.common.validators import add_months
from crm.services.visits.records import log_visit

ACTIVITY_FILE = Path(__file__).resolve().parents[2] / "seeds" / "demo_activity.json"
# Days ago of the last contact that give each status under the default rule (contact every 7 days,
# "due soon" 2 days ahead): 0-4 days ago is 正常, 5-7 is 即将到期, 8 or more is 已逾期.
LAST_CONTACT_DAYS_AGO = {"ok": (0, 4), "soon": (5, 7), "overdue": (9, 30)}


def _weekday_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


class DemoActivity(DemoLists):
    """Plans and logs the demo park's visits and list items."""

    def __init__(self, rnd: random.Random, today: date, officer: User, path: Path = ACTIVITY_FILE):
        self.rnd = rnd
        self.today = today
        self.officer = officer
        self.words: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        self.settings: dict[str, Any] = self.words["plan"]
        self.window_start = today - timedelta(days=self.settings["window_days"])
        self.plans: list[FirmPlan] = []
        self.stamps: dict[tuple[str, int], datetime] = {}
        self.counts = {"visits": 0, "products": 0, "sales": 0, "tech": 0}
        self.since = today  # the current firm's liaison start, while its list items are added
        self.evidence: Optional[DemoEvidence] = None  # once the park collects on-site evidence

    # ---- planning

    def plan_firms(self, firms: list[tuple[Enterprise, str, str, str]], handed_on: date) -> None:
        """Plan every firm: (firm, chain name, industry, demo plan) with the liaison already assigned."""
        rnd = self.rnd
        regular = [f for f in firms if f[3] in ("assigned", "handed_over") and f[0].status == "active"]
        shares = self.settings["shares"]
        order = list(range(len(regular)))
        rnd.shuffle(order)
        n_soon = round(len(regular) * shares["soon"] / 100)
        n_overdue = round(len(regular) * shares["overdue"] / 100)
        profiles = {}
        for pos, idx in enumerate(order):
            profiles[idx] = "soon" if pos < n_soon else "overdue" if pos < n_soon + n_overdue else "ok"
        for idx, (firm, chain, industry, plan) in enumerate(regular):
            self._add_plan(firm, chain, industry, profiles[idx], handed_on if plan == "handed_over" else None)
        for firm, chain, industry, plan in firms:
            if firm.status == "suspended" and plan != "unassigned":
                self._add_plan(firm, chain, industry, "quiet", None)
            elif plan == "unassigned":
                self._add_plan(firm, chain, industry, "none", None)
        self._plan_forum()

    def plan_new_firms(self, firms: list[tuple[Enterprise, str, str]]) -> None:
        """Plan firms given a liaison after the handover: a few never visited, the others visited once."""
        for pos, (firm, chain, industry) in enumerate(firms):
            never = pos < self.settings["never_visited_new_firms"]
            self._add_plan(firm, chain, industry, "never" if never else "new", None)

    def _add_plan(
        self, firm: Enterprise, chain: str, industry: str, profile: str, handed_on: Optional[date]
    ) -> None:
        plan = FirmPlan(firm, chain, industry, profile, self.rnd.choice(self.words["titles"]))
        plan.products = self._plan_products(firm, industry)
        if profile in ("ok", "soon", "overdue"):
            plan.visits = self._regular_visits(firm, profile, handed_on)
        elif profile == "new":
            assignment = firm.active_assignment
            assert assignment is not None, "new firms are planned after they were given a liaison"
            plan.visits = self._new_firm_visits(assignment.start_on)
        elif profile == "quiet":
            days = {_weekday_on_or_before(self.today - timedelta(days=self.rnd.randint(3, 80))) for _ in "ab"}
            plan.visits = [PlannedVisit(d, "phone") for d in sorted(days)]
        self._attach_items(plan)
        self.plans.append(plan)

    def _regular_visits(
        self, firm: Enterprise, profile: str, handed_on: Optional[date]
    ) -> list[PlannedVisit]:
        """Contacts every few days back from the last one; on-site visits placed to give the profile."""
        rnd, today = self.rnd, self.today
        lo, hi = LAST_CONTACT_DAYS_AGO[profile]
        candidates = [today - timedelta(days=i) for i in range(lo, hi + 1)]
        last = rnd.choice([d for d in candidates if d.weekday() < 5] or candidates)
        days, day = [last], last
        while True:
            gap = rnd.randint(4, 12) if profile == "overdue" else rnd.randint(3, 8)
            day = _weekday_on_or_before(day - timedelta(days=gap))
            if day < self.window_start:
                break
            days.append(day)
        days.sort()
        kinds = {d: ("phone" if rnd.random() < 0.62 else "online") for d in days}
        this_month = today.replace(day=1)
        previous_month = (this_month - timedelta(days=1)).replace(day=1)
        by_month: dict[date, list[date]] = {}
        for d in days:
            by_month.setdefault(d.replace(day=1), []).append(d)
        for month, month_days in by_month.items():
            if month == this_month:
                wanted = profile != "overdue" and rnd.random() < 0.7
            elif month == previous_month:
                wanted = profile != "overdue" or rnd.random() < 0.3
            else:
                wanted = rnd.random() < 0.85
            if wanted:
                picks = rnd.sample(month_days, min(len(month_days), 2 if firm.is_key else 1))
                for d in picks:
                    kinds[d] = "onsite"
        if handed_on is not None:
            # The successor's first on-site visit, within the handover's two weeks.
            first = _weekday_on_or_before(handed_on + timedelta(days=rnd.randint(3, 14)))
            if first <= last:
                kinds[first] = "onsite"
        return [PlannedVisit(d, kinds[d]) for d in sorted(kinds)]

    def _new_firm_visits(self, start: date) -> list[PlannedVisit]:
        """A newly assigned firm: a first on-site visit a few days after the assignment, then calls."""
        rnd = self.rnd
        first = start + timedelta(days=rnd.randint(1, 4))
        while first.weekday() >= 5:
            first += timedelta(days=1)
        if first > self.today:
            return []
        visits = [PlannedVisit(first, "onsite")]
        day = first
        while (day := day + timedelta(days=rnd.randint(4, 7))) <= self.today:
            if day.weekday() < 5:
                visits.append(PlannedVisit(day, "phone"))
        return visits

    def _plan_forum(self) -> None:
        """One 政企面对面 forum some weeks ago, attended by a few firms on track, logged by the office."""
        forum = self.settings["forum"]
        day = _weekday_on_or_before(self.today - timedelta(days=forum["days_ago"]))
        eligible = [p for p in self.plans if p.profile in ("ok", "soon") and p.visits]
        for plan in self.rnd.sample(eligible, min(forum["firms"], len(eligible))):
            plan.visits = [v for v in plan.visits if v.day != day] + [PlannedVisit(day, "forum")]
            plan.visits.sort(key=lambda v: v.day)

    def _attach_items(self, plan: FirmPlan) -> None:
        """Some list items are added in the visit form: a product, or a technical demand found on site."""
        onsite = [v for v in plan.visits if v.kind == "onsite"]
        if not onsite:
            return
        if plan.products and self.rnd.random() < 0.3:
            onsite[0].product = plan.products.pop(0)
        if self.rnd.random() < 0.25:
            demands = [t for t in self.words["tech"][plan.chain] if t[0] == "demand"]
            kind, title, detail = self.rnd.choice(demands)
            visit = self.rnd.choice(onsite)
            visit.tech = {
                "kind": kind,
                "title": title,
                "detail": detail,
                "partner": self.rnd.choice(self.words["partners"]),
            }

    # ---- logging

    def log_visits(self, before: Optional[date] = None) -> None:
        """Log the planned visits dated before the given day (all remaining ones when None)."""
        for plan in self.plans:
            for planned in plan.visits:
                if planned.logged or (before is not None and planned.day >= before):
                    continue
                self._log(plan, planned)
                planned.logged = True

    def _log(self, plan: FirmPlan, planned: PlannedVisit) -> None:
        firm, rnd = plan.firm, self.rnd
        actor = self.officer if planned.kind == "forum" or firm.cadre is None else firm.cadre
        visit = log_visit(
            firm,
            actor,
            self._visit_text(plan, planned, actor),
            self.today,
            product=planned.product,
            tech=planned.tech,
            **(self.evidence.for_visit(firm, planned.kind, planned.day) if self.evidence else {}),
        )
        stamp = self.stamps[("visit", visit.id)] = stamp_on(planned.day, rnd)
        self.counts["visits"] += 1
        for model, entity, wanted in (
            (ProductItem, "product_item", planned.product),
            (TechItem, "tech_item", planned.tech),
        ):
            if wanted:
                item_id = db.session.scalar(
                    select(model.id).where(model.enterprise_id == firm.id).order_by(model.id.desc())
                )
                assert item_id is not None, "the visit just logged has added this item"
                self.stamps[(entity, item_id)] = stamp
                self.counts["products" if model is ProductItem else "tech"] += 1

    def _visit_text(self, plan: FirmPlan, planned: PlannedVisit, actor: User) -> dict[str, Any]:
        rnd, words, firm = self.rnd, self.words, plan.firm
        contact = firm.contact_name or "企业负责人"
        title = plan.contact_title
        product_names = [p["name"] for p in plan.products] or ["主导产品"]
        previous = planned.day.replace(day=1) - timedelta(days=1)
        templates = words["suspended"] if plan.profile == "quiet" else words[planned.kind]
        summary = rnd.choice(templates).format(
            contact=contact,
            product=rnd.choice(product_names),
            month=previous.month,
            next_month=add_months(planned.day, 1)[1],
            n=rnd.randint(5, 40),
            amount=rnd.randrange(200, 3000, 50),
            forum=self.settings["forum"]["title"],
        )
        findings = None
        if planned.kind == "onsite" and rnd.random() < 0.35:
            findings = rnd.choice(words["findings"]).format(n=rnd.randint(10, 80))
        if planned.kind == "onsite":
            participants = f"{actor.name}、{contact}（{title}）"
        elif planned.kind == "forum":
            participants = f"园区经发局 {actor.name}、{contact}（{title}）等{rnd.randint(12, 30)}家企业负责人"
        else:
            participants = f"{contact}（{title}）"
        return {
            "visited_on": planned.day,
            "kind": planned.kind,
            "participants": participants,
            "summary": summary,
            "findings": findings,
        }

    # ---- history

    def backdate(self) -> None:
        """Date the visits, items, firms and assignments (and their audit rows) when they happened."""
        backdate_activity(self.stamps)
        backdate_registry(self.rnd, self.today)
