"""The officer and leader home pages' figures, materialised per park.

Every figure on those pages is a count (or a sum) over one park's rows, so a park's figures are computed
once, stored (crm.services.dashboard.store, kept exact by the version every writing transaction bumps)
and a city-wide page adds the parks' stored figures up: after a visit in one park, the city's next view
recomputes that park only. Rates are recomputed from the summed numerators and denominators, never
averaged. The only figure not tied to a park, the city-level cadres, is counted live.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

from flask import current_app
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Park, User
from crm.models.problem import PROBLEM_STATUSES
from crm.permissions import is_city_wide, visible_cadres
from crm.reporting.monthly.kpis import KpiCount, closed_month_problem_kpis, month_problem_kpis
from crm.reporting.monthly.period import Period, ReportScope
from crm.services.dashboard.figures import (
    OfficerDashboard,
    VisitKpis,
    registry_counts,
    unassigned_preview_ids,
)
from crm.services.dashboard.stats import (
    ChainOverview,
    DeptRank,
    HomeStats,
    ProblemStats,
    chain_overview,
    chain_visited,
    department_ranking,
    monthly_trend,
    problem_stats,
    trend_months,
)
from crm.services.dashboard.store import park_figures
from crm.services.dashboard.versions import PARTS
from crm.services.kpi import KPIS
from crm.services.visits.cadence import month_end
from crm.services.visits.coverage import coverage_totals
from crm.timeutil import utcnow

PAYLOAD_VERSION = 2  # bump when the payload's shape changes: older rows are then recomputed


@dataclass
class HomeFigures:
    data: OfficerDashboard
    stats: HomeStats
    month: dict[str, KpiCount]
    last_month: dict[str, KpiCount]
    computed_at: datetime


def _kpis(counts: dict[str, KpiCount]) -> dict[str, list]:
    return {key: [c.part, c.whole] for key, c in counts.items()}


def _whole_city() -> User:
    """A viewer who sees every park (never saved): a park's figures are the same for everyone who may see
    the park, so they are computed in the widest scope narrowed to the park, whoever asked first."""
    return User(role="admin", username="", name="", password_hash="")


def park_payload(part: str, day: date, park: Park) -> dict[str, Any]:
    """One part of one park's home figures as plain JSON: counts only, so parks add up. "visits" holds
    what counts visits (a visit outdates only this part), "main" everything else."""
    user = _whole_city()
    if part == "visits":
        cover, overdue = coverage_totals(user, day, park.id)
        return {
            "v": PAYLOAD_VERSION,
            "coverage": [cover.firms, cover.contacted_week, cover.onsite_month, overdue],
            "chain_visited": [list(pair) for pair in chain_visited(user, day, park.id)],
        }
    problems = problem_stats(user, day, park.id)
    period = Period.of(day.year, day.month, day)
    return {
        "v": PAYLOAD_VERSION,
        "registry": list(registry_counts(user, park.id)),
        "by_status": problems.by_status,
        "by_colour": problems.by_colour,
        "problems": [problems.new_month, problems.closed_month, problems.pending_extensions],
        "departments": [
            [d.department_id, d.name, d.resolved, d.on_time, d.open, d.red]
            for d in department_ranking(user, day, park.id)
        ],
        "trend": [[m.new, m.closed] for m in monthly_trend(user, day, park.id)],
        "chains": [
            [c.chain_id, c.name, c.firms, c.served, c.open, c.red, str(c.sales_year)]
            for c in chain_overview(user, day, park.id, visits=False)
        ],
        "month": _kpis(month_problem_kpis(ReportScope(park), period)),
        "last_month": _kpis(closed_month_problem_kpis(ReportScope(park), period.previous())),
    }


def _sum(a: list, b: list) -> list:
    return [x + y for x, y in zip(a, b, strict=True)]


def _sum_into(into: dict, key: Any, values: list) -> None:
    into[key] = _sum(into[key], values) if key in into else list(values)


def merge(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several parks together: each count the sum of the parks' (JSON object keys and
    Decimal sales as stored; departments and chains keyed by id, in order of first appearance)."""
    out: dict[str, Any] = {"by_status": {}, "by_colour": {}, "departments": {}, "chains": {}}
    out |= {"month": {}, "last_month": {}, "vectors": {}}
    for p in payloads:
        for key in ("registry", "coverage", "problems"):
            _sum_into(out["vectors"], key, p[key])
        for i, month in enumerate(p["trend"]):
            _sum_into(out["vectors"], ("trend", i), month)
        for key in ("by_status", "by_colour"):
            for name, n in p[key].items():
                out[key][name] = out[key].get(name, 0) + n
        for dept_id, name, *counts in p["departments"]:
            _sum_into(out["departments"], (dept_id, name), counts)
        visited = dict(map(tuple, p["chain_visited"]))
        for chain_id, name, firms, served, open_, red, sales in p["chains"]:
            counts = [firms, served, visited.get(chain_id, 0), open_, red, Decimal(sales)]
            _sum_into(out["chains"], (chain_id, name), counts)
        for key in ("month", "last_month"):
            for kpi_key, pair in p[key].items():
                _sum_into(out[key], kpi_key, pair)
    return out


def _city_cadres(user: User) -> int:
    """Active cadres of the city itself (no park): a city-wide view counts them beside the parks'."""
    stmt = visible_cadres(user).where(User.is_active_user.is_(True), User.park_id.is_(None))
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _kpi_counts(pairs: dict[str, list]) -> dict[str, KpiCount]:
    return {key: KpiCount(KPIS[key], *pairs[key]) for key in KPIS if key in pairs}


def _build(user: User, day: date, park_id: Optional[int], m: dict[str, Any], city: bool) -> tuple:
    vectors = m["vectors"]
    registry = vectors.get("registry", [0] * 6)
    firms, contacted, onsite, overdue = vectors.get("coverage", [0] * 4)
    week_pct = KPIS["weekly_contact_coverage"].value(contacted, firms)
    month_pct = KPIS["onsite_coverage"].value(onsite, firms)
    firms_all, key_firms, active, assigned, unassigned, cadres = registry
    cadres += _city_cadres(user) if city else 0
    data = OfficerDashboard(firms_all, key_firms, active, assigned, unassigned, cadres, [])
    data.visits = VisitKpis(firms, week_pct, month_pct, overdue)
    data.unassigned_ids = unassigned_preview_ids(user, park_id)
    by_status = dict.fromkeys(PROBLEM_STATUSES, 0) | m["by_status"]
    by_colour = {"red": 0, "yellow": 0, "green": 0} | m["by_colour"]
    new, closed, extensions = vectors.get("problems", [0, 0, 0])
    problems = ProblemStats(by_status, by_colour, new, closed, extensions, day.replace(day=1), month_end(day))
    ranks = [DeptRank(dept_id, name, *counts) for (dept_id, name), counts in m["departments"].items()]
    ranks.sort(key=lambda r: (r.on_time_pct is None, -(r.on_time_pct or 0), -r.resolved, r.name))
    trend = trend_months(day)
    for i, month in enumerate(trend):
        month.new, month.closed = vectors.get(("trend", i), [0, 0])
    chains = [ChainOverview(chain_id, name, *counts) for (chain_id, name), counts in m["chains"].items()]
    chains.sort(key=lambda c: c.chain_id is None)  # 未分类 last, the others as the parks listed them
    stats = HomeStats(day, park_id, problems, ranks, trend, chains)
    return data, stats, _kpi_counts(m["month"]), _kpi_counts(m["last_month"])


def _stored(parks: dict[int, Park], day: date, fresh: bool = False) -> dict[int, dict[str, Any]]:
    """Each park's figures (both parts) from the store, computing the parts that are missing or outdated."""
    merged: dict[int, dict[str, Any]] = {park_id: {} for park_id in parks}
    for part in PARTS:

        def compute(park_id: int, part: str = part) -> dict[str, Any]:
            return park_payload(part, day, parks[park_id])

        stored = park_figures(parks, part, day, compute, fresh=fresh)
        if any(s.payload.get("v") != PAYLOAD_VERSION for s in stored.values()):  # an older release's rows
            stored = park_figures(parks, part, day, compute, fresh=True)
        for park_id, s in stored.items():
            merged[park_id] |= s.payload
            merged[park_id]["_at"] = min(merged[park_id].get("_at", s.computed_at), s.computed_at)
            merged[park_id]["_now"] = merged[park_id].get("_now", 0) + s.computed_now
    return merged


def refresh_home_figures(today: date, now: Optional[datetime] = None) -> dict[str, int]:
    """Compute and store every park's figures that are missing or outdated (the scheduled job, so that
    the first view of the day, and mostly every later one, only reads): {"parts": parts recomputed}."""
    parks = {p.id: p for p in db.session.scalars(select(Park))}
    return {"parts": sum(p["_now"] for p in _stored(parks, today).values())}


def _parks_in_view(user: User, park: Optional[Park]) -> tuple[list[Park], bool]:
    """The parks the page adds up, and whether it is the whole city (city-level cadres count too)."""
    if park is not None:
        return [park], False
    if is_city_wide(user):
        return list(db.session.scalars(select(Park).order_by(Park.id))), True
    return ([user.park] if user.park is not None else []), False


def home_figures(user: User, day: date, park: Optional[Park] = None, fresh: bool = False) -> HomeFigures:
    """The home page's figures for the user's view (one park, or every park of a city-wide user)."""
    parks, city = _parks_in_view(user, park)
    by_id = {p.id: p for p in parks}

    if current_app.config.get("HOME_FIGURES_STORED", True):
        stored = _stored(by_id, day, fresh)
        payloads = [stored[i] for i in sorted(stored)]
        computed_at = min((p["_at"] for p in payloads), default=utcnow())
        if any(p["_now"] for p in payloads):
            db.session.commit()  # the figures computed here are kept for the next view, on every host
    else:
        payloads = [park_payload(part, day, by_id[i]) for i in sorted(by_id) for part in PARTS]
        payloads = [payloads[i] | payloads[i + 1] for i in range(0, len(payloads), 2)]
        computed_at = utcnow()
    data, stats, month, last_month = _build(user, day, park.id if park else None, merge(payloads), city)
    return HomeFigures(data, stats, month, last_month, computed_at)
